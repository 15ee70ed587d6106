/*
 * fuzz_csvdb.c - the CSV range loader ("start,end,CC" lines), both kinds.
 *
 * The whole input is the CSV text, handed over with its exact length (no
 * terminating NUL, so ASan sees any read past the end). Oracles:
 *   - open returns OK or a gr_geodb_error, with a terminated, non-empty
 *     message on failure; malformed text never crashes or hangs;
 *   - scan-bsearch accepts a subset of what scan accepts (it also rejects
 *     overlapping ranges);
 *   - after a successful open, lookups of the edges of the first rows (start,
 *     end, one before, one after) and of the address-space corners agree with
 *     a model: the first row in file order whose family matches and whose
 *     range holds the address, as Zoraxy's walk answers. scan-bsearch agrees
 *     with scan wherever both opened.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "georace/geodb.h"

#define FZ_CSV_MAX_ROWS 8192
#define FZ_CSV_PROBE_ROWS 8

struct fz_csv_row {
    gr_ip start, end;
    gr_country cc;
    bool v6;
};

/* The model's reading of the rows that open accepted: split on commas, parse
 * both ends. Only called after open succeeded, so every non-empty line is a
 * valid row. Returns the row count (capped). */
static size_t
fz_csv_model_rows(const char *text, size_t len, struct fz_csv_row *rows, size_t cap)
{
    size_t n = 0, pos = 0;
    while (pos < len && n < cap) {
        const char *line = text + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - line) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (ll && line[ll - 1] == '\r')
            ll--;
        if (!ll)
            continue;
        const char *c1 = memchr(line, ',', ll);
        FZ_CHECK(c1, "accepted row without a comma");
        const char *c2 = memchr(c1 + 1, ',', ll - (size_t)(c1 + 1 - line));
        FZ_CHECK(c2 && line + ll - c2 == 3, "accepted row without a two-letter code");
        struct fz_csv_row *r = &rows[n++];
        FZ_CHECK(gr_ip_parse(line, (size_t)(c1 - line), &r->start) == GR_IP_OK,
                 "accepted row with a bad start");
        FZ_CHECK(gr_ip_parse(c1 + 1, (size_t)(c2 - c1 - 1), &r->end) == GR_IP_OK,
                 "accepted row with a bad end");
        FZ_CHECK(gr_ip_compare(&r->start, &r->end) <= 0, "accepted row with start > end");
        char cc[3] = {c2[1], c2[2], 0};
        r->cc = gr_country_from_str(cc);
        FZ_CHECK(gr_country_valid(r->cc), "accepted row with a bad country code");
        r->v6 = memchr(line, ':', (size_t)(c1 - line)) != NULL;
        FZ_CHECK(r->v6 == !gr_ip_is_v4(&r->start), "row family differs from its address");
    }
    return n;
}

static int
fz_csv_model_lookup(const struct fz_csv_row *rows, size_t n, const gr_ip *ip, gr_country *out)
{
    bool v6 = !gr_ip_is_v4(ip);
    for (size_t i = 0; i < n; i++) {
        if (rows[i].v6 != v6)
            continue;
        if (gr_ip_compare(&rows[i].start, ip) <= 0 && gr_ip_compare(ip, &rows[i].end) <= 0) {
            *out = rows[i].cc;
            return 1;
        }
    }
    return 0;
}

/* ip + delta (+1 or -1) in the 128-bit space, wrapping. */
static gr_ip
fz_csv_step(gr_ip ip, int delta)
{
    for (int i = 15; i >= 0; i--) {
        uint8_t old = ip.b[i];
        ip.b[i] = (uint8_t)(old + delta);
        if ((delta > 0 && old != 0xff) || (delta < 0 && old != 0x00))
            break;
    }
    return ip;
}

static void
fz_csv_check_open(int rc, const char *err)
{
    FZ_CHECK(rc == GR_GEODB_OK || rc == GR_GEODB_EFORMAT || rc == GR_GEODB_ENOMEM,
             "unexpected open status %d", rc);
    if (rc != GR_GEODB_OK)
        FZ_CHECK(err[0] != '\0' && memchr(err, '\0', 256), "failure without a message");
    FZ_CHECK(gr_geodb_strerror(rc) != NULL, "no strerror for %d", rc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0; /* the linear walk is quadratic here; large files add nothing */
    const char *text = (const char *)data;
    char err_scan[256] = "", err_bs[256] = "";
    gr_geodb *scan = NULL, *bs = NULL;
    int rc_scan =
        gr_geodb_open_scan_buffer(GR_GEODB_SCAN, text, size, &scan, err_scan, sizeof err_scan);
    int rc_bs =
        gr_geodb_open_scan_buffer(GR_GEODB_SCAN_BSEARCH, text, size, &bs, err_bs, sizeof err_bs);
    fz_csv_check_open(rc_scan, err_scan);
    fz_csv_check_open(rc_bs, err_bs);
    if (rc_bs == GR_GEODB_OK)
        FZ_CHECK(rc_scan == GR_GEODB_OK, "scan-bsearch accepted what scan rejects: %s", err_scan);

    if (rc_scan == GR_GEODB_OK) {
        static struct fz_csv_row rows[FZ_CSV_MAX_ROWS];
        size_t n = fz_csv_model_rows(text, size, rows, FZ_CSV_MAX_ROWS);
        FZ_CHECK(n > 0, "an empty CSV was accepted");
        gr_ip probes[4 * FZ_CSV_PROBE_ROWS + 4];
        size_t np = 0;
        for (size_t i = 0; i < n && i < FZ_CSV_PROBE_ROWS; i++) {
            probes[np++] = rows[i].start;
            probes[np++] = rows[i].end;
            probes[np++] = fz_csv_step(rows[i].start, -1);
            probes[np++] = fz_csv_step(rows[i].end, +1);
        }
        gr_ip_from_v4(0, &probes[np++]);
        gr_ip_from_v4(UINT32_MAX, &probes[np++]);
        memset(&probes[np++], 0x00, sizeof(gr_ip));
        memset(&probes[np++], 0xff, sizeof(gr_ip));

        for (size_t i = 0; i < np; i++) {
            gr_country want = 0, got = 0, got_bs = 0;
            int m = fz_csv_model_lookup(rows, n, &probes[i], &want);
            int r = gr_geodb_lookup(scan, &probes[i], &got);
            char text_ip[GR_IP_STRLEN];
            gr_ip_format(&probes[i], text_ip, sizeof text_ip);
            FZ_CHECK(r == m && (!m || got == want), "scan: %s -> %d/%04x, model %d/%04x", text_ip,
                     r, got, m, want);
            if (bs) {
                int rb = gr_geodb_lookup(bs, &probes[i], &got_bs);
                FZ_CHECK(rb == r && (!r || got_bs == got), "scan-bsearch: %s -> %d/%04x, scan %d",
                         text_ip, rb, got_bs, r);
            }
        }
    }
    gr_geodb_close(scan);
    gr_geodb_close(bs);
    return 0;
}
