"""upstream_parse.py - a second, strict parse of what reached the upstream.

Independent of the proxy's parser (http-parser) and of the capturing
upstream's framing: every request on an upstream connection must be
RFC 9112 clean as the proxy writes it - "METHOD SP target SP HTTP/1.1 CRLF",
header lines "name: value CRLF" with a token name and no CR, LF or NUL in the
value, an empty line, then the body: exactly Content-Length bytes, or -
for a body the proxy streamed without a length - "Transfer-Encoding:
chunked" alone, chunks as the proxy writes them (hex size, CRLF, data,
CRLF; no extensions) and a bare last chunk (no trailers). Anything else is
reported as a problem with its offset, never silently skipped.
"""
import re

TOKEN = re.compile(rb"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
TARGET = re.compile(rb"^[\x21-\x7e]+$")


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # [(name, value)], bytes, in order
        self.body = body
        self.chunked = False

    def values(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


def read_chunks(data, pos, problems):
    """The decoded body of chunks from pos and where they end, or (b"", None)
    with a problem."""
    body = []
    while True:
        eol = data.find(b"\r\n", pos)
        size = data[pos:eol] if eol >= 0 else b""
        if not re.match(rb"^[0-9a-f]+$", size):
            problems.append("bad chunk size line at byte %d: %r" % (pos, data[pos:pos + 20]))
            return b"", None
        n, at = int(size, 16), eol + 2
        if n == 0:
            if data[at:at + 2] != b"\r\n":
                problems.append("last chunk not followed by an empty line at byte %d" % at)
                return b"", None
            return b"".join(body), at + 2
        if at + n + 2 > len(data) or data[at + n:at + n + 2] != b"\r\n":
            problems.append("chunk of %d bytes at byte %d cut or not ended by CRLF" % (n, at))
            return b"", None
        body.append(data[at:at + n])
        pos = at + n + 2


def parse_connection(data):
    """Requests on one upstream connection and a list of problems (empty when
    the bytes are a clean sequence of complete requests)."""
    requests, problems = [], []
    pos = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            problems.append("incomplete head at byte %d: %r" % (pos, data[pos:pos + 80]))
            break
        lines = data[pos:end].split(b"\r\n")
        parts = lines[0].split(b" ")
        if len(parts) != 3 or not TOKEN.match(parts[0]) or not TARGET.match(parts[1]) or \
                parts[2] != b"HTTP/1.1":
            problems.append("bad request line at byte %d: %r" % (pos, lines[0][:80]))
            break
        headers = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not TOKEN.match(name):
                problems.append("bad header line at byte %d: %r" % (pos, line[:80]))
                continue
            value = value.strip(b" \t")
            if re.search(rb"[\x00\r\n]", value):
                problems.append("CR, LF or NUL in %r at byte %d" % (name, pos))
            headers.append((name, value))
        req = Request(parts[0], parts[1], parts[2], headers, b"")
        te = req.values(b"Transfer-Encoding")
        if te:
            if te != [b"chunked"] or req.values(b"Content-Length"):
                problems.append("Transfer-Encoding %r (Content-Length %r) at byte %d"
                                % (te, req.values(b"Content-Length"), pos))
                break
            req.chunked = True
            req.body, pos = read_chunks(data, end + 4, problems)
            if pos is None:
                break
            requests.append(req)
            continue
        lengths = req.values(b"Content-Length")
        if len(lengths) > 1 or (lengths and not lengths[0].isdigit()):
            problems.append("bad Content-Length %r at byte %d" % (lengths, pos))
            break
        n = int(lengths[0]) if lengths else 0
        body_at = end + 4
        if body_at + n > len(data):
            problems.append("body shorter than its Content-Length at byte %d" % pos)
            break
        req.body = data[body_at:body_at + n]
        requests.append(req)
        pos = body_at + n
    return requests, problems
