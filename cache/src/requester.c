/*
 * requester.c - CIDR blocks and the requester-address decision.
 *
 * Headers are consulted only when the policy trusts the peer
 * (GR_REQ_TRUST_ALL, or the peer lies in the trusted list); otherwise the
 * peer address is the answer, so a client that talks to the proxy directly
 * cannot choose its own country. In realip mode the configured header's
 * lines are walked right to left (last line first), every entry must parse,
 * and the first untrusted entry wins (all trusted: the leftmost). In Zoraxy
 * mode the order is X-Real-Ip, CF-Connecting-IP, Fastly-Client-IP, first
 * X-Forwarded-For entry, peer; a header counts when present and not blank,
 * and an X-Forwarded-For whose first entry is blank falls through to the peer.
 *
 * CIDRs live in the 16-byte space: an IPv4 /n is a /(96+n) inside
 * ::ffff:0:0/96, so one containment test serves both families.
 */
#include <string.h>
#include <strings.h>

#include "georace/requester.h"

static bool
gr_req_is_space(char c)
{
    return c == ' ' || c == '\t';
}

static void
gr_req_trim(const char **s, size_t *len)
{
    while (*len > 0 && gr_req_is_space(**s))
        (*s)++, (*len)--;
    while (*len > 0 && gr_req_is_space((*s)[*len - 1]))
        (*len)--;
}

static void
gr_req_mask(gr_ip *ip, unsigned prefix)
{
    for (unsigned i = 0; i < 16; i++) {
        unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;
        if (bits >= 8)
            continue;
        ip->b[i] &= (uint8_t)(0xff00u >> bits);
    }
}

int
gr_cidr_parse(const char *s, size_t len, gr_cidr *out)
{
    if (!s || len == 0)
        return GR_IP_EEMPTY;
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    gr_ip ip;
    int rc = gr_ip_parse(s, alen, &ip);
    if (rc != GR_IP_OK)
        return rc;
    unsigned max = gr_ip_is_v4(&ip) && !memchr(s, ':', alen) ? 32 : 128;
    unsigned prefix = max;
    if (slash) {
        const char *p = slash + 1;
        size_t plen = len - alen - 1;
        if (plen == 0 || plen > 3 || (p[0] == '0' && plen > 1))
            return plen > 3 ? GR_IP_ERANGE : GR_IP_ESYNTAX;
        prefix = 0;
        for (size_t i = 0; i < plen; i++) {
            if (p[i] < '0' || p[i] > '9')
                return GR_IP_ESYNTAX;
            prefix = prefix * 10 + (unsigned)(p[i] - '0');
        }
        if (prefix > max)
            return GR_IP_ERANGE;
    }
    if (max == 32)
        prefix += 96;
    gr_req_mask(&ip, prefix);
    out->net = ip;
    out->prefix = prefix;
    return GR_IP_OK;
}

bool
gr_cidr_contains(const gr_cidr *c, const gr_ip *ip)
{
    gr_ip masked = *ip;
    gr_req_mask(&masked, c->prefix > 128 ? 128 : c->prefix);
    return gr_ip_equal(&masked, &c->net);
}

int
gr_cidr_list_parse(const char *s, gr_cidr *out, size_t cap)
{
    if (!s)
        return 0;
    size_t n = 0;
    const char *p = s;
    size_t total = strlen(s);
    const char *end = s + total;
    const char *probe = s;
    size_t plen = total;
    gr_req_trim(&probe, &plen);
    if (plen == 0)
        return 0;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *item = p;
        size_t ilen = (size_t)(stop - p);
        gr_req_trim(&item, &ilen);
        if (ilen == 0)
            return GR_IP_ESYNTAX;
        if (n == cap)
            return GR_IP_ETOOLONG;
        int rc = gr_cidr_parse(item, ilen, &out[n]);
        if (rc != GR_IP_OK)
            return rc;
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    return (int)n;
}

int
gr_req_mode_parse(const char *s, gr_req_mode *out)
{
    if (s && strcmp(s, "realip") == 0)
        *out = GR_REQ_MODE_REALIP;
    else if (s && strcmp(s, "zoraxy") == 0)
        *out = GR_REQ_MODE_ZORAXY;
    else
        return -1;
    return 0;
}

static bool
gr_req_in_list(const gr_req_policy *policy, const gr_ip *ip)
{
    for (size_t i = 0; i < policy->n_trusted; i++)
        if (gr_cidr_contains(&policy->trusted[i], ip))
            return true;
    return false;
}

