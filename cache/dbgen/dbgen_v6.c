/*
 * dbgen_v6.c - the IPv6 walk.
 *
 * Only 2000::/3 (global unicast) is handed out, and only inside the blocks
 * IANA gave the five registries (2001:200::/23 ... 2a00::/12, 2c00::/12).
 * Each registry gets its share of the ranges; inside a block a cursor
 * advances over allocations of typical IPv6 sizes (/32 for an ISP, /48 for
 * provider-independent space, /29, /44, /40 ..., a few /24 and /20 for the
 * giants), each aligned to its size, with unallocated gaps between. Small
 * blocks get a quota in proportion to their size (they may fill up first);
 * the registry's big /12 gets the rest of its share. Documentation
 * space (2001:db8::/32) is cut out; anchors keep their real country.
 */
#include "dbgen.h"

#define W(a, b, c)                                                                                 \
    (((gr_dbgen_u128)(a) << 112) | ((gr_dbgen_u128)(b) << 96) | ((gr_dbgen_u128)(c) << 80))
#define NET6(a, b, c, len) W(a, b, c), W(a, b, c) + ((gr_dbgen_u128)1 << (128 - (len))) - 1

static const gr_dbgen_special gr_dbgen_v6_special[] = {
    {NET6(0x2001, 0x0db8, 0, 32), NULL}, /* documentation */
    {NET6(0x2001, 0x4860, 0, 32), "US"}, /* Google */
    {NET6(0x2400, 0xcb00, 0, 32), "US"}, /* Cloudflare (APNIC space) */
    {NET6(0x2606, 0x4700, 0, 32), "US"}, /* Cloudflare */
    {NET6(0x2620, 0x00fe, 0, 48), "US"}, /* Quad9 */
    {NET6(0x2a02, 0x06b8, 0, 32), "RU"}, /* Yandex */
};

static const struct {
    gr_dbgen_u128 first;
    unsigned len;
    gr_dbgen_rir rir;
} gr_dbgen_v6_blocks[] = {
    {W(0x2001, 0x0200, 0), 23, GR_DBGEN_APNIC},   {W(0x2001, 0x0400, 0), 23, GR_DBGEN_ARIN},
    {W(0x2001, 0x0600, 0), 23, GR_DBGEN_RIPE},    {W(0x2001, 0x0800, 0), 22, GR_DBGEN_RIPE},
    {W(0x2001, 0x0c00, 0), 23, GR_DBGEN_APNIC},   {W(0x2001, 0x0e00, 0), 23, GR_DBGEN_APNIC},
    {W(0x2001, 0x1200, 0), 23, GR_DBGEN_LACNIC},  {W(0x2001, 0x1400, 0), 22, GR_DBGEN_RIPE},
    {W(0x2001, 0x1800, 0), 23, GR_DBGEN_ARIN},    {W(0x2001, 0x1a00, 0), 23, GR_DBGEN_RIPE},
    {W(0x2001, 0x1c00, 0), 22, GR_DBGEN_RIPE},    {W(0x2001, 0x2000, 0), 19, GR_DBGEN_RIPE},
    {W(0x2001, 0x4000, 0), 23, GR_DBGEN_RIPE},    {W(0x2001, 0x4200, 0), 23, GR_DBGEN_AFRINIC},
    {W(0x2001, 0x4400, 0), 23, GR_DBGEN_APNIC},   {W(0x2001, 0x4600, 0), 23, GR_DBGEN_RIPE},
    {W(0x2001, 0x4800, 0), 23, GR_DBGEN_ARIN},    {W(0x2001, 0x4a00, 0), 23, GR_DBGEN_RIPE},
    {W(0x2001, 0x4c00, 0), 23, GR_DBGEN_RIPE},    {W(0x2001, 0x5000, 0), 20, GR_DBGEN_RIPE},
    {W(0x2001, 0x8000, 0), 19, GR_DBGEN_APNIC},   {W(0x2001, 0xa000, 0), 20, GR_DBGEN_APNIC},
    {W(0x2001, 0xb000, 0), 20, GR_DBGEN_APNIC},   {W(0x2003, 0x0000, 0), 18, GR_DBGEN_RIPE},
    {W(0x2400, 0x0000, 0), 12, GR_DBGEN_APNIC},   {W(0x2600, 0x0000, 0), 12, GR_DBGEN_ARIN},
    {W(0x2610, 0x0000, 0), 23, GR_DBGEN_ARIN},    {W(0x2620, 0x0000, 0), 23, GR_DBGEN_ARIN},
    {W(0x2800, 0x0000, 0), 12, GR_DBGEN_LACNIC},  {W(0x2a00, 0x0000, 0), 12, GR_DBGEN_RIPE},
    {W(0x2c00, 0x0000, 0), 12, GR_DBGEN_AFRINIC},
};

