/*
 * requester.h - which address a request comes from.
 *
 * Two modes. GR_REQ_MODE_REALIP (the default) is nginx's realip module with
 * real_ip_recursive on: one header (X-Forwarded-For unless configured), read
 * only when the peer is a trusted proxy; all its lines joined in order and
 * walked right to left, trusted addresses skipped; the first untrusted entry
 * is the requester (all trusted: the leftmost); an empty or malformed entry
 * refuses the request. GR_REQ_MODE_ZORAXY is Zoraxy's GetRequesterIP:
 * X-Real-Ip, CF-Connecting-IP, Fastly-Client-IP, the first X-Forwarded-For
 * entry, else the peer - spoofable by any client behind a trusted proxy,
 * kept to reproduce Zoraxy. Ports and brackets are stripped in both modes;
 * GR_REQ_TRUST_ALL reads the headers from any peer.
 */
#ifndef GEORACE_REQUESTER_H
#define GEORACE_REQUESTER_H

#include <stdbool.h>
#include <stddef.h>

#include "georace/ip.h"

typedef struct gr_cidr {
    gr_ip net;       /* masked network address */
    unsigned prefix; /* 0..128, in the 16-byte space (IPv4 /24 is 96+24) */
} gr_cidr;

int gr_cidr_parse(const char *s, size_t len, gr_cidr *out);
bool gr_cidr_contains(const gr_cidr *c, const gr_ip *ip);

typedef enum gr_req_trust {
    GR_REQ_TRUST_LIST = 0, /* headers count only from peers in the list */
    GR_REQ_TRUST_ALL = 1   /* Zoraxy's behaviour: headers count from anyone */
} gr_req_trust;

typedef enum gr_req_mode {
    GR_REQ_MODE_REALIP = 0, /* nginx realip, recursive: the default */
    GR_REQ_MODE_ZORAXY = 1  /* Zoraxy's header order: spoofable */
} gr_req_mode;

typedef struct gr_req_policy {
    gr_req_trust trust;
    const gr_cidr *trusted;
    size_t n_trusted;
    gr_req_mode mode;
    const char *real_ip_header; /* realip mode; NULL = X-Forwarded-For */
} gr_req_policy;

/* Parse "realip" / "zoraxy"; -1 when neither. */
int gr_req_mode_parse(const char *s, gr_req_mode *out);

/* Parse "10.0.0.0/8,::1/128" into at most cap entries; returns the count or a
 * negative gr_ip_error. */
int gr_cidr_list_parse(const char *s, gr_cidr *out, size_t cap);

/* A header lookup callback: return the value of the nth (from 0) line of
 * header `name` (case insensitive) and its length in *len, or NULL when
 * there are not that many. `ctx` is the caller's request object. */
typedef const char *(*gr_req_header_fn)(void *ctx, const char *name, size_t nth, size_t *len);

typedef enum gr_req_source {
    GR_REQ_FROM_PEER = 0,
    GR_REQ_FROM_X_REAL_IP,
    GR_REQ_FROM_CF_CONNECTING_IP,
    GR_REQ_FROM_FASTLY_CLIENT_IP,
    GR_REQ_FROM_X_FORWARDED_FOR,
    GR_REQ_FROM_REAL_IP_HEADER /* realip mode, a header other than XFF */
} gr_req_source;

/* Whether headers from `peer` may name the requester (policy NULL: Zoraxy's
 * trust-everyone). */
bool gr_req_peer_trusted(const gr_req_policy *policy, const gr_ip *peer);

/* Decide the requester address (policy NULL = Zoraxy's mode and
 * GR_REQ_TRUST_ALL; header NULL = no headers). Returns GR_IP_OK, or a negative gr_ip_error
 * when the chosen header holds garbage (the request then has no usable
 * requester address; the proxy answers 400). `*source` says where it came from. */
int gr_requester_ip(const gr_req_policy *policy, const gr_ip *peer, gr_req_header_fn header,
                    void *ctx, gr_ip *out, gr_req_source *source);
const char *gr_req_source_name(gr_req_source s);

#endif
