/*
 * proxy_msg.c - HTTP messages as the proxy keeps them: http-parser's data
 * callbacks append the start line's variable part, header names and values
 * (each NUL-terminated, so they can be handed out as C strings) and the
 * decoded body into buffers that keep their capacity from one message to
 * the next. A callback may deliver a name or a value in several pieces when
 * it straddles two reads; which part the previous callback appended tells
 * a continuation from a new header. Limits on the head and the body turn
 * into an error code and a non-zero return, which stops the parser.
 *
 * http-parser hands a chunked body's trailer fields to the same field and
 * value callbacks as headers. Once the head is done they are trailers: their
 * bytes are counted against the head limit and dropped, so a trailer can
 * neither pose as a header (for the requester IP or any decision) nor be
 * stored half-terminated and later read past its end.
 *
 * A message from a client is also held to RFC 9112's framing, which
 * Debian's http-parser (built non-strict) does not enforce: header and
 * trailer names must be tokens (checked on each piece the field callback
 * gets), and every byte that is not body data must follow the line rules -
 * CRLF only, no line that starts with whitespace (obs-fold, " Host:"), CRLF
 * after each chunk's data. Body data reaches gr_msg_on_body; everything else
 * the parser consumed is framing, so the scan runs over the gaps between
 * body pieces (from on_body) and over the rest of each feed (from
 * gr_msg_feed), one small state machine whose state carries across
 * reads. A message split at any byte is judged as if it came whole.
 *
 * The head limit is counted by that same scan, byte by byte as received:
 * the framing bytes of a message up to its first body byte (request line
 * and header section), and after that each run between body bytes (a chunk
 * line, the trailer section). The callbacks only see tokens when they end
 * or when a read ends, so a limit they counted would be crossed at a point
 * that moves with the reads; the scan's count cannot. Which refusal a
 * message gets is decided by position: the scan stops at the first of a
 * line fault and the limit, and never runs past the byte the parser or a
 * callback refused. What the callbacks store is bounded separately (twice
 * the limit: the stored head is never larger than that for a head the
 * scan allows), so memory stays bounded before the scan runs.
 *
 * Also here: the growable byte buffer, the hop-by-hop header set and the
 * reason phrases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_msg.h"

enum { GR_MSG_PART_START, GR_MSG_PART_NAME, GR_MSG_PART_VALUE, GR_MSG_PART_DONE };

/* The framing scanner's state (gr_msg.frame). */
enum {
    GR_MSG_FRAME_LINE_START = 1, /* the next byte begins a line */
    GR_MSG_FRAME_CR = 2,         /* a CR was read: LF must follow */
    GR_MSG_FRAME_NEED_CR = 4,    /* chunk data ended: CRLF must follow */
};

/* ---- buffers ---------------------------------------------------------------- */

int
gr_buf_reserve(struct gr_buf *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < extra)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

int
gr_buf_add(struct gr_buf *b, const void *data, size_t n)
{
    if (n == 0)
        return 0; /* data may be NULL then */
    if (gr_buf_reserve(b, n))
        return -1;
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return 0;
}

int
gr_buf_adds(struct gr_buf *b, const char *s)
{
    return gr_buf_add(b, s, strlen(s));
}

int
gr_buf_addu(struct gr_buf *b, unsigned long long v)
{
    char tmp[24];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return gr_buf_add(b, tmp + i, sizeof tmp - i);
}

void
gr_buf_swap(struct gr_buf *a, struct gr_buf *b)
{
    struct gr_buf t = *a;
    *a = *b;
    *b = t;
}

void
gr_buf_trim(struct gr_buf *b, size_t keep)
{
    if (b->cap > keep)
        gr_buf_free(b);
    b->len = 0;
}

int
gr_buf_add_chunk(struct gr_buf *b, const char *data, size_t len, bool chunked, bool end)
{
    int rc = 0;
    if (len > 0) {
        if (chunked) {
            char size[24];
            int n = snprintf(size, sizeof size, "%zx\r\n", len);
            rc |= gr_buf_add(b, size, (size_t)n);
        }
        rc |= gr_buf_add(b, data, len);
        if (chunked)
            rc |= gr_buf_add(b, "\r\n", 2);
    }
    if (end && chunked)
        rc |= gr_buf_add(b, "0\r\n\r\n", 5);
    return rc ? -1 : 0;
}

