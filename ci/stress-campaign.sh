#!/usr/bin/env bash
# A long stress campaign: one job per (variant, shard) cell, then a merge and
# a report. The CI workflow (.github/workflows/stress-campaign.yml) runs one
# 'job' per matrix cell and one 'merge' at the end; run locally, 'run'
# emulates the matrix with a loop.
#
#   ci/stress-campaign.sh run   [options]                 every cell in turn, then merge
#   ci/stress-campaign.sh job   VARIANT SHARD [options]   one matrix cell
#   ci/stress-campaign.sh merge [options]                 check every cell, merge, report
#
# options (environment variables of the same name work too):
#   -b GEORACE     the georace binary (default build/default/cli/georace)
#   -o DIR         results directory (default results/stress-campaign)
#   -d DURATION    duration of each job (default 60m), when neither -N nor -S
#                  fixes the trial set
#   -N TRIALS      run TRIALS trials per variant, split over the shards
#   -S A-B         seed range: trials k = 0..B-A use seeds A..B, split over the
#                  shards (with -N, the first TRIALS of them); a cell re-run
#                  with the same options runs the same trials
#   -s SEED        first seed when no -S is given (default 1)
#   -n SHARDS      shards per variant (default 2)
#   -v "V1 V2"     variants (default: gomap syncmap mutex rwlock sharded bounded);
#                  go-map, go-syncmap-reset and go-rwmutex run the Go peer
#                  (--subject; -V and -t do not apply to them)
#   -p PROFILE     traffic profile (default zoraxy-home)
#   -V VIA         sim or proxy (default sim)
#   -t THREADS     threads per job (default 4)
#   -r RATE        requests/s (default: the profile's rate; 0 = flat out)
#   -T DURATION    length of one trial (default: the job's duration)
#   -L SECONDS     time limit of one job; a job still running then is
#                  stopped and recorded as timed out (default: none)
#   -X "ARGS"      more options for every 'georace stress' job, e.g.
#                  "--backend scan --miss-cost 0 --cache-clear 15m" (part of
#                  the campaign's identity)
#   -j JOBS        'run': cells run at once (default 1). Worth it when the
#                  trials are mostly idle (home-lab rates): every trial
#                  records the free cores it saw, which counts the others.
#
# Every cell leaves two files: VARIANT-shardI.jsonl (the results) and
# VARIANT-shardI.status ("running" while the job runs, then its exit status,
# 124 when it hit -L, 128+n when signal n stopped it) plus the campaign's
# parameters. 'merge' takes the cells the options describe, and only those:
# a cell whose status is missing, still "running" (killed or timed out),
# non-zero, or written by a campaign with other parameters is named, and the
# merge fails. Files of other campaigns in DIR are left out and said so.
#
# Exit status: 0 when every cell ran to the end and met its expectation
# (fixed variants survive without mismatches; the buggy variants' failures
# are data), 1 otherwise, 64 on bad usage.
set -uo pipefail
cd "$(dirname "$0")/.."

GEORACE=${GEORACE:-build/default/cli/georace}
OUT=${OUT:-results/stress-campaign}
DURATION=${DURATION:-60m}
TRIALS=${TRIALS:-}
SEED_RANGE=${SEED_RANGE:-}
SEED=${SEED:-1}
SHARDS=${SHARDS:-2}
VARIANTS=${VARIANTS:-"gomap syncmap mutex rwlock sharded bounded"}
PROFILE=${PROFILE:-zoraxy-home}
VIA=${VIA:-sim}
THREADS=${THREADS:-4}
RATE=${RATE:-}
TRIAL_DURATION=${TRIAL_DURATION:-}
LIMIT=${LIMIT:-}
EXTRA=${EXTRA:-}
JOBS=${JOBS:-1}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }
die_usage() { echo "stress-campaign: $*" >&2; exit 64; }

mode=${1:-}
[ -n "$mode" ] || { usage >&2; exit 64; }
shift
case "$mode" in
  -h|--help|help) usage; exit 0 ;;
  run|merge) ;;
  job)
    [ $# -ge 2 ] || die_usage "job needs VARIANT SHARD"
    job_variant=$1; job_shard=$2; shift 2 ;;
  *) echo "stress-campaign: unknown mode '$mode'" >&2; usage >&2; exit 64 ;;
