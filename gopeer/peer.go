// peer.go - the request path and the engine that serves a traffic stream.
//
// Per request, what Zoraxy v3.1.4 does in slow-resolve mode: take the
// client address as a string, answer a reserved address with its zone,
// else look the string up in the cache of its family; on a miss, walk the
// database (plus the optional --miss-cost busy time) and store a found
// country in the cache. As in Zoraxy, an address in no range is not cached.
//
// The engine reads the stream one burst (page view) at a time. Every
// request runs in a goroutine of its own, as net/http would serve it; the
// requests of a parallel burst wait on one barrier and are released
// together. Paced streams start each burst at its event time from the
// stream's start; flat-out streams start bursts as fast as the in-flight
// limit lets them (a bound on live goroutines, like a server's connection
// limit). Each answer is compared with the record's ground truth: a
// mismatch is an answer a geo-block would have acted on wrongly.

package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

type counters struct {
	requests, hits, misses, zones, unknown, mismatches, clears atomic.Uint64
	pairs                                                      atomic.Uint64 // same-burst cache writers, ordered pairs
	inflight                                                   atomic.Int64
	lateNs                                                     atomic.Int64 // worst start delay
}

type peer struct {
	db       *geodb
	cache    cache
	missCost time.Duration
	c        counters
	printed  atomic.Int32
}

const mismatchesPrinted = 5

// spin keeps a core busy for d, as an expensive backend would.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// resolve answers one address string: a zone name, a country code, or ""
// (not in the database). hit tells whether the cache answered, stored
// whether this request wrote the cache.
func (p *peer) resolve(addr string) (answer string, hit, stored bool) {
	ip := net.ParseIP(addr)
	if ip == nil {
		return "", false, false
	}
	if z := zoneOf(ip); z != zoneNone {
		p.c.zones.Add(1)
		return zoneNames[z], false, false
	}
	v6 := ip.To4() == nil
	if cc, ok := p.cache.get(v6, addr); ok {
		p.c.hits.Add(1)
		return cc, true, false
	}
	p.c.misses.Add(1)
	if p.missCost > 0 {
		spin(p.missCost)
	}
	cc := p.db.lookup(addr, ip)
	if cc != "" {
		p.cache.put(v6, addr, cc)
	} else {
		p.c.unknown.Add(1)
	}
	return cc, false, cc != ""
}

// serve answers one request; true when it wrote the cache.
func (p *peer) serve(r *record) bool {
	addr := r.ip().String()
	got, _, stored := p.resolve(addr)
	want := r.expected()
	p.c.requests.Add(1) // answered
	if got == want {
		return stored
	}
	p.c.mismatches.Add(1)
	if p.printed.Add(1) <= mismatchesPrinted {
		fmt.Fprintf(os.Stderr, "gopeer: mismatch: client %s (%s): answer '%s', truth '%s'\n",
			addr, kindNames[r.kind], got, want)
	}
	return stored
}

// ---- the engine -------------------------------------------------------------

type engine struct {
	p        *peer
	hdr      wireHeader
	start    time.Time
	sem      chan struct{} // in-flight tokens
	stop     chan struct{} // closed to stop starting requests
	readDone chan error    // the reader's end: nil at end of stream

	// wg counts the requests started. Its Adds must happen before any
	// Wait that can see the counter at zero, so the reader adds only while
	// open is true under mu, and shutdown clears it under mu first.
	wg   sync.WaitGroup
	mu   sync.Mutex
	open bool
}

func newEngine(p *peer, hdr wireHeader, inflight int) *engine {
	return &engine{p: p, hdr: hdr, start: time.Now(), sem: make(chan struct{}, inflight),
		stop: make(chan struct{}), readDone: make(chan error, 1), open: true}
}

// shutdown stops the starting of requests; every request started before
// it is counted in wg.
func (e *engine) shutdown() {
	e.mu.Lock()
	e.open = false
	e.mu.Unlock()
	close(e.stop)
}

// started counts one more request in wg; false after shutdown.
func (e *engine) started() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.open {
		e.wg.Add(1)
	}
	return e.open
}

func (e *engine) stopped() bool {
	select {
	case <-e.stop:
		return true
	default:
		return false
	}
}

// waitUntil sleeps until the event time at (from the stream's start);
// false if stopped first.
func (e *engine) waitUntil(at uint64) bool {
	d := time.Until(e.start.Add(time.Duration(at)))
	if d <= 0 {
		if late := int64(-d); late > e.p.c.lateNs.Load() {
			e.p.c.lateNs.Store(late) // only the reader writes it
		}
		return !e.stopped()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-e.stop:
		return false
	}
}

// launch starts the requests of recs together: each takes an in-flight
// token and waits on one barrier, opened when all have their token (or as
// soon as a token is not free at once, so a burst larger than the limit
// still runs). False if stopped before all were started. The requests of
// one burst that write the cache are counted: the k-th writer adds 2(k-1)
// ordered pairs of same-key writers (the time-to-failure model's P).
func (e *engine) launch(recs []record) bool {
	barrier := make(chan struct{})
	writers := new(atomic.Int32)
	open := false
	openBarrier := func() {
		if !open {
			close(barrier)
			open = true
		}
	}
	defer openBarrier()
	for i := range recs {
		select {
		case e.sem <- struct{}{}:
		default:
			openBarrier()
			select {
			case e.sem <- struct{}{}:
			case <-e.stop:
				return false
			}
		}
		if !e.started() {
			<-e.sem
			return false
		}
		e.p.c.inflight.Add(1)
		go func(r record) {
			defer func() {
				e.p.c.inflight.Add(-1)
				<-e.sem
				e.wg.Done()
			}()
			<-barrier
			if e.p.serve(&r) {
				if k := writers.Add(1); k > 1 {
					e.p.c.pairs.Add(uint64(2 * (k - 1)))
				}
			}
		}(recs[i])
	}
	return true
}

// read serves the stream until its end, an error, or stop; it reports nil
// (the end of the stream, or stopped) or the error on readDone.
func (e *engine) read(br *burstReader) {
	recs := make([]record, burstMax)
	paced := !e.hdr.flatOut()
	for !e.stopped() {
		n, err := br.next(recs)
		if err == io.EOF {
			break
		}
		if err != nil {
			e.readDone <- err
			return
		}
		burst := recs[:n]
		if burst[0].flags&wireParallel != 0 {
			if paced && !e.waitUntil(burst[0].atNs) {
				break
			}
			if !e.launch(burst) {
				break
			}
			continue
		}
		for i := range burst {
			if paced && !e.waitUntil(burst[i].atNs) {
				break
			}
			if !e.launch(burst[i : i+1]) {
				break
			}
		}
	}
	e.readDone <- nil
}

// idle is closed once every request started has answered (call it when no
// more will start: after the reader's end or after shutdown).
func (e *engine) idle() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		e.wg.Wait()
		close(done)
	}()
	return done
}

// drain waits up to grace for the requests in flight; false if some are
// still running then.
func (e *engine) drain(grace time.Duration) bool {
	select {
	case <-e.idle():
		return true
	case <-time.After(grace):
		return false
	}
}

// ticker resets the cache every interval until stop, as Zoraxy's
// cacheClearTicker goroutine does.
func (e *engine) ticker(interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.p.cache.reset()
			e.p.c.clears.Add(1)
		}
	}
}
