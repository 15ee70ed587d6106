#!/usr/bin/env bash
# ci/stress-campaign.sh, the script the CI workflow calls, run locally with a
# short duration: every (variant, shard) job runs, the merge holds trials of
# every variant from every shard, the report is written, the exit status is 0.
set -u
georace=$1 src=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bash "$src/ci/stress-campaign.sh" run -b "$georace" -o "$out" -d 2s -n 2 -v "gomap mutex" \
  -p flood-burst -r 0 -T 1s -t 2 >"$out/log" 2>&1 || { echo "FAIL: campaign exited $?"; tail -30 "$out/log"; exit 1; }
for v in gomap mutex; do
  for i in 0 1; do
    grep -q "\"type\":\"job\",\"variant\":\"$v\".*\"shard\":\"$i/2\"" "$out/all.jsonl" ||
      { echo "FAIL: no job header for $v shard $i in the merge"; exit 1; }
  done
  grep -q "\"type\":\"trial\",\"variant\":\"$v\"" "$out/all.jsonl" || { echo "FAIL: no $v trial"; exit 1; }
done
[ -s "$out/report/report.md" ] || { echo "FAIL: no report"; exit 1; }
grep -q '| gomap |' "$out/report/report.md" || { echo "FAIL: report lacks gomap"; exit 1; }
# cells at once (-j) with options passed through (-X): both shards ran with
# them, are merged, and the options are part of the campaign's identity
rm -rf "${out:?}"/*
bash "$src/ci/stress-campaign.sh" run -b "$georace" -o "$out" -N 2 -n 2 -v mutex -p flood-burst \
  -r 0 -T 1s -t 2 -j 2 -X "--cache-clear 0 --miss-cost 10us" >"$out/log" 2>&1 ||
  { echo "FAIL: parallel campaign exited $?"; tail -30 "$out/log"; exit 1; }
[ "$(grep -c '"type":"trial","variant":"mutex"' "$out/all.jsonl")" -eq 2 ] ||
  { echo "FAIL: the parallel campaign did not merge one trial from each shard"; exit 1; }
grep -q '"miss_cost_ns":10000' "$out/all.jsonl" || { echo "FAIL: -X options did not reach the jobs"; exit 1; }
grep -q 'extra=--cache-clear 0 --miss-cost 10us' "$out/mutex-shard1.status" ||
  { echo "FAIL: -X is not part of the campaign's identity"; exit 1; }
echo "PASS: campaign of 4 jobs merged and reported; 2 cells at once with passed options"
