#!/bin/sh
# cli_statuses.sh GEORACE: documented exit statuses of explore and check-history.
g=$1 fails=0
expect() { want=$1; shift; "$@" >/dev/null 2>&1; got=$?
  [ "$got" -eq "$want" ] || { echo "FAIL: '$*' exited $got, want $want"; fails=1; }; }
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
expect 0 "$g" explore --help
expect 64 "$g" explore
expect 64 "$g" explore --variant nosuch
expect 64 "$g" explore --variant gomap --strategy bogus
expect 65 "$g" explore --replay garbage
expect 65 "$g" explore --variant mutex --replay v1:gomap:writers:a
expect 1 "$g" explore --variant gomap --strategy pct --schedules 200
expect 0 "$g" explore --variant mutex --strategy random --schedules 20
expect 0 "$g" check-history --help
expect 64 "$g" check-history
expect 66 "$g" check-history "$tmp/missing"
echo hello >"$tmp/not-a-history"
expect 65 "$g" check-history "$tmp/not-a-history"
expect 0 "$g" sim --variant mutex --profile flood-burst --threads 2 --duration 300ms \
  --cache-clear 5ms --progress 0 --record-history "$tmp/h"
expect 0 "$g" check-history "$tmp/h"
# the failing schedule in explore's JSON replays as a finding (status 1)
s=$("$g" explore --variant gomap --strategy pct --schedules 200 --json 2>/dev/null |
  sed -n 's/.*"failing_schedule": *"\([^"]*\)".*/\1/p')
[ -n "$s" ] || { echo "FAIL: no failing schedule in the JSON"; fails=1; }
expect 1 "$g" explore --variant gomap --replay "$s"
[ $fails -eq 0 ] && echo PASS
exit $fails
