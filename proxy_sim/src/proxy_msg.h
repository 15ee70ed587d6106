/*
 * proxy_msg.h - HTTP messages as the proxy keeps them (proxy_msg.c): a
 * growable byte buffer, and one parsed message - the start line's variable
 * part, the headers, the decoded body - filled by http-parser's data
 * callbacks into buffers that keep their capacity from one message to the
 * next, so a keep-alive exchange allocates nothing once warm.
 *
 * A message belongs to one connection, and a connection to one worker
 * thread: nothing here is shared between threads.
 */
#ifndef GEORACE_PROXY_MSG_H
#define GEORACE_PROXY_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <http_parser.h>

/* Bytes one read takes from a socket, on either side of the proxy. */
#define GR_PROXY_READ_BUF 16384
/* The most a buffer keeps between two messages of one connection. */
#define GR_PROXY_IDLE_KEEP 65536

/* The structure that embeds `member` at `ptr`: a parser callback reaches
 * its connection from the message its parser->data points at, the pool's
 * callback its client from the embedded gr_fwd. */
#define GR_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))

struct gr_buf {
    char *p;
    size_t len, cap;
};

int gr_buf_reserve(struct gr_buf *b, size_t extra);
int gr_buf_add(struct gr_buf *b, const void *data, size_t n);
/* Append a NUL-terminated string. */
int gr_buf_adds(struct gr_buf *b, const char *s);
int gr_buf_addu(struct gr_buf *b, unsigned long long v);
void gr_buf_swap(struct gr_buf *a, struct gr_buf *b);
/* Give the memory back if the buffer grew past `keep` bytes (emptied). */
void gr_buf_trim(struct gr_buf *b, size_t keep);
void gr_buf_free(struct gr_buf *b);
/* Append a piece of a body, framed as a chunk when `chunked`; with `end`,
 * the last chunk as well (no trailer fields). 0, or -1 out of memory. */
int gr_buf_add_chunk(struct gr_buf *b, const char *data, size_t len, bool chunked, bool end);

enum gr_msg_error {
    GR_MSG_OK = 0,
    GR_MSG_HEAD_TOO_LARGE,
    GR_MSG_BODY_TOO_LARGE,
    GR_MSG_NOMEM,
    GR_MSG_BAD_FIELD_NAME,  /* a name with a byte that is no token character (RFC 9110 5.1):
                               whitespace before the colon or at the start of a line, ... */
    GR_MSG_BAD_FRAMING,     /* a line not ended by CRLF, a bare CR, obs-fold, chunk data
                               not followed by CRLF (RFC 9112 2.2, 5.2, 7.1) */
    GR_MSG_BAD_FIELD_VALUE, /* a control byte (NUL, ...) in a header or trailer value */
    GR_MSG_BAD_TARGET,      /* whitespace or a control byte in the request target */
};

struct gr_hdr {
    uint32_t name, value; /* offsets into text, each NUL-terminated */
    uint32_t name_len, value_len;
};

/* One parsed message: the start line's variable part (the request target,
 * or the response's reason phrase) at text[0], NUL-terminated, then every
 * header's name and value, each NUL-terminated and with its length; and the
 * decoded body. A chunked body's trailer fields are not kept: they never
 * count as headers, never reach a decision and are not forwarded (the body
 * goes on with a Content-Length); their size counts against max_head. */
struct gr_msg {
    struct gr_buf text;
    uint32_t start_len; /* of the start line's part at text[0] */
    struct gr_hdr *hdrs;
    unsigned n_hdrs, cap_hdrs;
    struct gr_buf body;
    uint64_t body_seen; /* of the whole body, also what was handed on (streamed) */
    size_t max_head, max_body;
    size_t trailer_bytes; /* of a chunked body's trailer section: counted, never kept */
    enum gr_msg_error error;
    unsigned char part; /* what the last callback appended (proxy_msg.c) */
    /* strict framing (requests only): the framing bytes of the current
     * feed not yet checked start at `scan`; the line state carries over;
     * `run` counts the framing bytes since the message began or since its
     * last body byte (the head, a chunk line, the trailer section), held
     * to max_head; `fault_at` is the byte a callback refused */
    bool strict;
    unsigned char frame; /* GR_MSG_FRAME_* bits (proxy_msg.c) */
    const char *scan;
    const char *fault_at;
    size_t run;
};

