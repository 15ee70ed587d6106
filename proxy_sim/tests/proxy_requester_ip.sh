#!/usr/bin/env bash
# The requester address behind a trusted front proxy (loopback): realip by
# default, so the entry the front proxy appended decides, not the one the
# client wrote; an embedded IPv4 address (NAT64 here) is judged as that IPv4
# address; --requester-ip zoraxy keeps Zoraxy's spoofable order.
. "$(dirname "$0")/lib.sh"

# addr_of CC: a random address georace places in country CC
addr_of() {
  python3 -c 'import random; r=random.Random(7); print("\n".join("%d.%d.%d.%d"%(r.randint(1,223),r.randint(0,255),r.randint(0,255),r.randint(1,254)) for _ in range(4000)))' |
    xargs "$GEORACE" lookup 2>/dev/null | awk -v cc="$1" '$2==cc{print $1; exit}'
}
cn=$(addr_of CN)
us=$(addr_of US)
[ -n "$cn" ] && [ -n "$us" ] || fail "cannot find CN and US addresses with georace lookup"

start_upstream up
start_proxy px --upstream "$UPSTREAM_ADDR" --workers 1 --variant syncmap --block CN,RU
good_request "start"
"$GEORACE" proxy --help | grep -q -- '--requester-ip' || fail "proxy --help lacks --requester-ip"

r=$(http -H "X-Forwarded-For: $us, $cn" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "'XFF: US, CN' got '$r', expected '403 CN'"
r=$(http -H "X-Forwarded-For: $cn, $us" "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "'XFF: CN, US' got '$r', expected '200 US'"
r=$(http -H "X-Forwarded-For: 64:ff9b::$cn" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "NAT64 of a CN address got '$r', expected '403 CN'"
r=$(http -H "X-Forwarded-For: ::$cn" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "IPv4-compatible CN address got '$r', expected '403 CN'"
# two lines are one list; a trusted hop is skipped; X-Real-Ip is not read
r=$(http -H "X-Forwarded-For: $us" -H "X-Forwarded-For: $cn, 127.0.0.5" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "'XFF: US' + 'XFF: CN, 127.0.0.5' got '$r', expected '403 CN'"
r=$(http -H "X-Real-Ip: $us" -H "X-Forwarded-For: $cn" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "X-Real-Ip overrode X-Forwarded-For: got '$r'"
for bad in "," ", $us" "$us, " "$us, garbage"; do
  r=$(http -H "X-Forwarded-For: $bad" "http://$PROXY_ADDR/")
  [ "$r" = "400 -" ] || fail "'XFF: $bad' got '$r', expected '400 -'"
done
good_request "realip cases"

# allow-list mode refuses an embedded CN address it does not allow
start_proxy allow --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex --allow US
r=$(http -H "X-Forwarded-For: 64:ff9b::$cn" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "--allow US, NAT64 CN got '$r', expected '403 CN'"
r=$(http -H "X-Forwarded-For: ::ffff:$us" "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "--allow US, mapped US got '$r', expected '200 US'"

# a configured header
start_proxy hdr --upstream "$UPSTREAM_ADDR" --workers 1 --variant mutex --block CN,RU \
  --real-ip-header X-Client-Ip
r=$(http -H "X-Client-Ip: $cn" -H "X-Forwarded-For: $us" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "--real-ip-header X-Client-Ip got '$r', expected '403 CN'"

# Zoraxy's order, on request only
start_proxy zoraxy --upstream "$UPSTREAM_ADDR" --workers 1 --variant rwlock --block CN,RU \
  --requester-ip zoraxy
r=$(http -H "X-Forwarded-For: $us, $cn" "http://$PROXY_ADDR/")
[ "$r" = "200 US" ] || fail "zoraxy: 'XFF: US, CN' got '$r', expected '200 US'"
r=$(http -H "X-Real-Ip: $cn" -H "X-Forwarded-For: $us" "http://$PROXY_ADDR/")
[ "$r" = "403 CN" ] || fail "zoraxy: X-Real-Ip first, got '$r'"

for pid in "${PIDS[@]:1}"; do
  kill -0 "$pid" 2>/dev/null || fail "a proxy died"
done
pass "realip walk, embedded IPv4, --allow, --real-ip-header and zoraxy mode"
