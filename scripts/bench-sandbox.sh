#!/usr/bin/env bash
# Docker sandbox latency vs the docker CLI, against the local engine (see benches/sandbox.rs).
# Needs: a running Docker daemon, busybox-static and bash-static (.ci/apt-packages.txt).
# Usage: scripts/bench-sandbox.sh [--dev]   (--dev: skip the optimised build, for a quick look)
# Env:   BENCH_ITERS (warm exec samples, default 200), BENCH_COLD (cold samples, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
profile=()
if [[ "${1:-}" == "--dev" ]]; then
  profile=(--profile dev)
fi
if ! docker info >/dev/null 2>&1; then
  echo "bench-sandbox: no Docker daemon answers (docker info failed); start Docker first" >&2
  exit 2
fi
exec cargo bench --bench sandbox "${profile[@]}"
