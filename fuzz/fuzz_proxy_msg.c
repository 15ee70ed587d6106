/*
 * fuzz_proxy_msg.c - the proxy's message layer in process, without sockets
 * or threads: raw client bytes -> http-parser with the proxy's callbacks
 * (strict framing, proxy_msg.h) -> head checks (gr_request_check) ->
 * decision (gr_decide: requester IP, resolver + cache, access rule) ->
 * the upstream request (gr_request_build).
 *
 * The bytes are fed the way proxy_client.c feeds its reads: each piece is
 * appended to a buffer of unparsed bytes, parsed through gr_msg_feed (the
 * proxy's own feed), the parser pauses at each complete
 * message, the message is served, and what follows it (pipelined requests)
 * is parsed next. A refused byte ends the stream with the proxy's error
 * status, as does an answer that closes the connection (400, 405, 501,
 * 505, or a request that does not keep the connection alive).
 *
 * Input: byte 0 selects the peer (bits 0-1: 8.8.8.8 US, 5.6.7.8 CN,
 * 10.1.2.3 private, 2a00::1 DE), its trust (bits 2-3: not trusted, trusted
 * by a list holding it, trust-all, a list holding every address), the
 * requester rule (bit 4: realip or Zoraxy's order), the cache variant
 * (bit 5: mutex or syncmap) and how the bytes are split after the first
 * cut (bits 6-7: one piece, 1, 3 or 61 bytes at a time); byte 1 is the
 * first cut; the rest is the client's byte stream.
 *
 * Oracles:
 *   - differential (upstream_oracle.h): every upstream request, read by a
 *     strict line scanner and by a fresh lenient parser, is exactly the
 *     client's request as an independent lenient parse of the client's
 *     bytes reads it (method, origin-form target, decoded body), with only
 *     the client's end-to-end headers and the proxy's own (Host when the
 *     client had none, X-Forwarded-For ending in the peer and carrying the
 *     client's chain only from a trusted peer, X-Geo-Country equal to the
 *     decision, Content-Length equal to the body);
 *   - every message the proxy completed is one the independent parse
 *     completed too, with the same keep-alive;
 *   - split invariance: the stream fed whole and fed in pieces gives the
 *     same statuses, in order, and byte-identical upstream requests.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_input.h"
#include "georace/access.h"
#include "georace/cache.h"
#include "georace/country.h"
#include "georace/decide.h"
#include "georace/geodb.h"
#include "georace/resolver.h"
#include "georace/zone.h"
#include "proxy_msg.h"
#include "proxy_request.h"
#include "upstream_oracle.h"

#define FZ_MSG_MAX_INPUT 16384
#define FZ_MSG_MAX_HEAD 4096
#define FZ_MSG_MAX_BODY 8192
#define FZ_MSG_DEFAULT_HOST "upstream.test:8080"
#define FZ_MSG_PEERS 4

static const char fz_msg_csv[] = "1.0.0.0,1.0.0.255,AU\n"
                                 "5.0.0.0,5.255.255.255,CN\n"
                                 "8.8.8.0,8.8.8.255,US\n"
                                 "95.0.0.0,95.255.255.255,RU\n"
                                 "2a00::,2a00:ffff:ffff:ffff:ffff:ffff:ffff:ffff,DE\n"
                                 "2400::,2400:ffff:ffff:ffff:ffff:ffff:ffff:ffff,CN\n";

static const char *const fz_msg_peer_text[FZ_MSG_PEERS] = {"8.8.8.8", "5.6.7.8", "10.1.2.3",
                                                           "2a00::1"};
static const char *const fz_msg_peer_cidr[FZ_MSG_PEERS] = {"8.8.8.8/32", "5.6.7.8/32",
                                                           "10.1.2.3/32", "2a00::1/128"};
static const char *const fz_msg_variants[2] = {"mutex", "syncmap"};

/* Built once: the database, a resolver per cache variant, the rules. */
static struct {
    gr_geodb *db;
    gr_cache *cache[2];
    gr_resolver *resolver[2];
    gr_access access;
    gr_ip peer[FZ_MSG_PEERS];
    char peerstr[FZ_MSG_PEERS][GR_IP_STRLEN];
    gr_cidr loopback, everyone, peer_cidr[FZ_MSG_PEERS][2]; /* {peer, loopback} */
} fz_msg;

