// benchcache.go - --bench-cache: one cell of 'georace bench cache' run on
// the Go runtime, so Go's own sync.Map (and a map behind a sync.RWMutex)
// is measured on the same keys, mix and thread count as the C variants.
//
// The C side (bench/src/peer_go.c) writes the cell to a file: its
// parameters, the hot keys and each worker's pre-drawn Zipf ranks. The
// loop below is the C worker's (bench/src/cache_engine.c) step for step:
// the same splitmix64 stream decides hit or miss, fresh keys come from the
// same formula, the stop flag is read every 256 operations. One operation
// is Load, and on a miss Store. GOMAXPROCS is the thread count (as
// 'go test -cpu N' sets it) and one goroutine runs per thread. The key is
// converted to an interface value per operation, as a request handler
// holding a [16]byte address would; the clear of reset-storm swaps in a
// fresh sync.Map through an atomic.Pointer (Go 1.19 has no Map.Clear), which
// every operation loads first. The result is one JSON line on stdout.

package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	benchMagic   = "GRBC"
	benchVersion = 2
	benchSeqLen  = 65536 // must equal GR_BENCH_SEQ in cache_engine.c
)

type benchCell struct {
	threads, missPermille uint32
	reset                 bool
	seed                  uint64
	durationNs, resetNs   uint64
	warmupNs              uint64
	hot                   [][16]byte
	seqs                  [][]uint32
}

// benchStore is one table under test.
type benchStore interface {
	get(k [16]byte) (uint16, bool)
	put(k [16]byte, v uint16)
	clear()
}

type benchSyncMap struct{ p atomic.Pointer[sync.Map] }

func (s *benchSyncMap) get(k [16]byte) (uint16, bool) {
	v, ok := s.p.Load().Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint16), true
}
func (s *benchSyncMap) put(k [16]byte, v uint16) { s.p.Load().Store(k, v) }
func (s *benchSyncMap) clear()                   { s.p.Store(new(sync.Map)) }

type benchRWMap struct {
	mu sync.RWMutex
	m  map[[16]byte]uint16
}

func (s *benchRWMap) get(k [16]byte) (uint16, bool) {
	s.mu.RLock()
	v, ok := s.m[k]
	s.mu.RUnlock()
	return v, ok
}
func (s *benchRWMap) put(k [16]byte, v uint16) {
	s.mu.Lock()
	s.m[k] = v
	s.mu.Unlock()
}
func (s *benchRWMap) clear() {
	s.mu.Lock()
	s.m = make(map[[16]byte]uint16)
	s.mu.Unlock()
}

func newBenchStore(name string) benchStore {
	switch name {
	case "syncmap":
		s := &benchSyncMap{}
		s.clear()
		return s
	case "rwmutex":
		return &benchRWMap{m: make(map[[16]byte]uint16)}
	}
	return nil
}

