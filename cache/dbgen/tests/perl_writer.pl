#!/usr/bin/perl
# perl_writer.pl CSV OUT.mmdb - writes a Zoraxy CSV with MaxMind's own Perl
# writer (MaxMind::DB::Writer::Tree), as an independent reference for the
# cross-check test. IPv4 rows go in as IPv4-mapped ranges via the writer's
# IPv4 aliasing, the way MaxMind builds its own databases.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($csv, $out) = @ARGV;
die "usage: perl_writer.pl CSV OUT.mmdb\n" unless defined $out;

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 28,
    database_type         => 'georace-perl-reference',
    languages             => ['en'],
    description           => { en => 'reference written by MaxMind::DB::Writer' },
    alias_ipv6_to_ipv4    => 1,
    remove_reserved_networks => 0,
    map_key_type_callback => sub { 'utf8_string' },
);

open(my $in, '<', $csv) or die "perl_writer.pl: $csv: $!\n";
while (my $line = <$in>) {
    chomp $line;
    next if $line eq '';
    my ($first, $last, $cc) = split /,/, $line;
    if ($first !~ /:/) {
        $first = "::$first";
        $last  = "::$last";
    }
    $tree->insert_range($first, $last, { country_code => $cc });
}
close($in);

open(my $fh, '>:raw', $out) or die "perl_writer.pl: $out: $!\n";
$tree->write_tree($fh);
close($fh) or die "perl_writer.pl: $out: $!\n";
