#!/usr/bin/env bash
# HTTP/1.1 details the proxy handles itself: pipelined requests answered in
# order on one connection, Expect: 100-continue answered before the body is
# sent, HEAD answered without a body, HTTP/1.0 closed after one answer
# unless it asks for keep-alive, and an upstream that restarts (its pooled
# connections die) costs no client a 502.
. "$(dirname "$0")/lib.sh"

up_port=$(free_port) || fail "no free port for the upstream"
start_upstream up --listen "127.0.0.1:$up_port" --body-size 100
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant mutex
host=${PROXY_ADDR%:*} port=${PROXY_ADDR##*:}
us=$("$GEORACE" lookup 8.8.8.8 | awk '{print $2}')

# three pipelined requests in one write; the last one closes
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'GET /1 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 8.8.8.8\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 10.1.2.3\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
timeout 10 cat <&3 | tr -d '\r' >"$WORK/pipelined"
exec 3<&- 3>&-
# bodies end without a newline: count status lines wherever they start
got=$(grep -o 'HTTP/1.1 200 OK' "$WORK/pipelined" | wc -l)
[ "$got" = 3 ] || fail "pipelining: $got of 3 answers: $(head -c 300 "$WORK/pipelined")"
order=$(sed -n 's/^X-Geo-Country: //p' "$WORK/pipelined" | tr '\n' ' ')
[ "$order" = "$us Private Loopback " ] || fail "pipelined answers out of order: '$order'"

# Expect: 100-continue: the interim answer comes before the body is sent
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'POST /e HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 8.8.8.8\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n' >&3
IFS= read -r -t 5 line <&3 || fail "no interim answer to Expect: 100-continue"
[ "${line%$'\r'}" = "HTTP/1.1 100 Continue" ] || fail "Expect: 100-continue got '$line'"
IFS= read -r -t 5 line <&3 # the blank line closing the interim answer
printf 'hello' >&3
timeout 10 cat <&3 | tr -d '\r' >"$WORK/continued"
exec 3<&- 3>&-
head -1 "$WORK/continued" | grep -q '^HTTP/1.1 200 ' || fail "after 100-continue: $(head -1 "$WORK/continued")"
grep -qx 'X-Echo-Body-Length: 5' "$WORK/continued" || fail "the upstream did not get the 5-byte body"

# an oversized announced body is refused before it is sent, without a 100
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\nExpect: 100-continue\r\n\r\n' >&3
IFS= read -r -t 5 line <&3
exec 3<&- 3>&-
[ "${line%$'\r'}" = "HTTP/1.1 413 Payload Too Large" ] || fail "oversized announced body got '$line'"

# HEAD: headers and length, no body
curl -s -I --max-time 10 -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/h" | tr -d '\r' >"$WORK/head"
head -1 "$WORK/head" | grep -q '^HTTP/1.1 200 ' || fail "HEAD got $(head -1 "$WORK/head")"
grep -qx "X-Geo-Country: $us" "$WORK/head" || fail "HEAD answer lacks X-Geo-Country"
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'HEAD /h HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 8.8.8.8\r\nConnection: close\r\n\r\n' >&3
bytes=$(timeout 10 cat <&3 | sed -n '/^\r$/,$p' | wc -c)
exec 3<&- 3>&-
[ "$bytes" = 2 ] || fail "HEAD answer carries $((bytes - 2)) body bytes"

# HTTP/1.0: closed after one answer, kept open when it asks
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'GET /a HTTP/1.0\r\nX-Forwarded-For: 8.8.8.8\r\n\r\nGET /b HTTP/1.0\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n' >&3
n=$(timeout 10 cat <&3 | grep -o 'HTTP/1.1 200 OK' | wc -l)
exec 3<&- 3>&-
[ "$n" = 1 ] || fail "HTTP/1.0 without keep-alive: $n answers on one connection, expected 1"
exec 3<>"/dev/tcp/$host/$port" || fail "cannot connect to the proxy"
printf 'GET /a HTTP/1.0\r\nX-Forwarded-For: 8.8.8.8\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n' >&3
timeout 10 cat <&3 | tr -d '\r' >"$WORK/ka10"
exec 3<&- 3>&-
n=$(grep -o 'HTTP/1.1 200 OK' "$WORK/ka10" | wc -l)
[ "$n" = 2 ] || fail "HTTP/1.0 with keep-alive: $n answers, expected 2"
grep -qx 'Connection: keep-alive' "$WORK/ka10" || fail "HTTP/1.0 keep-alive answer lacks 'Connection: keep-alive'"

# the upstream restarts: the pooled connections die with it, and the next
# requests go out on fresh ones
for i in 1 2 3 4; do http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/warm$i" >/dev/null; done
kill "$UPSTREAM_PID"
wait "$UPSTREAM_PID" 2>/dev/null
start_upstream up2 --listen "127.0.0.1:$up_port" --body-size 100
for i in 1 2 3 4 5 6; do
  r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/after$i")
  [ "$r" = "200 $us" ] || fail "request $i after the upstream restarted got '$r', expected '200 $us'"
done
stop_gracefully "$PROXY_PID" || fail "proxy did not stop cleanly"
pass "pipelining in order, 100-continue, HEAD, HTTP/1.0, upstream restart without a 502"
