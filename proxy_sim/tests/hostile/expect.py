"""expect.py - what a case expects the client and the upstream to get.

A case names the status of the client's (first) answer, how many answers
the client gets, optionally that answer's X-Geo-Country, and what reaches
the upstream: NOTHING (not one byte), or the exact list of requests, each a
Fwd. A Fwd is the request the upstream must get: method, target, body, and
the client's end-to-end headers in the client's order (names compared
without case, values byte for byte). Beside them only the headers the proxy
writes itself may appear, each exactly once: X-Forwarded-For (with the value
the case gives, or one that passes the case's predicate), X-Geo-Country (the
country the proxy decided), Content-Length (the body's length) or, for a
body streamed without one, Transfer-Encoding: chunked, and Connection:
keep-alive (for its own upstream pool). Anything else that
reaches the upstream - a header the client sent that should have been
removed, a second request, a stray byte - fails the case.
"""

NOTHING = "nothing"

MANAGED = (b"x-forwarded-for", b"x-geo-country", b"content-length", b"transfer-encoding",
           b"connection")


def H(*lines):
    """Header list from "Name: value" strings (latin-1, so any byte fits)."""
    out = []
    for line in lines:
        b = line.encode("latin-1") if isinstance(line, str) else line
        name, _, value = b.partition(b":")
        out.append((name, value.strip(b" \t")))
    return out


class EndsWithPeer:
    """X-Forwarded-For predicate: the real peer (127.0.0.1) is the last entry,
    whatever the proxy kept of an untrusted client's chain."""

    def __call__(self, value):
        return value == b"127.0.0.1" or value.endswith(b", 127.0.0.1")

    def __repr__(self):
        return "'..., 127.0.0.1' (the peer last)"


class Fwd:
    def __init__(self, method, target, headers, body=b"", xff=b"127.0.0.1", geo=b"Loopback",
                 targets=None, chunked=False):
        self.chunked = chunked  # streamed without a length: re-chunked by the proxy
        self.method = method.encode() if isinstance(method, str) else method
        self.targets = [t.encode() if isinstance(t, str) else t for t in (targets or [target])]
        self.headers = headers
        self.body = body
        self.xff = xff.encode() if isinstance(xff, str) else xff
        self.geo = geo.encode() if isinstance(geo, str) else geo

    def problems(self, req):
        p = []
        if req.method != self.method:
            p.append("method %r, expected %r" % (req.method, self.method))
        if req.target not in self.targets:
            p.append("target %r, expected %s" % (req.target, " or ".join(map(repr, self.targets))))
        if req.body != self.body:
            p.append("body %r, expected %r" % (req.body[:100], self.body[:100]))
        if req.chunked != self.chunked:
            p.append("body %s, expected %s" % (*("chunked" if c else "with a length"
                                                   for c in (req.chunked, self.chunked)),))
        elif self.body and not self.chunked and not req.values(b"Content-Length"):
            p.append("body without Content-Length")
        xff = req.values(b"X-Forwarded-For")
        ok = len(xff) == 1 and (self.xff(xff[0]) if callable(self.xff) else xff[0] == self.xff)
        if not ok:
            p.append("X-Forwarded-For %r, expected one line %r" % (xff, self.xff))
        geo = req.values(b"X-Geo-Country")
        if geo != [self.geo]:
            p.append("X-Geo-Country %r, expected one line %r" % (geo, self.geo))
        conn = req.values(b"Connection")
        if conn and [v.lower() for v in conn] != [b"keep-alive"]:
            p.append("Connection %r forwarded" % conn)
        rest = [(k.lower(), v) for k, v in req.headers if k.lower() not in MANAGED]
        want = [(k.lower(), v) for k, v in self.headers]
        if rest != want:
            p.append("end-to-end headers %r, expected %r" % (rest, want))
        return p


class Case:
    def __init__(self, cls, name, request, status, upstream, mode="trusted", answers=1,
                 geo=None):
        self.cls = cls
        self.name = "%s/%s" % (cls, name)
        self.request = request
        self.status = status if isinstance(status, tuple) else (status,)
        self.upstream = upstream  # NOTHING or [Fwd, ...]
        self.mode = mode
        self.answers = answers
        self.geo = geo.encode() if isinstance(geo, str) else geo
