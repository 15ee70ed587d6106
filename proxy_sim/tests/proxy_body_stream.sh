#!/usr/bin/env bash
# Request bodies stream: once a body outgrows 64 KiB before its end, the
# request is decided on its head and the body goes upstream as it comes,
# with backpressure, never held whole. Checked from the outside:
#   1. a 64 MiB Content-Length upload reaches the upstream byte for byte
#      (its CRC-32, echoed by the upstream) while the proxy's peak resident
#      set stays within baseline + 16 MiB (holding it would take 64 MiB);
#   2. an 8 MiB chunked upload, sent in uneven chunks, arrives decoded and
#      whole, and a keep-alive request after it on the same connection is
#      served;
#   3. a large upload from a blocked country gets 403 and the connection
#      closes; nothing reaches the upstream (no echo in the answer);
#   4. a chunked upload past --max-body-size is cut: 413, connection closed;
#   5. small bodies still go whole, with a Content-Length.
# Under a sanitizer or valgrind (GEORACE_SANITIZE, GEORACE_PROXY_WRAP) the
# same flows run with an 8 MiB upload and no resident-set bound: their
# allocators keep freed memory, so RSS would say nothing about the proxy.
. "$(dirname "$0")/lib.sh"

big_mib=64 rss_bound=1
if [ -n "${GEORACE_SANITIZE:-}" ] || [ ${#PROXY_WRAP[@]} -gt 0 ]; then
  big_mib=8 rss_bound=0
fi

cn=$(addr_of CN)
[ -n "$cn" ] || fail "cannot find a CN address with georace lookup"
start_upstream up
start_proxy small --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex --max-body-size 1M
SMALL_ADDR=$PROXY_ADDR
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant mutex --block CN \
  --max-body-size 96M
good_request "start"
python3 - "$PROXY_ADDR" "$PROXY_PID" "$SMALL_ADDR" "$cn" "$big_mib" "$rss_bound" <<'PY' ||
import random, socket, sys, zlib
host, port = sys.argv[1].rsplit(":", 1)
pid = int(sys.argv[2])
shost, sport = sys.argv[3].rsplit(":", 1)
blocked = sys.argv[4]
big_mib, rss_bound = int(sys.argv[5]), sys.argv[6] == "1"
MIB = 1 << 20

def rss(field):
    for line in open("/proc/%d/status" % pid):
        if line.startswith(field):
            return int(line.split()[1])

def read_answer(s):
    """status, headers (lower-case names), body of one answer; None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(1 << 16)
        if not chunk:
            return None if not data else sys.exit("closed inside a head: %r" % data[:80])
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for l in lines[1:]:
        k, v = l.split(b":", 1)
        hdrs[k.strip().lower().decode()] = v.strip().decode()
    n = int(hdrs.get("content-length", "0"))
    while len(rest) < n:
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("closed inside a body")
        rest += chunk
    return status, hdrs, rest[:n]

def closed(s):
    s.settimeout(10)
    try:
        while True:
            if not s.recv(1 << 16):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False

def echo_ok(name, ans, body):
    status, hdrs, _ = ans
    want = "%08x" % (zlib.crc32(body) & 0xffffffff)
    got = (hdrs.get("x-echo-body-length"), hdrs.get("x-echo-body-crc32"))
    if status != 200 or got != (str(len(body)), want):
        sys.exit("%s: status %d, upstream saw %r, sent (%d, %s)" % (name, status, got, len(body), want))
    print("ok: %s: %d bytes, crc32 %s at the upstream" % (name, len(body), want))

rnd = random.Random(7)

# 1. a large Content-Length upload (64 MiB)
base = rss("VmHWM:")
body = rnd.randbytes(big_mib * MIB)
s = socket.create_connection((host, int(port)), timeout=60)
s.sendall(b"PUT /up HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
for off in range(0, len(body), 1 << 20):
    s.sendall(body[off:off + (1 << 20)])
echo_ok("%d MiB upload" % big_mib, read_answer(s), body)
peak = rss("VmHWM:")
print("peak resident set: %d KiB before, %d KiB after the %d MiB upload" % (base, peak, big_mib))
if rss_bound and peak - base > 16 * 1024:
    sys.exit("the upload raised the peak by %d KiB: the body was held, not streamed" % (peak - base))

# 2. an 8 MiB chunked upload in uneven chunks, then a request on the same connection
body = rnd.randbytes(8 * MIB)
msg, off, k = [b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"], 0, 0
while off < len(body):
    n = min(len(body) - off, [1, 4093, 65536, 300000][k % 4])
    msg.append(b"%x;ext=%d\r\n" % (n, k) + body[off:off + n] + b"\r\n")
    off, k = off + n, k + 1
msg.append(b"0\r\nX-Trailer: dropped\r\n\r\n")
s.sendall(b"".join(msg))
echo_ok("8 MiB chunked upload in %d chunks" % k, read_answer(s), body)
s.sendall(b"POST /after HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
echo_ok("keep-alive request after the chunked upload", read_answer(s), b"hello")
s.close()

def refused(name, addr, head, pieces, status):
    """Send head, then pieces until the proxy stops reading; the answer must
    be `status`, carry no upstream echo, and the connection must close."""
    s = socket.create_connection(addr, timeout=60)
    s.sendall(head)
    try:
        for piece in pieces:
            s.sendall(piece)
    except (BrokenPipeError, ConnectionResetError):
        pass
    ans = read_answer(s)
    if ans is None or ans[0] != status or "x-echo-body-length" in ans[1]:
        sys.exit("%s: %r" % (name, ans[:2] if ans else None))
    if not closed(s):
        sys.exit("%s: the connection stayed open with the body unread" % name)
    print("ok: %s: %d, closed, nothing upstream" % (name, status))
    s.close()

# 3. a blocked client's large upload
refused("a blocked 32 MiB upload", (host, int(port)),
        b"POST /b HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: %s\r\nContent-Length: %d\r\n\r\n"
        % (blocked.encode(), 32 * MIB), (b"z" * MIB for _ in range(32)), 403)

# 4. a chunked upload past --max-body-size (1 MiB on the second proxy)
refused("a chunked upload past --max-body-size", (shost, int(sport)),
        b"POST /big HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
        (b"10000\r\n" + b"y" * 65536 + b"\r\n" for _ in range(64)), 413)

# 5. a small body still goes whole
s = socket.create_connection((host, int(port)), timeout=60)
body = rnd.randbytes(1000)
s.sendall(b"POST /s HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n" + body + b"\r\n0\r\n\r\n")
echo_ok("a small chunked body", read_answer(s), body)
s.close()
PY
  fail "see above"
pass "request bodies stream with a bounded footprint, byte for byte"
