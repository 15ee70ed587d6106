#!/usr/bin/env bash
# ci/fuzz.sh - run one fuzz target, keep what it learned, replay the corpus.
#
#   ci/fuzz.sh [options] TARGET [SECONDS]
#
# Builds the target in the fuzz preset (build/fuzz) if needed, fuzzes it for
# SECONDS (default 60) on a scratch copy of fuzz/corpus/TARGET plus
# fuzz/regressions/TARGET and the target's dictionary, merges only the inputs
# that add coverage back into fuzz/corpus/TARGET (-merge=1), and replays the
# corpus and the regressions once. Findings land in fuzz-artifacts/TARGET/
# (under the build directory) with the command to minimize them; a minimized finding belongs in
# fuzz/regressions/TARGET/ together with its fix.
#
# Options:
#   --tsan           build with libFuzzer + ThreadSanitizer instead (build/fuzz-tsan;
#                    meant for fuzz_cache_race)
#   --variant NAME   cache variant for fuzz_cache_race (GEORACE_FUZZ_VARIANT);
#                    default "fixed" = every race-free variant
#   --no-merge       do not touch fuzz/corpus (just fuzz and replay)
#   --minimize       rewrite fuzz/corpus/TARGET as its minimal covering subset and exit
#   --jobs N         parallel fuzzing processes (default 1)
#   --build-dir DIR  build here instead of build/fuzz (build/fuzz-tsan with --tsan)
#   --help           this text
# Targets: fuzz_ipaddr fuzz_requester_ip fuzz_csvdb fuzz_mmdb fuzz_cache_ops
#          fuzz_cache_race fuzz_http fuzz_proxy_msg
# Exit status: 0 nothing found, 1 a finding (or a failed replay), 64 usage,
#              70 the build failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; }

tsan=0 variant="" merge=1 minimize=0 jobs=1 bdir=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
  --tsan) tsan=1 ;;
  --variant) [ $# -ge 2 ] || { echo "ci/fuzz.sh: --variant needs a name" >&2; exit 64; }; variant=$2; shift ;;
  --variant=*) variant=${1#--variant=} ;;
  --build-dir) [ $# -ge 2 ] || { echo "ci/fuzz.sh: --build-dir needs a directory" >&2; exit 64; }; bdir=$2; shift ;;
  --no-merge) merge=0 ;;
  --minimize) minimize=1 ;;
  --jobs) [ $# -ge 2 ] || { echo "ci/fuzz.sh: --jobs needs a number" >&2; exit 64; }; jobs=$2; shift ;;
  -h|--help) usage; exit 0 ;;
  -*) echo "ci/fuzz.sh: unknown option $1" >&2; usage >&2; exit 64 ;;
  *) args+=("$1") ;;
  esac
  shift
done
[ ${#args[@]} -ge 1 ] && [ ${#args[@]} -le 2 ] || { usage >&2; exit 64; }
target=${args[0]}
seconds=${args[1]:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || { echo "ci/fuzz.sh: SECONDS must be a positive integer" >&2; exit 64; }
[[ "$jobs" =~ ^[0-9]+$ ]] && [ "$jobs" -gt 0 ] || { echo "ci/fuzz.sh: --jobs must be a positive integer" >&2; exit 64; }
[ -f "fuzz/$target.c" ] || { echo "ci/fuzz.sh: no such target: $target (see --help)" >&2; exit 64; }

corpus=$root/fuzz/corpus/$target
regressions=$root/fuzz/regressions/$target
case "$target" in
fuzz_ipaddr|fuzz_requester_ip) dict=$root/fuzz/dict/ip.dict ;;
fuzz_csvdb) dict=$root/fuzz/dict/csv.dict ;;
fuzz_http|fuzz_proxy_msg) dict=$root/fuzz/dict/http.dict ;;
*) dict="" ;;
esac

if [ "$tsan" = 1 ]; then
  bdir=${bdir:-$root/build/fuzz-tsan}
  configure=(cmake --preset tsan -B "$bdir" -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link
             -DGEORACE_FUZZ_ENGINE=-fsanitize=fuzzer)
  export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66:second_deadlock_stack=1}
else
  bdir=${bdir:-$root/build/fuzz}
  configure=(cmake --preset fuzz -B "$bdir")
