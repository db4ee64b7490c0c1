/*
 * tests/cache/test_lru.c: the in-memory LRU backend (lib/cache/lru.c):
 * hits and misses, copies in and out, TTL in simulated time, byte-budget
 * eviction in LRU order, the entry cap, remove, stats, failed allocations,
 * and 8 threads on shared and distinct keys (run under TSan and valgrind too).
 */
#include "unit.h"

#include <pthread.h>

#include "cache/cache.h"
#include "core/buf.h"

#define VT llmgw__lru_backend
#define HOUR 3600000

typedef struct sim_clock {
    int64_t now;
} sim_clock;

static int64_t sim_now(void *self)
{
    return ((sim_clock *)self)->now;
}

static void *new_lru(size_t max_bytes, size_t max_entry, size_t shards, sim_clock *clk)
{
    llmgw__lru_options o = { max_bytes, max_entry, shards };
    void *c = NULL;

    assert_int_equal(llmgw__lru_new(&c, &o, clk ? sim_now : NULL, clk), 0);
    assert_non_null(c);
    return c;
}

static llmgw_cache_stats stats_of(void *c)
{
    llmgw_cache_stats st;

    assert_int_equal(VT.stats(&st, c), 0);
    assert_int_equal(st.version, 1);
    return st;
}

static void put(void *c, const char *key, const char *val, int64_t ttl)
{
    assert_int_equal(VT.put(c, key, val, strlen(val), ttl), 0);
}

/* want NULL: a miss. */
static void expect(void *c, const char *key, const char *want)
{
    llmgw_buf out = LLMGW_BUF_INIT;
    int rc = VT.get(&out, c, key);

    if (want == NULL) {
        if (rc != LLMGW_ENOTFOUND)
            fail_msg("'%s' should be a miss, got %d", key, rc);
    } else {
        if (rc != 0)
            fail_msg("'%s' should be a hit, got %d", key, rc);
        assert_int_equal(out.size, strlen(want));
        assert_string_equal(out.ptr, want);
    }
    llmgw_buf_dispose(&out);
}

static void test_hit_miss(void **state)
{
    sim_clock clk = { 0 };
    void *c = new_lru(0, 0, 0, &clk);
    llmgw_cache_stats st;

    (void)state;
    assert_string_equal(VT.name, "lru");
    assert_int_equal(VT.version, LLMGW_CACHE_BACKEND_VERSION);
    put(c, "k1", "v1", HOUR);
    expect(c, "k1", "v1");
    expect(c, "k2", NULL);
    expect(c, "k", NULL);
    st = stats_of(c);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 2);
    assert_int_equal(st.puts, 1);
    assert_int_equal(st.entries, 1);
    assert_true(st.bytes > 4 && st.bytes < 256);
    VT.destroy(c);
    VT.destroy(NULL);
}

static void test_copies(void **state)
{
    void *c = new_lru(0, 0, 1, NULL);
    char val[] = "original";
    const char bin[] = { 'a', '\0', 'b', '\0' };
    llmgw_buf out = LLMGW_BUF_INIT;

    (void)state;
    assert_int_equal(VT.put(c, "k", val, sizeof(val) - 1, HOUR), 0);
    memset(val, 'X', sizeof(val) - 1);                  /* the caller's buffer is not the stored copy */
    assert_int_equal(VT.get(&out, c, "k"), 0);
    assert_string_equal(out.ptr, "original");
    out.ptr[0] = 'Y';                                   /* nor is the returned one */
    expect(c, "k", "original");
    assert_int_equal(VT.put(c, "bin", bin, sizeof(bin), HOUR), 0);
    assert_int_equal(VT.get(&out, c, "bin"), 0);        /* replaces what out held */
    assert_int_equal(out.size, sizeof(bin));
    assert_memory_equal(out.ptr, bin, sizeof(bin));
    assert_int_equal(VT.put(c, "empty", NULL, 0, HOUR), 0);
    assert_int_equal(VT.get(&out, c, "empty"), 0);
    assert_int_equal(out.size, 0);
    assert_int_equal(VT.get(&out, c, "absent"), LLMGW_ENOTFOUND);
    assert_int_equal(out.size, 0);                      /* a miss leaves nothing behind */
    assert_int_equal(VT.put(c, "x", NULL, 3, HOUR), LLMGW_EINVAL);
    assert_int_equal(VT.get(&out, c, NULL), LLMGW_EINVAL);
    llmgw_buf_dispose(&out);
    VT.destroy(c);
}

