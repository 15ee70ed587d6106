// gopeer - the Go peer of Zoraxy v3.1.4's geo-IP slow-resolve path, run on
// the real Go runtime beside georace's C emulation of it.
//
// It serves a georace traffic stream (wire.go) request by request, each in
// its own goroutine, through the reserved-zone check, the cache (store.go)
// and the CSV walk (geodb.go), checks every answer against the stream's
// ground truth, and reports JSON lines (report.go). The unsynchronized
// stores die the way Zoraxy died: by the Go runtime's own fatal error.
// See README.md for the protocol.

package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// defaultCSV is the build's generated database, set at link time
// (-ldflags "-X main.defaultCSV=PATH"); empty means --csv is required.
var defaultCSV string

const (
	exitOK       = 0
	exitMismatch = 1  // some answer differed from the ground truth (or a bad --lookup address)
	exitUsage    = 64 // bad command line
	exitFormat   = 65 // malformed stream or database
	exitNoInput  = 66 // missing or unreadable input file
	// 2 is never used here: it is the Go runtime's status for a fatal
	// error or an unrecovered panic.
)

const usageText = `usage: gopeer [options] < stream
       gopeer --lookup [--csv FILE]... ADDRESS...
       gopeer --dump [--stream FILE]

Serves a georace traffic stream (32-byte records, see README.md) the way
Zoraxy v3.1.4 serves requests in geo-IP slow-resolve mode: per request,
its own goroutine, a reserved-zone check, a cache lookup keyed by the
address string, on a miss the linear walk over the CSV rows, then the cache
store; a ticker goroutine resets the cache. Every answer is checked against
the stream's ground truth. Progress and a summary are JSON lines on stdout.

  --store S        map (Zoraxy v3.1.4: plain map, reset by assigning a new
                   one), syncmap-reset (the shipped fix: sync.Map, reset by
                   overwriting it in place) or rwmutex (a correct control);
                   default map
  --clear D        reset the cache every D (Go duration: 15m, 10ms); 0 never;
                   default 15m (--cache-clear is the same)
  --miss-cost D    extra busy time per database lookup; default 0
  --backend B      scan (Zoraxy's walk, every row parsed per lookup) or
                   bsearch (rows parsed once, binary search); default scan
  --csv FILE       Zoraxy-style CSV (start,end,CC), may repeat; default: the
                   build's generated database
  --stream FILE    read the stream from FILE instead of standard input
  --duration D     stop after D from the stream's start; default 0: serve
                   until the end of the stream
  --inflight N     most requests running at once; default 64
  --progress D     a progress line every D; 0 none; default 1s
  --lookup         answer each ADDRESS (zone, country or '-') and exit
  --dump           print the stream's records as text and exit
  --bench-cache F  run one cell of 'georace bench cache' described by file F
                   (written by the C engine) on --store syncmap (Go's
                   sync.Map) or rwmutex (a map behind a sync.RWMutex); prints
                   one JSON line: ops, hits, misses, clears, seconds
  --help           this text

exit status: 0 done, no mismatch; 1 some answer mismatched its ground truth
(or, with --lookup, some address was not an IP address); 2 the Go runtime
killed the process (fatal error: concurrent map writes, ...; panic); 64
usage; 65 malformed stream or database; 66 missing or unreadable file. The
-race build exits 66 after a data race report unless GORACE sets exitcode:
tell the two apart by "WARNING: DATA RACE" on stderr.
`

type csvList []string

func (l *csvList) String() string     { return strings.Join(*l, ",") }
func (l *csvList) Set(s string) error { *l = append(*l, s); return nil }

type options struct {
	store, backend, stream              string
	clear, missCost, duration, progress time.Duration
	inflight                            int
	csv                                 csvList
	lookup, dump                        bool
	benchCache                          string
	addrs                               []string
}

func fail(status int, format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gopeer: "+format+"\n", args...)
	os.Exit(status)
}

