#!/usr/bin/env bash
# deepcut on one NVIDIA GPU, checked end to end. For a machine with Python torch (CUDA) and
# transformers but no Node.js and no network: everything else comes from tools/gpu/bundle/
# (made here by tools/gpu/pack.sh and carried with the tree).
#
#   OUT=/path/to/results bash tools/gpu/check.sh              # on the GPU machine
#   OUT=/tmp/dry bash tools/gpu/check.sh --cpu-dry-run        # here: /usr/bin/python3 (CPU torch), device cpu
#
# Stages (each is logged and reported even when an earlier one failed):
#   unpack    node, Node-API headers, npm packages and dist/ from the bundle
#   build     the addon with g++ against the Python torch's libtorch (LIBTORCH_FROM_PYTHON), C++ standard
#             as torch's own extension builder uses it, retrying the other of c++17/c++20 on failure
#   suites    a few CPU test files against that libtorch (the build works at all)
#   device    dist/test/device.test.js with DEEPCUT_TEST_DEVICE=cuda (parameters, gradients, optimizer
#             state, batches on the GPU, safetensors across devices, --device on the CLI)
#   pipeline  deepcut finetune -> unlearn (deepcut) -> eval with --device on the SpamAssassin slice;
#             every record must say which device computed it
#   timing    a USE-Lite training step (batch 16 x 128) on the GPU, deepcut vs PyTorch
#             (tools/use-lite/torch_use_lite.py) on the same weights and ids; target ratio <= 1.10
#   parity    transformers' Bert/Roberta/DistilBertForSequenceClassification (small configs, random
#             weights, save_pretrained) against deepcut's loading of those folders: max abs logit
#             difference <= 1e-4 on the GPU
# Writes $OUT/check.log (everything printed) and $OUT/summary.json; exit 0 when every stage passed.
set -uo pipefail

MODE=gpu
for arg in "$@"; do
  case "$arg" in
    --cpu-dry-run) MODE=cpu-dry-run ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "unknown argument $arg (expected --cpu-dry-run)" >&2; exit 2 ;;
  esac
done
: "${OUT:?set OUT to a folder for the log and summary.json}"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
mkdir -p "$OUT/stages"
OUT=$(cd "$OUT" && pwd)
exec > >(tee -a "$OUT/check.log") 2>&1

if [ "$MODE" = gpu ]; then
  PYTHON=${PYTHON:-python3}; DEVICE=${DEVICE:-cuda}; STEPS=${STEPS:-30}; WARMUP=${WARMUP:-10}; ROUNDS=${ROUNDS:-3}; ENFORCE_RATIO=1
else
  # A few steps on a shared CPU measure nothing: the dry run checks the harness (same loss on both
  # sides, the ratio printed), not the ratio.
  PYTHON=${PYTHON:-/usr/bin/python3}; DEVICE=cpu; STEPS=${STEPS:-3}; WARMUP=${WARMUP:-1}; ROUNDS=${ROUNDS:-1}; ENFORCE_RATIO=0
fi
BUNDLE="$ROOT/tools/gpu/bundle"
WORK="$ROOT/.gpu-work"
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 4)}
mkdir -p "$WORK"
STARTED=$(date +%s)
echo "== deepcut GPU check ($MODE) in $ROOT, $(date -u +%FT%TZ), python $PYTHON, device $DEVICE"

# stage NAME STATUS DETAILS_JSON: one result file per stage, assembled into summary.json at the end.
stage() {
  local details=${3:-'{}'}
  printf '{"stage": "%s", "status": "%s", "details": %s}\n' "$1" "$2" "$details" > "$OUT/stages/$1.json"
  echo "== stage $1: $2"
}
json_string() { "$PYTHON" -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }

