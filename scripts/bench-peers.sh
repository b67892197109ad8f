#!/usr/bin/env bash
# Issue 19: harness's whole-process figures next to peer programs the user points it at (aichat,
# others; no peer code or binary is in this repository), every figure in the same run, medians
# of RUNS samples, printed with ratios to harness and to the floor:
#   - TUI start-up: launch in tmux until the first non-blank screen (floor: a shell `printf`)
#   - one-shot request on a 2,000-message history against the fake provider: wall time and
#     peak RSS (floor: `curl` posting the same body)
# Usage:
#   scripts/bench-peers.sh [RUNS] [--tui NAME='COMMAND'] [--oneshot NAME='COMMAND'] ...
# COMMAND is run by `sh -c`; in --oneshot commands {base} is the fake server's OpenAI base URL
# (http://127.0.0.1:PORT/v1), {key} its API key, {body} a JSON file holding the same 2,000-message
# request harness sends, and {prompt} the last user message. For example:
#   scripts/bench-peers.sh 20 --tui aichat='aichat' \
#     --oneshot aichat='OPENAI_API_BASE={base} OPENAI_API_KEY={key} aichat -m openai:fake-model {prompt}'
# (a peer that cannot take a 2,000-message history on its command line measures a short prompt;
# say so when quoting the figure). Env: CARGO_TARGET_DIR honoured; SKIP_BUILD=1 reuses the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
runs=10
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then runs="$1"; shift; fi
tuis=() oneshots=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --tui) tuis+=("$2"); shift 2 ;;
        --oneshot) oneshots+=("$2"); shift 2 ;;
        *) echo "bench-peers: unknown argument $1 (see the usage at the top of the script)" >&2; exit 2 ;;
    esac
done
for tool in tmux curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-peers: $tool is required" >&2; exit 2; }
done
[[ -x /usr/bin/time ]] || { echo "bench-peers: GNU time is required (apt-get install time)" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && cargo build --release --quiet --bin harness --example fake_provider)
fi
harness="$target/release/harness"
fake="$target/release/examples/fake_provider"
key="sk-fake-test-key-0123456789abcdef"
work="$(mktemp -d)"
fake_pid=""
trap '[[ -n "$fake_pid" ]] && kill "$fake_pid" 2>/dev/null; rm -rf "$work"' EXIT
"$fake" openai 12 >"$work/url" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 100); do [[ -s "$work/url" ]] && break; sleep 0.05; done
[[ -s "$work/url" ]] || { echo "bench-peers: fake server did not start: $(cat "$work/fake.err")" >&2; exit 1; }
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

python3 - "$root" "$work" "$runs" "$harness" "$base" "$chat" "$key" "${#tuis[@]}" "${tuis[@]}" "${oneshots[@]}" <<'PY'
import json, os, shlex, statistics, subprocess, sys, time, uuid, datetime
root, work, runs, harness, base, chat, key, ntui = sys.argv[1:9]
runs, ntui = int(runs), int(ntui)
rest = sys.argv[9:]
tuis = [a.split("=", 1) for a in rest[:ntui]]
oneshots = [a.split("=", 1) for a in rest[ntui:]]
home = f"{work}/home"
env = dict(os.environ, HARNESS_HOME=home, NO_COLOR="1")

# The 2,000-message history: imported into harness, and the same request body for curl/peers.
words = "the parser splits each line into fields and the router sends it to the model".split()
now = datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")
conv, msgs = str(uuid.uuid4()), []
for i in range(2000):
    msgs.append({"id": str(uuid.uuid4()), "conversation_id": conv, "ordinal": i + 1,
        "role": "user" if i % 2 == 0 else "assistant",
        "content": " ".join(words[(i + j) % len(words)] for j in range(66)), "reasoning": None,
        "tool_calls": [], "tool_call_id": None, "is_error": False, "model": None, "provider": None,
        "agent": None, "route_reason": None, "status": "complete", "input_tokens": None,
        "output_tokens": None, "cost_usd": None, "summary_through": None, "created_at": now})
json.dump({"format": "harness.conversation", "version": 1, "id": conv, "title": "bench",
    "agent": "general", "model": None, "created_at": now, "updated_at": now, "messages": msgs},
    open(f"{work}/export.json", "w"))
body = {"model": "fake-model", "stream": True,
        "messages": [{"role": m["role"], "content": m["content"]} for m in msgs]
        + [{"role": "user", "content": "one more"}]}
