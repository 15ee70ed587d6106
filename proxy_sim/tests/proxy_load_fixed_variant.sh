#!/usr/bin/env bash
# A fixed cache variant behind the real proxy, driven over loopback by
# 'georace load' with the zoraxy-home profile and a block list (addresses in
# X-Forwarded-For, the header the default realip mode reads): every answer
# must match the load generator's own ground truth (zero mismatches), no
# request may fail, and the proxy must stop cleanly on SIGTERM. Under the
# tsan preset the proxy is instrumented: a data race makes it exit (66) and
# this test fail.
#   proxy_load_fixed_variant.sh GEORACE VARIANT [SECONDS]
. "$(dirname "$0")/lib.sh"
variant=${2:?variant}
secs=${3:-3}

start_upstream up --workers 1
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 2 --variant "$variant" --block CN,RU \
  --trusted-proxies 127.0.0.0/8 --cache-clear 500ms
"$GEORACE" load --target "http://$PROXY_ADDR/" --profile zoraxy-home --connections 16 \
  --duration "${secs}s" --block CN,RU --header xff --json >"$WORK/load.json" 2>"$WORK/load.err"
rc=$?
cat "$WORK/load.json"
grep -qE '"requests": [1-9]' "$WORK/load.json" || fail "no request was answered"
grep -qE '"mismatches": 0,' "$WORK/load.json" || fail "$variant: mismatches (geo-block bypass)"
grep -qE '"errors_total": 0,' "$WORK/load.json" || fail "$variant: requests failed"
grep -qE '"target_died": false' "$WORK/load.json" || fail "$variant: the proxy died"
grep -qE '"blocked": [1-9]' "$WORK/load.json" || fail "no blocked country was ever seen"
[ $rc -eq 0 ] || fail "load exited $rc"
curl -s "http://$METRICS_ADDR/metrics" >"$WORK/metrics" || fail "no metrics"
grep -q '^georace_proxy_requests_total{code="403"} [1-9]' "$WORK/metrics" || fail "metrics lack 403s"
grep -q '^georace_cache_resets_total [1-9]' "$WORK/metrics" || fail "the cache was never cleared"
stop_gracefully "$PROXY_PID"
prc=$?
[ $prc -eq 0 ] || fail "proxy exited $prc after SIGTERM"
pass "$variant: zero mismatches, zero errors, clean stop"
