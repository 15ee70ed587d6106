#!/usr/bin/env bash
# 'georace stress', 'stress model', 'stress measure' and 'repro' turn a bad
# command line away before running anything: exit status 64 (usage), one
# "georace CMD: ..." line naming the culprit, nothing on stdout. --help
# still exits 0 with the usage on stdout. A Go subject with no Go peer to
# run exits 69 and says so.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0

# expect CMD PATTERN ARGS...: georace ARGS... exits 64, stderr matches
# "georace CMD: PATTERN", stdout is empty.
expect() {
  local cmd=$1 pattern=$2
  shift 2
  "$georace" "$@" >"$out/stdout" 2>"$out/stderr"
  local rc=$?
  if [ $rc -ne 64 ]; then
    echo "FAIL: georace $* exited $rc, expected 64"; failed=1
  elif ! grep -qE "^georace $cmd: $pattern" "$out/stderr"; then
    echo "FAIL: georace $*: stderr '$(cat "$out/stderr")' does not match 'georace $cmd: $pattern'"
    failed=1
  elif [ -s "$out/stdout" ]; then
    echo "FAIL: georace $* printed on stdout"; failed=1
  fi
}

for sub in "stress" "stress model" "stress measure" "repro"; do
  read -ra words <<<"$sub"
  cmd=${words[0]}
  expect "$cmd" "unknown option '--no-such-option'" "${words[@]}" --no-such-option
  expect "$cmd" "unknown option '-q'" "${words[@]}" -q
  expect "$cmd" "unexpected argument 'extra'" "${words[@]}" extra
  "$georace" "${words[@]}" --help >"$out/help" 2>&1 || { echo "FAIL: $sub --help exited $?"; failed=1; }
  grep -q "georace $sub" "$out/help" || { echo "FAIL: $sub --help shows no usage"; failed=1; }
done
expect stress "option '--variant' needs a value" stress --variant
expect stress "option '--in' needs a value" stress model --in
expect stress "option '--budget' needs a value" stress measure --budget
expect repro "option '--trials' needs a value" repro --trials
expect stress "--backend: bad value 'nope'" stress --backend nope
expect stress "bad value for --via: 'carrier-pigeon'" stress --via carrier-pigeon
expect repro "--trials must be 10..64: '3'" repro --trials 3
expect stress "bad value for --subject: 'go-foo'" stress --subject go-foo
expect stress "--go-race needs --subject" stress --go-race
expect stress "give --variant or --subject, not both" stress --subject go-map --variant gomap
expect stress "--via does not apply to --subject" stress --subject go-map --via proxy
expect stress "the Go peer walks CSV ranges" stress --subject go-map --backend mmdb
expect stress "bad value for --background-load: '65'" stress --background-load 65
expect stress "--gomaxprocs applies to --subject go-\\* only" stress --gomaxprocs 2
expect stress "bad value for --subject: 'go-rwmutex'" stress model --subject go-rwmutex
expect stress "bad value for --free-cores: 'x'" stress model --subject go-map --free-cores x
expect stress "bad value for --grid: 'fast'" stress model --subject go-map --grid fast
expect stress "bad value for --rates: '0.1,,1'" stress model --subject go-map --rates 0.1,,1
expect stress "bad value for --rates: '0,1'" stress model --subject go-map --rates 0,1
expect stress "unexpected argument 'extra'" stress model --subject go-map extra
"$georace" stress model --subject go-map --help >"$out/help" 2>&1 &&
  grep -q "georace stress model --subject go-map" "$out/help" ||
  { echo "FAIL: stress model --subject go-map --help shows no usage"; failed=1; }
# the Go-calibrated model with nothing to fit and no Go peer to measure: 69
GEORACE_GOPEER=$out/no-such-peer "$georace" stress model --subject go-map --no-c \
  >"$out/stdout" 2>"$out/stderr"
rc=$?
if [ $rc -ne 69 ] || ! grep -q "^georace stress: --subject go-map needs the Go peer" "$out/stderr"; then
  echo "FAIL: stress model --subject go-map with no Go peer exited $rc: $(cat "$out/stderr")"
  failed=1
fi
# a Go subject without a Go peer to run: status 69 (unavailable), said why
GEORACE_GOPEER=$out/no-such-peer "$georace" stress --subject go-map --trials 1 \
  >"$out/stdout" 2>"$out/stderr"
rc=$?
if [ $rc -ne 69 ] || ! grep -q "^georace stress: --subject go-map needs the Go peer" "$out/stderr"; then
  echo "FAIL: --subject with no Go peer exited $rc: $(cat "$out/stderr")"; failed=1
fi

[ $failed -eq 0 ] || exit 1
echo "PASS: stress, stress model/measure and repro reject bad command lines with status 64"
