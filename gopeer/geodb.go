// geodb.go - the geo database as Zoraxy's slow-resolve mode reads it: CSV
// rows "start,end,CC" kept as strings, and a lookup that walks the rows of
// the address's family in file order and parses both ends of every row (and
// the address itself) again for each row until one contains the address.
//
// The walk is Zoraxy v3.1.4's slowSearchIpv4/slowSearchIpv6 cost shape:
// net.ParseIP three times per row, a uint32 compare for IPv4 and math/big
// compares for IPv6. Its answers follow georace's C port of the same walk
// (cache/src/geodb_scan.c): every row is validated once at load (a bad row
// is rejected with its file and line), a ':' in the start field makes a row
// IPv6, IPv4-mapped IPv6 rows are refused, the country code is two ASCII
// letters folded to upper case, empty lines are skipped, and the first
// matching row wins - over several files in the order given.
//
// The "bsearch" backend parses the rows once into sorted arrays and
// binary-searches them, like the C scan-bsearch backend (overlapping ranges
// are refused): a cheap backend, for runs where --miss-cost alone sets the
// price of a miss.

package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"sort"
	"strings"
)

// errMissing marks a database file that cannot be read (exit status 66);
// any other load error is a malformed file (65).
var errMissing = errors.New("missing")

type csvRow struct {
	start, end, cc string
}

type geodb struct {
	v4, v6 []csvRow // in file order, as Zoraxy's parsed CSV lists
	// bsearch backend only
	bsearch bool
	r4      []range4
	r6      []range6
}

type range4 struct {
	start, end uint32
	cc         string
}

type range6 struct {
	start, end [16]byte
	cc         string
}

func shown(line string) string {
	if len(line) > 60 {
		return line[:60] + "..."
	}
	return line
}

// parseRow checks one row as the C loader does; "" on success, else why not.
func parseRow(line string) (row csvRow, v6 bool, why string) {
	fields := strings.Split(line, ",")
	if len(fields) < 3 {
		return row, false, "expected start,end,CC"
	}
	if len(fields) > 3 {
		return row, false, "too many fields (expected start,end,CC)"
	}
	v6 = strings.Contains(fields[0], ":")
	endV6 := strings.Contains(fields[1], ":")
	start, end := net.ParseIP(fields[0]), net.ParseIP(fields[1])
	switch {
	case start == nil:
		return row, v6, "start is not an IP address"
	case end == nil:
		return row, v6, "end is not an IP address"
	case v6 != endV6:
		return row, v6, "start and end are of different address families"
	case v6 && (start.To4() != nil || end.To4() != nil):
		return row, v6, "IPv4-mapped IPv6 range (write IPv4 ranges as dotted quads)"
	case bytes.Compare(start.To16(), end.To16()) > 0:
		return row, v6, "start is after end"
	}
	cc := fields[2]
	if len(cc) != 2 || !isLetter(cc[0]) || !isLetter(cc[1]) {
		return row, v6, "country code is not two letters"
	}
	return csvRow{fields[0], fields[1], strings.ToUpper(cc)}, v6, ""
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// loadCSV reads and validates files in order.
func loadCSV(paths []string, bsearch bool) (*geodb, error) {
	db := &geodb{bsearch: bsearch}
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return nil, fmt.Errorf("%w: %s: %v", errMissing, path, err)
		}
		text := string(data)
		if i := strings.IndexByte(text, 0); i >= 0 {
			return nil, fmt.Errorf("%s:%d: NUL byte (binary data, not a CSV file)",
				path, 1+strings.Count(text[:i], "\n"))
		}
		lineno := 0
		for len(text) > 0 {
			line := text
			if i := strings.IndexByte(text, '\n'); i >= 0 {
				line, text = text[:i], text[i+1:]
			} else {
				text = ""
			}
			lineno++
			line = strings.TrimSuffix(line, "\r")
			if line == "" {
				continue
			}
			row, v6, why := parseRow(line)
			if why != "" {
				return nil, fmt.Errorf("%s:%d: %s: \"%s\"", path, lineno, why, shown(line))
			}
			if v6 {
				db.v6 = append(db.v6, row)
			} else {
				db.v4 = append(db.v4, row)
			}
		}
	}
	if len(db.v4)+len(db.v6) == 0 {
		return nil, fmt.Errorf("%s: no ranges (empty CSV)", paths[0])
	}
	if bsearch {
		if err := db.buildArrays(); err != nil {
			return nil, err
		}
	}
	return db, nil
}

