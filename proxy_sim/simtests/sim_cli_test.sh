#!/usr/bin/env bash
# Runs 'georace sim' and checks its outcome from the outside.
#   sim_cli_test.sh ok GEORACE ARGS...       exit 0, requests > 0, zero mismatches and errors
#   sim_cli_test.sh race GEORACE ARGS...     the race is reported: Go's fatal error (exit 2)
#                                            or, in a ThreadSanitizer build, a TSan data race
#   sim_cli_test.sh exit:N GEORACE ARGS...   exit status N and a "georace sim:" message (N > 0)
#   sim_cli_test.sh repro GEORACE ARGS...    two runs print the same counters
#   sim_cli_test.sh spread GEORACE ARGS...   like ok, and burst requests ran on other threads
set -u
mode=$1 g=$2
shift 2
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; head -40 "$out"; echo "--- stderr"; head -40 "$err"; exit 1; }
field() { sed -n "s/^ *\"$1\": *\([0-9.e+-]*\),\{0,1\}$/\1/p" "$out" | head -1; }

run() { "$g" sim "$@" >"$out" 2>"$err"; }

case $mode in
ok | spread)
  run --json --progress 0 "$@"; rc=$?
  [ $rc -eq 0 ] || fail "exit status $rc, want 0"
  req=$(field requests); mm=$(field mismatches); er=$(field errors)
  [ -n "$req" ] && [ "$req" -gt 0 ] || fail "no requests served"
  [ "$mm" = 0 ] || fail "$mm mismatches"
  [ "$er" = 0 ] || fail "$er errors"
  if [ "$mode" = spread ]; then
    sh=$(field shared)
    [ -n "$sh" ] && [ "$sh" -gt 0 ] || fail "no burst request ran on another thread"
    echo "shared: $sh of $req"
  fi
  echo "ok: $req requests, 0 mismatches"
  ;;
race)
  run --progress 0 "$@"; rc=$?
  if [ $rc -eq 2 ] && grep -q 'fatal error: concurrent map' "$err"; then
    echo "race reported by the Go-style detector: $(grep -m1 'fatal error' "$err")"
  elif [ $rc -eq 66 ] && grep -q 'ThreadSanitizer: data race' "$err"; then
    echo "race reported by ThreadSanitizer"
  else
    fail "exit status $rc and no race report"
  fi
  ;;
exit:*)
  want=${mode#exit:}
  run "$@"; rc=$?
  [ $rc -eq "$want" ] || fail "exit status $rc, want $want"
  if [ "$want" -ne 0 ]; then
    grep -q '^georace sim: ' "$err" || fail "no 'georace sim:' message on stderr"
    head -1 "$err"
  fi
  ;;
repro)
  run --json --progress 0 "$@" || fail "first run failed"
  first=$(grep -vE '"(elapsed_s|req_per_s|rss_max_kb)"' "$out")
  run --json --progress 0 "$@" || fail "second run failed"
  second=$(grep -vE '"(elapsed_s|req_per_s|rss_max_kb)"' "$out")
  [ "$first" = "$second" ] || fail "two runs differ: $(diff <(echo "$first") <(echo "$second") | head)"
  echo "$first" | grep -q '"hits": [1-9]' || fail "no cache hits: the run proves little"
  echo "two runs agree"
  ;;
*)
  echo "unknown mode $mode"; exit 2 ;;
esac
