#!/usr/bin/env bash
# The buggy gomap variant behind the real proxy, under the flood profile
# (every request a new address, so every request writes the shared map) with
# four workers: the proxy must die the way Zoraxy did. In the default and
# asan presets the Go-style detector prints "fatal error: concurrent map
# writes" (or "... read and map write") and exits with status 2. In the tsan
# preset the detector is switched off and ThreadSanitizer itself must report
# the data race (exit 66, halt_on_error). The test passes only if that
# really happens, and 'georace load' must notice the death.
. "$(dirname "$0")/lib.sh"

start_upstream up --workers 1
detector=()
[ "$SANITIZE" = thread ] && detector=(--no-detector)
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 4 --variant gomap --window-ns 2000 \
  --cache-clear 200ms "${detector[@]}"
"$GEORACE" load --target "http://$PROXY_ADDR/" --profile flood --connections 32 --threads 2 \
  --duration 15s --json >"$WORK/load.json" 2>"$WORK/load.err"
lrc=$?
for i in $(seq 1 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PROXY_PID" 2>/dev/null && fail "the gomap proxy survived 15 s of flood"
wait "$PROXY_PID"
prc=$?
cat "$WORK/load.json"
if grep -qE '"requests": 0,' "$WORK/load.json"; then
  # died before its first answer: load can only say it never answered
  [ $lrc -eq 69 ] || fail "load exited $lrc, expected 69 (target never answered)"
else
  [ $lrc -eq 1 ] || fail "load exited $lrc, expected 1 (target died)"
  grep -qE '"target_died": true' "$WORK/load.json" || fail "load did not report the death"
fi
if [ "$SANITIZE" = thread ]; then
  grep -q 'WARNING: ThreadSanitizer: data race' "$WORK/px.err" || fail "no ThreadSanitizer report"
  grep -q 'gomap' "$WORK/px.err" || fail "the TSan report does not involve the gomap variant"
  [ $prc -eq 66 ] || fail "proxy exited $prc, expected TSan's 66"
  pass "gomap: ThreadSanitizer reported the data race, exit 66, load saw it die"
else
  [ $prc -eq 2 ] || fail "proxy exited $prc, expected 2 (Go's fatal error status)"
  grep -q 'fatal error: concurrent map' "$WORK/px.err" || fail "no 'fatal error: concurrent map ...'"
  pass "gomap: $(grep -m1 'fatal error' "$WORK/px.err"), exit 2, load saw it die"
fi
