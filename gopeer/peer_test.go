// peer_test.go - unit tests of the Go peer: the wire format against the
// same golden bytes as the C encoder's test, the zone table, the database
// loader's checks and first-match rule, and the stores' plain semantics.

package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The C test's golden request (test_traffic_wire.c): 1.2.3.4, US, a new
// visitor, parallel burst of 6, index 2, event 0x12345, at 0x1122334455667788.
var goldenRequest = []byte{
	0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4,
	'U', 'S', wireParallel | wireNewAddress, 1, 6, 2, 0x45, 0x23,
}

func TestGoldenRequestDecodes(t *testing.T) {
	var r record
	if err := decodeRecord(goldenRequest, &r); err != nil {
		t.Fatal(err)
	}
	if r.atNs != 0x1122334455667788 || r.ip().String() != "1.2.3.4" || r.expected() != "US" ||
		kindNames[r.kind] != "new-visitor" || r.burstLen != 6 || r.index != 2 || r.tag != 0x2345 {
		t.Fatalf("decoded %+v", r)
	}
}

func TestMalformedRecordsAreRefused(t *testing.T) {
	for _, bad := range []struct{ off, value int }{
		{26, 0x80}, {26, wireV6}, {27, 5}, {28, 0}, {28, 65}, {29, 6}, {24, 'u'},
		{26, wireReserved},
	} {
		b := append([]byte(nil), goldenRequest...)
		b[bad.off] = byte(bad.value)
		var r record
		if decodeRecord(b, &r) == nil {
			t.Errorf("byte %d = %#x accepted", bad.off, bad.value)
		}
	}
}

