/*
 * upstream_oracle.c - the differential oracle of the proxy targets (see
 * upstream_oracle.h).
 *
 * Nothing here calls the proxy: the rules are written out again from RFC
 * 9110/9112 and the proxy's documented contract (proxy_request.h), so a
 * mistake in the proxy's header tables, its Connection parsing, its
 * framing or its copying shows up as a disagreement.
 *
 * Reading the upstream bytes twice is the point of the line scanner: the
 * lenient parser the proxy's own upstream would use accepts bare LF,
 * folds, spaces before a colon and leading CRLFs, and the scanner does not.
 * A request only passes when a strict reader and a lenient one see the same
 * message in it, which is what rules out smuggling between the proxy and
 * any upstream.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

#include "fuzz_input.h"
#include "upstream_oracle.h"

enum { FZ_UP_PART_NONE, FZ_UP_PART_URL, FZ_UP_PART_NAME, FZ_UP_PART_VALUE };

/* ---- growable storage ------------------------------------------------------------------ */

static void
fz_up_grow(char **p, size_t *cap, size_t need)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    char *np = realloc(*p, c);
    FZ_CHECK(np != NULL, "out of memory");
    *p = np;
    *cap = c;
}

static void
fz_up_text(struct fz_up_req *q, const char *at, size_t len)
{
    fz_up_grow(&q->text, &q->text_cap, q->text_len + len);
    memcpy(q->text + q->text_len, at, len);
    q->text_len += len;
}

static bool
fz_up_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* ---- the client's stream, read leniently -------------------------------------------------- */

static struct fz_up_req *
fz_up_last(http_parser *hp)
{
    struct fz_up_reqs *r = hp->data;
    return &r->v[r->n - 1];
}

/* The header being read is complete: its value loses trailing blanks. */
static void
fz_up_field_done(struct fz_up_req *q)
{
    if (q->part == FZ_UP_PART_VALUE) {
        struct fz_up_field *f = &q->hdrs[q->n_hdrs - 1];
        f->value_len = q->text_len - f->value;
        while (f->value_len && fz_up_blank(q->text[f->value + f->value_len - 1]))
            f->value_len--;
    } else if (q->part == FZ_UP_PART_NAME) {
        struct fz_up_field *f = &q->hdrs[q->n_hdrs - 1];
        f->name_len = q->text_len - f->name;
        f->value = q->text_len;
        f->value_len = 0;
    }
}

static int
fz_up_on_begin(http_parser *hp)
{
    struct fz_up_reqs *r = hp->data;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct fz_up_req *v = realloc(r->v, cap * sizeof *v);
        FZ_CHECK(v != NULL, "out of memory");
        r->v = v;
        r->cap = cap;
    }
    memset(&r->v[r->n++], 0, sizeof r->v[0]);
    return 0;
}

static int
fz_up_on_url(http_parser *hp, const char *at, size_t len)
{
    struct fz_up_req *q = fz_up_last(hp);
    q->part = FZ_UP_PART_URL;
    fz_up_text(q, at, len);
    q->target_len += len;
    return 0;
}

static int
fz_up_on_field(http_parser *hp, const char *at, size_t len)
{
    struct fz_up_req *q = fz_up_last(hp);
    if (q->head_read)
        return 0; /* a trailer: never a header */
    if (q->part != FZ_UP_PART_NAME) {
        fz_up_field_done(q);
        if (q->n_hdrs == q->cap_hdrs) {
            size_t cap = q->cap_hdrs ? 2 * q->cap_hdrs : 16;
            struct fz_up_field *h = realloc(q->hdrs, cap * sizeof *h);
            FZ_CHECK(h != NULL, "out of memory");
            q->hdrs = h;
            q->cap_hdrs = cap;
        }
        memset(&q->hdrs[q->n_hdrs++], 0, sizeof q->hdrs[0]);
        q->hdrs[q->n_hdrs - 1].name = q->text_len;
        q->part = FZ_UP_PART_NAME;
    }
    fz_up_text(q, at, len);
    return 0;
}

