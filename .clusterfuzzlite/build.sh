#!/bin/bash -eu
# build.sh - builds georace's fuzz targets for ClusterFuzzLite and OSS-Fuzz.
#
# Honours the engine's variables: $CC $CFLAGS (and $CXX $CXXFLAGS for the
# link, as libFuzzer's runtime is C++), $LIB_FUZZING_ENGINE, $OUT, $SRC,
# $WORK. Compiles the library sources straight from the tree (no CMake, so
# the base image's CMake version does not matter), links each target
# fuzz/fuzz_*.c against them and against the static Debian/Ubuntu -dev
# libraries (the runner image has none of them), and ships the committed
# seed corpora as $OUT/<target>_seed_corpus.zip and dictionaries as
# $OUT/<target>.dict. Run locally, e.g.:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link -g" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/cflite-out SRC=$PWD/.. \
#   .clusterfuzzlite/build.sh
if [ -f fuzz/replay_main.c ]; then
  root=$PWD
elif [ -n "${SRC:-}" ] && [ -f "$SRC/georace/fuzz/replay_main.c" ]; then
  root=$SRC/georace
else
  root=$(cd "$(dirname "$0")/.." && pwd)
fi
cd "$root"
: "${CC:=clang}" "${CFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?set OUT to the output directory}"
LD=${CXX:-$CC}
LDFLAGS_ENGINE=${CXXFLAGS:-$CFLAGS}
work=${WORK:-$(mktemp -d)}/georace-fuzz-build
rm -rf "$work"
mkdir -p "$work/obj" "$OUT"

deps="libmaxminddb libevent_core libevent_extra libevent_pthreads libuv"
pkg-config --exists jansson && deps="$deps jansson"
# shellcheck disable=SC2207
dep_cflags=($(pkg-config --cflags $deps))
common=(-std=c11 -D_GNU_SOURCE -Icache/include -Iproxy_sim/include -Ifuzz "${dep_cflags[@]}")

compile_into() { # archive, extra flags..., -- sources...
  local archive=$1; shift
  local flags=()
  while [ "$1" != "--" ]; do flags+=("$1"); shift; done
  shift
  local objs=()
  for src in "$@"; do
    local obj="$work/obj/$(echo "$src" | tr '/' '_').o"
    # shellcheck disable=SC2086
    $CC $CFLAGS "${common[@]}" "${flags[@]}" -c "$src" -o "$obj"
    objs+=("$obj")
  done
  ar rcs "$work/$archive" "${objs[@]}"
}

# The library under test. The embedded default database (defaultdb.c and its
# generated blob) is left out: no fuzz target uses it.
cache_srcs=()
for f in cache/src/*.c cache/variants/*.c; do
  [ "$f" = cache/src/defaultdb.c ] || cache_srcs+=("$f")
done
compile_into libgeorace_cache.a -Icache/src -Icache/variants -- "${cache_srcs[@]}"
# The proxy sources (fuzz_http, fuzz_proxy_msg). The archive only contributes the objects a
# target needs: the request path, not the traffic model or the simulators.
compile_into libgeorace_proxy.a -Iproxy_sim/src -- proxy_sim/src/*.c

# Static -dev libraries, linked by path: the runner image only has libc.
# The archive's name is the one the build image ships: libuv's is libuv_a.a
# in Debian's libuv1-dev >= 1.38 but libuv.a in older ones (the OSS-Fuzz base
# image's Ubuntu 20.04 has 1.34), so each library lists the names it may have
# and the first one found in pkg-config's libdir, then on the compiler's own
# search path, is used.
static_archive() { # pkg-config name (or -), archive names...
  local pc=$1 dir name path
  shift
  dir=$([ "$pc" != - ] && pkg-config --variable=libdir "$pc" 2>/dev/null)
  for name in "$@"; do
    if [ -n "$dir" ] && [ -f "$dir/lib$name.a" ]; then echo "$dir/lib$name.a"; return 0; fi
  done
  for name in "$@"; do
    path=$($CC -print-file-name="lib$name.a")
    if [ "$path" != "lib$name.a" ] && [ -f "$path" ]; then echo "$path"; return 0; fi
  done
  echo "build.sh: no static archive for $pc (tried: $*)" >&2
  return 1
}
static_libs=()
while read -r pc names; do
  # shellcheck disable=SC2086
  static_libs+=("$(static_archive "$pc" $names)") || exit 1
done <<'LIBS'
libmaxminddb maxminddb
libevent_extra event_extra
libevent_pthreads event_pthreads
libevent_core event_core
libuv uv_a uv
- http_parser
jansson jansson
LIBS
static_libs+=(-lpthread -ldl -lrt -lm)

# The proxy targets share the upstream oracle (fuzz/upstream_oracle.c).
# shellcheck disable=SC2086
$CC $CFLAGS "${common[@]}" -c fuzz/upstream_oracle.c -o "$work/obj/upstream_oracle.o"
for src in fuzz/fuzz_*.c; do
  t=$(basename "$src" .c)
  extra=() objs=()
  case "$t" in
  fuzz_http|fuzz_proxy_msg) extra=(-Iproxy_sim/src) objs=("$work/obj/upstream_oracle.o") ;;
  esac
  # shellcheck disable=SC2086
  $CC $CFLAGS "${common[@]}" "${extra[@]}" -c "$src" -o "$work/obj/$t.o"
  # shellcheck disable=SC2086
  $LD $LDFLAGS_ENGINE "$work/obj/$t.o" "${objs[@]}" -o "$OUT/$t" $LIB_FUZZING_ENGINE \
    "$work/libgeorace_proxy.a" "$work/libgeorace_cache.a" "${static_libs[@]}"

  if [ -d "fuzz/corpus/$t" ]; then
    rm -f "$OUT/${t}_seed_corpus.zip"
    zip -q -j "$OUT/${t}_seed_corpus.zip" "fuzz/corpus/$t"/*
    if [ -d "fuzz/regressions/$t" ] && ls "fuzz/regressions/$t"/* >/dev/null 2>&1; then
      zip -q -j "$OUT/${t}_seed_corpus.zip" "fuzz/regressions/$t"/*
    fi
  fi
  case "$t" in
  fuzz_ipaddr|fuzz_requester_ip) cp fuzz/dict/ip.dict "$OUT/$t.dict" ;;
  fuzz_csvdb) cp fuzz/dict/csv.dict "$OUT/$t.dict" ;;
  fuzz_http|fuzz_proxy_msg) cp fuzz/dict/http.dict "$OUT/$t.dict" ;;
  esac
  echo "build.sh: built $OUT/$t"
done