esac
while getopts "b:o:d:N:S:s:n:v:p:V:t:r:T:L:X:j:h" opt; do
  case "$opt" in
    b) GEORACE=$OPTARG ;; o) OUT=$OPTARG ;; d) DURATION=$OPTARG ;; N) TRIALS=$OPTARG ;;
    S) SEED_RANGE=$OPTARG ;; s) SEED=$OPTARG ;; n) SHARDS=$OPTARG ;; v) VARIANTS=$OPTARG ;;
    p) PROFILE=$OPTARG ;; V) VIA=$OPTARG ;; t) THREADS=$OPTARG ;; r) RATE=$OPTARG ;;
    T) TRIAL_DURATION=$OPTARG ;; L) LIMIT=$OPTARG ;; X) EXTRA=$OPTARG ;; j) JOBS=$OPTARG ;;
    h) usage; exit 0 ;;
    *) usage >&2; exit 64 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -eq 0 ] || die_usage "unexpected operand '$1'"
[[ $SHARDS =~ ^[1-9][0-9]*$ ]] || die_usage "-n SHARDS must be a positive integer, not '$SHARDS'"
[ -z "$TRIALS" ] || [[ $TRIALS =~ ^[1-9][0-9]*$ ]] || die_usage "-N TRIALS must be a positive integer"
[ -z "$SEED_RANGE" ] || [[ $SEED_RANGE =~ ^[0-9]+-[0-9]+$ ]] || die_usage "-S wants A-B, not '$SEED_RANGE'"
[ -z "$LIMIT" ] || [[ $LIMIT =~ ^[1-9][0-9]*$ ]] || die_usage "-L wants whole seconds, not '$LIMIT'"
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || die_usage "-j JOBS must be a positive integer, not '$JOBS'"
if [ "$mode" = job ]; then
  [[ $job_shard =~ ^[0-9]+$ ]] && [ "$job_shard" -lt "$SHARDS" ] ||
    die_usage "shard '$job_shard' is not in 0..$((SHARDS - 1))"
fi
[ -x "$GEORACE" ] || die_usage "no georace binary at $GEORACE (build it: cmake --workflow --preset default)"
mkdir -p "$OUT"

# What identifies this campaign: a cell written with other parameters belongs
# to another campaign and must not be merged into this one.
# The trial set: -N trials, else every seed of -S, else as many as -d allows.
if [ -n "$TRIALS" ]; then span="trials=$TRIALS"
elif [ -n "$SEED_RANGE" ]; then span="every-seed"
else span="duration=$DURATION"; fi
if [ -n "$SEED_RANGE" ]; then seeds="seed-range=$SEED_RANGE"; else seeds="seed=$SEED"; fi
campaign="profile=$PROFILE via=$VIA $span $seeds shards=$SHARDS threads=$THREADS rate=${RATE:-profile} trial=${TRIAL_DURATION:-job}"
[ -z "$EXTRA" ] || campaign="$campaign extra=$EXTRA"

cell_name() { echo "${1//+/_}-shard$2"; }

# One matrix cell. The status file says "running" from the start, so a job
# that is killed outright (or whose machine goes away) is still named by the
# merge; SIGTERM/SIGINT/SIGHUP stop the trial process and record 128+n.
run_job() {
  local v=$1 i=$2 base
  base="$OUT/$(cell_name "$v" "$i")"
  rm -f "$base.jsonl" "$base.status"
  printf 'running\n%s\n' "$campaign" >"$base.status"
  local args=(stress --profile "$PROFILE" --shard "$i/$SHARDS" --out "$base.jsonl")
  case "$v" in
    go-*) args+=(--subject "$v") ;;
    *) args+=(--variant "$v" --via "$VIA" --threads "$THREADS") ;;
  esac
  local extra=()
  [ -z "$EXTRA" ] || read -ra extra <<<"$EXTRA"
  args+=("${extra[@]}")
  case "$span" in
    trials=*) args+=(--trials "$TRIALS") ;;
    duration=*) args+=(--duration "$DURATION") ;;
  esac
  if [ -n "$SEED_RANGE" ]; then args+=(--seed-range "$SEED_RANGE"); else args+=(--seed "$SEED"); fi
  [ -n "$RATE" ] && args+=(--rate "$RATE")
  [ -n "$TRIAL_DURATION" ] && args+=(--trial-duration "$TRIAL_DURATION")
  local runner=()
  [ -n "$LIMIT" ] && runner=(timeout --signal=TERM --kill-after=30 "$LIMIT")
  echo "=== stress job: variant $v, shard $i/$SHARDS, $span, $seeds"
  "${runner[@]}" "$GEORACE" "${args[@]}" &
  local child=$! sig
  for sig in TERM INT HUP; do
    # shellcheck disable=SC2064
    trap "kill -TERM $child 2>/dev/null; wait $child; printf '%s\n%s\n' \$((128 + $(kill -l $sig))) \"\$campaign\" >'$base.status'; exit \$((128 + $(kill -l $sig)))" "$sig"
  done
  wait "$child"
  local rc=$?
  trap - TERM INT HUP
  printf '%s\n%s\n' "$rc" "$campaign" >"$base.status"
  echo "=== stress job: variant $v, shard $i/$SHARDS: exit $rc"
  return $rc
}

