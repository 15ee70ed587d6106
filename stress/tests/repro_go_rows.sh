#!/usr/bin/env bash
# 'georace repro' with its Go rows: every expectation holds (status 0, "ok");
# with a Go peer in the build, row 6 (the real Go map dies of Go's own
# fatal error, median time and message split given) and row 7 (go -race
# reports the shipped fix) PASS. Without a Go peer (the build has none, or
# it is hidden here by pointing GEORACE_GOPEER* at nothing) both rows are
# SKIP with a notice, and repro's status still follows its other rows alone.
set -u
georace=$1
have_go=$2 # 1 when the build made the Go peer
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out/r.json" 2>/dev/null; exit 1; }
check() { # FILE ROW-PREFIX VERDICT FIGURE-PATTERN
  python3 - "$@" <<'PY'
import json, re, sys
path, prefix, verdict, pattern = sys.argv[1:]
d = json.load(open(path))
rows = [r for r in d["rows"] if r["expectation"].startswith(prefix)]
assert len(rows) == 1, "row %s missing" % prefix
r = rows[0]
assert r["verdict"] == verdict, r
assert re.search(pattern, r["result"] + " " + r["figures"]), r
# skipped rows never fail: ok is decided by the other rows alone
others = [r for r in d["rows"] if not r["expectation"].startswith(("6.", "7."))]
assert d["ok"] == all(r["verdict"] != "FAIL" for r in others), "ok does not follow the rows"
PY
}
if [ "$have_go" = 1 ]; then
  "$georace" repro --json >"$out/r.json" 2>"$out/e" || fail "repro exited $?"
  python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["ok"] else 1)' \
    "$out/r.json" || fail "repro not ok"
  check "$out/r.json" "6." PASS 'died with Go.s own fatal error.*ttf median [0-9.]+ s; map writes [0-9]+, map read and map write [0-9]+' ||
    fail "row 6"
  check "$out/r.json" "7." PASS "race detector reported" || fail "row 7"
fi
# the skip path, on shorter trials (its other rows are checked above)
GEORACE_GOPEER=$out/none GEORACE_GOPEER_RACE=$out/none "$georace" repro --json --seconds 1 \
  >"$out/r.json" 2>"$out/e"
rc=$?
python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["ok"] == (sys.argv[2] == "0") else 1)' \
  "$out/r.json" $rc || fail "repro without Go: exit status $rc does not match its ok"
check "$out/r.json" "6." SKIP "skipped: no Go peer.*golang-go" || fail "row 6 not skipped"
check "$out/r.json" "7." SKIP "skipped: no Go peer -race build" || fail "row 7 not skipped"
echo "PASS: repro's Go rows (Go peer built: $have_go) and their skip without Go"
