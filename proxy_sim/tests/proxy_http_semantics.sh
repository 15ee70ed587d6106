#!/usr/bin/env bash
# What the proxy forwards and what it answers: request bodies with
# Content-Length and chunked encoding reach the upstream intact, a chunked
# upstream answer reaches the client intact, keep-alive holds on both sides,
# X-Geo-Country is on every response, and SIGTERM lets a request in flight
# finish before the proxy exits 0.
. "$(dirname "$0")/lib.sh"

start_upstream up --body-size 5000 --delay 0
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant rwlock

head -c 3000 /dev/urandom >"$WORK/payload"
r=$(http -X POST --data-binary @"$WORK/payload" -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/p")
[ "$r" = "200 US" ] || fail "POST with Content-Length: got '$r'"
[ "$(header X-Echo-Body-Length)" = 3000 ] || fail "upstream got $(header X-Echo-Body-Length) of 3000 bytes"
[ "$(stat -c %s "$WORK/body")" = 5000 ] || fail "client got $(stat -c %s "$WORK/body") of 5000 bytes"

r=$(http -X PUT -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/payload" \
  -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/c")
[ "$r" = "200 US" ] || fail "chunked request body: got '$r'"
[ "$(header X-Echo-Body-Length)" = 3000 ] || fail "chunked body: upstream got $(header X-Echo-Body-Length)"

r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/chunked")
[ "$r" = "200 US" ] || fail "chunked upstream answer: got '$r'"
[ "$(stat -c %s "$WORK/body")" = 5000 ] || fail "chunked answer: client got $(stat -c %s "$WORK/body") bytes"

r=$(http -I -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "HEAD: got '$r'"

# keep-alive: several requests over one connection
n=$(curl -s -o /dev/null -w '%{num_connects}\n' -H 'X-Forwarded-For: 8.8.8.8' \
  "http://$PROXY_ADDR/a" "http://$PROXY_ADDR/b" "http://$PROXY_ADDR/c" | awk '{s+=$1} END {print s}')
[ "$n" = 1 ] || fail "keep-alive: $n connections for 3 requests"
stop_gracefully "$PROXY_PID" || fail "proxy did not stop cleanly"

# graceful shutdown: a request in flight (slow upstream) completes
start_upstream slow --delay 1500
start_proxy px2 --upstream "$UPSTREAM_ADDR" --workers 2 --variant mutex
curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Forwarded-For: 8.8.8.8' \
  "http://$PROXY_ADDR/" >"$WORK/inflight" &
cpid=$!
# wait until that request is really in flight: the metrics scrape counts
# itself, so a gauge of 2 means the slow request is inside the proxy
for i in $(seq 1 200); do
  inflight=$(curl -s --max-time 2 "http://$METRICS_ADDR/metrics" | sed -n 's/^georace_proxy_in_flight //p')
  [ "${inflight:-0}" -ge 2 ] && break
  sleep 0.1
done
[ "${inflight:-0}" -ge 2 ] || fail "the slow request never reached the proxy"
kill -TERM "$PROXY_PID"
# the listener must close while the slow request is still being served;
# poll for a refused connect instead of guessing how long the signal takes
refused=0
for i in $(seq 1 100); do
  if ! (exec 3<>"/dev/tcp/${PROXY_ADDR%:*}/${PROXY_ADDR##*:}") 2>/dev/null; then refused=1; break; fi
  sleep 0.1
done
[ $refused = 1 ] || fail "the proxy still accepts new connections 10 s after SIGTERM"
wait "$cpid"
[ "$(cat "$WORK/inflight")" = 200 ] || fail "request in flight got '$(cat "$WORK/inflight")', expected 200"
wait "$PROXY_PID"
prc=$?
[ $prc -eq 0 ] || fail "proxy exited $prc after SIGTERM with a request in flight"
pass "bodies and chunks forwarded intact, keep-alive, in-flight request finished on SIGTERM"