# Why a cell cannot be counted, or nothing when it can.
cell_problem() {
  local base=$1 st params
  [ -f "$base.status" ] || { echo "no status: the job never started or its files are lost"; return; }
  st=$(sed -n 1p "$base.status"); params=$(sed -n 2p "$base.status")
  [ "$params" = "$campaign" ] || { echo "written by another campaign ($params)"; return; }
  case "$st" in
    running) echo "never finished: killed or timed out without a word"; return ;;
    0) ;;
    124) echo "timed out after ${LIMIT:-?} s (exit 124)"; return ;;
    ''|*[!0-9]*) echo "unreadable status '$st'"; return ;;
    *) if [ "$st" -gt 128 ]; then echo "stopped by signal $((st - 128)) (exit $st)"
       else echo "failed its expectation (exit $st)"; fi
       return ;;
  esac
  [ -f "$base.jsonl" ] || { echo "exit 0 but no results file"; return; }
}

merge() {
  local parts=() bad=0 v i base why
  for v in $VARIANTS; do
    for ((i = 0; i < SHARDS; i++)); do
      base="$OUT/$(cell_name "$v" "$i")"
      why=$(cell_problem "$base")
      if [ -n "$why" ]; then
        echo "stress-campaign: cell $v shard $i/$SHARDS: $why"
        bad=1
      fi
      # Whatever a cell of this campaign finished is kept, even if it failed.
      if [ -s "$base.jsonl" ] && [ "$(sed -n 2p "$base.status" 2>/dev/null)" = "$campaign" ]; then
        parts+=("$base.jsonl")
      fi
    done
  done
  local f
  shopt -s nullglob
  for f in "$OUT"/*-shard*.jsonl; do
    case " ${parts[*]} " in *" $f "*) ;; *) echo "stress-campaign: left out $f (not a finished cell of this campaign)" ;; esac
  done
  if [ ${#parts[@]} -eq 0 ]; then
    echo "stress-campaign: no results of this campaign in $OUT" >&2
    return 1
  fi
  "$GEORACE" report merge "${parts[@]}" -o "$OUT/all.jsonl" || return 1
  "$GEORACE" report "$OUT/all.jsonl" -o "$OUT/report" || return 1
  echo "stress-campaign: merged ${#parts[@]} cells in $OUT/all.jsonl, report in $OUT/report/report.md"
  [ $bad = 0 ] || echo "stress-campaign: FAILED: the cells named above are missing or failed"
  return $bad
}

case "$mode" in
  job) run_job "$job_variant" "$job_shard"; exit $? ;;
  merge) merge; exit $? ;;
  run)
    rm -f "$OUT"/*-shard*.jsonl "$OUT"/*-shard*.status "$OUT/all.jsonl"
    for v in $VARIANTS; do
      for ((i = 0; i < SHARDS; i++)); do
        if [ "$JOBS" -gt 1 ]; then
          # at most JOBS cells at once, each in a subshell of its own
          while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n; done
          (run_job "$v" "$i" >"$OUT/$(cell_name "$v" "$i").log" 2>&1) &
        else
          run_job "$v" "$i"
        fi
      done
    done
    wait
    merge; exit $? ;;
esac