/* What one input asks for. */
struct fz_msg_opts {
    unsigned peer, trust, variant;
    gr_req_policy policy;
    bool peer_trusted; /* the expectation, from the trust bits alone */
    size_t first, step;
};

/* What the proxy did with each complete message of one feeding. */
enum { FZ_MSG_METRICS = 1, FZ_MSG_INCOMPLETE = 2 };
struct fz_msg_served {
    int status;      /* 200 = forwarded (with upstream bytes), or the proxy's answer */
    size_t off, len; /* the upstream request in fz_msg_run.up */
};

struct fz_msg_run {
    struct fz_msg_served *v;
    size_t n, cap;
    struct gr_buf up; /* every upstream request, one after another */
    int end;          /* the refusal that ended the stream, FZ_MSG_INCOMPLETE, or 0 */
};

/* One emulated client connection. */
struct fz_msg_conn {
    http_parser parser;
    struct gr_msg req;
    struct gr_buf out;
    bool keep_alive, closed, in_message;
    const struct fz_msg_opts *o;
    const struct fz_up_reqs *model; /* NULL: no oracle on this feeding */
    struct fz_msg_run *run;
    char *buf; /* unparsed bytes */
    size_t rlen;
};

/* ---- setup ------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[256] = "";
    int rc = gr_geodb_open_scan_buffer(GR_GEODB_SCAN_BSEARCH, fz_msg_csv, strlen(fz_msg_csv),
                                       &fz_msg.db, err, sizeof err);
    FZ_CHECK(rc == GR_GEODB_OK, "test database: %s", err);
    for (unsigned v = 0; v < 2; v++) {
        FZ_CHECK(gr_cache_create(fz_msg_variants[v], NULL, &fz_msg.cache[v]) == GR_CACHE_OK,
                 "cache %s", fz_msg_variants[v]);
        gr_resolver_config rcfg = {.db = fz_msg.db, .cache = fz_msg.cache[v]};
        FZ_CHECK(gr_resolver_create(&rcfg, &fz_msg.resolver[v]) == 0, "resolver");
    }
    FZ_CHECK(gr_access_parse(&fz_msg.access, GR_ACCESS_BLOCK, "CN,RU", err, sizeof err) == 0,
             "access rule: %s", err);
    FZ_CHECK(gr_cidr_parse("127.0.0.0/8", 11, &fz_msg.loopback) == GR_IP_OK, "cidr");
    FZ_CHECK(gr_cidr_parse("::/0", 4, &fz_msg.everyone) == GR_IP_OK, "cidr");
    for (unsigned i = 0; i < FZ_MSG_PEERS; i++) {
        const char *t = fz_msg_peer_text[i], *c = fz_msg_peer_cidr[i];
        FZ_CHECK(gr_ip_parse(t, strlen(t), &fz_msg.peer[i]) == GR_IP_OK, "peer %s", t);
        gr_ip_format(&fz_msg.peer[i], fz_msg.peerstr[i], sizeof fz_msg.peerstr[i]);
        FZ_CHECK(gr_cidr_parse(c, strlen(c), &fz_msg.peer_cidr[i][0]) == GR_IP_OK, "cidr %s", c);
        fz_msg.peer_cidr[i][1] = fz_msg.loopback;
    }
    return 0;
}

static void
fz_msg_options(const uint8_t *data, size_t payload, struct fz_msg_opts *o)
{
    static const size_t steps[4] = {0, 1, 3, 61};
    memset(o, 0, sizeof *o);
    o->peer = data[0] & 3u;
    o->trust = (data[0] >> 2) & 3u;
    o->variant = (data[0] >> 5) & 1u;
    gr_req_mode mode = (data[0] & 0x10) ? GR_REQ_MODE_ZORAXY : GR_REQ_MODE_REALIP;
    switch (o->trust) {
    case 0: /* only loopback hops are trusted; the peer is not */
        o->policy = (gr_req_policy){GR_REQ_TRUST_LIST, &fz_msg.loopback, 1, mode, NULL};
        break;
    case 1:
        o->policy = (gr_req_policy){GR_REQ_TRUST_LIST, fz_msg.peer_cidr[o->peer], 2, mode, NULL};
        break;
    case 2:
        o->policy = (gr_req_policy){GR_REQ_TRUST_ALL, NULL, 0, mode, NULL};
        break;
    default:
        o->policy = (gr_req_policy){GR_REQ_TRUST_LIST, &fz_msg.everyone, 1, mode, NULL};
        break;
    }
    o->peer_trusted = o->trust != 0;
    o->first = payload ? data[1] % (payload + 1) : 0;
    o->step = steps[data[0] >> 6];
}

