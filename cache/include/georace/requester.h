/*
 * requester.h - which address a request comes from, as Zoraxy decides it.
 *
 * Zoraxy's GetRequesterIP takes, in order: X-Real-Ip, CF-Connecting-IP,
 * Fastly-Client-IP, the first X-Forwarded-For entry, else the peer address;
 * ports and brackets are stripped. Zoraxy trusts those headers from anyone,
 * so any client can pick its own country. georace applies the same order but
 * only when the peer lies in a configured trusted-proxy list; an empty list
 * reproduces Zoraxy exactly (GR_REQ_TRUST_ALL).
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

typedef struct gr_req_policy {
    gr_req_trust trust;
    const gr_cidr *trusted;
    size_t n_trusted;
} gr_req_policy;

/* Parse "10.0.0.0/8,::1/128" into at most cap entries; returns the count or a
 * negative gr_ip_error. */
int gr_cidr_list_parse(const char *s, gr_cidr *out, size_t cap);

/* A header lookup callback: return the value of header `name` (case
 * insensitive), or NULL. `ctx` is the caller's request object. */
typedef const char *(*gr_req_header_fn)(void *ctx, const char *name);

typedef enum gr_req_source {
    GR_REQ_FROM_PEER = 0,
    GR_REQ_FROM_X_REAL_IP,
    GR_REQ_FROM_CF_CONNECTING_IP,
    GR_REQ_FROM_FASTLY_CLIENT_IP,
    GR_REQ_FROM_X_FORWARDED_FOR
} gr_req_source;

/* Decide the requester address (policy NULL = GR_REQ_TRUST_ALL; header NULL =
 * no headers). Returns GR_IP_OK, or a negative gr_ip_error
 * when the chosen header holds garbage (the request then has no usable
 * requester address; the proxy answers 400). `*source` says where it came from. */
int gr_requester_ip(const gr_req_policy *policy, const gr_ip *peer, gr_req_header_fn header,
                    void *ctx, gr_ip *out, gr_req_source *source);
const char *gr_req_source_name(gr_req_source s);

#endif