func parseOptions(args []string) options {
	var o options
	fs := flag.NewFlagSet("gopeer", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.store, "store", "map", "")
	fs.StringVar(&o.backend, "backend", "scan", "")
	fs.StringVar(&o.stream, "stream", "", "")
	fs.DurationVar(&o.clear, "clear", 15*time.Minute, "")
	fs.DurationVar(&o.clear, "cache-clear", 15*time.Minute, "")
	fs.DurationVar(&o.missCost, "miss-cost", 0, "")
	fs.DurationVar(&o.duration, "duration", 0, "")
	fs.DurationVar(&o.progress, "progress", time.Second, "")
	fs.IntVar(&o.inflight, "inflight", 64, "")
	fs.Var(&o.csv, "csv", "")
	fs.BoolVar(&o.lookup, "lookup", false, "")
	fs.BoolVar(&o.dump, "dump", false, "")
	fs.StringVar(&o.benchCache, "bench-cache", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(usageText)
			os.Exit(exitOK)
		}
		fmt.Fprintf(os.Stderr, "gopeer: %v\n%s", err, usageText)
		os.Exit(exitUsage)
	}
	o.addrs = fs.Args()
	bad := ""
	if o.benchCache != "" { // its own stores, no database
		if len(o.addrs) > 0 {
			bad = fmt.Sprintf("unexpected argument '%s'", o.addrs[0])
		} else if newBenchStore(o.store) == nil {
			bad = fmt.Sprintf("--bench-cache: unknown store '%s' (syncmap, rwmutex)", o.store)
		}
		if bad != "" {
			fmt.Fprintf(os.Stderr, "gopeer: %s\n", bad)
			os.Exit(exitUsage)
		}
		return o
	}
	switch {
	case newCache(o.store) == nil:
		bad = fmt.Sprintf("unknown store '%s' (%s)", o.store, strings.Join(storeNames, ", "))
	case o.backend != "scan" && o.backend != "bsearch":
		bad = fmt.Sprintf("unknown backend '%s' (scan, bsearch)", o.backend)
	case o.clear < 0 || o.missCost < 0 || o.duration < 0 || o.progress < 0:
		bad = "durations must not be negative"
	case o.inflight < 1:
		bad = "--inflight must be at least 1"
	case o.lookup && o.dump:
		bad = "--lookup and --dump exclude each other"
	case o.lookup && len(o.addrs) == 0:
		bad = "--lookup needs at least one ADDRESS"
	case !o.lookup && len(o.addrs) > 0:
		bad = fmt.Sprintf("unexpected argument '%s'", o.addrs[0])
	case !o.dump && len(o.csv) == 0 && defaultCSV == "":
		bad = "no database: give --csv FILE"
	}
	if bad != "" {
		fmt.Fprintf(os.Stderr, "gopeer: %s\n", bad)
		os.Exit(exitUsage)
	}
	if len(o.csv) == 0 {
		o.csv = csvList{defaultCSV}
	}
	return o
}

func loadDB(o *options) *geodb {
	db, err := loadCSV(o.csv, o.backend == "bsearch")
	if err != nil {
		if errors.Is(err, errMissing) {
			fail(exitNoInput, "%s", strings.TrimPrefix(err.Error(), errMissing.Error()+": "))
		}
		fail(exitFormat, "%v", err)
	}
	return db
}

func openStream(o *options) io.Reader {
	if o.stream == "" || o.stream == "-" {
		return bufio.NewReaderSize(os.Stdin, 1<<16)
	}
	f, err := os.Open(o.stream)
	if err != nil {
		fail(exitNoInput, "%v", err)
	}
	return bufio.NewReaderSize(f, 1<<16)
}

func streamError(err error) {
	if errors.Is(err, errFormat) {
		fail(exitFormat, "stream: %v", err)
	}
	fail(exitNoInput, "stream: %v", err)
}

// ---- --lookup: one answer per address, as 'georace lookup' prints them ------

