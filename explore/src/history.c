/*
 * history.c - the recording cache and the history file reader (history.h).
 *
 * Slots are handed out by one atomic counter (relaxed: the counter only
 * makes slots distinct; nothing is published through it). A thread writes
 * only its own slot, so recording adds no synchronization between the
 * cache's users beyond that counter's cache line - it does perturb timing,
 * which is the price of looking. Thread numbers come from a second counter,
 * once per thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "georace/clock.h"
#include "georace/history.h"

#define GR_HIST_DEFAULT_MAX (16u << 20)

struct gr_history {
    int fd;
    char *map;
    uint64_t max_ops;
    _Atomic uint64_t next;   /* next slot (0-based, after the header line) */
    _Atomic uint64_t cut_ns; /* invocation time of the first operation not recorded */
    _Atomic uint32_t threads;
    char variant[48];
};

struct gr_hist_cache {
    gr_cache base;
    gr_cache *inner;
    gr_history *h;
};

static _Thread_local uint32_t gr_hist_tid; /* 1-based; 0: not numbered yet */

static void
gr_hist_header(gr_history *h)
{
    char line[GR_HISTORY_LINE + 1];
    int n = snprintf(line, sizeof line, "# georace-history v1 variant=%s cut=%020" PRIu64,
                     h->variant, atomic_load_explicit(&h->cut_ns, memory_order_relaxed));
    memset(line + n, ' ', GR_HISTORY_LINE - 1 - (size_t)n);
    line[GR_HISTORY_LINE - 1] = '\n';
    memcpy(h->map, line, GR_HISTORY_LINE);
}

int
gr_history_create(const char *path, const char *variant, uint64_t max_ops, gr_history **out,
                  char *err, size_t cap)
{
    gr_history *h = calloc(1, sizeof *h);
    if (!h) {
        snprintf(err, cap, "out of memory");
        return GR_HISTORY_ENOMEM;
    }
    h->max_ops = max_ops ? max_ops : GR_HIST_DEFAULT_MAX;
    snprintf(h->variant, sizeof h->variant, "%s", variant);
    h->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t bytes = (size_t)(h->max_ops + 2) * GR_HISTORY_LINE;
    if (h->fd < 0 || ftruncate(h->fd, (off_t)bytes)) {
        snprintf(err, cap, "cannot create history file %s: %s", path, strerror(errno));
        if (h->fd >= 0)
            close(h->fd);
        free(h);
        return GR_HISTORY_ENOENT;
    }
    h->map = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, h->fd, 0);
    if (h->map == MAP_FAILED) {
        snprintf(err, cap, "cannot map history file %s: %s", path, strerror(errno));
        close(h->fd);
        free(h);
        return GR_HISTORY_EIO;
    }
    gr_hist_header(h);
    *out = h;
    return GR_HISTORY_OK;
}

/* A slot for a new operation, or NULL when the file is full. */
static char *
gr_hist_begin(gr_history *h, char op, const gr_ip *key, char res, unsigned value)
{
    uint64_t now = gr_clock_now_ns();
    uint64_t s = atomic_fetch_add_explicit(&h->next, 1, memory_order_relaxed);
    if (s >= h->max_ops) {
        uint64_t zero = 0;
        if (atomic_compare_exchange_strong(&h->cut_ns, &zero, now))
            gr_hist_header(h);
        return NULL;
    }
    if (!gr_hist_tid)
        gr_hist_tid = atomic_fetch_add_explicit(&h->threads, 1, memory_order_relaxed) + 1;
    char k[48] = "-";
    if (key)
        gr_ip_format(key, k, sizeof k);
    char *line = h->map + (s + 1) * GR_HISTORY_LINE;
    char buf[GR_HISTORY_LINE + 1];
    int n = snprintf(buf, sizeof buf, "T%04u %c %-39s %c%04x %020" PRIu64 " %20s",
                     (gr_hist_tid - 1) % 10000, op, k, res, value & 0xffff, now, "pending");
    memset(buf + n, ' ', GR_HISTORY_LINE - 1 - (size_t)n);
    buf[GR_HISTORY_LINE - 1] = '\n';
    memcpy(line, buf, GR_HISTORY_LINE);
    return line;
}

/* Result field at column 48, response time at column 75. */
#define GR_HIST_RES 48
#define GR_HIST_RESP 75

