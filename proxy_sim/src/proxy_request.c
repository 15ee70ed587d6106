/*
 * proxy_request.c - the checks a request's head must pass before the proxy
 * acts on it, and the request the upstream receives.
 *
 * http-parser checks the syntax of each line; what RFC 9110/9112 ask of
 * the head as a whole is checked here: exactly one Host in HTTP/1.1, an
 * authority in it, and an absolute-form target that names the same
 * authority (a proxy that let the two disagree would judge one host and
 * let the upstream serve another). A field name that only starts with
 * Transfer-Encoding or Content-Length is refused: http-parser 2.9 frames
 * by the first kind, so an upstream built on it would read the body
 * otherwise than the proxy sent it.
 *
 * The upstream request is rebuilt, never copied: the start line from the
 * parsed method and target (absolute-form turned into origin-form), then
 * header by header what may pass, then the headers only the proxy may
 * write. A client cannot smuggle a header past the proxy by naming it in
 * Connection (removed, as RFC 9110 7.6.1 asks), by spelling an identity
 * header (removed: the upstream learns the client only from the
 * X-Forwarded-For the proxy writes), or by hiding bytes in a value (values
 * are copied by length; the parser admits no CR or LF inside one).
 */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "proxy_request.h"

/* ---- the head's checks -------------------------------------------------------- */

/* RFC 3986 reg-name, IP-literal and port characters. */
static bool
gr_request_is_host_char(unsigned char ch)
{
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9'))
        return true;
    return ch != 0 && strchr("-._~!$&'()*+,;=%:[]", ch) != NULL;
}

static bool
gr_request_is_authority(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!gr_request_is_host_char((unsigned char)s[i]))
            return false;
    return true;
}

/* The authority of an absolute-form target, or NULL for any other form. */
static const char *
gr_request_target_authority(const char *t, size_t len, size_t *alen)
{
    const char *sep = len > 3 ? memchr(t, ':', len) : NULL;
    if (t[0] == '/' || t[0] == '*' || !sep || (size_t)(t + len - sep) < 3 || sep[1] != '/' ||
        sep[2] != '/')
        return NULL;
    const char *a = sep + 3, *end = t + len, *p = a;
    while (p < end && *p != '/' && *p != '?' && *p != '#')
        p++;
    *alen = (size_t)(p - a);
    return a;
}

int
gr_request_check(const struct gr_msg *m, const http_parser *hp, const char **why)
{
    size_t hlen = 0, n_host = 0, len;
    const char *host = NULL, *v;
    while ((v = gr_msg_header_nth(m, "Host", n_host, &len)) != NULL) {
        host = v;
        hlen = len;
        n_host++;
    }
    if (n_host > 1) {
        *why = "400 Bad Request: more than one Host header\n";
        return 400;
    }
    if (n_host == 0 && hp->http_major == 1 && hp->http_minor >= 1) {
        *why = "400 Bad Request: an HTTP/1.1 request without Host\n";
        return 400;
    }
    if (hp->http_major == 1 && hp->http_minor == 0 &&
        gr_msg_header_nth(m, "Transfer-Encoding", 0, &len)) {
        /* RFC 9112 6.1: an HTTP/1.0 sender cannot mean it; the framing is
         * faulty, whatever the parser made of it */
        *why = "400 Bad Request: Transfer-Encoding in an HTTP/1.0 request\n";
        return 400;
    }
    for (unsigned i = 0; i < m->n_hdrs; i++) {
        if (gr_msg_is_framing_lookalike(gr_msg_name(m, i), m->hdrs[i].name_len)) {
            /* a valid token, but a parser this proxy may sit in front of
             * (http-parser 2.9, the one it is built on) frames by it */
            *why = "400 Bad Request: a field name that extends Transfer-Encoding or "
                   "Content-Length\n";
            return 400;
        }
    }
    if (host && !gr_request_is_authority(host, hlen)) {
        *why = "400 Bad Request: Host is not an authority\n";
        return 400;
    }
    size_t alen;
    const char *auth = gr_request_target_authority(gr_msg_start(m), gr_msg_start_len(m), &alen);
    if (auth &&
        (memchr(auth, '@', alen) || !host || alen != hlen || strncasecmp(auth, host, alen))) {
        *why = "400 Bad Request: the target's authority is not the Host header's\n";
        return 400;
    }
    return 0;
}

/* ---- the upstream request ------------------------------------------------------- */