static void test_overwrite(void **state)
{
    void *c = new_lru(0, 0, 1, NULL);
    llmgw_cache_stats a, b;

    (void)state;
    put(c, "k", "short", HOUR);
    a = stats_of(c);
    put(c, "k", "a longer value", HOUR);
    b = stats_of(c);
    expect(c, "k", "a longer value");
    assert_int_equal(b.entries, 1);
    assert_int_equal(b.bytes, a.bytes + strlen("a longer value") - strlen("short"));
    VT.destroy(c);
}

static void test_ttl(void **state)
{
    sim_clock clk = { 1000 };
    void *c = new_lru(0, 0, 4, &clk);
    llmgw_cache_stats st;

    (void)state;
    put(c, "k", "v", 500);
    put(c, "forever", "v", INT64_MAX);                  /* saturates, never overflows */
    clk.now = 1499;
    expect(c, "k", "v");
    clk.now = 1500;
    expect(c, "k", NULL);
    st = stats_of(c);
    assert_int_equal(st.expirations, 1);
    assert_int_equal(st.entries, 1);
    assert_int_equal(st.hits, 1);
    assert_int_equal(st.misses, 1);
    clk.now = INT64_MAX - 1;
    expect(c, "forever", "v");
    assert_int_equal(VT.put(c, "k", "v", 1, 0), LLMGW_EINVAL);
    assert_int_equal(VT.put(c, "k", "v", 1, -5), LLMGW_EINVAL);
    VT.destroy(c);
}

/* One shard, room for four entries: the least recently used goes first, and a get refreshes. */
static void test_lru_order(void **state)
{
    sim_clock clk = { 0 };
    char val[101];
    size_t cost;
    void *c;
    llmgw_cache_stats st;

    (void)state;
    memset(val, 'v', 100);
    val[100] = '\0';
    c = new_lru(0, 0, 1, &clk);
    put(c, "a", val, HOUR);
    cost = (size_t)stats_of(c).bytes;
    VT.destroy(c);

    c = new_lru(4 * cost + cost / 2, 0, 1, &clk);
    put(c, "a", val, HOUR);
    put(c, "b", val, HOUR);
    put(c, "c", val, HOUR);
    put(c, "d", val, HOUR);
    expect(c, "a", val);                                /* a is now the most recent: e, a, d, c, b */
    put(c, "e", val, HOUR);                             /* evicts b */
    expect(c, "b", NULL);
    put(c, "f", val, HOUR);                             /* f, e, a, d, c: evicts c */
    expect(c, "c", NULL);
    expect(c, "a", val);
    expect(c, "d", val);
    expect(c, "e", val);
    expect(c, "f", val);
    st = stats_of(c);
    assert_int_equal(st.evictions, 2);
    assert_int_equal(st.entries, 4);
    assert_int_equal(st.bytes, 4 * cost);
    /* an expired tail pushed out by a put counts as an expiration */
    clk.now = 2 * HOUR;
    put(c, "g", val, HOUR);
    st = stats_of(c);
    assert_int_equal(st.expirations, 1);
    assert_int_equal(st.evictions, 2);
    VT.destroy(c);
}

static void test_entry_cap(void **state)
{
    char val[202];
    void *c = new_lru(0, 100, 0, NULL);
    llmgw_cache_stats st;

    (void)state;
    memset(val, 'x', sizeof(val) - 1);
    val[sizeof(val) - 1] = '\0';
    assert_int_equal(VT.put(c, "big", val, 101, HOUR), LLMGW_EINVAL);
    assert_int_equal(VT.put(c, "ok", val, 100, HOUR), 0);
    expect(c, "big", NULL);
    st = stats_of(c);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.puts, 1);
    assert_int_equal(st.entries, 1);
    VT.destroy(c);
    /* the shard budget caps an entry too: 2 shards of 150 bytes */
    c = new_lru(300, 0, 2, NULL);
    assert_int_equal(VT.put(c, "big", val, 200, HOUR), LLMGW_EINVAL);
    assert_int_equal(stats_of(c).errors, 1);
    VT.destroy(c);
}

