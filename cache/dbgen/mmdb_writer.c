/*
 * mmdb_writer.c - ranges -> CIDR blocks -> binary trie -> MaxMind DB file.
 *
 * The trie is a pool of nodes with two child references each. A reference is
 * EMPTY (0), a node index (the root, node 0, is never anyone's child), or
 * DATA|value index. Inserting a prefix of length L walks L-1 bits from the
 * root, splitting a leaf into a node whose two children inherit the leaf
 * where the path must go deeper, and stores the value in the child the last
 * bit selects, dropping any finer subtree that was there.
 *
 * Writing finishes the trie (sibling leaves with the same value merge into
 * their parent, bottom-up; the IPv4 aliases are linked in as extra edges to
 * the ::/96 node, which makes the trie a DAG), numbers the nodes reachable
 * from the root breadth-first, and emits the three sections of the format:
 *   search tree   node_count nodes, each two records of 24, 28 or 32 bits
 *                 (record < node_count: node; == node_count: no data;
 *                  > node_count: node_count + 16 + offset in the data section)
 *   16 zero bytes, then the data section (one map per distinct value)
 *   "\xAB\xCD\xEFMaxMind.com" and the metadata map.
 */
#include <stdlib.h>
#include <string.h>

#include "georace/mmdb_writer.h"
#include "mmdb_encode.h"

__extension__ typedef unsigned __int128 gr_mmdbw_u128;

#define GR_MMDBW_EMPTY 0u
#define GR_MMDBW_DATA 0x80000000u
#define GR_MMDBW_NODE_MAX 0x7fffffffu

struct gr_mmdbw_node {
    uint32_t child[2];
};

struct gr_mmdbw {
    struct gr_mmdbw_node *nodes;
    size_t n_nodes, cap_nodes;
    char (*values)[GR_MMDBW_VALUE_MAX + 1];
    size_t n_values, cap_values;
    uint32_t *slots; /* open addressing: value index + 1, 0 = free */
    size_t n_slots;
    int error; /* sticky allocation failure */
};

static bool
gr_mmdbw_is_node(uint32_t ref)
{
    return ref != GR_MMDBW_EMPTY && !(ref & GR_MMDBW_DATA);
}

static uint32_t
gr_mmdbw_new_node(gr_mmdbw *w, uint32_t fill)
{
    if (w->n_nodes == w->cap_nodes) {
        size_t cap = w->cap_nodes ? w->cap_nodes * 2 : 1024;
        if (cap > GR_MMDBW_NODE_MAX) {
            w->error = GR_MMDBW_ETOOBIG;
            return 0;
        }
        struct gr_mmdbw_node *n = realloc(w->nodes, cap * sizeof *n);
        if (!n) {
            w->error = GR_MMDBW_ENOMEM;
            return 0;
        }
        w->nodes = n;
        w->cap_nodes = cap;
    }
    uint32_t i = (uint32_t)w->n_nodes++;
    w->nodes[i].child[0] = w->nodes[i].child[1] = fill;
    return i;
}

int
gr_mmdbw_create(gr_mmdbw **out)
{
    gr_mmdbw *w = calloc(1, sizeof *w);
    if (!w)
        return GR_MMDBW_ENOMEM;
    gr_mmdbw_new_node(w, GR_MMDBW_EMPTY); /* the root */
    if (w->error) {
        gr_mmdbw_destroy(w);
        return GR_MMDBW_ENOMEM;
    }
    *out = w;
    return GR_MMDBW_OK;
}

void
gr_mmdbw_destroy(gr_mmdbw *w)
{
    if (!w)
        return;
    free(w->nodes);
    free(w->values);
    free(w->slots);
    free(w);
}

static uint64_t
gr_mmdbw_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int
gr_mmdbw_rehash(gr_mmdbw *w, size_t n_slots)
{
    uint32_t *slots = calloc(n_slots, sizeof *slots);
    if (!slots)
        return GR_MMDBW_ENOMEM;
    for (size_t v = 0; v < w->n_values; v++) {
        size_t i = gr_mmdbw_hash(w->values[v]) & (n_slots - 1);
        while (slots[i])
            i = (i + 1) & (n_slots - 1);
        slots[i] = (uint32_t)v + 1;
    }
    free(w->slots);
    w->slots = slots;
    w->n_slots = n_slots;
    return GR_MMDBW_OK;
}