/* ---- one connection, fed as proxy_client.c feeds it ----------------------------------- */

static struct fz_msg_conn *
fz_msg_conn_of(http_parser *hp)
{
    return GR_CONTAINER_OF(hp->data, struct fz_msg_conn, req);
}

static int
fz_msg_on_begin(http_parser *hp)
{
    struct fz_msg_conn *c = fz_msg_conn_of(hp);
    c->in_message = true;
    gr_msg_reset(&c->req);
    return 0;
}

static int
fz_msg_on_headers(http_parser *hp)
{
    struct fz_msg_conn *c = fz_msg_conn_of(hp);
    if (gr_msg_end_head(&c->req))
        return -1;
    if (hp->content_length != ULLONG_MAX && hp->content_length > c->req.max_body) {
        c->req.error = GR_MSG_BODY_TOO_LARGE;
        return -1;
    }
    return 0;
}

static int
fz_msg_on_complete(http_parser *hp)
{
    struct fz_msg_conn *c = fz_msg_conn_of(hp);
    c->keep_alive = http_should_keep_alive(hp) != 0;
    c->in_message = false;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings fz_msg_settings = {
    .on_message_begin = fz_msg_on_begin,
    .on_url = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = fz_msg_on_headers,
    .on_body = gr_msg_on_body,
    .on_message_complete = fz_msg_on_complete,
};

static void
fz_msg_record(struct fz_msg_conn *c, int status, const struct gr_buf *up)
{
    struct fz_msg_run *r = c->run;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct fz_msg_served *v = realloc(r->v, cap * sizeof *v);
        FZ_CHECK(v != NULL, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    struct fz_msg_served *s = &r->v[r->n++];
    s->status = status;
    s->off = r->up.len;
    s->len = up ? up->len : 0;
    if (up)
        FZ_CHECK(gr_buf_add(&r->up, up->p, up->len) == 0, "out of memory");
}

/* The status the proxy answers a refused stream with (proxy_client.c). */
static int
fz_msg_refusal(const struct fz_msg_conn *c)
{
    switch (c->req.error) {
    case GR_MSG_HEAD_TOO_LARGE:
        return 431;
    case GR_MSG_BODY_TOO_LARGE:
        return 413;
    case GR_MSG_NOMEM:
        return 500;
    case GR_MSG_BAD_FIELD_NAME:
    case GR_MSG_BAD_FIELD_VALUE:
    case GR_MSG_BAD_TARGET:
    case GR_MSG_BAD_FRAMING:
        return 400;
    case GR_MSG_OK:
        break;
    }
    switch (HTTP_PARSER_ERRNO(&c->parser)) {
    case HPE_INVALID_VERSION:
        return 505;
    case HPE_INVALID_METHOD:
        return 501;
    case HPE_HEADER_OVERFLOW:
        return 431;
    default:
        return 400;
    }
}

static const char *
fz_msg_header(void *ctx, const char *name, size_t nth, size_t *len)
{
    return gr_msg_header_nth(ctx, name, nth, len);
}

/* A forwarded request: build it, and with a model, hold it to the oracle. */
static void
fz_msg_forward(struct fz_msg_conn *c, size_t index, const char *geo)
{
    const struct fz_msg_opts *o = c->o;
    const struct gr_request_out r = {&c->req,
                                     (enum http_method)c->parser.method,
                                     fz_msg.peerstr[o->peer],
                                     o->peer_trusted,
                                     geo,
                                     FZ_MSG_DEFAULT_HOST,
                                     0};
    FZ_CHECK(gr_request_build(&r, &c->out) == 0, "gr_request_build: out of memory");
    if (c->model && getenv("GEORACE_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz_proxy_msg: upstream request %zu:\n%.*s\n", index + 1, (int)c->out.len,
                c->out.p);
    if (c->model) {
        const struct fz_up_expect exp = {fz_msg.peerstr[o->peer], o->peer_trusted,
                                         geo[0] ? geo : "-", FZ_MSG_DEFAULT_HOST, false};
        fz_up_check(&c->model->v[index], &exp, c->out.p, c->out.len);
    }
    fz_msg_record(c, 200, &c->out);
}

/* gr_worker_handle without the sockets: one complete message. */
static void
fz_msg_serve(struct fz_msg_conn *c)
{
    const struct fz_msg_opts *o = c->o;
    size_t index = c->run->n;
    if (c->model) {
        FZ_CHECK(index < c->model->n && c->model->v[index].complete,
                 "the proxy completed request %zu, an independent parse did not", index + 1);
        FZ_CHECK(c->model->v[index].keep_alive == c->keep_alive,
                 "request %zu: keep-alive %d for the proxy, %d for an independent parse", index + 1,
                 c->keep_alive, c->model->v[index].keep_alive);
    }
    int status = 0;
    const char *why;
    if (c->parser.http_major != 1 || c->parser.http_minor > 1)
        status = 505;
    else if (c->parser.method == HTTP_CONNECT)
        status = 405;
    else if (c->parser.upgrade)
        status = 501;
    else
        status = gr_request_check(&c->req, &c->parser, &why);
    if (status) {
        fz_msg_record(c, status, NULL);
        c->closed = true;
        return;
    }
    const char *t = gr_msg_start(&c->req);
    if (!strncmp(t, "/-/metrics", 10) && (t[10] == '\0' || t[10] == '?')) {
        fz_msg_record(c, FZ_MSG_METRICS, NULL); /* answered by the proxy itself */
        c->closed = !c->keep_alive;
        return;
    }

    const gr_decide_rules rules = {&o->policy, fz_msg.resolver[o->variant], &fz_msg.access, false};
    gr_decide_result d;
    gr_decide(&rules, &fz_msg.peer[o->peer], fz_msg_header, &c->req, &d);
    char geo[32] = "";
    if (d.verdict != GR_DECIDE_BAD_REQUESTER) {
        if (d.answer.kind == GR_ANSWER_COUNTRY)
            gr_country_str(d.answer.country, geo);
        else if (d.answer.kind == GR_ANSWER_ZONE)
            snprintf(geo, sizeof geo, "%s", gr_zone_name(d.answer.zone));
    }
    switch (d.verdict) {
    case GR_DECIDE_ALLOW:
        fz_msg_forward(c, index, geo);
        break;
    case GR_DECIDE_BLOCK:
        FZ_CHECK(!strcmp(geo, "CN") || !strcmp(geo, "RU"), "blocked %s, which is not on the list",
                 geo);
        fz_msg_record(c, 403, NULL);
        break;
    case GR_DECIDE_BAD_REQUESTER:
        fz_msg_record(c, 400, NULL);
        c->keep_alive = false; /* every 400 closes */
        break;
    case GR_DECIDE_LOOKUP_FAILED:
        fz_msg_record(c, 500, NULL);
        break;
    }
    c->closed = !c->keep_alive;
}

/* gr_client_parse: everything buffered, one message at a time. */
static void
fz_msg_parse(struct fz_msg_conn *c)
{
    while (c->rlen > 0 && !c->closed) {
        size_t n;
        enum gr_msg_feed fed =
            gr_msg_feed(&c->req, &c->parser, &fz_msg_settings, c->buf, c->rlen, &n);
        if (fed != GR_MSG_FEED_MESSAGE) {
            c->rlen = 0;
            if (fed == GR_MSG_FEED_REFUSED) {
                c->run->end = fz_msg_refusal(c);
                if (getenv("GEORACE_FUZZ_VERBOSE"))
                    fprintf(stderr, "refused: msg error %d, parser %s\n", c->req.error,
                            http_errno_name(HTTP_PARSER_ERRNO(&c->parser)));
                c->closed = true;
            }
            return;
        }
        size_t left = c->parser.upgrade ? 0 : c->rlen - n;
        memmove(c->buf, c->buf + n, left);
        c->rlen = left;
        fz_msg_serve(c);
        if (!c->closed) {
            gr_msg_reset(&c->req);
            http_parser_pause(&c->parser, 0);
        }
    }
}

/* Feed `data` in pieces: `first` bytes, then `step` at a time (0: the rest
 * at once). */
static void
fz_msg_feed(const struct fz_msg_opts *o, const struct fz_up_reqs *model, const uint8_t *data,
            size_t len, size_t first, size_t step, struct fz_msg_run *run)
{
    struct fz_msg_conn c = {.o = o, .model = model, .run = run};
    memset(run, 0, sizeof *run);
    http_parser_init(&c.parser, HTTP_REQUEST);
    gr_msg_init(&c.req, FZ_MSG_MAX_HEAD, FZ_MSG_MAX_BODY);
    gr_msg_set_strict(&c.req, true);
    c.parser.data = &c.req;
    c.buf = malloc(len ? len : 1);
    FZ_CHECK(c.buf != NULL, "out of memory");
    for (size_t at = 0; at < len && !c.closed;) {
        size_t n = at == 0 && first ? first : step ? step : len - at;
        if (n > len - at)
            n = len - at;
        memcpy(c.buf + c.rlen, data + at, n);
        c.rlen += n;
        at += n;
        fz_msg_parse(&c);
    }
    if (!c.closed && c.in_message)
        run->end = FZ_MSG_INCOMPLETE;
    free(c.buf);
    gr_buf_free(&c.out);
    gr_msg_free(&c.req);
}

static void
fz_msg_run_free(struct fz_msg_run *r)
{
    free(r->v);
    gr_buf_free(&r->up);
}

/* Fed whole and fed in pieces, the proxy must do the same. */
static void
fz_msg_check_split(const struct fz_msg_run *whole, const struct fz_msg_run *split,
                   const struct fz_msg_opts *o)
{
    FZ_CHECK(whole->n == split->n,
             "%zu requests served fed whole, %zu fed in pieces (first %zu, then %zu)", whole->n,
             split->n, o->first, o->step);
    for (size_t i = 0; i < whole->n; i++) {
        const struct fz_msg_served *a = &whole->v[i], *b = &split->v[i];
        FZ_CHECK(a->status == b->status, "request %zu: %d fed whole, %d fed in pieces (%zu, %zu)",
                 i + 1, a->status, b->status, o->first, o->step);
        FZ_CHECK(a->len == b->len &&
                     (!a->len || !memcmp(whole->up.p + a->off, split->up.p + b->off, a->len)),
                 "request %zu: the upstream bytes differ fed whole and in pieces (%zu, %zu):\n"
                 "%.*s\n---\n%.*s",
                 i + 1, o->first, o->step, (int)a->len, whole->up.p + a->off, (int)b->len,
                 split->up.p + b->off);
    }
    FZ_CHECK(whole->end == split->end,
             "the stream ends in %d fed whole, %d fed in pieces (%zu, %zu)", whole->end, split->end,
             o->first, o->step);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size > FZ_MSG_MAX_INPUT)
        return 0;
    if (!fz_msg.db)
        LLVMFuzzerInitialize(NULL, NULL);
    const uint8_t *bytes = data + 2;
    size_t len = size - 2;
    struct fz_msg_opts o;
    fz_msg_options(data, len, &o);

    struct fz_up_reqs model;
    fz_up_reqs_parse(&model, bytes, len);
    struct fz_msg_run whole, split;
    fz_msg_feed(&o, &model, bytes, len, 0, 0, &whole);
    fz_msg_feed(&o, NULL, bytes, len, o.first, o.step, &split);
    if (getenv("GEORACE_FUZZ_VERBOSE")) {
        fprintf(stderr, "fuzz_proxy_msg: %zu served, end %d:", whole.n, whole.end);
        for (size_t i = 0; i < whole.n; i++)
            fprintf(stderr, " %d", whole.v[i].status);
        fprintf(stderr, "\n%.*s\n", (int)whole.up.len, whole.up.p);
    }
    fz_msg_check_split(&whole, &split, &o);
    fz_msg_run_free(&whole);
    fz_msg_run_free(&split);
    fz_up_reqs_free(&model);
    return 0;
}
