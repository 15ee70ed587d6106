#!/usr/bin/env bash
# georace proxy side by side with nginx + ngx_http_geoip2_module, configured
# the same way (same MMDB, block list, upstream, worker count, X-Geo-Country,
# X-Forwarded-For trusted from loopback), both driven by the same
# 'georace load' run, both checked for mismatches. Prints req/s and p99 side
# by side with the ratio. A second pass drives both with wrk (Debian's,
# proxy_sim/wrk/xff.lua for the addresses), same duration, connections and
# threads: a driver far cheaper per request than the checking load
# generator, so its figures show the servers rather than the driver's
# ceiling (wrk checks nothing; skipped with a notice when wrk is missing).
# Everything listens on 127.0.0.1.
#
#   ci/bench-proxy.sh                      defaults below
#   WORKERS=4 DURATION=20s CONNECTIONS=128 RATE=20000 ci/bench-proxy.sh
#
# Each pass runs ROUNDS rounds, the two servers alternating within a round,
# and prints the median of the rounds (and each round's req/s ratio): on a
# shared machine a single run swings with whatever else is running.
#
# Environment: ROUNDS (3), GEORACE (binary, default build/default/cli/georace), MMDB
# (default: the generated default database in build/default), WORKERS (2),
# CONNECTIONS (64), DURATION (10s), RATE (empty: closed loop), PROFILE
# (zoraxy-home), VARIANT (sharded, the proxy's default), BLOCK (CN,RU), LOAD_THREADS (number of
# CPUs), WRK (wrk binary, default from PATH; WRK=none skips the wrk pass),
# CSV (the database as CSV for xff.lua, default: next to the default MMDB).
# Exit status: 0 both clean, 1 mismatches or errors, 2 setup failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

GEORACE=${GEORACE:-$root/build/default/cli/georace}
MMDB=${MMDB:-$root/build/default/cache/dbgen/georace-default.mmdb}
WORKERS=${WORKERS:-2}
CONNECTIONS=${CONNECTIONS:-64}
DURATION=${DURATION:-10s}
ROUNDS=${ROUNDS:-3}
RATE=${RATE:-}
PROFILE=${PROFILE:-zoraxy-home}
VARIANT=${VARIANT:-sharded}
BLOCK=${BLOCK:-CN,RU}
LOAD_THREADS=${LOAD_THREADS:-$(nproc 2>/dev/null || echo 2)}
WRK=${WRK:-$(command -v wrk || echo none)}
CSV=${CSV:-$(dirname "$MMDB")/georace-default.csv}
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
GEOIP2_SO=${GEOIP2_SO:-/usr/lib/nginx/modules/ngx_http_geoip2_module.so}