func lookupMode(o *options) {
	db := loadDB(o)
	p := &peer{db: db, cache: newCache("rwmutex")}
	status := exitOK
	for _, a := range o.addrs {
		if net.ParseIP(a) == nil {
			fmt.Fprintf(os.Stderr, "gopeer lookup: %s: not an IP address\n", a)
			status = exitMismatch
			continue
		}
		answer, _, _ := p.resolve(a)
		if answer == "" {
			answer = "- (not in database)"
		}
		fmt.Printf("%s %s\n", a, answer)
	}
	os.Exit(status)
}

// ---- --dump: the stream as text (the C feeder's --text prints the same) -----

func dumpMode(o *options) {
	rd := openStream(o)
	h, err := readHeader(rd)
	if err != nil {
		streamError(err)
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "header seed=%d stream=%d rate=%.3f flat_out=%t\n", h.seed, h.stream, h.rate,
		h.flatOut())
	br := &burstReader{rd: rd}
	recs := make([]record, burstMax)
	for {
		n, err := br.next(recs)
		if err == io.EOF {
			break
		}
		if err != nil {
			out.Flush()
			streamError(err)
		}
		for _, r := range recs[:n] {
			want := r.expected()
			if want == "" {
				want = "-"
			}
			fmt.Fprintf(out, "%d %d %d/%d %s %02x %x %s\n", r.atNs, r.tag, r.index, r.burstLen,
				kindNames[r.kind], r.flags, r.addr[:], want)
		}
	}
	out.Flush()
}

// ---- serving a stream ---------------------------------------------------------

func serveMode(o *options, load *float64) {
	p := &peer{db: loadDB(o), cache: newCache(o.store), missCost: o.missCost}
	rd := openStream(o)
	h, err := readHeader(rd)
	if err != nil {
		streamError(err)
	}
	e := newEngine(p, h, o.inflight)
	emit(startLine{"start", o.store, o.backend, raceBuild, runtime.Version(),
		runtime.GOMAXPROCS(0), runtime.NumCPU(), load, os.Getpid(), o.clear.Seconds(),
		o.missCost.Seconds(), o.inflight, len(p.db.v4), len(p.db.v6), h.seed, h.stream, h.rate,
		h.flatOut()})
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	if o.clear > 0 {
		go e.ticker(o.clear)
	}
	go e.read(&burstReader{rd: rd})

	var progress <-chan time.Time
	if o.progress > 0 {
		t := time.NewTicker(o.progress)
		defer t.Stop()
		progress = t.C
	}
	var deadline <-chan time.Time
	if o.duration > 0 {
		deadline = time.After(time.Until(e.start.Add(o.duration)))
	}
	end, status := "", exitOK
	var readErr error
	var answered <-chan struct{} // after the end of the stream: all answered
	for end == "" {
		select {
		case <-progress:
			emit(p.counts("progress", time.Since(e.start)))
		case <-deadline:
			end = "duration"
		case <-sigs:
			end = "signal"
		case readErr = <-e.readDone:
			if readErr != nil {
				end = "error"
			} else {
				answered = e.idle() // serve what was read, then end
			}
		case <-answered:
			end = "eof"
		}
	}
	e.shutdown()
	var undrained int64
	if !e.drain(10 * time.Second) {
		undrained = p.c.inflight.Load()
	}
	emit(summary(p, end, time.Since(e.start), load, undrained))
	if readErr != nil {
		streamError(readErr)
	}
	if p.c.mismatches.Load() > 0 {
		status = exitMismatch
	}
	os.Exit(status)
}

func main() {
	load := loadavg1() // before this process adds its own load
	o := parseOptions(os.Args[1:])
	switch {
	case o.benchCache != "":
		benchCacheMode(o.benchCache, o.store)
	case o.lookup:
		lookupMode(&o)
	case o.dump:
		dumpMode(&o)
	default:
		serveMode(&o, load)
	}
}