/* Ranges per registry (about 210k in all) and per small block. */
static const unsigned gr_dbgen_v6_share[GR_DBGEN_RIR_COUNT] = {
    [GR_DBGEN_ARIN] = 52000,   [GR_DBGEN_RIPE] = 96000,   [GR_DBGEN_APNIC] = 40000,
    [GR_DBGEN_LACNIC] = 18000, [GR_DBGEN_AFRINIC] = 4000,
};

static unsigned
gr_dbgen_v6_prefix(gr_dbgen_rng *r)
{
    unsigned x = (unsigned)gr_dbgen_rng_below(r, 10000);
    static const struct {
        unsigned below, len;
    } table[] = {{3800, 32}, {6200, 48}, {7000, 29}, {7600, 44}, {8200, 40}, {8600, 36}, {9000, 56},
                 {9300, 46}, {9550, 28}, {9750, 47}, {9970, 30}, {9995, 24}, {10000, 20}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (x < table[i].below)
            return table[i].len;
    return 32;
}

static void
gr_dbgen_v6_emit(gr_dbgen_list *out, gr_dbgen_u128 first, gr_dbgen_u128 last, const char *cc)
{
    gr_dbgen_list_emit_clipped(out, gr_dbgen_v6_special,
                               sizeof gr_dbgen_v6_special / sizeof gr_dbgen_v6_special[0], first,
                               last, cc);
}

/* Walk one block until `quota` ranges are out or the block is full. */
static void
gr_dbgen_v6_block(gr_dbgen_rng *r, gr_dbgen_list *out, gr_dbgen_u128 first, unsigned len,
                  gr_dbgen_rir rir, unsigned quota)
{
    gr_dbgen_u128 cur = first, end = first + ((gr_dbgen_u128)1 << (128 - len)); /* exclusive */
    size_t before = out->n;
    while (cur < end && out->n - before < quota) {
        unsigned plen = gr_dbgen_v6_prefix(r);
        if (plen < len + 4)
            plen = len + 4;
        gr_dbgen_u128 size = (gr_dbgen_u128)1 << (128 - plen);
        gr_dbgen_u128 next = (cur + size - 1) & ~(size - 1);
        if (gr_dbgen_rng_below(r, 100) < 30) /* unallocated: 1..16 /36s */
            next += ((gr_dbgen_u128)1 + gr_dbgen_rng_below(r, 16)) << (128 - 36);
        if (next >= end) {
            gr_dbgen_v6_emit(out, cur, end - 1, NULL);
            break;
        }
        if (next > cur) {
            gr_dbgen_v6_emit(out, cur, next - 1, NULL);
            cur = next;
            continue;
        }
        if (gr_dbgen_rng_below(r, 100) < 8) /* two or three blocks in one range */
            size *= 2 + gr_dbgen_rng_below(r, 2);
        if (size > end - cur)
            size = end - cur;
        const char *cc = gr_dbgen_country_pick(r, rir);
        const char *nb = gr_dbgen_list_neighbour(out, cur);
        for (int tries = 0; nb && cc[0] == nb[0] && cc[1] == nb[1] && tries < 8; tries++)
            cc = gr_dbgen_country_pick(r, rir);
        gr_dbgen_v6_emit(out, cur, cur + size - 1, cc);
        cur += size;
    }
    if (cur < end) /* anchors in the untouched rest */
        gr_dbgen_v6_emit(out, cur, end - 1, NULL);
}

static unsigned
gr_dbgen_v6_small_quota(unsigned len)
{
    return 120u << (23 - (len > 23 ? 23 : len));
}

void
gr_dbgen_v6(gr_dbgen_rng *r, gr_dbgen_list *out)
{
    size_t n = sizeof gr_dbgen_v6_blocks / sizeof gr_dbgen_v6_blocks[0];
    unsigned big[GR_DBGEN_RIR_COUNT];
    for (int i = 0; i < GR_DBGEN_RIR_COUNT; i++)
        big[i] = gr_dbgen_v6_share[i];
    for (size_t i = 0; i < n; i++)
        if (gr_dbgen_v6_blocks[i].len != 12)
            big[gr_dbgen_v6_blocks[i].rir] -= gr_dbgen_v6_small_quota(gr_dbgen_v6_blocks[i].len);
    for (size_t i = 0; i < n; i++) {
        unsigned len = gr_dbgen_v6_blocks[i].len;
        unsigned quota = len == 12 ? big[gr_dbgen_v6_blocks[i].rir] : gr_dbgen_v6_small_quota(len);
        gr_dbgen_v6_block(r, out, gr_dbgen_v6_blocks[i].first, len, gr_dbgen_v6_blocks[i].rir,
                          quota);
    }
}