static int
fz_up_on_value(http_parser *hp, const char *at, size_t len)
{
    struct fz_up_req *q = fz_up_last(hp);
    if (q->head_read)
        return 0;
    if (q->part != FZ_UP_PART_VALUE) {
        fz_up_field_done(q);
        q->hdrs[q->n_hdrs - 1].value = q->text_len;
        q->part = FZ_UP_PART_VALUE;
    }
    fz_up_text(q, at, len);
    return 0;
}

static int
fz_up_on_headers(http_parser *hp)
{
    struct fz_up_req *q = fz_up_last(hp);
    fz_up_field_done(q);
    q->part = FZ_UP_PART_NONE;
    q->head_read = true;
    q->method = hp->method;
    q->major = hp->http_major;
    q->minor = hp->http_minor;
    return 0;
}

static int
fz_up_on_body(http_parser *hp, const char *at, size_t len)
{
    struct fz_up_req *q = fz_up_last(hp);
    fz_up_grow(&q->body, &q->body_cap, q->body_len + len);
    memcpy(q->body + q->body_len, at, len);
    q->body_len += len;
    return 0;
}

static int
fz_up_on_complete(http_parser *hp)
{
    struct fz_up_reqs *r = hp->data;
    struct fz_up_req *q = fz_up_last(hp);
    q->complete = true;
    q->keep_alive = http_should_keep_alive(hp) != 0;
    q->upgrade = hp->upgrade != 0;
    r->complete = r->n;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings fz_up_settings = {
    .on_message_begin = fz_up_on_begin,
    .on_url = fz_up_on_url,
    .on_header_field = fz_up_on_field,
    .on_header_value = fz_up_on_value,
    .on_headers_complete = fz_up_on_headers,
    .on_body = fz_up_on_body,
    .on_message_complete = fz_up_on_complete,
};

void
fz_up_reqs_parse(struct fz_up_reqs *r, const uint8_t *data, size_t len)
{
    http_parser hp;
    memset(r, 0, sizeof *r);
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = r;
    for (size_t off = 0; off < len;) {
        off += http_parser_execute(&hp, &fz_up_settings, (const char *)data + off, len - off);
        enum http_errno e = HTTP_PARSER_ERRNO(&hp);
        if (e == HPE_PAUSED) {
            if (hp.upgrade)
                break;
            http_parser_pause(&hp, 0);
            continue;
        }
        r->error = e != HPE_OK;
        r->why = (int)e;
        break;
    }
}

void
fz_up_reqs_free(struct fz_up_reqs *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->v[i].hdrs);
        free(r->v[i].text);
        free(r->v[i].body);
    }
    free(r->v);
    memset(r, 0, sizeof *r);
}

/* ---- the upstream bytes, read strictly ------------------------------------------------------ */

struct fz_up_line {
    const char *name, *value;
    size_t name_len, value_len;
};

/* The upstream request as the line scanner reads it. */
struct fz_up_scan {
    const char *method, *target;
    size_t method_len, target_len;
    struct fz_up_line *hdrs;
    size_t n_hdrs, cap_hdrs;
    const char *body;
    size_t body_len;
    bool chunked;  /* framed by Transfer-Encoding: chunked (a streamed body) */
    char *decoded; /* then the body, decoded (body points here) */
};

/* RFC 9110 5.6.2 tchar. */
static bool
fz_up_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool
fz_up_ieq(const char *a, size_t alen, const char *b)
{
    return alen == strlen(b) && !strncasecmp(a, b, alen);
}

static bool
fz_up_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    return alen == blen && (alen == 0 || !memcmp(a, b, alen));
}

#define FZ_UP_SHOW(p, n) (int)((n) < 160 ? (n) : 160), (p)