die() { echo "bench-proxy: $*" >&2; exit 2; }
case $ROUNDS in '' | *[!0-9]* | 0) die "ROUNDS must be a positive integer, not '$ROUNDS'" ;; esac
[ -x "$GEORACE" ] || die "no georace binary at $GEORACE (cmake --workflow --preset default, or set GEORACE)"
[ -r "$MMDB" ] || die "no MMDB at $MMDB (build the default preset, or set MMDB)"
[ -x "$NGINX" ] || die "nginx not found (ci/setup.sh installs it)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/georace-bench.XXXXXX")
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_addr() {
  local i a
  for i in $(seq 1 200); do
    a=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$1" 2>/dev/null | head -1)
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.05
  done
  return 1
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

# the shared upstream
"$GEORACE" upstream --listen 127.0.0.1:0 --workers "$WORKERS" >"$tmp/up.out" 2>"$tmp/up.err" &
pids+=($!)
up=$(wait_addr "$tmp/up.out") || die "upstream did not start: $(cat "$tmp/up.err")"

# georace proxy
"$GEORACE" proxy --listen 127.0.0.1:0 --upstream "$up" --workers "$WORKERS" --variant "$VARIANT" \
  --db "$MMDB" --block "$BLOCK" --trusted-proxies 127.0.0.0/8,::1/128 \
  >"$tmp/proxy.out" 2>"$tmp/proxy.err" &
proxy_pid=$!
pids+=($proxy_pid)
gp=$(wait_addr "$tmp/proxy.out") || die "georace proxy did not start: $(cat "$tmp/proxy.err")"

# nginx, in its own prefix, not daemonized
port=$(free_port) || die "no free port for nginx"
mkdir -p "$tmp/nginx"
blockmap=$(echo "$BLOCK" | tr ',' '\n' | sed 's/^ *//; s/ *$//' | tr a-z A-Z | sed 's/.*/        & 1;/')
module=""
"$NGINX" -V 2>&1 | grep -q 'http_geoip2' || module="load_module $GEOIP2_SO;"
user=""
[ "$(id -u)" -eq 0 ] && user="user root root;"
sed -e "s|@PREFIX@|$tmp/nginx|g" -e "s|@WORKERS@|$WORKERS|g" -e "s|@MMDB@|$MMDB|g" \
  -e "s|@UPSTREAM@|$up|g" -e "s|@LISTEN@|127.0.0.1:$port|g" -e "s|@GEOIP2_MODULE@|$module $user|" \
  proxy_sim/bench/nginx.conf.in | awk -v m="$blockmap" '{ if ($0 == "@BLOCKMAP@") print m; else print }' \
  >"$tmp/nginx/nginx.conf"
"$NGINX" -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" >"$tmp/nginx-t.log" 2>&1 ||
  die "nginx rejects the configuration: $(cat "$tmp/nginx-t.log")"
"$NGINX" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/nginx/error.log" >"$tmp/nginx.out" 2>&1 &
nginx_pid=$!
pids+=($nginx_pid)
np=127.0.0.1:$port
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://$np/" && break
  sleep 0.05
done
curl -s -o /dev/null "http://$np/" || die "nginx did not start: $(cat "$tmp/nginx/error.log")"

# CPU time (user + system, in clock ticks) of a process and its children
# (nginx's workers) so far: per-request CPU cost is robust against a busy
# machine, where req/s and latency swing with everything else running.
cpu_ticks() { # PID...
  local total=0 p t
  for p in "$@"; do
    for t in $(pgrep -P "$p") "$p"; do
      [ -r "/proc/$t/stat" ] || continue
      total=$((total + $(awk '{print $14 + $15}' "/proc/$t/stat")))
    done
  done
  echo "$total"
}

load() { # NAME ADDR
  local rate=()
  [ -n "$RATE" ] && rate=(--rate "$RATE")
  # a short warm-up fills caches and connection pools, then the measured run
  "$GEORACE" load --target "http://$2/" --profile "$PROFILE" --connections "$CONNECTIONS" \
    --threads "$LOAD_THREADS" --duration 1s --db "$MMDB" --block "$BLOCK" --canonical \
    "${rate[@]}" >/dev/null 2>&1
  local before after
  before=$(cpu_ticks "$3")
  "$GEORACE" load --target "http://$2/" --profile "$PROFILE" --connections "$CONNECTIONS" \
    --threads "$LOAD_THREADS" --duration "$DURATION" --db "$MMDB" --block "$BLOCK" --canonical \
    "${rate[@]}" --json >"$tmp/$1.json" 2>"$tmp/$1.err"
  local rc=$?
  after=$(cpu_ticks "$3")
  echo $((after - before)) >"$tmp/$1.cpu"
  echo $rc
}
# CPU milliseconds per 1000 answered requests
per_k() { # CLOCK-TICKS REQUESTS
  awk -v t="$1" -v hz="$(getconf CLK_TCK)" -v n="$2" \
    'BEGIN { if (n > 0) printf "%.1f", t * 1000 / hz / n * 1000; else print "-" }'
}
field() { sed -n "s/^ *\"$2\": \([-0-9.e+]*\),\{0,1\}$/\1/p" "$tmp/$1.json" | head -1; }
load_cpu() { per_k "$(cat "$tmp/$1.cpu")" "$(field "$1" requests)"; } # NAME

# median of numbers on stdin ("-" when there are none)
median() {
  grep -E '^-?[0-9]' | sort -g | awk '{ a[NR] = $1 } END {
    if (NR == 0) print "-"; else if (NR % 2) printf "%.3f\n", a[(NR + 1) / 2]
    else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
sum() { awk '{ s += $1 } END { print s + 0 }'; }
rounds() { seq 1 "$ROUNDS"; }
# FN run on every round of one server ("georace" or "nginx"), a value a line
over_rounds() { # FN WHO [KEY]
  local fn=$1 who=$2 r
  shift 2
  for r in $(rounds); do "$fn" "$who.$r" "$@"; echo; done
}
# the medians of both servers and their ratio
row() { # FN LABEL [KEY]
  local g n
  g=$(over_rounds "$1" georace "${@:3}" | median)
  n=$(over_rounds "$1" nginx "${@:3}" | median)
  printf '%-22s %14s %14s %10s\n' "$2" "$g" "$n" "$(ratio "$g" "$n")"
}
# the sums over the rounds of both servers
totals() { # FN LABEL KEY
  printf '%-22s %14s %14s\n' "$2" "$(over_rounds "$1" georace "$3" | sum)" \
    "$(over_rounds "$1" nginx "$3" | sum)"
}
# per-round req/s ratios, e.g. "1.03 0.98 1.07"
ratios() { # FIELD-FUNCTION KEY
  local r out=""
  for r in $(rounds); do
    out+=$(awk -v g="$($1 "georace.$r" "$2" | head -1)" -v n="$($1 "nginx.$r" "$2" | head -1)" \
      'BEGIN { if (n + 0 > 0 && g != "-") printf "%.2f ", g / n; else printf "- " }')
  done
  echo "${out% }"
}
ratio() { awk -v g="$1" -v n="$2" 'BEGIN { if (n + 0 > 0 && g != "-") printf "%.2f", g / n; else print "-" }'; }

echo "bench-proxy: $WORKERS workers each, profile $PROFILE, $CONNECTIONS connections," \
  "${RATE:-closed loop}${RATE:+ req/s}, $DURATION x $ROUNDS rounds, block $BLOCK, variant $VARIANT"
rc_g=0 rc_n=0
for r in $(rounds); do
  [ "$(load "georace.$r" "$gp" "$proxy_pid")" = 0 ] || rc_g=1
  [ "$(load "nginx.$r" "$np" "$nginx_pid")" = 0 ] || rc_n=1
done

printf '\npass 1: georace load, every answer checked (%s threads), median of %s rounds\n' \
  "$LOAD_THREADS" "$ROUNDS"
printf '%-22s %14s %14s %10s\n' "" "georace proxy" "nginx+geoip2" "ratio"
row field "requests/s" req_per_s
row field "latency p50 (ms)" p50
row field "latency p99 (ms)" p99
row field "latency p99.9 (ms)" p999
row load_cpu "CPU ms / 1000 req"
totals field "requests (all rounds)" requests
totals field "errors" errors_total
totals field "mismatches" mismatches
printf '%-22s %s\n' "req/s ratio by round" "$(ratios field req_per_s)"

# ---- pass 2: wrk ------------------------------------------------------------
# wrk's latency figures ("850.00us", "1.23ms", "1.02s", "2.00m") in ms
wrk_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    f = u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : u == "h" ? 3600000 : -1
    if (f < 0) print "-"; else printf "%.3f", n * f }'
}
wrk_run() { # NAME ADDR PID [DURATION]
  # the servers idle while xff.lua reads the CSV, so the CPU counted around
  # the whole run is the CPU spent on wrk's requests
  local before after rc
  before=$(cpu_ticks "$3")
  "$WRK" -t"$LOAD_THREADS" -c"$CONNECTIONS" -d"${4:-$DURATION}" --latency -s proxy_sim/wrk/xff.lua \
    "http://$2/" -- "$CSV" 1 >"$tmp/$1.wrk" 2>&1
  rc=$?
  after=$(cpu_ticks "$3")
  echo $((after - before)) >"$tmp/$1.wcpu"
  return $rc
}
wrk_field() { # NAME what: rps p50 p99 requests non2xx socket_errors
  local f=$tmp/$1.wrk
  case $2 in
  rps) sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$f" ;;
  p50) wrk_ms "$(sed -n 's/^ *50% *\([0-9.]*[a-z]*\).*/\1/p' "$f")" ;;
  p99) wrk_ms "$(sed -n 's/^ *99% *\([0-9.]*[a-z]*\).*/\1/p' "$f")" ;;
  requests) sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' "$f" ;;
  non2xx) sed -n 's/^ *Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$f" | grep . || echo 0 ;;
  socket_errors)
    sed -n 's/^ *Socket errors: *//p' "$f" | tr -dc '0-9 ' |
      awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s } END { if (NR == 0) print 0 }' ;;
  esac
}
wrk_cpu() { per_k "$(cat "$tmp/$1.wcpu")" "$(wrk_field "$1" requests)"; } # NAME

