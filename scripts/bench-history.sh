#!/usr/bin/env bash
# Whole-process benchmark for issue 4: send one more message on a 2,000-message conversation
# (about 730 KB of history) with `harness run --conversation ID`, against `curl` posting a
# request body of the same size to the same fake server, in the same run.
#   target: harness wall <= 1.5x curl wall + a few ms
# The conversation is created once by `harness history import` of a generated export; every
# timed harness run loads it from the store (one indexed query), rebuilds the request and
# streams a short reply. Both clients write to /dev/null.
# Usage: scripts/bench-history.sh [RUNS]     (default 20)
# Env:   CARGO_TARGET_DIR is honoured; SKIP_BUILD=1 reuses the last release build.
set -euo pipefail

runs="${1:-20}"
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
key="sk-fake-test-key-0123456789abcdef"

command -v curl >/dev/null || { echo "bench-history: curl is required (apt-get install curl)" >&2; exit 2; }
command -v python3 >/dev/null || { echo "bench-history: python3 is required" >&2; exit 2; }

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

"$fake" openai 12 >"$work/url" 2>"$work/fake.err" &
pids+=("$!")
for _ in $(seq 100); do [[ -s "$work/url" ]] && break; sleep 0.05; done
[[ -s "$work/url" ]] || { echo "bench-history: fake server did not start: $(cat "$work/fake.err")" >&2; exit 1; }
read -r base chat <"$work/url"

mkdir -p "$work/home" "$work/ws"
cat >"$work/home/config.toml" <<EOF
default_model = "fake/fake-model"
[providers.fake]
kind = "openai"
base_url = "$base"
api_key = "$key"
# Large enough that the 2,000 messages never trigger auto-compaction: every run sends them all.
context_window = 1000000
[sandbox]
backend = "host"
EOF
export HARNESS_HOME="$work/home"

# A 2,000-message conversation (~340 bytes a message) as an export file, and a curl body that
# carries the same history.
python3 - "$work" <<'PY'
import json, sys, uuid, datetime
work = sys.argv[1]
words = "the parser splits each line into fields and the router sends it to the model".split()
now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
conv = str(uuid.uuid4())
msgs = []
for i in range(2000):
    text = " ".join(words[(i + j) % len(words)] for j in range(66))
    msgs.append({
        "id": str(uuid.uuid4()), "conversation_id": conv, "ordinal": i + 1,
        "role": "user" if i % 2 == 0 else "assistant", "content": text, "reasoning": None,
        "tool_calls": [], "tool_call_id": None, "is_error": False, "model": None, "provider": None,
        "agent": None, "route_reason": None, "status": "complete", "input_tokens": None,
        "output_tokens": None, "cost_usd": None, "summary_through": None, "created_at": now,
    })
doc = {"format": "harness.conversation", "version": 1, "id": conv, "title": "bench", "agent": "general",
       "model": None, "created_at": now, "updated_at": now, "messages": msgs}
json.dump(doc, open(f"{work}/export.json", "w"))
body = {"model": "fake-model", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": "You are harness." * 100}]
        + [{"role": m["role"], "content": m["content"]} for m in msgs]
        + [{"role": "user", "content": "one more"}]}
json.dump(body, open(f"{work}/body.json", "w"))
print(f"history: {sum(len(m['content']) for m in msgs) / 1000:.0f} KB in 2,000 messages; "
      f"curl request body {len(json.dumps(body)) / 1000:.0f} KB")
PY
id=$("$harness" history import "$work/export.json" | awk '{print $2}')

run_curl() { curl -sN -X POST "$chat" -H 'content-type: application/json' -H "authorization: Bearer $key" --data-binary @"$work/body.json" >/dev/null; }
run_harness() { (cd "$work/ws" && "$harness" run --conversation "$id" "one more" >/dev/null 2>"$work/harness.err") || { cat "$work/harness.err" >&2; exit 1; }; }

measure() {
    local __out="$1" n="$2"; shift 2
    local t
    t=$( { TIMEFORMAT='%R %U %S'; time (for ((i = 0; i < n; i++)); do "$@"; done); } 2>&1 )
    printf -v "$__out" '%s' "$t"
}

for _ in 1 2 3; do run_curl; run_harness; done
measure c "$runs" run_curl
measure h "$runs" run_harness
# Like for like: no run may have compacted the history (a summary row would shorten the request).
if "$harness" history show "$id" --json 2>/dev/null | grep -q '"role": *"summary"'; then
    echo "bench-history: the conversation was compacted during the runs; the figures are not comparable" >&2
    exit 1
fi

awk -v n="$runs" -v c="$c" -v h="$h" 'BEGIN {
    split(c, cc, " "); split(h, hh, " ");
    cw = cc[1] / n * 1000; hw = hh[1] / n * 1000;
    ccpu = (cc[2] + cc[3]) / n * 1000; hcpu = (hh[2] + hh[3]) / n * 1000;
    printf "one more message on 2,000: curl %.1f ms wall %.1f ms cpu | harness %.1f ms wall %.1f ms cpu | %.2fx curl, %+.1f ms over 1.5x curl (target <= 1.5x + a few ms) %s\n",
        cw, ccpu, hw, hcpu, hw / cw, hw - 1.5 * cw, (hw <= 1.5 * cw + 5 ? "OK" : "MISSED");
}'
