/*
 * dbgen_country.c - the country mix of the generated database.
 *
 * Each code belongs to the registry that serves it and carries a weight
 * roughly proportional to its share of ranges in public whois/ASN country
 * data: a few heavy hitters (US, then GB, DE, CN, BR, RU, NL, JP, ...) and a
 * long tail of small states and territories. A pick is drawn from the
 * registry of the address block 94% of the time and from the whole world
 * otherwise (multinationals and transfers put foreign networks in every
 * registry's space). Legacy blocks (GR_DBGEN_ANY) always draw worldwide.
 */
#include "dbgen.h"

struct gr_dbgen_country {
    char cc[3];
    gr_dbgen_rir rir;
    unsigned weight;
};

#define A GR_DBGEN_ARIN
#define R GR_DBGEN_RIPE
#define P GR_DBGEN_APNIC
#define L GR_DBGEN_LACNIC
#define F GR_DBGEN_AFRINIC

static const struct gr_dbgen_country gr_dbgen_countries[] = {
    /* ARIN */
    {"US", A, 3000},
    {"CA", A, 230},
    {"PR", A, 12},
    {"VI", A, 2},
    {"GU", A, 3},
    {"JM", A, 5},
    {"BS", A, 3},
    {"BB", A, 3},
    {"BM", A, 4},
    {"KY", A, 3},
    {"AG", A, 2},
    {"AI", A, 1},
    {"DM", A, 1},
    {"GD", A, 1},
    {"KN", A, 1},
    {"LC", A, 2},
    {"MS", A, 1},
    {"TC", A, 1},
    {"VC", A, 1},
    {"VG", A, 3},
    {"UM", A, 1},
    {"PM", A, 1},
    {"AS", A, 1},
    {"MP", A, 1},
    /* RIPE NCC */
    {"GB", R, 650},
    {"DE", R, 620},
    {"RU", R, 520},
    {"NL", R, 420},
    {"FR", R, 360},
    {"IT", R, 300},
    {"PL", R, 260},
    {"UA", R, 240},
    {"ES", R, 220},
    {"SE", R, 160},
    {"CH", R, 150},
    {"TR", R, 130},
    {"CZ", R, 110},
    {"RO", R, 110},
    {"AT", R, 100},
    {"BE", R, 90},
    {"IR", R, 90},
    {"DK", R, 80},
    {"NO", R, 70},
    {"IL", R, 70},
    {"IE", R, 70},
    {"FI", R, 60},
    {"BG", R, 60},
    {"PT", R, 50},
    {"HU", R, 50},
    {"AE", R, 50},
    {"GR", R, 40},
    {"SA", R, 40},
    {"KZ", R, 30},
    {"SK", R, 30},
    {"BY", R, 20},
    {"RS", R, 20},
    {"LT", R, 20},
    {"LV", R, 20},
    {"EE", R, 20},
    {"LU", R, 20},
    {"SI", R, 15},
    {"HR", R, 15},
    {"CY", R, 15},
    {"IQ", R, 15},
    {"MD", R, 10},
    {"GE", R, 10},
    {"AM", R, 10},
    {"AZ", R, 8},
    {"UZ", R, 8},
    {"JO", R, 8},
    {"LB", R, 8},
    {"KW", R, 8},
    {"IS", R, 8},
    {"BA", R, 8},
    {"QA", R, 6},
    {"PS", R, 6},
    {"MT", R, 6},
    {"AL", R, 6},
    {"BH", R, 5},
    {"OM", R, 5},
    {"MK", R, 5},
    {"KG", R, 4},
    {"ME", R, 4},
    {"TJ", R, 3},
    {"SY", R, 3},
    {"GI", R, 3},
    {"LI", R, 3},
    {"IM", R, 3},
    {"JE", R, 3},
    {"GG", R, 3},
    {"YE", R, 2},
    {"FO", R, 2},
    {"AD", R, 2},
    {"MC", R, 2},
    {"TM", R, 1},
    {"GL", R, 1},
    {"SM", R, 1},
    {"VA", R, 1},
    {"AX", R, 1},
    {"GP", R, 1},
    {"MQ", R, 1},
    /* APNIC */
    {"CN", P, 600},
    {"JP", P, 480},
    {"AU", P, 420},
    {"IN", P, 420},
    {"KR", P, 270},
    {"HK", P, 200},
    {"SG", P, 200},
    {"ID", P, 200},
    {"TW", P, 150},
    {"VN", P, 120},
    {"TH", P, 90},
    {"BD", P, 90},
    {"MY", P, 80},
    {"PH", P, 80},
    {"NZ", P, 70},
    {"PK", P, 50},
    {"NP", P, 20},
    {"KH", P, 15},
    {"LK", P, 12},
    {"MM", P, 8},
    {"MN", P, 8},
    {"MO", P, 6},
    {"LA", P, 5},
    {"AF", P, 4},
    {"BN", P, 3},
    {"MV", P, 3},
    {"PG", P, 3},
    {"FJ", P, 3},
    {"NC", P, 3},
    {"BT", P, 2},
    {"PF", P, 2},
    {"TL", P, 2},
    {"WS", P, 1},
    {"TO", P, 1},
    {"VU", P, 1},
    {"SB", P, 1},
    {"KI", P, 1},
    {"FM", P, 1},
    {"MH", P, 1},
    {"PW", P, 1},
    {"NR", P, 1},
    {"TV", P, 1},
    {"CK", P, 1},
    {"NU", P, 1},
    {"KP", P, 1},
    {"WF", P, 1},
    /* LACNIC */
    {"BR", L, 600},
    {"AR", L, 150},
    {"MX", L, 120},
    {"CO", L, 80},
    {"CL", L, 70},
    {"PE", L, 30},
    {"EC", L, 30},
    {"VE", L, 25},
    {"CR", L, 15},
    {"PA", L, 15},
    {"UY", L, 12},
    {"DO", L, 12},
    {"PY", L, 10},
    {"GT", L, 10},
    {"HN", L, 10},
    {"BO", L, 8},
    {"SV", L, 8},
    {"TT", L, 8},
    {"NI", L, 6},
    {"HT", L, 4},
    {"BZ", L, 3},
    {"SR", L, 3},
    {"CW", L, 3},
    {"CU", L, 2},
    {"GY", L, 2},
    {"AW", L, 2},
    {"BQ", L, 1},
    {"SX", L, 1},
    {"GF", L, 1},
    {"FK", L, 1},
    /* AFRINIC */
    {"ZA", F, 150},
    {"EG", F, 50},
    {"NG", F, 40},
    {"KE", F, 40},
    {"MA", F, 25},
    {"TN", F, 15},
    {"DZ", F, 15},
    {"GH", F, 15},
    {"TZ", F, 12},
    {"MU", F, 12},
    {"UG", F, 10},
    {"AO", F, 10},
    {"SC", F, 10},
    {"CM", F, 6},
    {"CI", F, 6},
    {"SN", F, 6},
    {"ZM", F, 6},
    {"ZW", F, 6},
    {"MZ", F, 6},
    {"RW", F, 5},
    {"ET", F, 5},
    {"SD", F, 5},
    {"LY", F, 5},
    {"NA", F, 5},
    {"BW", F, 4},
    {"MW", F, 4},
    {"MG", F, 4},
    {"CD", F, 4},
    {"BF", F, 3},
    {"ML", F, 3},
    {"BJ", F, 3},
    {"GA", F, 3},
    {"CG", F, 3},
    {"SO", F, 3},
    {"NE", F, 2},
    {"TD", F, 2},
    {"TG", F, 2},
    {"GN", F, 2},
    {"SL", F, 2},
    {"LR", F, 2},
    {"GM", F, 2},
    {"CV", F, 2},
    {"BI", F, 2},
    {"DJ", F, 2},
    {"LS", F, 2},
    {"SZ", F, 2},
    {"MR", F, 2},
    {"RE", F, 2},
    {"GW", F, 1},
    {"ST", F, 1},
    {"GQ", F, 1},
    {"ER", F, 1},
    {"SS", F, 1},
    {"KM", F, 1},
    {"YT", F, 1},
    {"SH", F, 1},
    {"CF", F, 1},
};

