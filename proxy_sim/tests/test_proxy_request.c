/*
 * test_proxy_request.c - what the proxy refuses in a request and what it
 * sends upstream, on messages parsed by the real http-parser through the
 * proxy's own callbacks:
 *   - the strict framing rules (proxy_msg.c) refuse bare LF, bare CR,
 *     obs-fold, whitespace before a colon or a name, non-token names and
 *     chunk data without its CRLF, whatever the split of the bytes
 *     (whole, every two-piece cut, byte by byte), and accept the same
 *     messages spelled correctly at every split;
 *   - the head checks (proxy_request.c): Host count, Host syntax,
 *     absolute-form against Host;
 *   - the upstream request: hop-by-hop, Connection-named and identity
 *     headers removed, X-Forwarded-For rebuilt by trust, X-Geo-Country
 *     added, absolute-form turned into origin-form, values copied by length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gr_test.h"
#include "proxy_msg.h"
#include "proxy_request.h"

static int
on_headers(http_parser *hp)
{
    return gr_msg_end_head(hp->data);
}

static int
on_complete(http_parser *hp)
{
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_url = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = on_headers,
    .on_body = gr_msg_on_body,
    .on_message_complete = on_complete,
};

/* Parse one request fed in pieces of at most `step` bytes after a first
 * piece of `first` bytes (0: no first cut), as the proxy feeds its reads.
 * 1 when the message was complete and accepted, 0 when refused. */
static int
parse_request(struct gr_msg *m, http_parser *hp, const char *text, size_t len, size_t first,
              size_t step)
{
    http_parser_init(hp, HTTP_REQUEST);
    hp->data = m;
    gr_msg_reset(m);
    gr_msg_set_strict(m, true); /* a new stream */
    size_t at = 0;
    while (at < len) {
        size_t n = at == 0 && first ? first : step;
        if (n > len - at)
            n = len - at;
        size_t done;
        enum gr_msg_feed fed = gr_msg_feed(m, hp, &settings, text + at, n, &done);
        if (fed == GR_MSG_FEED_REFUSED)
            return 0;
        if (fed == GR_MSG_FEED_MESSAGE)
            return 1;
        at += done;
    }
    return 0; /* incomplete */
}

/* The verdict for every split: -1 when the splits disagree. */
static int
verdict_at_every_split(const char *text)
{
    size_t len = strlen(text);
    struct gr_msg m;
    http_parser hp;
    gr_msg_init(&m, 8192, 8192);
    gr_msg_set_strict(&m, true);
    int whole = parse_request(&m, &hp, text, len, 0, len);
    int verdict = whole;
    for (size_t cut = 1; cut < len && verdict == whole; cut++)
        if (parse_request(&m, &hp, text, len, cut, len) != whole)
            verdict = -1;
    if (verdict == whole && parse_request(&m, &hp, text, len, 0, 1) != whole)
        verdict = -1;
    gr_msg_free(&m);
    return verdict;
}

static const char *const refused[] = {
    "GET / HTTP/1.1\nHost: x\r\n\r\n",                    /* bare LF ends the request line */
    "GET / HTTP/1.1\r\nHost: x\n\r\n",                    /* bare LF ends a header */
    "GET / HTTP/1.1\r\nHost: x\r\n\n",                    /* bare LF ends the head */
    "GET / HTTP/1.1\r\nHost: x\rX-A: b\r\n\r\n",          /* bare CR */
    "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n",  /* obs-fold */
    "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\t\r\n\r\n",  /* obs-fold, blank */
    "GET / HTTP/1.1\r\nX-A: a\r\n Host: x\r\n\r\n",       /* a name after a blank */
    "GET / HTTP/1.1\r\nHost : x\r\n\r\n",                 /* space before the colon */
    "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",                /* tab before the colon */
    "GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n",       /* a separator in a name */
    "GET / HTTP/1.1\r\nHost: x\r\nX-\xc3\xa9: b\r\n\r\n", /* a high byte in a name */
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 5\r\n\r\n"
     "0\r\n\r\n"), /* CL.TE smuggling spelling */
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\rXabc\r\n0\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\n",
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T : 1\r\n\r\n",
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\nabc",
    "GET / HTTP/1.1\r\nHost: x\r\nX-A: \x01b\r\n\r\n", /* a control byte first */
    "GET / HTTP/1.1\r\nHost: x\r\nX-A: b\x7f\r\n\r\n", /* DEL in a value */
    "GET /\t HTTP/1.1\r\nHost: x\r\n\r\n",             /* HTAB in the target */
    "GET /\f HTTP/1.1\r\nHost: x\r\n\r\n",             /* FF in the target */
    "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: \x02\r\n\r\n",
};

static const char *const accepted[] = {
    "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Blank:   \r\nX-A: a b\tc \r\n\r\n",
    "\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", /* an empty line before the request */
    "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\na\nb",
    ("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     "3;ext=1\r\na\rb\r\n2\r\n\r\n\r\n0\r\nX-T: 1\r\n\r\n"),
    "GET / HTTP/1.1\r\nHost: x\r\nX-!#$%&'*+-.^_`|~09az: t\r\n\r\n",
};

static void
request_framing_refused_at_every_split(void)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        int v = verdict_at_every_split(refused[i]);
        if (v != 0)
            fprintf(stderr, "refused[%zu]: verdict %d\n", i, v);
        CU_ASSERT_EQUAL(v, 0);
    }
}

