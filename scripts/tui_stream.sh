#!/usr/bin/env bash
# Streaming figures for the TUI alone (a scripted fake core, no provider): launch time to the
# first frame, and for N deltas (paced or not) how long after the fake core sent its last delta
# the end of the reply is on screen, and the CPU time the process used.
# The screen is polled under tmux every 5 ms, as in the issue's measurements.
#
# usage: scripts/tui_stream.sh [DELTAS=20000] [DELTA_MS=1] [PARAGRAPH_WORDS=0]
#   PARAGRAPH_WORDS=K ends a paragraph every K words; 0 streams one huge paragraph (worst case).
# needs: tmux; builds examples/tui_fake_core in release.
set -euo pipefail
DELTAS=${1:-20000}
DELTA_MS=${2:-1}
PARAGRAPH_WORDS=${3:-0}
cd "$(dirname "$0")/.."
cargo build --release --example tui_fake_core >/dev/null 2>&1 || cargo build --release --example tui_fake_core
BIN="${CARGO_TARGET_DIR:-target}/release/examples/tui_fake_core"
command -v tmux >/dev/null || { echo "tmux is not installed (apt-get install tmux)"; exit 1; }
WORK=$(mktemp -d)
SESSION="tui-stream-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; tmux kill-session -t "$SESSION-floor" 2>/dev/null || true; rm -rf "$WORK"' EXIT
now_ms() { date +%s%3N; }

# The floor: the same launch and polling for a shell printf.
start=$(now_ms)
tmux new-session -d -s "$SESSION-floor" -x 120 -y 40 "printf 'Ask anything\\n'; sleep 60"
until tmux capture-pane -p -t "$SESSION-floor" | grep -q "Ask anything"; do sleep 0.005; done
floor=$(( $(now_ms) - start ))

start=$(now_ms)
tmux new-session -d -s "$SESSION" -x 120 -y 40 \
  "FAKE_STREAM_DELTAS=$DELTAS FAKE_DELTA_MS=$DELTA_MS FAKE_PARAGRAPH_WORDS=$PARAGRAPH_WORDS FAKE_FINISH_FILE=$WORK/finish HARNESS_HOME=$WORK $BIN; sleep 60"
until tmux capture-pane -p -t "$SESSION" | grep -q "Ask anything"; do sleep 0.005; done
ready=$(now_ms)
echo "first frame: $((ready - start)) ms after launch; printf floor $floor ms (tmux start included in both)"

PID=$(pgrep -n -x tui_fake_core)
tmux send-keys -t "$SESSION" "go" Enter
until tmux capture-pane -p -t "$SESSION" | grep -q "THE-END"; do sleep 0.005; done
shown=$(now_ms)
until [ -s "$WORK/finish" ]; do sleep 0.005; done
finish=$(cat "$WORK/finish")
read -r utime stime < <(awk '{print $14, $15}' "/proc/$PID/stat")
ticks=$(getconf CLK_TCK)
cpu_ms=$(( (utime + stime) * 1000 / ticks ))
sent=$(( DELTAS * DELTA_MS ))
echo "deltas: $DELTAS paced at ${DELTA_MS} ms (nominal stream ${sent} ms), paragraph every ${PARAGRAPH_WORDS} words (0 = one paragraph)"
echo "end of reply on screen: $((shown - finish)) ms after the fake core sent it"
echo "process CPU (user+sys, whole run incl. start-up and the fake core): ${cpu_ms} ms"
# The UI loop runs on the main thread (named after the binary); the fake core and tokio's
# timers run on tokio-rt-worker threads.
for task in /proc/"$PID"/task/*; do
  name=$(cat "$task/comm")
  read -r tu ts < <(awk '{print $14, $15}' "$task/stat")
  echo "$name $(( (tu + ts) * 1000 / ticks ))"
done | awk '{cpu[$1]+=$2} END {for (n in cpu) printf "  thread %-16s %6d ms\n", n, cpu[n]}' 
