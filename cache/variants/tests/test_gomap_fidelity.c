/*
 * test_gomap_fidelity.c - gomap does what Go 1.19's runtime map does at
 * the places where a racing thread can tell the difference:
 *
 *  - the value of a put is stored after hashWriting is cleared (mapassign
 *    returns the slot; the caller stores), so a reader that comes in
 *    between passes the detector and sees the old value, or zero for a new
 *    key (child process: before, that reader died with Go's read/write
 *    message, which Go would not print);
 *  - a grow commits nothing while it allocates its new buckets: a reader
 *    meanwhile finds every key (before, it looked in the wrong half);
 *  - evacuate clears the keys and values it moved out of an old bucket: a
 *    reader still in that bucket reads zero (Go: "");
 *  - a map retired by clear is not freed while a stalled request holds it,
 *    however long ago it was retired (before, it was freed after a second;
 *    ASan saw the read as a use-after-free).
 *
 * Every interleaving is made, not hoped for: gomap's point hook stalls one
 * thread at a named point until the main thread has done its part (both
 * waits bounded; a bound that passes fails the test).
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "georace/cache.h"
#include "georace/clock.h"
#include "georace/ip.h"
#include "gomap.h"
#include "gr_test.h"
#include "test_wait.h"

static void
key_of(unsigned i, gr_ip *ip)
{
    gr_ip_from_v4(0x0a000001u + i, ip); /* 10.0.0.1 + i: never the all-zero key */
}

/* Stalls the first thread that reaches `at` while armed, until released. */
struct gate {
    enum gr_gomap_point at;
    atomic_bool armed;
    atomic_bool arrived;
    atomic_bool released;
    atomic_bool gave_up;
};

static void
gate_hook(void *arg, enum gr_gomap_point at)
{
    struct gate *g = arg;
    if (at != g->at || !atomic_exchange(&g->armed, false))
        return;
    atomic_store_explicit(&g->arrived, true, memory_order_release);
    if (!wait_for_flag(&g->released))
        atomic_store(&g->gave_up, true);
}

static void
gate_arm(struct gate *g, enum gr_gomap_point at)
{
    g->at = at;
    atomic_store(&g->arrived, false);
    atomic_store(&g->released, false);
    atomic_store(&g->gave_up, false);
    atomic_store(&g->armed, true);
}

static void
gate_release(struct gate *g)
{
    atomic_store_explicit(&g->released, true, memory_order_release);
}

static gr_cache *
make_gomap(bool detector, struct gate *gate)
{
    gr_cache_config cfg;
    gr_cache *c = NULL;
    gr_cache_config_default(&cfg);
    cfg.detector = detector;
    if (gr_cache_create("gomap", &cfg, &c) != GR_CACHE_OK)
        return NULL;
    gr_gomap_set_point_hook(c, gate_hook, gate);
    return c;
}

/* One request on its own thread. */
struct req {
    gr_cache *c;
    gr_ip key;
    gr_country value; /* put: the value; get: the answer */
    bool found;
};

static void *
put_main(void *arg)
{
    struct req *r = arg;
    gr_cache_put(r->c, &r->key, r->value);
    return NULL;
}

static void *
get_main(void *arg)
{
    struct req *r = arg;
    r->found = gr_cache_get(r->c, &r->key, &r->value);
    return NULL;
}

/* ---- value stored after the window (child process) ---- */

/* A writer on its own thread is stalled where the value is about to be
 * stored; the main thread reads the key, with the detector on. Prints what
 * it read; exits 0 when both reads passed and saw Go's answers. */
