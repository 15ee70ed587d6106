#!/usr/bin/env bash
# Fetches the geo-IP data Zoraxy ships - ip-location-db's whois/ASN country
# data set, as CSV and as MMDB - from the npm registry into data/ (git-ignored).
#
#   ci/fetch-geodb.sh [DIR]        default DIR: data/ at the top of the tree
#   ci/fetch-geodb.sh --check [GEORACE] [DIR]
#                                  with the data fetched: check that
#                                  'georace lookup --db' agrees with mmdblookup,
#                                  and that 'georace mkdb' on the CSVs answers
#                                  like the published MMDB, on sampled addresses
#                                  (GEORACE default: build/default/cli/georace)
#
# Uses 'npm pack' (Debian package npm), unpacks both tarballs into
# DIR/geo-whois-asn-country/ and DIR/geo-whois-asn-country-mmdb/, keeps their
# licence notices and README, and prints the files to pass to georace:
#   georace lookup --db DIR/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb IP...
#   georace lookup --backend scan --csv DIR/.../geo-whois-asn-country-ipv4.csv \
#                  --csv DIR/.../geo-whois-asn-country-ipv6.csv IP...
# Tests never need these files; the embedded default database is used instead.
set -euo pipefail
cd "$(dirname "$0")/.."

check() {
  local g=$1 d=$2
  local csv="$d/geo-whois-asn-country" real="$d/geo-whois-asn-country-mmdb/geo-whois-asn-country.mmdb"
  local c4="$csv/geo-whois-asn-country-ipv4.csv" c6="$csv/geo-whois-asn-country-ipv6.csv"
  for f in "$g" "$real" "$c4" "$c6"; do
    [ -e "$f" ] || { echo "ci/fetch-geodb.sh: $f is missing" >&2; exit 66; }
  done
  command -v mmdblookup >/dev/null || { echo "ci/fetch-geodb.sh: mmdblookup (mmdb-bin) is needed" >&2; exit 69; }
  local tmp; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' RETURN
  # Sample: the start and end of every 50th range of each file, and the
  # address after each such range (a gap or the next range).
  awk -F, 'NR % 50 == 1 { print $1; print $2; n = split($2, o, "."); \
           if (n == 4 && o[4] < 255) print o[1] "." o[2] "." o[3] "." o[4] + 1 }' "$c4" >"$tmp/ips"
  awk -F, 'NR % 50 == 1 { print $1; print $2 }' "$c6" >>"$tmp/ips"
  local n; n=$(wc -l <"$tmp/ips")

  # 1. georace lookup --db against mmdblookup, on a subset (one process each).
  awk 'NR % 100 == 1' "$tmp/ips" >"$tmp/few"
  xargs -n 1000 "$g" lookup --db "$real" <"$tmp/few" >"$tmp/georace" 2>/dev/null || true
  while read -r ip; do
    cc=$(mmdblookup --file "$real" --ip "$ip" country_code 2>/dev/null | sed -n 's/.*"\([A-Z]*\)" <utf8_string>.*/\1/p')
    echo "$ip ${cc:--}"
  done <"$tmp/few" >"$tmp/mmdblookup"
  local m total
  total=$(wc -l <"$tmp/few")
  # georace answers reserved zones by name before the database; mmdblookup has no entry there.
  m=$(paste -d' ' "$tmp/mmdblookup" "$tmp/georace" | awk '$2 != $4 && !($2 == "-" && $4 ~ /^[A-Z][a-z]/)' | wc -l)
  echo "georace lookup --db vs mmdblookup: $((total - m)) of $total sampled addresses agree"

  # 2. georace mkdb on the CSVs against the published MMDB, on every sample.
  local t0=$SECONDS
  "$g" mkdb --csv "$c4" --csv "$c6" -o "$tmp/own.mmdb"
  echo "georace mkdb took about $((SECONDS - t0)) s"
  xargs -n 5000 "$g" lookup --db "$real" <"$tmp/ips" >"$tmp/a" 2>/dev/null || true
  xargs -n 5000 "$g" lookup --db "$tmp/own.mmdb" <"$tmp/ips" >"$tmp/b" 2>/dev/null || true
  local d2; d2=$(diff "$tmp/a" "$tmp/b" | grep -c '^<' || true)
  echo "georace mkdb database vs published MMDB: $((n - d2)) of $n sampled addresses agree"
  [ "$m" -eq 0 ] && [ "$d2" -eq 0 ]
}

if [ "${1:-}" = "--check" ]; then
  check "${2:-build/default/cli/georace}" "${3:-data}"
  exit $?
fi

dest=${1:-data}

if ! command -v npm >/dev/null 2>&1; then
  echo "ci/fetch-geodb.sh: npm is needed to fetch the data (Debian: apt-get install npm)" >&2
  exit 69
fi

mkdir -p "$dest"
work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

for pkg in geo-whois-asn-country geo-whois-asn-country-mmdb; do
  echo "ci/fetch-geodb.sh: npm pack @ip-location-db/$pkg"
  tgz=$(cd "$work" && npm pack --silent "@ip-location-db/$pkg" | tail -1)
  if [ ! -f "$work/$tgz" ]; then
    echo "ci/fetch-geodb.sh: npm pack @ip-location-db/$pkg produced no tarball" >&2
    exit 69
  fi
  mkdir -p "$work/$pkg"
  tar -xzf "$work/$tgz" -C "$work/$pkg" --strip-components=1
  rm -rf "${dest:?}/$pkg"
  mv "$work/$pkg" "$dest/$pkg"
  version=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$dest/$pkg/package.json" | head -1)
  echo "  $dest/$pkg (version ${version:-unknown})"
done

licences=$(ls "$dest"/geo-whois-asn-country*/*LICEN[CS]E* 2>/dev/null || true)
if [ -z "$licences" ]; then
  echo "ci/fetch-geodb.sh: warning: no licence notice found in the packages" >&2
fi

csv="$dest/geo-whois-asn-country"
mmdb="$dest/geo-whois-asn-country-mmdb"
cat <<MSG

licence notices (keep them with the data):
$(printf '  %s\n' $licences)

CSV (Zoraxy's slow-resolve input, start,end,CC):
  $csv/geo-whois-asn-country-ipv4.csv
  $csv/geo-whois-asn-country-ipv6.csv
MMDB (country_code per network):
  $mmdb/geo-whois-asn-country.mmdb
  $mmdb/geo-whois-asn-country-ipv4.mmdb
  $mmdb/geo-whois-asn-country-ipv6.mmdb

try:
  georace lookup --db $mmdb/geo-whois-asn-country.mmdb 8.8.8.8
  georace lookup --backend scan --csv $csv/geo-whois-asn-country-ipv4.csv --csv $csv/geo-whois-asn-country-ipv6.csv 8.8.8.8
  georace mkdb --csv $csv/geo-whois-asn-country-ipv4.csv --csv $csv/geo-whois-asn-country-ipv6.csv -o own.mmdb
MSG
