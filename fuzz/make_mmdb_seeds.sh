#!/usr/bin/env bash
# make_mmdb_seeds.sh - regenerates the seed databases of fuzz/corpus/fuzz_mmdb.
#
#   fuzz/make_mmdb_seeds.sh GEORACE_BINARY
#
# Small MMDB files written by 'georace mkdb' from small CSVs (IPv4 only, and
# IPv4 + IPv6), plus files from MaxMind's own Perl writer (Debian's
# libmaxmind-db-writer-perl) for the layouts mkdb does not produce: record
# sizes 28 and 32, an IPv4-only tree and the GeoLite2 "country"/"iso_code"
# structure. Truncated copies cover the tree, data and metadata sections.
# Everything stays a few KB. Re-run ci/fuzz.sh --minimize fuzz_mmdb after.
set -euo pipefail
georace=${1:?usage: $0 GEORACE_BINARY}
out=$(cd "$(dirname "$0")" && pwd)/corpus/fuzz_mmdb
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"

printf '1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.3.255,CN\n8.8.8.0,8.8.8.255,US\n' >"$tmp/v4.csv"
printf '%s\n' '1.0.0.0,1.0.0.255,AU' '8.8.8.0,8.8.8.255,US' '95.0.0.0,95.255.255.255,RU' \
  '2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP' \
  '2a00::,2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff,DE' \
  '2c0f:f000::,2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff,ZA' >"$tmp/mixed.csv"
export SOURCE_DATE_EPOCH=1700000000
"$georace" mkdb -q --csv "$tmp/v4.csv" -o "$out/mkdb-v4"
"$georace" mkdb -q --csv "$tmp/mixed.csv" -o "$out/mkdb-mixed"
head -c $(( $(stat -c %s "$out/mkdb-mixed") / 2 )) "$out/mkdb-mixed" >"$out/mkdb-mixed-half"
tail -c 200 "$out/mkdb-mixed" >"$out/mkdb-mixed-metadata-only"

if perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null; then
  cat >"$tmp/w.pl" <<'PERL'
use strict; use warnings;
use MaxMind::DB::Writer::Tree;
my ($file, $ipv, $rs, $style, @rows) = @ARGV;
my $t = MaxMind::DB::Writer::Tree->new(ip_version => $ipv, record_size => $rs,
  database_type => 'georace-test', languages => ['en'],
  description => { en => 'georace fuzz seed' }, remove_reserved_networks => 0,
  map_key_type_callback => sub { $_[0] eq 'country' ? 'map' : 'utf8_string' });
for (@rows) { my ($net, $cc) = split /=/;
  $t->insert_network($net, $style eq 'geolite' ? { country => { iso_code => $cc } }
                                               : { country_code => $cc }); }
open my $fh, '>:raw', $file or die "$file: $!"; $t->write_tree($fh); close $fh;
PERL
  perl "$tmp/w.pl" "$out/perl-v6-rs24" 6 24 flat 1.0.0.0/24=AU 1.0.1.0/24=CN 8.8.8.0/24=US \
    2001:db8::/32=ZZ 2a00::/16=DE 2c0f:f000::/20=ZA
  perl "$tmp/w.pl" "$out/perl-v4-rs28" 4 28 flat 1.0.0.0/24=AU 8.8.8.0/24=US 255.255.255.0/24=XX
  perl "$tmp/w.pl" "$out/perl-v6-rs32-geolite" 6 32 geolite 1.0.0.0/24=AU 8.8.8.0/24=us \
    2a00::/16=DE 2002::/16=A1
  head -c 700 "$out/perl-v6-rs24" >"$out/perl-v6-rs24-tree-only"
else
  echo "make_mmdb_seeds.sh: MaxMind::DB::Writer not installed; perl-* seeds not regenerated" >&2
fi
ls -l "$out"
