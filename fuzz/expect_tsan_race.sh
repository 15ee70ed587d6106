#!/usr/bin/env bash
# expect_tsan_race.sh - passes only if ThreadSanitizer reports a data race
# whose frames lie in the given source file (a buggy variant's), i.e. the
# fuzz corpus really drives the race the variant is known for.
#
#   expect_tsan_race.sh SOURCE_BASENAME COMMAND [ARGS...]
# Exit status: 0 the race was reported in SOURCE_BASENAME, 1 otherwise.
set -uo pipefail
[ $# -ge 2 ] || { echo "usage: $0 SOURCE_BASENAME COMMAND [ARGS...]" >&2; exit 64; }
src=$1; shift
log=$(mktemp "${TMPDIR:-/tmp}/georace-tsan.XXXXXX")
trap 'rm -f "$log"' EXIT
"$@" >"$log" 2>&1
rc=$?
if ! grep -q "WARNING: ThreadSanitizer: data race" "$log"; then
  tail -40 "$log"
  echo "expect_tsan_race: no data race reported (exit status $rc); expected one in $src" >&2
  exit 1
fi
# The first report's frames: from the warning line to the end of its block.
report=$(sed -n '/WARNING: ThreadSanitizer: data race/,/^SUMMARY: ThreadSanitizer/p' "$log")
if ! grep -q "/$src:" <<<"$report"; then
  echo "$report" | head -60
  echo "expect_tsan_race: a race was reported, but not in $src" >&2
  exit 1
fi
echo "expect_tsan_race: ThreadSanitizer reported the race in $src (exit status $rc):"
grep -m1 "^SUMMARY: ThreadSanitizer" <<<"$report"
exit 0
