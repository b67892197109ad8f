#!/usr/bin/env bash
# Streaming figures for the TUI alone (a scripted fake core, no provider): launch time to the
# first frame, and for N deltas (paced or not) how long after the fake core sent its last delta
# the end of the reply is on screen, and the CPU time the process used.
# The screen is polled under tmux every 5 ms, as in the issue's measurements.
#
# usage: scripts/tui_stream.sh [DELTAS=20000] [DELTA_MS=1]
# needs: tmux; builds examples/tui_fake_core in release.
set -euo pipefail
DELTAS=${1:-20000}
DELTA_MS=${2:-1}
cd "$(dirname "$0")/.."
cargo build --release --example tui_fake_core >/dev/null 2>&1 || cargo build --release --example tui_fake_core
BIN="${CARGO_TARGET_DIR:-target}/release/examples/tui_fake_core"
command -v tmux >/dev/null || { echo "tmux is not installed (apt-get install tmux)"; exit 1; }
WORK=$(mktemp -d)
SESSION="tui-stream-$$"
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
now_ms() { date +%s%3N; }

start=$(now_ms)
tmux new-session -d -s "$SESSION" -x 120 -y 40 \
  "FAKE_STREAM_DELTAS=$DELTAS FAKE_DELTA_MS=$DELTA_MS FAKE_FINISH_FILE=$WORK/finish HARNESS_HOME=$WORK $BIN; sleep 60"
until tmux capture-pane -p -t "$SESSION" | grep -q "Ask anything"; do sleep 0.005; done
ready=$(now_ms)
echo "first frame: $((ready - start)) ms after launch (tmux start included)"

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
echo "deltas: $DELTAS paced at ${DELTA_MS} ms (nominal stream ${sent} ms)"
echo "end of reply on screen: $((shown - finish)) ms after the fake core sent it"
echo "TUI process CPU (user+sys, whole run incl. start-up): ${cpu_ms} ms"
