#!/usr/bin/env bash
# ci/bench-explore.sh - figures of 'georace explore', printed, never
# asserted (run it niced on a shared machine: nice -n 19 ci/bench-explore.sh).
#
# 1. Buggy variants (gomap, syncmap+naive-reset): schedules until the first
#    finding and the time to it, per strategy, over SEEDS seeds (median,
#    max, hits out of SEEDS within CAP schedules). dfs does not depend on the
#    seed (one run, the same for every seed). Beside them, the same variant
#    under 'georace stress' (time to failure of SEEDS trials, repro's
#    accelerated settings) and under ThreadSanitizer (time to the first
#    report, gomap with its detector off), when a TSan build exists.
# 2. Fixed variants: schedules/s and the schedules needed to exhaust each
#    hand-written scenario at k = 1, 2, 3 preemptions (BUDGET per variant
#    and bound; a scenario not exhausted within it is marked).
#
# Environment: GEORACE (default build/default/cli/georace), GEORACE_TSAN
# (default build/tsan/cli/georace; none: skip), SEEDS (20), CAP (1000),
# BUDGET (180s), STRESS_TRIAL (2s), PARTS ("1 2").
# Exit status: 0, or 2 when the binary is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
GEORACE=${GEORACE:-build/default/cli/georace}
GEORACE_TSAN=${GEORACE_TSAN:-build/tsan/cli/georace}
SEEDS=${SEEDS:-20}
CAP=${CAP:-1000}
BUDGET=${BUDGET:-180s}
STRESS_TRIAL=${STRESS_TRIAL:-2s}
PARTS=${PARTS:-"1 2"}
[ -x "$GEORACE" ] || { echo "bench-explore: no georace binary at $GEORACE" >&2; exit 2; }
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

echo "# georace explore benchmarks ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg) at start)"

# stats FILE: "median max hits/n" of the numbers in FILE ("-" = no finding)
stats() {
  python3 - "$1" "$2" <<'EOF'
import sys
vals = [l.strip() for l in open(sys.argv[1]) if l.strip()]
hits = sorted(float(v) for v in vals if v != "-")
fmt = sys.argv[2]
if not hits:
    print("-", "-", "0/%d" % len(vals))
else:
    n = len(hits)
    med = hits[n // 2] if n % 2 else (hits[n // 2 - 1] + hits[n // 2]) / 2
    print(fmt % med, fmt % hits[-1], "%d/%d" % (n, len(vals)))
EOF
}

# field JSON-LINE PATH...: a value from explore's or stress's JSON ("-" if absent)
field() {
  python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read() or "{}")
except ValueError:
    d = {}
for k in sys.argv[1:]:
    d = d.get(k) if isinstance(d, dict) else None
print("-" if d is None else d)' "$@"
}