# ---------------------------------------------------------------- unpack
unpack() {
  echo "== unpack"
  [ -d "$BUNDLE" ] || { echo "no $BUNDLE: run 'bash tools/gpu/pack.sh' where Node is, and carry tools/gpu/bundle"; return 1; }
  mkdir -p "$WORK/bin"
  if command -v node >/dev/null 2>&1 && [ "$MODE" = cpu-dry-run ] && [ -z "${USE_BUNDLED_NODE:-}" ]; then
    ln -sf "$(command -v node)" "$WORK/bin/node"
  else
    gzip -dc "$BUNDLE/node.gz" > "$WORK/bin/node" && chmod +x "$WORK/bin/node" || return 1
  fi
  export PATH="$WORK/bin:$PATH"
  node --version || { echo "the bundled node does not run here (libstdc++/glibc too old?)"; return 1; }
  rm -rf "$WORK/include" && mkdir -p "$WORK/include" && tar -xzf "$BUNDLE/node-headers.tar.gz" -C "$WORK/include" || return 1
  rm -rf "$WORK/node_modules.tmp" && mkdir -p "$WORK/node_modules.tmp" && tar -xzf "$BUNDLE/node_modules.tar.gz" -C "$WORK/node_modules.tmp" || return 1
  rm -rf "$WORK/node_modules" && mv "$WORK/node_modules.tmp/node_modules" "$WORK/node_modules" && rm -rf "$WORK/node_modules.tmp"
  # The checkout's node_modules and models/use-lite may be symlinks that do not resolve here.
  if [ ! -e node_modules/node-addon-api/napi.h ]; then rm -rf node_modules; ln -s "$WORK/node_modules" node_modules; fi
  if [ ! -e models/use-lite/config.json ]; then rm -rf models/use-lite; ln -s "$BUNDLE/use-lite" models/use-lite; fi
  rm -rf dist && tar -xzf "$BUNDLE/dist.tar.gz" || return 1
  echo "node $(node --version), $(ls node_modules | wc -l) packages, dist/ unpacked"
}
if unpack; then stage unpack ok "{\"node\": $(json_string "$(node --version)")}"; else stage unpack failed; fi

