/*
 * traffic_wire.c - a traffic stream as 32-byte binary records (the layout
 * is in traffic_wire.h).
 *
 * Encoding is explicit byte by byte (little-endian), so the format does not
 * depend on the host's struct layout or byte order. The stream writer
 * batches records into one buffer per write(2) and writes whole bursts, so
 * a reader never waits for the rest of a page view that the writer holds.
 *
 * SIGPIPE: a writer's reader (a child process) may die at any moment - for
 * the Go peer that is the expected end of a trial. Writing to a pipe whose
 * reader is gone raises SIGPIPE in the writing thread; with the signal
 * blocked it stays pending on that thread and write(2) fails with EPIPE.
 * The writer blocks it for the call and takes a pending one back with
 * sigtimedwait before it restores the mask, so the process never sees it.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "georace/traffic_wire.h"

#define GR_WIRE_BATCH 128 /* records per write(2): 4 KiB */

const char *
gr_wire_strerror(int err)
{
    switch (err) {
    case GR_WIRE_OK:
        return "ok";
    case GR_WIRE_EFORMAT:
        return "not a traffic stream record of this version";
    case GR_WIRE_EPIPE:
        return "the reader closed the stream";
    case GR_WIRE_EIO:
        return "write error";
    case GR_WIRE_EARG:
        return "bad argument";
    default:
        return "unknown error";
    }
}

/* ---- little-endian fields ---------------------------------------------- */

static void
gr_wire_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void
gr_wire_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
gr_wire_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t
gr_wire_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
gr_wire_get32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static uint64_t
gr_wire_get64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* ---- the header -------------------------------------------------------- */

void
gr_wire_header_init(gr_wire_header *h, uint64_t seed, uint32_t stream_index, double rate)
{
    memset(h, 0, sizeof *h);
    h->seed = seed;
    h->stream_index = stream_index;
    h->rate = rate > 0 ? rate : 0;
    if (h->rate == 0)
        h->flags |= GR_WIRE_FLAT_OUT;
}

void
gr_wire_encode_header(const gr_wire_header *h, uint8_t out[GR_WIRE_RECORD_SIZE])
{
    memset(out, 0, GR_WIRE_RECORD_SIZE);
    memcpy(out, GR_WIRE_MAGIC, 4);
    gr_wire_put16(out + 4, GR_WIRE_VERSION);
    gr_wire_put16(out + 6, GR_WIRE_RECORD_SIZE);
    gr_wire_put32(out + 8, h->flags);
    gr_wire_put32(out + 12, h->stream_index);
    gr_wire_put64(out + 16, h->seed);
    double milli = h->rate > 0 ? round(h->rate * 1000) : 0;
    gr_wire_put64(out + 24, milli < 1.8e19 ? (uint64_t)milli : UINT64_MAX);
}

int
gr_wire_decode_header(const uint8_t in[GR_WIRE_RECORD_SIZE], gr_wire_header *h)
{
    if (memcmp(in, GR_WIRE_MAGIC, 4) != 0 || gr_wire_get16(in + 4) != GR_WIRE_VERSION ||
        gr_wire_get16(in + 6) != GR_WIRE_RECORD_SIZE)
        return GR_WIRE_EFORMAT;
    h->flags = gr_wire_get32(in + 8);
    h->stream_index = gr_wire_get32(in + 12);
    h->seed = gr_wire_get64(in + 16);
    h->rate = (double)gr_wire_get64(in + 24) / 1000;
    return GR_WIRE_OK;
}

/* ---- requests ---------------------------------------------------------- */

void
gr_wire_encode(const gr_request *req, uint8_t out[GR_WIRE_RECORD_SIZE])
{
    gr_wire_put64(out, req->at_ns);
    memcpy(out + 8, req->client.b, 16);
    uint8_t flags = 0;
    if (!gr_ip_is_v4(&req->client))
        flags |= GR_WIRE_V6;
    if (req->zone != GR_ZONE_NONE) {
        flags |= GR_WIRE_RESERVED;
        out[24] = (uint8_t)req->zone;
        out[25] = 0;
    } else {
        char cc[3];
        gr_country_str(req->truth, cc); /* "" for none: two zero bytes */
        out[24] = (uint8_t)cc[0];
        out[25] = (uint8_t)(cc[0] ? cc[1] : 0);
    }
    if (req->kind == GR_TRAFFIC_SCANNER)
        flags |= GR_WIRE_SCANNER;
    if (req->parallel)
        flags |= GR_WIRE_PARALLEL;
    if (req->new_address)
        flags |= GR_WIRE_NEW_ADDRESS;
    out[26] = flags;
    out[27] = (uint8_t)req->kind;
    out[28] = (uint8_t)req->burst_len;
    out[29] = (uint8_t)req->burst_index;
    gr_wire_put16(out + 30, (uint16_t)req->burst_id);
}