void
gr_buf_free(struct gr_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ---- messages ---------------------------------------------------------------- */

void
gr_msg_init(struct gr_msg *m, size_t max_head, size_t max_body)
{
    memset(m, 0, sizeof *m);
    m->frame = GR_MSG_FRAME_LINE_START;
    m->max_head = max_head;
    m->max_body = max_body;
}

void
gr_msg_reset(struct gr_msg *m)
{
    m->run = 0;
    m->fault_at = NULL;
    m->text.len = 0;
    m->body.len = 0;
    m->body_seen = 0;
    m->n_hdrs = 0;
    m->trailer_bytes = 0;
    m->error = GR_MSG_OK;
    m->part = GR_MSG_PART_START;
    m->start_len = 0;
    /* not m->frame: the line state belongs to the byte stream, and a CR
     * read before this message began still wants its LF */
}

void
gr_msg_trim(struct gr_msg *m)
{
    gr_msg_reset(m);
    gr_buf_trim(&m->text, GR_PROXY_IDLE_KEEP);
    gr_buf_trim(&m->body, GR_PROXY_IDLE_KEEP);
    if (m->cap_hdrs > 256) {
        free(m->hdrs);
        m->hdrs = NULL;
        m->cap_hdrs = 0;
    }
}

void
gr_msg_free(struct gr_msg *m)
{
    gr_buf_free(&m->text);
    gr_buf_free(&m->body);
    free(m->hdrs);
    m->hdrs = NULL;
    m->n_hdrs = m->cap_hdrs = 0;
}

static int
gr_msg_fail(struct gr_msg *m, enum gr_msg_error e)
{
    if (m->error == GR_MSG_OK)
        m->error = e;
    return -1;
}

/* Bytes of head so far, counting ": " and CRLF per header. */
static size_t
gr_msg_head_size(const struct gr_msg *m)
{
    return m->text.len + 4u * m->n_hdrs;
}

/* What the callbacks may store: the limit itself for a lenient message; in
 * strict mode the scan holds the limit and this only bounds memory (a head
 * of n bytes stores at most 2n: a name of one byte and an empty value cost
 * 3 received bytes and 6 stored). */
static size_t
gr_msg_store_limit(const struct gr_msg *m)
{
    return m->strict ? 2 * m->max_head + 64 : m->max_head;
}

static int
gr_msg_append(struct gr_msg *m, const char *at, size_t len)
{
    if (m->max_head && gr_msg_head_size(m) + len > gr_msg_store_limit(m))
        return gr_msg_fail(m, GR_MSG_HEAD_TOO_LARGE);
    if (gr_buf_add(&m->text, at, len))
        return gr_msg_fail(m, GR_MSG_NOMEM);
    return 0;
}

/* End the piece being appended: trailing blanks of a value go, a NUL ends it. */
static int
gr_msg_terminate(struct gr_msg *m)
{
    if (m->part == GR_MSG_PART_VALUE) {
        struct gr_hdr *h = &m->hdrs[m->n_hdrs - 1];
        while (m->text.len > h->value &&
               (m->text.p[m->text.len - 1] == ' ' || m->text.p[m->text.len - 1] == '\t'))
            m->text.len--;
        h->value_len = (uint32_t)(m->text.len - h->value);
    } else if (m->part == GR_MSG_PART_NAME) {
        struct gr_hdr *h = &m->hdrs[m->n_hdrs - 1];
        h->name_len = (uint32_t)(m->text.len - h->name);
    } else if (m->part == GR_MSG_PART_START) {
        m->start_len = (uint32_t)m->text.len;
    }
    return gr_msg_append(m, "", 1);
}

/* ---- strict framing ---------------------------------------------------------- */

/* RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" /
 * "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
static bool
gr_msg_is_tchar(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/* A callback refuses the byte at `at`: the scan stops there. */
static int
gr_msg_refuse(struct gr_msg *m, const char *at, enum gr_msg_error e)
{
    m->fault_at = at;
    return gr_msg_fail(m, e);
}

static int
gr_msg_check_name(struct gr_msg *m, const char *at, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!gr_msg_is_tchar((unsigned char)at[i]))
            return gr_msg_refuse(m, at + i, GR_MSG_BAD_FIELD_NAME);
    return 0;
}

/* Run the line rules and the head limit over framing bytes [p, end). The
 * state is stored only when the bytes pass: a refused stream is not read
 * on, and a second scan of the same bytes finds the same fault. */
