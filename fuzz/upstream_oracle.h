/*
 * upstream_oracle.h - the differential oracle of the proxy targets
 * (upstream_oracle.c): what the upstream receives, read twice and
 * independently of the proxy, against what the client sent.
 *
 * The client's byte stream is read by a lenient http-parser with callbacks
 * of this file (not the proxy's) into a list of requests: method, target,
 * header lines, decoded body. A request the proxy forwarded is then checked
 * against the bytes it wrote for the upstream, which are read by
 *   - a line scanner of this file (RFC 9112 syntax, stricter than the
 *     proxy needs to be: CRLF lines, token names, no fold, one framing), and
 *   - a fresh lenient http-parser,
 * and both readings must agree with each other and with the client's
 * request: one message and no byte more, the client's method, its target in
 * origin-form, its decoded body, and only headers it sent end to end plus
 * the ones the proxy adds (Host, X-Forwarded-For, X-Geo-Country,
 * Content-Length, or Transfer-Encoding: chunked alone for a chunked body the
 * proxy streamed). A violation aborts through FZ_CHECK.
 */
#ifndef GEORACE_FUZZ_UPSTREAM_ORACLE_H
#define GEORACE_FUZZ_UPSTREAM_ORACLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One header line of a request: offsets into its text, value trimmed of
 * surrounding blanks. */
struct fz_up_field {
    size_t name, name_len, value, value_len;
};

/* One request of the client's stream, as the lenient parser reads it. */
struct fz_up_req {
    unsigned method;
    unsigned short major, minor;
    bool head_read, complete, keep_alive, upgrade;
    size_t target, target_len; /* offset into text */
    struct fz_up_field *hdrs;
    size_t n_hdrs, cap_hdrs;
    char *text; /* target, names and values */
    size_t text_len, text_cap;
    char *body;
    size_t body_len, body_cap;
    unsigned char part; /* what the last callback appended */
};

struct fz_up_reqs {
    struct fz_up_req *v;
    size_t n, cap;
    size_t complete; /* leading complete requests */
    bool error;      /* the lenient parser refused a byte */
    int why;         /* then its enum http_errno */
};

/* Read a client's byte stream as the proxy does (request after request,
 * stop at an error or an upgrade), but leniently and independently. */
void fz_up_reqs_parse(struct fz_up_reqs *r, const uint8_t *data, size_t len);
void fz_up_reqs_free(struct fz_up_reqs *r);

/* What the proxy was told about the request it forwarded. */
struct fz_up_expect {
    const char *peer;         /* the TCP peer, as X-Forwarded-For's last entry */
    bool peer_trusted;        /* its X-Forwarded-For chain may be kept */
    const char *geo;          /* the X-Geo-Country the decision gave */
    const char *default_host; /* Host for a request without one */
    bool may_rechunk;         /* the proxy may stream a chunked body, re-chunked */
};

/* `up` must be exactly the upstream request for `client`. */
void fz_up_check(const struct fz_up_req *client, const struct fz_up_expect *exp, const char *up,
                 size_t len);

#endif
