#!/usr/bin/env bash
# 'georace stress compare' turns bad input away with its documented status:
# --help 0; a wrong number of operands or a bad option 64; a missing file 66;
# a malformed line, a file without trials or with two variants 65; an
# unwritable --out 66. On good synthetic input it reports settings that
# differ, and without gnuplot it still writes the JSON and exits 0.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() { # STATUS ARGS...
  local want=$1
  shift
  "$georace" stress compare "$@" >"$out/o" 2>"$out/e"
  local rc=$?
  [ $rc -eq "$want" ] || fail "'compare $*' exited $rc, not $want: $(cat "$out/e")"
  [ "$want" -eq 0 ] || grep -q 'stress compare' "$out/e" || fail "'compare $*' gave no message"
}
trial() { # VARIANT SEED FAILED TTF MESSAGE
  printf '{"type":"trial","variant":"%s","via":"sim","seed":%s,"failed":%s,"ttf_s":%s,"duration_s":%s,"message":"%s","loadavg1":0.5,"threads":4}\n' \
    "$1" "$2" "$3" "$4" "$4" "$5"
}
job() { # VARIANT RATE
  printf '{"type":"job","variant":"%s","profile":"flood-burst","rate":%s,"miss_cost_ns":100000,"cache_clear_s":0.25,"threads":4}\n' "$1" "$2"
}
{ job gomap 0; for s in 1 2 3; do trial gomap $s true "0.$s" "fatal error: concurrent map writes"; done; } >"$out/a.jsonl"
{ job mutex 100; trial mutex 1 false 2 ""; trial mutex 2 true 1 "fatal error: concurrent map read and map write"; } >"$out/b.jsonl"
{ trial gomap 1 true 0.1 x; trial mutex 2 true 0.2 y; } >"$out/two.jsonl"
{ echo '{"type":"trial", nope'; trial gomap 1 true 0.1 x; } >"$out/bad.jsonl"
job gomap 0 >"$out/notrials.jsonl"
expect 0 --help
grep -q 'exit status' "$out/o" || fail "--help lacks the exit statuses"
expect 64 "$out/a.jsonl"
expect 64 "$out/a.jsonl" "$out/b.jsonl" "$out/a.jsonl"
expect 64 "$out/a.jsonl" "$out/b.jsonl" --resamples 5
expect 64 "$out/a.jsonl" "$out/b.jsonl" --no-such-option
expect 66 "$out/a.jsonl" "$out/missing.jsonl"
expect 65 "$out/bad.jsonl" "$out/a.jsonl"
expect 65 "$out/a.jsonl" "$out/notrials.jsonl"
expect 65 "$out/two.jsonl" "$out/a.jsonl"
grep -q 'more than one variant' "$out/e" || fail "two variants: no reason given"
touch "$out/file"
expect 66 "$out/a.jsonl" "$out/b.jsonl" --out "$out/file/sub"
expect 0 "$out/a.jsonl" "$out/b.jsonl" --out "$out/nog" --gnuplot "$out/no-such-gnuplot"
grep -q 'gnuplot was not found' "$out/e" || fail "no notice without gnuplot"
[ -s "$out/nog/compare.json" ] || fail "no compare.json without gnuplot"
grep -q 'note: the settings differ: rate 0 vs 100' "$out/o" || fail "rate difference not noted"
# a: medians 0.2 s; b: one failure at 1 s of two trials -> S(1) = 0.5 -> 1 s
grep -q 'median ratio A/B  0.2 ' "$out/o" || fail "median ratio is not 0.2: $(grep ratio "$out/o")"
grep -E -q 'concurrent map writes +3 \(100%\) +0 \(0%\)' "$out/o" || fail "message split wrong"
echo "PASS: compare statuses 0/64/65/66 and messages; settings difference noted"