static void
request_framing_accepted_at_every_split(void)
{
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        int v = verdict_at_every_split(accepted[i]);
        if (v != 1)
            fprintf(stderr, "accepted[%zu]: verdict %d\n", i, v);
        CU_ASSERT_EQUAL(v, 1);
    }
}

/* How a request ends under a head limit: 'A' accepted, 'P' the parser
 * refused it, 'I' incomplete, else the message layer's error as a digit. */
static char
outcome(struct gr_msg *m, const char *text, size_t len, size_t first, size_t step)
{
    http_parser hp;
    if (parse_request(m, &hp, text, len, first, step))
        return 'A';
    if (m->error != GR_MSG_OK)
        return (char)('0' + m->error);
    return HTTP_PARSER_ERRNO(&hp) != HPE_OK ? 'P' : 'I';
}

/* The outcome of `text` under max_head: the same at every split, or '?'. */
static char
outcome_at_every_split(const char *text, size_t max_head)
{
    size_t len = strlen(text);
    struct gr_msg m;
    gr_msg_init(&m, max_head, 8192);
    char whole = outcome(&m, text, len, 0, len), verdict = whole;
    for (size_t cut = 1; cut < len && verdict == whole; cut++)
        if (outcome(&m, text, len, cut, len) != whole)
            verdict = '?';
    for (size_t step = 1; step <= 7 && verdict == whole; step += 2)
        if (outcome(&m, text, len, 0, step) != whole)
            verdict = '?';
    gr_msg_free(&m);
    return verdict;
}

/* The head limit counts received bytes, so a refused byte before the limit
 * and one after it are told apart by position, not by how the reads split
 * the message: a fault the parser finds, one a callback finds and one the
 * line scan finds, each before and past the limit, in the head and in the
 * trailer section. */
static void
request_limit_or_fault_decided_by_position_at_every_split(void)
{
    static const char *const faults[] = {"@: b\r\n\r\n", "\x01\r\n\r\n", "\n\r\n"};
    static const char head[] = "GET / HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    static const char chunked[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                                  "\r\n1\r\nz\r\n0\r\nX-Pad: "; /* 12 bytes after z */
    char text[256];
    for (size_t f = 0; f < 3; f++) {
        for (size_t pad = 20; pad <= 60; pad++) {
            for (int in_trailer = 0; in_trailer < 2; in_trailer++) {
                const char *start = in_trailer ? chunked : head;
                size_t before = in_trailer ? 12 : sizeof head - 1;
                char pads[64];
                memset(pads, 'a', sizeof pads);
                snprintf(text, sizeof text, "%s%.*s%s%s", start, (int)pad, pads,
                         f == 0 ? "\r\n" : "", faults[f]);
                /* the refused byte sits at offset before + pad (+ 2) of the
                 * run; the limit decides when more than 64 bytes precede it */
                size_t fault_at = before + pad + (f == 0 ? 2 : 0);
                char got = outcome_at_every_split(text, 64);
                char want_limit = (char)('0' + GR_MSG_HEAD_TOO_LARGE);
                if (got == '?' || (fault_at > 64) != (got == want_limit))
                    fprintf(stderr, "fault %zu pad %zu %s: outcome %c\n", f, pad,
                            in_trailer ? "trailer" : "head", got);
                CU_ASSERT(got != '?');
                CU_ASSERT_EQUAL(fault_at > 64, got == want_limit);
            }
        }
    }
}

/* Parse a whole request (strict); the head check's status. */
static int
check_head(const char *text)
{
    struct gr_msg m;
    http_parser hp;
    const char *why = NULL;
    gr_msg_init(&m, 8192, 8192);
    gr_msg_set_strict(&m, true);
    int status = -1;
    if (parse_request(&m, &hp, text, strlen(text), 0, strlen(text)) == 1) {
        status = gr_request_check(&m, &hp, &why);
        CU_ASSERT(status == 0 || (why && !strncmp(why, "400 ", 4)));
    }
    gr_msg_free(&m);
    return status;
}

