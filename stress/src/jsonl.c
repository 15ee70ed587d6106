/*
 * jsonl.c - JSON lines in and out, and the trial/sample record layouts.
 *
 * Writing: json_dumpf(JSON_COMPACT) plus a newline, flushed per line, so a
 * campaign killed at any moment leaves every finished trial on disk.
 * Reading: getline() per line, json_loads per line; blank lines are skipped.
 * A last line with no newline that does not parse is what a writer killed
 * mid-line leaves: it is skipped and reported (GR_JSONL_TORN), and every
 * line before it counts. The same bytes anywhere else are malformed input.
 */
#include <stdlib.h>
#include <string.h>

#include "georace/jsonl.h"

int
gr_jsonl_write(FILE *f, json_t *obj)
{
    if (!obj)
        return -1;
    int rc = json_dumpf(obj, f, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (rc == 0 && fputc('\n', f) == EOF)
        rc = -1;
    if (fflush(f))
        rc = -1;
    return rc ? -1 : 0;
}

int
gr_jsonl_read(const char *path, gr_jsonl_line_fn fn, void *ctx, char *err, size_t errcap)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) >= 0) {
        lineno++;
        bool ended = n > 0 && line[n - 1] == '\n';
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (n == 0)
            continue;
        json_error_t jerr;
        json_t *obj = json_loadb(line, (size_t)n, 0, &jerr);
        if (!obj && !ended) {
            snprintf(err, errcap, "%s:%ld: last line cut short (no newline, not JSON): skipped",
                     path, lineno);
            rc = GR_JSONL_TORN;
            break;
        }
        if (!json_is_object(obj)) {
            snprintf(err, errcap, "%s:%ld: %s", path, lineno,
                     obj ? "not a JSON object" : jerr.text);
            json_decref(obj);
            rc = -2;
            break;
        }
        int stop = fn(obj, ctx);
        json_decref(obj);
        if (stop)
            break;
    }
    free(line);
    fclose(f);
    return rc;
}

static int
gr_jsonl_append(json_t *obj, void *ctx)
{
    json_array_append(ctx, obj);
    return 0;
}

int
gr_jsonl_load(const char *path, json_t *arr, char *err, size_t errcap)
{
    return gr_jsonl_read(path, gr_jsonl_append, arr, err, errcap);
}

json_t *
gr_jsonl_trial(const gr_jsonl_trial_id *id, const gr_trial_result *r)
{
    const gr_sim_result *s = &r->sim;
    double hit_ratio = s->requests ? (double)s->hits / (double)s->requests : 0;
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:b, s:i, s:i, s:s, s:f, s:f}", "type",
                  "trial", "variant", id->variant, "profile", id->profile ? id->profile : "", "via",
                  id->via ? id->via : "sim", "seed", (json_int_t)id->seed, "index",
                  (json_int_t)id->index, "outcome", gr_trial_outcome_name(r->outcome), "failed",
                  gr_trial_failed(r), "exit_status", r->exit_status, "signal", r->term_signal,
                  "message", r->message, "ttf_s", r->ttf_s, "duration_s", r->elapsed_s);
    /* null: not known (a real proxy that died before it could be asked) */
    bool cu = r->cache_unknown;
    json_object_set_new(o, "requests", json_integer((json_int_t)s->requests));
    json_object_set_new(o, "hits", cu ? json_null() : json_integer((json_int_t)s->hits));
    json_object_set_new(o, "misses", cu ? json_null() : json_integer((json_int_t)s->misses));
    json_object_set_new(o, "mismatches", json_integer((json_int_t)s->mismatches));
    json_object_set_new(o, "errors", json_integer((json_int_t)s->errors));
    json_object_set_new(o, "clears", cu ? json_null() : json_integer((json_int_t)s->clears));
    json_object_set_new(o, "req_per_s", json_real(s->req_per_s));
    json_object_set_new(o, "hit_ratio", cu ? json_null() : json_real(hit_ratio));
    json_object_set_new(o, "cache_len_max",
                        cu ? json_null() : json_integer((json_int_t)s->cache_len_max));
    json_object_set_new(o, "rss_max_kb",
                        r->rss_unknown ? json_null() : json_integer((json_int_t)s->rss_max_kb));
    json_object_set_new(o, "complete", json_boolean(r->have_final));
    json_object_set_new(o, "startup_s", json_real(r->start_offset_s));
    json_object_set_new(o, "startup_measured", json_boolean(r->start_offset_measured));
    if (r->first_report_s >= 0)
        json_object_set_new(o, "first_report_s", json_real(r->first_report_s));
    if (id->subject) {
        json_object_set_new(o, "subject", json_string(id->subject));
        /* same-burst writer pairs, and the running time the counters cover
         * (a death after the last progress line is not counted) */
        json_object_set_new(o, "write_pairs", json_integer((json_int_t)s->write_pairs));
        json_object_set_new(o, "counted_s", json_real((double)s->elapsed_ns / 1e9));
    }
    const gr_trial_subject *sub = &r->subject;
    if (r->have_subject && sub->have_runtime) {
        json_object_set_new(o, "gomaxprocs", json_integer(sub->gomaxprocs));
        json_object_set_new(o, "numcpu", json_integer(sub->numcpu));
        json_object_set_new(o, "loadavg1",
                            sub->loadavg1 < 0 ? json_null() : json_real(sub->loadavg1));
    }
    return o;
}

json_t *
gr_jsonl_sample(const gr_jsonl_trial_id *id, const gr_sim_progress *p, double req_per_s)
{
    double hit_ratio = p->requests ? (double)p->hits / (double)p->requests : 0;
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:f, s:I, s:f, s:f, s:I, s:I, s:I}", "type",
                     "sample", "variant", id->variant, "profile", id->profile ? id->profile : "",
                     "via", id->via ? id->via : "sim", "seed", (json_int_t)id->seed, "t_s",
                     (double)p->elapsed_ns / 1e9, "requests", (json_int_t)p->requests, "req_per_s",
                     req_per_s, "hit_ratio", hit_ratio, "cache_len", (json_int_t)p->cache_len,
                     "rss_kb", (json_int_t)p->rss_kb, "mismatches", (json_int_t)p->mismatches);
}

const char *
gr_jsonl_str(json_t *o, const char *key, const char *dflt)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : dflt;
}

double
gr_jsonl_num(json_t *o, const char *key, double dflt)
{
    json_t *v = json_object_get(o, key);
    if (json_is_boolean(v))
        return json_is_true(v) ? 1 : 0;
    return json_is_number(v) ? json_number_value(v) : dflt;
}

bool
gr_jsonl_is(json_t *o, const char *type)
{
    const char *t = gr_jsonl_str(o, "type", "");
    return !strcmp(t, type);
}
