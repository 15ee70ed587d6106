/*
 * dbgen_v4.c - the IPv4 walk.
 *
 * Every /8 from 1/8 to 223/8 belongs to a registry (roughly as IANA's
 * registry shows it); legacy /8s of early US networks hand out big blocks,
 * the 128-172 "various registries" space draws its countries worldwide. In
 * each /8 a cursor advances over allocations: a size from a skewed
 * distribution (most ranges are /24../20, a few /16 and larger, some /24s
 * split into /25../28 pieces), aligned to its power of two, sometimes a gap
 * left unallocated, a country that differs from the touching neighbour.
 * Reserved zones are cut out and well-known networks (anchors) keep their
 * real country, so 8.8.8.8 is US and 1.1.1.1 is AU as in whois data.
 */
#include "dbgen.h"

#define V4(a, b, c, d) (((gr_dbgen_u128)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define NET(a, b, c, d, len) V4(a, b, c, d), V4(a, b, c, d) + ((gr_dbgen_u128)1 << (32 - (len))) - 1

/* Sorted, disjoint. */
static const gr_dbgen_special gr_dbgen_v4_special[] = {
    {NET(0, 0, 0, 0, 8), NULL},        /* "this network" */
    {NET(1, 0, 0, 0, 24), "AU"},       /* APNIC research */
    {NET(1, 1, 1, 0, 24), "AU"},       /* Cloudflare DNS, APNIC-registered */
    {NET(4, 2, 2, 0, 24), "US"},       /* Level 3 resolvers */
    {NET(8, 8, 4, 0, 24), "US"},       /* Google Public DNS */
    {NET(8, 8, 8, 0, 24), "US"},       /* Google Public DNS */
    {NET(9, 9, 9, 0, 24), "US"},       /* Quad9 */
    {NET(10, 0, 0, 0, 8), NULL},       /* private */
    {NET(17, 0, 0, 0, 8), "US"},       /* Apple */
    {NET(77, 88, 8, 0, 24), "RU"},     /* Yandex DNS */
    {NET(100, 64, 0, 0, 10), NULL},    /* carrier-grade NAT */
    {NET(114, 114, 114, 0, 24), "CN"}, /* 114DNS */
    {NET(127, 0, 0, 0, 8), NULL},      /* loopback */
    {NET(142, 250, 0, 0, 15), "US"},   /* Google */
    {NET(168, 126, 63, 0, 24), "KR"},  /* KT DNS */
    {NET(169, 254, 0, 0, 16), NULL},   /* link-local */
    {NET(172, 16, 0, 0, 12), NULL},    /* private */
    {NET(192, 0, 0, 0, 24), NULL},     /* IETF protocol assignments */
    {NET(192, 0, 2, 0, 24), NULL},     /* TEST-NET-1 */
    {NET(192, 88, 99, 0, 24), NULL},   /* 6to4 relay anycast */
    {NET(192, 168, 0, 0, 16), NULL},   /* private */
    {NET(193, 0, 0, 0, 21), "NL"},     /* RIPE NCC */
    {NET(198, 18, 0, 0, 15), NULL},    /* benchmarking */
    {NET(198, 51, 100, 0, 24), NULL},  /* TEST-NET-2 */
    {NET(203, 0, 113, 0, 24), NULL},   /* TEST-NET-3 */
    {NET(208, 67, 222, 0, 23), "US"},  /* OpenDNS */
    {NET(223, 5, 5, 0, 24), "CN"},     /* AliDNS */
    {NET(224, 0, 0, 0, 3), NULL},      /* multicast, reserved, broadcast */
};

/* Registry per span of /8s: upper case = ordinary, lower case = legacy
 * (big blocks), X = various registries, '-' = not allocated here. */
static const struct {
    unsigned char from, to;
    char kind;
} gr_dbgen_v4_blocks[] = {
    {0, 0, '-'},     {1, 1, 'P'},     {2, 2, 'R'},     {3, 4, 'a'},     {5, 5, 'R'},
    {6, 9, 'a'},     {10, 10, '-'},   {11, 13, 'a'},   {14, 14, 'P'},   {15, 22, 'a'},
    {23, 24, 'A'},   {25, 25, 'r'},   {26, 26, 'a'},   {27, 27, 'P'},   {28, 30, 'a'},
    {31, 31, 'R'},   {32, 35, 'a'},   {36, 36, 'P'},   {37, 37, 'R'},   {38, 38, 'A'},
    {39, 39, 'P'},   {40, 40, 'a'},   {41, 41, 'F'},   {42, 43, 'P'},   {44, 44, 'a'},
    {45, 45, 'A'},   {46, 46, 'R'},   {47, 48, 'a'},   {49, 49, 'P'},   {50, 50, 'A'},
    {51, 51, 'r'},   {52, 52, 'a'},   {53, 53, 'r'},   {54, 56, 'a'},   {57, 57, 'r'},
    {58, 61, 'P'},   {62, 62, 'R'},   {63, 76, 'A'},   {77, 95, 'R'},   {96, 100, 'A'},
    {101, 101, 'P'}, {102, 102, 'F'}, {103, 103, 'P'}, {104, 104, 'A'}, {105, 105, 'F'},
    {106, 106, 'P'}, {107, 108, 'A'}, {109, 109, 'R'}, {110, 126, 'P'}, {127, 127, '-'},
    {128, 140, 'X'}, {141, 141, 'R'}, {142, 144, 'X'}, {145, 145, 'R'}, {146, 150, 'X'},
    {151, 151, 'R'}, {152, 153, 'X'}, {154, 154, 'F'}, {155, 174, 'X'}, {175, 175, 'P'},
    {176, 176, 'R'}, {177, 177, 'L'}, {178, 178, 'R'}, {179, 179, 'L'}, {180, 180, 'P'},
    {181, 181, 'L'}, {182, 183, 'P'}, {184, 184, 'A'}, {185, 185, 'R'}, {186, 187, 'L'},
    {188, 188, 'R'}, {189, 191, 'L'}, {192, 192, 'A'}, {193, 195, 'R'}, {196, 197, 'F'},
    {198, 199, 'A'}, {200, 201, 'L'}, {202, 203, 'P'}, {204, 209, 'A'}, {210, 211, 'P'},
    {212, 213, 'R'}, {214, 215, 'a'}, {216, 216, 'A'}, {217, 217, 'R'}, {218, 223, 'P'},
};

