/*
 * capacity.c - parsing a cache capacity: entries or a byte budget with a
 * unit (capacity.h). One parser for every command that takes one, so
 * "16MiB" means the same in sim, proxy, stress and bench hit-ratio.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/capacity.h"

enum { GR_CAPACITY_MAX_ENTRIES = 1 << 30 };

static const struct {
    const char *unit;
    uint64_t mul;
    int bytes; /* 1: a byte unit, 0: a count suffix (entries) */
} gr_capacity_units[] = {
    {"", 1, 0},      {"k", 1000, 0},         {"K", 1000, 0},         {"M", 1000000, 0},
    {"B", 1, 1},     {"KiB", 1ull << 10, 1}, {"MiB", 1ull << 20, 1}, {"GiB", 1ull << 30, 1},
    {"kB", 1000, 1}, {"KB", 1000, 1},        {"MB", 1000000, 1},     {"GB", 1000000000, 1},
};

#define GR_CAPACITY_FORMS                                                                          \
    "a count of entries (1..1073741824, k/M suffixes) or a size with a unit (B, KiB, MiB, GiB, "   \
    "kB, MB, GB)"

int
gr_capacity_parse(const char *s, gr_capacity *out, char *err, size_t errcap)
{
    char *end;
    if (!s || *s < '0' || *s > '9') {
        snprintf(err, errcap, "'%s' is not " GR_CAPACITY_FORMS, s ? s : "");
        return -1;
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    size_t u = 0, nu = sizeof gr_capacity_units / sizeof gr_capacity_units[0];
    while (u < nu && strcmp(end, gr_capacity_units[u].unit))
        u++;
    if (errno || u == nu) {
        snprintf(err, errcap, "'%s' is not " GR_CAPACITY_FORMS, s);
        return -1;
    }
    uint64_t mul = gr_capacity_units[u].mul;
    if (v > UINT64_MAX / mul) {
        snprintf(err, errcap, "'%s' is too large", s);
        return -1;
    }
    uint64_t n = (uint64_t)v * mul;
    if (!gr_capacity_units[u].bytes) {
        if (n < 1 || n > GR_CAPACITY_MAX_ENTRIES) {
            snprintf(err, errcap, "'%s' entries is not 1..%d", s, GR_CAPACITY_MAX_ENTRIES);
            return -1;
        }
        *out = (gr_capacity){.entries = n, .bytes = 0};
        return 0;
    }
    size_t lo = gr_bounded_footprint(NULL, 1),
           hi = gr_bounded_footprint(NULL, GR_CAPACITY_MAX_ENTRIES);
    if (n < lo || n > hi) {
        snprintf(err, errcap,
                 "'%s' (%" PRIu64 " bytes) is outside %zu..%zu bytes (one entry .. 2^30 entries)",
                 s, n, lo, hi);
        return -1;
    }
    *out = (gr_capacity){.entries = 0, .bytes = n};
    return 0;
}

void
gr_capacity_apply(const gr_capacity *c, gr_cache_config *cfg)
{
    cfg->capacity = (size_t)c->entries;
    cfg->capacity_bytes = c->bytes;
}

size_t
gr_capacity_entries(const gr_capacity *c, const gr_cache_config *cfg)
{
    return c->bytes ? gr_bounded_capacity_for_bytes(cfg, c->bytes) : (size_t)c->entries;
}
