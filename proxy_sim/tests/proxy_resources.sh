#!/usr/bin/env bash
# Memory a connection keeps, measured as the proxy's resident set
# (/proc/PID/status VmRSS, and its peak VmHWM) against its own baseline:
#   0. a 1 GiB answer, and a 64 MiB one to a client reading at 16 MiB/s,
#      pass through with the peak within baseline + 16 MiB: answers are
#      streamed, and a slow client stops the proxy reading the upstream;
#   1. six keep-alive clients that each fetched a 32 MiB answer (and a HEAD
#      after it, so the first answer is surely done) and then sit idle: the
#      proxy holds no answer for them (bound: baseline + 16 MiB,
#      where keeping the answers would take 192 MiB);
#   2. thirty clients that each sent 4 MiB of an 8 MiB body and stalled:
#      the bodies streamed on to the upstream, the proxy holds at most 64 KiB
#      and a read of each (bound: baseline + 16 MiB, where holding them would
#      take 120 MiB); and once they closed, nothing of them stays.
# The bounds are about what is kept, not about speed.
. "$(dirname "$0")/lib.sh"

# (registered in the default preset only: a sanitizer's allocator keeps
# freed memory in quarantine, so RSS would say nothing about the proxy)
start_upstream big --body-size 33554432
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant mutex --max-body-size 16M
rss_kib() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PROXY_PID/status"; }
good_request "start"
base=$(rss_kib)
python3 - "$PROXY_ADDR" "$PROXY_PID" "$base" "$METRICS_ADDR" <<'PY' || fail "see above"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
mhost, mport = sys.argv[4].rsplit(":", 1)
pid, base = int(sys.argv[2]), int(sys.argv[3])
MIB = 1024

def rss(field="VmRSS:"):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field):
            return int(line.split()[1])

def drain(path, rate=None):
    s = socket.create_connection((host, int(port)), timeout=60)
    s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(1 << 16)
    head, body = data.split(b"\r\n\r\n", 1)
    got, t0 = len(body), time.monotonic()
    while True:
        chunk = s.recv(1 << 20)
        if not chunk:
            break
        got += len(chunk)
        if rate:  # a slow reader: at most `rate` bytes per second
            ahead = got / rate - (time.monotonic() - t0)
            if ahead > 0:
                time.sleep(ahead)
    s.close()
    return head, got

for path, size, rate in ((b"/bytes/1073741824", 1 << 30, None), (b"/bytes/67108864", 1 << 26, 16 << 20)):
    head, got = drain(path, rate)
    if not head.startswith(b"HTTP/1.1 200 ") or got != size:
        sys.exit("%s: %r, %d bytes of %d" % (path, head[:40], got, size))
peak = rss("VmHWM:")
print("baseline %d KiB; peak after a 1 GiB answer and a slow 64 MiB one: %d KiB" % (base, peak))
if peak - base > 16 * MIB:
    sys.exit("streaming answers raised the peak by %d KiB" % (peak - base))

def fetch(s):
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("closed before the head")
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    if not head.startswith(b"HTTP/1.1 200 "):
        sys.exit("answer: %r" % head[:40])
    n = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")][0].split(b":")[1])
    got = len(body)
    while got < n:
        chunk = s.recv(1 << 20)
        if not chunk:
            sys.exit("closed mid-body")
        got += len(chunk)

def head(s):
    # a HEAD on the same connection is answered only after the answer
    # before it was written whole: then the connection is idle for sure
    s.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("closed before the HEAD answer")
        data += chunk

idle = []
for i in range(6):
    s = socket.create_connection((host, int(port)), timeout=60)
    fetch(s)
    head(s)
    idle.append(s)
after_idle = rss()
print("baseline %d KiB, six idle clients after 32 MiB answers: %d KiB" % (base, after_idle))
if after_idle - base > 16 * MIB:
    sys.exit("six idle keep-alive clients pin %d KiB" % (after_idle - base))
for s in idle:
    s.close()

stalled = []
for i in range(30):
    s = socket.create_connection((host, int(port)), timeout=60)
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n")
    s.sendall(b"x" * (4 << 20))
    stalled.append(s)
during = rss()
for s in stalled:
    s.close()
def in_flight():
    s = socket.create_connection((mhost, int(mport)), timeout=10)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        chunk = s.recv(1 << 16)
        if not chunk:
            break
        data += chunk
    s.close()
    for line in data.split(b"\n"):
        if line.startswith(b"georace_proxy_in_flight "):
            return int(line.split()[1])
    sys.exit("no in-flight gauge in the metrics")

# the proxy frees a connection when it reads its end of stream: wait (with
# a bound) until only the metrics request itself is in flight
deadline = time.monotonic() + 30
while in_flight() > 1:
    if time.monotonic() > deadline:
        sys.exit("the closed uploads still count as in flight after 30 s")
    time.sleep(0.05)
after_close = rss()
peak = rss("VmHWM:")  # each sendall above returned once the proxy had read most of the 4 MiB
print("thirty stalled 8 MiB bodies, 4 MiB sent: %d KiB (peak %d KiB); after they closed: %d KiB"
      % (during, peak, after_close))
if peak - base > 16 * MIB:
    sys.exit("thirty stalled uploads raised the peak by %d KiB: bodies held, not streamed"
             % (peak - base))
if after_close - base > 16 * MIB:
    sys.exit("closed connections left %d KiB behind" % (after_close - base))
PY
good_request "large answers and stalled bodies"
stop_gracefully "$PROXY_PID" || fail "proxy did not stop cleanly"
pass "idle keep-alive clients and closed uploads leave no large buffers behind"