static gr_dbgen_rir
gr_dbgen_v4_rir(char kind)
{
    switch (kind) {
    case 'A':
    case 'a':
        return GR_DBGEN_ARIN;
    case 'R':
    case 'r':
        return GR_DBGEN_RIPE;
    case 'P':
        return GR_DBGEN_APNIC;
    case 'L':
        return GR_DBGEN_LACNIC;
    case 'F':
        return GR_DBGEN_AFRINIC;
    default:
        return GR_DBGEN_ANY;
    }
}

/* log2 of an allocation size in addresses. */
static unsigned
gr_dbgen_v4_size_log2(gr_dbgen_rng *r, bool legacy)
{
    unsigned x = (unsigned)gr_dbgen_rng_below(r, 1000);
    if (legacy && x < 450)
        return 16 + (unsigned)gr_dbgen_rng_below(r, 7); /* /16 .. /10 */
    static const struct {
        unsigned below, log2;
    } table[] = {{420, 8},  {540, 9},  {640, 10}, {725, 11}, {800, 12}, {858, 13},
                 {905, 14}, {940, 15}, {968, 16}, {984, 17}, {994, 18}, {1000, 19}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (x < table[i].below)
            return table[i].log2;
    return 8;
}

static const char *
gr_dbgen_v4_country(gr_dbgen_rng *r, gr_dbgen_list *out, gr_dbgen_rir rir, uint64_t first)
{
    const char *cc = gr_dbgen_country_pick(r, rir);
    const char *nb = gr_dbgen_list_neighbour(out, first);
    for (int tries = 0; nb && cc[0] == nb[0] && cc[1] == nb[1] && tries < 8; tries++)
        cc = gr_dbgen_country_pick(r, rir);
    return cc;
}

static void
gr_dbgen_v4_emit(gr_dbgen_list *out, uint64_t first, uint64_t last, const char *cc)
{
    gr_dbgen_list_emit_clipped(out, gr_dbgen_v4_special,
                               sizeof gr_dbgen_v4_special / sizeof gr_dbgen_v4_special[0], first,
                               last, cc);
}

/* One /24 split into /25../29 networks of different countries. */
static void
gr_dbgen_v4_split24(gr_dbgen_rng *r, gr_dbgen_list *out, gr_dbgen_rir rir, uint64_t base)
{
    uint64_t cur = base, end = base + 256;
    while (cur < end) {
        uint64_t size = (uint64_t)8 << gr_dbgen_rng_below(r, 5); /* 8 .. 128 */
        while (size > end - cur || (cur & (size - 1)))
            size /= 2;
        gr_dbgen_v4_emit(out, cur, cur + size - 1, gr_dbgen_v4_country(r, out, rir, cur));
        cur += size;
    }
}

static void
gr_dbgen_v4_block(gr_dbgen_rng *r, gr_dbgen_list *out, unsigned octet, char kind)
{
    gr_dbgen_rir rir = gr_dbgen_v4_rir(kind);
    bool legacy = kind == 'a' || kind == 'r';
    uint64_t cur = (uint64_t)octet << 24, end = cur + (1u << 24);
    while (cur < end) {
        unsigned lg = gr_dbgen_v4_size_log2(r, legacy);
        uint64_t align = (uint64_t)1 << (lg > 16 ? 16 : lg);
        uint64_t size = (uint64_t)1 << lg;
        if (gr_dbgen_rng_below(r, 100) < 12) /* a non-CIDR range: 3, 5 or 7 blocks */
            size *= 3 + 2 * gr_dbgen_rng_below(r, 3);
        uint64_t next = (cur + align - 1) & ~(align - 1);
        if (gr_dbgen_rng_below(r, 100) < 9) /* unallocated space */
            next += (uint64_t)256 << gr_dbgen_rng_below(r, 6);
        if (next > end)
            next = end;
        if (next > cur) {
            gr_dbgen_v4_emit(out, cur, next - 1, NULL);
            cur = next;
            continue;
        }
        if (size > end - cur)
            size = end - cur;
        if (lg == 8 && size == 256 && gr_dbgen_rng_below(r, 100) < 3)
            gr_dbgen_v4_split24(r, out, rir, cur);
        else
            gr_dbgen_v4_emit(out, cur, cur + size - 1, gr_dbgen_v4_country(r, out, rir, cur));
        cur += size;
    }
}

void
gr_dbgen_v4(gr_dbgen_rng *r, gr_dbgen_list *out)
{
    for (size_t i = 0; i < sizeof gr_dbgen_v4_blocks / sizeof gr_dbgen_v4_blocks[0]; i++) {
        if (gr_dbgen_v4_blocks[i].kind == '-')
            continue;
        for (unsigned o = gr_dbgen_v4_blocks[i].from; o <= gr_dbgen_v4_blocks[i].to; o++)
            gr_dbgen_v4_block(r, out, o, gr_dbgen_v4_blocks[i].kind);
    }
}