/* The reference (DATA|index) of a value, interning it on first use. */
static int
gr_mmdbw_intern(gr_mmdbw *w, const char *value, uint32_t *ref)
{
    size_t len = strlen(value);
    if (len == 0 || len > GR_MMDBW_VALUE_MAX)
        return GR_MMDBW_EARG;
    if (w->n_slots == 0 || (w->n_values + 1) * 2 > w->n_slots) {
        int rc = gr_mmdbw_rehash(w, w->n_slots ? w->n_slots * 2 : 512);
        if (rc)
            return rc;
    }
    size_t i = gr_mmdbw_hash(value) & (w->n_slots - 1);
    for (; w->slots[i]; i = (i + 1) & (w->n_slots - 1)) {
        if (!strcmp(w->values[w->slots[i] - 1], value)) {
            *ref = GR_MMDBW_DATA | (w->slots[i] - 1);
            return GR_MMDBW_OK;
        }
    }
    if (w->n_values == w->cap_values) {
        size_t cap = w->cap_values ? w->cap_values * 2 : 256;
        void *v = realloc(w->values, cap * sizeof *w->values);
        if (!v)
            return GR_MMDBW_ENOMEM;
        w->values = v;
        w->cap_values = cap;
    }
    memcpy(w->values[w->n_values], value, len + 1);
    w->slots[i] = (uint32_t)++w->n_values;
    *ref = GR_MMDBW_DATA | (uint32_t)(w->n_values - 1);
    return GR_MMDBW_OK;
}

static unsigned
gr_mmdbw_bit(gr_mmdbw_u128 addr, unsigned depth)
{
    return (unsigned)(addr >> (127 - depth)) & 1u;
}

/* Point prefix addr/len (1..128) at ref. */
static void
gr_mmdbw_insert_prefix(gr_mmdbw *w, gr_mmdbw_u128 addr, unsigned len, uint32_t ref)
{
    uint32_t n = 0;
    for (unsigned d = 0; d + 1 < len; d++) {
        unsigned b = gr_mmdbw_bit(addr, d);
        uint32_t c = w->nodes[n].child[b];
        if (!gr_mmdbw_is_node(c)) {
            uint32_t fresh = gr_mmdbw_new_node(w, c);
            if (w->error)
                return;
            w->nodes[n].child[b] = fresh;
            c = fresh;
        }
        n = c;
    }
    w->nodes[n].child[gr_mmdbw_bit(addr, len - 1)] = ref;
}

static unsigned
gr_mmdbw_ctz(gr_mmdbw_u128 x)
{
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    if (lo)
        return (unsigned)__builtin_ctzll(lo);
    if (hi)
        return 64 + (unsigned)__builtin_ctzll(hi);
    return 128;
}

static unsigned
gr_mmdbw_log2(gr_mmdbw_u128 x) /* x > 0 */
{
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    if (hi)
        return 127 - (unsigned)__builtin_clzll(hi);
    return 63 - (unsigned)__builtin_clzll(lo);
}

/* Split first..last into maximal aligned blocks and insert each. The range
 * lies in a space of `width` bits whose block of prefix `base` sits at
 * `offset` (IPv4: width 32, base 96, offset 0 = the ::/96 subtree). */
static int
gr_mmdbw_insert_range(gr_mmdbw *w, gr_mmdbw_u128 first, gr_mmdbw_u128 last, unsigned base,
                      const char *value)
{
    uint32_t ref;
    if (first > last)
        return GR_MMDBW_EARG;
    if (w->error)
        return w->error;
    int rc = gr_mmdbw_intern(w, value, &ref);
    if (rc)
        return rc;
    unsigned width = 128 - base;
    for (;;) {
        gr_mmdbw_u128 span = last - first;
        unsigned k_fit = (span == ~(gr_mmdbw_u128)0) ? 128 : gr_mmdbw_log2(span + 1);
        unsigned k = gr_mmdbw_ctz(first);
        if (k > k_fit)
            k = k_fit;
        if (k > width)
            k = width;
        unsigned len = 128 - k;
        if (len == 0) { /* the whole space */
            w->nodes[0].child[0] = w->nodes[0].child[1] = ref;
            return GR_MMDBW_OK;
        }
        gr_mmdbw_insert_prefix(w, first, len, ref);
        if (w->error)
            return w->error;
        gr_mmdbw_u128 block_last =
            first + (k == 128 ? ~(gr_mmdbw_u128)0 : (((gr_mmdbw_u128)1 << k) - 1));
        if (block_last >= last)
            return GR_MMDBW_OK;
        first = block_last + 1;
    }
}

