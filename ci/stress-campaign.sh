#!/usr/bin/env bash
# A long stress campaign: one job per (variant, shard), then a merge + report.
# The CI workflow (ci/workflows/stress-campaign.yml) runs the same script, one
# 'job' per matrix cell and one 'merge' at the end; run locally it emulates
# the matrix with a loop.
#
#   ci/stress-campaign.sh run   [options]          every job in turn, then merge
#   ci/stress-campaign.sh job   VARIANT SHARD [options]   one matrix cell
#   ci/stress-campaign.sh merge [options]          merge *.jsonl, write the report
#
# options (environment variables of the same name work too):
#   -b GEORACE     the georace binary (default build/default/cli/georace)
#   -o DIR         results directory (default results/stress-campaign)
#   -d DURATION    duration of each job (default 60m)
#   -n SHARDS      shards per variant (default 2)
#   -v "V1 V2"     variants (default: gomap syncmap mutex rwlock sharded)
#   -p PROFILE     traffic profile (default zoraxy-home)
#   -t THREADS     threads per job (default 4)
#   -r RATE        requests/s (default: the profile's rate; 0 = flat out)
#   -s SEED        first seed (default 1)
#   -T DURATION    length of one trial (default: the job's duration)
#
# Exit status: 0 when every fixed variant survived without mismatches (the
# buggy variants' failures are data), 1 otherwise, 64 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."

GEORACE=${GEORACE:-build/default/cli/georace}
OUT=${OUT:-results/stress-campaign}
DURATION=${DURATION:-60m}
SHARDS=${SHARDS:-2}
VARIANTS=${VARIANTS:-"gomap syncmap mutex rwlock sharded"}
PROFILE=${PROFILE:-zoraxy-home}
THREADS=${THREADS:-4}
RATE=${RATE:-}
SEED=${SEED:-1}
TRIAL_DURATION=${TRIAL_DURATION:-}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

mode=${1:-}
[ -n "$mode" ] || { usage >&2; exit 64; }
shift
case "$mode" in
  -h|--help|help) usage; exit 0 ;;
  run|merge) ;;
  job)
    [ $# -ge 2 ] || { echo "stress-campaign: job needs VARIANT SHARD" >&2; exit 64; }
    job_variant=$1; job_shard=$2; shift 2 ;;
  *) echo "stress-campaign: unknown mode '$mode'" >&2; usage >&2; exit 64 ;;
esac
while getopts "b:o:d:n:v:p:t:r:s:T:h" opt; do
  case "$opt" in
    b) GEORACE=$OPTARG ;; o) OUT=$OPTARG ;; d) DURATION=$OPTARG ;; n) SHARDS=$OPTARG ;;
    v) VARIANTS=$OPTARG ;; p) PROFILE=$OPTARG ;; t) THREADS=$OPTARG ;; r) RATE=$OPTARG ;;
    s) SEED=$OPTARG ;; T) TRIAL_DURATION=$OPTARG ;; h) usage; exit 0 ;;
    *) usage >&2; exit 64 ;;
  esac
done
[ -x "$GEORACE" ] || { echo "stress-campaign: no georace binary at $GEORACE (build it: cmake --workflow --preset default)" >&2; exit 64; }
mkdir -p "$OUT"


# One matrix cell: VARIANT, SHARD (0..SHARDS-1). Its status goes to a file so
# the merge step can tell which cells failed their expectation.
run_job() {
  local v=$1 i=$2 file
  file="$OUT/${v//+/_}-shard$i.jsonl"
  rm -f "$file"
  local args=(stress --variant "$v" --profile "$PROFILE" --duration "$DURATION"
              --threads "$THREADS" --seed "$SEED" --shard "$i/$SHARDS" --out "$file")
  [ -n "$RATE" ] && args+=(--rate "$RATE")
  [ -n "$TRIAL_DURATION" ] && args+=(--trial-duration "$TRIAL_DURATION")
  echo "=== stress job: variant $v, shard $i/$SHARDS, $DURATION"
  "$GEORACE" "${args[@]}"
  local rc=$?
  echo "$rc" >"$file.status"
  echo "=== stress job: variant $v, shard $i/$SHARDS: exit $rc"
  return $rc
}

merge() {
  shopt -s nullglob
  local parts=("$OUT"/*-shard*.jsonl)
  [ ${#parts[@]} -gt 0 ] || { echo "stress-campaign: no job results in $OUT" >&2; return 1; }
  "$GEORACE" report merge "${parts[@]}" -o "$OUT/all.jsonl" || return 1
  "$GEORACE" report "$OUT/all.jsonl" -o "$OUT/report" || return 1
  local bad=0 s v
  for s in "$OUT"/*-shard*.jsonl.status; do
    v=$(basename "$s" | sed 's/-shard[0-9]*\.jsonl\.status$//')
    if [ "$(cat "$s")" != 0 ]; then
      echo "stress-campaign: job $(basename "$s" .status) failed its expectation (exit $(cat "$s"))"
      bad=1
    fi
  done
  echo "stress-campaign: merged results in $OUT/all.jsonl, report in $OUT/report/report.md"
  return $bad
}

case "$mode" in
  job) run_job "$job_variant" "$job_shard"; exit $? ;;
  merge) merge; exit $? ;;
  run)
    for v in $VARIANTS; do
      for ((i = 0; i < SHARDS; i++)); do run_job "$v" "$i"; done
    done
    merge; exit $? ;;
esac