bool
gr_req_peer_trusted(const gr_req_policy *policy, const gr_ip *peer)
{
    if (!policy || policy->trust == GR_REQ_TRUST_ALL)
        return true;
    if (!peer)
        return false;
    return gr_req_in_list(policy, peer);
}

/* Realip: every line of the header, last first, each walked right to left.
 * Returns 1 with *out set, 0 when the header is absent, or a negative
 * gr_ip_error for an empty or malformed entry. */
static int
gr_req_realip(const gr_req_policy *policy, gr_req_header_fn header, void *ctx, const char *name,
              gr_ip *out)
{
    size_t lines = 0, len;
    while (header(ctx, name, lines, &len))
        lines++;
    if (lines == 0)
        return 0;
    bool found = false;
    gr_ip ip;
    for (size_t l = lines; l-- > 0;) {
        const char *v = header(ctx, name, l, &len);
        if (!v)
            return GR_IP_EEMPTY;
        size_t end = len;
        for (;;) {
            size_t start = end;
            while (start > 0 && v[start - 1] != ',')
                start--;
            const char *item = v + start;
            size_t ilen = end - start;
            gr_req_trim(&item, &ilen);
            if (ilen == 0)
                return GR_IP_EEMPTY;
            int rc = gr_ip_parse_host(item, ilen, &ip);
            if (rc != GR_IP_OK)
                return rc;
            if (!found) {
                *out = ip;
                if (!gr_req_in_list(policy, &ip))
                    found = true; /* keep checking the rest parses */
            }
            if (start == 0)
                break;
            end = start - 1;
        }
    }
    return 1;
}

/* Zoraxy's rule: the first line's value trimmed; false when absent or blank. */
static bool
gr_req_header(gr_req_header_fn header, void *ctx, const char *name, const char **v, size_t *len)
{
    const char *raw = header(ctx, name, 0, len);
    if (!raw)
        return false;
    *v = raw;
    gr_req_trim(v, len);
    return *len > 0;
}

int
gr_requester_ip(const gr_req_policy *policy, const gr_ip *peer, gr_req_header_fn header, void *ctx,
                gr_ip *out, gr_req_source *source)
{
    static const struct {
        const char *name;
        gr_req_source source;
    } order[] = {{"X-Real-Ip", GR_REQ_FROM_X_REAL_IP},
                 {"CF-Connecting-IP", GR_REQ_FROM_CF_CONNECTING_IP},
                 {"Fastly-Client-IP", GR_REQ_FROM_FASTLY_CLIENT_IP}};
    gr_req_source dummy;
    if (!source)
        source = &dummy;
    if (header && policy && policy->mode == GR_REQ_MODE_REALIP &&
        gr_req_peer_trusted(policy, peer)) {
        const char *name = policy->real_ip_header ? policy->real_ip_header : "X-Forwarded-For";
        int rc = gr_req_realip(policy, header, ctx, name, out);
        if (rc != 0) {
            *source = strcasecmp(name, "X-Forwarded-For") == 0 ? GR_REQ_FROM_X_FORWARDED_FOR
                                                               : GR_REQ_FROM_REAL_IP_HEADER;
            return rc < 0 ? rc : GR_IP_OK;
        }
    } else if (header && gr_req_peer_trusted(policy, peer)) {
        const char *v;
        size_t len;
        for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
            if (gr_req_header(header, ctx, order[i].name, &v, &len)) {
                *source = order[i].source;
                return gr_ip_parse_host(v, len, out);
            }
        }
        if (gr_req_header(header, ctx, "X-Forwarded-For", &v, &len)) {
            const char *comma = memchr(v, ',', len);
            if (comma)
                len = (size_t)(comma - v);
            gr_req_trim(&v, &len);
            if (len > 0) {
                *source = GR_REQ_FROM_X_FORWARDED_FOR;
                return gr_ip_parse_host(v, len, out);
            }
        }
    }
    *source = GR_REQ_FROM_PEER;
    if (!peer)
        return GR_IP_EEMPTY;
    *out = *peer;
    return GR_IP_OK;
}

const char *
gr_req_source_name(gr_req_source s)
{
    switch (s) {
    case GR_REQ_FROM_PEER:
        return "peer";
    case GR_REQ_FROM_X_REAL_IP:
        return "X-Real-Ip";
    case GR_REQ_FROM_CF_CONNECTING_IP:
        return "CF-Connecting-IP";
    case GR_REQ_FROM_FASTLY_CLIENT_IP:
        return "Fastly-Client-IP";
    case GR_REQ_FROM_X_FORWARDED_FOR:
        return "X-Forwarded-For";
    case GR_REQ_FROM_REAL_IP_HEADER:
        return "real-ip-header";
    }
    return "unknown";
}
