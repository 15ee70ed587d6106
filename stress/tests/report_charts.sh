#!/usr/bin/env bash
# 'georace report' on a small campaign plus model measurements: report.md has
# the trial table and the model section, every chart exists as SVG and PNG;
# without gnuplot the Markdown is still written and says the charts were
# skipped; a malformed results file is refused with status 65.
set -u
georace=$1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$georace" stress --variant mutex --profile flood-burst --threads 2 --rate 0 --trials 2 \
  --trial-duration 600ms --sample-interval 50ms --out "$out/r.jsonl" >/dev/null || { echo "FAIL: stress"; exit 1; }
"$georace" stress --variant gomap --profile flood-burst --threads 4 --rate 0 --trials 2 \
  --trial-duration 5s --out "$out/r.jsonl" >/dev/null || { echo "FAIL: gomap stress"; exit 1; }
cat >>"$out/r.jsonl" <<'JSON'
{"type":"measure","variant":"gomap","profile":"flood","threads":2,"rate":1000,"window_ns":1000,"miss_cost_ns":0,"req_per_s":900,"writes_per_s":900,"accesses_per_s":450,"pairs_per_s":0,"window_s":2e-6,"failures":3,"exposure_s":2.5,"hazard_per_s":1.2,"holdout":false,"predicted_per_s":0.9}
{"type":"measure","variant":"gomap","profile":"flood","threads":2,"rate":3000,"window_ns":1000,"miss_cost_ns":0,"req_per_s":2500,"writes_per_s":2500,"accesses_per_s":1250,"pairs_per_s":0,"window_s":2e-6,"failures":4,"exposure_s":1.5,"hazard_per_s":2.7,"holdout":true,"predicted_per_s":3.1}
{"type":"model","k_bg":0.1,"k_p":300,"d0_s":7e-5,"sigma":0.4,"w0_ns":800,"rms_log10":0.1,"n_fit":8}
JSON
"$georace" report "$out/r.jsonl" -o "$out/rep" || { echo "FAIL: report exited $?"; exit 1; }
for s in '## Trials per variant' '| mutex | 2 |' '| gomap | 2 | 2 |' '## Time-to-failure model' 'k_p = 300'; do
  grep -qF "$s" "$out/rep/report.md" || { echo "FAIL: report.md lacks '$s'"; cat "$out/rep/report.md"; exit 1; }
done
for c in survival throughput rss model; do
  grep -q '<svg' "$out/rep/$c.svg" 2>/dev/null || { echo "FAIL: no $c.svg"; exit 1; }
  [ "$(head -c 4 "$out/rep/$c.png" | tail -c 3)" = PNG ] || { echo "FAIL: no $c.png"; exit 1; }
done
"$georace" report "$out/r.jsonl" --gnuplot "$out/no-such-gnuplot" -o "$out/nog" >/dev/null ||
  { echo "FAIL: report without gnuplot exited $?"; exit 1; }
grep -q 'Charts skipped' "$out/nog/report.md" || { echo "FAIL: no skip notice"; exit 1; }
echo '{"type":"trial",' >"$out/bad.jsonl"
"$georace" report "$out/bad.jsonl" -o "$out/bad" 2>/dev/null
rc=$?
[ $rc -eq 65 ] || { echo "FAIL: malformed input gave status $rc, not 65"; exit 1; }
echo "PASS: report with 4 charts in SVG and PNG; skip notice without gnuplot; 65 on bad input"
