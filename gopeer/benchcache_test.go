// benchcache_test.go - the --bench-cache driver: its keys are the C
// engine's (gr_bench_key: one splitmix64 step, IPv4-mapped), a cell file is
// read back as written, a malformed one is refused, and both stores answer
// what was put and forget it on clear.

package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestBenchKeyIsTheCEnginesKey(t *testing.T) {
	for idx, want := range map[uint64]string{0: "123.29.205.175", 1: "137.2.92.193",
		12345: "169.209.17.160"} {
		k := benchKey(idx)
		if got := net.IP(k[:]).String(); got != want {
			t.Errorf("benchKey(%d) = %s, want %s", idx, got, want)
		}
	}
}

func writeCell(t *testing.T, threads, keys, seqLen uint32, rank uint32) string {
	var b bytes.Buffer
	b.WriteString(benchMagic)
	for _, v := range []uint32{benchVersion, threads, keys, 10, 1, seqLen} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	for _, v := range []uint64{7, 1000000, 500000, 250000} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	for i := uint32(0); i < keys; i++ {
		k := benchKey(uint64(i))
		b.Write(k[:])
	}
	for i := uint32(0); i < threads*benchSeqLen; i++ {
		binary.Write(&b, binary.LittleEndian, rank)
	}
	p := filepath.Join(t.TempDir(), "cell")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBenchCellReadsBackAndRefusesMalformedFiles(t *testing.T) {
	c, err := readBenchCell(writeCell(t, 2, 3, benchSeqLen, 2))
	if err != nil {
		t.Fatal(err)
	}
	if c.threads != 2 || len(c.hot) != 3 || c.hot[1] != benchKey(1) || c.missPermille != 10 ||
		!c.reset || c.seed != 7 || c.durationNs != 1000000 || c.resetNs != 500000 || c.warmupNs != 250000 ||
		c.seqs[1][benchSeqLen-1] != 2 {
		t.Fatalf("cell read back wrong: %+v", c)
	}
	for name, p := range map[string]string{
		"rank out of range":  writeCell(t, 1, 3, benchSeqLen, 3),
		"wrong ranks length": writeCell(t, 1, 3, 100, 0),
	} {
		if _, err := readBenchCell(p); !errors.Is(err, errBenchFormat) {
			t.Errorf("%s: err = %v, want a format error", name, err)
		}
	}
	short := writeCell(t, 1, 3, benchSeqLen, 0)
	data, _ := os.ReadFile(short)
	os.WriteFile(short, data[:len(data)-1], 0o600)
	if _, err := readBenchCell(short); !errors.Is(err, errBenchFormat) {
		t.Errorf("truncated: err = %v, want a format error", err)
	}
}

func TestBenchStoresAnswerWhatWasPutUntilClear(t *testing.T) {
	for _, name := range []string{"syncmap", "rwmutex"} {
		s := newBenchStore(name)
		k := benchKey(5)
		if _, ok := s.get(k); ok {
			t.Errorf("%s: hit in an empty store", name)
		}
		s.put(k, benchValue(5))
		if v, ok := s.get(k); !ok || v != benchValue(5) {
			t.Errorf("%s: get = %v %v after put", name, v, ok)
		}
		s.clear()
		if _, ok := s.get(k); ok {
			t.Errorf("%s: hit after clear", name)
		}
	}
	if newBenchStore("map") != nil {
		t.Error("the unsynchronized map is no bench store")
	}
}
