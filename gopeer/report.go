// report.go - what the peer tells its runner: JSON lines on stdout, one
// object per line, each written with a single write(2) so a reader never
// sees half a line.
//
//	{"event":"start", ...}     the stream's header was read; the clock starts
//	{"event":"progress", ...}  every --progress period
//	{"event":"summary", ...}   at the end (duration, end of stream, signal,
//	                           malformed stream)
//
// A run the Go runtime kills (fatal error, panic) ends with the last
// progress line; the runtime's own message is on stderr.

package main

import (
	"encoding/json"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"
)

type startLine struct {
	Event      string   `json:"event"`
	Store      string   `json:"store"`
	Backend    string   `json:"backend"`
	Race       bool     `json:"race"`
	GoVersion  string   `json:"go_version"`
	GOMAXPROCS int      `json:"gomaxprocs"`
	NumCPU     int      `json:"numcpu"`
	Loadavg1   *float64 `json:"loadavg1"`
	Pid        int      `json:"pid"`
	ClearS     float64  `json:"clear_s"`
	MissCostS  float64  `json:"miss_cost_s"`
	Inflight   int      `json:"inflight"`
	Rows4      int      `json:"rows_v4"`
	Rows6      int      `json:"rows_v6"`
	Seed       uint64   `json:"seed"`
	Stream     uint32   `json:"stream"`
	Rate       float64  `json:"rate"`
	FlatOut    bool     `json:"flat_out"`
}

type countLine struct {
	Event      string  `json:"event"`
	ElapsedS   float64 `json:"elapsed_s"`
	Requests   uint64  `json:"requests"`
	Hits       uint64  `json:"hits"`
	Misses     uint64  `json:"misses"`
	Zones      uint64  `json:"zones"`
	Unknown    uint64  `json:"unknown"`
	Mismatches uint64  `json:"mismatches"`
	Clears     uint64  `json:"clears"`
	WritePairs uint64  `json:"write_pairs"` // ordered pairs of same-burst cache writers
	Inflight   int64   `json:"inflight"`
	LateMaxS   float64 `json:"late_max_s"`
	ReqPerS    float64 `json:"req_per_s"`
}

type summaryLine struct {
	countLine
	End        string   `json:"end"` // duration, eof, signal or error
	GOMAXPROCS int      `json:"gomaxprocs"`
	NumCPU     int      `json:"numcpu"`
	Loadavg1   *float64 `json:"loadavg1"`  // at start; null if unknown
	Undrained  int64    `json:"undrained"` // requests still running when the peer gave up waiting
}

func emit(v interface{}) {
	b, err := json.Marshal(v)
	if err != nil {
		return
	}
	os.Stdout.Write(append(b, '\n'))
}

// loadavg1 is the 1-minute load average from /proc/loadavg, nil if unknown.
func loadavg1() *float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return nil
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return nil
	}
	return &v
}

func (p *peer) counts(event string, elapsed time.Duration) countLine {
	c := &p.c
	l := countLine{
		Event:      event,
		ElapsedS:   elapsed.Seconds(),
		Requests:   c.requests.Load(),
		Hits:       c.hits.Load(),
		Misses:     c.misses.Load(),
		Zones:      c.zones.Load(),
		Unknown:    c.unknown.Load(),
		Mismatches: c.mismatches.Load(),
		Clears:     c.clears.Load(),
		WritePairs: c.pairs.Load(),
		Inflight:   c.inflight.Load(),
		LateMaxS:   time.Duration(c.lateNs.Load()).Seconds(),
	}
	if s := elapsed.Seconds(); s > 0 {
		l.ReqPerS = float64(l.Requests) / s
	}
	return l
}

func summary(p *peer, end string, elapsed time.Duration, load *float64, undrained int64) summaryLine {
	return summaryLine{p.counts("summary", elapsed), end, runtime.GOMAXPROCS(0), runtime.NumCPU(),
		load, undrained}
}