static int
gr_msg_scan(struct gr_msg *m, const char *p, const char *end)
{
    unsigned f = m->frame;
    size_t run = m->run;
    for (; p < end; p++) {
        char ch = *p;
        if (f & GR_MSG_FRAME_CR) {
            if (ch != '\n')
                return gr_msg_fail(m, GR_MSG_BAD_FRAMING); /* bare CR */
            f = GR_MSG_FRAME_LINE_START;
        } else if (f & GR_MSG_FRAME_NEED_CR) {
            if (ch != '\r')
                return gr_msg_fail(m, GR_MSG_BAD_FRAMING); /* chunk data not ended by CRLF */
            f = GR_MSG_FRAME_CR;
        } else if (ch == '\r') {
            f = GR_MSG_FRAME_CR;
        } else if (ch == '\n') {
            return gr_msg_fail(m, GR_MSG_BAD_FRAMING); /* bare LF */
        } else if ((f & GR_MSG_FRAME_LINE_START) && (ch == ' ' || ch == '\t')) {
            return gr_msg_fail(m, GR_MSG_BAD_FRAMING); /* obs-fold, or a name after blanks */
        } else {
            f = 0;
        }
        /* a byte past the limit is refused as too much, unless it is a
         * fault itself (as a byte the parser refuses is: the scan stops
         * before it) */
        if (m->max_head && ++run > m->max_head)
            return gr_msg_fail(m, GR_MSG_HEAD_TOO_LARGE);
    }
    m->frame = (unsigned char)f;
    m->run = run;
    return 0;
}

void
gr_msg_set_strict(struct gr_msg *m, bool strict)
{
    m->strict = strict;
    m->frame = GR_MSG_FRAME_LINE_START; /* a new stream */
}

/* RFC 9110 5.5: a field value holds no CR, LF or NUL, and the proxy
 * refuses every other control byte too (HTAB excepted); http-parser checks
 * every byte of a value but the first. */
static int
gr_msg_check_value(struct gr_msg *m, const char *at, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)at[i];
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
            return gr_msg_refuse(m, at + i, GR_MSG_BAD_FIELD_VALUE);
    }
    return 0;
}

/* RFC 9112 3.2: a request target has no whitespace or control byte (the
 * non-strict parser lets HTAB and FF through). Bytes above 0x7e are let
 * through as most servers do. */
static int
gr_msg_check_target(struct gr_msg *m, const char *at, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)at[i];
        if (ch <= 0x20 || ch == 0x7f)
            return gr_msg_refuse(m, at + i, GR_MSG_BAD_TARGET);
    }
    return 0;
}

static int
gr_msg_feed_end(struct gr_msg *m, const char *data, size_t consumed)
{
    if (!m->strict)
        return 0;
    const char *from = m->scan ? m->scan : data, *to = data + consumed;
    enum gr_msg_error found = m->error;
    m->scan = NULL;
    if (m->fault_at && m->fault_at >= from && m->fault_at < to)
        to = m->fault_at;
    /* Whatever stopped the parser (its own refusal, a callback's, a limit)
     * stopped it at a byte; a line fault or the head limit in the bytes
     * before that byte comes first in the stream, as it would had the
     * bytes come in smaller reads: it decides the refusal. */
    m->error = GR_MSG_OK;
    if (gr_msg_scan(m, from, to))
        return -1;
    m->error = found;
    return found == GR_MSG_OK ? 0 : -1;
}

enum gr_msg_feed
gr_msg_feed(struct gr_msg *m, http_parser *hp, const http_parser_settings *s, const char *data,
            size_t len, size_t *used)
{
    m->scan = data;
    size_t n = http_parser_execute(hp, s, data, len);
    enum http_errno e = HTTP_PARSER_ERRNO(hp);
    bool framed = gr_msg_feed_end(m, data, n) == 0;
    *used = n;
    if (!framed || (e != HPE_OK && e != HPE_PAUSED))
        return GR_MSG_FEED_REFUSED;
    return e == HPE_PAUSED ? GR_MSG_FEED_MESSAGE : GR_MSG_FEED_MORE;
}

int
gr_msg_on_start(http_parser *hp, const char *at, size_t len)
{
    struct gr_msg *m = hp->data;
    if (m->strict && gr_msg_check_target(m, at, len))
        return -1;
    return gr_msg_append(m, at, len);
}

/* A piece of a trailer field's name or value (the head is done): its bytes
 * are counted, whatever the reads that split it, then dropped. */
static int
gr_msg_skip_trailer(struct gr_msg *m, size_t len)
{
    m->trailer_bytes += len;
    if (!m->strict && m->max_head && m->trailer_bytes > m->max_head)
        return gr_msg_fail(m, GR_MSG_HEAD_TOO_LARGE);
    return 0;
}

