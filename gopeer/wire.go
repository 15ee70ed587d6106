// wire.go - reading georace's traffic stream (proxy_sim/include/georace/
// traffic_wire.h): a 32-byte header, then 32-byte request records, all
// little-endian, written by the C traffic model so that this peer serves
// exactly the requests the C simulator draws for a profile and seed.

package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
)

const (
	wireMagic      = "GRTW"
	wireVersion    = 1
	wireRecordSize = 32
	wireFlatOut    = 0x1 // header flag

	// request flags
	wireV6         = 0x01
	wireReserved   = 0x02
	wireScanner    = 0x04
	wireParallel   = 0x08
	wireNewAddress = 0x10

	burstMax = 64 // GR_PROFILE_BURST_MAX
)

var kindNames = []string{"visitor", "new-visitor", "scanner", "spray", "reserved"}

type wireHeader struct {
	flags  uint32
	stream uint32
	seed   uint64
	rate   float64 // requests/s, 0 flat out
}

func (h wireHeader) flatOut() bool { return h.flags&wireFlatOut != 0 }

type record struct {
	atNs     uint64
	addr     [16]byte
	answer   [2]byte
	flags    uint8
	kind     uint8
	burstLen uint8
	index    uint8
	tag      uint16
}

// expected is the record's ground truth as this peer answers it: a country
// code, a zone name, or "" for an address in no range.
func (r *record) expected() string {
	if r.flags&wireReserved != 0 {
		return zoneNames[r.answer[0]]
	}
	if r.answer[0] == 0 {
		return ""
	}
	return string(r.answer[:])
}

func (r *record) ip() net.IP { return net.IP(r.addr[:]) }

var errFormat = errors.New("malformed traffic stream")

func readHeader(rd io.Reader) (wireHeader, error) {
	var b [wireRecordSize]byte
	var h wireHeader
	if _, err := io.ReadFull(rd, b[:]); err != nil {
		if err == io.EOF {
			return h, fmt.Errorf("%w: empty (no header)", errFormat)
		}
		if err == io.ErrUnexpectedEOF {
			return h, fmt.Errorf("%w: truncated header", errFormat)
		}
		return h, err
	}
	if string(b[0:4]) != wireMagic {
		return h, fmt.Errorf("%w: bad magic (not a georace traffic stream)", errFormat)
	}
	if v := binary.LittleEndian.Uint16(b[4:]); v != wireVersion {
		return h, fmt.Errorf("%w: version %d (this peer reads %d)", errFormat, v, wireVersion)
	}
	if n := binary.LittleEndian.Uint16(b[6:]); n != wireRecordSize {
		return h, fmt.Errorf("%w: record size %d (expected %d)", errFormat, n, wireRecordSize)
	}
	h.flags = binary.LittleEndian.Uint32(b[8:])
	h.stream = binary.LittleEndian.Uint32(b[12:])
	h.seed = binary.LittleEndian.Uint64(b[16:])
	h.rate = float64(binary.LittleEndian.Uint64(b[24:])) / 1000
	return h, nil
}

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }

// decodeRecord checks a record as the C decoder does (gr_wire_decode).
func decodeRecord(b []byte, r *record) error {
	r.atNs = binary.LittleEndian.Uint64(b[0:])
	copy(r.addr[:], b[8:24])
	r.answer = [2]byte{b[24], b[25]}
	r.flags, r.kind, r.burstLen, r.index = b[26], b[27], b[28], b[29]
	r.tag = binary.LittleEndian.Uint16(b[30:])
	const known = wireV6 | wireReserved | wireScanner | wireParallel | wireNewAddress
	switch {
	case r.flags&^known != 0:
		return fmt.Errorf("unknown flags 0x%02x", r.flags)
	case int(r.kind) >= len(kindNames):
		return fmt.Errorf("unknown kind %d", r.kind)
	case r.burstLen == 0 || r.burstLen > burstMax || r.index >= r.burstLen:
		return fmt.Errorf("burst index %d of length %d", r.index, r.burstLen)
	case (r.ip().To4() == nil) != (r.flags&wireV6 != 0):
		return fmt.Errorf("address family disagrees with the v6 flag")
	}
	if r.flags&wireReserved != 0 {
		if r.answer[0] == zoneNone || r.answer[0] >= zoneCount || r.answer[1] != 0 {
			return fmt.Errorf("zone code %d", r.answer[0])
		}
	} else if (r.answer[0] != 0 || r.answer[1] != 0) && (!upper(r.answer[0]) || !upper(r.answer[1])) {
		return fmt.Errorf("expected answer is not a country code")
	}
	return nil
}

// burstReader returns the stream's bursts one at a time, checking that the
// records of a burst are consecutive, in order and of one tag.
type burstReader struct {
	rd  io.Reader
	buf [burstMax * wireRecordSize]byte
	n   uint64 // records read, for messages
}

// next fills recs with one burst; io.EOF at a clean end of stream.
func (br *burstReader) next(recs []record) (int, error) {
	b := br.buf[:wireRecordSize]
	if _, err := io.ReadFull(br.rd, b); err != nil {
		if err == io.ErrUnexpectedEOF {
			return 0, fmt.Errorf("%w: record %d truncated", errFormat, br.n+1)
		}
		return 0, err
	}
	br.n++
	if err := decodeRecord(b, &recs[0]); err != nil {
		return 0, fmt.Errorf("%w: record %d: %v", errFormat, br.n, err)
	}
	if recs[0].index != 0 {
		return 0, fmt.Errorf("%w: record %d: a burst starts at index %d", errFormat, br.n,
			recs[0].index)
	}
	n := int(recs[0].burstLen)
	if n > 1 {
		rest := br.buf[wireRecordSize : n*wireRecordSize]
		if _, err := io.ReadFull(br.rd, rest); err != nil {
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return 0, fmt.Errorf("%w: stream ends inside a burst (record %d)", errFormat,
					br.n+1)
			}
			return 0, err
		}
		for i := 1; i < n; i++ {
			br.n++
			r := &recs[i]
			if err := decodeRecord(rest[(i-1)*wireRecordSize:i*wireRecordSize], r); err != nil {
				return 0, fmt.Errorf("%w: record %d: %v", errFormat, br.n, err)
			}
			if int(r.index) != i || r.burstLen != recs[0].burstLen || r.tag != recs[0].tag {
				return 0, fmt.Errorf("%w: record %d: not request %d of the burst started at "+
					"record %d", errFormat, br.n, i, br.n-uint64(i))
			}
		}
	}
	return n, nil
}
