/*
 * linear.c - per-key just-in-time linearizability search (see linear.h).
 *
 * Per key: the key's gets and puts plus the clears whose interval overlaps
 * the key's span (earlier and later clears cannot be observed), turned into
 * invocation and response events sorted by time (an invocation sorts before
 * a response at the same time: equal times are treated as overlapping, the
 * lenient choice). A configuration is (state, mask): state 0 = key absent,
 * v + 1 = value v; mask = which currently pending operations (slots) have
 * already been linearized in it. Configurations live in a small array,
 * deduplicated by linear search: there are few (states x subsets of <= a
 * handful of pending operations).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "georace/linear.h"

struct gr_lin_ev {
    uint64_t t;
    uint32_t op;
    uint8_t resp;
};

struct gr_lin_cfg {
    uint32_t state;
    uint64_t mask;
};

struct gr_lin_set {
    struct gr_lin_cfg *c;
    size_t n, cap;
};

static int
gr_lin_ev_cmp(const void *a, const void *b)
{
    const struct gr_lin_ev *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->resp != y->resp)
        return x->resp < y->resp ? -1 : 1;
    return x->op < y->op ? -1 : x->op > y->op;
}

static const gr_lin_op *gr_lin_sort_ops;

static int
gr_lin_key_cmp(const void *a, const void *b)
{
    const gr_lin_op *x = &gr_lin_sort_ops[*(const size_t *)a];
    const gr_lin_op *y = &gr_lin_sort_ops[*(const size_t *)b];
    int c = memcmp(&x->key, &y->key, sizeof x->key);
    if (c)
        return c;
    return x->inv < y->inv ? -1 : x->inv > y->inv;
}

static int
gr_lin_add(struct gr_lin_set *s, uint32_t state, uint64_t mask)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i].state == state && s->c[i].mask == mask)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        struct gr_lin_cfg *c = realloc(s->c, cap * sizeof *c);
        if (!c)
            return -1;
        s->c = c;
        s->cap = cap;
    }
    s->c[s->n].state = state;
    s->c[s->n++].mask = mask;
    return 1;
}

/* Apply op to state: the new state, or -1 if the op's result contradicts it. */
static int64_t
gr_lin_apply(const gr_lin_op *o, uint32_t state)
{
    switch (o->kind) {
    case GR_LIN_PUT:
        return (int64_t)o->value + 1;
    case GR_LIN_CLEAR:
        return 0;
    default:
        if (o->pending)
            return state; /* result unknown */
        if (o->hit)
            return state == (uint32_t)o->value + 1 ? (int64_t)state : -1;
        return state == 0 ? 0 : -1;
    }
}

struct gr_lin_ctx {
    const gr_lin_op *ops;
    size_t slot_op[64];
    uint64_t used; /* slots in use */
    struct gr_lin_set cur, next;
};

/* Extend every configuration by linearizing pending ops until each one has
 * `need` in its mask (or cannot get there); keep only those. */
static int
gr_lin_close(struct gr_lin_ctx *x, unsigned need)
{
    struct gr_lin_set *s = &x->cur;
    for (size_t i = 0; i < s->n; i++) { /* s grows while we walk it: a worklist */
        struct gr_lin_cfg c = s->c[i];
        if (c.mask >> need & 1)
            continue;
        for (unsigned k = 0; k < 64; k++) {
            if (!(x->used >> k & 1) || (c.mask >> k & 1))
                continue;
            int64_t st = gr_lin_apply(&x->ops[x->slot_op[k]], c.state);
            if (st >= 0 && gr_lin_add(s, (uint32_t)st, c.mask | (1ull << k)) < 0)
                return -1;
        }
    }
    x->next.n = 0;
    for (size_t i = 0; i < s->n; i++)
        if ((s->c[i].mask >> need & 1) &&
            gr_lin_add(&x->next, s->c[i].state, s->c[i].mask & ~(1ull << need)) < 0)
            return -1;
    struct gr_lin_set t = x->cur;
    x->cur = x->next;
    x->next = t;
    return 0;
}

static void
gr_lin_describe(const gr_lin_op *ops, const size_t *idx, size_t n, size_t bad, char *buf,
                size_t cap)
{
    char key[64];
    const gr_lin_op *b = &ops[bad];
    gr_ip_format(&b->key, key, sizeof key);
    int len = snprintf(buf, cap, "key %s: ", key);
    static const char *const kinds[] = {"get", "put", "clear"};
    const char *what = b->kind == GR_LIN_GET ? (b->hit ? "hit" : "miss") : "done";
    len += snprintf(
        buf + len, cap - (size_t)len,
        "%s by thread %u [%llu, %llu] (%s %c%c) has no linearization; the operations before it:",
        kinds[b->kind], b->thread, (unsigned long long)b->inv, (unsigned long long)b->resp, what,
        b->value >> 8 ? b->value >> 8 : '-', b->value & 0xff ? b->value & 0xff : '-');
    /* the (up to) 6 operations of this key's sub-history invoked last before
     * the bad one returned, in invocation order */
    size_t pick[6], np = 0;
    for (size_t i = 0; i < n; i++) {
        if (ops[idx[i]].inv > b->resp)
            continue;
        size_t at = np;
        if (np == 6) {
            at = 0;
            for (size_t j = 1; j < 6; j++)
                if (ops[pick[j]].inv < ops[pick[at]].inv)
                    at = j;
            if (ops[pick[at]].inv >= ops[idx[i]].inv)
                continue;
        } else {
            np++;
        }
        pick[at] = idx[i];
    }
    for (size_t i = 1; i < np; i++)
        for (size_t j = i; j > 0 && ops[pick[j - 1]].inv > ops[pick[j]].inv; j--) {
            size_t t = pick[j];
            pick[j] = pick[j - 1];
            pick[j - 1] = t;
        }
    for (size_t i = 0; i < np && len < (int)cap - 80; i++) {
        const gr_lin_op *o = &ops[pick[i]];
        len += snprintf(
            buf + len, cap - (size_t)len, " | T%u %s%s%c%c [%llu,%s%llu]", o->thread,
            kinds[o->kind],
            o->kind == GR_LIN_GET   ? (o->pending ? "?"
                                       : o->hit   ? "="
                                                  : "=miss")
            : o->kind == GR_LIN_PUT ? " "
                                    : "",
            o->kind != GR_LIN_CLEAR && (o->kind == GR_LIN_PUT || o->hit) ? o->value >> 8 : ' ',
            o->kind != GR_LIN_CLEAR && (o->kind == GR_LIN_PUT || o->hit) ? o->value & 0xff : ' ',
            (unsigned long long)o->inv, o->pending ? "pending " : "", (unsigned long long)o->resp);
    }
}

