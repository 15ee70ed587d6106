/*
 * merge.c - see merge.h. Everything is loaded in memory (results files are
 * small: one line per trial plus a few samples per second of trial). A
 * trial's key is its variant, profile, path (sim or proxy) and seed, kept in
 * a jansson object used as a hash table: two campaigns that differ in any of
 * them never shadow each other's trials. Samples written before samples
 * carried a profile and a path take them from their file's job header.
 */
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "georace/jsonl.h"
#include "georace/merge.h"

static void
gr_merge_key(json_t *o, json_t *job, char *key, size_t cap)
{
    const char *profile = gr_jsonl_str(o, "profile", gr_jsonl_str(job, "profile", ""));
    const char *via = gr_jsonl_str(o, "via", gr_jsonl_str(job, "via", "sim"));
    snprintf(key, cap, "%s\n%s\n%s\n%.0f", gr_jsonl_str(o, "variant", ""), profile, via,
             gr_jsonl_num(o, "seed", -1));
}

static int
gr_merge_trial_cmp(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    int c = strcmp(gr_jsonl_str(x, "variant", ""), gr_jsonl_str(y, "variant", ""));
    if (c)
        return c;
    double sx = gr_jsonl_num(x, "seed", 0), sy = gr_jsonl_num(y, "seed", 0);
    return sx < sy ? -1 : sx > sy;
}

static int
gr_merge_seen(json_t *list, json_t *o)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (json_equal(v, o)) return 1;
    return 0;
}

int
gr_merge_files(const char *const *paths, size_t n, FILE *out, gr_merge_stats *st, char *err,
               size_t errcap)
{
    memset(st, 0, sizeof *st);
    json_t *files = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *arr = json_array();
        int rc = gr_jsonl_load(paths[i], arr, err, errcap);
        json_array_append_new(files, arr);
        if (rc == GR_JSONL_TORN) {
            st->torn++;
            snprintf(st->torn_last, sizeof st->torn_last, "%s", err);
        } else if (rc) {
            json_decref(files);
            return rc;
        }
    }
    json_t *owner = json_object(); /* trial key -> file index */
    json_t *jobs = json_array(), *others = json_array();
    size_t cap = 64, nt = 0;
    json_t **trials = malloc(cap * sizeof *trials);
    int rc = 0;
    if (!trials) {
        snprintf(err, errcap, "out of memory");
        rc = -1;
        goto out;
    }
    char key[1024];
    for (size_t f = 0; f < n; f++) {
        size_t i;
        json_t *o, *job = NULL;
        json_array_foreach(json_array_get(files, f), i, o)
        {
            if (gr_jsonl_is(o, "job")) {
                job = o;
                if (!gr_merge_seen(jobs, o))
                    json_array_append(jobs, o);
            } else if (gr_jsonl_is(o, "trial")) {
                gr_merge_key(o, job, key, sizeof key);
                if (json_object_get(owner, key)) {
                    st->duplicates++;
                    continue;
                }
                json_object_set_new(owner, key, json_integer((json_int_t)f));
                if (nt == cap) {
                    cap *= 2;
                    json_t **p = realloc(trials, cap * sizeof *p);
                    if (!p) {
                        snprintf(err, errcap, "out of memory");
                        rc = -1;
                        goto out;
                    }
                    trials = p;
                }
                trials[nt++] = o;
            } else if (!gr_jsonl_is(o, "sample")) {
                if (!gr_merge_seen(others, o))
                    json_array_append(others, o);
            }
        }
    }
    qsort(trials, nt, sizeof *trials, gr_merge_trial_cmp);
    size_t i;
    json_t *o;
    json_array_foreach(jobs, i, o) gr_jsonl_write(out, o);
    st->jobs = json_array_size(jobs);
    for (size_t t = 0; t < nt; t++)
        gr_jsonl_write(out, trials[t]);
    st->trials = nt;
    json_array_foreach(others, i, o) gr_jsonl_write(out, o);
    st->other = json_array_size(others);
    for (size_t f = 0; f < n; f++) {
        json_t *job = NULL;
        json_array_foreach(json_array_get(files, f), i, o)
        {
            if (gr_jsonl_is(o, "job"))
                job = o;
            if (!gr_jsonl_is(o, "sample"))
                continue;
            gr_merge_key(o, job, key, sizeof key);
            json_t *who = json_object_get(owner, key);
            if (who && (size_t)json_integer_value(who) == f) {
                gr_jsonl_write(out, o);
                st->samples++;
            }
        }
    }
out:
    free(trials);
    json_decref(owner);
    json_decref(jobs);
    json_decref(others);
    json_decref(files);
    return rc;
}
