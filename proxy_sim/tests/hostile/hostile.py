#!/usr/bin/env python3
"""hostile.py - runs the hostile HTTP suite against `georace proxy`.

  hostile.py GEORACE [--case SUBSTRING]... [--list]

For every case of cases.py: a fresh capturing upstream and a fresh proxy
(one worker, on 127.0.0.1 port 0, in the case's mode), one raw client
connection with the case's bytes, then SIGTERM. The case passes only if
the client got the expected status and number of answers (and
X-Geo-Country when the case names one), the proxy exited 0 (no crash, no
sanitizer report), and the upstream's recorded bytes - complete, because
the proxy has exited and closed them all - are what the case expects.
Every case runs; each failure is printed with what was seen.

The blocked and allowed addresses come from the default database at run
time (`georace lookup` over a fixed pseudo-random sample), never hard-coded.

Exit status: 0 every case passed, 1 some case failed, 2 setup failed (no
addresses found, a proxy that does not start), 64 usage.
"""
import ipaddress
import os
import random
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture_upstream import CaptureUpstream  # noqa: E402
from cases import table  # noqa: E402
from expect import NOTHING  # noqa: E402
from raw_client import exchange  # noqa: E402
from upstream_parse import parse_connection  # noqa: E402

MODES = {
    "trusted": ["--block", "CN,RU"],
    "untrusted": ["--block", "CN,RU", "--trusted-proxies", ""],
    "allow": ["--allow", "US"],
}


class SetupError(Exception):
    pass


def find_addresses(georace):
    """The first addresses of a fixed sample that the database places in CN
    and in US."""
    r = random.Random(7)
    sample = ["%d.%d.%d.%d" % (r.randint(1, 223), r.randint(0, 255), r.randint(0, 255),
                               r.randint(1, 254)) for _ in range(4000)]
    out = subprocess.run([georace, "lookup"] + sample, capture_output=True, text=True).stdout
    found = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 2 and f[1] in ("CN", "US") and f[1] not in found:
            found[f[1]] = f[0]
    if len(found) != 2:
        raise SetupError("georace lookup found no CN or no US address in the sample")
    return found["CN"], found["US"]


def embedded_forms(v4):
    """Every IPv6 spelling that embeds the IPv4 address v4."""
    n = int(ipaddress.IPv4Address(v4))
    hi, lo = n >> 16, n & 0xFFFF
    inv = n ^ 0xFFFFFFFF
    return [
        ("ipv4_mapped", "::ffff:%s" % v4),
        ("ipv4_mapped_hex", "::ffff:%x:%x" % (hi, lo)),
        ("ipv4_mapped_upper_bracket_port", "[::FFFF:%s]:443" % v4),
        ("ipv4_compatible", "::%s" % v4),
        ("ipv4_compatible_hex", "::%x:%x" % (hi, lo)),
        ("nat64", "64:ff9b::%s" % v4),
        ("nat64_hex", "64:ff9b::%x:%x" % (hi, lo)),
        ("6to4", "2002:%x:%x::1" % (hi, lo)),
        # Teredo: server 65.54.227.120, flags 0x8000, port 40000 obfuscated,
        # client address inverted in the last 32 bits
        ("teredo", "2001:0:4136:e378:8000:%x:%x:%x" % (40000 ^ 0xFFFF, inv >> 16, inv & 0xFFFF)),
    ]


class Addresses:
    def __init__(self, georace):
        self.cn, self.us = find_addresses(georace)
        self.cn_embedded = embedded_forms(self.cn)
        self.us_embedded = embedded_forms(self.us)


def start_proxy(georace, upstream, mode):
    cmd = [georace, "proxy", "--listen", "127.0.0.1:0", "--upstream", upstream, "--workers", "1",
           "--variant", "mutex", "--upstream-timeout", "5s", "--read-timeout", "5s"] + MODES[mode]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    got = {}

    def read_addr():
        for line in iter(p.stdout.readline, b""):
            if b"listening on " in line and "addr" not in got:
                got["addr"] = line.split(b"listening on ", 1)[1].split()[0].decode()
                ready.set()
        ready.set()

    ready = threading.Event()
    reader = threading.Thread(target=read_addr, daemon=True)
    reader.start()
    ready.wait(float(os.environ.get("GEORACE_TEST_START_WAIT", "10")))
    if "addr" not in got:
        p.kill()
        p.wait()
        raise SetupError("proxy (%s) did not start: %s" % (" ".join(cmd), p.stderr.read()[-500:]))
    return p, got["addr"], reader