static void
request_head_rules_host_and_absolute_form(void)
{
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.0\r\n\r\n"), 0);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: x\r\nHost: x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: x\r\nhost: y\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: x y\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: x/y\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), 0);
    CU_ASSERT_EQUAL(check_head("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    CU_ASSERT_EQUAL(check_head("GET http://X:80/a HTTP/1.1\r\nHost: x:80\r\n\r\n"), 0);
    CU_ASSERT_EQUAL(check_head("GET http://y/a HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET http://x:81/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET http://u@x/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("GET http://x HTTP/1.0\r\n\r\n"), 400);
    CU_ASSERT_EQUAL(check_head("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                    400);
}

/* http-parser 2.9 frames by a name that only starts with Transfer-Encoding:
 * such names, and Content-Length's kind, never pass; the real ones do. */
static void
request_head_rules_refuse_framing_lookalike_names(void)
{
    static const char *const lookalikes[] = {
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encodingx: a\r\nTransfer-Encoding: "
        "chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTRANSFER-ENCODING-2: "
        "chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length-X: 9\r\nContent-Length: 1\r\n\r\na",
        "GET / HTTP/1.1\r\ncontent-lengthy: 1\r\nHost: x\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof lookalikes / sizeof lookalikes[0]; i++) {
        int status = check_head(lookalikes[i]); /* -1: the parser refused it first */
        CU_ASSERT(status == 400 || (i == 1 && status == -1));
    }
    CU_ASSERT_EQUAL(check_head("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                               "chunked\r\nContent-Type: a\r\n\r\n0\r\n\r\n"),
                    0);
    CU_ASSERT_EQUAL(check_head("POST / HTTP/1.1\r\nHost: x\r\nContent-Lengt: 2\r\n"
                               "Transfer-Encodin: 3\r\nContent-Length: 1\r\n\r\na"),
                    0);
}

/* The upstream request for `text` from a peer trusted or not. */
static char *
upstream_request(const char *text, bool trusted, const char *geo)
{
    struct gr_msg m;
    http_parser hp;
    struct gr_buf out = {0};
    gr_msg_init(&m, 8192, 8192);
    gr_msg_set_strict(&m, true);
    char *s = NULL;
    if (parse_request(&m, &hp, text, strlen(text), 0, strlen(text)) == 1) {
        const struct gr_request_out r = {
            &m, (enum http_method)hp.method, "127.0.0.1", trusted, geo, "up:80", 0};
        if (gr_request_build(&r, &out) == 0 && gr_buf_add(&out, "", 1) == 0)
            s = strdup(out.p);
    }
    gr_buf_free(&out);
    gr_msg_free(&m);
    return s;
}

static void
request_upstream_drops_hop_connection_named_and_identity_headers(void)
{
    char *s = upstream_request("GET /p HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, X-Secret, "
                               "Host\r\nX-Secret: 1\r\nKeep-Alive: 5\r\nTE: trailers\r\n"
                               "X-Real-Ip: 1.2.3.4\r\nCF-Connecting-IP: 1.2.3.4\r\n"
                               "Fastly-Client-IP: 1.2.3.4\r\nTrue-Client-IP: 1.2.3.4\r\n"
                               "Forwarded: for=1.2.3.4\r\nX-Geo-Country: US\r\nX-Keep: yes\r\n"
                               "\r\n",
                               true, "DE");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "GET /p HTTP/1.1\r\nHost: h\r\nX-Keep: yes\r\n"
                              "X-Forwarded-For: 127.0.0.1\r\nX-Geo-Country: DE\r\n\r\n");
    free(s);
    /* connection options name headers too (RFC 9110 7.6.1) */
    s = upstream_request("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nClose: 1\r\n"
                         "X-Keep: yes\r\n\r\n",
                         true, "DE");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "GET / HTTP/1.1\r\nHost: h\r\nX-Keep: yes\r\n"
                              "X-Forwarded-For: 127.0.0.1\r\nX-Geo-Country: DE\r\n\r\n");
    free(s);
}

static void
request_upstream_forwarded_for_kept_only_from_trusted_peers(void)
{
    const char *req = "POST http://h/a?b HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 1.1.1.1, 2.2.2.2"
                      "\r\nX-Forwarded-For: 3.3.3.3\r\nContent-Length: 2\r\n\r\nhi";
    char *s = upstream_request(req, true, "Loopback");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "POST /a?b HTTP/1.1\r\nHost: h\r\n"
                              "X-Forwarded-For: 1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1\r\n"
                              "X-Geo-Country: Loopback\r\nContent-Length: 2\r\n\r\nhi");
    free(s);
    s = upstream_request(req, false, "");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "POST /a?b HTTP/1.1\r\nHost: h\r\nX-Forwarded-For: 127.0.0.1\r\n"
                              "X-Geo-Country: -\r\nContent-Length: 2\r\n\r\nhi");
    free(s);
    s = upstream_request("GET / HTTP/1.0\r\n\r\n", false, "US");
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "GET / HTTP/1.1\r\nHost: up:80\r\nX-Forwarded-For: 127.0.0.1\r\n"
                              "X-Geo-Country: US\r\n\r\n");
    free(s);
}

static CU_TestInfo tests[] = {
    GR_TEST(request_framing_refused_at_every_split),
    GR_TEST(request_framing_accepted_at_every_split),
    GR_TEST(request_limit_or_fault_decided_by_position_at_every_split),
    GR_TEST(request_head_rules_host_and_absolute_form),
    GR_TEST(request_head_rules_refuse_framing_lookalike_names),
    GR_TEST(request_upstream_drops_hop_connection_named_and_identity_headers),
    GR_TEST(request_upstream_forwarded_for_kept_only_from_trusted_peers),
    GR_TEST_END,
};

GR_TEST_MAIN("proxy_request", tests, NULL, NULL)