static bool
gr_wire_upper(uint8_t c)
{
    return c >= 'A' && c <= 'Z';
}

int
gr_wire_decode(const uint8_t in[GR_WIRE_RECORD_SIZE], gr_request *req)
{
    memset(req, 0, sizeof *req);
    uint8_t flags = in[26];
    if (flags &
        ~(GR_WIRE_V6 | GR_WIRE_RESERVED | GR_WIRE_SCANNER | GR_WIRE_PARALLEL | GR_WIRE_NEW_ADDRESS))
        return GR_WIRE_EFORMAT;
    if (in[27] >= GR_TRAFFIC_KIND_COUNT || in[28] == 0 || in[28] > GR_PROFILE_BURST_MAX ||
        in[29] >= in[28])
        return GR_WIRE_EFORMAT;
    req->at_ns = gr_wire_get64(in);
    memcpy(req->client.b, in + 8, 16);
    if (!gr_ip_is_v4(&req->client) != !!(flags & GR_WIRE_V6))
        return GR_WIRE_EFORMAT;
    req->truth = GR_COUNTRY_NONE;
    req->zone = GR_ZONE_NONE;
    if (flags & GR_WIRE_RESERVED) {
        if (in[24] == GR_ZONE_NONE || in[24] >= GR_ZONE_COUNT || in[25] != 0)
            return GR_WIRE_EFORMAT;
        req->zone = (gr_zone)in[24];
    } else if (in[24] || in[25]) {
        if (!gr_wire_upper(in[24]) || !gr_wire_upper(in[25]))
            return GR_WIRE_EFORMAT;
        char cc[3] = {(char)in[24], (char)in[25], 0};
        req->truth = gr_country_from_str(cc);
    }
    req->kind = (gr_traffic_kind)in[27];
    req->parallel = flags & GR_WIRE_PARALLEL;
    req->new_address = flags & GR_WIRE_NEW_ADDRESS;
    req->burst_len = in[28];
    req->burst_index = in[29];
    req->burst_id = gr_wire_get16(in + 30);
    return GR_WIRE_OK;
}

/* ---- the stream writer ------------------------------------------------- */

static int
gr_wire_write_all(int fd, const uint8_t *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno == EPIPE ? GR_WIRE_EPIPE : GR_WIRE_EIO;
        }
        buf += n;
        len -= (size_t)n;
    }
    return GR_WIRE_OK;
}

static bool
gr_wire_stopped(const _Atomic bool *stop)
{
    return stop && atomic_load_explicit(stop, memory_order_relaxed);
}

static int
gr_wire_write_bursts(int fd, gr_traffic *t, const gr_wire_header *h, uint64_t max_requests,
                     const _Atomic bool *stop, uint64_t *written)
{
    uint8_t buf[(GR_WIRE_BATCH + GR_PROFILE_BURST_MAX) * GR_WIRE_RECORD_SIZE];
    gr_request burst[GR_PROFILE_BURST_MAX];
    gr_wire_encode_header(h, buf);
    size_t used = 1; /* records in buf */
    uint64_t n = 0;
    int rc = GR_WIRE_OK;
    while (!gr_wire_stopped(stop) && (max_requests == 0 || n < max_requests)) {
        size_t k = gr_traffic_next_burst(t, burst, GR_PROFILE_BURST_MAX);
        for (size_t i = 0; i < k; i++)
            gr_wire_encode(&burst[i], buf + (used + i) * GR_WIRE_RECORD_SIZE);
        used += k;
        n += k;
        if (used >= GR_WIRE_BATCH) {
            rc = gr_wire_write_all(fd, buf, used * GR_WIRE_RECORD_SIZE);
            used = 0;
            if (rc != GR_WIRE_OK)
                break;
            if (written)
                *written = n;
        }
    }
    if (rc == GR_WIRE_OK && used > 0)
        rc = gr_wire_write_all(fd, buf, used * GR_WIRE_RECORD_SIZE);
    if (rc == GR_WIRE_OK && written)
        *written = n;
    return rc;
}

int
gr_wire_write_stream(int fd, gr_traffic *t, const gr_wire_header *h, uint64_t max_requests,
                     const _Atomic bool *stop, uint64_t *written)
{
    if (fd < 0 || !t || !h)
        return GR_WIRE_EARG;
    if (written)
        *written = 0;
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    bool was_blocked = sigismember(&old, SIGPIPE) == 1;
    int rc = gr_wire_write_bursts(fd, t, h, max_requests, stop, written);
    int saved_errno = errno;
    if (!was_blocked) {
        sigset_t pending;
        sigpending(&pending);
        if (rc == GR_WIRE_EPIPE && sigismember(&pending, SIGPIPE) == 1) {
            struct timespec zero = {0, 0};
            while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
                ;
        }
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    errno = saved_errno;
    return rc;
}