static void test_remove(void **state)
{
    void *c = new_lru(0, 0, 0, NULL);
    llmgw_cache_stats st;

    (void)state;
    put(c, "a", "1", HOUR);
    put(c, "b", "2", HOUR);
    assert_int_equal(VT.remove(c, "a"), 0);
    assert_int_equal(VT.remove(c, "a"), LLMGW_ENOTFOUND);
    expect(c, "a", NULL);
    expect(c, "b", "2");
    assert_int_equal(VT.remove(c, "b"), 0);
    st = stats_of(c);
    assert_int_equal(st.entries, 0);
    assert_int_equal(st.bytes, 0);
    VT.destroy(c);
}

static void test_options(void **state)
{
    llmgw__lru_options o = { 0, 0, 3 };
    void *c = (void *)1;

    (void)state;
    assert_int_equal(llmgw__lru_new(&c, &o, NULL, NULL), LLMGW_EINVAL);
    assert_null(c);
    o.shards = 2048;
    assert_int_equal(llmgw__lru_new(&c, &o, NULL, NULL), LLMGW_EINVAL);
    o.shards = 64;
    o.max_bytes = 32;
    assert_int_equal(llmgw__lru_new(&c, &o, NULL, NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw__lru_new(&c, NULL, NULL, NULL), 0);
    assert_non_null(c);
    VT.destroy(c);
}

/* Enough keys to grow every shard's table several times; all still there. */
static void test_many_keys(void **state)
{
    void *c = new_lru(0, 0, 0, NULL);
    char key[32], val[32];
    int i;

    (void)state;
    for (i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(val, sizeof(val), "value-%d", i);
        put(c, key, val, HOUR);
    }
    assert_int_equal(stats_of(c).entries, 20000);
    for (i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        snprintf(val, sizeof(val), "value-%d", i);
        expect(c, key, val);
        if (i % 2)
            assert_int_equal(VT.remove(c, key), 0);
    }
    assert_int_equal(stats_of(c).entries, 10000);
    VT.destroy(c);
}

static void test_oom(void **state)
{
    void *c = new_lru(0, 0, 0, NULL);
    llmgw_buf out = LLMGW_BUF_INIT;
    unsigned long nth;

    (void)state;
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(VT.put(c, "k", "v", 1, HOUR), LLMGW_ENOMEM);
    llmgw__alloc_fail_at(0, 0);
    expect(c, "k", NULL);
    put(c, "k", "v", HOUR);
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(VT.get(&out, c, "k"), LLMGW_ENOMEM);
    llmgw__alloc_fail_at(0, 0);
    assert_int_equal(stats_of(c).errors, 2);
    expect(c, "k", "v");
    VT.destroy(c);
    for (nth = 1; nth < 40; nth++) {
        int rc;
        c = NULL;
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_PERSISTENT);
        rc = llmgw__lru_new(&c, NULL, NULL, NULL);
        llmgw__alloc_fail_at(0, 0);
        assert_true(rc == 0 || rc == LLMGW_ENOMEM);
        assert_true((rc == 0) == (c != NULL));
        VT.destroy(c);
    }
    llmgw_buf_dispose(&out);
}

/* ---- threads ---- */

#define THREADS 8
#define OPS     20000

typedef struct worker {
    void    *cache;
    int      id;
    uint64_t gets, puts, hits;
    unsigned own_seq[64];
    int      failed;
} worker;

/* "key|seq|padding|sum": a reader can tell a torn or foreign value. */
static size_t make_value(char *out, size_t cap, const char *key, unsigned seq)
{
    unsigned sum = 0;
    size_t n = (size_t)snprintf(out, cap, "%s|%u|", key, seq), i, pad = seq % 300;

    for (i = 0; i < pad && n + 16 < cap; i++)
        out[n++] = (char)('a' + (seq + i) % 26);
    for (i = 0; i < n; i++)
        sum = sum * 31 + (unsigned char)out[i];
    return n + (size_t)snprintf(out + n, cap - n, "|%u", sum);
}

