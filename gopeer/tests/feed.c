/*
 * feed.c - georace-gopeer-feed, the test driver of the Go peer: draws a
 * traffic stream from georace's own traffic model (a profile, a seed, the
 * default database or CSV files) and writes it in the wire format
 * (georace/traffic_wire.h) to a child's standard input, to standard output,
 * or as text.
 *
 *   georace-gopeer-feed [options] -- PROGRAM [ARG...]
 *       fork/exec PROGRAM with a pipe on its standard input, write the
 *       stream until the request limit or until PROGRAM stops reading, wait
 *       for it and exit with its status (128 + N for signal N)
 *   georace-gopeer-feed [options]          the stream on standard output
 *   georace-gopeer-feed --text [options]   one line per record, decoded
 *       back from its encoding (the Go peer's --dump prints the same)
 *
 * The stream is stream index 0 of the seed at the whole rate: the requests
 * 'georace sim --threads 1' serves for the same profile, seed and rate.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "georace/traffic.h"
#include "georace/traffic_wire.h"

#define FEED_MAX_CSV 16

struct feed_options {
    const char *profile;
    uint64_t seed;
    bool seed_set;
    double rate; /* < 0: the profile's */
    uint64_t requests;
    const char *csv[FEED_MAX_CSV];
    size_t n_csv;
    bool text;
    char **child; /* argv after "--", or NULL */
};

static void
feed_usage(FILE *f)
{
    fprintf(f, "usage: georace-gopeer-feed [--profile P] [--seed N] [--rate R | --flat-out]\n"
               "                           [--requests N] [--csv FILE]... [--text]\n"
               "                           [-- PROGRAM [ARG...]]\n"
               "\n"
               "Writes a georace traffic stream (32-byte records) for the Go peer: to\n"
               "PROGRAM's standard input, else to standard output; --text prints the\n"
               "records decoded instead.\n"
               "\n"
               "  --profile P   built-in profile or JSON file (default zoraxy-home)\n"
               "  --seed N      seed (default: the profile's)\n"
               "  --rate R      requests/s (default: the profile's); --flat-out: 0\n"
               "  --requests N  stop after N requests, whole bursts (default: no limit;\n"
               "                1000 with --text)\n"
               "  --csv FILE    draw addresses from these ranges (default: the embedded\n"
               "                database)\n"
               "\n"
               "exit status: PROGRAM's (128 + N if killed by signal N); without PROGRAM 0,\n"
               "or 1 on a write error; 64 usage; 65 malformed input; 66 missing input.\n");
}

static int feed_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A usage error: the message, and the usage status. */
static int
feed_bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("feed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 64;
}

static int
feed_parse(int argc, char **argv, struct feed_options *o)
{
    static const struct option longopts[] = {{"profile", required_argument, NULL, 'p'},
                                             {"seed", required_argument, NULL, 's'},
                                             {"rate", required_argument, NULL, 'r'},
                                             {"flat-out", no_argument, NULL, 'f'},
                                             {"requests", required_argument, NULL, 'n'},
                                             {"csv", required_argument, NULL, 'c'},
                                             {"text", no_argument, NULL, 't'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    memset(o, 0, sizeof *o);
    o->profile = "zoraxy-home";
    o->rate = -1;
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->profile = optarg;
            break;
        case 's':
            errno = 0;
            o->seed = strtoull(optarg, &end, 0);
            if (errno || *end || !*optarg)
                return feed_bad("--seed: not a number: %s", optarg);
            o->seed_set = true;
            break;
        case 'r':
            o->rate = strtod(optarg, &end);
            if (*end || !*optarg || !(o->rate >= 0))
                return feed_bad("--rate: not a rate: %s", optarg);
            break;
        case 'f':
            o->rate = 0;
            break;
        case 'n':
            errno = 0;
            o->requests = strtoull(optarg, &end, 0);
            if (errno || *end || !*optarg)
                return feed_bad("--requests: not a number: %s", optarg);
            break;
        case 'c':
            if (o->n_csv == FEED_MAX_CSV)
                return feed_bad("at most %d --csv files", FEED_MAX_CSV);
            o->csv[o->n_csv++] = optarg;
            break;
        case 't':
            o->text = true;
            break;
        case 'h':
            feed_usage(stdout);
            exit(0);
        default:
            feed_usage(stderr);
            return 64;
        }
    }
    if (optind < argc)
        o->child = argv + optind;
    if (o->child && o->text)
        return feed_bad("--text prints, it does not feed a PROGRAM");
    return 0;
}

static int
feed_exit_status(int rc)
{
    return rc == GR_TRAFFIC_ENOENT ? 66 : rc == GR_TRAFFIC_EFORMAT ? 65 : 70;
}