func splitmix64(x *uint64) uint64 {
	*x += 0x9e3779b97f4a7c15
	z := *x
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// benchKey is gr_bench_key: an IPv4-mapped address from one splitmix64 step.
func benchKey(idx uint64) (k [16]byte) {
	s := idx
	v4 := uint32(splitmix64(&s))
	k[10], k[11] = 0xff, 0xff
	binary.BigEndian.PutUint32(k[12:], v4)
	return k
}

func benchValue(idx uint64) uint16 {
	return uint16(('A'+idx%26)<<8 | ('A' + idx/26%26))
}

var errBenchFormat = errors.New("malformed bench cell file")

func readBenchCell(path string) (*benchCell, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rd := bufio.NewReaderSize(f, 1<<16)
	var h struct {
		Magic                     [4]byte
		Version, Threads          uint32
		Keys, MissPermille        uint32
		Reset, SeqLen             uint32
		Seed, DurationNs, ResetNs uint64
		WarmupNs                  uint64
	}
	if err := binary.Read(rd, binary.LittleEndian, &h); err != nil {
		return nil, fmt.Errorf("%w: header: %v", errBenchFormat, err)
	}
	if string(h.Magic[:]) != benchMagic || h.Version != benchVersion || h.SeqLen != benchSeqLen ||
		h.Threads < 1 || h.Threads > 256 || h.Keys < 1 || h.MissPermille > 1000 {
		return nil, fmt.Errorf("%w: bad header", errBenchFormat)
	}
	c := &benchCell{threads: h.Threads, missPermille: h.MissPermille, reset: h.Reset != 0,
		seed: h.Seed, durationNs: h.DurationNs, resetNs: h.ResetNs, warmupNs: h.WarmupNs}
	raw := make([]byte, 16*int(h.Keys))
	if _, err := io.ReadFull(rd, raw); err != nil {
		return nil, fmt.Errorf("%w: keys: %v", errBenchFormat, err)
	}
	c.hot = make([][16]byte, h.Keys)
	for i := range c.hot {
		copy(c.hot[i][:], raw[16*i:])
	}
	c.seqs = make([][]uint32, h.Threads)
	for i := range c.seqs {
		c.seqs[i] = make([]uint32, benchSeqLen)
		if err := binary.Read(rd, binary.LittleEndian, c.seqs[i]); err != nil {
			return nil, fmt.Errorf("%w: ranks: %v", errBenchFormat, err)
		}
		for _, r := range c.seqs[i] {
			if r >= h.Keys {
				return nil, fmt.Errorf("%w: rank out of range", errBenchFormat)
			}
		}
	}
	return c, nil
}

type benchResult struct {
	Store     string  `json:"store"`
	GoVersion string  `json:"go_version"`
	Threads   uint32  `json:"threads"`
	Ops       uint64  `json:"ops"`
	Hits      uint64  `json:"hits"`
	Misses    uint64  `json:"misses"`
	Clears    uint64  `json:"clears"`
	Seconds   float64 `json:"seconds"`
	CPUShare  float64 `json:"cpu_share"`
}

// benchCPUSeconds is the process's user and system CPU time so far.
func benchCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// benchCounts is one worker's running counts, published every 256
// operations (one cache line per worker) for the window snapshots.
type benchCounts struct {
	ops, hits, misses atomic.Uint64
	_                 [40]byte
}

func benchWorker(c *benchCell, s benchStore, id int, start <-chan struct{}, stop *atomic.Bool, out *benchCounts) {
	r := c.seed ^ (0x51ed27a3 * uint64(id+1))
	seq := c.seqs[id]
	var ops, hits, misses, fresh uint64
	<-start
	for pos := 0; ; pos++ {
		if pos&255 == 0 && pos > 0 {
			out.ops.Store(ops)
			out.hits.Store(hits)
			out.misses.Store(misses)
			if stop.Load() {
				break
			}
		}
		x := splitmix64(&r)
		var idx uint64
		var key [16]byte
		if x%1000 < uint64(c.missPermille) {
			idx = uint64(id+1)<<40 + fresh
			fresh++
			key = benchKey(idx)
		} else {
			idx = uint64(seq[pos&(benchSeqLen-1)])
			key = c.hot[idx]
		}
		if _, ok := s.get(key); ok {
			hits++
		} else {
			misses++
			s.put(key, benchValue(idx))
		}
		ops++
	}
}

// benchSnapshot sums every worker's published counts.
func benchSnapshot(counts []benchCounts, clears *atomic.Uint64) (r benchResult) {
	for i := range counts {
		r.Ops += counts[i].ops.Load()
		r.Hits += counts[i].hits.Load()
		r.Misses += counts[i].misses.Load()
	}
	r.Clears = clears.Load()
	return r
}

func benchCacheMode(path, store string) {
	c, err := readBenchCell(path)
	if err != nil {
		if errors.Is(err, errBenchFormat) {
			fail(exitFormat, "%s: %v", path, err)
		}
		fail(exitNoInput, "%v", err)
	}
	s := newBenchStore(store)
	if s == nil {
		fail(exitUsage, "--bench-cache: unknown store '%s' (syncmap, rwmutex)", store)
	}
	runtime.GOMAXPROCS(int(c.threads))
	for i, k := range c.hot { // prefill, then read once: the steady state
		s.put(k, benchValue(uint64(i)))
	}
	for _, k := range c.hot {
		s.get(k)
	}
	runtime.GC()
	var stop, tickStop atomic.Bool
	var wg sync.WaitGroup
	var clears atomic.Uint64
	counts := make([]benchCounts, c.threads)
	start := make(chan struct{})
	for i := 0; i < int(c.threads); i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			benchWorker(c, s, id, start, &stop, &counts[id])
		}(i)
	}
	tickDone := make(chan struct{})
	if c.reset {
		go func() {
			<-start
			for !tickStop.Load() {
				time.Sleep(time.Duration(c.resetNs))
				s.clear()
				clears.Add(1)
			}
			close(tickDone)
		}()
	} else {
		close(tickDone)
	}
	close(start)
	time.Sleep(time.Duration(c.warmupNs))
	at := make([]uint64, c.threads)
	for i := range counts {
		at[i] = counts[i].ops.Load()
	}
	cpu0 := benchCPUSeconds()
	t0 := time.Now()
	r0 := benchSnapshot(counts, &clears)
	time.Sleep(time.Duration(c.durationNs))
	for i := range counts { // every worker measures at least one batch
		for counts[i].ops.Load() <= at[i] {
			runtime.Gosched()
		}
	}
	r1 := benchSnapshot(counts, &clears)
	elapsed := time.Since(t0)
	cpu := benchCPUSeconds() - cpu0
	stop.Store(true)
	wg.Wait()
	tickStop.Store(true)
	<-tickDone
	res := benchResult{Store: store, GoVersion: runtime.Version(), Threads: c.threads,
		Ops: r1.Ops - r0.Ops, Hits: r1.Hits - r0.Hits, Misses: r1.Misses - r0.Misses,
		Clears: r1.Clears - r0.Clears, Seconds: elapsed.Seconds(),
		CPUShare: cpu / (elapsed.Seconds() * float64(c.threads))}
	line, _ := json.Marshal(res)
	fmt.Println(string(line))
}