int
gr_mmdbw_insert_v4(gr_mmdbw *w, uint32_t first, uint32_t last, const char *value)
{
    return gr_mmdbw_insert_range(w, first, last, 96, value);
}

static gr_mmdbw_u128
gr_mmdbw_load16(const uint8_t b[16])
{
    gr_mmdbw_u128 x = 0;
    for (int i = 0; i < 16; i++)
        x = x << 8 | b[i];
    return x;
}

int
gr_mmdbw_insert_v6(gr_mmdbw *w, const uint8_t first[16], const uint8_t last[16], const char *value)
{
    return gr_mmdbw_insert_range(w, gr_mmdbw_load16(first), gr_mmdbw_load16(last), 0, value);
}

/* Merge sibling leaves of equal value, bottom-up; returns the new reference. */
static uint32_t
gr_mmdbw_collapse(gr_mmdbw *w, uint32_t n)
{
    for (int b = 0; b < 2; b++) {
        uint32_t c = w->nodes[n].child[b];
        if (gr_mmdbw_is_node(c))
            w->nodes[n].child[b] = gr_mmdbw_collapse(w, c);
    }
    uint32_t l = w->nodes[n].child[0], r = w->nodes[n].child[1];
    if (n != 0 && l == r && !gr_mmdbw_is_node(l))
        return l;
    return n;
}

/* Link ::ffff:0:0/96 and 2002::/16 to whatever ::/96 holds. */
static void
gr_mmdbw_alias_ipv4(gr_mmdbw *w)
{
    uint32_t n = 0, v4 = GR_MMDBW_EMPTY;
    for (unsigned d = 0; d < 96; d++) {
        v4 = w->nodes[n].child[0];
        if (!gr_mmdbw_is_node(v4))
            break;
        n = v4;
    }
    if (v4 == GR_MMDBW_EMPTY)
        return; /* no IPv4 data */
    gr_mmdbw_insert_prefix(w, (gr_mmdbw_u128)0xffff << 32, 96, v4);
    gr_mmdbw_insert_prefix(w, (gr_mmdbw_u128)0x2002 << 112, 16, v4);
}

static void
gr_mmdbw_put_metadata(gr_mmdbw_buf *b, const gr_mmdbw_meta *meta, size_t node_count,
                      unsigned record_size)
{
    static const unsigned char marker[] = "\xAB\xCD\xEFMaxMind.com";
    gr_mmdbw_buf_put(b, marker, sizeof marker - 1);
    gr_mmdbw_enc_map(b, 9);
    gr_mmdbw_enc_string(b, "binary_format_major_version");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT16, 2);
    gr_mmdbw_enc_string(b, "binary_format_minor_version");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT16, 0);
    gr_mmdbw_enc_string(b, "build_epoch");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT64, meta->build_epoch);
    gr_mmdbw_enc_string(b, "database_type");
    gr_mmdbw_enc_string(b, meta->database_type ? meta->database_type : "georace-country");
    gr_mmdbw_enc_string(b, "description");
    gr_mmdbw_enc_map(b, 1);
    gr_mmdbw_enc_string(b, "en");
    gr_mmdbw_enc_string(b, meta->description ? meta->description : "");
    gr_mmdbw_enc_string(b, "ip_version");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT16, 6);
    gr_mmdbw_enc_string(b, "languages");
    gr_mmdbw_enc_array(b, 1);
    gr_mmdbw_enc_string(b, "en");
    gr_mmdbw_enc_string(b, "node_count");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT32, node_count);
    gr_mmdbw_enc_string(b, "record_size");
    gr_mmdbw_enc_uint(b, GR_MMDBW_T_UINT16, record_size);
}

