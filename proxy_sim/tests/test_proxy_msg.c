/*
 * test_proxy_msg.c - the proxy's message store (proxy_msg.c) driven by the
 * real http-parser: the same request fed whole and in every two-piece and
 * byte-by-byte split gives the same target, headers and body; values lose
 * their trailing blanks; empty values survive; head and body limits stop
 * the parser with the right error; the hop-by-hop set and header copying.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "proxy_msg.h"
#include "gr_test.h"

static int
on_headers(http_parser *hp)
{
    return gr_msg_end_head(hp->data);
}

static const http_parser_settings settings = {
    .on_url = gr_msg_on_start,
    .on_status = gr_msg_on_start,
    .on_header_field = gr_msg_on_field,
    .on_header_value = gr_msg_on_value,
    .on_headers_complete = on_headers,
    .on_body = gr_msg_on_body,
};

/* Feed `text` in pieces cut at the given offsets; the parser's errno. */
static enum http_errno
parse_split(struct gr_msg *m, enum http_parser_type type, const char *text, const size_t *cuts,
            size_t n_cuts)
{
    http_parser hp;
    http_parser_init(&hp, type);
    hp.data = m;
    gr_msg_reset(m);
    size_t at = 0, len = strlen(text);
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : len;
        size_t done = http_parser_execute(&hp, &settings, text + at, end - at);
        if (HTTP_PARSER_ERRNO(&hp) != HPE_OK)
            return HTTP_PARSER_ERRNO(&hp);
        CU_ASSERT_EQUAL(done, end - at);
        at = end;
    }
    return HPE_OK;
}

static const char request[] = "POST /a/b?c=d HTTP/1.1\r\n"
                              "Host: example.test\r\n"
                              "X-Forwarded-For:  8.8.8.8, 10.0.0.1  \r\n"
                              "X-Empty:\r\n"
                              "Connection: keep-alive\r\n"
                              "Content-Length: 5\r\n"
                              "\r\n"
                              "hello";

static void
expect_request(const struct gr_msg *m)
{
    CU_ASSERT_STRING_EQUAL(gr_msg_start(m), "/a/b?c=d");
    CU_ASSERT_EQUAL(m->n_hdrs, 5);
    CU_ASSERT_STRING_EQUAL(gr_msg_header(m, "host"), "example.test");
    CU_ASSERT_STRING_EQUAL(gr_msg_header(m, "X-FORWARDED-FOR"), "8.8.8.8, 10.0.0.1");
    CU_ASSERT_STRING_EQUAL(gr_msg_header(m, "X-Empty"), "");
    CU_ASSERT_PTR_NULL(gr_msg_header(m, "X-Missing"));
    CU_ASSERT_PTR_NULL(gr_msg_header(m, "X-Forwarded")); /* a prefix is no match */
    CU_ASSERT_EQUAL(m->body.len, 5);
    CU_ASSERT(m->body.len == 5 && !memcmp(m->body.p, "hello", 5));
}

static void
msg_same_result_for_every_split(void)
{
    struct gr_msg m;
    gr_msg_init(&m, 4096, 1024);
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_REQUEST, request, NULL, 0), HPE_OK);
    expect_request(&m);
    size_t len = strlen(request);
    for (size_t cut = 1; cut < len; cut++) {
        CU_ASSERT_EQUAL_FATAL(parse_split(&m, HTTP_REQUEST, request, &cut, 1), HPE_OK);
        expect_request(&m);
    }
    size_t *every = malloc(len * sizeof *every);
    CU_ASSERT_PTR_NOT_NULL_FATAL(every);
    for (size_t i = 0; i + 1 < len; i++)
        every[i] = i + 1;
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_REQUEST, request, every, len - 1), HPE_OK);
    expect_request(&m);
    free(every);
    gr_msg_free(&m);
}

/* The trailer section of a chunked body is counted and dropped: the trailer
 * X-Forwarded-For below must not become a header (nor be stored without
 * its terminator), in any split of the input; an oversized trailer section
 * stops the parser like an oversized head. */
