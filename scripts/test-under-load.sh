#!/usr/bin/env bash
# Runs `npm test` N times in a row (default 5) while two busy loops keep both cores busy, and
# prints one line per run. The loops run in a session of their own whose scheduling priority
# (Linux autogroup nice) is the lowest, so they take every cycle the tests leave: the cores stay
# at 100% without starving the tests of their fair share. A run that finishes but does not exit
# (an open handle) is recorded as a hang and stopped. Logs: $TMPDIR/rampart-under-load-<n>.log.
set -u
runs="${1:-5}"
logdir="${TMPDIR:-/tmp}"
setsid node -e 'for(;;){}' & loop1=$!
setsid node -e 'for(;;){}' & loop2=$!
trap 'kill $loop1 $loop2 2>/dev/null' EXIT
sleep 1
for pid in $loop1 $loop2; do
  echo 19 > "/proc/$pid/autogroup" 2>/dev/null || renice -n 19 -p "$pid" >/dev/null
done
failed=0
for i in $(seq 1 "$runs"); do
  log="$logdir/rampart-under-load-$i.log"
  start=$(date +%s)
  npm test > "$log" 2>&1 &
  run=$!
  while kill -0 "$run" 2>/dev/null; do
    sleep 10
    if grep -q "Jest did not exit one second after" "$log"; then
      sleep 60
      if kill -0 "$run" 2>/dev/null; then
        echo "run $i: HANG after the tests (an open handle); stopped"
        pkill -P "$run"; kill "$run"
      fi
    fi
  done
  wait "$run"; rc=$?
  [ "$rc" = 0 ] || failed=$((failed + 1))
  echo "run $i: exit $rc in $(( $(date +%s) - start )) s; $(grep -E '^(Test Suites|Tests):' "$log" | tr -s ' ' | tr '\n' ' ')"
done
echo "$((runs - failed)) of $runs runs passed"
[ "$failed" = 0 ]
