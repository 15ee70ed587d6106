#!/usr/bin/env bash
# The Go peer's answers equal 'georace lookup --backend scan' on the same
# database: reserved zones, both ends of sampled ranges, the addresses just
# outside them (IPv4), and a fixed list of edge cases.
# usage: lookup_matches.sh GOPEER GEORACE CSV [SAMPLES]
source "$(dirname "$0")/lib.sh"
gopeer=$1 georace=$2 csv=$3 samples=${4:-60}

addrs=(0.0.0.0 0.255.255.255 1.0.0.0 8.8.8.8 9.9.9.9 10.1.2.3 100.64.0.1 100.128.0.1
       127.0.0.1 169.254.1.1 172.16.0.1 172.32.0.1 192.0.0.1 192.0.2.1 192.88.99.1
       192.168.1.1 198.18.0.1 198.51.100.1 203.0.113.1 224.0.0.1 239.255.255.255
       240.0.0.1 255.255.255.254 255.255.255.255
       :: ::1 ::2 ::ffff:8.8.8.8 64:ff9b::1 100::1 2001::1 2001:db8::1 2001:4860:4860::8888
       2400:cb00::1 2a00:1450::1 3fff::1 fc00::1 fd12:3456::1 fe80::1 fec0::1 ff02::1
       2c00:637d:1004::5 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 172.31.255.255
       198.19.255.255 100:0:0:1::1 2001:1ff::1 2001:200::1 3fff:fff::1 3fff:1000::1 fdff::1
       febf::1)
# Sampled rows: every Nth IPv4 row gives start, end, start-1 and end+1;
# every Nth IPv6 row its start and end.
mapfile -t sampled < <(awk -F, -v n="$samples" '
  function num(a,  p) { split(a, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
  function dot(x) { return sprintf("%d.%d.%d.%d", int(x / 16777216) % 256, int(x / 65536) % 256,
                                   int(x / 256) % 256, x % 256) }
  NF == 3 && $1 !~ /:/ { v4++; if (v4 % int(331734 / n) == 1) {
      s = num($1); e = num($2); print $1; print $2
      if (s > 0) print dot(s - 1); if (e < 4294967295) print dot(e + 1) } }
  NF == 3 && $1 ~ /:/ { v6++; if (v6 % int(209675 / n) == 1) { print $1; print $2 } }' "$csv")
addrs+=("${sampled[@]}")

"$georace" lookup --backend scan --csv "$csv" "${addrs[@]}" >"$GOPEER_TMP/c.txt"
"$gopeer" --lookup --csv "$csv" "${addrs[@]}" >"$GOPEER_TMP/go.txt"
"$gopeer" --lookup --backend bsearch --csv "$csv" "${addrs[@]}" >"$GOPEER_TMP/go-bsearch.txt"
diff "$GOPEER_TMP/c.txt" "$GOPEER_TMP/go.txt" || fail "the Go peer's scan answers differ (above)"
diff "$GOPEER_TMP/c.txt" "$GOPEER_TMP/go-bsearch.txt" || fail "the Go peer's bsearch answers differ (above)"
echo "PASS: ${#addrs[@]} addresses, $(grep -c 'not in database' "$GOPEER_TMP/c.txt") not in the database, the same answers"
