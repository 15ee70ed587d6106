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
    uint64_t mask, touched;
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
gr_lin_add(struct gr_lin_set *s, uint32_t state, uint64_t mask, uint64_t touched)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->c[i].state == state && s->c[i].mask == mask && s->c[i].touched == touched)
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
    s->c[s->n].touched = touched;
    s->c[s->n++].mask = mask;
    return 1;
}

/* Apply op to state: the new state, or -1 if the op's result contradicts
 * it (a pending op's result is unknown: only its effect counts). *wrote:
 * the op stored or deleted the key (a Range running meanwhile may then
 * skip it). */
static int64_t
gr_lin_apply(const gr_lin_op *o, uint32_t state, bool *wrote)
{
    bool present = state != 0, pend = o->pending;
    uint32_t cur = state - 1, put = (uint32_t)o->value + 1;
    *wrote = false;
    switch (o->kind) {
    case GR_LIN_PUT:
        *wrote = true;
        return put;
    case GR_LIN_CLEAR:
    case GR_LIN_DELETE:
        *wrote = true;
        return 0;
    case GR_LIN_LOAD_OR_STORE:
        if (present)
            return !pend && (!o->hit || o->out != cur) ? -1 : (int64_t)state;
        if (!pend && (o->hit || o->out != o->value))
            return -1;
        *wrote = true;
        return put;
    case GR_LIN_LOAD_AND_DELETE:
        if (!pend && (o->hit != present || (present && o->value != cur)))
            return -1;
        *wrote = present;
        return 0;
    case GR_LIN_SWAP:
        if (!pend && (o->hit != present || (present && o->out != cur)))
            return -1;
        *wrote = true;
        return put;
    case GR_LIN_CAS:
    case GR_LIN_CAD: {
        bool ok = present && cur == o->old;
        if (!pend && o->hit != ok)
            return -1;
        *wrote = ok;
        return !ok ? (int64_t)state : o->kind == GR_LIN_CAS ? (int64_t)put : 0;
    }
    case GR_LIN_RANGE:
        if (pend || !o->hit)
            return state; /* not visited: judged over the call's interval (gr_lin_close) */
        return state == put ? (int64_t)state : -1;
    default: /* get */
        if (pend)
            return state;
        if (o->hit)
            return state == put ? (int64_t)state : -1;
        return state == 0 ? 0 : -1;
    }
}

/* A Range that returned without visiting the key. */
static bool
gr_lin_range_miss(const gr_lin_op *o)
{
    return o->kind == GR_LIN_RANGE && !o->pending && !o->hit;
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
            bool wrote;
            int64_t st = gr_lin_apply(&x->ops[x->slot_op[k]], c.state, &wrote);
            uint64_t touched = c.touched | (wrote || st == 0 ? x->used : 0);
            if (st >= 0 && gr_lin_add(s, (uint32_t)st, c.mask | (1ull << k), touched) < 0)
                return -1;
        }
    }
    x->next.n = 0;
    bool miss = gr_lin_range_miss(&x->ops[x->slot_op[need]]);
    for (size_t i = 0; i < s->n; i++) {
        const struct gr_lin_cfg *c = &s->c[i];
        if (!(c->mask >> need & 1) || (miss && !(c->touched >> need & 1)))
            continue;
        if (gr_lin_add(&x->next, c->state, c->mask & ~(1ull << need),
                       c->touched & ~(1ull << need)) < 0)
            return -1;
    }
    struct gr_lin_set t = x->cur;
    x->cur = x->next;
    x->next = t;
    return 0;
}

static const char *const gr_lin_kinds[GR_LIN_KINDS] = {
    "get",    "put",  "clear", "load-or-store", "load-and-delete",
    "delete", "swap", "cas",   "cad",           "range"};

