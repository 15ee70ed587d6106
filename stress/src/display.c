/*
 * display.c - the live progress of a campaign: one line rewritten in place
 * on a terminal, a plain line every few seconds in CI logs. Its request
 * rate is a moving average over the last few seconds (the campaign's,
 * rate.h), so a slow steady run reads its real rate.
 */
#include <stdio.h>
#include <time.h>

#include "georace/campaign.h"

static double
gr_display_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
gr_display_hms(char *buf, size_t cap, double s)
{
    if (s < 0) {
        snprintf(buf, cap, "?");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    snprintf(buf, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
}

void
gr_campaign_display_status(const gr_campaign_status *st, bool trial_ended, void *ctx)
{
    gr_campaign_display *d = ctx;
    double now = gr_display_now();
    if (!d->tty && !trial_ended && now - d->last_print_s < d->period_s)
        return;
    if (!d->tty && trial_ended && now - d->last_print_s < d->period_s)
        return;
    if (d->tty && now - d->last_print_s < 0.2 && !trial_ended)
        return;
    d->last_print_s = now;
    char el[32], eta[32], trials[48];
    gr_display_hms(el, sizeof el, st->elapsed_s);
    gr_display_hms(eta, sizeof eta, st->eta_s);
    if (st->trials_planned)
        snprintf(trials, sizeof trials, "%llu/%llu", (unsigned long long)st->trials_done,
                 (unsigned long long)st->trials_planned);
    else
        snprintf(trials, sizeof trials, "%llu", (unsigned long long)st->trials_done);
    char line[256];
    int n = snprintf(line, sizeof line,
                     "elapsed %s eta %s | trials %s | %.0f req/s (%.0fs avg) | hit %.1f%% | "
                     "cache %zu | rss %.1f MiB | failures %llu | mismatches %llu",
                     el, eta, trials, st->req_per_s, GR_CAMPAIGN_RATE_TAU_S, st->hit_ratio * 100,
                     st->cache_len, (double)st->rss_kb / 1024, (unsigned long long)st->failures,
                     (unsigned long long)st->mismatches);
    if (d->tty) {
        int pad = d->last_len > n ? d->last_len - n : 0;
        fprintf(d->f, "\r%s%*s", line, pad, "");
        d->last_len = n;
    } else {
        fprintf(d->f, "%s\n", line);
    }
    fflush(d->f);
}

void
gr_campaign_display_end(gr_campaign_display *d)
{
    if (d->tty && d->last_len) {
        fputc('\n', d->f);
        fflush(d->f);
    }
    d->last_len = 0;
}
