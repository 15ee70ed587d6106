/*
 * fuzz_cache_ops.c - differential fuzzing of every cache variant against a
 * reference model, single-threaded.
 *
 * The input decodes to a variant, a configuration and an operation
 * sequence that is applied, in lockstep, to one fresh instance of that
 * variant (one of gr_cache_variant_names, or a small bounded cache) and to
 * the model: a flat table indexed by key id. After every operation the
 * variant must agree with the model: get hits exactly the keys put since
 * the last clear, with the last value put (0, "unknown", is a value like
 * any other, as the resolver caches unknown addresses); len is the number
 * of such keys. The variant "none" (no cache) must always miss and hold
 * nothing. "bounded" runs twice: with a capacity of 256 (more keys than an
 * input can put) it must equal the model exactly; as "bounded (small)",
 * with a capacity taken from the input (1..64 entries), it may have
 * evicted any key, but a hit must carry the model's value and len never
 * exceeds the capacity. Single-threaded, so the buggy variants must be
 * correct too: gomap runs with its detector on, and a false alarm would
 * exit the process, which libFuzzer reports.
 *
 * Speed (>= 5,000 exec/s in the fuzz preset): one variant per input, the
 * model being the oracle (every variant in lockstep made an input ten times
 * the work and told no more: each is compared with the model anyway, and
 * libFuzzer's coverage keeps inputs for each variant's own branches). The
 * cache is created and destroyed per input, so each input frees what it
 * allocated (libFuzzer runs a full leak scan after any input that does
 * not, and caches kept across inputs made that scan the main cost); maps
 * stay small: key ids are 8 bits per family, an input puts or probes at
 * most FZ_OPS_BUDGET (128) keys, enough for every map to grow a few times
 * and for the small bounded cache to evict, and bounded's capacity is just
 * above what an input can put.
 *
 * Input layout:
 *   byte 0     variant: b % (variants + 1), in gr_cache_variant_names'
 *              order, the last being the small bounded cache
 *   byte 1     stripes of sharded and bounded: 0 default (64), else
 *              1 << (b % 5) (1..16): clear, len and mem_bytes visit every
 *              stripe under its lock, and with up to 256 stripes those
 *              sweeps were a third of an input's time; 1..16 still
 *              covers one stripe, several, and more stripes than keys
 *   byte 2     small bounded cache's capacity: 1 + b % 64
 *   then ops   [op][key hi][key lo][value], op % 8:
 *                0-2 put, 3-4 get, 5 clear, 6 burst (put `value` % 32 + 1
 *                consecutive keys from key, then get them all), 7 len check;
 *              key ids wrap at 256 per family
 *              bit 3 of op picks the family: IPv4 10.0.x.y or IPv6
 *              2001:db8::x:y, so both key shapes share one id space.
 * Sequences are capped (FZ_OPS_BUDGET keys per input) to keep runs short.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "georace/cache.h"

#define FZ_OPS_MAX 4096
#define FZ_OPS_BUDGET 128   /* keys put or probed per input, bursts included */
#define FZ_OPS_BURST 32     /* longest burst */
#define FZ_OPS_ID_MASK 0xff /* key ids per family: small maps */
#define FZ_OPS_CAPACITY 256 /* bounded: more keys than an input can put (budget + a burst) */

typedef struct fz_ops_model {
    bool present[2][65536];
    gr_country value[2][65536];
    uint32_t touched[2 * 65536];
    size_t n_touched, len;
} fz_ops_model;

static fz_ops_model fz_ops_m;

static gr_ip
fz_ops_key(int v6, uint16_t id)
{
    gr_ip ip;
    if (v6) {
        static const uint8_t prefix[14] = {0x20, 0x01, 0x0d, 0xb8};
        memcpy(ip.b, prefix, 14);
        ip.b[14] = (uint8_t)(id >> 8);
        ip.b[15] = (uint8_t)id;
    } else {
        gr_ip_from_v4(0x0a000000u | id, &ip);
    }
    return ip;
}

static gr_country
fz_ops_value(uint8_t v)
{
    if (v == 0)
        return GR_COUNTRY_NONE;
    return (gr_country)(('A' + v % 26) << 8 | ('A' + (v / 26) % 26));
}

static void
fz_ops_model_clear(fz_ops_model *m)
{
    for (size_t i = 0; i < m->n_touched; i++) {
        uint32_t t = m->touched[i];
        m->present[t >> 16][t & 0xffff] = false;
    }
    m->n_touched = 0;
    m->len = 0;
}

static void
fz_ops_model_put(fz_ops_model *m, int v6, uint16_t id, gr_country v)
{
    if (!m->present[v6][id]) {
        m->present[v6][id] = true;
        m->len++;
        if (m->n_touched < sizeof m->touched / sizeof m->touched[0])
            m->touched[m->n_touched++] = (uint32_t)v6 << 16 | id;
    }
    m->value[v6][id] = v;
}

typedef struct fz_ops_cache {
    const char *name;
    gr_cache *c;
    bool is_none;
    size_t capacity; /* 0: holds every key put; else may evict beyond this */
} fz_ops_cache;