static void
fz_up_scan_request_line(struct fz_up_scan *s, const char *p, size_t len)
{
    size_t i = 0;
    while (i < len && fz_up_tchar((unsigned char)p[i]))
        i++;
    FZ_CHECK(i > 0 && i < len && p[i] == ' ', "upstream request line without a method: \"%.*s\"",
             FZ_UP_SHOW(p, len));
    s->method = p;
    s->method_len = i++;
    size_t t = i;
    while (i < len && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
        i++;
    FZ_CHECK(i > t && len - i == 9 && !memcmp(p + i, " HTTP/1.1", 9),
             "upstream request line is not \"METHOD SP target SP HTTP/1.1\": \"%.*s\"",
             FZ_UP_SHOW(p, len));
    s->target = p + t;
    s->target_len = i - t;
}

static void
fz_up_scan_header_line(struct fz_up_scan *s, const char *p, size_t len)
{
    FZ_CHECK(len > 0 && !fz_up_blank(p[0]), "upstream header line starts with a blank: \"%.*s\"",
             FZ_UP_SHOW(p, len));
    size_t i = 0;
    while (i < len && fz_up_tchar((unsigned char)p[i]))
        i++;
    FZ_CHECK(i > 0 && i < len && p[i] == ':', "upstream header name is not a token: \"%.*s\"",
             FZ_UP_SHOW(p, len));
    size_t v = i + 1;
    while (v < len && fz_up_blank(p[v]))
        v++;
    size_t end = len;
    while (end > v && fz_up_blank(p[end - 1]))
        end--;
    for (size_t k = v; k < end; k++)
        FZ_CHECK(((unsigned char)p[k] >= 0x20 && p[k] != 0x7f) || p[k] == '\t',
                 "a control byte 0x%02x in an upstream header value: \"%.*s\"", (unsigned char)p[k],
                 FZ_UP_SHOW(p, len));
    if (s->n_hdrs == s->cap_hdrs) {
        size_t cap = s->cap_hdrs ? 2 * s->cap_hdrs : 32;
        struct fz_up_line *h = realloc(s->hdrs, cap * sizeof *h);
        FZ_CHECK(h != NULL, "out of memory");
        s->hdrs = h;
        s->cap_hdrs = cap;
    }
    s->hdrs[s->n_hdrs++] = (struct fz_up_line){p, p + v, i, end - v};
}

/* A re-chunked body, read as strictly as the proxy writes it: hex sizes
 * without leading zeros, extensions or blanks, CRLF after each size and each
 * chunk, the last chunk "0" and then the empty line - no trailer field, and
 * no byte after it. The decoded body goes to s->decoded. */
static void
fz_up_scan_chunks(struct fz_up_scan *s, const char *p, size_t len)
{
    size_t off = 0, n = 0;
    s->decoded = malloc(len ? len : 1);
    FZ_CHECK(s->decoded != NULL, "out of memory");
    for (;;) {
        size_t size = 0, digits = 0;
        for (; off < len && isxdigit((unsigned char)p[off]); off++, digits++) {
            FZ_CHECK(digits < 15, "an upstream chunk size of more than 15 digits");
            size = size * 16 + (size_t)(isdigit((unsigned char)p[off])
                                            ? p[off] - '0'
                                            : (tolower((unsigned char)p[off]) - 'a' + 10));
        }
        FZ_CHECK(digits > 0 && (digits == 1 || p[off - digits] != '0'),
                 "an upstream chunk size line \"%.*s\"",
                 FZ_UP_SHOW(p + off - digits, len - off + digits));
        FZ_CHECK(len - off >= 2 && p[off] == '\r' && p[off + 1] == '\n',
                 "an upstream chunk size not ended by CRLF (an extension?): \"%.*s\"",
                 FZ_UP_SHOW(p + off, len - off));
        off += 2;
        if (size == 0)
            break;
        FZ_CHECK(len - off >= size + 2 && p[off + size] == '\r' && p[off + size + 1] == '\n',
                 "an upstream chunk of %zu bytes cut short or not ended by CRLF", size);
        memcpy(s->decoded + n, p + off, size);
        n += size;
        off += size + 2;
    }
    FZ_CHECK(len - off == 2 && p[off] == '\r' && p[off + 1] == '\n',
             "after the upstream's last chunk: \"%.*s\" (a trailer, or bytes after the request)",
             FZ_UP_SHOW(p + off, len - off));
    s->body = s->decoded;
    s->body_len = n;
}

/* Exactly one request, whose every head line ends in CRLF, framed by at
 * most one Content-Length, or by "Transfer-Encoding: chunked" alone, with
 * no byte after its body. */
static void
fz_up_scan(struct fz_up_scan *s, const char *up, size_t len)
{
    memset(s, 0, sizeof *s);
    size_t off = 0, cl = 0, n_cl = 0;
    bool first = true, ended = false;
    while (off < len) {
        size_t e = off;
        while (e < len && up[e] != '\r' && up[e] != '\n') /* bytes: the line's own checks */
            e++;
        FZ_CHECK(e + 1 < len && up[e] == '\r' && up[e + 1] == '\n',
                 "an upstream head line not ended by CRLF: \"%.*s\"",
                 FZ_UP_SHOW(up + off, len - off));
        const char *line = up + off;
        size_t llen = e - off;
        off = e + 2;
        if (first) {
            fz_up_scan_request_line(s, line, llen);
            first = false;
            continue;
        }
        if (llen == 0) {
            ended = true;
            break;
        }
        fz_up_scan_header_line(s, line, llen);
        const struct fz_up_line *h = &s->hdrs[s->n_hdrs - 1];
        if (fz_up_ieq(h->name, h->name_len, "Transfer-Encoding")) {
            FZ_CHECK(!s->chunked && fz_up_ieq(h->value, h->value_len, "chunked"),
                     "upstream Transfer-Encoding \"%.*s\" (only one, and only \"chunked\")",
                     FZ_UP_SHOW(h->value, h->value_len));
            s->chunked = true;
        }
        if (fz_up_ieq(h->name, h->name_len, "Content-Length")) {
            n_cl++;
            FZ_CHECK(h->value_len > 0 && h->value_len < 12, "upstream Content-Length \"%.*s\"",
                     FZ_UP_SHOW(h->value, h->value_len));
            cl = 0;
            for (size_t k = 0; k < h->value_len; k++) {
                FZ_CHECK(h->value[k] >= '0' && h->value[k] <= '9',
                         "upstream Content-Length \"%.*s\"", FZ_UP_SHOW(h->value, h->value_len));
                cl = cl * 10 + (size_t)(h->value[k] - '0');
            }
        }
    }
    FZ_CHECK(ended, "the upstream head has no empty line");
    FZ_CHECK(n_cl <= 1, "%zu Content-Length lines upstream", n_cl);
    if (s->chunked) {
        FZ_CHECK(n_cl == 0, "Content-Length and Transfer-Encoding in one upstream request");
        fz_up_scan_chunks(s, up + off, len - off);
        return;
    }
    FZ_CHECK(len - off == cl, "the upstream body is %zu bytes, Content-Length says %zu (%s)",
             len - off, cl, len - off > cl ? "bytes after the request" : "truncated");
    s->body = up + off;
    s->body_len = len - off;
}

/* ---- the comparison ------------------------------------------------------------------------ */

static bool
fz_up_is_hop(const char *n, size_t len)
{
    static const char *const hop[] = {"Connection",
                                      "Keep-Alive",
                                      "Proxy-Connection",
                                      "Proxy-Authenticate",
                                      "Proxy-Authorization",
                                      "TE",
                                      "Trailer",
                                      "Transfer-Encoding",
                                      "Upgrade",
                                      "Expect"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        if (fz_up_ieq(n, len, hop[i]))
            return true;
    return false;
}

/* Written apart from the proxy's own test, on purpose: a name that starts
 * with a framing header's name and goes on. */
static bool
fz_up_is_framing_lookalike(const char *n, size_t len)
{
    static const char *const framing[] = {"Transfer-Encoding", "Content-Length"};
    for (size_t i = 0; i < 2; i++) {
        size_t fl = strlen(framing[i]);
        if (len > fl && !strncasecmp(n, framing[i], fl))
            return true;
    }
    return false;
}

static bool
fz_up_is_identity(const char *n, size_t len)
{
    static const char *const id[] = {"X-Forwarded-For",     "X-Real-Ip",      "CF-Connecting-IP",
                                     "Fastly-Client-IP",    "True-Client-IP", "X-Client-IP",
                                     "X-Cluster-Client-IP", "Forwarded"};
    for (size_t i = 0; i < sizeof id / sizeof id[0]; i++)
        if (fz_up_ieq(n, len, id[i]))
            return true;
    return false;
}

static const char *
fz_up_name(const struct fz_up_req *q, size_t i, size_t *len)
{
    *len = q->hdrs[i].name_len;
    return q->text + q->hdrs[i].name;
}

static const char *
fz_up_value(const struct fz_up_req *q, size_t i, size_t *len)
{
    *len = q->hdrs[i].value_len;
    return q->text + q->hdrs[i].value;
}

/* The client framed its body by Transfer-Encoding: chunked. */
static bool
fz_up_client_chunked(const struct fz_up_req *q)
{
    for (size_t i = 0; i < q->n_hdrs; i++) {
        size_t nl, vl;
        const char *n = fz_up_name(q, i, &nl), *v = fz_up_value(q, i, &vl);
        if (!fz_up_ieq(n, nl, "Transfer-Encoding"))
            continue;
        for (size_t k = 0; k + 7 <= vl; k++)
            if (!strncasecmp(v + k, "chunked", 7))
                return true;
    }
    return false;
}

/* Is `name` one of the options of the client's Connection lines (RFC 9110
 * 7.6.1: comma-separated, blanks around)? *n_tokens: how many there are. */
static bool
fz_up_connection_names(const struct fz_up_req *q, const char *name, size_t nlen, size_t *n_tokens)
{
    bool found = false;
    *n_tokens = 0;
    for (size_t i = 0; i < q->n_hdrs; i++) {
        size_t len, vlen;
        const char *n = fz_up_name(q, i, &len), *v = fz_up_value(q, i, &vlen);
        if (!fz_up_ieq(n, len, "Connection"))
            continue;
        for (size_t k = 0; k < vlen;) {
            while (k < vlen && (v[k] == ',' || fz_up_blank(v[k])))
                k++;
            size_t t = k;
            while (k < vlen && v[k] != ',' && !fz_up_blank(v[k]))
                k++;
            if (k == t)
                continue;
            ++*n_tokens;
            found |= k - t == nlen && !strncasecmp(v + t, name, nlen);
        }
    }
    return found;
}

/* The client's target in origin-form, fragment cut off: an absolute-form
 * target loses its scheme and authority (which must name Host). */
static void
fz_up_expected_target(const struct fz_up_req *q, const char **path, size_t *plen, bool *slash)
{
    const char *t = q->text + q->target;
    size_t len = q->target_len;
    const char *hash = memchr(t, '#', len);
    if (hash)
        len = (size_t)(hash - t);
    *slash = false;
    if (len > 0 && (t[0] == '/' || t[0] == '*')) {
        *path = t;
        *plen = len;
        return;
    }
    const char *sep = len >= 3 ? memmem(t, len, "://", 3) : NULL;
    FZ_CHECK(sep != NULL, "a forwarded target in no form the proxy knows: \"%.*s\"",
             FZ_UP_SHOW(t, q->target_len));
    const char *auth = sep + 3, *end = t + len, *p = auth;
    while (p < end && *p != '/' && *p != '?')
        p++;
    size_t hlen = 0, n_host = 0;
    const char *host = NULL;
    for (size_t i = 0; i < q->n_hdrs; i++) {
        size_t nl;
        const char *n = fz_up_name(q, i, &nl);
        if (fz_up_ieq(n, nl, "Host")) {
            host = fz_up_value(q, i, &hlen);
            n_host++;
        }
    }
    FZ_CHECK(n_host == 1 && (size_t)(p - auth) == hlen && !strncasecmp(auth, host, hlen) &&
                 !memchr(auth, '@', hlen),
             "forwarded an absolute-form target \"%.*s\" that does not name Host",
             FZ_UP_SHOW(t, q->target_len));
    *path = p;
    *plen = (size_t)(end - p);
    *slash = *plen == 0 || p[0] == '?'; /* origin-form starts with "/" */
}

static void
fz_up_check_target(const struct fz_up_req *client, const struct fz_up_scan *s)
{
    const char *path;
    size_t plen;
    bool slash;
    fz_up_expected_target(client, &path, &plen, &slash);
    const char *t = s->target;
    size_t tlen = s->target_len;
    const char *hash = memchr(t, '#', tlen);
    if (hash) { /* a fragment may go along, but only the client's */
        const char *ch = memchr(client->text + client->target, '#', client->target_len);
        size_t flen = tlen - (size_t)(hash - t);
        FZ_CHECK(ch && (size_t)(client->text + client->target + client->target_len - ch) == flen &&
                     !memcmp(ch, hash, flen),
                 "upstream target \"%.*s\" has a fragment the client did not send",
                 FZ_UP_SHOW(t, tlen));
        tlen = (size_t)(hash - t);
    }
    bool ok = slash ? tlen == plen + 1 && t[0] == '/' && !memcmp(t + 1, path, plen)
                    : fz_up_eq(t, tlen, path, plen);
    FZ_CHECK(ok, "upstream target \"%.*s\" for client target \"%.*s\"",
             FZ_UP_SHOW(t, s->target_len),
             FZ_UP_SHOW(client->text + client->target, client->target_len));
}

/* The X-Forwarded-For the upstream must get. */
static char *
fz_up_expected_xff(const struct fz_up_req *client, const struct fz_up_expect *exp, size_t *len)
{
    size_t cap = strlen(exp->peer) + 1;
    for (size_t i = 0; i < client->n_hdrs; i++)
        cap += client->hdrs[i].value_len + 2;
    char *x = malloc(cap);
    FZ_CHECK(x != NULL, "out of memory");
    size_t n = 0;
    for (size_t i = 0; exp->peer_trusted && i < client->n_hdrs; i++) {
        size_t nl, vl;
        const char *name = fz_up_name(client, i, &nl), *v = fz_up_value(client, i, &vl);
        if (!fz_up_ieq(name, nl, "X-Forwarded-For") || vl == 0)
            continue;
        memcpy(x + n, v, vl);
        memcpy(x + n + vl, ", ", 2);
        n += vl + 2;
    }
    memcpy(x + n, exp->peer, strlen(exp->peer));
    *len = n + strlen(exp->peer);
    return x;
}

static void
fz_up_check_headers(const struct fz_up_req *client, const struct fz_up_expect *exp,
                    const struct fz_up_scan *s)
{
    bool *used = calloc(client->n_hdrs + 1, sizeof *used);
    FZ_CHECK(used != NULL, "out of memory");
    size_t n_host = 0, n_xff = 0, n_geo = 0, n_cl = 0, n_tokens = 0, xlen;
    char *xff = fz_up_expected_xff(client, exp, &xlen);
    const char *chost = NULL;
    size_t chost_len = 0, n_chost = 0;
    for (size_t i = 0; i < client->n_hdrs; i++) {
        size_t nl;
        const char *n = fz_up_name(client, i, &nl);
        if (fz_up_ieq(n, nl, "Host")) {
            chost = fz_up_value(client, i, &chost_len);
            n_chost++;
        }
    }
    FZ_CHECK(n_chost <= 1, "forwarded a request with %zu Host lines", n_chost);

    for (size_t k = 0; k < s->n_hdrs; k++) {
        const struct fz_up_line *h = &s->hdrs[k];
        if (fz_up_ieq(h->name, h->name_len, "Host")) {
            n_host++;
            FZ_CHECK(chost ? fz_up_eq(h->value, h->value_len, chost, chost_len)
                           : fz_up_eq(h->value, h->value_len, exp->default_host,
                                      strlen(exp->default_host)),
                     "upstream Host \"%.*s\", the client's was \"%.*s\"",
                     FZ_UP_SHOW(h->value, h->value_len),
                     FZ_UP_SHOW(chost ? chost : "(none)", chost ? chost_len : 6));
        } else if (fz_up_ieq(h->name, h->name_len, "X-Forwarded-For")) {
            n_xff++;
            FZ_CHECK(fz_up_eq(h->value, h->value_len, xff, xlen),
                     "upstream X-Forwarded-For \"%.*s\", expected \"%.*s\" (peer %s, %strusted)",
                     FZ_UP_SHOW(h->value, h->value_len), FZ_UP_SHOW(xff, xlen), exp->peer,
                     exp->peer_trusted ? "" : "not ");
        } else if (fz_up_ieq(h->name, h->name_len, "X-Geo-Country")) {
            n_geo++;
            FZ_CHECK(fz_up_eq(h->value, h->value_len, exp->geo, strlen(exp->geo)),
                     "upstream X-Geo-Country \"%.*s\", the decision was \"%s\"",
                     FZ_UP_SHOW(h->value, h->value_len), exp->geo);
        } else if (fz_up_ieq(h->name, h->name_len, "Content-Length")) {
            n_cl++; /* its value is the body's length: fz_up_scan */
        } else if (s->chunked && fz_up_ieq(h->name, h->name_len, "Transfer-Encoding")) {
            /* the proxy's own framing of a streamed body (fz_up_scan) */
            FZ_CHECK(exp->may_rechunk && fz_up_client_chunked(client),
                     "the upstream request is chunked, the client's was not (or the proxy "
                     "does not stream here)");
        } else {
            FZ_CHECK(!fz_up_is_hop(h->name, h->name_len),
                     "hop-by-hop \"%.*s\" reached the upstream", FZ_UP_SHOW(h->name, h->name_len));
            FZ_CHECK(!fz_up_is_framing_lookalike(h->name, h->name_len),
                     "\"%.*s\", a name a parser may frame by, reached the upstream",
                     FZ_UP_SHOW(h->name, h->name_len));
            FZ_CHECK(!fz_up_is_identity(h->name, h->name_len),
                     "identity header \"%.*s\" reached the upstream",
                     FZ_UP_SHOW(h->name, h->name_len));
            FZ_CHECK(!fz_up_connection_names(client, h->name, h->name_len, &n_tokens),
                     "\"%.*s\", named in Connection, reached the upstream",
                     FZ_UP_SHOW(h->name, h->name_len));
            size_t i = 0;
            for (; i < client->n_hdrs; i++) {
                size_t nl, vl;
                const char *n = fz_up_name(client, i, &nl), *v = fz_up_value(client, i, &vl);
                if (!used[i] && fz_up_eq(n, nl, h->name, h->name_len) &&
                    fz_up_eq(v, vl, h->value, h->value_len))
                    break;
            }
            FZ_CHECK(i < client->n_hdrs, "upstream header \"%.*s: %.*s\" the client did not send",
                     FZ_UP_SHOW(h->name, h->name_len), FZ_UP_SHOW(h->value, h->value_len));
            used[i] = true;
        }
    }
    FZ_CHECK(n_host == 1, "%zu Host lines upstream", n_host);
    FZ_CHECK(n_xff == 1, "%zu X-Forwarded-For lines upstream", n_xff);
    FZ_CHECK(n_geo == 1, "%zu X-Geo-Country lines upstream", n_geo);
    FZ_CHECK(n_cl == 1 || (n_cl == 0 && (client->body_len == 0 || s->chunked)),
             "%zu Content-Length lines upstream for a %zu-byte body", n_cl, client->body_len);

    /* ... and every end-to-end header of the client went along (the proxy
     * drops them all when Connection names more than it keeps track of). */
    for (size_t i = 0; i < client->n_hdrs; i++) {
        size_t nl, vl;
        const char *n = fz_up_name(client, i, &nl);
        if (used[i] || fz_up_ieq(n, nl, "Host") || fz_up_ieq(n, nl, "X-Geo-Country") ||
            fz_up_ieq(n, nl, "Content-Length") || fz_up_is_hop(n, nl) || fz_up_is_identity(n, nl) ||
            fz_up_connection_names(client, n, nl, &n_tokens) || n_tokens > 32)
            continue;
        const char *v = fz_up_value(client, i, &vl);
        FZ_CHECK(false, "the client's \"%.*s: %.*s\" did not reach the upstream", FZ_UP_SHOW(n, nl),
                 FZ_UP_SHOW(v, vl));
    }
    free(xff);
    free(used);
}

/* The lenient reading of the upstream bytes sees what the scanner saw. */
static void
fz_up_check_lenient(const struct fz_up_scan *s, const struct fz_up_reqs *again)
{
    FZ_CHECK(again->n == 1 && again->complete == 1 && !again->error,
             "the upstream bytes read as %zu requests (%zu complete%s%s) by a lenient parser",
             again->n, again->complete, again->error ? ", then " : "",
             again->error ? http_errno_name((enum http_errno)again->why) : "");
    const struct fz_up_req *l = &again->v[0];
    const char *lm = http_method_str((enum http_method)l->method);
    FZ_CHECK(fz_up_eq(s->method, s->method_len, lm, strlen(lm)) &&
                 fz_up_eq(s->target, s->target_len, l->text + l->target, l->target_len) &&
                 l->major == 1 && l->minor == 1,
             "the two readings of the upstream request line disagree");
    FZ_CHECK(l->n_hdrs == s->n_hdrs,
             "%zu upstream headers for the line scanner, %zu for the parser", s->n_hdrs, l->n_hdrs);
    for (size_t i = 0; i < s->n_hdrs; i++) {
        size_t nl, vl;
        const char *n = fz_up_name(l, i, &nl), *v = fz_up_value(l, i, &vl);
        FZ_CHECK(
            fz_up_eq(n, nl, s->hdrs[i].name, s->hdrs[i].name_len) &&
                fz_up_eq(v, vl, s->hdrs[i].value, s->hdrs[i].value_len),
            "upstream header %zu reads \"%.*s\" to the line scanner and \"%.*s\" to the parser", i,
            FZ_UP_SHOW(s->hdrs[i].name, s->hdrs[i].name_len), FZ_UP_SHOW(n, nl));
    }
    FZ_CHECK(fz_up_eq(s->body, s->body_len, l->body, l->body_len),
             "the two readings of the upstream body disagree");
}

void
fz_up_check(const struct fz_up_req *client, const struct fz_up_expect *exp, const char *up,
            size_t len)
{
    FZ_CHECK(client->complete, "a request was forwarded before the client finished it");
    struct fz_up_scan s;
    fz_up_scan(&s, up, len);

    /* the lenient reading sees the same one message: http-parser 2.9
     * frames by a name that only starts with "Transfer-Encoding", so none
     * may go out (fz_up_check_headers) and the two readings must agree */
    struct fz_up_reqs again;
    fz_up_reqs_parse(&again, (const uint8_t *)up, len);
    fz_up_check_lenient(&s, &again);
    fz_up_reqs_free(&again);

    /* and it is the client's request */
    const char *sm = http_method_str((enum http_method)client->method);
    FZ_CHECK(fz_up_eq(s.method, s.method_len, sm, strlen(sm)),
             "upstream method \"%.*s\", the client's was %s", FZ_UP_SHOW(s.method, s.method_len),
             sm);
    fz_up_check_target(client, &s);
    FZ_CHECK(fz_up_eq(s.body, s.body_len, client->body, client->body_len),
             "upstream body (%zu bytes) is not the client's decoded body (%zu bytes)", s.body_len,
             client->body_len);
    fz_up_check_headers(client, exp, &s);
    free(s.hdrs);
    free(s.decoded);
}
