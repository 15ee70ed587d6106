/*
 * proxy_client.h - one client connection (proxy_client.c): reading and
 * parsing requests, writing answers, keep-alive, and the forwarding of a
 * request through the worker's pool.
 *
 * Threading: a connection belongs to the worker whose loop accepted it and
 * is touched by that thread alone.
 */
#ifndef GEORACE_PROXY_CLIENT_H
#define GEORACE_PROXY_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include <http_parser.h>
#include <uv.h>

#include "georace/ip.h"
#include "proxy_msg.h"
#include "proxy_pool.h"

/* How long a closing connection drains what its client still sends, so the
 * close does not reset the answer away (lingering close). */
#define GR_PROXY_LINGER_MS 2000

enum gr_client_state {
    GR_CLIENT_IDLE,    /* waiting for a request (keep-alive) */
    GR_CLIENT_READING, /* a request has begun */
    GR_CLIENT_BUSY,    /* a whole request is being decided or forwarded */
    GR_CLIENT_WRITING, /* the answer is being written */
    GR_CLIENT_CLOSING, /* lingering close, then gone */
};

struct gr_worker;

struct gr_client {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_write_t wreq;
    uv_shutdown_t sreq;
    http_parser parser;
    struct gr_msg req;
    struct gr_fwd fwd; /* the request as handed to the upstream pool */
    struct gr_worker *w;
    struct gr_client *prev, *next; /* the worker's connections */
    struct gr_buf head, body;      /* the answer being written */
    enum gr_client_state state;
    unsigned handles; /* uv handles not yet closed */
    bool reading, parsing, eof, keep_alive, counted, head_only;
    bool metrics_only; /* accepted on the metrics listener */
    /* an upstream answer being streamed (proxy_client.c): `head` gathers
     * what is still to write, `body` holds what a write has in flight */
    bool streaming, stream_done, chunked_out, out_busy;
    int stream_code;
    uint64_t stream_bytes;
    /* a request body streamed to the upstream once it outgrows
     * GR_PROXY_STREAM_HIGH (proxy_client.c): being decided (pending),
     * flowing, its end not yet taken by the pool; its declared length */
    bool stream_pending, body_streaming, body_end_pending;
    uint64_t req_length;
    uint64_t t0;
    gr_ip peer;
    char peerstr[GR_IP_STRLEN];
    char clientstr[GR_IP_STRLEN];
    char geo[32];
    size_t rlen; /* unparsed bytes at rbuf[0] (pipelined requests) */
    char rbuf[GR_PROXY_READ_BUF];
};

/* Accept one connection from `server` (the worker's listener, or its
 * metrics listener: such a connection is served metrics only). */
void gr_client_accept(struct gr_worker *w, uv_stream_t *server, bool metrics_only);
/* Serve an already connected stream socket (used by the fuzz target). */
int gr_client_adopt(struct gr_worker *w, int fd);
/* Forward the request upstream; the answer, or the 502, 504 or 500 that
 * stands for it, is written when the pool reports the outcome. */
void gr_client_forward(struct gr_client *c);
/* The proxy's own answer: a short text body. */
void gr_client_reply(struct gr_client *c, int code, const char *text);
/* Answer with a status, the end-to-end headers of `from` (may be NULL), an
 * extra header block (may be NULL) and a body, which is taken over (its
 * buffer swapped with the client's). */
void gr_client_respond(struct gr_client *c, int code, const char *reason, const struct gr_msg *from,
                       const char *extra, struct gr_buf *body);
/* Close the longest-idle keep-alive connection, if any (connection limit). */
void gr_client_shed_idle(struct gr_worker *w);
/* Stop accepting work: idle connections close now, busy ones after their
 * answer. Force closes every connection. */
void gr_client_stop_all(struct gr_worker *w, bool force);

#endif
