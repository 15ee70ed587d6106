#!/usr/bin/env bash
# The README's test command: install what is missing, check that the C
# sources are formatted (ci/format.sh), then configure, build and test every
# preset (default, tsan, asan, fuzz). JUnit XML per preset lands in
# build/junit-<preset>.xml. Prints one summary line for the format check and
# one per preset, and exits non-zero if the sources are unformatted or any
# preset failed to configure, build or pass its tests.
#
#   ci/test.sh                 all presets
#   ci/test.sh default asan    only these
#   GEORACE_SKIP_SETUP=1       do not run ci/setup.sh
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(default tsan asan fuzz)

if [ "${GEORACE_SKIP_SETUP:-0}" != 1 ]; then
  bash ci/setup.sh || { echo "ci/test.sh: setup failed"; exit 1; }
fi

jobs=$(nproc 2>/dev/null || echo 2)
declare -A summary
overall=0
start_all=$SECONDS

echo "=== format (clang-format for C, gofmt for Go: ci/format.sh)"
if bash ci/format.sh; then
  format_summary="ok"
else
  format_summary="FAILED (unformatted C files, listed above)"; overall=1
fi

for p in "${presets[@]}"; do
  t0=$SECONDS
  log="$root/build/log-$p"
  mkdir -p "$root/build"
  echo "=== preset $p: configure"
  if ! cmake --preset "$p" >"$log-configure.txt" 2>&1; then
    tail -30 "$log-configure.txt"
    summary[$p]="FAILED (configure)"; overall=1; continue
  fi
  echo "=== preset $p: build"
  if ! cmake --build --preset "$p" -j"$jobs" >"$log-build.txt" 2>&1; then
    grep -E 'error|Error' "$log-build.txt" | head -40
    summary[$p]="FAILED (build)"; overall=1; continue
  fi
  echo "=== preset $p: test"
  ctest --preset "$p" -j"$jobs" --output-junit "$root/build/junit-$p.xml" 2>&1 | tee "$log-test.txt"
  rc=${PIPESTATUS[0]}
  line=$(grep -E 'tests passed' "$log-test.txt" | tail -1)
  if [ "$rc" -ne 0 ]; then
    summary[$p]="FAILED: ${line:-ctest exit $rc} ($((SECONDS - t0))s)"; overall=1
  else
    summary[$p]="ok: $line ($((SECONDS - t0))s)"
  fi
done

echo
echo "=== georace test summary ($((SECONDS - start_all))s)"
printf '%-8s %s\n' format "$format_summary"
for p in "${presets[@]}"; do
  printf '%-8s %s\n' "$p" "${summary[$p]}"
done
exit $overall
