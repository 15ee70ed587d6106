#!/usr/bin/env bash
# Failures around the proxy: an upstream that is down (502), an upstream too
# slow for --upstream-timeout (504), and a slow client that trickles its
# request (dropped after the read timeout while everyone else is served).
# The proxy keeps serving throughout and stops cleanly.
. "$(dirname "$0")/lib.sh"

# upstream down: a port that was just free
start_upstream gone
dead=$UPSTREAM_ADDR
kill "${PIDS[0]}"; wait "${PIDS[0]}" 2>/dev/null
start_proxy down --upstream "$dead" --workers 1 --variant syncmap
for i in 1 2 3; do
  r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/")
  [ "$r" = "502 US" ] || fail "upstream down: got '$r', expected '502 US'"
done
r=$(http "http://$METRICS_ADDR/metrics")
grep -q '^georace_upstream_errors_total{kind="refused"} [1-9]' "$WORK/body" || fail "no refused count"
stop_gracefully "$PROXY_PID" || fail "proxy (upstream down) did not stop cleanly"

# slow upstream: 504 after the upstream timeout
start_upstream slow --delay 3000
start_proxy slowup --upstream "$UPSTREAM_ADDR" --workers 1 --variant syncmap --upstream-timeout 500ms
r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/")
[ "$r" = "504 US" ] || fail "slow upstream: got '$r', expected '504 US'"
stop_gracefully "$PROXY_PID" || fail "proxy (slow upstream) did not stop cleanly"

# slow client: one worker, a 1 s read timeout, a client that never finishes
start_upstream fast
start_proxy slowclient --upstream "$UPSTREAM_ADDR" --workers 1 --variant syncmap --read-timeout 1s
host=${PROXY_ADDR%:*} port=${PROXY_ADDR##*:}
exec 4<>"/dev/tcp/$host/$port" || fail "cannot connect"
printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ' >&4
for i in 1 2 3 4 5; do good_request "a slow client holds a connection"; done
# the proxy must drop the slow connection (after its 1 s read timeout). The
# bound is generous on purpose: it tells "dropped" from "held forever"
# without asserting a timing on a shared machine.
timeout 30 cat <&4 >/dev/null || fail "the proxy did not close the slow connection within 30 s"
exec 4<&- 4>&-
good_request "the slow client was dropped"
stop_gracefully "$PROXY_PID" || fail "proxy (slow client) did not stop cleanly"
pass "502 when down, 504 when slow, slow clients dropped, others served"
