/*
 * replay_main.c - the standalone driver: runs a fuzz target without libFuzzer.
 *
 * In the default, asan and tsan presets every fuzz target is linked with this
 * file instead of libFuzzer. It calls LLVMFuzzerInitialize (if the target has
 * one) and then LLVMFuzzerTestOneInput once per file, so the committed corpora
 * and regression inputs become ordinary regression tests under every
 * compiler and sanitizer of the build. Files are replayed in name order, so a
 * run is reproducible.
 *
 *   fuzz_X [--optional DIR]... PATH...
 *
 * Every PATH (a file or a directory of files) must exist and hold at least one
 * input, else the run fails: an empty corpus would make the test pass while
 * checking nothing. A --optional DIR may be missing or empty (regressions/).
 * Exit status: 0 all inputs replayed, 1 a required path missing or empty,
 * 64 usage. A crash inside the target ends the process as the target's
 * sanitizer decides.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

enum { REPLAY_OK = 0, REPLAY_FAIL = 1, REPLAY_USAGE = 64 };

static const char *replay_prog = "fuzz";

static void
replay_usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--optional DIR]... PATH...\n"
            "Replays every input file of each PATH (a file or a directory) through\n"
            "the fuzz target once, in name order, and prints how many it replayed.\n"
            "  --optional DIR  a directory that may be missing or empty (regressions)\n"
            "  --verbose       print each file name before running it\n"
            "  --help          this text\n",
            replay_prog);
}

/* Reads a whole file; NULL on error (errno set). A zero-length file is a valid
 * input: *size is 0 and the returned buffer is a 1-byte allocation. */
static uint8_t *
replay_read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        errno = EIO;
        return NULL;
    }
    /* An exact-size copy, so ASan catches a target that reads past the end. */
    uint8_t *exact = buf ? malloc(len ? len : 1) : NULL;
    if (exact && len)
        memcpy(exact, buf, len);
    free(buf);
    *size = len;
    return exact;
}

static int verbose;

static int
replay_one(const char *path)
{
    size_t size = 0;
    uint8_t *data = replay_read_file(path, &size);
    if (!data) {
        fprintf(stderr, "%s: %s: %s\n", replay_prog, path, strerror(errno));
        return -1;
    }
    if (verbose)
        fprintf(stderr, "%s: running %s (%zu bytes)\n", replay_prog, path, size);
    LLVMFuzzerTestOneInput(data, size);
    free(data);
    return 0;
}

static int
replay_cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays a file or every regular file of a directory. Returns the number of
 * inputs replayed, or -1 if the path is missing or unreadable. */
static long
replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return replay_one(path) == 0 ? 1 : -1;

    DIR *d = opendir(path);
    if (!d)
        return -1;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", and hidden files such as .gitkeep */
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = malloc(len);
        if (!names[n])
            break;
        snprintf(names[n], len, "%s/%s", path, e->d_name);
        n++;
    }
    closedir(d);
    qsort(names, n, sizeof *names, replay_cmp_names);
    long done = 0;
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat fst;
        if (stat(names[i], &fst) == 0 && S_ISREG(fst.st_mode)) {
            if (replay_one(names[i]) == 0)
                done++;
            else
                failed = 1;
        }
        free(names[i]);
    }
    free(names);
    return failed ? -1 : done;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {{"optional", required_argument, NULL, 'o'},
                                             {"verbose", no_argument, NULL, 'v'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const char *optional[64];
    int n_optional = 0;
    const char *slash = strrchr(argv[0], '/');
    replay_prog = slash ? slash + 1 : argv[0];

    int c;
    while ((c = getopt_long(argc, argv, "o:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            if (n_optional == (int)(sizeof optional / sizeof optional[0])) {
                fprintf(stderr, "%s: too many --optional directories\n", replay_prog);
                return REPLAY_USAGE;
            }
            optional[n_optional++] = optarg;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            replay_usage(stdout);
            return REPLAY_OK;
        default:
            replay_usage(stderr);
            return REPLAY_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "%s: no corpus given\n", replay_prog);
        replay_usage(stderr);
        return REPLAY_USAGE;
    }
    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);

    long total = 0;
    int status = REPLAY_OK;
    for (int i = optind; i < argc; i++) {
        long n = replay_path(argv[i]);
        if (n < 0) {
            fprintf(stderr, "%s: %s: missing or unreadable\n", replay_prog, argv[i]);
            status = REPLAY_FAIL;
        } else if (n == 0) {
            fprintf(stderr, "%s: %s: no inputs (an empty corpus checks nothing)\n", replay_prog,
                    argv[i]);
            status = REPLAY_FAIL;
        } else {
            printf("%s: replayed %ld inputs from %s\n", replay_prog, n, argv[i]);
        }
        total += n > 0 ? n : 0;
    }
    for (int i = 0; i < n_optional; i++) {
        long n = replay_path(optional[i]);
        if (n < 0) {
            struct stat st;
            if (stat(optional[i], &st) == 0) { /* exists but a file failed to read */
                fprintf(stderr, "%s: %s: unreadable input\n", replay_prog, optional[i]);
                status = REPLAY_FAIL;
            }
            n = 0;
        }
        printf("%s: replayed %ld inputs from %s\n", replay_prog, n, optional[i]);
        total += n;
    }
    printf("%s: replayed %ld inputs in total\n", replay_prog, total);
    return status;
}
