#!/usr/bin/env bash
# Two shards of a campaign, merged, hold exactly the unsharded run's trials
# (same variants and seeds), and merging a duplicate part changes nothing.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
common=(stress --variant mutex --profile flood-burst --threads 2 --rate 0 --seed-range 40-43
        --trial-duration 300ms --cache-clear 100ms)
"$georace" "${common[@]}" --out "$out/all.jsonl" >/dev/null || { echo "FAIL: unsharded run"; exit 1; }
"$georace" "${common[@]}" --shard 0/2 --out "$out/s0.jsonl" >/dev/null || { echo "FAIL: shard 0"; exit 1; }
"$georace" "${common[@]}" --shard 1/2 --out "$out/s1.jsonl" >/dev/null || { echo "FAIL: shard 1"; exit 1; }
"$georace" report merge "$out/s0.jsonl" "$out/s1.jsonl" "$out/s0.jsonl" -o "$out/merged.jsonl" ||
  { echo "FAIL: merge"; exit 1; }
keys() { grep '"type":"trial"' "$1" | grep -o '"variant":"[^"]*","profile":"[^"]*","via":"[^"]*","seed":[0-9]*' | sort; }
keys "$out/all.jsonl" >"$out/a"
keys "$out/merged.jsonl" >"$out/m"
[ "$(wc -l <"$out/a")" -eq 4 ] || { echo "FAIL: unsharded run has $(wc -l <"$out/a") trials, not 4"; exit 1; }
diff "$out/a" "$out/m" || { echo "FAIL: merged shards differ from the unsharded trial set"; exit 1; }
s0=$(keys "$out/s0.jsonl"); s1=$(keys "$out/s1.jsonl")
[ -z "$(comm -12 <(echo "$s0") <(echo "$s1"))" ] || { echo "FAIL: shards overlap"; exit 1; }
[ "$(grep -c '"type":"job"' "$out/merged.jsonl")" -eq 2 ] || { echo "FAIL: job headers not kept"; exit 1; }
echo "PASS: 2 shards merged = unsharded set of 4 trials"
