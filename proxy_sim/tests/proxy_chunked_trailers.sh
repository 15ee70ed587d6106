#!/usr/bin/env bash
# A chunked request body's trailer fields are neither headers nor forwarded:
# the upstream gets the decoded body and an X-Forwarded-For that holds only
# what the client's headers said plus the peer, never a trailer's value (nor
# bytes that follow it in the proxy's buffers); a trailer never decides the
# requester address. Each case opens a fresh connection, so a value read
# past its end would run into bytes nobody wrote (what memcheck reports when
# this test runs under testing/memcheck.sh). Trailers split over many
# fields, a large trailer, and a request pipelined after a trailer are
# covered too.
. "$(dirname "$0")/lib.sh"

cn=$(addr_of CN)
us=$(addr_of US)
[ -n "$cn" ] && [ -n "$us" ] || fail "cannot find CN and US addresses with georace lookup"
start_upstream up --body-size 10
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex --block CN

# check NAME WANT_STATUS WANT_GEO WANT_XFF WANT_BODY_LENGTH REQUEST
check() {
  raw_head "$PROXY_ADDR" "$6" >"$WORK/raw"
  local line geo xff len
  line=$(head -1 "$WORK/raw")
  geo=$(sed -n 's/^X-Geo-Country: //p' "$WORK/raw")
  xff=$(sed -n 's/^X-Echo-Forwarded-For: //p' "$WORK/raw")
  len=$(sed -n 's/^X-Echo-Body-Length: //p' "$WORK/raw")
  [ "$line" = "HTTP/1.1 $2" ] || fail "$1: got '$line', expected 'HTTP/1.1 $2'"
  [ "$geo" = "$3" ] || fail "$1: X-Geo-Country '$geo', expected '$3'"
  [ "$xff" = "$4" ] || fail "$1: the upstream got X-Forwarded-For '$xff', expected '$4'"
  [ "$len" = "$5" ] || fail "$1: the upstream got a body of '$len' bytes, expected '$5'"
}

check "the reported trigger (a trailer X-Forwarded-For, the last field)" "200 OK" Loopback \
  127.0.0.1 3 \
  'POST /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n'
check "a trailer X-Forwarded-For naming an allowed address after a blocked one" \
  "403 Forbidden" CN "" "" \
  "POST /t HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: $cn\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Forwarded-For: $us\r\n\r\n"
check "a trailer X-Forwarded-For naming a blocked address after an allowed one" "200 OK" US \
  "$us, 127.0.0.1" 5 \
  "POST /t HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: $us\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Forwarded-For: $cn\r\n\r\n"
check "trailer fields split over several names and values" "200 OK" US "$us, 127.0.0.1" 8 \
  "PUT /t HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: $us\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nabcd\r\n4\r\nefgh\r\n0\r\nX-Real-Ip: $cn\r\nX-Forwarded-For: $cn\r\nX-Geo-Country: US\r\nX-Empty:\r\n\r\n"
big=$(head -c 3000 /dev/zero | tr '\0' 7)
check "a 3000-byte trailer value" "200 OK" Loopback 127.0.0.1 1 \
  "POST /t HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nz\r\n0\r\nX-Forwarded-For: $big\r\n\r\n"

# a request pipelined after one with a trailer: nothing of the trailer
# carries over into the next request on the same connection
raw_all() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf '%b' "$2" >&3
  timeout 10 cat <&3 | tr -d '\r'
  exec 3<&- 3>&-
}
raw_all "$PROXY_ADDR" "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nX-Forwarded-For: $cn\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$WORK/pipe"
n=$(grep -o 'HTTP/1.1 200 OK' "$WORK/pipe" | wc -l)
[ "$n" = 2 ] || fail "pipelined after a trailer: $n of 2 answers: $(head -c 400 "$WORK/pipe")"
xffs=$(sed -n 's/^X-Echo-Forwarded-For: //p' "$WORK/pipe" | tr '\n' '|')
[ "$xffs" = "127.0.0.1|127.0.0.1|" ] || fail "pipelined after a trailer: the upstream got X-Forwarded-For '$xffs'"

good_request "trailers"
stop_gracefully "$PROXY_PID" || fail "proxy did not stop cleanly"
pass "trailers dropped: never forwarded, never deciding, nothing read past them"