// ---- Zoraxy's walk ------------------------------------------------------

func ipv4Uint32(ip net.IP) uint32 {
	ip = ip.To4()
	return uint32(ip[0])<<24 | uint32(ip[1])<<16 | uint32(ip[2])<<8 | uint32(ip[3])
}

// v4InRange parses all three addresses, as Zoraxy's isIPv4InRange does for
// every row it visits.
func v4InRange(start, end, addr string) bool {
	s, e, a := net.ParseIP(start), net.ParseIP(end), net.ParseIP(addr)
	if s == nil || e == nil || a == nil {
		return false
	}
	x := ipv4Uint32(a)
	return x >= ipv4Uint32(s) && x <= ipv4Uint32(e)
}

// v6InRange is Zoraxy's isIPv6InRange shape: three big integers per row.
func v6InRange(start, end, addr string) bool {
	s, e, a := net.ParseIP(start), net.ParseIP(end), net.ParseIP(addr)
	if s == nil || e == nil || a == nil {
		return false
	}
	si := new(big.Int).SetBytes(s.To16())
	ei := new(big.Int).SetBytes(e.To16())
	ai := new(big.Int).SetBytes(a.To16())
	return ai.Cmp(si) >= 0 && ai.Cmp(ei) <= 0
}

// lookup returns the country of a public address, "" if no row contains
// it: addr is its text (the walk parses it again per row, as Zoraxy does),
// ip the same address parsed once, which picks the family.
func (db *geodb) lookup(addr string, ip net.IP) string {
	if db.bsearch {
		return db.lookupBsearch(ip)
	}
	if ip.To4() != nil {
		for _, r := range db.v4 {
			if v4InRange(r.start, r.end, addr) {
				return r.cc
			}
		}
		return ""
	}
	for _, r := range db.v6 {
		if v6InRange(r.start, r.end, addr) {
			return r.cc
		}
	}
	return ""
}

// ---- the bsearch backend ------------------------------------------------

func (db *geodb) buildArrays() error {
	for _, r := range db.v4 {
		db.r4 = append(db.r4, range4{ipv4Uint32(net.ParseIP(r.start)),
			ipv4Uint32(net.ParseIP(r.end)), r.cc})
	}
	for _, r := range db.v6 {
		var x range6
		copy(x.start[:], net.ParseIP(r.start).To16())
		copy(x.end[:], net.ParseIP(r.end).To16())
		x.cc = r.cc
		db.r6 = append(db.r6, x)
	}
	sort.SliceStable(db.r4, func(i, j int) bool { return db.r4[i].start < db.r4[j].start })
	sort.SliceStable(db.r6, func(i, j int) bool {
		return bytes.Compare(db.r6[i].start[:], db.r6[j].start[:]) < 0
	})
	for i := 1; i < len(db.r4); i++ {
		if db.r4[i].start <= db.r4[i-1].end {
			return fmt.Errorf("IPv4 ranges overlap (the bsearch backend needs disjoint ranges)")
		}
	}
	for i := 1; i < len(db.r6); i++ {
		if bytes.Compare(db.r6[i].start[:], db.r6[i-1].end[:]) <= 0 {
			return fmt.Errorf("IPv6 ranges overlap (the bsearch backend needs disjoint ranges)")
		}
	}
	return nil
}

func (db *geodb) lookupBsearch(ip net.IP) string {
	if ip4 := ip.To4(); ip4 != nil {
		x := ipv4Uint32(ip4)
		i := sort.Search(len(db.r4), func(k int) bool { return db.r4[k].start > x })
		if i == 0 || x > db.r4[i-1].end {
			return ""
		}
		return db.r4[i-1].cc
	}
	a := ip.To16()
	i := sort.Search(len(db.r6), func(k int) bool { return bytes.Compare(db.r6[k].start[:], a) > 0 })
	if i == 0 || bytes.Compare(a, db.r6[i-1].end[:]) > 0 {
		return ""
	}
	return db.r6[i-1].cc
}