fi
[ -n "$variant" ] && export GEORACE_FUZZ_VARIANT=$variant

if [ ! -f "$bdir/CMakeCache.txt" ]; then
  echo "ci/fuzz.sh: configuring $bdir"
  mkdir -p "$bdir"
  "${configure[@]}" >"$bdir.configure.log" 2>&1 || { tail -20 "$bdir.configure.log"; exit 70; }
fi
echo "ci/fuzz.sh: building $target"
cmake --build "$bdir" -j2 --target "$target" >"$bdir/fuzz-build.log" 2>&1 || { grep -E 'error' "$bdir/fuzz-build.log" | head -20; exit 70; }
bin=$bdir/fuzz/$target

mkdir -p "$corpus"
if [ "$minimize" = 1 ]; then
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/georace-min.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  before=$(ls "$corpus" | wc -l)
  "$bin" -merge=1 "$tmp" "$corpus" >"$tmp.log" 2>&1 || { tail -20 "$tmp.log"; rm -f "$tmp.log"; exit 1; }
  rm -f "$tmp.log"
  find "$corpus" -maxdepth 1 -type f -delete
  cp "$tmp"/* "$corpus"/
  echo "ci/fuzz.sh: $target corpus minimized: $before -> $(ls "$corpus" | wc -l) inputs ($(du -sh "$corpus" | cut -f1))"
  exit 0
fi

artifacts=$bdir/fuzz-artifacts/$target
mkdir -p "$artifacts"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/georace-fuzz.XXXXXX")
marker=$scratch.start
touch "$marker"
trap 'rm -rf "$scratch" "$marker"' EXIT
cp "$corpus"/* "$scratch"/ 2>/dev/null
seeds=("$scratch")
[ -d "$regressions" ] && seeds+=("$regressions")
opts=(-max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048
      -artifact_prefix="$artifacts/")
[ -n "$dict" ] && opts+=(-dict="$dict")
[ "$jobs" -gt 1 ] && opts+=(-jobs="$jobs" -workers="$jobs")

echo "ci/fuzz.sh: fuzzing $target for ${seconds}s (${GEORACE_FUZZ_VARIANT:+variant $GEORACE_FUZZ_VARIANT, }corpus $(ls "$corpus" | wc -l) inputs)"
# The outer timeout only guards against a wedged sanitizer runtime (clang 14's
# TSan can deadlock when several threads report at once under libFuzzer).
timeout -k 10 $((seconds + 300)) "$bin" "${opts[@]}" "${seeds[@]}" 2>&1 | tee "$artifacts/last-run.log" | grep -E '^(#[0-9]+ +(INITED|DONE|pulse))|^stat::|ERROR|WARNING|SUMMARY|invariant'
rc=${PIPESTATUS[0]}
found=$(find "$artifacts" -maxdepth 1 -type f ! -name '*.log' -newer "$marker" | wc -l)

if [ "$merge" = 1 ]; then
  before=$(ls "$corpus" | wc -l)
  "$bin" -merge=1 "$corpus" "$scratch" >"$artifacts/merge.log" 2>&1
  echo "ci/fuzz.sh: merged new coverage into fuzz/corpus/$target: $before -> $(ls "$corpus" | wc -l) inputs"
fi

replay=("$corpus")
[ -d "$regressions" ] && replay+=("$regressions")
if ! timeout -k 10 600 "$bin" -runs=0 "${replay[@]}" >"$artifacts/replay.log" 2>&1; then
  tail -30 "$artifacts/replay.log"
  echo "ci/fuzz.sh: replaying the corpus FAILED" >&2
  exit 1
fi
echo "ci/fuzz.sh: replayed fuzz/corpus/$target and its regressions: clean"

if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
  echo "ci/fuzz.sh: $target FOUND something (status $rc); inputs in $artifacts:" >&2
  find "$artifacts" -maxdepth 1 -type f ! -name '*.log' -newer "$marker" -printf '  %f\n' >&2
  echo "  reproduce: $bin <input>" >&2
  echo "  minimize:  $bin -minimize_crash=1 -runs=100000 <input>" >&2
  echo "  then add the minimized input to fuzz/regressions/$target/ with the fix" >&2
  exit 1
fi
exit 0