def stop_proxy(p, reader):
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return None, b"still running 30 s after SIGTERM"
    reader.join(5)
    return rc, p.stderr.read()


def show(b, n=400):
    return repr(b[:n]) + ("..." if len(b) > n else "")


def run_case(georace, case):
    """Problems found (an empty list: the case passed) and a one-line summary
    of what the client and the upstream got."""
    up = CaptureUpstream()
    problems = []
    try:
        p, addr, reader = start_proxy(georace, up.addr, case.mode)
    except SetupError:
        up.close()
        raise
    try:
        answers, rest, note = exchange(addr, case.request)
    except OSError as e:
        answers, rest, note = [], b"", "cannot connect: %s" % e
    finally:
        rc, err = stop_proxy(p, reader)
    try:
        conns = up.close()
    except TimeoutError as e:
        conns = []
        problems.append(str(e))
    status = answers[0].status if answers else None
    seen = b"".join(conns)
    summary = "client got %s (%d answer%s), upstream got %d bytes %s" % (
        status, len(answers), "" if len(answers) == 1 else "s", len(seen), show(seen, 300))

    if status not in case.status:
        problems.append("status %s, expected %s" % (status, " or ".join(map(str, case.status))))
    if len(answers) != case.answers:
        problems.append("%d answers, expected %d" % (len(answers), case.answers))
    if case.geo is not None and answers and answers[0].header(b"X-Geo-Country") != case.geo:
        problems.append("answer X-Geo-Country %r, expected %r"
                        % (answers[0].header(b"X-Geo-Country"), case.geo))
    if rest:
        problems.append("bytes after the answers: %s" % show(rest, 120))
    if note:
        problems.append("client: %s" % note)
    if rc != 0:
        problems.append("proxy exited %s after SIGTERM: %s" % (rc, err[-600:].decode("latin-1")))

    if case.upstream == NOTHING:
        if seen:
            problems.append("the upstream got bytes, expected nothing")
    else:
        reqs = []
        for c in conns:
            r, bad = parse_connection(c)
            reqs += r
            problems += ["upstream bytes: %s" % b for b in bad]
        if len(reqs) != len(case.upstream):
            problems.append("the upstream got %d requests, expected %d"
                            % (len(reqs), len(case.upstream)))
        for i, (want, got) in enumerate(zip(case.upstream, reqs)):
            problems += ["upstream request %d: %s" % (i + 1, x) for x in want.problems(got)]
    return problems, summary


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 64
    georace, only, listing = argv[1], [], False
    args = argv[2:]
    while args:
        a = args.pop(0)
        if a == "--case" and args:
            only.append(args.pop(0))
        elif a == "--list":
            listing = True
        else:
            print("hostile.py: unknown argument %r (see --help)" % a, file=sys.stderr)
            return 64
    try:
        addrs = Addresses(georace)
    except SetupError as e:
        print("hostile: setup failed: %s" % e, file=sys.stderr)
        return 2
    cases = [c for c in table(addrs) if not only or any(s in c.name for s in only)]
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        print("hostile: duplicate case names", file=sys.stderr)
        return 2
    if listing:
        for c in cases:
            print(c.name)
        return 0
    if not cases:
        print("hostile: no case matches", file=sys.stderr)
        return 2
    print("hostile: blocked %s (CN), allowed %s (US); %d cases" % (addrs.cn, addrs.us, len(cases)))
    failed = []
    t0 = time.monotonic()
    for c in cases:
        try:
            problems, summary = run_case(georace, c)
        except SetupError as e:
            print("hostile: setup failed in %s: %s" % (c.name, e), file=sys.stderr)
            return 2
        if problems:
            failed.append(c.name)
            print("FAIL %s: %s" % (c.name, summary))
            for x in problems:
                print("     - %s" % x)
        else:
            print("ok   %s" % c.name)
    by_class = {}
    for c in cases:
        by_class.setdefault(c.cls, [0, 0])
        by_class[c.cls][0] += 1
        by_class[c.cls][1] += c.name in failed
    print("hostile: %d of %d cases passed in %.1f s; by class (failed/total): %s" % (
        len(cases) - len(failed), len(cases), time.monotonic() - t0,
        ", ".join("%s %d/%d" % (k, v[1], v[0]) for k, v in by_class.items())))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