int
gr_mmdbw_write_buffer(gr_mmdbw *w, const gr_mmdbw_meta *meta, unsigned char **buf, size_t *len,
                      gr_mmdbw_stats *stats)
{
    if (w->error)
        return w->error;
    gr_mmdbw_collapse(w, 0);
    gr_mmdbw_alias_ipv4(w);
    if (w->error)
        return w->error;

    /* Breadth-first numbering of the reachable nodes. */
    uint32_t *number = malloc(w->n_nodes * sizeof *number);
    uint32_t *order = malloc(w->n_nodes * sizeof *order);
    size_t *offset = malloc((w->n_values ? w->n_values : 1) * sizeof *offset);
    gr_mmdbw_buf data = {0}, out = {0};
    int rc = GR_MMDBW_ENOMEM;
    if (!number || !order || !offset)
        goto done;
    memset(number, 0xff, w->n_nodes * sizeof *number);
    size_t count = 0;
    number[0] = 0;
    order[count++] = 0;
    for (size_t head = 0; head < count; head++) {
        const struct gr_mmdbw_node *nd = &w->nodes[order[head]];
        for (int b = 0; b < 2; b++) {
            uint32_t c = nd->child[b];
            if (gr_mmdbw_is_node(c) && number[c] == UINT32_MAX) {
                number[c] = (uint32_t)count;
                order[count++] = c;
            }
        }
    }

    for (size_t v = 0; v < w->n_values; v++) {
        offset[v] = data.len;
        gr_mmdbw_enc_map(&data, 1);
        gr_mmdbw_enc_string(&data, "country_code");
        gr_mmdbw_enc_string(&data, w->values[v]);
    }
    if (data.oom)
        goto done;

    uint64_t max_record = (uint64_t)count + 16 + data.len;
    unsigned record_size = max_record < (1ull << 24) ? 24 : max_record < (1ull << 28) ? 28 : 32;
    if (max_record > UINT32_MAX) {
        rc = GR_MMDBW_ETOOBIG;
        goto done;
    }
    if (meta->record_size) {
        if (meta->record_size != 24 && meta->record_size != 28 && meta->record_size != 32) {
            rc = GR_MMDBW_EARG;
            goto done;
        }
        if (meta->record_size < record_size) {
            rc = GR_MMDBW_ETOOBIG;
            goto done;
        }
        record_size = meta->record_size;
    }
    for (size_t i = 0; i < count; i++) {
        const struct gr_mmdbw_node *nd = &w->nodes[order[i]];
        uint32_t rec[2];
        for (int b = 0; b < 2; b++) {
            uint32_t c = nd->child[b];
            if (c == GR_MMDBW_EMPTY)
                rec[b] = (uint32_t)count;
            else if (c & GR_MMDBW_DATA)
                rec[b] = (uint32_t)(count + 16 + offset[c & ~GR_MMDBW_DATA]);
            else
                rec[b] = number[c];
        }
        gr_mmdbw_enc_records(&out, record_size, rec[0], rec[1]);
    }
    gr_mmdbw_buf_zero(&out, 16);
    gr_mmdbw_buf_put(&out, data.p, data.len);
    gr_mmdbw_put_metadata(&out, meta, count, record_size);
    if (out.oom)
        goto done;
    if (stats) {
        stats->node_count = count;
        stats->record_size = record_size;
        stats->data_values = w->n_values;
        stats->file_bytes = out.len;
    }
    *buf = out.p;
    *len = out.len;
    out.p = NULL;
    rc = GR_MMDBW_OK;
done:
    free(number);
    free(order);
    free(offset);
    gr_mmdbw_buf_free(&data);
    gr_mmdbw_buf_free(&out);
    return rc;
}

int
gr_mmdbw_write(gr_mmdbw *w, const gr_mmdbw_meta *meta, FILE *f, gr_mmdbw_stats *stats)
{
    unsigned char *buf;
    size_t len;
    int rc = gr_mmdbw_write_buffer(w, meta, &buf, &len, stats);
    if (rc)
        return rc;
    if (fwrite(buf, 1, len, f) != len || fflush(f) != 0)
        rc = GR_MMDBW_EIO;
    free(buf);
    return rc;
}

const char *
gr_mmdbw_strerror(int err)
{
    switch (err) {
    case GR_MMDBW_OK:
        return "ok";
    case GR_MMDBW_ENOMEM:
        return "out of memory";
    case GR_MMDBW_EARG:
        return "bad range or value";
    case GR_MMDBW_EIO:
        return "write error";
    case GR_MMDBW_ETOOBIG:
        return "database too large for 32-bit records";
    default:
        return "unknown error";
    }
}