static void
gr_hist_end(char *line, char res, unsigned value)
{
    if (!line)
        return;
    uint64_t now = gr_clock_now_ns();
    char buf[32];
    snprintf(buf, sizeof buf, "%c%04x", res, value & 0xffff);
    memcpy(line + GR_HIST_RES, buf, 5);
    snprintf(buf, sizeof buf, "%020" PRIu64, now);
    memcpy(line + GR_HIST_RESP, buf, 20);
}

#define GR_HC(c) ((struct gr_hist_cache *)(c))

static bool
gr_hist_get(gr_cache *c, const gr_ip *key, gr_country *out)
{
    char *line = gr_hist_begin(GR_HC(c)->h, 'g', key, '?', 0);
    gr_country v = 0;
    bool hit = gr_cache_get(GR_HC(c)->inner, key, &v);
    gr_hist_end(line, hit ? 'h' : 'm', hit ? v : 0);
    if (hit)
        *out = v;
    return hit;
}

static void
gr_hist_put(gr_cache *c, const gr_ip *key, gr_country value)
{
    char *line = gr_hist_begin(GR_HC(c)->h, 'p', key, 'v', value);
    gr_cache_put(GR_HC(c)->inner, key, value);
    gr_hist_end(line, 'v', value);
}

static void
gr_hist_clear(gr_cache *c)
{
    char *line = gr_hist_begin(GR_HC(c)->h, 'c', NULL, '-', 0);
    gr_cache_clear(GR_HC(c)->inner);
    gr_hist_end(line, '-', 0);
}

static size_t
gr_hist_len(gr_cache *c)
{
    return gr_cache_len(GR_HC(c)->inner);
}

static size_t
gr_hist_mem_bytes(gr_cache *c)
{
    return gr_cache_mem_bytes(GR_HC(c)->inner);
}

static void
gr_hist_destroy(gr_cache *c)
{
    gr_cache_destroy(GR_HC(c)->inner);
    free(c);
}

static const struct gr_cache_ops gr_hist_ops = {"recording",    gr_hist_get, gr_hist_put,
                                                gr_hist_clear,  gr_hist_len, gr_hist_mem_bytes,
                                                gr_hist_destroy};

int
gr_history_wrap(gr_history *h, gr_cache *inner, gr_cache **out)
{
    struct gr_hist_cache *c = calloc(1, sizeof *c);
    if (!c)
        return GR_HISTORY_ENOMEM;
    c->base.ops = &gr_hist_ops;
    c->inner = inner;
    c->h = h;
    *out = &c->base;
    return GR_HISTORY_OK;
}

int
gr_history_close(gr_history *h)
{
    uint64_t used = atomic_load(&h->next);
    if (used > h->max_ops)
        used = h->max_ops;
    gr_hist_header(h);
    char *end = h->map + (used + 1) * GR_HISTORY_LINE;
    char buf[GR_HISTORY_LINE + 1];
    int n = snprintf(buf, sizeof buf, "# end ops=%" PRIu64, used);
    memset(buf + n, ' ', GR_HISTORY_LINE - 1 - (size_t)n);
    buf[GR_HISTORY_LINE - 1] = '\n';
    memcpy(end, buf, GR_HISTORY_LINE);
    size_t bytes = (size_t)(h->max_ops + 2) * GR_HISTORY_LINE;
    int rc = msync(h->map, bytes, MS_SYNC) ? GR_HISTORY_EIO : GR_HISTORY_OK;
    munmap(h->map, bytes);
    if (ftruncate(h->fd, (off_t)((used + 2) * GR_HISTORY_LINE)))
        rc = GR_HISTORY_EIO;
    close(h->fd);
    free(h);
    return rc;
}

/* ---- reading ---- */

