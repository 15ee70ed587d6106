#!/usr/bin/env bash
# An accelerated gomap stress must record at least one failure carrying Go's
# fatal message, with exit status 2, in its JSON lines.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$georace" stress --variant gomap --profile flood-burst --threads 4 --rate 0 --trials 3 \
  --trial-duration 10s --cache-clear 250ms --expect fail --out "$out/r.jsonl" || {
  echo "FAIL: georace stress --expect fail exited $?"; exit 1; }
grep -q '"type":"trial".*"outcome":"fatal".*"exit_status":2.*"message":"fatal error: concurrent map' \
  "$out/r.jsonl" || { echo "FAIL: no trial with Go's fatal error recorded"; cat "$out/r.jsonl"; exit 1; }
n=$(grep -c '"type":"trial"' "$out/r.jsonl")
[ "$n" -eq 3 ] || { echo "FAIL: expected 3 trial records, found $n"; exit 1; }
echo "PASS: $(grep -c '"outcome":"fatal"' "$out/r.jsonl")/3 trials died with Go's fatal error"
