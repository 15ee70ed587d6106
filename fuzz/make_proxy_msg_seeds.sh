#!/usr/bin/env bash
# make_proxy_msg_seeds.sh - (re)write the hand-written seeds of fuzz_proxy_msg.
#
#   fuzz/make_proxy_msg_seeds.sh [DIR]     (default fuzz/corpus/fuzz_proxy_msg)
#
# Each seed is two option bytes then a client byte stream (see the top of
# fuzz_proxy_msg.c). Option byte 0: bits 0-1 peer (0 8.8.8.8, 1 5.6.7.8,
# 2 10.1.2.3, 3 2a00::1), bits 2-3 trust (0 none, 1 a list holding the peer,
# 2 all, 3 a list holding everyone), bit 4 Zoraxy's order, bit 5 syncmap,
# bits 6-7 the split after the first cut (whole, 1, 3, 61 bytes); byte 1 is
# the first cut. Seeds are named s-<what>; fuzzing adds hash-named inputs.
set -euo pipefail
dir=${1:-$(dirname "$0")/corpus/fuzz_proxy_msg}
mkdir -p "$dir"

# seed NAME OPTS CUT TEXT   (TEXT is a printf format: \r\n, \t, \xHH)
seed() { { printf "\\x$2\\x$3"; printf "$4"; } >"$dir/s-$1"; }

H='Host: example.test\r\n'
seed get              00 05 "GET / HTTP/1.1\r\n$H\r\n"
seed get-query-split1 40 03 "GET /a/b?c=d&e=%%20 HTTP/1.1\r\n${H}Accept: */*\r\nUser-Agent: t/1\r\n\r\n"
seed post-length      04 10 "POST /form HTTP/1.1\r\n${H}Content-Type: text/plain\r\nContent-Length: 11\r\n\r\nhello world"
seed post-chunked     80 2a "POST /up HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
seed chunked-trailers c4 30 "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-Ip: 8.8.8.8\r\n\r\n"
seed chunked-ext-crlf 44 00 "POST / HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\na\rb\r\n2\r\n\r\n\r\n0\r\nX-T: 1\r\n\r\n"
seed pipelined-three  80 11 "GET /1 HTTP/1.1\r\n$H\r\nPOST /2 HTTP/1.1\r\n${H}Content-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n$H\r\n"
seed pipelined-close  c0 20 "GET /1 HTTP/1.1\r\n$H\r\nGET /2 HTTP/1.1\r\n${H}Connection: close\r\n\r\nGET /3 HTTP/1.1\r\n$H\r\n"
seed pipelined-chunked 40 07 "POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\n\r\nPOST /b HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2\r\nyz\r\n0\r\nTrailer-X: q\r\n\r\n"
seed absolute-form    00 12 "GET http://example.test/a?b=1 HTTP/1.1\r\n$H\r\n"
seed absolute-no-path 08 09 "GET http://Example.Test?q=1 HTTP/1.1\r\n$H\r\n"
seed absolute-port    00 00 "GET https://example.test:8443 HTTP/1.1\r\nHost: example.test:8443\r\n\r\n"
seed absolute-other-host 00 00 "GET http://evil.test/ HTTP/1.1\r\n$H\r\n"
seed connection-named c0 25 "GET / HTTP/1.1\r\n${H}Connection: X-Secret, keep-alive\r\nConnection: x-other\r\nX-Secret: 1\r\nX-Other: 2\r\nX-Keep: 3\r\n\r\n"
seed hop-by-hop       80 00 "GET / HTTP/1.1\r\n${H}Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nTrailer: X-T\r\nProxy-Authorization: Basic eA==\r\nX-End: 1\r\n\r\n"
seed identity-untrusted 00 00 "GET / HTTP/1.1\r\n${H}X-Real-Ip: 8.8.8.8\r\nCF-Connecting-IP: 1.0.0.1\r\nFastly-Client-IP: 1.0.0.2\r\nTrue-Client-IP: 1.0.0.3\r\nX-Client-IP: 1.0.0.4\r\nX-Cluster-Client-IP: 1.0.0.5\r\nForwarded: for=1.0.0.6\r\nX-Forwarded-For: 1.0.0.7\r\n\r\n"
seed identity-zoraxy  19 00 "GET / HTTP/1.1\r\n${H}X-Real-Ip: 1.0.0.9\r\nCF-Connecting-IP: 5.6.7.8\r\nX-Forwarded-For: 95.1.2.3\r\n\r\n"
seed xff-chain-trusted 06 00 "GET / HTTP/1.1\r\n${H}X-Forwarded-For: 1.0.0.1, 127.0.0.1\r\nX-Forwarded-For: 8.8.8.9\r\n\r\n"
seed xff-blocked-trusted 0e 00 "GET / HTTP/1.1\r\n${H}X-Forwarded-For: 5.6.7.8, 8.8.8.8\r\n\r\n"
seed xff-empty-entry  04 00 "GET / HTTP/1.1\r\n${H}X-Forwarded-For: , 8.8.8.8\r\n\r\n"
seed xff-nat64-ipv6   0f 00 "GET / HTTP/1.1\r\n${H}X-Forwarded-For: 64:ff9b::5.6.7.8\r\n\r\n"
seed xff-untrusted-spoof 01 00 "GET / HTTP/1.1\r\n${H}X-Forwarded-For: 8.8.8.8\r\n\r\n"
seed http10-no-host   02 00 "GET /old HTTP/1.0\r\nUser-Agent: t\r\n\r\n"
seed http10-keepalive 22 04 "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /b HTTP/1.0\r\n\r\n"
seed head-and-options 00 00 "HEAD /h HTTP/1.1\r\n$H\r\nOPTIONS * HTTP/1.1\r\n$H\r\nDELETE /d HTTP/1.1\r\n$H\r\n"
seed put-empty        20 00 "PUT /p HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\nPATCH /q HTTP/1.1\r\n$H\r\n"
seed expect-continue  00 00 "POST /e HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 2\r\n\r\nok"
seed duplicate-host   00 00 "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
seed missing-host     00 00 "GET / HTTP/1.1\r\nAccept: x\r\n\r\n"
seed bare-lf          40 00 "GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"
seed obs-fold         00 00 "GET / HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n"
seed space-before-colon 80 00 "POST / HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"
seed cl-and-te        00 00 "POST / HTTP/1.1\r\n${H}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
seed metrics          00 00 "GET /-/metrics HTTP/1.1\r\n$H\r\nGET /-/metricsx HTTP/1.1\r\n$H\r\n"
seed connect-upgrade  00 00 "GET /ws HTTP/1.1\r\n${H}Connection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
seed connect          00 00 "CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n"
seed values-blanks-case 40 00 "GET / HTTP/1.1\r\nhOsT: example.test\r\nX-Empty:\r\nX-Blank:   \r\nX-Tab: a\tb \t\r\nX-High: \xc3\xa9\r\nX-Geo-Country: US\r\n\r\n"
seed body-too-large   00 00 "POST / HTTP/1.1\r\n${H}Content-Length: 9000\r\n\r\nabc"
seed big-body-split61 c0 33 "POST /big HTTP/1.1\r\n${H}Content-Length: 300\r\n\r\n$(printf 'x%.0s' $(seq 300))"
echo "$(ls "$dir" | grep -c '^s-') seeds in $dir"