static int
value_store_child(void)
{
    static struct gate gate;
    gr_cache *c = make_gomap(true, &gate);
    if (!c)
        return 3;
    struct req w = {.c = c, .value = 9};
    gr_ip fresh;
    gr_country v = 0;
    key_of(1, &w.key);
    key_of(2, &fresh);
    gr_cache_put(c, &w.key, 7);
    bool ok = true;
    for (int round = 0; round < 2; round++) { /* 0: update of key 1, 1: insert of key 2 */
        if (round == 1)
            w.key = fresh;
        gate_arm(&gate, GR_GOMAP_AT_VALUE_STORE);
        pthread_t t;
        if (pthread_create(&t, NULL, put_main, &w))
            return 3;
        if (!wait_for_flag(&gate.arrived)) {
            fprintf(stderr, "the writer never reached the value store\n");
            return 4;
        }
        v = 0xffff;
        bool found = gr_cache_get(c, &w.key, &v); /* dies here if still inside the window */
        gate_release(&gate);
        pthread_join(t, NULL);
        gr_country want = round == 0 ? 7 : 0;
        fprintf(stderr, "%s: reader passed the detector, found=%d value=%u (want %u)\n",
                round == 0 ? "update" : "insert", found, v, want);
        ok &= found && v == want && !atomic_load(&gate.gave_up);
        ok &= gr_cache_get(c, &w.key, &v) && v == 9;
    }
    gr_cache_destroy(c);
    return ok ? 0 : 1;
}

static int
run_child(const char *mode, char *err, size_t cap)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDERR_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl("/proc/self/exe", "test_gomap_fidelity", mode, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    return wait_for_child(pid, fds[0], err, cap);
}

static void
test_value_is_stored_after_hash_writing_is_cleared(void)
{
    static char err[65536];
    int st = run_child("--child-value-store", err, sizeof err);
    CU_ASSERT_EQUAL(st, 0);
    CU_ASSERT_PTR_NULL(strstr(err, "fatal error"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "update: reader passed the detector, found=1 value=7"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "insert: reader passed the detector, found=1 value=0"));
    if (st != 0)
        fprintf(stderr, "\nchild status %d, stderr:\n%s\n", st, err);
}

/* ---- grow: allocate, then commit ---- */

#define GROW_KEYS 52 /* the most 8 buckets hold at load factor 6.5: the next key doubles */

static void
test_grow_commits_nothing_while_allocating_new_buckets(void)
{
    static struct gate gate;
    gr_cache *c = make_gomap(false, &gate);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    gr_ip k;
    gr_country v;
    for (unsigned i = 0; i < GROW_KEYS; i++) {
        key_of(i, &k);
        gr_cache_put(c, &k, (gr_country)(i + 1));
    }
    struct gr_gomap_info info;
    gr_gomap_info(c, &info);
    for (unsigned n = 0; info.growing && n < 1000; n++) { /* finish the last evacuation */
        key_of(0, &k);
        gr_cache_put(c, &k, 1);
        gr_gomap_info(c, &info);
    }
    CU_ASSERT_FATAL(!info.growing && info.B == 3);

    struct req w = {.c = c, .value = 0x777};
    key_of(GROW_KEYS, &w.key);
    gate_arm(&gate, GR_GOMAP_AT_GROW_ALLOC);
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, put_main, &w), 0);
    bool arrived = wait_for_flag(&gate.arrived);
    unsigned missing = 0, wrong = 0;
    if (arrived)
        for (unsigned i = 0; i < GROW_KEYS; i++) {
            key_of(i, &k);
            if (!gr_cache_get(c, &k, &v))
                missing++;
            else if (v != (gr_country)(i + 1))
                wrong++;
        }
    gate_release(&gate);
    pthread_join(t, NULL);
    CU_ASSERT(arrived);
    CU_ASSERT(!atomic_load(&gate.gave_up));
    if (missing)
        fprintf(stderr, "\n%u of %u keys not found during the grow's allocation\n", missing,
                GROW_KEYS);
    CU_ASSERT_EQUAL(missing, 0);
    CU_ASSERT_EQUAL(wrong, 0);
    gr_gomap_info(c, &info);
    CU_ASSERT_EQUAL(info.B, 4); /* the stalled write did grow */
    CU_ASSERT(gr_cache_get(c, &w.key, &v) && v == 0x777);
    gr_cache_destroy(c);
}

