#!/usr/bin/env bash
# run_fuzzer.sh - how ctest runs a libFuzzer-linked target.
#
#   run_fuzzer.sh replay BIN CORPUS REGRESSIONS
#       every committed input once (-runs=0); fails if CORPUS is empty.
#   run_fuzzer.sh fuzz BIN CORPUS REGRESSIONS SECONDS [DICT]
#       a bounded run on a temporary copy of CORPUS (the tree is never written:
#       libFuzzer adds new inputs only to its first corpus directory), with the
#       regression inputs as extra seeds and the dictionary if given. Fails on
#       any crash, leak, timeout or out-of-memory, and then prints the input
#       (base64) so it can be reproduced from a CI log.
# Exit status: 0 clean, 1 the target failed, 64 usage.
set -uo pipefail

usage() { echo "usage: $0 replay BIN CORPUS REGRESSIONS | fuzz BIN CORPUS REGRESSIONS SECONDS [DICT]" >&2; exit 64; }
[ $# -ge 4 ] || usage
mode=$1 bin=$2 corpus=$3 regressions=$4
name=$(basename "$bin")

count=$(find "$corpus" -maxdepth 1 -type f ! -name '.*' 2>/dev/null | wc -l)
if [ "$count" -eq 0 ]; then
  echo "$name: corpus $corpus is missing or empty (an empty corpus checks nothing)" >&2
  exit 1
fi
extra=()
[ -d "$regressions" ] && extra+=("$regressions")

case "$mode" in
replay)
  "$bin" -runs=0 -print_final_stats=1 "$corpus" "${extra[@]}"
  rc=$?
  echo "$name: replayed $count corpus inputs (+ regressions), status $rc"
  exit $((rc != 0))
  ;;
fuzz)
  [ $# -ge 5 ] || usage
  seconds=$5 dict=${6:-}
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/georace-$name.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/corpus" "$tmp/artifacts"
  cp "$corpus"/* "$tmp/corpus/"
  args=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
        -artifact_prefix="$tmp/artifacts/")
  [ -n "$dict" ] && args+=(-dict="$dict")
  "$bin" "${args[@]}" "$tmp/corpus" "${extra[@]}"
  rc=$?
  new=$(find "$tmp/corpus" -type f | wc -l)
  echo "$name: ran ${seconds}s, corpus $count -> $new inputs, status $rc"
  found=0
  for f in "$tmp/artifacts"/*; do
    [ -f "$f" ] || continue
    found=1
    echo "$name: finding $(basename "$f") ($(stat -c %s "$f") bytes), base64:"
    head -c 4096 "$f" | base64
  done
  if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
    echo "$name: FAILED; reproduce with: $bin <input>  (then minimize with -minimize_crash=1)" >&2
    exit 1
  fi
  exit 0
  ;;
*) usage ;;
esac