/* "US" for a country-code value, else its number. */
static const char *
gr_lin_val(uint16_t v, char *buf, size_t cap)
{
    int a = v >> 8, b = v & 0xff;
    if (a >= 'A' && a <= 'Z' && b >= 'A' && b <= 'Z')
        snprintf(buf, cap, "%c%c", a, b);
    else
        snprintf(buf, cap, "%u", v);
    return buf;
}

/* One operation and its result, e.g. "get=US", "put US", "cas(US->DE)=true",
 * "load-or-store(FR)=loaded US", "range=not visited". */
static void
gr_lin_op_str(const gr_lin_op *o, char *buf, size_t cap)
{
    char v[8], w[8];
    const char *k = gr_lin_kinds[o->kind < GR_LIN_KINDS ? o->kind : 0];
    const char *r = o->pending ? "?" : o->hit ? "true" : "false";
    gr_lin_val(o->value, v, sizeof v);
    switch (o->kind) {
    case GR_LIN_GET:
    case GR_LIN_LOAD_AND_DELETE:
        snprintf(buf, cap, "%s%s%s", k, o->pending ? "?" : "=",
                 o->pending ? ""
                 : o->hit   ? v
                            : "miss");
        break;
    case GR_LIN_RANGE:
        snprintf(buf, cap, "range%s%s%s", o->pending ? "?" : "=",
                 o->pending ? ""
                 : o->hit   ? "visited "
                            : "not visited",
                 !o->pending && o->hit ? v : "");
        break;
    case GR_LIN_PUT:
        snprintf(buf, cap, "put %s", v);
        break;
    case GR_LIN_CLEAR:
    case GR_LIN_DELETE:
        snprintf(buf, cap, "%s", k);
        break;
    case GR_LIN_LOAD_OR_STORE:
    case GR_LIN_SWAP:
        snprintf(buf, cap, "%s(%s)%s%s%s", k, v,
                 o->pending ? "?"
                 : o->hit   ? "=loaded "
                            : "=absent",
                 o->pending || !o->hit ? "" : gr_lin_val(o->out, w, sizeof w), "");
        break;
    default: /* cas, cad */
        gr_lin_val(o->old, w, sizeof w);
        if (o->kind == GR_LIN_CAS)
            snprintf(buf, cap, "cas(%s->%s)=%s", w, v, r);
        else
            snprintf(buf, cap, "cad(%s)=%s", w, r);
        break;
    }
}

/* "thread 2" / "T2", or "setup" for the operations before the threads */
static const char *
gr_lin_who(const gr_lin_op *o, bool brief, char *buf, size_t cap)
{
    if (o->thread == GR_LIN_SETUP)
        snprintf(buf, cap, "setup");
    else
        snprintf(buf, cap, brief ? "T%u" : "thread %u", o->thread);
    return buf;
}

static void
gr_lin_describe(const gr_lin_op *ops, const size_t *idx, size_t n, size_t bad, char *buf,
                size_t cap)
{
    char key[64], os[48], who[24];
    const gr_lin_op *b = &ops[bad];
    gr_ip_format(&b->key, key, sizeof key);
    gr_lin_op_str(b, os, sizeof os);
    int len = snprintf(buf, cap,
                       "key %s: %s by %s [%llu, %llu] has no linearization; the operations "
                       "before it:",
                       key, os, gr_lin_who(b, false, who, sizeof who), (unsigned long long)b->inv,
                       (unsigned long long)b->resp);
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
        gr_lin_op_str(o, os, sizeof os);
        len += snprintf(buf + len, cap - (size_t)len, " | %s %s [%llu,%s%llu]",
                        gr_lin_who(o, true, who, sizeof who), os, (unsigned long long)o->inv,
                        o->pending ? "pending " : "", (unsigned long long)o->resp);
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
    if (gr_lin_add(&x.cur, 0, 0, 0) < 0)
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
            for (size_t i = 0; i < x.cur.n; i++) /* touched: absent at the invocation */
                x.cur.c[i].touched =
                    (x.cur.c[i].touched & ~(1ull << k)) | (uint64_t)(x.cur.c[i].state == 0) << k;
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