json.dump(body, open(f"{work}/body.json", "w"))
subprocess.run([harness, "history", "import", f"{work}/export.json"], env=env, check=True,
               stdout=subprocess.DEVNULL)

def wall_and_rss(command):
    """Wall ms and peak RSS (MiB) of `sh -c command`, its children included. The RSS comes from
    GNU time: a child spawned straight from Python shares Python's pages until it execs, and
    its ru_maxrss never reads below Python's own RSS (~18 MiB)."""
    rss_file = f"{work}/rss"
    start = time.perf_counter()
    pid = os.posix_spawn("/usr/bin/time", ["time", "-o", rss_file, "-f", "%M", "sh", "-c",
                                           command + " >/dev/null 2>&1"], env)
    _, status, _ = os.wait4(pid, 0)
    wall = (time.perf_counter() - start) * 1000
    if status != 0:
        sys.exit(f"bench-peers: `{command}` failed (status {status})")
    return wall, int(open(rss_file).read().split()[-1]) / 1024

def first_frame(command, needle=None):
    """ms from launching `command` in tmux until the screen shows something (or `needle`)."""
    session = f"peers-{uuid.uuid4().hex[:12]}"
    start = time.perf_counter()
    subprocess.run(["tmux", "-L", session, "new-session", "-d", "-s", session, "-x", "200",
                    "-y", "50", f"cd {work}/ws && {command}; sleep 60"], env=env, check=True)
    try:
        while True:
            screen = subprocess.run(["tmux", "-L", session, "capture-pane", "-p", "-t", session],
                                    capture_output=True, text=True).stdout
            if (needle in screen) if needle else screen.strip():
                return (time.perf_counter() - start) * 1000
            if time.perf_counter() - start > 30:
                sys.exit(f"bench-peers: `{command}` drew nothing in 30 s")
            time.sleep(0.005)
    finally:
        subprocess.run(["tmux", "-L", session, "kill-server"], capture_output=True)

def fill(template):
    return (template.replace("{base}", base).replace("{key}", key)
            .replace("{body}", f"{work}/body.json").replace("{prompt}", shlex.quote("one more")))

def med(samples):
    return statistics.median(samples)

# TUI start-up: interleaved so machine load hits every program alike.
programs = [("harness", shlex.quote(harness))] + [(n, c) for n, c in tuis]
frames = {name: [] for name, _ in programs}
floor = []
for i in range(runs + 1):
    f = first_frame("printf 'Ask anything\\n'", "Ask anything")
    got = {name: first_frame(cmd) for name, cmd in programs}
    if i == 0:
        continue  # warm-up: page cache, tmux server
    floor.append(f)
    for name in got:
        frames[name].append(got[name])
print(f"TUI first frame, median of {runs} (floor: printf in tmux {med(floor):.1f} ms):")
h = med(frames["harness"])
for name, _ in programs:
    m = med(frames[name])
    print(f"  {name:<12} {m:7.1f} ms  +{m - med(floor):5.1f} ms over the floor  {m / h:5.2f}x harness")

# One-shot request on the 2,000-message history.
shots = [("curl (floor)", f"curl -sN -X POST {chat} -H 'content-type: application/json' "
          f"-H 'authorization: Bearer {key}' --data-binary @{work}/body.json"),
         ("harness", f"cd {work}/ws && {shlex.quote(harness)} run -c 'one more'")]
shots += [(n, fill(c)) for n, c in oneshots]
results = {name: [] for name, _ in shots}
for i in range(runs + 1):
    for name, cmd in shots:
        sample = wall_and_rss(cmd)
        if i > 0:
            results[name].append(sample)
print(f"one more message on a 2,000-message history, median of {runs}:")
cw = med([w for w, _ in results["curl (floor)"]])
hw = med([w for w, _ in results["harness"]])
for name, _ in shots:
    w = med([s[0] for s in results[name]])
    r = med([s[1] for s in results[name]])
    print(f"  {name:<12} {w:7.1f} ms  {w / cw:5.2f}x curl  {w / hw:5.2f}x harness  peak RSS {r:5.1f} MiB")
# Like for like: no run may have compacted the history (a summary row shortens the request).
shown = subprocess.run([harness, "history", "show", conv, "--json"], env=env,
                       capture_output=True, text=True).stdout
if '"role": "summary"' in shown.replace('":"', '": "'):
    sys.exit("bench-peers: the conversation was compacted during the runs; not comparable")
PY
