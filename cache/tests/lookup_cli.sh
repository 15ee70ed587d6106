#!/bin/sh
# lookup_cli.sh GEORACE - 'georace lookup' and 'georace bench lookup' from the
# outside: answers per address, error lines, exit statuses, JSON output.
set -u
g=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
check() { # check NAME CONDITION...
    name=$1
    shift
    if "$@"; then echo "ok   $name"; else echo "FAIL $name"; fails=$((fails + 1)); fi
}

"$g" lookup 8.8.8.8 10.0.0.1 ::1 not-an-ip 1.2.3.4 >"$tmp/out" 2>"$tmp/err"
rc=$?
check "bad address gives status 1" test "$rc" -eq 1
check "8.8.8.8 has a country" grep -Eq '^8\.8\.8\.8 [A-Z]{2}$' "$tmp/out"
check "10.0.0.1 is Private" grep -qx '10.0.0.1 Private' "$tmp/out"
check "::1 is Loopback" grep -qx '::1 Loopback' "$tmp/out"
check "1.2.3.4 is not in the database" grep -qx '1.2.3.4 - (not in database)' "$tmp/out"
check "error line names the address" grep -q '^georace lookup: not-an-ip: not an IP address' "$tmp/err"

for b in mmdb scan scan-bsearch; do
    "$g" lookup --backend "$b" 8.8.8.8 >"$tmp/$b" 2>&1
    check "backend $b answers with status 0" test $? -eq 0
done
check "backends agree on 8.8.8.8" cmp -s "$tmp/mmdb" "$tmp/scan"
check "scan-bsearch agrees too" cmp -s "$tmp/mmdb" "$tmp/scan-bsearch"

printf '8.8.8.8\n\n  fe80::1 \n' | "$g" lookup - >"$tmp/stdin" 2>&1
check "addresses from stdin" test "$?" -eq 0 -a "$(wc -l <"$tmp/stdin")" -eq 2
check "stdin line trimmed" grep -qx 'fe80::1 LinkLocal' "$tmp/stdin"

"$g" lookup --json 8.8.8.8 bad >"$tmp/json" 2>/dev/null
check "json has a country result" grep -q '"kind": "country"' "$tmp/json"
check "json has an error result" grep -q '"kind": "error"' "$tmp/json"
check "json names the backend" grep -q '"backend": "mmdb"' "$tmp/json"

"$g" lookup --help >/dev/null
check "--help exits 0" test $? -eq 0
"$g" lookup >/dev/null 2>&1
check "no address is a usage error" test $? -eq 64
"$g" lookup --backend trie 1.1.1.1 >/dev/null 2>&1
check "unknown backend is a usage error" test $? -eq 64
"$g" lookup --db "$tmp/missing.mmdb" 1.1.1.1 >/dev/null 2>&1
check "missing database gives 66" test $? -eq 66
head -c 3000 /dev/zero >"$tmp/zero.mmdb"
"$g" lookup --db "$tmp/zero.mmdb" 1.1.1.1 >/dev/null 2>"$tmp/zerr"
check "garbage database gives 65" test $? -eq 65
check "garbage database message" grep -q 'not a MaxMind DB file' "$tmp/zerr"
printf '1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0' >"$tmp/cut.csv"
"$g" lookup --csv "$tmp/cut.csv" 1.0.0.1 >/dev/null 2>"$tmp/cerr"
check "truncated CSV gives 65" test $? -eq 65
check "truncated CSV message has the line" grep -q 'cut.csv:2:' "$tmp/cerr"

"$g" bench lookup --samples 2000 --seconds 0.5 --json >"$tmp/bench.json" 2>"$tmp/bench.err"
check "bench lookup --json exits 0" test $? -eq 0
for row in 'mmdb' 'scan-bsearch' 'scan (linear)' 'cache hit (mutex)'; do
    check "bench lookup json has row $row" grep -qF "\"name\": \"$row\"" "$tmp/bench.json"
done
check "bench lookup rows all ran" test "$(grep -c '"ran": true' "$tmp/bench.json")" -eq 4
check "bench lookup reports ns per lookup" grep -q '"ns_per_lookup": [0-9]' "$tmp/bench.json"

exit $((fails > 0))