part1() {
  echo
  echo "## 1. buggy variants: schedules (and seconds) to the first finding, $SEEDS seeds, cap $CAP"
  printf '%-20s %-8s %16s %14s %16s %14s %8s  %s\n' variant method "sched median" "sched max" \
    "time median" "time max" hits "oracles"
  for v in gomap syncmap+naive-reset; do
    for s in random pct dfs; do
      : >"$tmp/n"; : >"$tmp/t"; : >"$tmp/o"
      seeds=$SEEDS; [ "$s" = dfs ] && seeds=1
      for seed in $(seq 1 "$seeds"); do
        "$GEORACE" explore --variant "$v" --strategy "$s" --seed "$seed" --schedules "$CAP" \
          --json 2>/dev/null >"$tmp/j"
        field first_finding schedule_no <"$tmp/j" >>"$tmp/n"
        field first_finding elapsed_s <"$tmp/j" >>"$tmp/t"
        field first_finding oracle <"$tmp/j" >>"$tmp/o"
      done
      read -r nm nx nh < <(stats "$tmp/n" "%.0f")
      read -r tm tx _ < <(stats "$tmp/t" "%.3fs")
      [ "$s" = dfs ] && nh="$nh (seed-free)"
      printf '%-20s %-8s %16s %14s %16s %14s %8s  %s\n' "$v" "$s" "$nm" "$nx" "$tm" "$tx" "$nh" \
        "$(grep -v '^-$' "$tmp/o" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')"
    done
    # plain stress: repro's accelerated settings, one trial per seed
    "$GEORACE" stress --variant "$v" --profile flood-burst --threads 4 --rate 0 --miss-cost 100us \
      --cache-clear 250ms --trials "$SEEDS" --trial-duration "$STRESS_TRIAL" --expect any --json \
      2>/dev/null | tr -d '\n' >"$tmp/s"
    printf '%-20s %-8s %16s %14s %16s %14s %8s  %s\n' "$v" stress "n/a" "n/a" \
      "$(field ttf_median_s <"$tmp/s" | xargs printf '%.3fs' 2>/dev/null || echo -)" \
      "$(field ttf_max_s <"$tmp/s" | xargs printf '%.3fs' 2>/dev/null || echo -)" \
      "$(field failures <"$tmp/s")/$SEEDS" "trials of $STRESS_TRIAL, 4 threads, flood-burst"
    if [ "$GEORACE_TSAN" != none ] && [ -x "$GEORACE_TSAN" ]; then
      : >"$tmp/r"
      tseeds=$(( SEEDS < 5 ? SEEDS : 5 ))
      for seed in $(seq 1 "$tseeds"); do
        t0=$(date +%s.%N)
        TSAN_OPTIONS="halt_on_error=1:exitcode=66:report_signal_unsafe=0" "$GEORACE_TSAN" sim \
          --variant "$v" --profile flood-burst --threads 4 --rate 0 --miss-cost 100us \
          --cache-clear 250ms --duration 20s --seed "$seed" --progress 0 \
          $([ "$v" = gomap ] && echo --no-detector) >/dev/null 2>"$tmp/e"
        rc=$?
        t1=$(date +%s.%N)
        if [ $rc -eq 66 ] && grep -q "ThreadSanitizer: data race" "$tmp/e"; then
          python3 -c "print($t1 - $t0)" >>"$tmp/r"
        else
          echo - >>"$tmp/r"
        fi
      done
      read -r rm rx rh < <(stats "$tmp/r" "%.3fs")
      printf '%-20s %-8s %16s %14s %16s %14s %8s  %s\n' "$v" tsan "n/a" "n/a" "$rm" "$rx" "$rh" \
        "time to the first TSan report (process start included), $tseeds runs"
    fi
  done
}

part2() {
  echo
  echo "## 2. fixed variants: schedules to exhaust each hand-written scenario (dfs), budget $BUDGET"
  for v in mutex rwlock sharded bounded syncmap; do
    for k in 1 2 3; do
      "$GEORACE" explore --variant "$v" --strategy dfs --preemptions "$k" --budget "$BUDGET" \
        --keep-going --json 2>/dev/null >"$tmp/j$k"
    done
    python3 - "$v" "$tmp/j1" "$tmp/j2" "$tmp/j3" <<'EOF'
import json, sys
v = sys.argv[1]
runs = []
for p in sys.argv[2:]:
    try:
        runs.append(json.load(open(p)))
    except ValueError:
        print("%s: explore printed no JSON for one bound (failed or killed); no table" % v)
        sys.exit(0)
print()
print("%-9s %-22s %10s %10s %10s" % (v, "scenario", "k=1", "k=2", "k=3"))
names = [s["name"] for s in runs[0]["scenarios"]]
def cell(r, name):
    for s in r["scenarios"]:
        if s["name"] == name:
            return "%d%s" % (s["runs"], "" if s["exhausted"] else "+ (cut)")
    return "-"
for name in names:
    print("%-9s %-22s %10s %10s %10s" % ("", name, *(cell(r, name) for r in runs)))
def tot(r):
    return "%d" % r["schedules"]
def rate(r):
    return "%.0f/s" % (r["schedules"] / r["elapsed_s"]) if r["elapsed_s"] > 0 else "-"
def finds(r):
    return "%d" % sum(r["findings"].values())
print("%-9s %-22s %10s %10s %10s" % ("", "total", *(tot(r) for r in runs)))
print("%-9s %-22s %10s %10s %10s" % ("", "seconds", *("%.1f" % r["elapsed_s"] for r in runs)))
print("%-9s %-22s %10s %10s %10s" % ("", "schedules/s", *(rate(r) for r in runs)))
print("%-9s %-22s %10s %10s %10s" % ("", "findings", *(finds(r) for r in runs)))
EOF
  done
}

for p in $PARTS; do "part$p"; done
echo
echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
