#!/bin/sh
# tsan_verdict.sh - run the concurrent workload under ThreadSanitizer and
# judge the report.
#
#   tsan_verdict.sh race  WORKLOAD VARIANT SRCDIR OWNFILE [ALSO...]
#       passes only if TSan reports a data race (exit 66) and the top
#       project frame of every racing access lies in OWNFILE or one of ALSO,
#       with at least one in OWNFILE itself.
#   tsan_verdict.sh clean WORKLOAD VARIANT PROFDATA COV MIN FILE...
#       passes only if the run exits 0 with no TSan report, and at least
#       MIN percent of the lines of each FILE ran (clang source-based
#       coverage, built into WORKLOAD in the tsan preset). With
#       GR_COV_SAVE=path the raw profile is kept there.
#   tsan_verdict.sh merged WORKLOAD NAME PROFDATA COV MIN FILE -- PROFRAW...
#       coverage of FILE over several saved runs (code shared by variants).
set -u
mode=$1 workload=$2 variant=$3
shift 3
check_coverage() { # variant profdata cov min files...
    v=$1 profdata=$2 cov=$3 min=$4
    shift 4
    "$cov" report "$workload" -instr-profile="$profdata" "$@" >"$out/cov" || exit 1
    fail=0
    for f in "$@"; do
        base=$(basename "$f")
        # columns: Filename Regions Missed Cover Functions Missed Executed Lines Missed Cover ...
        pct=$(awk -v b="$base" '{ n = split($1, p, "/"); if (p[n] == b) { print $10; exit } }' "$out/cov")
        pct=${pct%\%}
        if [ -z "$pct" ]; then
            echo "FAIL: no coverage figures for $base"
            fail=1
            continue
        fi
        verdict=ok
        if awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p + 0 < m + 0) }'; then
            verdict="BELOW $min%"
            fail=1
        fi
        echo "coverage $v $base: $pct% of lines ran under the concurrent workload ($verdict)"
    done
    [ $fail -eq 0 ] || { cat "$out/cov"; exit 1; }
}

out=$(mktemp -d "${TMPDIR:-/tmp}/tsan_verdict.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
export TSAN_OPTIONS="halt_on_error=1:exitcode=66:second_deadlock_stack=1"
export LLVM_PROFILE_FILE="$out/run.profraw"

if [ "$mode" = merged ]; then
    profdata=$1 cov=$2 min=$3 file=$4
    shift 5 # ... FILE --
    for p in "$@"; do
        [ -f "$p" ] || { echo "FAIL: missing profile $p (run the tsan_clean_* tests first)"; exit 1; }
    done
    "$profdata" merge -sparse "$@" -o "$out/run.profdata" || exit 1
    check_coverage "$variant" "$out/run.profdata" "$cov" "$min" "$file"
    echo "PASS: $file is covered by the fixed variants' workloads"
    exit 0
fi

"$workload" "$variant" >"$out/stdout" 2>"$out/stderr"
rc=$?
cat "$out/stdout"

case $mode in
race)
    srcdir=$1 own=$2
    shift 2
    allowed="$own $*"
    if [ "$rc" -ne 66 ] || ! grep -q "WARNING: ThreadSanitizer: data race" "$out/stderr"; then
        cat "$out/stderr"
        echo "FAIL: expected a ThreadSanitizer data race report for $variant (exit $rc)"
        exit 1
    fi
    # The first report: each access block starts with a line naming the
    # access ("Write of size", "Previous read of size", "Atomic read ...")
    # and lists frames "#N func file:line:col". Take the first frame inside
    # the source tree per block.
    awk -v srcdir="$srcdir" '
        /WARNING: ThreadSanitizer: data race/ { inrep = 1; next }
        inrep && /^SUMMARY:/ { exit }
        inrep && /(Read|Write|read|write) of size/ { blk++; cur = blk; hdr[cur] = $0; next }
        inrep && /^ *(Thread|Location is|Mutex|Previous) / { cur = 0; next }
        inrep && cur && !got[cur] && /^ +#[0-9]+ / {
            for (i = 1; i <= NF; i++)
                if (index($i, srcdir) == 1) {
                    sub(/^[ \t]+/, "", hdr[cur])
                    print cur "\t" $i "\t" hdr[cur]; got[cur] = 1; break
                }
        }' "$out/stderr" >"$out/frames"
    sed -n '/WARNING: ThreadSanitizer: data race/,/^SUMMARY/p' "$out/stderr"
    if [ ! -s "$out/frames" ]; then
        echo "FAIL: could not find project frames in the report"
        exit 1
    fi
    in_own=0 bad=0
    while IFS="$(printf '\t')" read -r blk loc hdr; do
        file=${loc%%:*}
        base=$(basename "$file")
        ok=0
        for a in $allowed; do [ "$base" = "$a" ] && ok=1; done
        [ "$base" = "$own" ] && in_own=1
        echo "racing access $blk:$hdr -> $base:${loc#*:}"
        [ $ok -eq 1 ] || bad=1
    done <"$out/frames"
    if [ $bad -ne 0 ] || [ $in_own -ne 1 ]; then
        echo "FAIL: the race is not in $own (allowed: $allowed)"
        exit 1
    fi
    echo "PASS: ThreadSanitizer reports the race of $variant in $own"
    ;;
clean)
    profdata=$1 cov=$2 min=$3
    shift 3
    if [ "$rc" -ne 0 ] || grep -q "ThreadSanitizer" "$out/stderr"; then
        cat "$out/stderr"
        echo "FAIL: $variant is not clean under ThreadSanitizer (exit $rc)"
        exit 1
    fi
    "$profdata" merge -sparse "$out/run.profraw" -o "$out/run.profdata" || exit 1
    [ -n "${GR_COV_SAVE:-}" ] && cp "$out/run.profraw" "$GR_COV_SAVE"
    check_coverage "$variant" "$out/run.profdata" "$cov" "$min" "$@"
    echo "PASS: $variant is clean under ThreadSanitizer"
    ;;
*)
    echo "usage: tsan_verdict.sh race|clean ..." >&2
    exit 2
    ;;
esac
