#!/usr/bin/env bash
# Fetches the geo-IP data Zoraxy ships - ip-location-db's whois/ASN country
# data set, as CSV and as MMDB - from the npm registry into data/ (git-ignored).
#
#   ci/fetch-geodb.sh [DIR]        default DIR: data/ at the top of the tree
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
