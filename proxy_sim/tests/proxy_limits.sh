#!/usr/bin/env bash
# The proxy's limits under pressure, each judged by what clients get, never
# by how long it took:
#   1. upstream wait queue: with every upstream connection busy on a slow
#      path, requests for a fast path wait at most the queue timeout (504
#      "no upstream connection came free"), and one more than the queue
#      holds gets a 503 at once; the slow requests still finish (200);
#   2. --max-connections: idle keep-alive connections are shed to make
#      room; with every slot busy mid-request a new client is not refused
#      but waits in the backlog, and is served once a slot frees;
#   3. the descriptor limit: under a hard RLIMIT_NOFILE of 100 the proxy
#      picks a connection limit that fits, and 40 keep-alive clients at once
#      are all served;
#   4. graceful stop: a POST half-sent before SIGTERM is finished and
#      answered, and the proxy exits 0.
. "$(dirname "$0")/lib.sh"

inflight() {
  curl -s --max-time 2 "http://$METRICS_ADDR/metrics" | sed -n 's/^georace_proxy_in_flight //p'
}
# wait_inflight N: poll (bounded) until the proxy has N requests in flight,
# the metrics request itself included.
wait_inflight() {
  local n end=$((SECONDS + 20))
  while [ $SECONDS -lt $end ]; do
    n=$(inflight)
    [ "${n:-0}" -ge "$1" ] && return 0
    sleep 0.05
  done
  fail "the proxy never had $1 requests in flight (last: ${n:-none})"
}

# ---- 1. the upstream wait queue
start_upstream up
start_proxy queue --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex \
  --upstream-connections 2 --upstream-queue 2 --upstream-queue-timeout 4s
slow=()
for i in 1 2; do
  curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'X-Forwarded-For: 8.8.8.8' \
    "http://$PROXY_ADDR/delay/10000" >"$WORK/slow$i" &
  slow+=($!)
done
wait_inflight 3 # both slow requests hold both upstream connections
queued=()
for i in 1 2; do
  curl -s -o "$WORK/qbody$i" -w '%{http_code}' --max-time 30 -H 'X-Forwarded-For: 8.8.8.8' \
    "http://$PROXY_ADDR/fast" >"$WORK/queued$i" &
  queued+=($!)
done
wait_inflight 5 # both fast requests wait in the queue (for 4 s: time enough,
                # even on a loaded machine, for the next request to find it full)
r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/fast")
[ "$r" = "503 US" ] || fail "a request beyond a full queue got '$r', expected '503 US'"
wait "${queued[@]}"
for i in 1 2; do
  [ "$(cat "$WORK/queued$i")" = 504 ] || fail "queued request $i got $(cat "$WORK/queued$i"), expected 504"
  grep -q "came free" "$WORK/qbody$i" || fail "queued request $i: not the queue's 504: $(cat "$WORK/qbody$i")"
done
wait "${slow[@]}"
for i in 1 2; do
  [ "$(cat "$WORK/slow$i")" = 200 ] || fail "slow request $i got $(cat "$WORK/slow$i")"
done
curl -s "http://$METRICS_ADDR/metrics" >"$WORK/m"
grep -q '^georace_upstream_errors_total{kind="queue_full"} 1$' "$WORK/m" || fail "queue_full not counted once"
grep -q '^georace_upstream_errors_total{kind="queue_timeout"} 2$' "$WORK/m" || fail "queue_timeout not counted twice"
good_request "the queue drained"
stop_gracefully "$PROXY_PID" || fail "proxy (queue) did not stop cleanly"

