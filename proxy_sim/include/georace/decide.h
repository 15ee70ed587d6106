/*
 * decide.h - how a request is judged: its requester address (requester.h:
 * the peer, or the header a trusted peer set), that address's answer from
 * the shared resolver (reserved zone, cache, backend), and the access rule
 * on the answer. The proxy and the in-process simulator both judge through
 * gr_decide, so the simulator's verdicts are the proxy's.
 *
 * Per request nothing is allocated or formatted: the header is parsed in
 * place and the result is a few words on the caller's stack.
 *
 * Threading: the rules are read-only once set up, so any number of threads
 * may decide at once; the only shared state touched is the resolver and its
 * cache, which synchronize themselves - or, for the buggy variants, do not,
 * which is what is under test.
 */
#ifndef GEORACE_DECIDE_H
#define GEORACE_DECIDE_H

#include <stdbool.h>
#include <stdint.h>

#include "georace/access.h"
#include "georace/ip.h"
#include "georace/requester.h"
#include "georace/resolver.h"

typedef enum gr_decide_verdict {
    GR_DECIDE_ALLOW = 0,     /* forward it */
    GR_DECIDE_BLOCK,         /* the access rule refuses the answer (403) */
    GR_DECIDE_BAD_REQUESTER, /* the header the policy picks holds no address (400);
                                nothing was resolved */
    GR_DECIDE_LOOKUP_FAILED, /* the backend failed (500) */
} gr_decide_verdict;

typedef struct gr_decide_rules {
    const gr_req_policy *policy; /* whose headers name the requester */
    gr_resolver *resolver;
    const gr_access *access;
    bool time_lookup; /* measure the resolver into lookup_ns (two clock reads) */
} gr_decide_rules;

typedef struct gr_decide_result {
    gr_decide_verdict verdict;
    int requester_rc;     /* GR_IP_OK, or the gr_ip_error of a bad requester */
    gr_req_source source; /* where the requester address was taken from */
    gr_ip requester;      /* unless GR_DECIDE_BAD_REQUESTER */
    gr_answer answer;     /* unless GR_DECIDE_BAD_REQUESTER */
    uint64_t lookup_ns;   /* time in the resolver, with time_lookup; else 0 */
} gr_decide_result;

/* Judge a request from `peer` whose headers `header(ctx, name)` looks up. */
void gr_decide(const gr_decide_rules *rules, const gr_ip *peer, gr_req_header_fn header, void *ctx,
               gr_decide_result *out);

#endif
