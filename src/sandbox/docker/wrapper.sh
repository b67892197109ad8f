# harness exec wrapper: runs one tool command inside the sandbox container and makes sure nothing
# it started outlives the call. Run as: sh -c "$WRAPPER" harness-exec NONCE TIMEOUT_SECS COMMAND
# with HARNESS_EXEC=NONCE in the environment (inherited by everything the command starts).
# A COMMAND too long for one argument comes on stdin instead: COMMAND is empty and $4 is "stdin"
# (it then runs from a private file in /tmp).
# Only shell builtins on the common path: every fork here is latency on every tool call.
# Status goes to this script's stderr (the command's stderr is merged into stdout):
#   HARNESS-START NONCE OOM_BEFORE             before the command starts
#   HARNESS-TIMEOUT NONCE                      when the timeout fired
#   HARNESS-STATUS NONCE EXIT OOM_BEFORE OOM_AFTER   last line, always
n=$1 t=$2 c=$3
cf=
if [ "$4" = stdin ]; then
  # Still too long to pass on to the shell as an argument: run it from a file.
  cf=/tmp/.harness-cmd-$n
  (umask 077 && cat > "$cf") || exit 126
  c=". $cf"
fi

# Count of OOM kills in this container's memory cgroup (v2, then v1); 0 when unreadable.
oom_read() {
  o=0
  for f in /sys/fs/cgroup/memory.events /sys/fs/cgroup/memory/memory.oom_control; do
    if [ -r "$f" ]; then
      while read -r k v; do
        if [ "$k" = oom_kill ]; then o=$v; fi
      done < "$f"
      return
    fi
  done
}

# Pids that existed before the command (init, the keeper, other calls): never ours to kill.
pre=" "
for d in /proc/[0-9]*; do pre="$pre${d#/proc/} "; done

# Kill the command's process group, then every process that carries this call's marker or sits in
# the command's session, a few rounds to catch forks in flight. $1 = a pid to spare (the caller).
rp=') '
reap() {
  kill -KILL -- "-$p" 2>/dev/null
  r=0
  while [ $r -lt 5 ]; do
    r=$((r + 1)) k=0
    for d in /proc/[0-9]*; do
      q=${d#/proc/}
      case "$pre" in *" $q "*) continue ;; esac
      if [ "$q" = "$$" ] || [ "$q" = "$1" ]; then continue; fi
      s=
      if { read -r l < "$d/stat"; } 2>/dev/null; then
        set -- "$1" ${l##*"$rp"}
        s=$5
      fi
      if [ "$s" = "$p" ] || grep -qs "HARNESS_EXEC=$n" "$d/environ"; then
        kill -KILL "$q" 2>/dev/null && k=1
      fi
    done
    [ $k = 0 ] && return
  done
}

if command -v bash >/dev/null 2>&1; then sh=bash; else sh=sh; fi
if command -v setsid >/dev/null 2>&1; then ss=setsid; else ss=; fi

oom_read
o1=$o
echo "HARNESS-START $n $o1" >&2
$ss $sh -c "$c" </dev/null 2>&1 &
p=$!

# The watchdog. TERM (the command finished first) can land between forking the sleep and z=$!;
# the trap must not wait then (`wait ""` waits for every child), and the final reap below
# kills a sleep left that way.
(
  z=
  trap 'if [ -n "$z" ]; then kill "$z" 2>/dev/null; fi; exit 0' TERM
  sleep "$t" &
  z=$!
  if wait "$z"; then
    read -r me _ < /proc/self/stat
    echo "HARNESS-TIMEOUT $n" >&2
    reap "$me"
  fi
) &
w=$!

wait "$p"
rc=$?
kill "$w" 2>/dev/null
wait "$w"
reap ""
if [ -n "$cf" ]; then rm -f "$cf"; fi
oom_read
echo "HARNESS-STATUS $n $rc $o1 $o" >&2
