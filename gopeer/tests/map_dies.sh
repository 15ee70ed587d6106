#!/usr/bin/env bash
# The Go peer's 'map' store (Zoraxy v3.1.4) dies with the Go runtime's own
# "fatal error: concurrent map ..." and exit status 2 under flood-burst,
# flat out, within a bound: up to TRIALS trials of at most SECONDS each; the
# test fails if no trial dies. The settings are 'georace repro''s
# accelerated ones (100 us per database lookup, a clear every 250 ms), with
# the binary-search backend so that the miss cost is the 100 us alone; with
# Zoraxy's full walk (~0.1 s per miss) the map dies too, but after seconds
# to minutes.
# usage: map_dies.sh FEED GOPEER [TRIALS] [SECONDS]
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2 trials=${3:-5} seconds=${4:-20}

for ((i = 1; i <= trials; i++)); do
  out=$GOPEER_TMP/out.$i err=$GOPEER_TMP/err.$i
  start=$(date +%s%N)
  status=0
  timeout $((seconds + 30)) "$feed" --profile flood-burst --flat-out --seed "$i" -- \
    "$gopeer" --store map --backend bsearch --miss-cost 100us --clear 250ms \
    --duration "${seconds}s" --progress 250ms \
    >"$out" 2>"$err" || status=$?
  took=$(elapsed_s "$start")
  message=$(grep -m 1 '^fatal error:' "$err" || true)
  echo "trial $i: status $status after ${took}s: ${message:-no fatal error}" \
       "($(json_field "$out" requests progress) requests at the last progress line)"
  if [ "$status" -eq 2 ]; then
    grep -q '^fatal error: concurrent map' "$err" || fail "status 2 without Go's map fatal error: $(head -n 3 "$err")"
    grep -q '"event":"start"' "$out" || fail "no start line on stdout"
    if grep -q '"event":"summary"' "$out"; then fail "a summary after a fatal error"; fi
    echo "PASS: the Go runtime killed the map store in trial $i"
    exit 0
  fi
  [ "$status" -eq 0 ] || fail "trial $i: unexpected status $status: $(head -n 5 "$err")"
done
fail "the map store survived $trials trials of ${seconds}s"
