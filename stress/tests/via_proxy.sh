#!/usr/bin/env bash
# 'georace stress --via proxy': each trial starts a real upstream and proxy on
# 127.0.0.1 port 0 and drives the proxy with 'georace load' (answers checked
# against ground truth); the trial records go to --out as JSON lines.
#
#   via_proxy.sh GEORACE fixed   syncmap behind the proxy, flood-burst, four
#                                workers: every trial survives with requests
#                                answered, zero mismatches and zero request
#                                errors; exit status 0 with --expect survive.
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
#                                comes from the variant.
# GEORACE_SANITIZE (set by CMake) names the preset's sanitizer.
set -u
georace=${1:?usage: via_proxy.sh GEORACE fixed|gomap}
mode=${2:?usage: via_proxy.sh GEORACE fixed|gomap}
sanitize=${GEORACE_SANITIZE:-}
work=$(mktemp -d "${TMPDIR:-/tmp}/georace-via-proxy.XXXXXX")
trap 'rm -rf "$work"' EXIT
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
  done < <(grep '"type":"trial"' "$out")
  [ "$(field failures "$summary")" -eq 0 ] || fail "the summary counts failures"
  [ "$(field mismatches "$summary")" -eq 0 ] || fail "the summary counts mismatches"
  echo "PASS: syncmap via proxy: $trials trials survived, $(field requests "$summary") requests," \
    "0 mismatches, 0 errors"
  exit 0
fi

if [ "$sanitize" = thread ]; then
  want_outcome=race want_message='WARNING: ThreadSanitizer: data race'
else
  want_outcome=fatal want_message='fatal error: concurrent map'
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
done < <(grep '"type":"trial"' "$out")
[ "$(field failures "$summary")" -eq $trials ] || fail "the summary does not count $trials failures"
echo "PASS: gomap via proxy: $trials/$trials trials died ($want_outcome:" \
  "$(field message "$(grep -m1 '"type":"trial"' "$out")")), median ttf $(field ttf_median_s "$summary") s"
