#!/usr/bin/env bash
# Go's race detector reports the shipped fix: the syncmap-reset store (a
# sync.Map reset by overwriting it in place) under flood-burst flat out with
# a 5 ms clear prints "WARNING: DATA RACE" and exits 66 (halt_on_error).
# usage: race_syncmap_reset.sh FEED GOPEER_RACE [SECONDS]
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2 seconds=${3:-60}

status=0
start=$(date +%s%N)
GORACE=halt_on_error=1 timeout $((seconds + 60)) "$feed" --profile flood-burst --flat-out -- \
  "$gopeer" --store syncmap-reset --clear 5ms --duration "${seconds}s" \
  >"$GOPEER_TMP/out" 2>"$GOPEER_TMP/err" || status=$?
took=$(elapsed_s "$start")
echo "status $status after ${took}s"
grep -q '^WARNING: DATA RACE' "$GOPEER_TMP/err" || fail "no race report (status $status): $(head -n 5 "$GOPEER_TMP/err")"
grep -q 'syncMapResetCache' "$GOPEER_TMP/err" || fail "the race report does not name the store: $(head -n 20 "$GOPEER_TMP/err")"
[ "$status" -eq 66 ] || fail "status $status, not the race detector's 66"
sed -n '/^WARNING: DATA RACE/,/^==================/p' "$GOPEER_TMP/err" | grep -E '^(Write|Read|Previous|Atomic|  main\.|WARNING)' | head -n 12
echo "PASS"
