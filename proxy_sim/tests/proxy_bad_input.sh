#!/usr/bin/env bash
# Bad input never crashes the proxy and never stops it serving others:
# malformed request lines, oversized headers and bodies, invalid and hostile
# requester addresses, and spoofed headers from a peer that is not a trusted
# proxy (judged by its own address). After each case a normal request must
# still get 200; at the end the proxy must stop cleanly (also under asan,
# where a memory error would kill it).
. "$(dirname "$0")/lib.sh"

cn=$("$GEORACE" lookup 114.114.114.114 | awk '{print $2}')
[ -n "$cn" ] && [ "$cn" != "-" ] || fail "cannot find a country for 114.114.114.114"
start_upstream up
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant mutex --block "$cn" \
  --max-header-size 4096 --max-body-size 1000 --access-log "$WORK/access.log"
good_request "start"

# the access rule, with a trusted peer (loopback)
r=$(http -H "X-Forwarded-For: 114.114.114.114" "http://$PROXY_ADDR/")
[ "$r" = "403 $cn" ] || fail "blocked country: got '$r', expected '403 $cn'"
grep -q "blocked" "$WORK/body" || fail "403 without a short explanation"
r=$(http -H "X-Forwarded-For: 10.1.2.3" "http://$PROXY_ADDR/")
[ "$r" = "200 Private" ] || fail "private address: got '$r'"
r=$(http -H "X-Forwarded-For: 114.114.114.114, 8.8.8.8" "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "last untrusted X-Forwarded-For entry decides: got '$r'"
xff=$(header X-Echo-Forwarded-For)
[ "$xff" = "114.114.114.114, 8.8.8.8, 127.0.0.1" ] || fail "X-Forwarded-For not appended: '$xff'"

# malformed request lines (raw TCP, no HTTP client in between): the proxy
# parses and answers every one itself, X-Geo-Country included, then closes
while IFS='|' read -r want req; do
  raw_head "$PROXY_ADDR" "$req" >"$WORK/raw"
  line=$(head -1 "$WORK/raw")
  [ "$line" = "HTTP/1.1 $want" ] || fail "malformed request '$req' got '$line', expected 'HTTP/1.1 $want'"
  grep -qx 'X-Geo-Country: -' "$WORK/raw" || fail "malformed request '$req': answer lacks 'X-Geo-Country: -'"
  grep -qx 'Connection: close' "$WORK/raw" || fail "malformed request '$req': answer keeps the connection"
done <<'REQUESTS'
501 Not Implemented|GARBAGE\r\n\r\n
501 Not Implemented|GET\r\n\r\n
505 HTTP Version Not Supported|GET / HTTP/9.9\r\n\r\n
505 HTTP Version Not Supported|GET / HTTP/1.-1\r\n\r\n
400 Bad Request|GET / HTTP/1.1\r\nNoColonHeader\r\n\r\n
501 Not Implemented|\x00\x01\x02\x03\r\n\r\n
501 Not Implemented|BREW / HTTP/1.1\r\nHost: x\r\n\r\n
405 Method Not Allowed|CONNECT example.com:443 HTTP/1.1\r\n\r\n
501 Not Implemented|GET / HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n
400 Bad Request|POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n
REQUESTS
good_request "malformed requests"

# oversized headers (limit 4096) and body (limit 1000)
big=$(head -c 6000 /dev/zero | tr '\0' a)
r=$(http -H "X-Padding: $big" "http://$PROXY_ADDR/")
[ "$r" = "431 -" ] || fail "oversized headers got '$r', expected '431 -'"
good_request "oversized headers"
head -c 5000 /dev/zero >"$WORK/bigbody"
r=$(http --data-binary @"$WORK/bigbody" -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/")
[ "$r" = "413 -" ] || fail "oversized body got '$r', expected '413 -'"
good_request "oversized body"

# invalid and hostile requester addresses: 400, never a guess
for bad in 'garbage' '999.1.1.1' '1.2.3' '010.1.1.1' '1.2.3.4.5' '::ffff:1.2.3.4.5' ':::' \
            '[::1' '1.2.3.4:99999' '%00' "$(head -c 3000 /dev/zero | tr '\0' 9)"; do
  r=$(http -H "X-Forwarded-For: $bad" "http://$PROXY_ADDR/")
  [ "$r" = "400 -" ] || fail "X-Forwarded-For '${bad:0:40}' got '$r', expected '400 -'"
done
good_request "invalid X-Forwarded-For values"
# an empty entry: refused, never a guess
r=$(http -H "X-Forwarded-For: , 114.114.114.114" "http://$PROXY_ADDR/")
[ "$r" = "400 -" ] || fail "X-Forwarded-For ', CN' got '$r'"
# realip reads X-Forwarded-For only
r=$(http -H "X-Real-Ip: not-an-ip" -H "X-Forwarded-For: 8.8.8.8" "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "X-Real-Ip was read in realip mode: got '$r'"
# odd but valid spellings resolve like the plain address
for ok in '8.8.8.8:443' '[::ffff:8.8.8.8]:80' '::FFFF:8.8.8.8'; do
  r=$(http -H "X-Forwarded-For: $ok" "http://$PROXY_ADDR/")
  [ "$r" = "200 US" ] || fail "X-Forwarded-For '$ok' got '$r', expected '200 US'"
done

# metrics on their own listener only: the proxy's port forwards the path
r=$(http "http://$METRICS_ADDR/metrics")
[ "${r%% *}" = 200 ] || fail "metrics from the metrics listener got '$r'"
grep -q '^georace_proxy_requests_total{code="400"}' "$WORK/body" || fail "metrics lack the 400s"
grep -q '^georace_geo_lookup_seconds_bucket{le="+Inf"}' "$WORK/body" || fail "no latency histogram"
r=$(http "http://$PROXY_ADDR/-/metrics")
[ "$r" = "200 Loopback" ] || fail "/-/metrics on the proxy port was not forwarded: got '$r'"
grep -q '^georace_' "$WORK/body" && fail "the proxy port served metrics"
r=$(http "http://$METRICS_ADDR/")
[ "${r%% *}" = 404 ] || fail "the metrics listener answered '/' with '$r', not 404"

# the access log escapes what a client put in the target
raw_head "$PROXY_ADDR" 'GET /log"q\\\xff HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$WORK/raw"

# a peer that is not a trusted proxy is judged by its own address
start_proxy strict --upstream "$UPSTREAM_ADDR" --workers 1 --variant sharded --block "$cn" \
  --trusted-proxies 10.0.0.0/8
for spoof in "X-Forwarded-For: 114.114.114.114" "X-Real-Ip: 114.114.114.114" \
             "CF-Connecting-IP: 114.114.114.114" "X-Forwarded-For: garbage"; do
  r=$(http -H "$spoof" "http://$PROXY_ADDR/")
  [ "$r" = "200 Loopback" ] || fail "untrusted peer sending '$spoof' got '$r', expected '200 Loopback'"
done
# --trust-all --requester-ip zoraxy is Zoraxy's behaviour: anyone picks a country
start_proxy zoraxy --upstream "$UPSTREAM_ADDR" --workers 1 --variant rwlock --block "$cn" --trust-all \
  --trusted-proxies 10.0.0.0/8 --requester-ip zoraxy
r=$(http -H "X-Forwarded-For: 114.114.114.114" "http://$PROXY_ADDR/")
[ "$r" = "403 $cn" ] || fail "--trust-all: got '$r'"
r=$(http -H "X-Real-Ip: 114.114.114.114" -H "X-Forwarded-For: 8.8.8.8" "http://$PROXY_ADDR/")
[ "$r" = "403 $cn" ] || fail "--requester-ip zoraxy: X-Real-Ip first, got '$r'"

[ -s "$WORK/access.log" ] || fail "empty access log"
grep -q '" 403 ' "$WORK/access.log" || fail "access log lacks the 403"
grep -qF '/log\x22q\x5C\xFF' "$WORK/access.log" || fail "access log does not escape the target: $(grep -a '/log' "$WORK/access.log")"
LC_ALL=C grep -q '[^ -~]' "$WORK/access.log" && fail "access log holds bytes outside printable ASCII"
for pid in "${PIDS[@]:1}"; do
  kill -0 "$pid" 2>/dev/null || fail "a proxy died"
  stop_gracefully "$pid"
  prc=$?
  [ $prc -eq 0 ] || fail "proxy exited $prc after SIGTERM"
done
pass "bad input answered 400/405/413/431/501/505, spoofing ignored, proxies alive and stopped cleanly"
