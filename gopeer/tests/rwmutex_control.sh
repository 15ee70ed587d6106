#!/usr/bin/env bash
# The rwmutex control never fails: it exits 0 with requests served and zero
# mismatches under flood-burst flat out with a 10 ms clear - at the
# accelerated settings under which the map store dies (binary search plus
# 100 us per miss) and with Zoraxy's full walk - and under zoraxy-home paced
# at 1000 requests/s (returning visitors who hit the cache, reserved and
# IPv6 clients); a stream that ends is answered in full.
# usage: rwmutex_control.sh FEED GOPEER [SECONDS]
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2 seconds=${3:-5}

run() { # name, feed options..., then -- gopeer options
  local name=$1
  shift
  local status=0
  timeout $((seconds + 60)) "$feed" "$@" >"$GOPEER_TMP/$name.out" 2>"$GOPEER_TMP/$name.err" || status=$?
  local out=$GOPEER_TMP/$name.out
  local requests mismatches hits
  requests=$(json_field "$out" requests summary)
  mismatches=$(json_field "$out" mismatches summary)
  hits=$(json_field "$out" hits summary)
  echo "$name: status $status, $requests requests, $hits hits, $mismatches mismatches, $(json_field "$out" req_per_s summary) req/s"
  [ "$status" -eq 0 ] || fail "$name: status $status: $(head -n 5 "$GOPEER_TMP/$name.err")"
  [ -n "$requests" ] && [ "$requests" -gt 0 ] || fail "$name: no requests served"
  [ "$mismatches" = 0 ] || fail "$name: $mismatches mismatches"
  [ -s "$GOPEER_TMP/$name.err" ] && fail "$name: stderr not empty: $(head -n 3 "$GOPEER_TMP/$name.err")"
  return 0
}

run flood-burst --profile flood-burst --flat-out -- \
  "$gopeer" --store rwmutex --backend bsearch --miss-cost 100us --clear 10ms --duration "${seconds}s"
run flood-burst-walk --profile flood-burst --flat-out -- \
  "$gopeer" --store rwmutex --clear 10ms --duration "${seconds}s"
run zoraxy-home --profile zoraxy-home --rate 1000 -- \
  "$gopeer" --store rwmutex --backend bsearch --clear 100ms --duration "${seconds}s"
hits=$(json_field "$GOPEER_TMP/zoraxy-home.out" hits summary)
[ "$hits" -gt 0 ] || fail "zoraxy-home: no cache hit (returning visitors should hit)"

# Without --duration the peer answers every request of the stream, then ends.
written=$(($("$feed" --profile zoraxy-home --rate 2000 --requests 3000 --text | wc -l) - 1))
run zoraxy-home-eof --profile zoraxy-home --rate 2000 --requests 3000 -- \
  "$gopeer" --store rwmutex --backend bsearch --clear 100ms
grep -q '"end":"eof"' "$GOPEER_TMP/zoraxy-home-eof.out" || fail "the end of the stream did not end the run"
answered=$(json_field "$GOPEER_TMP/zoraxy-home-eof.out" requests summary)
[ "$answered" = "$written" ] || fail "$written requests written, $answered answered"
echo "PASS"
