/*
 * traffic_wire.h - a traffic stream as fixed-size binary records, so that a
 * peer in another process (the Go peer, gopeer/) serves exactly the requests
 * the C traffic model draws for a profile and seed, with their ground truth.
 *
 * A stream is one header record followed by request records, all
 * GR_WIRE_RECORD_SIZE (32) bytes, integers little-endian, no padding:
 *
 *   header                              request
 *   off size                            off size
 *    0   4  magic "GRTW"                 0   8  at_ns: send time, ns from the
 *    4   2  version (1)                         reader's start (0 flat out)
 *    6   2  record size (32)             8  16  client address, 16 bytes,
 *    8   4  flags: bit 0 flat out               IPv4 as ::ffff:a.b.c.d
 *   12   4  stream index                24   2  expected answer (see below)
 *   16   8  seed                        26   1  flags (GR_WIRE_*)
 *   24   8  rate, requests/s x 1000     27   1  kind (gr_traffic_kind: 0 visitor,
 *                                               1 new visitor, 2 scanner,
 *                                               3 spray, 4 reserved)
 *                                       28   1  burst length (1..64)
 *                                       29   1  index in the burst (0..len-1)
 *                                       30   2  burst tag: low 16 bits of the
 *                                               burst's event number
 *
 * The expected answer is the request's ground truth, never the output of a
 * cache: two ASCII upper-case letters for a country ("US"); for a reserved
 * address (flag GR_WIRE_RESERVED) byte 24 is the zone code (gr_zone: 1
 * Unspecified, 2 Loopback, 3 Private, 4 CarrierNAT, 5 LinkLocal, 6
 * Multicast, 7 Documentation, 8 UniqueLocal, 9 Broadcast, 10 Reserved) and
 * byte 25 is 0; two zero bytes mean "not in the database".
 *
 * The records of one burst (page view) are consecutive, index 0 first, and
 * share their tag; with GR_WIRE_PARALLEL they share at_ns too and are meant
 * to start together. End of stream is end of file.
 */
#ifndef GEORACE_TRAFFIC_WIRE_H
#define GEORACE_TRAFFIC_WIRE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "georace/traffic.h"

#define GR_WIRE_MAGIC "GRTW"
#define GR_WIRE_VERSION 1
#define GR_WIRE_RECORD_SIZE 32

/* Header flags. */
#define GR_WIRE_FLAT_OUT 0x1u /* start every request at once; at_ns is 0 */

/* Request flags. */
enum gr_wire_flag {
    GR_WIRE_V6 = 0x01,          /* the client is an IPv6 address */
    GR_WIRE_RESERVED = 0x02,    /* the client is in a reserved zone */
    GR_WIRE_SCANNER = 0x04,     /* a one-off scanner request */
    GR_WIRE_PARALLEL = 0x08,    /* the burst's requests start together */
    GR_WIRE_NEW_ADDRESS = 0x10, /* first use of this address in the stream */
};

enum gr_wire_error {
    GR_WIRE_OK = 0,
    GR_WIRE_EFORMAT = -1, /* not a record this version can read */
    GR_WIRE_EPIPE = -2,   /* the reader closed its end */
    GR_WIRE_EIO = -3,     /* another write error (errno is kept) */
    GR_WIRE_EARG = -4
};
const char *gr_wire_strerror(int err);

typedef struct gr_wire_header {
    uint32_t flags; /* GR_WIRE_FLAT_OUT */
    uint32_t stream_index;
    uint64_t seed;
    double rate; /* requests/s; 0 flat out (kept to 1/1000 request/s) */
} gr_wire_header;

/* The header of a stream made by gr_traffic_create(..., seed, stream_index,
 * rate, ...): flat out when rate is 0. */
void gr_wire_header_init(gr_wire_header *h, uint64_t seed, uint32_t stream_index, double rate);
void gr_wire_encode_header(const gr_wire_header *h, uint8_t out[GR_WIRE_RECORD_SIZE]);
/* GR_WIRE_EFORMAT for a wrong magic, version or record size. */
int gr_wire_decode_header(const uint8_t in[GR_WIRE_RECORD_SIZE], gr_wire_header *h);

void gr_wire_encode(const gr_request *req, uint8_t out[GR_WIRE_RECORD_SIZE]);
/* Fills every field the record carries (burst_id gets the tag, salt 0);
 * GR_WIRE_EFORMAT for a record no encoder writes. */
int gr_wire_decode(const uint8_t in[GR_WIRE_RECORD_SIZE], gr_request *req);

/* Write the header, then whole bursts of t, to fd until at least
 * max_requests requests are written (0: no limit), *stop is set (may be
 * NULL), or the reader goes away. Returns GR_WIRE_OK, GR_WIRE_EPIPE (the
 * normal end when the reader exits first) or GR_WIRE_EIO; *written (may be
 * NULL) counts the requests written. A blocked write is only ended by the
 * reader, so a caller that must stop a writer closes or kills the reader.
 * SIGPIPE: unless the calling thread already blocks it, it is blocked for
 * the call and a SIGPIPE the call raised is consumed, so a reader that dies
 * costs an error, never the process. */
int gr_wire_write_stream(int fd, gr_traffic *t, const gr_wire_header *h, uint64_t max_requests,
                         const _Atomic bool *stop, uint64_t *written);

#endif