static void
msg_trailers_are_never_headers(void)
{
    static const char req[] =
        "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3\r\nabc\r\n0\r\nX-Forwarded-For: 1.2.3.4\r\nX-Real-Ip: 5.6.7.8\r\n\r\n";
    struct gr_msg m;
    gr_msg_init(&m, 4096, 1024);
    size_t len = strlen(req);
    for (size_t cut = 0; cut < len; cut++) {
        CU_ASSERT_EQUAL_FATAL(parse_split(&m, HTTP_REQUEST, req, &cut, cut ? 1 : 0), HPE_OK);
        CU_ASSERT_EQUAL(m.n_hdrs, 2);
        CU_ASSERT_PTR_NULL(gr_msg_header(&m, "X-Forwarded-For"));
        CU_ASSERT_PTR_NULL(gr_msg_header(&m, "X-Real-Ip"));
        CU_ASSERT_STRING_EQUAL(gr_msg_header(&m, "Transfer-Encoding"), "chunked");
        CU_ASSERT(m.body.len == 3 && !memcmp(m.body.p, "abc", 3));
        CU_ASSERT_EQUAL(m.trailer_bytes, strlen("X-Forwarded-For1.2.3.4X-Real-Ip5.6.7.8"));
    }
    gr_msg_free(&m);

    gr_msg_init(&m, 96, 1024);
    char big[512];
    snprintf(big, sizeof big,
             "POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Pad: %0200d\r\n\r\n", 0);
    CU_ASSERT_NOT_EQUAL(parse_split(&m, HTTP_REQUEST, big, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(m.error, GR_MSG_HEAD_TOO_LARGE);
    gr_msg_free(&m);
}

static void
msg_response_reason_and_chunked_body(void)
{
    struct gr_msg m;
    gr_msg_init(&m, 4096, 1024);
    const char *resp = "HTTP/1.1 404 Not There\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
                       "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_RESPONSE, resp, NULL, 0), HPE_OK);
    CU_ASSERT_STRING_EQUAL(gr_msg_start(&m), "Not There");
    CU_ASSERT_STRING_EQUAL(gr_msg_header(&m, "x-a"), "1");
    CU_ASSERT(m.body.len == 5 && !memcmp(m.body.p, "abcde", 5));
    /* no reason phrase at all */
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_RESPONSE, "HTTP/1.1 204 \r\n\r\n", NULL, 0), HPE_OK);
    CU_ASSERT_STRING_EQUAL(gr_msg_start(&m), "");
    CU_ASSERT_EQUAL(m.n_hdrs, 0);
    gr_msg_free(&m);
}

