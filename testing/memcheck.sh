#!/usr/bin/env bash
# memcheck.sh - runs a test with valgrind memcheck watching the code under test.
#
# valgrind sees what the sanitizers cannot: a read of bytes nobody wrote
# inside a live heap block (an unterminated string read past its end into
# stale capacity, for one), and leaks at a clean exit without an ASan build.
#
#   memcheck.sh program PROGRAM [ARGS...]
#       runs PROGRAM under memcheck (a corpus replay driver, a unit test).
#   memcheck.sh wire SCRIPT GEORACE [ARGS...]
#       runs a proxy wire test (proxy_sim/tests/*.sh); every proxy it starts
#       runs under memcheck (lib.sh's GEORACE_PROXY_WRAP), the upstream and
#       the clients natively.
#
# Either way the test fails if the program or script fails, if memcheck
# reports any error (invalid read or write, use of uninitialised bytes,
# a definite or possible leak at exit) in any process it watched, if a
# watched process did not run to its end (no error summary in its log), or
# if nothing ran under memcheck at all. Each watched process logs to its
# own file; failing logs are printed.
#
# GEORACE_MEMCHECK_LEAK_KINDS (default definite,possible): the leak kinds
# that count as errors; the fuzz_http replay sets "definite", as its own
# in-process test upstream leaves connections open at exit ("possibly lost",
# harness memory, not the proxy's).
#
# Exit status: 0 clean, 1 the test failed or memcheck found errors,
# 64 usage, 69 valgrind not installed (ci/setup.sh installs it).
set -u
usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2; exit 64; }
[ $# -ge 2 ] || usage
mode=$1; shift
command -v valgrind >/dev/null || { echo "memcheck.sh: valgrind not found (ci/setup.sh installs it)" >&2; exit 69; }

logs=$(mktemp -d "${TMPDIR:-/tmp}/georace-memcheck.XXXXXX")
trap 'rm -rf "$logs"' EXIT
# the exit status memcheck gives a watched process in which it found errors
vg_status=97
vg=(valgrind --tool=memcheck --error-exitcode=$vg_status --track-origins=yes
    --leak-check=full --show-leak-kinds=definite,possible
    "--errors-for-leak-kinds=${GEORACE_MEMCHECK_LEAK_KINDS:-definite,possible}" --num-callers=30
    "--log-file=$logs/memcheck.%p.log")

case $mode in
  program)
    "${vg[@]}" "$@"
    rc=$?
    ;;
  wire)
    script=$1; shift
    # valgrind starts a program 20-50 times slower: allow for it
    GEORACE_PROXY_WRAP="${vg[*]}" GEORACE_TEST_START_WAIT=60 bash "$script" "$@"
    rc=$?
    ;;
  *) usage ;;
esac

status=0
[ $rc -eq 0 ] || { echo "memcheck.sh: the test exited $rc" >&2; status=1; }
shopt -s nullglob
ran=("$logs"/memcheck.*.log)
[ ${#ran[@]} -gt 0 ] || { echo "memcheck.sh: nothing ran under memcheck" >&2; exit 1; }
for log in "${ran[@]}"; do
  if ! grep -q 'ERROR SUMMARY: 0 errors' "$log"; then
    grep -q 'ERROR SUMMARY:' "$log" || echo "memcheck.sh: a watched process did not run to its end:" >&2
    echo "--- $(basename "$log")" >&2
    cat "$log" >&2
    status=1
  fi
done
[ $status -ne 0 ] || echo "memcheck: ${#ran[@]} process(es) watched, no errors, no leaks"
exit $status
