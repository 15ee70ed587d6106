/*
 * peer_go.c - Go's sync.Map and a Go map behind sync.RWMutex as 'bench
 * cache' targets, run by the Go peer (gopeer/, --bench-cache).
 *
 * The cell is handed over whole: its parameters, the hot keys and every
 * worker's Zipf ranks go into a temporary file (little-endian, layout
 * below); the peer runs the worker loop of cache_engine.c on the Go
 * runtime with GOMAXPROCS = threads and prints one JSON line with ops,
 * hits, misses, clears and seconds. Fresh keys and the hit/miss draws come
 * from the same splitmix64 streams on both sides, so a Go cell and a C cell
 * do the same operations in the same order per worker.
 *
 * The peer is the build's (GEORACE_GOPEER, when a Go toolchain was found at
 * configure time) or $GEORACE_GOPEER; without one the targets are
 * unavailable and 'bench cache' lists them as skipped.
 *
 *   header   "GRBC", u32 version 2, threads, keys, miss permille, reset (0/1),
 *            ranks per worker (65536), u64 seed, duration ns, reset ns,
 *            warm-up ns
 *
 * The peer measures like the C engine: the goroutines start together, run
 * the warm-up, and the counts are snapshotted at both ends of the window.
 *   keys     keys x 16 bytes
 *   ranks    threads x 65536 x u32
 */
#include <errno.h>
#include <jansson.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "target.h"

#ifndef GEORACE_GOPEER
#define GEORACE_GOPEER ""
#endif

extern char **environ;

static const char *
gr_bench_go_path(void)
{
    const char *env = getenv("GEORACE_GOPEER");
    const char *path = env && *env ? env : GEORACE_GOPEER;
    return path[0] && access(path, X_OK) == 0 ? path : NULL;
}

static const char *
gr_bench_go_unavailable(void)
{
    return gr_bench_go_path() ? NULL
                              : "no Go peer (georace-gopeer: needs Go 1.19 or later at configure "
                                "time, Debian golang-go; or set GEORACE_GOPEER)";
}

static void
gr_bench_go_u32(FILE *f, uint32_t v)
{
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
}

static void
gr_bench_go_u64(FILE *f, uint64_t v)
{
    gr_bench_go_u32(f, (uint32_t)v);
    gr_bench_go_u32(f, (uint32_t)(v >> 32));
}

/* The cell file; 0, or -1 with a message in err. */
static int
gr_bench_go_write(int fd, const gr_bench_cell *cell, const struct gr_bench_workload *w, char *err,
                  size_t cap)
{
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        snprintf(err, cap, "go peer: %s", strerror(errno));
        close(fd);
        return -1;
    }
    fwrite("GRBC", 1, 4, f);
    gr_bench_go_u32(f, 2);
    gr_bench_go_u32(f, cell->threads);
    gr_bench_go_u32(f, (uint32_t)cell->keys);
    gr_bench_go_u32(f, w->miss_permille);
    gr_bench_go_u32(f, cell->mix == GR_BENCH_RESET_STORM);
    gr_bench_go_u32(f, GR_BENCH_SEQ);
    gr_bench_go_u64(f, cell->seed);
    gr_bench_go_u64(f, cell->duration_ns);
    gr_bench_go_u64(f, cell->reset_ns);
    gr_bench_go_u64(f, cell->warmup_ns);
    fwrite(w->hot, sizeof *w->hot, cell->keys, f);
    for (unsigned i = 0; i < cell->threads; i++)
        for (size_t j = 0; j < GR_BENCH_SEQ; j++)
            gr_bench_go_u32(f, w->seq[i][j]);
    bool bad = ferror(f) != 0;
    if (fclose(f) || bad) {
        snprintf(err, cap, "go peer: cannot write the cell file");
        return -1;
    }
    return 0;
}

