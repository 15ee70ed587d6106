#!/bin/sh
# bench_cache_cli.sh GEORACE [with-go-peer] - 'georace bench cache' end to end, tiny cells:
# --help exits 0, bad input exits 64 with "georace bench cache:", the JSON
# lists every variant and every peer built in, with ops for each run cell,
# every run of a repeated cell, the load average, the peers' configurations
# and the physical floor;
# when the build has the Go peer (second argument non-empty) its
# rows and the ratio to Go's sync.Map are there, else a note says why they
# were skipped.
set -u
g=$1
gopeer=${2:-}
fail() { echo "FAIL: $*"; exit 1; }
"$g" bench cache --help | grep -q "^usage: georace bench cache" || fail "--help"
for bad in "--threads 0" "--variants nope" "--seconds x" "--zipf -1" "--repeat 0" "--warmup x" "stray"; do
    # shellcheck disable=SC2086
    err=$("$g" bench cache $bad 2>&1 >/dev/null)
    rc=$?
    [ $rc -eq 64 ] || fail "'$bad' exited $rc, expected 64"
    echo "$err" | grep -q "^georace bench cache: " || fail "'$bad' message: $err"
done
out=$("$g" bench cache --threads 1,2 --seconds 5ms --warmup 1ms --repeat 2 --keys 2000 --reset-interval 500us --json) ||
    fail "json run failed"
for v in gomap syncmap+naive-reset syncmap mutex rwlock sharded bounded rculfhash ck_ht mmdb floor; do
    echo "$out" | grep -q "\"variant\": \"$v\"" || fail "no rows for $v"
done
n=$(echo "$out" | grep -c '"ops_per_s"')
[ "$n" -ge 50 ] || fail "only $n measured cells"
echo "$out" | grep -q '"skipped": "unsafe with more than one thread"' || fail "gomap 2 threads not skipped"
# two runs per cell, the median shown; the load average and each peer's configuration recorded
r2=$(echo "$out" | grep -A3 '"runs_ops_per_s"' | grep -c '^ *[0-9]')
[ "$r2" -ge 100 ] || fail "only $r2 run figures for 2 runs of >= 50 cells"
echo "$out" | grep -q '"loadavg_before"' || fail "no load average"
echo "$out" | grep -q '"rculfhash": "liburcu cds_lfht, flavour QSBR' || fail "no rculfhash configuration"
echo "$out" | grep -q '"ck_ht": "Concurrency Kit ck_ht SPMC.*ck_epoch' || fail "no ck_ht configuration"
echo "$out" | grep -q '"physical floor: one hit' || fail "no physical floor note"
if [ -z "$gopeer" ]; then
    echo "$out" | grep -q '"go-syncmap skipped: no Go peer' || fail "no note on the missing Go peer"
    echo "notice: this build has no Go peer; checked that its rows are skipped with a note"
else
    for v in go-syncmap go-rwmutex-map; do
        echo "$out" | grep -q "\"variant\": \"$v\"" || fail "no rows for $v"
    done
    r=$(echo "$out" | grep -c '"ns_per_op_vs_go_syncmap"')
    [ "$r" -ge 50 ] || fail "only $r cells with a ratio to Go's sync.Map"
fi
echo "PASS: $n measured cells"
