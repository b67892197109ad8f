#!/usr/bin/env bash
# Checkpoint cost for a bash call (snapshot + diff) and for write/edit in a 10,000-file
# workspace (issue 18). Figures go to stdout; see benches/checkpoint.rs for what each means.
# Env: BENCH_FILES, BENCH_ITERS, BENCH_COLD.
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench --bench checkpoint "$@"
