/*
 * proxy_request.h - what the proxy demands of a request's head beyond what
 * http-parser checks, and the request as the upstream receives it
 * (proxy_request.c). Both are pure functions of a parsed message, shared
 * by the proxy's connections and the in-process message fuzz target.
 */
#ifndef GEORACE_PROXY_REQUEST_H
#define GEORACE_PROXY_REQUEST_H

#include <stdbool.h>

#include <http_parser.h>

#include "proxy_msg.h"

/* 0 when the head may be served, else 400 with *why set: an HTTP/1.1
 * request without Host, more than one Host line, a Host that is no
 * authority, an absolute-form target whose authority is not Host's or
 * carries userinfo, Transfer-Encoding in HTTP/1.0 (RFC 9112 3.2, 3.2.2, 6.1;
 * RFC 9110 7.2). */
int gr_request_check(const struct gr_msg *m, const http_parser *hp, const char **why);

/* One request as the proxy forwards it. */
struct gr_request_out {
    const struct gr_msg *req;
    enum http_method method;
    const char *peer;         /* the TCP peer, formatted */
    bool peer_trusted;        /* may its X-Forwarded-For chain be kept? */
    const char *geo;          /* X-Geo-Country: the country or zone decided */
    const char *default_host; /* Host for a request that has none (HTTP/1.0) */
    /* 0: req's body is the whole body (sent with Content-Length: its
     * length). Else the body streams after the head (gr_buf_add_chunk):
     * its length as the client declared it, or GR_REQUEST_CHUNKED */
    uint64_t stream_length;
};
#define GR_REQUEST_CHUNKED UINT64_MAX

/* Build the upstream request into `out` (replacing what it held):
 *   METHOD SP origin-form target SP "HTTP/1.1" CRLF
 *   the client's end-to-end headers, less hop-by-hop ones (RFC 9110 7.6.1),
 *     those named in Connection, and identity headers (X-Real-Ip,
 *     CF-Connecting-IP, Fastly-Client-IP, True-Client-IP, X-Client-IP,
 *     X-Cluster-Client-IP, Forwarded, X-Forwarded-For)
 *   Host (the client's, or default_host)
 *   X-Forwarded-For: the client's chain (all lines, in order) if the peer
 *     is trusted, then the peer
 *   X-Geo-Country, Content-Length, the body.
 * Every value is copied by its length. -1 when out of memory. */
int gr_request_build(const struct gr_request_out *r, struct gr_buf *out);

/* Headers a client may send that name a client address: never forwarded
 * as sent. */
bool gr_request_is_identity_header(const char *name, size_t len);

#endif