static void
fz_ops_check_get(const fz_ops_cache *vc, int v6, uint16_t id)
{
    gr_ip key = fz_ops_key(v6, id);
    gr_country got = 0xffff;
    bool hit = gr_cache_get(vc->c, &key, &got);
    bool want = !vc->is_none && fz_ops_m.present[v6][id];
    if (vc->capacity) /* evicting: a miss is fine, a hit must be right */
        FZ_CHECK(!hit || want, "%s: get(%s %u) hit a key never put since the clear", vc->name,
                 v6 ? "v6" : "v4", id);
    else
        FZ_CHECK(hit == want, "%s: get(%s %u) %s, model %s", vc->name, v6 ? "v6" : "v4", id,
                 hit ? "hit" : "miss", want ? "hit" : "miss");
    if (hit)
        FZ_CHECK(got == fz_ops_m.value[v6][id], "%s: get(%s %u) = %04x, model %04x", vc->name,
                 v6 ? "v6" : "v4", id, got, fz_ops_m.value[v6][id]);
}

static void
fz_ops_check_len(const fz_ops_cache *vc)
{
    size_t want = vc->is_none ? 0 : fz_ops_m.len;
    size_t got = gr_cache_len(vc->c);
    if (vc->capacity)
        FZ_CHECK(got <= want && got <= vc->capacity, "%s: len %zu, model %zu, capacity %zu",
                 vc->name, got, want, vc->capacity);
    else
        FZ_CHECK(got == want, "%s: len %zu, model %zu", vc->name, got, want);
}

/* One fresh instance of the variant the input picked. */
static fz_ops_cache
fz_ops_cache_make(uint8_t variant_byte, uint8_t stripes_byte, size_t small_cap)
{
    const char *const *names = gr_cache_variant_names();
    size_t n = 0;
    while (names[n])
        n++;
    size_t pick = variant_byte % (n + 1);
    gr_cache_config cfg;
    gr_cache_config_default(&cfg);
    if (stripes_byte)
        cfg.stripes = 1u << (stripes_byte % 5);
    /* bounded: room for every key an input can put, or the small capacity */
    cfg.capacity = pick < n ? FZ_OPS_CAPACITY : small_cap;
    const char *name = pick < n ? names[pick] : "bounded";
    gr_cache *c = NULL;
    int rc = gr_cache_create(name, &cfg, &c);
    FZ_CHECK(rc == GR_CACHE_OK && c, "create %s (capacity %zu) failed: %d", name, cfg.capacity, rc);
    if (pick < n)
        return (fz_ops_cache){name, c, !strcmp(name, "none"), 0};
    return (fz_ops_cache){"bounded (small)", c, false, small_cap};
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_in in = fz_in_make(data, size);
    uint8_t vb0 = fz_u8(&in), sb = fz_u8(&in);
    size_t small_cap = (size_t)fz_u8(&in) % 64 + 1;
    fz_ops_cache vc = fz_ops_cache_make(vb0, sb, small_cap);
    fz_ops_model_clear(&fz_ops_m);

    long budget = FZ_OPS_BUDGET;
    for (int step = 0; in.n && step < FZ_OPS_MAX && budget > 0; step++) {
        uint8_t op = fz_u8(&in);
        uint16_t id = fz_u16(&in) & FZ_OPS_ID_MASK;
        uint8_t vb = fz_u8(&in);
        int v6 = (op >> 3) & 1;
        gr_ip key = fz_ops_key(v6, id);
        budget--;
        switch (op % 8) {
        case 0:
        case 1:
        case 2:
            fz_ops_model_put(&fz_ops_m, v6, id, fz_ops_value(vb));
            gr_cache_put(vc.c, &key, fz_ops_value(vb));
            fz_ops_check_get(&vc, v6, id);
            break;
        case 3:
        case 4:
            fz_ops_check_get(&vc, v6, id);
            break;
        case 5:
            fz_ops_model_clear(&fz_ops_m);
            gr_cache_clear(vc.c);
            fz_ops_check_len(&vc);
            fz_ops_check_get(&vc, v6, id);
            break;
        case 6: {
            unsigned n = vb % FZ_OPS_BURST + 1u;
            budget -= n;
            for (unsigned k = 0; k < n; k++) {
                uint16_t kid = (uint16_t)((id + k) & FZ_OPS_ID_MASK);
                gr_ip kk = fz_ops_key(v6, kid);
                gr_country v = fz_ops_value((uint8_t)(vb ^ k));
                fz_ops_model_put(&fz_ops_m, v6, kid, v);
                gr_cache_put(vc.c, &kk, v);
            }
            for (unsigned k = 0; k < n; k++)
                fz_ops_check_get(&vc, v6, (uint16_t)((id + k) & FZ_OPS_ID_MASK));
            break;
        }
        default:
            fz_ops_check_len(&vc);
            (void)gr_cache_mem_bytes(vc.c);
            break;
        }
    }

    /* Final sweep: every key the run touched, and the sizes. */
    for (size_t t = 0; t < fz_ops_m.n_touched; t++) {
        uint32_t k = fz_ops_m.touched[t];
        fz_ops_check_get(&vc, (int)(k >> 16), (uint16_t)k);
    }
    fz_ops_check_len(&vc);
    gr_cache_destroy(vc.c);
    return 0;
}
