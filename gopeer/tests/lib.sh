# lib.sh - shared bits of the Go peer's test drivers (sourced).
set -euo pipefail

GOPEER_TMP=$(mktemp -d)
trap 'rm -rf "$GOPEER_TMP"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# json_field FILE NAME EVENT: the number NAME of the last EVENT line of FILE
# (empty if there is none).
json_field() {
  { grep "\"event\":\"$3\"" "$1" | tail -n 1 | grep -o "\"$2\":[-0-9.e+]*" | head -n 1 |
    cut -d: -f2; } || true
}

# elapsed_s START_NS: seconds since START_NS (date +%s%N), to the millisecond.
elapsed_s() {
  local ms=$((($(date +%s%N) - $1) / 1000000))
  printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}