/* Run the peer on the file; its stdout into buf. 0, or -1 with err. */
static int
gr_bench_go_spawn(const char *path, const char *store, char *buf, size_t bufcap, char *err,
                  size_t cap)
{
    const char *peer = gr_bench_go_path();
    int pfd[2];
    if (!peer || pipe(pfd)) {
        snprintf(err, cap, "go peer: %s", peer ? strerror(errno) : gr_bench_go_unavailable());
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, pfd[0]);
    posix_spawn_file_actions_addclose(&fa, pfd[1]);
    char *argv[] = {(char *)peer, "--bench-cache", (char *)path, "--store", (char *)store, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, peer, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pfd[1]);
    if (rc) {
        close(pfd[0]);
        snprintf(err, cap, "go peer: cannot start %s: %s", peer, strerror(rc));
        return -1;
    }
    size_t len = 0;
    ssize_t n;
    while ((n = read(pfd[0], buf + len, bufcap - 1 - len)) > 0 || (n < 0 && errno == EINTR))
        len += n > 0 ? (size_t)n : 0;
    buf[len] = '\0';
    close(pfd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(err, cap, "go peer: %s --bench-cache exited with status %d", peer,
                 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        return -1;
    }
    return 0;
}

static int
gr_bench_go_parse(const char *line, gr_bench_result *out, char *err, size_t cap)
{
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    json_int_t ops, hits, misses, clears;
    double seconds;
    if (!o || json_unpack(o, "{s:I, s:I, s:I, s:I, s:F}", "ops", &ops, "hits", &hits, "misses",
                          &misses, "clears", &clears, "seconds", &seconds)) {
        json_decref(o);
        snprintf(err, cap, "go peer: unexpected output '%.80s'", line);
        return -1;
    }
    json_t *share = json_object_get(o, "cpu_share");
    out->cpu_share = json_is_number(share) ? json_number_value(share) : 0;
    json_decref(o);
    out->ops = (uint64_t)ops;
    out->hits = (uint64_t)hits;
    out->misses = (uint64_t)misses;
    out->clears = (uint64_t)clears;
    out->seconds = seconds;
    out->ops_per_s = seconds > 0 ? (double)ops / seconds : 0;
    return 0;
}

static int
gr_bench_go_run(const char *store, const gr_bench_cell *cell, const struct gr_bench_workload *w,
                gr_bench_result *out, char *err, size_t cap)
{
    const char *tmp = getenv("TMPDIR");
    char p[512];
    int n = snprintf(p, sizeof p, "%s/georace-bench-go.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = n > 0 && (size_t)n < sizeof p ? mkstemp(p) : (errno = ENAMETOOLONG, -1);
    if (fd < 0) {
        snprintf(err, cap, "go peer: cannot create a temporary file: %s", strerror(errno));
        return -1;
    }
    char line[1024];
    int rc = gr_bench_go_write(fd, cell, w, err, cap);
    if (!rc)
        rc = gr_bench_go_spawn(p, store, line, sizeof line, err, cap);
    unlink(p);
    return rc ? rc : gr_bench_go_parse(line, out, err, cap);
}

static int
gr_bench_go_syncmap_cell(const gr_bench_cell *cell, const struct gr_bench_workload *w,
                         gr_bench_result *out, char *err, size_t cap)
{
    return gr_bench_go_run("syncmap", cell, w, out, err, cap);
}

static int
gr_bench_go_rwmutex_cell(const gr_bench_cell *cell, const struct gr_bench_workload *w,
                         gr_bench_result *out, char *err, size_t cap)
{
    return gr_bench_go_run("rwmutex", cell, w, out, err, cap);
}

const struct gr_bench_target gr_bench_go_syncmap_ops = {.unavailable = gr_bench_go_unavailable,
                                                        .run_cell = gr_bench_go_syncmap_cell};
const struct gr_bench_target gr_bench_go_rwmutex_ops = {.unavailable = gr_bench_go_unavailable,
                                                        .run_cell = gr_bench_go_rwmutex_cell};
