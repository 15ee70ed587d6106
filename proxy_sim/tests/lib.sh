# lib.sh - helpers for the proxy integration tests (sourced by each test).
#
# Every server listens on 127.0.0.1 port 0 and prints the address it got;
# helpers read it back. Every process a test starts is remembered by its pid
# and killed on exit, so a failing test leaves nothing behind.
#   GEORACE    path of the georace binary (argument 1 of each test)
#   SANITIZE   the preset's sanitizer: "", thread, address or fuzzer
#              (environment GEORACE_SANITIZE, set by CMake)
#   PROXY_WRAP a command the proxy runs under, e.g. valgrind and its options
#              (environment GEORACE_PROXY_WRAP, split on blanks; set by
#              testing/memcheck.sh), empty for none
#   START_WAIT seconds a server may take to print its address (environment
#              GEORACE_TEST_START_WAIT, default 10)
set -u
GEORACE=${1:?usage: test.sh GEORACE_BINARY [ARGS...]}
SANITIZE=${GEORACE_SANITIZE:-}
PROXY_WRAP=()
[ -z "${GEORACE_PROXY_WRAP:-}" ] || read -ra PROXY_WRAP <<<"$GEORACE_PROXY_WRAP"
START_WAIT=${GEORACE_TEST_START_WAIT:-10}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/georace-proxy-test.XXXXXX")
PIDS=()

cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$WORK"/*.err; do
    [ -s "$f" ] && { echo "--- $(basename "$f") (last lines)" >&2; tail -"${GEORACE_TEST_LOG_LINES:-20}" "$f" >&2; }
  done
  exit 1
}
pass() { echo "ok: $*"; }

# wait_addr FILE: wait (up to START_WAIT s) for "listening on ADDR" in FILE,
# print ADDR.
wait_addr() {
  local i addr
  for i in $(seq 1 $((START_WAIT * 20))); do
    addr=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$1" 2>/dev/null | head -1)
    [ -n "$addr" ] && { echo "$addr"; return 0; }
    sleep 0.05
  done
  return 1
}

# start_upstream NAME [options...]: sets UPSTREAM_ADDR; pid in PIDS.
start_upstream() {
  local name=$1; shift
  "$GEORACE" upstream --listen 127.0.0.1:0 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  UPSTREAM_PID=$!
  PIDS+=($!)
  UPSTREAM_ADDR=$(wait_addr "$WORK/$name.out") || fail "upstream $name did not start"
}

# start_proxy NAME [options...]: sets PROXY_ADDR, METRICS_ADDR (its
# --metrics-listen socket) and PROXY_PID; the proxy runs under PROXY_WRAP if
# one is set (same pid: valgrind execs its tool).
start_proxy() {
  local name=$1; shift
  "${PROXY_WRAP[@]}" "$GEORACE" proxy --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  PROXY_PID=$!
  PIDS+=($PROXY_PID)
  PROXY_ADDR=$(wait_addr "$WORK/$name.out") || fail "proxy $name did not start"
  METRICS_ADDR=$(sed -n 's/.*metrics on \([^ ]*\).*/\1/p' "$WORK/$name.out" | head -1)
  [ -n "$METRICS_ADDR" ] || fail "proxy $name printed no metrics address"
}

# stop_gracefully PID: SIGTERM, wait (up to 20 s), print the exit status.
stop_gracefully() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null
  for i in $(seq 1 400); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  wait "$pid"
}

# http ARGS...: curl printing "STATUS GEO" (X-Geo-Country) of one request.
http() {
  curl -s -o "$WORK/body" -D "$WORK/headers" --max-time 10 -w '%{http_code}' "$@" >"$WORK/code"
  local code geo
  code=$(cat "$WORK/code")
  geo=$(tr -d '\r' <"$WORK/headers" | sed -n 's/^[Xx]-[Gg]eo-[Cc]ountry: *//p' | tail -1)
  echo "$code ${geo:-none}"
}

# header NAME: the value of a response header of the last http call.
header() {
  tr -d '\r' <"$WORK/headers" | grep -i "^$1:" | tail -1 | sed 's/^[^:]*: *//'
}

# raw ADDR DATA: send DATA over a plain TCP connection, print the status line
# of the answer (bash's /dev/tcp: no HTTP client between us and the proxy).
raw() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf '%b' "$2" >&3
  timeout 5 head -1 <&3 | tr -d '\r'
  exec 3<&- 3>&-
}

# raw_head ADDR:PORT REQUEST: send printf-escaped bytes, print the answer's
# status line and headers (CR removed).
raw_head() {
  local host=${1%:*} port=${1##*:}
  exec 3<>"/dev/tcp/$host/$port" || return 1
  printf '%b' "$2" >&3
  timeout 5 cat <&3 | tr -d '\r' | sed '/^$/q'
  exec 3<&- 3>&-
}

# free_port: a loopback port nothing listens on now (for a server that must
# come back on the same port).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# addr_of CC: an IPv4 address georace's database places in country CC (the
# first of a fixed pseudo-random sample), empty if none is found.
addr_of() {
  python3 -c 'import random; r=random.Random(7); print("\n".join("%d.%d.%d.%d"%(r.randint(1,223),r.randint(0,255),r.randint(0,255),r.randint(1,254)) for _ in range(4000)))' |
    xargs "$GEORACE" lookup 2>/dev/null | awk -v cc="$1" '$2==cc{print $1; exit}'
}

# good_request: the proxy still serves a normal client.
good_request() {
  local r
  r=$(http -H 'X-Forwarded-For: 8.8.8.8' "http://$PROXY_ADDR/")
  [ "$r" = "200 US" ] || fail "a normal request after $1 got '$r', expected '200 US'"
}
