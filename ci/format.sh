#!/usr/bin/env bash
# Checks that every tracked C file is formatted as .clang-format says, and
# every Go file as gofmt says (when Go is installed), and names the ones that
# are not. ci/test.sh runs it before any build.
#
#   ci/format.sh           check (exit 1 and a list when a file is unformatted)
#   ci/format.sh --fix     format the files in place
#
# Exit status: 0 formatted, 1 unformatted files, 69 no clang-format.
set -uo pipefail
cd "$(dirname "$0")/.."
fix=0
case "${1:-}" in
  "") ;;
  --fix) fix=1 ;;
  -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  *) echo "ci/format.sh: unknown option '$1' (see --help)" >&2; exit 64 ;;
esac
cf=$(command -v clang-format || command -v clang-format-14) ||
  { echo "ci/format.sh: clang-format not found (ci/setup.sh installs it)" >&2; exit 69; }
mapfile -t files < <(git ls-files -- '*.c' '*.h')
[ ${#files[@]} -gt 0 ] || { echo "ci/format.sh: no C files found" >&2; exit 1; }
mapfile -t gofiles < <(git ls-files -- '*.go')
gofmt=$(command -v gofmt)
[ -n "$gofmt" ] || [ ${#gofiles[@]} -eq 0 ] || echo "ci/format.sh: gofmt not found: Go files not checked"
if [ $fix = 1 ]; then
  "$cf" -i "${files[@]}"
  [ -z "$gofmt" ] || [ ${#gofiles[@]} -eq 0 ] || "$gofmt" -w "${gofiles[@]}"
  echo "ci/format.sh: formatted ${#files[@]} C files and ${#gofiles[@]} Go files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$cf" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ -n "$gofmt" ] && [ ${#gofiles[@]} -gt 0 ]; then
  mapfile -t badgo < <("$gofmt" -l "${gofiles[@]}")
  bad+=("${badgo[@]}")
fi
if [ ${#bad[@]} -gt 0 ]; then
  printf 'ci/format.sh: %d of %d files are not formatted (fix: ci/format.sh --fix):\n' \
    "${#bad[@]}" "$((${#files[@]} + ${#gofiles[@]}))"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "ci/format.sh: all ${#files[@]} C files and ${#gofiles[@]} Go files formatted"