static void
msg_head_limit_stops_the_parser(void)
{
    struct gr_msg m;
    gr_msg_init(&m, 64, 1024);
    char big[256];
    snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Pad: %0100d\r\n\r\n", 0);
    CU_ASSERT_NOT_EQUAL(parse_split(&m, HTTP_REQUEST, big, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(m.error, GR_MSG_HEAD_TOO_LARGE);
    /* many small headers count too */
    char many[512] = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 20; i++)
        strcat(many, "A: b\r\n");
    strcat(many, "\r\n");
    CU_ASSERT_NOT_EQUAL(parse_split(&m, HTTP_REQUEST, many, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(m.error, GR_MSG_HEAD_TOO_LARGE);
    /* and the same message fits a larger limit */
    m.max_head = 4096;
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_REQUEST, many, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(m.error, GR_MSG_OK);
    CU_ASSERT_EQUAL(m.n_hdrs, 20);
    gr_msg_free(&m);
}

static void
msg_body_limit_stops_the_parser(void)
{
    struct gr_msg m;
    gr_msg_init(&m, 4096, 4);
    CU_ASSERT_NOT_EQUAL(parse_split(&m, HTTP_REQUEST, request, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(m.error, GR_MSG_BODY_TOO_LARGE);
    m.max_body = 5;
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_REQUEST, request, NULL, 0), HPE_OK);
    gr_msg_free(&m);
}

static void
msg_seal_makes_a_broken_message_readable(void)
{
    struct gr_msg m;
    gr_msg_init(&m, 4096, 1024);
    size_t cut = 12; /* inside the target: "POST /a/b?c=" */
    http_parser hp;
    http_parser_init(&hp, HTTP_REQUEST);
    hp.data = &m;
    http_parser_execute(&hp, &settings, request, cut);
    gr_msg_seal(&m);
    CU_ASSERT_STRING_EQUAL(gr_msg_start(&m), "/a/b?c=");
    CU_ASSERT_EQUAL(m.n_hdrs, 0);
    gr_msg_free(&m);
}

static void
msg_hop_by_hop_set(void)
{
    const char *hop[] = {"Connection",
                         "content-length",
                         "Keep-Alive",
                         "Proxy-Connection",
                         "TE",
                         "Trailer",
                         "Transfer-Encoding",
                         "Upgrade",
                         "x-geo-country",
                         "Expect",
                         "Proxy-Authorization",
                         "Proxy-Authenticate"};
    const char *end_to_end[] = {"Host",
                                "Content-Type",
                                "Cookie",
                                "X-Forwarded-For",
                                "T",
                                "Connections",
                                "Upgrade-Insecure-Requests",
                                "Accept"};
    for (size_t i = 0; i < sizeof hop / sizeof hop[0]; i++)
        CU_ASSERT_TRUE(gr_msg_is_hop_header(hop[i], strlen(hop[i])));
    for (size_t i = 0; i < sizeof end_to_end / sizeof end_to_end[0]; i++)
        CU_ASSERT_FALSE(gr_msg_is_hop_header(end_to_end[i], strlen(end_to_end[i])));
}

static bool
skip_forwarded_for(const char *name, size_t len, void *ctx)
{
    (void)ctx;
    return len == 15 && !strncasecmp(name, "X-Forwarded-For", len);
}

static void
msg_copy_headers_keeps_end_to_end_only(void)
{
    struct gr_msg m;
    struct gr_buf out = {0};
    gr_msg_init(&m, 4096, 1024);
    CU_ASSERT_EQUAL(parse_split(&m, HTTP_REQUEST, request, NULL, 0), HPE_OK);
    CU_ASSERT_EQUAL(gr_msg_copy_headers(&m, &out, skip_forwarded_for, NULL), 0);
    CU_ASSERT_EQUAL(gr_buf_add(&out, "", 1), 0);
    CU_ASSERT_STRING_EQUAL(out.p, "Host: example.test\r\nX-Empty: \r\n");
    gr_buf_free(&out);
    gr_msg_free(&m);
}

static void
buf_appends_numbers_and_grows(void)
{
    struct gr_buf b = {0};
    CU_ASSERT_EQUAL(gr_buf_addu(&b, 0), 0);
    CU_ASSERT_EQUAL(gr_buf_adds(&b, " "), 0);
    CU_ASSERT_EQUAL(gr_buf_addu(&b, 18446744073709551615ull), 0);
    CU_ASSERT_EQUAL(gr_buf_add(&b, NULL, 0), 0);
    CU_ASSERT_EQUAL(gr_buf_add(&b, "", 1), 0);
    CU_ASSERT_STRING_EQUAL(b.p, "0 18446744073709551615");
    b.len = 0;
    for (int i = 0; i < 10000; i++)
        CU_ASSERT_EQUAL_FATAL(gr_buf_adds(&b, "abc"), 0);
    CU_ASSERT_EQUAL(b.len, 30000);
    CU_ASSERT(b.cap >= b.len);
    struct gr_buf other = {0};
    gr_buf_swap(&b, &other);
    CU_ASSERT_EQUAL(other.len, 30000);
    CU_ASSERT_PTR_NULL(b.p);
    gr_buf_free(&other);
}

static CU_TestInfo tests[] = {GR_TEST(msg_same_result_for_every_split),
                              GR_TEST(msg_trailers_are_never_headers),
                              GR_TEST(msg_response_reason_and_chunked_body),
                              GR_TEST(msg_head_limit_stops_the_parser),
                              GR_TEST(msg_body_limit_stops_the_parser),
                              GR_TEST(msg_seal_makes_a_broken_message_readable),
                              GR_TEST(msg_hop_by_hop_set),
                              GR_TEST(msg_copy_headers_keeps_end_to_end_only),
                              GR_TEST(buf_appends_numbers_and_grows),
                              GR_TEST_END};

GR_TEST_MAIN("proxy_msg", tests, NULL, NULL)
