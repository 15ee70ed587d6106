/*
 * fuzz_requester_ip.c - the requester-address decision against a reference
 * model of its documented rules.
 *
 * Input layout (every byte string is valid):
 *   byte 0      flags: bit 0 trust all (Zoraxy), bit 1 no peer address
 *   bytes 1..16 the peer address, raw 16 bytes
 *   then '\n'-separated fields: the trusted-proxy list text
 *               ("10.0.0.0/8,::1/128"), then one header per field, either
 *               "Name:value" or a byte 0x01..0x04 naming X-Real-Ip,
 *               CF-Connecting-IP, Fastly-Client-IP, X-Forwarded-For followed
 *               by the value (cheap for the fuzzer to reach every header).
 * Header lookup is case-insensitive, first occurrence wins (as the proxy's).
 *
 * Invariants:
 *   - the list parser returns a count <= cap or a gr_ip_error; every entry
 *     is masked to its prefix and contains its own network address;
 *   - an untrusted peer gets exactly its own address, from "peer", and its
 *     headers are never even read;
 *   - a trusted peer gets what the model computes: the first present,
 *     non-blank header of X-Real-Ip, CF-Connecting-IP, Fastly-Client-IP,
 *     then the first X-Forwarded-For entry (blank: fall through), else the
 *     peer; the result is gr_ip_parse_host of that text - a valid address
 *     or a gr_ip_error, never anything else.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "fuzz_input.h"
#include "georace/requester.h"

#define FZ_REQ_MAX_HEADERS 16
#define FZ_REQ_MAX_CIDRS 8

static const char *const fz_req_names[4] = {"X-Real-Ip", "CF-Connecting-IP", "Fastly-Client-IP",
                                            "X-Forwarded-For"};

typedef struct fz_req_headers {
    char *name[FZ_REQ_MAX_HEADERS];
    char *value[FZ_REQ_MAX_HEADERS];
    int n;
    int lookups;
} fz_req_headers;

static const char *
fz_req_lookup_nth(void *ctx, const char *name, size_t nth, size_t *len)
{
    fz_req_headers *h = ctx;
    h->lookups++;
    for (int i = 0; i < h->n; i++)
        if (!strcasecmp(h->name[i], name) && nth-- == 0) {
            *len = strlen(h->value[i]);
            return h->value[i];
        }
    return NULL;
}

static const char *
fz_req_lookup(fz_req_headers *h, const char *name)
{
    size_t len;
    return fz_req_lookup_nth(h, name, 0, &len);
}

/* The model's trim: spaces and tabs at both ends. */
static void
fz_req_trim(const char **s, size_t *len)
{
    while (*len && (**s == ' ' || **s == '\t'))
        (*s)++, (*len)--;
    while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
}

/* An independent containment test: compare the first `prefix` bits. */
static bool
fz_req_contains(const gr_cidr *c, const gr_ip *ip)
{
    for (unsigned bit = 0; bit < c->prefix && bit < 128; bit++) {
        unsigned byte = bit / 8, mask = 0x80u >> (bit % 8);
        if ((c->net.b[byte] & mask) != (ip->b[byte] & mask))
            return false;
    }
    return true;
}

static void
fz_req_check_cidr(const gr_cidr *c)
{
    FZ_CHECK(c->prefix <= 128, "prefix %u", c->prefix);
    for (unsigned bit = c->prefix; bit < 128; bit++)
        FZ_CHECK(!(c->net.b[bit / 8] & (0x80u >> (bit % 8))), "net not masked at bit %u", bit);
    FZ_CHECK(gr_cidr_contains(c, &c->net), "a block must contain its network address");
}

