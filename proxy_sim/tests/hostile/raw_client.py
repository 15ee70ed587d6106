"""raw_client.py - a client that sends exact bytes and reads every answer.

No HTTP library stands between a case and the proxy: the request bytes go
out as written (bare CR, NUL, obs-fold and all). The client then shuts its
write side, so the proxy sees the end of the stream, answers what it
parsed and closes; the client reads until that close (or a deadline) and
splits what it got into answers, framed by their Content-Length (the proxy
writes every answer itself, always with a length).
"""
import socket
import time


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # [(name, value)] as bytes, in order
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None


def parse_answers(data):
    """Answers in data, and the bytes left over that do not form one."""
    answers = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        lines = data[:end].split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
            break
        headers = []
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers.append((k, v.strip(b" \t")))
            if k.lower() == b"content-length" and v.strip().isdigit():
                length = int(v.strip())
        status = int(parts[1])
        if 100 <= status < 200:
            length = 0
        if len(data) < end + 4 + length:
            break
        answers.append(Answer(status, headers, data[end + 4:end + 4 + length]))
        data = data[end + 4 + length:]
    return answers, data


def exchange(addr, request, timeout=15.0):
    """Sends request to addr ("host:port"), reads until the proxy closes.
    Returns (answers, leftover bytes, note); note is "" or why reading
    stopped early (a reset, the deadline)."""
    host, port = addr.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    got = b""
    note = ""
    deadline = time.monotonic() + timeout
    try:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                note = "no close within %gs" % timeout
                break
            s.settimeout(left)
            d = s.recv(65536)
            if not d:
                break
            got += d
    except socket.timeout:
        note = "no close within %gs" % timeout
    except OSError as e:
        note = "connection error: %s" % e
    finally:
        s.close()
    answers, rest = parse_answers(got)
    return answers, rest, note
