#!/usr/bin/env bash
# Whole-binary TUI figures for issue 5, under tmux with the screen polled every 5 ms:
#   - start-up to first frame with a database of 1,000 conversations x 100 messages
#   - `--continue` into a 10,000-message conversation: the last message on screen
#   - peak RSS (VmHWM) with that conversation open
# each next to the floor: the same launch and polling of a shell `printf`.
# Usage: scripts/tui-startup.sh   Env: RUNS (default 5; medians), CARGO_TARGET_DIR honoured; SKIP_BUILD=1 reuses the build.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
command -v tmux >/dev/null || { echo "tui-startup: tmux is required (apt-get install tmux)" >&2; exit 2; }
if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
    (cd "$root" && cargo build --release --quiet --bin harness)
fi
harness="$target/release/harness"
work="$(mktemp -d)"
session="tui-startup-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; tmux kill-session -t "$session-floor" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/ws"
printf '[sandbox]\nbackend = "host"\n' >"$work/home/config.toml"

# The database, written with the schema the binary embeds (its migrations, in order).
python3 - "$work/home/harness.db" "$root/migrations" <<'PY'
import sqlite3, sys, uuid, glob, time
db, migrations = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(db)
for i, path in enumerate(sorted(glob.glob(f"{migrations}/*.sql")), 1):
    conn.executescript(open(path).read())
    conn.execute(f"PRAGMA user_version = {i}")
words = "the parser splits each line into fields and the router sends it to the model".split()
now = int(time.time() * 1000) - 10_000_000
def text(i, n): return " ".join(words[(i + j) % len(words)] for j in range(n))
def conversation(cid, title, count, t0, last_text):
    conn.execute("INSERT INTO conversations (id, title, agent, created_at, updated_at) VALUES (?, ?, 'general', ?, ?)", (cid, title, t0, t0))
    rows = []
    for m in range(count):
        body = last_text if m == count - 1 else text(m, 40)
        rows.append((str(uuid.uuid4()), cid, m + 1, "user" if m % 2 == 0 else "assistant", body, "complete", t0 + m))
    conn.executemany("INSERT INTO messages (id, conversation_id, ordinal, role, content, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
for c in range(1000):
    conversation(str(uuid.uuid4()), f"conversation {c}", 100, now + c * 1000, text(c, 20))
conversation(str(uuid.uuid4()), "the long one", 10_000, now + 5_000_000, "THE-LAST-MESSAGE of the long conversation")
conn.commit()
PY
chmod 600 "$work/home/harness.db"

now_ms() { date +%s%3N; }
wait_for() { until tmux capture-pane -p -t "$1" 2>/dev/null | grep -q "$2"; do sleep 0.005; done; }

floor() {
    local start
    start=$(now_ms)
    tmux new-session -d -s "$session-floor" -x 200 -y 50 "printf 'Ask anything\\n'; sleep 60"
    wait_for "$session-floor" "Ask anything"
    echo $(( $(now_ms) - start ))
    tmux kill-session -t "$session-floor"
}

launch() {
    local args="$1" needle="$2" start
    start=$(now_ms)
    tmux new-session -d -s "$session" -x 200 -y 50 "cd $work/ws && HARNESS_HOME=$work/home $harness $args; sleep 60"
    wait_for "$session" "$needle"
    echo $(( $(now_ms) - start ))
}

for _ in 1 2; do floor >/dev/null; launch "" "Ask anything" >/dev/null; tmux kill-session -t "$session"; done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2)}'; }
runs="${RUNS:-5}"
: >"$work/first" ; : >"$work/cont" ; : >"$work/rss"
for _ in $(seq "$runs"); do
    f1=$(floor)
    t1=$(launch "" "Ask anything")
    tmux kill-session -t "$session"
    echo "$((t1 - f1))" >>"$work/first"
    f2=$(floor)
    t2=$(launch "--continue" "THE-LAST-MESSAGE")
    pid=$(pgrep -n -x harness)
    sleep 0.5
    awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$pid/status" >>"$work/rss"
    tmux kill-session -t "$session"
    echo "$((t2 - f2))" >>"$work/cont"
done
echo "medians of $runs runs (each against a printf floor launched just before it; 5 ms polling):"
echo "start-up, 1,000 conversations: first frame +$(median <"$work/first") ms over the floor (all: $(sort -n "$work/first" | tr '\n' ' ')) (target <= +4 ms)"
echo "--continue into 10,000 messages: last message on screen +$(median <"$work/cont") ms over the floor (all: $(sort -n "$work/cont" | tr '\n' ' ')) (target <= +10 ms)"
echo "peak RSS with the 10,000-message conversation open: $(median <"$work/rss") MiB (all: $(sort -n "$work/rss" | tr '\n' ' ')) (target <= 24 MiB)"
