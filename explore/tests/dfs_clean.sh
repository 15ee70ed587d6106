#!/bin/sh
# dfs_clean.sh GEORACE VARIANT K: every hand-written scenario of VARIANT is
# exhausted by dfs with at most K preemptions, with no finding.
g=$1 v=$2 k=$3
out=$("$g" explore --variant "$v" --strategy dfs --preemptions "$k" --json 2>/dev/null)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "FAIL: explore exited $rc"; exit 1; }
echo "$out" | grep -q '"exhausted": *true' || { echo "FAIL: not exhausted"; exit 1; }
echo "$out" | grep -qE '"schedules": *[1-9][0-9]*' || { echo "FAIL: no schedule ran"; exit 1; }
if echo "$out" | grep -qE '"(go-detector|crash|hang|deadlock|livelock|linearizability|race)": *[1-9]'; then
  echo "FAIL: a finding"; exit 1
fi
echo "PASS: $v exhausted at k=$k with no finding"