func TestReservedRecordAnswersItsZone(t *testing.T) {
	b := make([]byte, wireRecordSize)
	b[8], b[9], b[23] = 0xfe, 0x80, 1
	b[24], b[26], b[27], b[28] = zoneLinkLocal, wireV6|wireReserved|wireScanner, 2, 1
	var r record
	if err := decodeRecord(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.expected() != "LinkLocal" {
		t.Fatalf("expected %q", r.expected())
	}
}

func stream(records ...[]byte) io.Reader {
	h := make([]byte, wireRecordSize)
	copy(h, wireMagic)
	h[4], h[6], h[8] = wireVersion, wireRecordSize, wireFlatOut
	return bytes.NewReader(bytes.Join(append([][]byte{h}, records...), nil))
}

func burstOf(n int, tag byte) [][]byte {
	var out [][]byte
	for i := 0; i < n; i++ {
		b := append([]byte(nil), goldenRequest...)
		b[28], b[29], b[30] = byte(n), byte(i), tag
		out = append(out, b)
	}
	return out
}

func TestBurstsAreReadWholeAndInOrder(t *testing.T) {
	rd := stream(append(burstOf(3, 1), burstOf(2, 2)...)...)
	h, err := readHeader(rd)
	if err != nil || !h.flatOut() {
		t.Fatalf("header %+v, %v", h, err)
	}
	br := &burstReader{rd: rd}
	recs := make([]record, burstMax)
	for _, want := range []int{3, 2} {
		if n, err := br.next(recs); n != want || err != nil {
			t.Fatalf("burst of %d, %v; want %d", n, err, want)
		}
	}
	if _, err := br.next(recs); err != io.EOF {
		t.Fatalf("end: %v", err)
	}

	swapped := burstOf(3, 1)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	for name, rd := range map[string]io.Reader{
		"out of order": stream(swapped...),
		"other tag":    stream(append(burstOf(3, 1)[:2], burstOf(3, 9)[2])...),
		"cut burst":    stream(burstOf(3, 1)[:2]...),
		"cut record":   io.MultiReader(stream(burstOf(1, 1)...), bytes.NewReader([]byte{1, 2})),
	} {
		readHeader(rd)
		br := &burstReader{rd: rd}
		var err error
		for err == nil {
			_, err = br.next(recs)
		}
		if !errors.Is(err, errFormat) {
			t.Errorf("%s: %v, not a format error", name, err)
		}
	}
	if _, err := readHeader(strings.NewReader(strings.Repeat("x", 32))); !errors.Is(err, errFormat) {
		t.Errorf("bad magic: %v", err)
	}
}

func TestZonesFollowGeoraceTable(t *testing.T) {
	for addr, want := range map[string]string{
		"0.255.255.255": "Unspecified", "10.1.2.3": "Private", "100.64.0.1": "CarrierNAT",
		"100.128.0.1": "", "127.0.0.1": "Loopback", "169.254.1.1": "LinkLocal",
		"172.31.255.255": "Private", "172.32.0.1": "", "192.0.0.1": "Reserved",
		"192.0.2.1": "Documentation", "192.88.99.1": "Reserved", "192.168.1.1": "Private",
		"198.19.255.255": "Reserved", "198.51.100.1": "Documentation",
		"203.0.113.1": "Documentation", "224.0.0.1": "Multicast", "239.255.255.255": "Multicast",
		"240.0.0.1": "Reserved", "255.255.255.255": "Broadcast", "8.8.8.8": "",
		"::": "Unspecified", "::1": "Loopback", "::2": "Reserved", "64:ff9b::1": "Reserved",
		"::ffff:10.0.0.1": "Private", "100::1": "Reserved", "100:0:0:1::1": "",
		"2001::1": "Reserved", "2001:1ff::1": "Reserved", "2001:200::1": "",
		"2001:db8::1": "Documentation", "3fff:fff::1": "Documentation", "3fff:1000::1": "",
		"fc00::1": "UniqueLocal", "fdff::1": "UniqueLocal", "fe80::1": "LinkLocal",
		"febf::1": "LinkLocal", "fec0::1": "Reserved", "ff02::1": "Multicast",
		"2a00:1450::1": "",
	} {
		if got := zoneNames[zoneOf(net.ParseIP(addr))]; got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

func writeCSV(t *testing.T, text string) string {
	path := filepath.Join(t.TempDir(), "db.csv")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBadRowsAreRefusedWithTheirLine(t *testing.T) {
	for text, want := range map[string]string{
		"1.0.0.0,1.0.0.255,AU\n\n1.0.1.0,1.0.1.255\n":  ":3: expected start,end,CC",
		"1.0.0.0,1.0.0.255,AU,x\n":                     ":1: too many fields",
		"1.0.0.x,1.0.0.255,AU\n":                       ":1: start is not an IP address",
		"1.0.0.0,1.0.0.256,AU\n":                       ":1: end is not an IP address",
		"1.0.0.0,::1,AU\n":                             ":1: start and end are of different",
		"::ffff:1.0.0.0,::ffff:1.0.0.255,AU\n":         ":1: IPv4-mapped IPv6 range",
		"1.0.0.9,1.0.0.1,AU\n":                         ":1: start is after end",
		"1.0.0.0,1.0.0.255,AUS\n":                      ":1: country code is not two letters",
		"1.0.0.0,1.0.0.255,A1\r\n":                     ":1: country code is not two letters",
		"1.0.0.0,1.0.0.255,AU\n1.0.1.0,1.0.1.255,\x00": ":2: NUL byte",
		"\n\r\n": "no ranges (empty CSV)",
	} {
		_, err := loadCSV([]string{writeCSV(t, text)}, false)
		if err == nil || !strings.Contains(err.Error(), want) || errors.Is(err, errMissing) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	_, err := loadCSV([]string{filepath.Join(t.TempDir(), "none.csv")}, false)
	if !errors.Is(err, errMissing) {
		t.Errorf("missing file: %v", err)
	}
}

func TestFirstMatchingRowWinsAcrossFiles(t *testing.T) {
	a := writeCSV(t, "1.0.0.0,1.0.0.255,au\r\n2001:200::,2001:200::ffff,JP\n")
	b := writeCSV(t, "1.0.0.128,1.0.0.128,US\n1.0.1.0,1.0.1.255,KR\n")
	db, err := loadCSV([]string{a, b}, false)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"1.0.0.128": "AU", "1.0.1.7": "KR",
		"2001:200::1": "JP", "1.0.2.0": "", "2001:201::": ""} {
		if got := db.lookup(addr, net.ParseIP(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
	if _, err := loadCSV([]string{a, b}, true); err == nil {
		t.Errorf("bsearch accepted overlapping ranges")
	}
	db, err = loadCSV([]string{a}, true)
	if err != nil {
		t.Fatal(err)
	}
	for addr, want := range map[string]string{"1.0.0.0": "AU", "1.0.0.255": "AU",
		"0.255.255.255": "", "1.0.1.0": "", "2001:200::ffff": "JP", "2001:200::1:0": ""} {
		if got := db.lookup(addr, net.ParseIP(addr)); got != want {
			t.Errorf("bsearch %s: %q, want %q", addr, got, want)
		}
	}
}

func TestStoresGetPutReset(t *testing.T) {
	for _, name := range storeNames {
		c := newCache(name)
		c.put(false, "1.2.3.4", "US")
		c.put(true, "2001:200::1", "JP")
		if cc, ok := c.get(false, "1.2.3.4"); !ok || cc != "US" {
			t.Errorf("%s: v4 get %q %v", name, cc, ok)
		}
		if _, ok := c.get(false, "2001:200::1"); ok {
			t.Errorf("%s: the families share a cache", name)
		}
		c.reset()
		if _, ok := c.get(true, "2001:200::1"); ok {
			t.Errorf("%s: reset kept an entry", name)
		}
		c.put(true, "2001:200::1", "JP")
		if cc, ok := c.get(true, "2001:200::1"); !ok || cc != "JP" {
			t.Errorf("%s: put after reset: %q %v", name, cc, ok)
		}
	}
}