static int
feed_pool(const struct feed_options *o, gr_addrpool **pool)
{
    char err[512] = "";
    int rc = o->n_csv ? gr_addrpool_from_csv_file(o->csv[0], pool, err, sizeof err)
                      : gr_addrpool_default(pool, err, sizeof err);
    for (size_t i = 1; rc == GR_TRAFFIC_OK && i < o->n_csv; i++)
        rc = gr_addrpool_add_csv_file(*pool, o->csv[i], err, sizeof err);
    if (rc != GR_TRAFFIC_OK) {
        fprintf(stderr, "feed: %s\n", err[0] ? err : gr_traffic_strerror(rc));
        return feed_exit_status(rc);
    }
    return 0;
}

/* Each record encoded, decoded back and printed as the Go peer's --dump
 * prints it. */
static int
feed_text(gr_traffic *t, const gr_wire_header *h, uint64_t requests)
{
    static const char *const kinds[] = {"visitor", "new-visitor", "scanner", "spray", "reserved"};
    printf("header seed=%" PRIu64 " stream=%" PRIu32 " rate=%.3f flat_out=%s\n", h->seed,
           h->stream_index, h->rate, (h->flags & GR_WIRE_FLAT_OUT) ? "true" : "false");
    gr_request burst[GR_PROFILE_BURST_MAX];
    for (uint64_t n = 0; n < requests;) {
        size_t k = gr_traffic_next_burst(t, burst, GR_PROFILE_BURST_MAX);
        for (size_t i = 0; i < k; i++) {
            uint8_t rec[GR_WIRE_RECORD_SIZE];
            gr_request r;
            gr_wire_encode(&burst[i], rec);
            if (gr_wire_decode(rec, &r) != GR_WIRE_OK) {
                fprintf(stderr, "feed: request %" PRIu64 " does not decode\n", n + i + 1);
                return 70;
            }
            char want[16] = "-", addr[33];
            if (r.zone != GR_ZONE_NONE)
                snprintf(want, sizeof want, "%s", gr_zone_name(r.zone));
            else if (r.truth != GR_COUNTRY_NONE)
                gr_country_str(r.truth, want);
            for (int b = 0; b < 16; b++)
                snprintf(addr + 2 * b, 3, "%02x", r.client.b[b]);
            printf("%" PRIu64 " %u %u/%u %s %02x %s %s\n", r.at_ns, (unsigned)r.burst_id,
                   (unsigned)r.burst_index, (unsigned)r.burst_len, kinds[r.kind], rec[26], addr,
                   want);
        }
        n += k;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}

static int
feed_child(char **argv, gr_traffic *t, const gr_wire_header *h, uint64_t requests)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("feed: pipe");
        return 70;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("feed: fork");
        return 70;
    }
    if (pid == 0) {
        close(fds[1]);
        if (dup2(fds[0], STDIN_FILENO) < 0)
            _exit(127);
        close(fds[0]);
        execvp(argv[0], argv);
        fprintf(stderr, "feed: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fds[0]);
    uint64_t written = 0;
    int rc = gr_wire_write_stream(fds[1], t, h, requests, NULL, &written);
    if (rc == GR_WIRE_EIO)
        fprintf(stderr, "feed: writing to %s: %s\n", argv[0], strerror(errno));
    close(fds[1]); /* end of stream */
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("feed: waitpid");
            return 70;
        }
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}

int
main(int argc, char **argv)
{
    struct feed_options o;
    int rc = feed_parse(argc, argv, &o);
    if (rc)
        return rc;
    gr_profile profile;
    char err[512] = "";
    rc = gr_profile_load(o.profile, &profile, err, sizeof err);
    if (rc) {
        fprintf(stderr, "feed: %s\n", err);
        return feed_exit_status(rc);
    }
    gr_addrpool *pool = NULL;
    if ((rc = feed_pool(&o, &pool)) != 0)
        return rc;
    uint64_t seed = o.seed_set ? o.seed : profile.seed;
    double rate = o.rate < 0 ? profile.rate : o.rate;
    gr_traffic *t;
    rc = gr_traffic_create(&profile, pool, seed, 0, rate, &t);
    if (rc) {
        fprintf(stderr, "feed: %s\n", gr_traffic_strerror(rc));
        gr_addrpool_free(pool);
        return 70;
    }
    gr_wire_header h;
    gr_wire_header_init(&h, seed, 0, rate);
    if (o.text) {
        rc = feed_text(t, &h, o.requests ? o.requests : 1000);
    } else if (o.child) {
        rc = feed_child(o.child, t, &h, o.requests);
    } else {
        rc = gr_wire_write_stream(STDOUT_FILENO, t, &h, o.requests, NULL, NULL);
        if (rc == GR_WIRE_EIO)
            fprintf(stderr, "feed: writing the stream: %s\n", strerror(errno));
        rc = rc == GR_WIRE_EIO ? 1 : 0;
    }
    gr_traffic_free(t);
    gr_addrpool_free(pool);
    return rc;
}
