#!/usr/bin/env bash
# Sets up (installs what is missing, builds) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
# The report's browser test needs Debian's chromium (never a downloaded browser).
DEEPCUT_WITH_BROWSER=1 bash scripts/setup.sh
node --expose-gc --test --test-concurrency=1 dist/test/