wrk_status=0
if [ "$WRK" = none ] || [ ! -x "$WRK" ]; then
  echo
  echo "pass 2: skipped: wrk not found (apt-get install wrk, or set WRK)"
elif [ ! -r "$CSV" ]; then
  echo
  echo "pass 2: skipped: no CSV database for xff.lua at $CSV (set CSV)"
else
  [ -n "$RATE" ] && echo "bench-proxy: wrk has no rate control: pass 2 runs closed loop" >&2
  # a short warm-up of each, as pass 1 has: the first round is not the
  # only one to meet a cold server
  wrk_run warm.georace "$gp" "$proxy_pid" 1s
  wrk_run warm.nginx "$np" "$nginx_pid" 1s
  for r in $(rounds); do
    wrk_run "georace.$r" "$gp" "$proxy_pid" || wrk_status=1
    wrk_run "nginx.$r" "$np" "$nginx_pid" || wrk_status=1
  done
  printf '\npass 2: wrk -t%s -c%s -d%s, xff.lua (nothing checked), median of %s rounds\n' \
    "$LOAD_THREADS" "$CONNECTIONS" "$DURATION" "$ROUNDS"
  printf '%-22s %14s %14s %10s\n' "" "georace proxy" "nginx+geoip2" "ratio"
  row wrk_field "requests/s" rps
  row wrk_field "latency p50 (ms)" p50
  row wrk_field "latency p99 (ms)" p99
  row wrk_cpu "CPU ms / 1000 req"
  totals wrk_field "requests (all rounds)" requests
  totals wrk_field "403 (non-2xx)" non2xx
  totals wrk_field "socket errors" socket_errors
  printf '%-22s %s\n' "req/s ratio by round" "$(ratios wrk_field rps)"
  for who in georace nginx; do
    for r in $(rounds); do
      if [ -z "$(wrk_field "$who.$r" rps)" ]; then
        echo "bench-proxy: wrk against $who (round $r) failed:" >&2
        sed 's/^/  /' "$tmp/$who.$r.wrk" >&2
        wrk_status=1
      fi
    done
  done
fi

status=0
for who in georace nginx; do
  for r in $(rounds); do
    if [ "$(field "$who.$r" mismatches)" != 0 ] || [ "$(field "$who.$r" errors_total)" != 0 ]; then
      echo "bench-proxy: $who had mismatches or errors (round $r):" >&2
      sed 's/^/  /' "$tmp/$who.$r.err" >&2
      status=1
    fi
  done
done
[ "$rc_g" = 0 ] && [ "$rc_n" = 0 ] || status=1
[ "$wrk_status" = 0 ] || status=1
exit $status