int
gr_msg_on_field(http_parser *hp, const char *at, size_t len)
{
    struct gr_msg *m = hp->data;
    if (m->strict && gr_msg_check_name(m, at, len))
        return -1;
    if (m->part == GR_MSG_PART_DONE)
        return gr_msg_skip_trailer(m, len);
    if (m->part != GR_MSG_PART_NAME) {
        if (gr_msg_terminate(m))
            return -1;
        if (m->n_hdrs == m->cap_hdrs) {
            unsigned cap = m->cap_hdrs ? 2 * m->cap_hdrs : 16;
            struct gr_hdr *h = realloc(m->hdrs, cap * sizeof *h);
            if (!h)
                return gr_msg_fail(m, GR_MSG_NOMEM);
            m->hdrs = h;
            m->cap_hdrs = cap;
        }
        struct gr_hdr *h = &m->hdrs[m->n_hdrs++];
        memset(h, 0, sizeof *h);
        h->name = (uint32_t)m->text.len;
        m->part = GR_MSG_PART_NAME;
    }
    return gr_msg_append(m, at, len);
}

int
gr_msg_on_value(http_parser *hp, const char *at, size_t len)
{
    struct gr_msg *m = hp->data;
    if (m->strict && gr_msg_check_value(m, at, len))
        return -1;
    if (m->part == GR_MSG_PART_DONE)
        return gr_msg_skip_trailer(m, len);
    if (m->part != GR_MSG_PART_VALUE) {
        if (m->part != GR_MSG_PART_NAME || gr_msg_terminate(m))
            return -1;
        m->hdrs[m->n_hdrs - 1].value = (uint32_t)m->text.len;
        m->part = GR_MSG_PART_VALUE;
    }
    return gr_msg_append(m, at, len);
}

int
gr_msg_end_head(struct gr_msg *m)
{
    if (m->part == GR_MSG_PART_NAME) /* a name without a value: the parser forbids it */
        return -1;
    if (m->part != GR_MSG_PART_DONE && gr_msg_terminate(m))
        return -1;
    m->part = GR_MSG_PART_DONE;
    return 0;
}

bool
gr_msg_head_complete(const struct gr_msg *m)
{
    return m->part == GR_MSG_PART_DONE && m->error != GR_MSG_HEAD_TOO_LARGE;
}

void
gr_msg_seal(struct gr_msg *m)
{
    if (m->part == GR_MSG_PART_DONE)
        return;
    if (m->part == GR_MSG_PART_START)
        m->start_len = (uint32_t)m->text.len;
    if (gr_buf_add(&m->text, "", 1)) /* past the head limit if need be */
        m->text.len = 0;
    m->n_hdrs = 0; /* the last one may be half a header */
    m->part = GR_MSG_PART_DONE;
}

int
gr_msg_on_body(http_parser *hp, const char *at, size_t len)
{
    struct gr_msg *m = hp->data;
    if (m->strict) {
        if (m->scan && gr_msg_scan(m, m->scan, at))
            return -1;
        m->scan = at + len;
        m->run = 0;
        if ((hp->flags & F_CHUNKED) && hp->content_length == 0)
            m->frame |= GR_MSG_FRAME_NEED_CR;
    }
    if (m->body_seen + len > m->max_body)
        return gr_msg_refuse(m, at, GR_MSG_BODY_TOO_LARGE);
    m->body_seen += len;
    if (gr_buf_add(&m->body, at, len))
        return gr_msg_fail(m, GR_MSG_NOMEM);
    return 0;
}

const char *
gr_msg_start(const struct gr_msg *m)
{
    return m->text.len ? m->text.p : "";
}

size_t
gr_msg_start_len(const struct gr_msg *m)
{
    return m->start_len;
}

const char *
gr_msg_name(const struct gr_msg *m, unsigned i)
{
    return m->text.p + m->hdrs[i].name;
}

const char *
gr_msg_value(const struct gr_msg *m, unsigned i)
{
    return m->text.p + m->hdrs[i].value;
}

const char *
gr_msg_header(const struct gr_msg *m, const char *name)
{
    size_t len = strlen(name);
    int first = name[0] | 0x20;
    for (unsigned i = 0; i < m->n_hdrs; i++) {
        const char *n = gr_msg_name(m, i);
        if (m->hdrs[i].name_len == len && (n[0] | 0x20) == first && !strcasecmp(n, name))
            return gr_msg_value(m, i);
    }
    return NULL;
}

const char *
gr_msg_header_nth(const struct gr_msg *m, const char *name, size_t nth, size_t *vlen)
{
    size_t len = strlen(name);
    for (unsigned i = 0; i < m->n_hdrs; i++) {
        if (m->hdrs[i].name_len == len && !strcasecmp(gr_msg_name(m, i), name) && nth-- == 0) {
            *vlen = m->hdrs[i].value_len;
            return gr_msg_value(m, i);
        }
    }
    return NULL;
}

