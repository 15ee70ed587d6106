#!/usr/bin/env bash
# The Go peer reads the stream the C traffic model writes: for each
# built-in profile, the records as the feeder decodes them back (--text)
# equal the records as the Go peer decodes them (--dump), byte for byte.
# usage: stream_roundtrip.sh FEED GOPEER
source "$(dirname "$0")/lib.sh"
feed=$1 gopeer=$2

for profile in zoraxy-home flood flood-burst steady spray-v6; do
  for rate in default 0; do
    opts=(--profile "$profile" --requests 3000 --seed 11)
    [ "$rate" = 0 ] && opts+=(--flat-out)
    "$feed" "${opts[@]}" --text >"$GOPEER_TMP/c.txt"
    "$feed" "${opts[@]}" -- "$gopeer" --dump >"$GOPEER_TMP/go.txt"
    diff -q "$GOPEER_TMP/c.txt" "$GOPEER_TMP/go.txt" >/dev/null ||
      fail "$profile (rate $rate): the Go peer decodes other records: $(diff "$GOPEER_TMP/c.txt" "$GOPEER_TMP/go.txt" | head -n 4)"
    echo "$profile (rate $rate): $(($(wc -l <"$GOPEER_TMP/c.txt") - 1)) records identical"
  done
done

# A stream that is not one is refused with status 65.
status=0
printf 'not a stream, but 32 bytes long.' | "$gopeer" --dump >/dev/null 2>&1 || status=$?
[ "$status" -eq 65 ] || fail "a bad magic gave status $status, not 65"
status=0
head -c 40 /dev/zero | "$gopeer" --store rwmutex >/dev/null 2>&1 || status=$?
[ "$status" -eq 65 ] || fail "a zero stream gave status $status, not 65"
echo "PASS"