bool
gr_request_is_identity_header(const char *name, size_t len)
{
    /* lengths beside the names: this runs for every header of every request */
#define GR_REQUEST_NAME(s)                                                                         \
    {                                                                                              \
        s, sizeof s - 1                                                                            \
    }
    static const struct {
        const char *name;
        size_t len;
    } names[] = {
        GR_REQUEST_NAME("X-Forwarded-For"),     GR_REQUEST_NAME("X-Real-Ip"),
        GR_REQUEST_NAME("CF-Connecting-IP"),    GR_REQUEST_NAME("Fastly-Client-IP"),
        GR_REQUEST_NAME("True-Client-IP"),      GR_REQUEST_NAME("X-Client-IP"),
        GR_REQUEST_NAME("X-Cluster-Client-IP"), GR_REQUEST_NAME("Forwarded"),
    };
#undef GR_REQUEST_NAME
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].len == len && !strncasecmp(name, names[i].name, len))
            return true;
    return false;
}

static bool
gr_request_skip_identity(const char *name, size_t len, void *ctx)
{
    (void)ctx;
    return gr_request_is_identity_header(name, len);
}

static int
gr_request_add_forwarded_for(const struct gr_request_out *r, struct gr_buf *o)
{
    int rc = gr_buf_adds(o, "X-Forwarded-For: ");
    size_t len;
    const char *v;
    for (size_t nth = 0;
         r->peer_trusted && (v = gr_msg_header_nth(r->req, "X-Forwarded-For", nth, &len)) != NULL;
         nth++)
        if (len > 0)
            rc |= gr_buf_add(o, v, len) | gr_buf_add(o, ", ", 2);
    return rc | gr_buf_adds(o, r->peer) | gr_buf_add(o, "\r\n", 2);
}

/* The target in origin-form: an absolute-form target loses its scheme and
 * authority (gr_request_check made sure they match Host). */
static int
gr_request_add_target(const struct gr_msg *m, struct gr_buf *o)
{
    const char *t = gr_msg_start(m);
    size_t len = gr_msg_start_len(m), alen;
    const char *auth = gr_request_target_authority(t, len, &alen);
    if (!auth)
        return gr_buf_add(o, t, len);
    const char *rest = auth + alen;
    size_t rlen = (size_t)(t + len - rest);
    if (rlen == 0 || rest[0] != '/')
        return gr_buf_add(o, "/", 1) | (rlen && rest[0] == '?' ? gr_buf_add(o, rest, rlen) : 0);
    return gr_buf_add(o, rest, rlen);
}

int
gr_request_build(const struct gr_request_out *r, struct gr_buf *o)
{
    const struct gr_msg *m = r->req;
    o->len = 0;
    int rc = gr_buf_adds(o, http_method_str(r->method)) | gr_buf_add(o, " ", 1) |
             gr_request_add_target(m, o) | gr_buf_adds(o, " HTTP/1.1\r\n");
    rc |= gr_msg_copy_headers(m, o, gr_request_skip_identity, NULL);
    if (!gr_msg_header(m, "Host"))
        rc |= gr_buf_adds(o, "Host: ") | gr_buf_adds(o, r->default_host) | gr_buf_add(o, "\r\n", 2);
    rc |= gr_request_add_forwarded_for(r, o);
    rc |= gr_buf_adds(o, "X-Geo-Country: ") | gr_buf_adds(o, r->geo[0] ? r->geo : "-") |
          gr_buf_add(o, "\r\n", 2);
    if (r->stream_length == GR_REQUEST_CHUNKED) {
        rc |= gr_buf_adds(o, "Transfer-Encoding: chunked\r\n\r\n");
    } else if (r->stream_length != 0) {
        rc |= gr_buf_adds(o, "Content-Length: ") | gr_buf_addu(o, r->stream_length) |
              gr_buf_add(o, "\r\n\r\n", 4);
    } else {
        if (m->body.len > 0 || r->method == HTTP_POST || r->method == HTTP_PUT ||
            r->method == HTTP_PATCH)
            rc |= gr_buf_adds(o, "Content-Length: ") | gr_buf_addu(o, m->body.len) |
                  gr_buf_add(o, "\r\n", 2);
        rc |= gr_buf_add(o, "\r\n", 2) | gr_buf_add(o, m->body.p, m->body.len);
    }
    return rc ? -1 : 0;
}
