/*
 * dbgen_list.c - the generated range list.
 *
 * Ranges arrive in ascending order. Emitting clips them around the fixed
 * intervals: reserved zones are cut out, anchors (well-known networks such
 * as 8.8.8.0/24) take the part they cover with their own country. A range
 * adjacent to the previous one with the same country extends it, so the
 * list never holds two touching ranges of one country (as in ip-location-db).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbgen.h"

void
gr_dbgen_list_emit(gr_dbgen_list *l, gr_dbgen_u128 first, gr_dbgen_u128 last, const char *cc)
{
    if (l->n > 0) {
        gr_dbgen_range *prev = &l->v[l->n - 1];
        if (prev->last + 1 == first && !strcmp(prev->cc, cc)) {
            prev->last = last;
            return;
        }
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 65536;
        gr_dbgen_range *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            fprintf(stderr, "georace-dbgen: out of memory\n");
            exit(1);
        }
        l->v = v;
        l->cap = cap;
    }
    gr_dbgen_range *r = &l->v[l->n++];
    r->first = first;
    r->last = last;
    memcpy(r->cc, cc, 2);
    r->cc[2] = '\0';
}

void
gr_dbgen_list_emit_clipped(gr_dbgen_list *l, const gr_dbgen_special *sp, size_t n_sp,
                           gr_dbgen_u128 first, gr_dbgen_u128 last, const char *cc)
{
    /* First special that ends at or after `first`. */
    size_t lo = 0, hi = n_sp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sp[mid].last < first)
            lo = mid + 1;
        else
            hi = mid;
    }
    gr_dbgen_u128 cur = first;
    for (size_t i = lo; i < n_sp && sp[i].first <= last; i++) {
        if (sp[i].first > cur && cc)
            gr_dbgen_list_emit(l, cur, sp[i].first - 1, cc);
        gr_dbgen_u128 a = sp[i].first > cur ? sp[i].first : cur;
        gr_dbgen_u128 b = sp[i].last < last ? sp[i].last : last;
        if (sp[i].cc)
            gr_dbgen_list_emit(l, a, b, sp[i].cc);
        if (b == last)
            return;
        cur = b + 1;
    }
    if (cc)
        gr_dbgen_list_emit(l, cur, last, cc);
}

const char *
gr_dbgen_list_neighbour(const gr_dbgen_list *l, gr_dbgen_u128 next)
{
    if (l->n == 0 || l->v[l->n - 1].last + 1 != next)
        return NULL;
    return l->v[l->n - 1].cc;
}

void
gr_dbgen_list_free(gr_dbgen_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}
