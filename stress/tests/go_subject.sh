#!/usr/bin/env bash
# 'georace stress --subject go-*': each trial runs the Go peer (gopeer/) fed
# the trial's request stream; the trial records go to --out as JSON lines.
#
#   go_subject.sh GEORACE map       go-map under flood-burst with the default
#                                   (accelerated) settings, three trials of
#                                   30 s: at least one trial dies with status 2
#                                   and Go's own "fatal error: concurrent map
#                                   ...", recorded as the trial's message, with
#                                   "subject":"go" and the peer's GOMAXPROCS,
#                                   CPU count and load average.
#   go_subject.sh GEORACE rwmutex   the correct control, one trial of 10 s:
#                                   exit status 0, a survivor that served
#                                   requests with zero mismatches.
set -u
georace=$1
mode=$2
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
f=$out/r.jsonl
fail() { echo "FAIL: $*"; cat "$f" 2>/dev/null; exit 1; }

case $mode in
map)
  "$georace" stress --subject go-map --profile flood-burst --trials 3 --trial-duration 30s \
    --out "$f" || fail "georace stress exited $?"
  grep -q '"type":"trial","variant":"go-map".*"outcome":"fatal".*"exit_status":2.*"message":"fatal error: concurrent map' \
    "$f" || fail "no trial with status 2 and Go's fatal error recorded"
  n=$(grep -c '"type":"trial"' "$f")
  [ "$n" -eq 3 ] || fail "expected 3 trial records, found $n"
  python3 -c 'import json, sys
t = [r for r in map(json.loads, open(sys.argv[1])) if r["type"] == "trial"]
sys.exit(0 if len(t) == 3 and all(r.get("subject") == "go" and isinstance(r.get("gomaxprocs"), int)
         and r["gomaxprocs"] >= 1 and isinstance(r.get("numcpu"), int) and r["numcpu"] >= 1
         and isinstance(r.get("loadavg1"), (int, float)) for r in t) else 1)' "$f" ||
    fail "a trial record lacks the subject or the peer's runtime (gomaxprocs, numcpu, loadavg1)"
  echo "PASS: $(grep -c '"outcome":"fatal"' "$f")/3 trials of go-map died with Go's fatal error"
  ;;
rwmutex)
  "$georace" stress --subject go-rwmutex --profile flood-burst --trials 1 --trial-duration 10s \
    --out "$f" || fail "georace stress exited $?"
  grep -q '"type":"trial","variant":"go-rwmutex".*"outcome":"survived".*"requests":[1-9][0-9]*,.*"mismatches":0,' \
    "$f" || fail "the rwmutex control did not survive with requests served and zero mismatches"
  echo "PASS: go-rwmutex survived with zero mismatches"
  ;;
*)
  echo "usage: go_subject.sh GEORACE map|rwmutex" >&2
  exit 64
  ;;
esac