# ---- 2. --max-connections
start_proxy maxconn --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex --max-connections 2
grep -q 'max 2 connections' "$WORK/maxconn.out" || fail "the banner does not show the limit"
host=${PROXY_ADDR%:*} port=${PROXY_ADDR##*:}
# two idle keep-alive connections fill the limit...
for fd in 5 6; do
  eval "exec $fd<>/dev/tcp/$host/$port" || fail "connect"
  printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' >&$fd
  timeout 10 head -1 <&$fd | grep -q ' 200 ' || fail "keep-alive client $fd not served"
done
# ...and a third client is served all the same: an idle one is shed
good_request "two idle keep-alive connections at the limit"
exec 5<&- 5>&- 6<&- 6>&-
# now both slots busy mid-request: a third client waits, unrefused
for fd in 5 6; do
  eval "exec $fd<>/dev/tcp/$host/$port" || fail "connect"
  printf 'GET / HTTP/1.1\r\nHost: x\r\nX-Half: ' >&$fd
done
wait_addr_busy() { # both partial requests are in flight (they count from their first byte)
  local i
  for i in $(seq 1 300); do
    grep -q . <(curl -s --max-time 1 "http://$METRICS_ADDR/metrics" 5>&- 6>&- | sed -n 's/^georace_proxy_in_flight \([2-9]\)/\1/p') && return 0
    sleep 0.05
  done
  fail "the two partial requests never counted as in flight"
}
wait_addr_busy
# (the client must not inherit fds 5 and 6: a copy would keep the slot's
# connection open after the shell closes it, and the client would wait on itself)
curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H 'X-Forwarded-For: 8.8.8.8' \
  "http://$PROXY_ADDR/" >"$WORK/third" 2>"$WORK/third.err" 5>&- 6>&- &
third=$!
# it must still be waiting: connected (backlog), not answered, not reset
sleep 1 # a bound on "not yet answered", not an ordering: the answer can only follow the release below
kill -0 $third 2>/dev/null || fail "the third client ended while both slots were busy: $(cat "$WORK/third")"
exec 5<&- 5>&- # one slot frees
wait $third
[ "$(cat "$WORK/third")" = 200 ] || fail "the waiting client got '$(cat "$WORK/third")', expected 200"
exec 6<&- 6>&-
stop_gracefully "$PROXY_PID" || fail "proxy (max-connections) did not stop cleanly"

# ---- 3. the descriptor limit
(ulimit -n 100 && exec "$GEORACE" proxy --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
  --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex >"$WORK/fd.out" 2>"$WORK/fd.err") &
PROXY_PID=$!
PIDS+=($PROXY_PID)
PROXY_ADDR=$(wait_addr "$WORK/fd.out") || fail "proxy (fd limit) did not start"
limit=$(sed -n 's/.*max \([0-9]*\) connections.*/\1/p' "$WORK/fd.out")
[ -n "$limit" ] && [ "$limit" -le 50 ] || fail "under RLIMIT_NOFILE 100 the limit is '$limit'"
python3 - "$PROXY_ADDR" 40 <<'PY' || fail "not every client of 40 was served under the fd limit"
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
n = int(sys.argv[2])
socks = []
for i in range(n):  # 40 keep-alive clients, each served once, all kept open
    s = socket.create_connection((host, int(port)), timeout=30)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 8.8.8.8\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("client %d: connection closed before an answer" % i)
        head += chunk
    if not head.startswith(b"HTTP/1.1 200 "):
        sys.exit("client %d: %r" % (i, head[:40]))
    socks.append(s)
for s in socks:
    s.close()
PY
good_request "40 clients under a descriptor limit"
stop_gracefully "$PROXY_PID" || fail "proxy (fd limit) did not stop cleanly"

# ---- 4. a request begun before SIGTERM is finished
start_proxy stop --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex
exec 7<>"/dev/tcp/${PROXY_ADDR%:*}/${PROXY_ADDR##*:}" || fail "connect"
printf 'POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\nConnection: close\r\n\r\nhello' >&7
wait_inflight 2
kill -TERM "$PROXY_PID"
refused=0
for i in $(seq 1 200); do # the listener closes first
  if ! (exec 3<>"/dev/tcp/${PROXY_ADDR%:*}/${PROXY_ADDR##*:}") 2>/dev/null; then refused=1; break; fi
  sleep 0.05
done
[ $refused = 1 ] || fail "the proxy still accepts 10 s after SIGTERM"
printf 'world' >&7
timeout 10 head -1 <&7 | grep -q ' 200 ' || fail "the half-sent POST was not answered after SIGTERM"
exec 7<&- 7>&-
wait "$PROXY_PID"
prc=$?
[ $prc -eq 0 ] || fail "proxy exited $prc after finishing the half-sent POST"
pass "queue 503/504, connection limit sheds idle and holds new clients, fd limit fits, half-sent POST finished on SIGTERM"
