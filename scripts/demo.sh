#!/usr/bin/env bash
# Sets up (installs what is missing, builds) and runs the demo. Extra arguments go to `deepcut demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node dist/src/cli/main.js demo "$@"
