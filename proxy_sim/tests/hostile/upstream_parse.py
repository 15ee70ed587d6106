"""upstream_parse.py - a second, strict parse of what reached the upstream.

Independent of the proxy's parser (http-parser) and of the capturing
upstream's framing: every request on an upstream connection must be
RFC 9112 clean as the proxy writes it - "METHOD SP target SP HTTP/1.1 CRLF",
header lines "name: value CRLF" with a token name and no CR, LF or NUL in the
value, an empty line, then exactly Content-Length bytes of body (no
Transfer-Encoding: the proxy forwards bodies with a length). Anything else
is reported as a problem with its offset, never silently skipped.
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

    def values(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]


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
        if req.values(b"Transfer-Encoding"):
            problems.append("Transfer-Encoding forwarded at byte %d" % pos)
            break
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
