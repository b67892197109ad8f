#!/usr/bin/env bash
# Whole-process streaming benchmark: `harness run` against `curl -N` on the same fake stream,
# in the same run, and the ratios against the targets of issue 3:
#   short reply   : harness wall <= 1.5x curl wall
#   20,000 deltas : harness wall <= 2x curl wall, harness CPU (user+sys) <= 4x curl CPU
# Both clients write to /dev/null. The fake server (examples/fake_provider.rs, the test suite's
# fake) runs as its own process, so its CPU is not counted for either client.
#
# Usage: scripts/bench-stream.sh [FLAVOR] [RUNS]     (default: openai 20)
# Env:   CARGO_TARGET_DIR is honoured; SKIP_BUILD=1 reuses the last release build.
set -euo pipefail

flavor="${1:-openai}"
runs="${2:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
key="sk-fake-test-key-0123456789abcdef"

command -v curl >/dev/null || { echo "bench-stream: curl is required (apt-get install curl)" >&2; exit 2; }

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && cargo build --release --quiet --bin harness --example fake_provider)
fi
harness="$target/release/harness"
fake="$target/release/examples/fake_provider"

work="$(mktemp -d)"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# start_fake NAME DELTAS -> sets ${NAME}_base and ${NAME}_chat
start_fake() {
    local name="$1" deltas="$2" out="$work/$1.url"
    "$fake" "$flavor" "$deltas" >"$out" 2>"$work/$1.err" &
    pids+=("$!")
    for _ in $(seq 100); do
        [[ -s "$out" ]] && break
        sleep 0.05
    done
    [[ -s "$out" ]] || { echo "bench-stream: fake server did not start: $(cat "$work/$1.err")" >&2; exit 1; }
    read -r base chat <"$out"
    printf -v "${name}_base" '%s' "$base"
    printf -v "${name}_chat" '%s' "$chat"
}

start_fake short 12
start_fake many 20000

mkdir -p "$work/home"
auth_line='api_key = "'"$key"'"'
[[ "$flavor" == ollama ]] && auth_line=''
cat >"$work/home/config.toml" <<EOF
[providers.short]
kind = "$flavor"
base_url = "$short_base"
$auth_line

[providers.many]
kind = "$flavor"
base_url = "$many_base"
$auth_line
EOF

case "$flavor" in
    anthropic) auth=(-H "x-api-key: $key" -H "anthropic-version: 2023-06-01");
               body='{"model":"fake-model","max_tokens":8192,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true}' ;;
    ollama)    auth=();
               body='{"model":"fake-model","messages":[{"role":"user","content":"hi"}],"stream":true,"options":{"num_ctx":8192}}' ;;
    *)         auth=(-H "authorization: Bearer $key");
               body='{"model":"fake-model","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}}' ;;
esac

export HARNESS_HOME="$work/home"
# The config pins num_ctx for Ollama so both clients make exactly one request.
if [[ "$flavor" == ollama ]]; then
    sed -i 's/^kind = "ollama"$/kind = "ollama"\ncontext_window = 8192/' "$work/home/config.toml"
fi

run_curl() { curl -sN -X POST "$1" -H 'content-type: application/json' "${auth[@]}" --data "$body" >/dev/null; }
run_harness() { "$harness" run -m "$1/fake-model" hi >/dev/null 2>"$work/harness.err" || { cat "$work/harness.err" >&2; exit 1; }; }

# measure OUTVAR RUNS CMD... : total wall, user, sys seconds of RUNS sequential runs.
measure() {
    local __out="$1" n="$2"; shift 2
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time (for ((i = 0; i < n; i++)); do "$@"; done); } 2>&1 )
    printf -v "$__out" '%s' "$t"
}

# Warm up (page cache, connection setup code paths).
for _ in 1 2 3; do run_curl "$short_chat"; run_harness short; done

many_runs=$(( runs / 4 > 3 ? runs / 4 : 3 ))
measure c_short "$runs" run_curl "$short_chat"
measure h_short "$runs" run_harness short
measure c_many "$many_runs" run_curl "$many_chat"
measure h_many "$many_runs" run_harness many

report() {
    awk -v name="$1" -v n="$2" -v c="$3" -v h="$4" -v wall_target="$5" -v cpu_target="$6" 'BEGIN {
        split(c, cc, " "); split(h, hh, " ");
        cw = cc[1] / n * 1000; hw = hh[1] / n * 1000;
        ccpu = (cc[2] + cc[3]) / n * 1000; hcpu = (hh[2] + hh[3]) / n * 1000;
        wr = hw / cw; cr = (ccpu > 0) ? hcpu / ccpu : 0;
        printf "%-14s curl %7.2f ms wall %7.2f ms cpu | harness %7.2f ms wall %7.2f ms cpu | wall %.2fx (target <= %.1fx) %s",
            name, cw, ccpu, hw, hcpu, wr, wall_target, (wr <= wall_target ? "OK" : "MISSED");
        if (cpu_target > 0) printf " | cpu %.2fx (target <= %.1fx) %s", cr, cpu_target, (cr <= cpu_target ? "OK" : "MISSED");
        printf "\n";
    }'
}

echo "flavour: $flavor, runs: $runs short / $many_runs x 20,000 deltas (means per run)"
report "short reply" "$runs" "$c_short" "$h_short" 1.5 0
report "20k deltas" "$many_runs" "$c_many" "$h_many" 2.0 4.0
