#!/usr/bin/env bash
# Go's race detector reports the shipped fix: the syncmap-reset store (a
# sync.Map reset by overwriting it in place) under flood-burst flat out with
# a 5 ms clear prints "WARNING: DATA RACE" and exits 66 (halt_on_error).
#
# The detector samples: now and then the runtime's own crash of the same
# fix (status 2, "fatal error: sync: unlock of unlocked mutex", "concurrent
# map writes" or a nil-map panic: the zeroed mutex and dirty map) comes
# before any report. Such a run shows the bug, not the detector, so it is
# printed and the run is repeated, up to ATTEMPTS times; the test passes
# only on a run that ends in the race report naming the store.
# usage: race_syncmap_reset.sh FEED GOPEER_RACE [SECONDS] [ATTEMPTS]
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2 seconds=${3:-60} attempts=${4:-3}

runtime_crash='^(fatal error: (sync: unlock of unlocked mutex|concurrent map)|panic: assignment to entry in nil map)'

for attempt in $(seq 1 "$attempts"); do
  status=0
  start=$(date +%s%N)
  GORACE=halt_on_error=1 timeout $((seconds + 60)) "$feed" --profile flood-burst --flat-out -- \
    "$gopeer" --store syncmap-reset --clear 5ms --duration "${seconds}s" \
    >"$GOPEER_TMP/out" 2>"$GOPEER_TMP/err" || status=$?
  took=$(elapsed_s "$start")
  echo "attempt $attempt: status $status after ${took}s"
  if grep -q '^WARNING: DATA RACE' "$GOPEER_TMP/err"; then
    break
  fi
  crash=$(grep -m 1 -E "$runtime_crash" "$GOPEER_TMP/err" || true)
  [ "$status" -eq 2 ] && [ -n "$crash" ] ||
    fail "no race report and no crash of the fix (status $status): $(head -n 5 "$GOPEER_TMP/err")"
  echo "attempt $attempt: the runtime's crash came before a race report: $crash"
done
grep -q '^WARNING: DATA RACE' "$GOPEER_TMP/err" ||
  fail "no race report in $attempts runs (each ended in the runtime's crash instead)"
grep -q 'syncMapResetCache' "$GOPEER_TMP/err" || fail "the race report does not name the store: $(head -n 20 "$GOPEER_TMP/err")"
[ "$status" -eq 66 ] || fail "status $status, not the race detector's 66"
sed -n '/^WARNING: DATA RACE/,/^==================/p' "$GOPEER_TMP/err" | grep -E '^(Write|Read|Previous|Atomic|  main\.|WARNING)' | head -n 12
echo "PASS"
