/*
 * decide.c - the judgement of one request: requester IP -> resolver ->
 * access rule (see decide.h). Each step is the library call the proxy has
 * always made; this file only fixes their order and what a failure of each
 * one means, once for the proxy and the simulator alike.
 */
#include "georace/decide.h"

#include "georace/clock.h"

void
gr_decide(const gr_decide_rules *rules, const gr_ip *peer, gr_req_header_fn header, void *ctx,
          gr_decide_result *out)
{
    out->lookup_ns = 0;
    out->requester_rc =
        gr_requester_ip(rules->policy, peer, header, ctx, &out->requester, &out->source);
    if (out->requester_rc != GR_IP_OK) {
        out->verdict = GR_DECIDE_BAD_REQUESTER;
        return;
    }
    if (rules->time_lookup) {
        uint64_t t0 = gr_clock_now_ns();
        out->answer = gr_resolve(rules->resolver, &out->requester);
        out->lookup_ns = gr_clock_now_ns() - t0;
    } else {
        out->answer = gr_resolve(rules->resolver, &out->requester);
    }
    if (out->answer.kind == GR_ANSWER_ERROR)
        out->verdict = GR_DECIDE_LOOKUP_FAILED;
    else
        out->verdict =
            gr_access_allows(rules->access, &out->answer) ? GR_DECIDE_ALLOW : GR_DECIDE_BLOCK;
}