/* The model: which text is the requester, or NULL for the peer. */
static const char *
fz_req_model(fz_req_headers *h, size_t *len, gr_req_source *src)
{
    static const gr_req_source srcs[3] = {GR_REQ_FROM_X_REAL_IP, GR_REQ_FROM_CF_CONNECTING_IP,
                                          GR_REQ_FROM_FASTLY_CLIENT_IP};
    for (int i = 0; i < 3; i++) {
        const char *v = fz_req_lookup(h, fz_req_names[i]);
        if (!v)
            continue;
        *len = strlen(v);
        fz_req_trim(&v, len);
        if (*len) {
            *src = srcs[i];
            return v;
        }
    }
    const char *v = fz_req_lookup(h, "X-Forwarded-For");
    if (v) {
        *len = strlen(v);
        const char *comma = memchr(v, ',', *len);
        if (comma)
            *len = (size_t)(comma - v);
        fz_req_trim(&v, len);
        if (*len) {
            *src = GR_REQ_FROM_X_FORWARDED_FOR;
            return v;
        }
    }
    *src = GR_REQ_FROM_PEER;
    return NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    fz_in in = fz_in_make(data, size);
    uint8_t flags = fz_u8(&in);
    gr_ip peer;
    fz_bytes(&in, peer.b, 16);
    bool trust_all = flags & 1, no_peer = flags & 2;

    size_t len;
    const uint8_t *f = fz_field(&in, '\n', &len);
    char *list = fz_strndup(f, len);
    gr_cidr cidrs[FZ_REQ_MAX_CIDRS];
    int n = gr_cidr_list_parse(list, cidrs, FZ_REQ_MAX_CIDRS);
    FZ_CHECK(n <= FZ_REQ_MAX_CIDRS && n >= GR_IP_ETOOLONG, "list parse returned %d", n);
    for (int i = 0; i < n; i++)
        fz_req_check_cidr(&cidrs[i]);
    if (n < 0)
        n = 0;

    fz_req_headers h = {.n = 0};
    while (in.n && h.n < FZ_REQ_MAX_HEADERS) {
        f = fz_field(&in, '\n', &len);
        if (len && f[0] >= 1 && f[0] <= 4) {
            h.name[h.n] =
                fz_strndup((const uint8_t *)fz_req_names[f[0] - 1], strlen(fz_req_names[f[0] - 1]));
            h.value[h.n] = fz_strndup(f + 1, len - 1);
        } else {
            const uint8_t *colon = len ? memchr(f, ':', len) : NULL;
            size_t nlen = colon ? (size_t)(colon - f) : len;
            h.name[h.n] = fz_strndup(f, nlen);
            h.value[h.n] = colon ? fz_strndup(colon + 1, len - nlen - 1) : fz_strndup(f, 0);
        }
        h.n++;
    }

    gr_req_policy policy = {trust_all ? GR_REQ_TRUST_ALL : GR_REQ_TRUST_LIST, cidrs, (size_t)n,
                            GR_REQ_MODE_ZORAXY, NULL};
    bool trusted = trust_all;
    for (int i = 0; i < n && !no_peer && !trusted; i++)
        trusted = fz_req_contains(&cidrs[i], &peer);
    for (int i = 0; i < n && !no_peer; i++)
        FZ_CHECK(gr_cidr_contains(&cidrs[i], &peer) == fz_req_contains(&cidrs[i], &peer),
                 "containment differs from the bitwise model for block %d", i);

    gr_ip out;
    memset(&out, 0xa5, sizeof out);
    gr_req_source src = (gr_req_source)-1;
    int rc = gr_requester_ip(&policy, no_peer ? NULL : &peer, fz_req_lookup_nth, &h, &out, &src);
    FZ_CHECK(rc <= 0 && rc >= GR_IP_ETOOLONG, "return %d is not a gr_ip_error", rc);
    FZ_CHECK(gr_req_source_name(src) && strcmp(gr_req_source_name(src), "unknown"),
             "source %d out of range", (int)src);

    if (!trusted) {
        FZ_CHECK(src == GR_REQ_FROM_PEER, "untrusted peer judged by a header (%s)",
                 gr_req_source_name(src));
        if (no_peer) {
            FZ_CHECK(rc == GR_IP_EEMPTY, "no peer, no trust: %d", rc);
        } else {
            FZ_CHECK(rc == GR_IP_OK && gr_ip_equal(&out, &peer), "untrusted peer not itself");
            FZ_CHECK(h.lookups == 0, "headers of an untrusted peer were read (%d)", h.lookups);
        }
    } else {
        size_t vlen = 0;
        gr_req_source want;
        const char *v = fz_req_model(&h, &vlen, &want);
        FZ_CHECK(src == want, "source %s, model %s", gr_req_source_name(src),
                 gr_req_source_name(want));
        if (!v) {
            if (no_peer)
                FZ_CHECK(rc == GR_IP_EEMPTY, "no header, no peer: %d", rc);
            else
                FZ_CHECK(rc == GR_IP_OK && gr_ip_equal(&out, &peer), "fallback is not the peer");
        } else {
            gr_ip want_ip;
            int want_rc = gr_ip_parse_host(v, vlen, &want_ip);
            FZ_CHECK(rc == want_rc, "rc %d, model %d", rc, want_rc);
            if (rc == GR_IP_OK)
                FZ_CHECK(gr_ip_equal(&out, &want_ip), "address differs from the model");
        }
    }
    if (rc == GR_IP_OK) {
        char text[GR_IP_STRLEN];
        size_t tl = gr_ip_format(&out, text, sizeof text);
        gr_ip again;
        FZ_CHECK(gr_ip_parse(text, tl, &again) == GR_IP_OK && gr_ip_equal(&again, &out),
                 "result is not a valid address");
    }

    for (int i = 0; i < h.n; i++) {
        free(h.name[i]);
        free(h.value[i]);
    }
    free(list);
    return 0;
}
