#!/usr/bin/env bash
# ci/stress-campaign.sh's merge names every cell it cannot count and fails:
# a job stopped by SIGTERM (exit 143), a job killed outright (status still
# "running"), a missing cell, a cell of another campaign; files of another
# campaign in the folder are left out, not merged. A cell re-run with the
# same seed range runs the same trials, and 'report merge' skips a torn last
# line instead of giving up on the whole merge.
set -u
georace=$1 src=$2
out=$(mktemp -d)
child=
trap '[ -n "$child" ] && kill -KILL "$child" 2>/dev/null; rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; [ -f "$out/merge.log" ] && cat "$out/merge.log"; exit 1; }
campaign() { bash "$src/ci/stress-campaign.sh" "$@" -b "$georace" -o "$out" -S 20-23 -n 2 \
  -v "mutex sharded" -p flood-burst -r 0 -T 300ms -t 2; }
trials() { grep '"type":"trial"' "$1" | grep -o '"variant":"[^"]*","profile":"[^"]*","via":"[^"]*","seed":[0-9]*' | sort; }

campaign run >"$out/run.log" 2>&1 || { cat "$out/run.log"; fail "a healthy campaign exited $?"; }
[ "$(trials "$out/all.jsonl" | wc -l)" -eq 8 ] || fail "2 variants x seeds 20-23 should give 8 trials"

# Re-running a cell with the same options runs the same trials.
trials "$out/mutex-shard1.jsonl" >"$out/before"
campaign job mutex 1 >/dev/null 2>&1 || fail "re-running cell mutex 1 failed"
trials "$out/mutex-shard1.jsonl" | diff "$out/before" - || fail "a re-run cell ran other trials"

# A job stopped by SIGTERM while its trial runs records 143, and the merge
# names it. Trials of 30 s keep it busy; the signal is sent once its status
# says it is running and its trial process exists.
long=(-b "$georace" -o "$out/term" -S 20-21 -n 1 -v sharded -p flood-burst -r 0 -T 30s -t 2)
bash "$src/ci/stress-campaign.sh" job sharded 0 "${long[@]}" >"$out/job.log" 2>&1 &
child=$!
for _ in $(seq 200); do
  [ "$(sed -n 1p "$out/term/sharded-shard0.status" 2>/dev/null)" = running ] &&
    pgrep -P "$child" -f 'georace' >/dev/null && break
  sleep 0.05
done
pgrep -P "$child" -f 'georace' >/dev/null || fail "the job's trial process never started"
kill -TERM "$child"
wait "$child"; rc=$?
child=
[ "$rc" -eq 143 ] || fail "a job stopped by SIGTERM exited $rc, not 143"
pgrep -f "$out/term/sharded-shard0.jsonl" >/dev/null && fail "the trial process outlived its job"
bash "$src/ci/stress-campaign.sh" merge "${long[@]}" >"$out/merge.log" 2>&1 && fail "merge passed a SIGTERM'd cell"
grep -q 'cell sharded shard 0/1: stopped by signal 15 (exit 143)' "$out/merge.log" || fail "SIGTERM'd cell not named"

# A job killed outright leaves "running"; a lost cell leaves nothing; a
# folder may hold another campaign's files.
sed -i '1s/.*/running/' "$out/mutex-shard0.status"
rm -f "$out/sharded-shard1.status" "$out/sharded-shard1.jsonl"
cp "$out/mutex-shard1.jsonl" "$out/gomap-shard0.jsonl"
printf '0\nprofile=zoraxy-home\n' >"$out/gomap-shard0.status"

campaign merge >"$out/merge.log" 2>&1 && fail "merge passed with broken cells"
grep -q 'cell mutex shard 0/2: never finished' "$out/merge.log" || fail "killed cell not named"
grep -q 'cell sharded shard 1/2: no status' "$out/merge.log" || fail "missing cell not named"
grep -q 'cell mutex shard 1/2' "$out/merge.log" && fail "a healthy cell was named"
grep -q "left out $out/gomap-shard0.jsonl" "$out/merge.log" || fail "another campaign's file not left out"
grep -q '"variant":"gomap"' "$out/all.jsonl" && fail "another campaign's trials were merged"
grep -q '"variant":"mutex".*"seed":2[13]' "$out/all.jsonl" || fail "the healthy cell's trials are not in the merge"

# Asking for another campaign names every cell as foreign.
bash "$src/ci/stress-campaign.sh" merge -b "$georace" -o "$out" -S 20-23 -n 2 -v mutex \
  -p zoraxy-home -r 0 -T 300ms -t 2 >"$out/merge.log" 2>&1 && fail "merge of a foreign campaign passed"
[ "$(grep -c 'written by another campaign' "$out/merge.log")" -eq 2 ] || fail "foreign cells not named"

# A torn last line (a writer killed mid-line) is skipped; the rest merges.
head -c 40 "$out/mutex-shard1.jsonl" >>"$out/mutex-shard0.jsonl"
"$georace" report merge "$out/mutex-shard0.jsonl" "$out/mutex-shard1.jsonl" -o "$out/m.jsonl" \
  >"$out/merge.log" 2>&1 || fail "report merge gave up on a torn last line"
grep -q 'skipped the torn last line of 1 file' "$out/merge.log" || fail "torn line not reported"
[ "$(trials "$out/m.jsonl" | wc -l)" -eq 4 ] || fail "trials lost around a torn line"
# The same bytes in the middle of a file are malformed input.
printf '\n{"type":"job"}\n' >>"$out/mutex-shard0.jsonl"
"$georace" report merge "$out/mutex-shard0.jsonl" -o "$out/m.jsonl" >"$out/merge.log" 2>&1
[ $? -eq 65 ] || fail "a malformed middle line is not exit 65"
echo "PASS: merge names SIGTERM'd, killed, missing and foreign cells; torn last line skipped"
