#!/usr/bin/env bash
# The buggy gomap variant behind the real proxy, under the flood profile
# (every request a new address, so every request writes the shared map) with
# four workers: the proxy must die the way Zoraxy did. In the default and
# asan presets the Go-style detector prints "fatal error: concurrent map
# writes" and exits with status 2; in the tsan preset ThreadSanitizer reports
# the data race first. The test passes only if one of them really happens,
# and 'georace load' must notice the death.
. "$(dirname "$0")/lib.sh"

start_upstream up --workers 1
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 4 --variant gomap --window-ns 2000 \
  --cache-clear 200ms
"$GEORACE" load --target "http://$PROXY_ADDR/" --profile flood --connections 32 --threads 2 \
  --duration 15s --json >"$WORK/load.json" 2>"$WORK/load.err"
lrc=$?
for i in $(seq 1 100); do kill -0 "$PROXY_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$PROXY_PID" 2>/dev/null && fail "the gomap proxy survived 15 s of flood"
wait "$PROXY_PID"
prc=$?
cat "$WORK/load.json"
[ $lrc -eq 1 ] || fail "load exited $lrc, expected 1 (target died)"
grep -qE '"target_died": true' "$WORK/load.json" || fail "load did not report the death"
if [ "$SANITIZE" = thread ]; then
  grep -q 'WARNING: ThreadSanitizer: data race' "$WORK/px.err" ||
    grep -q 'fatal error: concurrent map' "$WORK/px.err" || fail "no TSan report, no Go message"
  pass "gomap: proxy died (status $prc): $(grep -m1 -oE 'ThreadSanitizer: data race|fatal error: concurrent map [a-z ]+' "$WORK/px.err")"
else
  [ $prc -eq 2 ] || fail "proxy exited $prc, expected 2 (Go's fatal error status)"
  grep -q 'fatal error: concurrent map' "$WORK/px.err" || fail "no 'fatal error: concurrent map ...'"
  pass "gomap: $(grep -m1 'fatal error' "$WORK/px.err"), exit 2, load saw it die"
fi