static bool
gr_hist_zero(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static int
gr_hist_parse(const char *line, gr_lin_op *o)
{
    char l[GR_HISTORY_LINE + 1], op, key[48], res[8], resp[24];
    unsigned tid;
    unsigned long long inv;
    memcpy(l, line, GR_HISTORY_LINE);
    l[GR_HISTORY_LINE] = '\0';
    if (sscanf(l, "T%u %c %47s %7s %llu %23s", &tid, &op, key, res, &inv, resp) != 6)
        return -1;
    memset(o, 0, sizeof *o);
    o->thread = tid;
    o->inv = inv;
    if (op == 'c') {
        o->kind = GR_LIN_CLEAR;
    } else if (op == 'g' || op == 'p') {
        o->kind = op == 'g' ? GR_LIN_GET : GR_LIN_PUT;
        if (gr_ip_parse(key, strlen(key), &o->key))
            return -1;
    } else {
        return -1;
    }
    char *end;
    unsigned long v = strtoul(res + 1, &end, 16);
    if (strlen(res) != 5 || *end || v > 0xffff)
        return -1;
    o->value = (uint16_t)v;
    if (!strcmp(resp, "pending")) {
        o->pending = true;
        return 0;
    }
    o->resp = strtoull(resp, &end, 10);
    if (*end || o->resp < o->inv)
        return -1;
    if (op == 'g' && res[0] != 'h' && res[0] != 'm')
        return -1;
    o->hit = res[0] == 'h';
    return 0;
}

int
gr_history_load(const char *path, gr_lin_op **ops, size_t *n, gr_history_info *info, char *err,
                size_t cap)
{
    memset(info, 0, sizeof *info);
    *ops = NULL;
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, cap, "cannot open %s: %s", path, strerror(errno));
        return GR_HISTORY_ENOENT;
    }
    char line[GR_HISTORY_LINE];
    unsigned long long cut = 0;
    if (fread(line, 1, GR_HISTORY_LINE, f) != GR_HISTORY_LINE ||
        memcmp(line, "# georace-history v1 ", 21)) {
        snprintf(err, cap, "%s is not a georace history file (v1)", path);
        fclose(f);
        return GR_HISTORY_EFORMAT;
    }
    char hdr[GR_HISTORY_LINE + 1];
    memcpy(hdr, line, GR_HISTORY_LINE);
    hdr[GR_HISTORY_LINE] = '\0';
    if (sscanf(hdr, "# georace-history v1 variant=%47s cut=%llu", info->variant, &cut) != 2) {
        snprintf(err, cap, "%s: malformed header line", path);
        fclose(f);
        return GR_HISTORY_EFORMAT;
    }
    size_t cap_ops = 1 << 16, lineno = 1, bad = 0;
    gr_lin_op *v = malloc(cap_ops * sizeof *v);
    int rc = v ? GR_HISTORY_OK : GR_HISTORY_ENOMEM;
    uint32_t maxtid = 0;
    size_t got;
    while (rc == GR_HISTORY_OK && (got = fread(line, 1, GR_HISTORY_LINE, f)) > 0) {
        lineno++;
        if (got != GR_HISTORY_LINE) {
            bad++; /* a torn last line */
            break;
        }
        if (gr_hist_zero(line, GR_HISTORY_LINE))
            continue; /* a slot never written */
        if (!memcmp(line, "# end ops=", 10)) {
            info->complete = true;
            break;
        }
        if (*n == cap_ops) {
            gr_lin_op *nv = realloc(v, 2 * cap_ops * sizeof *v);
            if (!nv) {
                rc = GR_HISTORY_ENOMEM;
                break;
            }
            v = nv;
            cap_ops *= 2;
        }
        if (gr_hist_parse(line, &v[*n]) < 0) {
            bad++;
            snprintf(err, cap, "%s: line %zu is malformed", path, lineno);
            continue;
        }
        gr_lin_op *o = &v[*n];
        if (cut && o->inv >= cut)
            continue; /* after the first operation not recorded */
        if (cut && !o->pending && o->resp >= cut) {
            o->pending = true; /* may have seen unrecorded operations */
            o->resp = 0;
        }
        maxtid = o->thread + 1 > maxtid ? o->thread + 1 : maxtid;
        info->pending += o->pending;
        if (!info->first_ns || o->inv < info->first_ns)
            info->first_ns = o->inv;
        if (o->resp > info->last_ns)
            info->last_ns = o->resp;
        ++*n;
    }
    fclose(f);
    /* a complete file has no excuse for a bad line; a crashed one may hold a torn slot */
    if (rc == GR_HISTORY_OK && bad && info->complete)
        rc = GR_HISTORY_EFORMAT;
    if (rc == GR_HISTORY_ENOMEM)
        snprintf(err, cap, "out of memory reading %s", path);
    if (rc) {
        free(v);
        *n = 0;
        return rc;
    }
    if (bad)
        err[0] = '\0';
    info->ops = *n;
    info->cut = cut != 0;
    info->threads = maxtid;
    *ops = v;
    return GR_HISTORY_OK;
}