static bool value_ok(const llmgw_buf *v, const char *key, unsigned *seq_out)
{
    char expect_buf[512];
    unsigned seq;

    if (v->ptr == NULL || strncmp(v->ptr, key, strlen(key)) != 0 || v->ptr[strlen(key)] != '|')
        return false;
    seq = (unsigned)strtoul(v->ptr + strlen(key) + 1, NULL, 10);
    *seq_out = seq;
    return make_value(expect_buf, sizeof(expect_buf), key, seq) == v->size &&
           memcmp(expect_buf, v->ptr, v->size) == 0;
}

static void *work(void *arg)
{
    worker *w = arg;
    uint64_t s = (uint64_t)w->id * 0x9e3779b97f4a7c15ULL + 1;
    llmgw_buf out = LLMGW_BUF_INIT;
    char key[32], val[512];
    int i;

    for (i = 0; i < OPS && !w->failed; i++) {
        unsigned r, seq, k;
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        r = (unsigned)(s >> 33);
        k = r % 64;
        if (r & 0x100) {                                /* a key only this thread writes */
            snprintf(key, sizeof(key), "own-%d-%u", w->id, k);
            if (r & 0x200) {
                size_t n = make_value(val, sizeof(val), key, ++w->own_seq[k]);
                w->failed |= VT.put(w->cache, key, val, n, HOUR) != 0;
                w->puts++;
            } else {
                int rc = VT.get(&out, w->cache, key);
                w->gets++;
                if (rc == 0) {
                    w->hits++;
                    w->failed |= !value_ok(&out, key, &seq) || seq != w->own_seq[k];
                } else {
                    w->failed |= rc != LLMGW_ENOTFOUND || w->own_seq[k] != 0;
                }
            }
        } else {                                        /* a key every thread writes */
            snprintf(key, sizeof(key), "shared-%u", k % 16);
            if ((r & 0x600) == 0) {
                size_t n = make_value(val, sizeof(val), key, r & 0xFFFF);
                w->failed |= VT.put(w->cache, key, val, n, HOUR) != 0;
                w->puts++;
            } else if ((r & 0x600) == 0x200) {
                int rc = VT.remove(w->cache, key);
                w->failed |= rc != 0 && rc != LLMGW_ENOTFOUND;
            } else {
                int rc = VT.get(&out, w->cache, key);
                w->gets++;
                if (rc == 0) {
                    w->hits++;
                    w->failed |= !value_ok(&out, key, &seq);
                } else {
                    w->failed |= rc != LLMGW_ENOTFOUND;
                }
            }
        }
    }
    llmgw_buf_dispose(&out);
    return NULL;
}

static void test_threads(void **state)
{
    static worker w[THREADS];
    pthread_t th[THREADS];
    uint64_t gets = 0, puts = 0, hits = 0;
    llmgw_cache_stats st;
    void *c = new_lru(0, 0, 0, NULL);
    int i;

    (void)state;
    for (i = 0; i < THREADS; i++) {
        memset(&w[i], 0, sizeof(w[i]));
        w[i].cache = c;
        w[i].id = i;
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_false(w[i].failed);
        gets += w[i].gets;
        puts += w[i].puts;
        hits += w[i].hits;
    }
    st = stats_of(c);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.hits + st.misses, gets);
    assert_int_equal(st.puts, puts);
    assert_int_equal(st.evictions, 0);
    assert_true(st.entries <= THREADS * 64 + 16);
    VT.destroy(c);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_hit_miss),   cmocka_unit_test(test_copies),    cmocka_unit_test(test_overwrite),
        cmocka_unit_test(test_ttl),        cmocka_unit_test(test_lru_order), cmocka_unit_test(test_entry_cap),
        cmocka_unit_test(test_remove),     cmocka_unit_test(test_options),   cmocka_unit_test(test_many_keys),
        cmocka_unit_test(test_oom),        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
