#!/usr/bin/env bash
# 'georace stress --via proxy': each trial starts a real upstream and proxy on
# 127.0.0.1 port 0 and drives the proxy with the load generator (answers
# checked against ground truth); the trial records go to --out as JSON lines.
#
#   via_proxy.sh GEORACE fixed   syncmap behind the proxy, flood-burst, four
#                                workers: every trial survives with requests
#                                answered, zero mismatches and zero request
#                                errors; exit status 0 with --expect survive.
#                                The cache counters come from the proxy: a
#                                non-zero hit count and hit ratio, and its RSS.
#   via_proxy.sh GEORACE gomap   gomap behind the proxy, flood (every request
#                                a new address, so every request writes), four
#                                workers, widened write window: every trial
#                                must fail the way Zoraxy did. Default and asan
#                                presets: outcome "fatal" with Go's "fatal
#                                error: concurrent map ...". tsan preset: the
#                                detector is off and ThreadSanitizer must report
#                                the data race (outcome "race"); the 'fixed'
#                                mode runs the same proxy, upstream and load
#                                generator race-free under tsan, so the report
#                                comes from the variant. The recorded exit
#                                status is the proxy's (2, or TSan's 66), the
#                                time-to-failure its death (at most a moment
#                                after its report, not when the trial ended),
#                                and its cache counters, unknown, are null.
#   via_proxy.sh GEORACE killed  syncmap behind the proxy, whose proxy the
#                                test kills with SIGKILL once it has served
#                                requests: the trial is a crash with signal 9
#                                (not a survivor), its time-to-failure the
#                                kill's, not the trial's end.
# GEORACE_SANITIZE (set by CMake) names the preset's sanitizer.
set -u
georace=${1:?usage: via_proxy.sh GEORACE fixed|gomap|killed}
mode=${2:?usage: via_proxy.sh GEORACE fixed|gomap|killed}
sanitize=${GEORACE_SANITIZE:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/georace-via-proxy.XXXXXX")
stress_pid=
trap '[ -n "$stress_pid" ] && kill "$stress_pid" 2>/dev/null; rm -rf "$work"' EXIT
out=$work/r.jsonl

fail() {
  echo "FAIL: $*"
  echo "--- JSON lines"
  cat "$out" 2>/dev/null
  echo "--- stress stderr (last lines)"
  tail -20 "$work/stress.err" 2>/dev/null
  exit 1
}

# field NAME LINE: the value of a number or string field of one JSON line.
field() {
  sed -n "s/.*\"$1\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" <<<"$2" | tr -d '"'
}

# check AWK-CONDITION A B: true when the condition on numbers a and b holds.
check() {
  awk -v a="$2" -v b="${3:-0}" "BEGIN { exit !($1) }"
}

trials=2
case $mode in
fixed)
  variant=syncmap
  args=(--profile flood-burst --trial-duration 3s --cache-clear 250ms --expect survive)
  ;;
gomap)
  variant=gomap
  args=(--profile flood --trial-duration 20s --cache-clear 200ms --window-ns 2000 --expect fail)
  [ "$sanitize" = thread ] && args+=(--no-detector)
  ;;
killed)
  # Kill the proxy of the only trial mid-way; see below.
  trials=1
  "$georace" stress --via proxy --variant syncmap --threads 2 --rate 0 --trials 1 --seed 7 \
    --profile flood-burst --trial-duration 20s --cache-clear 250ms --sample-interval 100ms \
    --expect fail --out "$out" >"$work/stress.out" 2>"$work/stress.err" &
  stress_pid=$!
  # The proxy: the child of the trial process (child of stress) named gr-proxy.
  px=
  for _ in $(seq 300); do
    for trial in $(ps -o pid= --ppid "$stress_pid"); do
      px=$(ps -o pid=,comm= --ppid "$trial" | awk '$2 == "gr-proxy" { print $1 }')
      [ -n "$px" ] && break
    done
    # mid-trial: once a sample shows the proxy has answered requests
    [ -n "$px" ] && grep -q '"type":"sample".*"requests":[1-9]' "$out" 2>/dev/null && break
    px=
    sleep 0.1
  done
  [ -n "$px" ] || fail "no proxy serving requests within 30 s"
  killed_at=$(grep '"type":"sample"' "$out" | tail -1)
  killed_at=$(field t_s "$killed_at")
  kill -KILL "$px" || fail "cannot kill the proxy (pid $px)"
  wait "$stress_pid"
  rc=$?
  stress_pid=
  [ $rc -eq 0 ] || fail "georace stress --via proxy (killed proxy) exited $rc, expected 0"
  t=$(grep '"type":"trial"' "$out")
  [ -n "$t" ] || fail "no trial record"
  [ "$(field outcome "$t")" = crash ] ||
    fail "outcome $(field outcome "$t") ($(field message "$t")), expected crash"
  [ "$(field failed "$t")" = true ] || fail "a killed proxy is not counted as failed"
  [ "$(field signal "$t")" = 9 ] || fail "signal $(field signal "$t"), expected 9"
  [ "$(field exit_status "$t")" = -1 ] || fail "exit_status $(field exit_status "$t"), expected -1"
  case $(field message "$t") in
  "signal 9 "*) ;;
  *) fail "message '$(field message "$t")', expected 'signal 9 (...)'" ;;
  esac
  ttf=$(field ttf_s "$t")
  # died after the last sample before the kill and well before the 20 s end
  check 'a >= b && a < b + 5' "$ttf" "$killed_at" ||
    fail "ttf_s $ttf: the kill came after the sample at $killed_at s"
  [ "$(field hits "$t")" = null ] || fail "hits of a dead proxy: $(field hits "$t"), expected null"
  [ "$(field hit_ratio "$t")" = null ] || fail "hit_ratio of a dead proxy is not null"
  [ "$(field rss_max_kb "$t")" -gt 0 ] || fail "no RSS sampled before the kill"
  summary=$(grep '"type":"summary"' "$out")
  [ "$(field failures "$summary")" -eq 1 ] || fail "the summary does not count the crash"
  echo "PASS: a proxy killed by SIGKILL after $killed_at s: crash (signal 9), ttf $ttf s"
  exit 0
  ;;