/* ---- evacuate clears what it moved ---- */

static void
test_evacuate_clears_moved_keys_and_values_under_a_reader(void)
{
    static struct gate gate;
    gr_cache *c = make_gomap(false, &gate);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    gr_ip k;
    gr_country v;
    for (unsigned i = 0; i < 8; i++) { /* one full bucket, B = 0 */
        key_of(i, &k);
        gr_cache_put(c, &k, (gr_country)(i + 1));
    }
    struct gr_gomap_info info;
    gr_gomap_info(c, &info);
    CU_ASSERT_FATAL(info.B == 0 && !info.growing);

    struct req r = {.c = c};
    key_of(3, &r.key);
    gate_arm(&gate, GR_GOMAP_AT_READ_MATCH);
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, get_main, &r), 0);
    bool arrived = wait_for_flag(&gate.arrived);
    if (arrived) { /* the reader has matched key 3 in the only bucket */
        key_of(8, &k);
        gr_cache_put(c, &k, 9); /* doubles the map and evacuates that bucket */
        gr_gomap_info(c, &info);
    }
    gate_release(&gate);
    pthread_join(t, NULL);
    CU_ASSERT_FATAL(arrived);
    CU_ASSERT(!atomic_load(&gate.gave_up));
    CU_ASSERT(info.B == 1 && !info.growing); /* the old bucket was moved out */
    CU_ASSERT(r.found);
    CU_ASSERT_EQUAL(r.value, 0); /* Go's reader gets "" from the cleared slot */
    if (r.value != 0)
        fprintf(stderr, "\nreader read %u from the evacuated bucket\n", r.value);
    key_of(3, &k);
    CU_ASSERT(gr_cache_get(c, &k, &v) && v == 4); /* the moved copy is whole */
    gr_cache_destroy(c);
}

/* ---- a retired map outlives the request that holds it ---- */

#define RETIREMENTS 10

static void
test_retired_map_outlives_a_stalled_reader(void)
{
    static struct gate gate;
    gr_cache *c = make_gomap(true, &gate);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    struct req r = {.c = c};
    key_of(5, &r.key);
    gr_cache_put(c, &r.key, 55);
    gate_arm(&gate, GR_GOMAP_AT_READ_MATCH);
    pthread_t t;
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, get_main, &r), 0);
    bool arrived = wait_for_flag(&gate.arrived);
    struct gr_gomap_info info = {0};
    if (arrived) {
        gr_cache_clear(c); /* retires the map the reader holds */
        /* Not an ordering: the age past which a retired map used to be
         * freed (one second, once eight newer ones existed). */
        nanosleep(&(struct timespec){1, 100000000}, NULL);
        for (int i = 1; i < RETIREMENTS; i++)
            gr_cache_clear(c);
        gr_gomap_info(c, &info);
    }
    gate_release(&gate); /* the reader loads the value from the retired map */
    pthread_join(t, NULL);
    CU_ASSERT_FATAL(arrived);
    CU_ASSERT(!atomic_load(&gate.gave_up));
    CU_ASSERT_EQUAL(info.retired_maps, RETIREMENTS); /* none freed while it was held */
    CU_ASSERT(r.found && r.value == 55);
    gr_cache_clear(c);
    gr_cache_clear(c);
    gr_gomap_info(c, &info);
    CU_ASSERT(info.retired_maps <= 2); /* and the backlog goes once it has left */
    gr_cache_destroy(c);
}

static CU_TestInfo tests[] = {GR_TEST(test_value_is_stored_after_hash_writing_is_cleared),
                              GR_TEST(test_grow_commits_nothing_while_allocating_new_buckets),
                              GR_TEST(test_evacuate_clears_moved_keys_and_values_under_a_reader),
                              GR_TEST(test_retired_map_outlives_a_stalled_reader), GR_TEST_END};

int
main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--child-value-store"))
        return value_store_child();
    return gr_test_run(&(gr_test_suite){"gomap_fidelity", tests, NULL, NULL});
}
