#!/usr/bin/env bash
# 'georace stress compare' on a short run of each side under the accelerated
# settings of 'georace repro' (flood-burst, flat out, 100 us miss cost,
# 250 ms clear, ranges binary-searched): C gomap (A) against the real Go map
# (B, the Go peer). The table names both sides with their medians, the two
# fatal messages and the median ratio; compare.json parses, its numbers are
# numbers and agree with the trial records (trials, failures, message counts
# summing to the failures, a median inside the observed range, a bootstrap
# interval around the ratio); the chart exists as SVG and PNG with both
# curves. Every trial records the load average and threads or GOMAXPROCS.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*"; cat "$out/table" 2>/dev/null; exit 1; }
n=4
"$georace" stress --variant gomap --profile flood-burst --threads 4 --rate 0 --miss-cost 100us \
  --cache-clear 250ms --backend bsearch --trials $n --trial-duration 8s --out "$out/c.jsonl" \
  >/dev/null 2>&1 || fail "C stress exited $?"
"$georace" stress --subject go-map --profile flood-burst --trials $n --trial-duration 8s \
  --out "$out/go.jsonl" >/dev/null 2>&1 || fail "Go stress exited $?"
"$georace" stress compare "$out/c.jsonl" "$out/go.jsonl" --out "$out/cmp" --resamples 500 \
  >"$out/table" 2>"$out/err" || fail "compare exited $? ($(cat "$out/err"))"
for s in 'A = gomap (sim), B = go-map (go)' 'median time to failure (Kaplan-Meier)' \
  'fatal error: concurrent map writes' 'fatal error: concurrent map read and map write' \
  'threads / GOMAXPROCS' '4 threads' 'GOMAXPROCS ' 'load average, 1 min' 'median ratio A/B' \
  'start-up estimated, not measured'; do
  grep -qF "$s" "$out/table" || fail "the table lacks '$s'"
done
grep -q 'note: the settings differ' "$out/table" && fail "same settings reported as different"
grep -q '<svg' "$out/cmp/compare.svg" 2>/dev/null || fail "no compare.svg"
[ "$(grep -c 'median' "$out/cmp/compare.svg")" -ge 2 ] || fail "compare.svg lacks the two curves' titles"
[ "$(head -c 4 "$out/cmp/compare.png" | tail -c 3)" = PNG ] || fail "no compare.png"
python3 - "$out" $n <<'PY' || fail "compare.json does not hold up"
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
c = json.load(open(d + "/cmp/compare.json"))
def trials(path):
    return [json.loads(l) for l in open(path) if '"type":"trial"' in l]
for side, path in (("a", "/c.jsonl"), ("b", "/go.jsonl")):
    s, ts = c[side], trials(d + path)
    assert s["trials"] == n == len(ts), (side, s["trials"])
    failed = [t for t in ts if t["failed"]]
    assert s["failed"] == len(failed) and s["survived"] == n - len(failed), side
    assert s["startup_unmeasured"] == sum(1 for t in ts if t["startup_measured"] is False), side
    # the workload's start mark: every trial's start-up is measured
    assert s["startup_unmeasured"] == 0, (side, s["startup_unmeasured"])
    assert sum(s["messages"].values()) + s["other_messages"] == len(failed), side
    for t in ts:
        assert isinstance(t["loadavg1"], float) and t["numcpu"] >= 1, t
        assert t.get("threads", t.get("gomaxprocs", 0)) >= 1, t
    if s["median_s"] is not None:
        times = [t["ttf_s"] for t in failed]
        assert min(times) <= s["median_s"] <= max(times), (side, s["median_s"])
    assert isinstance(s["loadavg1_mean"], float), side
r = c["ratio"]
assert r["resamples"] == 500 and r["level"] == 0.95
if r["median_ratio"] is not None:
    assert abs(r["median_ratio"] - c["a"]["median_s"] / c["b"]["median_s"]) < 1e-9
    lo, hi = r["ci_low"], r["ci_high"]
    hi = float("inf") if hi == "inf" else hi
    assert 0 <= lo <= r["median_ratio"] <= hi, (lo, r["median_ratio"], hi)
print("compare.json: A median", c["a"]["median_s"], "B median", c["b"]["median_s"],
      "ratio", r["median_ratio"], [r["ci_low"], r["ci_high"]])
PY
echo "PASS: stress compare table, JSON and chart for $n C gomap and $n Go map trials"