*) fail "unknown mode '$mode'" ;;
esac

"$georace" stress --via proxy --variant "$variant" --threads 4 --rate 0 --trials $trials \
  --seed 7 "${args[@]}" --out "$out" >"$work/stress.out" 2>"$work/stress.err"
rc=$?
[ $rc -eq 0 ] || fail "georace stress --via proxy ($mode) exited $rc, expected 0"

job=$(grep '"type":"job"' "$out")
[ "$(grep -c '"type":"job"' "$out")" -eq 1 ] || fail "expected one job record"
[ "$(field via "$job")" = proxy ] || fail "the job record does not say via proxy"
[ "$(field variant "$job")" = "$variant" ] || fail "the job record's variant is not $variant"
n=$(grep -c '"type":"trial"' "$out")
[ "$n" -eq $trials ] || fail "expected $trials trial records, found $n"
summary=$(grep '"type":"summary"' "$out")
[ -n "$summary" ] || fail "no summary record"

if [ "$mode" = fixed ]; then
  while read -r t; do
    seed=$(field seed "$t")
    [ "$(field outcome "$t")" = survived ] ||
      fail "seed $seed: outcome $(field outcome "$t") ($(field message "$t"))"
    [ "$(field requests "$t")" -ge 100 ] || fail "seed $seed: only $(field requests "$t") requests"
    [ "$(field mismatches "$t")" -eq 0 ] || fail "seed $seed: $(field mismatches "$t") mismatches"
    [ "$(field errors "$t")" -eq 0 ] || fail "seed $seed: $(field errors "$t") request errors"
    [ "$(field exit_status "$t")" -eq 0 ] || fail "seed $seed: exit_status $(field exit_status "$t")"
    # counters read from the proxy's /-/metrics and /proc, not left at 0
    hits=$(field hits "$t")
    [ "$hits" != null ] && [ "$hits" -gt 0 ] || fail "seed $seed: hits $hits, expected > 0"
    [ "$(field misses "$t")" -gt 0 ] || fail "seed $seed: misses $(field misses "$t")"
    [ "$(field clears "$t")" -gt 0 ] || fail "seed $seed: clears $(field clears "$t") (every 250 ms)"
    check 'a > 0 && a <= 1' "$(field hit_ratio "$t")" ||
      fail "seed $seed: hit_ratio $(field hit_ratio "$t")"
    [ "$(field rss_max_kb "$t")" -gt 0 ] || fail "seed $seed: rss_max_kb $(field rss_max_kb "$t")"
  done < <(grep '"type":"trial"' "$out")
  [ "$(field failures "$summary")" -eq 0 ] || fail "the summary counts failures"
  [ "$(field mismatches "$summary")" -eq 0 ] || fail "the summary counts mismatches"
  [ "$(field rss_max_kb "$summary")" -gt 0 ] || fail "the summary has no RSS"
  echo "PASS: syncmap via proxy: $trials trials survived, $(field requests "$summary") requests," \
    "0 mismatches, 0 errors, hits $hits, RSS $(field rss_max_kb "$summary") KiB"
  exit 0
fi

# want_gap: how long after its first report the proxy may take to die
# (ThreadSanitizer symbolizes its stacks in between).
if [ "$sanitize" = thread ]; then
  want_outcome=race want_message='WARNING: ThreadSanitizer: data race' want_status=66 want_gap=5
else
  want_outcome=fatal want_message='fatal error: concurrent map' want_status=2 want_gap=0.5
fi
while read -r t; do
  seed=$(field seed "$t")
  [ "$(field outcome "$t")" = "$want_outcome" ] ||
    fail "seed $seed: outcome $(field outcome "$t"), expected $want_outcome"
  [ "$(field failed "$t")" = true ] || fail "seed $seed: not counted as failed"
  case $(field message "$t") in
  "$want_message"*) ;;
  *) fail "seed $seed: message '$(field message "$t")', expected '$want_message...'" ;;
  esac
  [ "$(field exit_status "$t")" = $want_status ] ||
    fail "seed $seed: exit_status $(field exit_status "$t"), expected the proxy's $want_status"
  ttf=$(field ttf_s "$t") first=$(field first_report_s "$t")
  [ -n "$first" ] || fail "seed $seed: no first_report_s"
  check "a >= b - 0.05 && a <= b + $want_gap" "$ttf" "$first" ||
    fail "seed $seed: ttf_s $ttf is not the proxy's death just after its report at $first s"
  [ "$(field hits "$t")" = null ] || fail "seed $seed: hits of a dead proxy $(field hits "$t")"
done < <(grep '"type":"trial"' "$out")
[ "$(field failures "$summary")" -eq $trials ] || fail "the summary does not count $trials failures"
echo "PASS: gomap via proxy: $trials/$trials trials died ($want_outcome:" \
  "$(field message "$(grep -m1 '"type":"trial"' "$out")")), median ttf $(field ttf_median_s "$summary") s"