# ---------------------------------------------------------------- build
TORCH_INFO=$("$PYTHON" -c 'import json, torch; print(json.dumps({"torch": torch.__version__, "cuda": torch.version.cuda, "cuda_available": torch.cuda.is_available(), "gpus": torch.cuda.device_count(), "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}))' 2>&1 | tail -1)
echo "python torch: $TORCH_INFO"
build_with() { # build_with -std=c++NN
  local std=$1 obj="$WORK/obj${1#-std=}" flags
  export LIBTORCH_FROM_PYTHON="$PYTHON"
  flags="$std -O2 -fPIC -fexceptions -frtti -Wno-unused-parameter -DNAPI_CPP_EXCEPTIONS -DNAPI_VERSION=8 -DBUILDING_NODE_EXTENSION"
  flags="$flags $(node scripts/torch-paths.js --defines | sed 's/\([^ ]*\)/-D\1/g')"
  local includes="-I$WORK/include/node -I$ROOT/node_modules/node-addon-api $(node scripts/torch-paths.js --include | sed 's/\([^ ]*\)/-I\1/g')"
  mkdir -p "$obj"
  echo "g++ $flags (libtorch: $(node scripts/torch-paths.js --describe))"
  local pids=() src
  for src in native/*.cc; do
    g++ $flags $includes -c "$src" -o "$obj/$(basename "$src" .cc).o" &
    pids+=($!)
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do sleep 1; done
  done
  local failed=0 pid
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  [ $failed = 0 ] || return 1
  mkdir -p build/Release
  g++ -shared -o build/Release/deepcut_native.node "$obj"/*.o $(node scripts/torch-paths.js --libs) || return 1
  node scripts/torch-paths.js --describe > build/.libtorch
}
build() {
  echo "== build"
  local first second
  first=$(LIBTORCH_FROM_PYTHON="$PYTHON" node scripts/torch-paths.js --cxx-std) || return 1
  if [ "$first" = -std=c++17 ]; then second=-std=c++20; else second=-std=c++17; fi
  if build_with "$first"; then BUILT_STD=$first; return 0; fi
  echo "build with $first failed; retrying with $second"
  build_with "$second" && BUILT_STD=$second
}
BUILD_START=$(date +%s)
BUILT_STD=none
if build; then
  ADDON=$(node -e 'const n = require("./build/Release/deepcut_native.node"); console.log(JSON.stringify({ libtorch: n.torchVersion(), cuda_available: n.cudaIsAvailable(), gpus: n.cudaDeviceCount() }))' 2>&1 | tail -1)
  echo "addon: $ADDON"
  stage build ok "{\"std\": \"$BUILT_STD\", \"seconds\": $(( $(date +%s) - BUILD_START )), \"python_torch\": ${TORCH_INFO:-null}, \"addon\": ${ADDON:-null}}"
else
  stage build failed "{\"python_torch\": $(json_string "$TORCH_INFO")}"
fi

# node test runner: "# pass N" / "# fail N" of one run
count() { grep -E "^# $1 " "$2" | tail -1 | awk '{print $3}'; }
run_tests() { # run_tests NAME FILE... (env set by the caller)
  local name=$1 log="$WORK/$1.tap"; shift
  node --expose-gc --test "$@" > "$log" 2>&1
  local rc=$? pass fail skipped
  cat "$log" | grep -E "^(not ok|ok|# (pass|fail|skipped))" || true
  grep -B2 -A25 "^not ok" "$log" | head -80 || true
  pass=$(count pass "$log"); fail=$(count fail "$log"); skipped=$(count skipped "$log")
  local details="{\"pass\": ${pass:-0}, \"fail\": ${fail:-0}, \"skipped\": ${skipped:-0}, \"files\": $(json_string "$*")}"
  if [ $rc = 0 ] && [ "${fail:-1}" = 0 ]; then stage "$name" ok "$details"; else stage "$name" failed "$details"; fi
}

# ---------------------------------------------------------------- suites (CPU, the new libtorch)
echo "== suites"
DEEPCUT_THREADS=${DEEPCUT_THREADS:-4} run_tests suites dist/test/engine-ops.test.js dist/test/engine-grad.test.js dist/test/nn.test.js \
  dist/test/optim.test.js dist/test/safetensors.test.js dist/test/model-parity.test.js dist/test/model-hf.test.js

# ---------------------------------------------------------------- device tests
echo "== device tests on $DEVICE"
DEEPCUT_TEST_DEVICE=$DEVICE DEEPCUT_THREADS=${DEEPCUT_THREADS:-4} run_tests device dist/test/device.test.js

# ---------------------------------------------------------------- pipeline through the CLI
pipeline() {
  echo "== pipeline (finetune -> unlearn -> eval) on $DEVICE"
  local dir="$WORK/pipeline" data="$ROOT/test/fixtures/data/spamassassin-slice.jsonl" cli="node dist/src/cli/main.js"
  rm -rf "$dir" && mkdir -p "$dir"
  # A USE-Lite with its real tokenizer and seeded random weights (the converted ones are not carried).
  node dist/bench/gpu/prepare-use-lite.js --source models/use-lite --out "$dir/base" --classes 2 || return 1
  cp models/use-lite/tokenizer*.json "$dir/base/classifier/" || return 1
  $cli finetune --model "$dir/base/classifier" --data "$data" --out "$dir/original" --epochs 1 --max-length 64 --device "$DEVICE" || return 1
  $cli unlearn --model "$dir/original" --data "$data" --forget largest-user --method deepcut --hp steps=10 --out "$dir/deepcut" --device "$DEVICE" || return 1
  $cli eval --model "$dir/deepcut" --data "$data" --forget largest-user --out "$dir/eval" --retain-sample 50 --device "$DEVICE" || return 1
  $cli predict --model "$dir/deepcut" --text "Win a free cruise now" --device "$DEVICE" || return 1
  "$PYTHON" - "$dir" "$DEVICE" > "$WORK/pipeline.json" <<'PY' || return 1
import json, sys
d, want = sys.argv[1], sys.argv[2]
want = 'cuda:0' if want == 'cuda' else want
got = {name: json.load(open('%s/%s' % (d, f)))['provenance'].get('device')
       for name, f in [('train.json', 'original/train.json'), ('unlearn.json', 'deepcut/unlearn.json'), ('metrics.json', 'eval/metrics.json')]}
print(json.dumps({'expected': want, 'recorded': got}))
sys.exit(0 if all(v == want for v in got.values()) else 1)
PY
  cat "$WORK/pipeline.json"
}
if pipeline; then stage pipeline ok "$(cat "$WORK/pipeline.json")"; else stage pipeline failed "$(cat "$WORK/pipeline.json" 2>/dev/null || echo '{}')"; fi

# ---------------------------------------------------------------- timing
timing() {
  echo "== timing: USE-Lite training step on $DEVICE, deepcut vs PyTorch"
  local dir="$WORK/timing" batch seq
  rm -rf "$dir"
  local results="[]"
  for shape in ${TIMING_SHAPES:-16x128 64x128}; do
    batch=${shape%x*}; seq=${shape#*x}
    node dist/bench/gpu/prepare-use-lite.js --source models/use-lite --out "$dir/$shape" --batch "$batch" --seq "$seq" --classes 2 || return 1
    local args=(--model "$dir/$shape/classifier" --inputs "$dir/$shape/batch.json" --classes 2 --steps "$STEPS" --warmup "$WARMUP" --device "$DEVICE")
    : > "$dir/$shape/ours.jsonl"; : > "$dir/$shape/torch.jsonl"
    for r in $(seq 1 "$ROUNDS"); do # alternating rounds; each side scored by its best
      node dist/bench/common/step.js "${args[@]}" --threads "${TIMING_THREADS:-4}" | tail -1 >> "$dir/$shape/ours.jsonl" || return 1
      "$PYTHON" tools/use-lite/torch_use_lite.py "${args[@]}" --threads "${TIMING_THREADS:-4}" | tail -1 >> "$dir/$shape/torch.jsonl" || return 1
    done
    results=$("$PYTHON" - "$dir/$shape" "$batch" "$seq" "$results" <<'PY'
import json, sys
d, batch, seq, results = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
ours = [json.loads(l) for l in open(d + '/ours.jsonl') if l.strip()]
torch = [json.loads(l) for l in open(d + '/torch.jsonl') if l.strip()]
o, t = min(x['median_ms'] for x in ours), min(x['median_ms'] for x in torch)
loss_diff = abs(ours[0]['eval_loss'] - torch[0]['eval_loss'])
results.append({'batch': batch, 'seq': seq, 'deepcut_ms': o, 'torch_ms': t, 'ratio': o / t,
                'eval_loss_diff': loss_diff, 'rounds': len(ours), 'device': ours[0].get('device'), 'torch_device': torch[0].get('device')})
print(json.dumps(results))
PY
) || return 1
  done
  echo "$results" > "$WORK/timing.json"
  "$PYTHON" - "$WORK/timing.json" "${TARGET_RATIO:-1.10}" "$ENFORCE_RATIO" <<'PY'
import json, sys
rows, target, enforce = json.load(open(sys.argv[1])), float(sys.argv[2]), sys.argv[3] == '1'

for r in rows:
    print('use_lite %dx%d on %s: deepcut %.2f ms, torch %.2f ms, use_lite_vs_torch=%.3f (target <= %.2f); eval-mode loss |diff| %.1e'
          % (r['batch'], r['seq'], r['device'], r['deepcut_ms'], r['torch_ms'], r['ratio'], target, r['eval_loss_diff']))
main = rows[0]
sys.exit(0 if (main['ratio'] <= target or not enforce) and main['eval_loss_diff'] <= 1e-4 else 1)
PY
}
if timing; then stage timing ok "$(cat "$WORK/timing.json")"; else stage timing failed "$(cat "$WORK/timing.json" 2>/dev/null || echo '{}')"; fi

# ---------------------------------------------------------------- parity with transformers
parity() {
  echo "== parity: transformers classifiers vs deepcut on $DEVICE"
  "$PYTHON" -m py_compile tools/gpu/hf_models.py || return 1
  if ! "$PYTHON" -c 'import transformers' 2>/dev/null; then
    echo "transformers is not installed for $PYTHON: only syntax-checked"
    echo '{"skipped": "transformers not installed"}' > "$WORK/parity.json"
    [ "$MODE" = cpu-dry-run ] && return 0 || return 1
  fi
  local dir="$WORK/hf"
  rm -rf "$dir"
  "$PYTHON" tools/gpu/hf_models.py make --out "$dir" --device "$DEVICE" || return 1
  node dist/bench/gpu/hf-logits.js --cases "$dir/cases.json" --device "$DEVICE" --out "$dir/got.json" || return 1
  "$PYTHON" tools/gpu/hf_models.py compare --expected "$dir/expected.json" --got "$dir/got.json" --tolerance 1e-4 --out "$WORK/parity.json"
}
if parity; then stage parity ok "$(cat "$WORK/parity.json")"; else stage parity failed "$(cat "$WORK/parity.json" 2>/dev/null || echo '{}')"; fi

# ---------------------------------------------------------------- summary
"$PYTHON" - "$OUT" "$MODE" "$(( $(date +%s) - STARTED ))" <<'PY'
import glob, json, os, sys
out, mode, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3])
order = ['unpack', 'build', 'suites', 'device', 'pipeline', 'timing', 'parity']
stages = {}
for f in glob.glob(os.path.join(out, 'stages', '*.json')):
    with open(f) as fh:
        s = json.load(fh)
    stages[s['stage']] = {'status': s['status'], **s['details']} if isinstance(s['details'], dict) else {'status': s['status'], 'details': s['details']}
missing = [n for n in order if n not in stages]
ok = not missing and all(stages[n]['status'] == 'ok' for n in order)
summary = {'mode': mode, 'ok': ok, 'seconds': seconds, 'missing': missing, 'stages': {n: stages.get(n) for n in order}}
with open(os.path.join(out, 'summary.json'), 'w') as fh:
    json.dump(summary, fh, indent=2)
print('== summary (%s, %d s): %s' % (mode, seconds, 'all stages passed' if ok else 'FAILED: ' + ', '.join(n for n in order if (stages.get(n) or {}).get('status') != 'ok')))
sys.exit(0 if ok else 1)
PY
