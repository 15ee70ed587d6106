#!/usr/bin/env bash
# The README's main job: install what is missing, build the default and tsan
# presets, then run 'georace repro' on the embedded default database.
# Extra arguments go to 'georace repro' (see 'georace repro --help').
#   GEORACE_SKIP_SETUP=1   do not run ci/setup.sh
#   GEORACE_NO_TSAN=1      build only the default preset (TSan rows SKIP)
set -euo pipefail
cd "$(dirname "$0")/.."

[ "${GEORACE_SKIP_SETUP:-0}" = 1 ] || bash ci/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)
presets=(default)
[ "${GEORACE_NO_TSAN:-0}" = 1 ] || presets+=(tsan)
for p in "${presets[@]}"; do
  echo "ci/repro.sh: building preset $p (log in build/log-$p-repro-build.txt)" >&2
  mkdir -p build
  if ! { cmake --preset "$p" && cmake --build --preset "$p" -j"$jobs" --target georace; } \
      >"build/log-$p-repro-build.txt" 2>&1; then
    tail -30 "build/log-$p-repro-build.txt" >&2
    echo "ci/repro.sh: preset $p failed to build" >&2
    exit 70
  fi
done
exec build/default/cli/georace repro "$@"
