#!/usr/bin/env bash
# The -race build of the rwmutex control reports no race: the peer's own
# engine (stream reader, barriers, counters, ticker) is race-free, so a
# report from another store is about that store.
# usage: race_rwmutex_clean.sh FEED GOPEER_RACE [SECONDS]
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2 seconds=${3:-8}

status=0
GORACE=halt_on_error=1 timeout $((seconds + 60)) "$feed" --profile flood-burst --flat-out -- \
  "$gopeer" --store rwmutex --backend bsearch --miss-cost 100us --clear 5ms --duration "${seconds}s" \
  >"$GOPEER_TMP/out" 2>"$GOPEER_TMP/err" || status=$?
requests=$(json_field "$GOPEER_TMP/out" requests summary)
echo "status $status, ${requests:-no} requests"
if grep -q 'DATA RACE' "$GOPEER_TMP/err"; then fail "a race in the control: $(head -n 30 "$GOPEER_TMP/err")"; fi
[ "$status" -eq 0 ] || fail "status $status: $(head -n 5 "$GOPEER_TMP/err")"
[ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "no requests served"
[ "$(json_field "$GOPEER_TMP/out" mismatches summary)" = 0 ] || fail "mismatches"
echo "PASS"
