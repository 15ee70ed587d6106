/*
 * peer_mmdb.c - the 'mmdb' peer of 'bench cache': no cache at all, one
 * libmaxminddb lookup (through the mmdb backend, on the embedded database)
 * per operation. It is what every request would cost uncached, Zoraxy's
 * FASTLOCATION workaround: every get is answered, put and clear do nothing.
 */
#include "georace/defaultdb.h"
#include "georace/geodb.h"
#include "target.h"

static void *
gr_bench_mmdb_open(const gr_bench_cell *cell, char *err, size_t cap)
{
    gr_geodb *db = NULL;
    (void)cell;
    if (gr_defaultdb_open(GR_GEODB_MMDB, &db, err, cap))
        return NULL;
    return db;
}

static bool
gr_bench_mmdb_get(void *ctx, const gr_ip *key, gr_country *out)
{
    (void)gr_geodb_lookup(ctx, key, out);
    return true; /* every operation is answered by the database */
}

static void
gr_bench_mmdb_put(void *ctx, const gr_ip *key, gr_country value)
{
    (void)ctx, (void)key, (void)value;
}

static void
gr_bench_mmdb_clear(void *ctx)
{
    (void)ctx;
}

static void
gr_bench_mmdb_close(void *ctx)
{
    gr_geodb_close(ctx);
}

const struct gr_bench_target gr_bench_mmdb_ops = {
    .open = gr_bench_mmdb_open,
    .thread_init = gr_bench_target_nop,
    .thread_fini = gr_bench_target_nop,
    .get = gr_bench_mmdb_get,
    .put = gr_bench_mmdb_put,
    .clear = gr_bench_mmdb_clear,
    .mem = gr_bench_target_mem_unknown,
    .close = gr_bench_mmdb_close,
};