bool
gr_msg_is_framing_lookalike(const char *name, size_t len)
{
    return (len > 17 && !strncasecmp(name, "Transfer-Encoding", 17)) ||
           (len > 14 && !strncasecmp(name, "Content-Length", 14));
}

/* The length and first letter rule out most names before any strcasecmp:
 * this runs for every header of every message. */
bool
gr_msg_is_hop_header(const char *name, size_t len)
{
    switch (name[0] | 0x20) {
    case 'c':
        return (len == 10 && !strcasecmp(name, "Connection")) ||
               (len >= 14 && !strncasecmp(name, "Content-Length", 14));
    case 'e':
        return len == 6 && !strcasecmp(name, "Expect"); /* the proxy answers 100-continue */
    case 'k':
        return len == 10 && !strcasecmp(name, "Keep-Alive");
    case 'p':
        return (len == 16 && !strcasecmp(name, "Proxy-Connection")) ||
               (len == 18 && !strcasecmp(name, "Proxy-Authenticate")) ||
               (len == 19 && !strcasecmp(name, "Proxy-Authorization"));
    case 't':
        return (len == 2 && !strcasecmp(name, "TE")) ||
               (len == 7 && !strcasecmp(name, "Trailer")) ||
               (len >= 17 && !strncasecmp(name, "Transfer-Encoding", 17));
    case 'u':
        return len == 7 && !strcasecmp(name, "Upgrade");
    case 'x':
        return len == 13 && !strcasecmp(name, "X-Geo-Country");
    default:
        return false;
    }
}

/* The tokens of a message's Connection lines: the names of the headers
 * meant for the next hop alone (RFC 9110 7.6.1). */
#define GR_MSG_MAX_CONN_TOKENS 32
struct gr_msg_conn_tokens {
    const char *p[GR_MSG_MAX_CONN_TOKENS];
    size_t len[GR_MSG_MAX_CONN_TOKENS];
    unsigned n;
    bool overflow; /* more than kept: every end-to-end header is in doubt */
};

static bool
gr_msg_is_ows(char c)
{
    return c == ' ' || c == '\t';
}

static void
gr_msg_conn_tokens(const struct gr_msg *m, struct gr_msg_conn_tokens *t)
{
    size_t len;
    const char *v;
    t->n = 0;
    t->overflow = false;
    for (size_t nth = 0; (v = gr_msg_header_nth(m, "Connection", nth, &len)) != NULL; nth++) {
        const char *end = v + len;
        while (v < end) {
            while (v < end && (gr_msg_is_ows(*v) || *v == ','))
                v++;
            const char *tok = v;
            while (v < end && *v != ',' && !gr_msg_is_ows(*v))
                v++;
            if (v == tok)
                continue;
            if (t->n == GR_MSG_MAX_CONN_TOKENS) {
                t->overflow = true;
                return;
            }
            t->p[t->n] = tok;
            t->len[t->n++] = (size_t)(v - tok);
        }
    }
}

static bool
gr_msg_conn_named(const struct gr_msg_conn_tokens *t, const char *name, size_t len)
{
    if (len == 4 && !strncasecmp(name, "Host", 4))
        return false;
    if (t->overflow)
        return true;
    for (unsigned i = 0; i < t->n; i++)
        if (t->len[i] == len && !strncasecmp(t->p[i], name, len))
            return true;
    return false;
}

int
gr_msg_copy_headers(const struct gr_msg *m, struct gr_buf *out, gr_msg_skip_fn skip, void *ctx)
{
    struct gr_msg_conn_tokens conn;
    gr_msg_conn_tokens(m, &conn);
    for (unsigned i = 0; i < m->n_hdrs; i++) {
        const struct gr_hdr *h = &m->hdrs[i];
        const char *name = m->text.p + h->name;
        if (gr_msg_is_hop_header(name, h->name_len) ||
            gr_msg_conn_named(&conn, name, h->name_len) || (skip && skip(name, h->name_len, ctx)))
            continue;
        if (gr_buf_reserve(out, h->name_len + h->value_len + 4))
            return -1;
        char *p = out->p + out->len;
        memcpy(p, name, h->name_len);
        p += h->name_len;
        *p++ = ':';
        *p++ = ' ';
        memcpy(p, m->text.p + h->value, h->value_len);
        p += h->value_len;
        *p++ = '\r';
        *p++ = '\n';
        out->len = (size_t)(p - out->p);
    }
    return 0;
}

const char *
gr_http_reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Payload Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
