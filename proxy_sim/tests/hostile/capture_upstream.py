"""capture_upstream.py - an upstream that records the exact bytes it receives.

The hostile suite's witness of what the proxy forwards. It listens on
127.0.0.1 (port 0: the kernel picks one) and keeps, per accepted connection
and in accept order, every byte read, unmodified. It answers each request it
can frame with a fixed 200 (Content-Length: 2, body "ok"), so the proxy's
exchange completes; a request it cannot frame (no request line, a
Transfer-Encoding other than chunked, a bad Content-Length or chunk) gets no
answer, and the bytes stay recorded for the case to judge. Framing here is
deliberately simple (the proxy writes a Content-Length, or chunks without
extensions or trailers for a body it streams), and the case judges the bytes
with its own strict parse (upstream_parse.py).

close() waits until every connection has been closed by its peer (the proxy
has exited), so the record is complete when the case reads it.
"""
import socket
import threading

ANSWER = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def _chunked_end(buf, pos):
    """Where the chunks from pos end, 0 if incomplete, -1 if malformed."""
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return 0
        try:
            n = int(buf[pos:eol], 16)
        except ValueError:
            return -1
        pos = eol + 2 + n + 2
        if n == 0:
            return pos if len(buf) >= pos else 0
        if len(buf) < pos:
            return 0


def _frame(buf):
    """Length of the first complete request in buf, 0 if incomplete, -1 if it
    cannot be framed."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return 0
    head = buf[:end].split(b"\r\n")
    if len(head[0].split(b" ")) != 3:
        return -1
    length, chunked = 0, False
    for line in head[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            return -1
        name = name.lower()
        if name == b"transfer-encoding":
            if value.strip(b" \t") != b"chunked":
                return -1
            chunked = True
        if name == b"content-length":
            value = value.strip(b" \t")
            if not value.isdigit():
                return -1
            length = int(value)
    if chunked:
        return _chunked_end(buf, end + 4)
    total = end + 4 + length
    return total if len(buf) >= total else 0


class CaptureUpstream:
    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.addr = "%s:%d" % self.sock.getsockname()
        self.lock = threading.Lock()
        self.conns = []  # bytearray per connection, in accept order
        self.threads = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return  # the listening socket was closed
            record = bytearray()
            with self.lock:
                self.conns.append(record)
                t = threading.Thread(target=self._serve, args=(conn, record), daemon=True)
                self.threads.append(t)
            t.start()

    def _serve(self, conn, record):
        pending = b""
        framing = True
        with conn:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                with self.lock:
                    record.extend(data)
                if not framing:
                    continue
                pending += data
                while True:
                    n = _frame(pending)
                    if n < 0:
                        framing = False
                        break
                    if n == 0:
                        break
                    pending = pending[n:]
                    try:
                        conn.sendall(ANSWER)
                    except OSError:
                        framing = False
                        break

    def close(self, timeout=10.0):
        """Stop accepting; wait for every connection to end. Returns the
        recorded bytes per connection, or raises TimeoutError if a connection
        is still open after timeout seconds."""
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()
        self.acceptor.join(timeout)
        with self.lock:
            threads = list(self.threads)
        for t in threads:
            t.join(timeout)
            if t.is_alive():
                raise TimeoutError("an upstream connection is still open after the proxy exited")
        with self.lock:
            return [bytes(c) for c in self.conns]