void gr_msg_init(struct gr_msg *m, size_t max_head, size_t max_body);
void gr_msg_reset(struct gr_msg *m);
void gr_msg_free(struct gr_msg *m);
/* Reset, and give back buffers that grew past GR_PROXY_IDLE_KEEP: what an
 * idle keep-alive connection holds stays small whatever it carried. */
void gr_msg_trim(struct gr_msg *m);
/* http-parser data callbacks; parser->data must point at the gr_msg. */
int gr_msg_on_start(http_parser *hp, const char *at, size_t len); /* on_url, on_status */
int gr_msg_on_field(http_parser *hp, const char *at, size_t len);
int gr_msg_on_value(http_parser *hp, const char *at, size_t len);
int gr_msg_on_body(http_parser *hp, const char *at, size_t len);
/* Close the header block (from on_headers_complete). 0, or -1 with error. */
int gr_msg_end_head(struct gr_msg *m);
/* The header block was read whole (gr_msg_end_head ran). */
bool gr_msg_head_complete(const struct gr_msg *m);
/* Strict framing for a message the proxy receives from a client. Every
 * byte that is not body data - start line, header and trailer sections,
 * chunk-size lines and the CRLF after each chunk - must follow RFC 9112's
 * line rules, which Debian's non-strict http-parser does not enforce: lines
 * end in CRLF (no bare LF, no bare CR), no line starts with whitespace
 * (obs-fold, or a space before a header name), chunk data ends in CRLF.
 * Header names must be tokens, values and the target free of control
 * bytes. A strict message's bytes go in through gr_msg_feed; the head
 * limit (max_head) counts them as received. */
void gr_msg_set_strict(struct gr_msg *m, bool strict);
enum gr_msg_feed {
    GR_MSG_FEED_MORE,    /* every byte taken; the message goes on */
    GR_MSG_FEED_MESSAGE, /* a message is complete (the parser paused after it) */
    GR_MSG_FEED_REFUSED, /* the parser, a callback or the framing scan refused */
};
/* One read of a stream: http_parser_execute over `len` bytes at `data`
 * (hp->data is m; the settings' on_message_complete pauses the parser),
 * with the strict scan over what the parser took, up to where it stopped
 * when it refused. *used: the bytes taken. Every reader of a client's
 * stream (the proxy, its fuzz target, its tests) feeds through here, so a
 * stream is judged alike everywhere, however it is split. */
enum gr_msg_feed gr_msg_feed(struct gr_msg *m, http_parser *hp, const http_parser_settings *s,
                             const char *data, size_t len, size_t *used);
/* Make a message the parser gave up on safe to read: the start line's part
 * terminated, no headers. */
void gr_msg_seal(struct gr_msg *m);
const char *gr_msg_start(const struct gr_msg *m);
size_t gr_msg_start_len(const struct gr_msg *m);
const char *gr_msg_name(const struct gr_msg *m, unsigned i);
const char *gr_msg_value(const struct gr_msg *m, unsigned i);
/* The first header of that name (case-insensitive), or NULL. */
const char *gr_msg_header(const struct gr_msg *m, const char *name);
/* The nth (from 0) line of header `name`, its value length in *vlen. */
const char *gr_msg_header_nth(const struct gr_msg *m, const char *name, size_t nth, size_t *vlen);
/* A name that starts with "Transfer-Encoding" or "Content-Length" and goes
 * on ("Transfer-Encodingx"): http-parser 2.9 takes the first kind for
 * Transfer-Encoding, so a peer built on it would frame by it. */
bool gr_msg_is_framing_lookalike(const char *name, size_t len);
/* Hop-by-hop headers (RFC 9110 7.6.1), the framing headers the proxy
 * recomputes and their lookalikes, and X-Geo-Country, which only the proxy
 * writes. */
bool gr_msg_is_hop_header(const char *name, size_t len);
/* Append "name: value\r\n" (copied by length) for every end-to-end header
 * of m: not hop-by-hop, not named in a Connection line (Host excepted: a
 * request keeps it), and not one `skip(name, len, ctx)` (may be NULL)
 * refuses. */
typedef bool (*gr_msg_skip_fn)(const char *name, size_t len, void *ctx);
int gr_msg_copy_headers(const struct gr_msg *m, struct gr_buf *out, gr_msg_skip_fn skip, void *ctx);
const char *gr_http_reason(int code);

#endif