#undef A
#undef R
#undef P
#undef L
#undef F

#define GR_DBGEN_N_COUNTRIES (sizeof gr_dbgen_countries / sizeof gr_dbgen_countries[0])

/* Cumulative weights per registry (ANY = the whole table). */
static unsigned gr_dbgen_cum[GR_DBGEN_RIR_COUNT][GR_DBGEN_N_COUNTRIES];
static unsigned short gr_dbgen_idx[GR_DBGEN_RIR_COUNT][GR_DBGEN_N_COUNTRIES];
static size_t gr_dbgen_n[GR_DBGEN_RIR_COUNT];

void
gr_dbgen_country_init(void)
{
    for (int rir = 0; rir < GR_DBGEN_RIR_COUNT; rir++) {
        unsigned sum = 0;
        size_t n = 0;
        for (size_t i = 0; i < GR_DBGEN_N_COUNTRIES; i++) {
            if (rir != GR_DBGEN_ANY && gr_dbgen_countries[i].rir != (gr_dbgen_rir)rir)
                continue;
            sum += gr_dbgen_countries[i].weight;
            gr_dbgen_cum[rir][n] = sum;
            gr_dbgen_idx[rir][n] = (unsigned short)i;
            n++;
        }
        gr_dbgen_n[rir] = n;
    }
}

static const char *
gr_dbgen_country_from(gr_dbgen_rng *r, gr_dbgen_rir rir)
{
    size_t n = gr_dbgen_n[rir];
    unsigned x = (unsigned)gr_dbgen_rng_below(r, gr_dbgen_cum[rir][n - 1]);
    size_t lo = 0, hi = n - 1;
    while (lo < hi) { /* first cumulative weight above x */
        size_t mid = lo + (hi - lo) / 2;
        if (gr_dbgen_cum[rir][mid] > x)
            hi = mid;
        else
            lo = mid + 1;
    }
    return gr_dbgen_countries[gr_dbgen_idx[rir][lo]].cc;
}

const char *
gr_dbgen_country_pick(gr_dbgen_rng *r, gr_dbgen_rir rir)
{
    if (rir != GR_DBGEN_ANY && gr_dbgen_rng_below(r, 100) < 6)
        rir = GR_DBGEN_ANY;
    return gr_dbgen_country_from(r, rir);
}

size_t
gr_dbgen_country_count(void)
{
    return GR_DBGEN_N_COUNTRIES;
}