/* One key's sub-history idx[0..n): 1 linearizable, 0 not (*bad set), <0 error. */
static int
gr_lin_partition(const gr_lin_op *ops, const size_t *idx, size_t n, size_t *bad)
{
    struct gr_lin_ev *ev = malloc(2 * n * sizeof *ev + 1);
    struct gr_lin_ctx x;
    memset(&x, 0, sizeof x);
    x.ops = ops;
    int rc = 1;
    size_t ne = 0;
    if (!ev)
        return GR_LIN_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ev[ne++] = (struct gr_lin_ev){ops[idx[i]].inv, (uint32_t)idx[i], 0};
        if (!ops[idx[i]].pending)
            ev[ne++] = (struct gr_lin_ev){ops[idx[i]].resp, (uint32_t)idx[i], 1};
    }
    qsort(ev, ne, sizeof *ev, gr_lin_ev_cmp);
    if (gr_lin_add(&x.cur, 0, 0) < 0)
        rc = GR_LIN_ENOMEM;
    for (size_t e = 0; rc == 1 && e < ne; e++) {
        if (!ev[e].resp) {
            if (x.used == ~0ull) {
                rc = GR_LIN_ETOOMANY;
                break;
            }
            unsigned k = (unsigned)__builtin_ctzll(~x.used);
            x.used |= 1ull << k;
            x.slot_op[k] = ev[e].op;
            continue;
        }
        unsigned k = 0;
        while (!(x.used >> k & 1) || x.slot_op[k] != ev[e].op)
            k++;
        if (gr_lin_close(&x, k) < 0) {
            rc = GR_LIN_ENOMEM;
            break;
        }
        x.used &= ~(1ull << k);
        if (x.cur.n == 0) {
            *bad = ev[e].op;
            rc = 0;
        }
    }
    free(ev);
    free(x.cur.c);
    free(x.next.c);
    return rc;
}

int
gr_lin_check(const gr_lin_op *ops, size_t n, gr_lin_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->ok = true;
    rep->ops = n;
    size_t *keyed = malloc((n + 1) * sizeof *keyed), *clears = malloc((n + 1) * sizeof *clears);
    size_t *part = malloc((2 * n + 1) * sizeof *part);
    int rc = GR_LIN_OK;
    if (!keyed || !clears || !part) {
        rc = GR_LIN_ENOMEM;
        goto out;
    }
    size_t nk = 0, nc = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == GR_LIN_CLEAR)
            clears[nc++] = i;
        else
            keyed[nk++] = i;
    gr_lin_sort_ops = ops;
    qsort(keyed, nk, sizeof *keyed, gr_lin_key_cmp);
    qsort(clears, nc, sizeof *clears, gr_lin_key_cmp); /* keys equal: by invocation */
    for (size_t a = 0, b; a < nk; a = b) {
        uint64_t lo = UINT64_MAX, hi = 0;
        for (b = a; b < nk && !memcmp(&ops[keyed[b]].key, &ops[keyed[a]].key, sizeof(gr_ip)); b++) {
            const gr_lin_op *o = &ops[keyed[b]];
            lo = o->inv < lo ? o->inv : lo;
            hi = o->pending ? UINT64_MAX : o->resp > hi ? o->resp : hi;
        }
        size_t m = 0;
        for (size_t i = a; i < b; i++)
            part[m++] = keyed[i];
        /* clears overlapping [lo, hi]: sorted by invocation, so stop at the first after hi */
        for (size_t i = 0; i < nc && ops[clears[i]].inv <= hi; i++)
            if (ops[clears[i]].pending || ops[clears[i]].resp >= lo)
                part[m++] = clears[i];
        rep->keys++;
        size_t bad = 0;
        int r = gr_lin_partition(ops, part, m, &bad);
        if (r < 0) {
            rc = r;
            goto out;
        }
        if (r == 0) {
            rep->ok = false;
            rep->bad_op = bad;
            gr_lin_describe(ops, part, m, bad, rep->msg, sizeof rep->msg);
            goto out;
        }
    }
out:
    free(keyed);
    free(clears);
    free(part);
    return rc;
}
