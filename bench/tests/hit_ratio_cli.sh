#!/bin/sh
# 'georace bench hit-ratio' from the outside: --help, a short run as a table
# and as JSON (every row present, no row above the never-cleared ceiling,
# byte capacities accepted), and bad input with its documented status.
g=$1
out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*"; echo "--- stdout"; head -40 "$out"; echo "--- stderr"; head -20 "$err"; exit 1; }

"$g" bench hit-ratio --help >"$out" 2>"$err" || fail "--help: exit $?"
grep -q -- '--capacities' "$out" || fail "--help does not list --capacities"
"$g" bench --help >"$out" 2>"$err" || fail "bench --help: exit $?"
grep -q 'hit-ratio' "$out" || fail "bench --help does not list hit-ratio"

run="$g bench hit-ratio --duration 10m --capacities 1k,512KiB --mix-rate 20"
$run >"$out" 2>"$err" || fail "table run: exit $?"
for row in 'unbounded, never cleared' 'unbounded, clear every 15m' 'bounded (S3-FIFO)' 'lru (exact)'; do
  [ "$(grep -c "$row" "$out")" -ge 2 ] || fail "table: row '$row' missing in a stream"
done
grep -q 'stream zoraxy-home + spray-v6' "$out" || fail "table: no mixed stream"

$run --json >"$out" 2>"$err" || fail "json run: exit $?"
python3 - "$out" <<'PY' || fail "json checks"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["benchmark"] == "hit-ratio", d["benchmark"]
assert len(d["streams"]) == 2, "two streams"
for s in d["streams"]:
    rows = s["rows"]
    assert len(rows) == 6, len(rows)
    ceiling = rows[0]
    assert ceiling["label"] == "unbounded, never cleared"
    for r in rows:
        assert r["lookups"] == s["lookups"] == r["hits"] + r["misses"], r
        assert r["hits"] <= ceiling["hits"], (r, ceiling)
    b = [r for r in rows if r["capacity_spec"] == "512KiB"]
    assert len(b) == 2 and b[0]["capacity"] == b[1]["capacity"] > 0, b
    bounded = [r for r in b if r["cache"] == "bounded"][0]
    assert bounded["peak_mem_bytes"] <= 512 * 1024, bounded
print("json ok:", [round(r["hit_ratio"], 4) for s in d["streams"] for r in s["rows"]])
PY

for bad in '--capacities 16XB' '--capacities 0' '--capacities 4k,,' '--capacities 1B' \
           '--stripes 3' '--duration 0' '--mix-rate 0' '--frobnicate' 'extra'; do
  # shellcheck disable=SC2086
  "$g" bench hit-ratio $bad >"$out" 2>"$err"; rc=$?
  [ $rc -eq 64 ] || fail "'$bad': exit $rc, want 64"
  grep -q '^georace bench hit-ratio: ' "$err" || fail "'$bad': no message"
done
"$g" bench hit-ratio --profile no-such-profile --duration 1m >"$out" 2>"$err"; rc=$?
[ $rc -eq 66 ] || fail "missing profile: exit $rc, want 66"
echo "ok"
