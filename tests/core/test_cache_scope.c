/*
 * tests/core/test_cache_scope.c: the per-thread memo of the cache key's scope
 * state (lib/core/cache_scope.c). Every answer must equal the state computed
 * without the memo; a change of any input (a credential, a deployment added,
 * the fingerprint key rotated in place or moved, the namespace, the group)
 * must change the state even when every address stays the same; and a
 * repeated input must come from the memo.
 */
#include "unit.h"

#include "cache/cache.h"
#include "core/cache_scope.h"
#include "core/hash.h"

#define NDEPS 10

static llmgw__deployment deps_store[NDEPS];
static llmgw__deployment *deps[NDEPS];

static void setup_deps(void)
{
    size_t i;

    for (i = 0; i < NDEPS; i++) {
        memset(&deps_store[i], 0, sizeof(deps_store[i]));
        llmgw__sha256("cache-fp", 5 + i % 3, deps_store[i].cache_fp);
        deps_store[i].cache_fp[0] = (unsigned char)i;
        llmgw__sha256("cred", 4, deps_store[i].cred_fp);
        deps_store[i].cred_fp[31] = (unsigned char)i;
        deps[i] = &deps_store[i];
    }
}

/* The final digest of a state (a copy: the state itself is left as it is). */
static void digest_of(const llmgw__sha256_ctx *st, unsigned char out[32])
{
    llmgw__sha256_ctx c = *st;

    llmgw__sha256_final(&c, out);
}

/* The memo's state for in, checked against the reference; its digest into out. */
static void memo_state(const llmgw__scope_input *in, unsigned char out[32])
{
    llmgw__sha256_ctx a, b;
    unsigned char ref[32];

    llmgw__cache_scope_state(&a, in);
    llmgw__cache_scope_compute(&b, in);
    digest_of(&a, out);
    digest_of(&b, ref);
    assert_memory_equal(out, ref, 32);
}

static llmgw__scope_input input(const unsigned char *key, size_t key_len, size_t n)
{
    llmgw__scope_input in;

    memset(&in, 0, sizeof(in));
    in.namespace_ = "tenant-a";
    in.group = "smart";
    in.deps = deps;
    in.n = n;
    in.fp_secret = key;
    in.fp_secret_len = key_len;
    return in;
}

/* The state is the one llmgw__cache_key_scope gives for the digests cache_step.c always made. */
static void test_reference_is_the_key_scope(void **state)
{
    llmgw__cache_scope scope;
    llmgw__sha256_ctx d, c, st, ref;
    unsigned char out[32], cred[32], a[32], b[32];
    char hex[65];
    unsigned char key[32] = "0123456789abcdef0123456789abcde";
    llmgw__scope_input in;
    size_t i;

    (void)state;
    setup_deps();
    in = input(key, sizeof(key), 3);
    llmgw__sha256_init(&d);
    llmgw__sha256_init(&c);
    for (i = 0; i < 3; i++) {
        llmgw__sha256_update(&d, deps[i]->cache_fp, 32);
        llmgw__sha256_update(&c, deps[i]->cred_fp, 32);
    }
    llmgw__sha256_final(&d, out);
    llmgw__hex(hex, out, 32);
    hex[64] = '\0';
    llmgw__sha256_final(&c, cred);
    memset(&scope, 0, sizeof(scope));
    scope.namespace_ = "tenant-a";
    scope.group = "smart";
    scope.deployments = hex;
    scope.credential_key = cred;
    scope.credential_key_len = 32;
    scope.fingerprint_secret = key;
    scope.fingerprint_secret_len = sizeof(key);
    llmgw__cache_key_scope(&ref, &scope);
    llmgw__cache_scope_compute(&st, &in);
    digest_of(&ref, a);
    digest_of(&st, b);
    assert_memory_equal(a, b, 32);
}

static void test_repeat_comes_from_memo(void **state)
{
    unsigned char key[32] = "k-0123456789abcdef0123456789abc", first[32], again[32];
    llmgw__scope_input in;
    unsigned long hits;

    (void)state;
    setup_deps();
    in = input(key, sizeof(key), 2);
    memo_state(&in, first);
    hits = llmgw__cache_scope_memo_hits();
    memo_state(&in, again);
    assert_int_equal(llmgw__cache_scope_memo_hits(), hits + 1);
    assert_memory_equal(first, again, 32);
}

/* Each change at the same addresses: a new state, equal to the reference (memo_state checks). */
static void test_every_input_changes_the_scope(void **state)
{
    unsigned char key[32] = "rot-456789abcdef0123456789abcde", key2[32];
    unsigned char base[32], d[32], empty[32];
    llmgw__scope_input in;

    (void)state;
    setup_deps();
    in = input(key, sizeof(key), 3);
    memo_state(&in, base);
    memo_state(&in, d);                           /* from the memo */
    assert_memory_equal(base, d, 32);

    /* a credential changed (the same deployment struct, a new credential digest) */
    deps_store[1].cred_fp[5] ^= 1;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    deps_store[1].cred_fp[5] ^= 1;
    memo_state(&in, d);
    assert_memory_equal(base, d, 32);

    /* a deployment's endpoint or model changed */
    deps_store[2].cache_fp[17] ^= 0x80;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    deps_store[2].cache_fp[17] ^= 0x80;

    /* a deployment added to the group, and the order of the group */
    in.n = 4;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.n = 3;
    deps[0] = &deps_store[1];
    deps[1] = &deps_store[0];
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    deps[0] = &deps_store[0];
    deps[1] = &deps_store[1];

    /* the fingerprint key rotated in place (the same address), then moved, then none */
    key[7] ^= 1;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    key[7] ^= 1;
    memcpy(key2, key, sizeof(key));
    key2[31] ^= 0x40;
    in.fp_secret = key2;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.fp_secret_len = 16;
    in.fp_secret = key;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.fp_secret_len = sizeof(key);
    in.fp_secret = NULL;
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.fp_secret = key;

    /* the tenant and the group; NULL differs from "" */
    in.namespace_ = "tenant-b";
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.namespace_ = "";
    memo_state(&in, empty);
    assert_memory_not_equal(base, empty, 32);
    in.namespace_ = NULL;
    memo_state(&in, d);
    assert_memory_not_equal(empty, d, 32);
    in.namespace_ = "tenant-a";
    in.group = "smart2";
    memo_state(&in, d);
    assert_memory_not_equal(base, d, 32);
    in.group = "smart";
    memo_state(&in, d);                           /* back to the first input: the first state */
    assert_memory_equal(base, d, 32);
}

/* Past the memo's bounds (long names, large groups) the answer is still the reference. */
static void test_outside_the_memo(void **state)
{
    char longname[LLMGW__SCOPE_MEMO_NAME + 8];
    unsigned char key[32] = "big-456789abcdef0123456789abcde", a[32], b[32];
    llmgw__scope_input in;

    (void)state;
    setup_deps();
    in = input(key, sizeof(key), NDEPS);
    assert_true(NDEPS > LLMGW__SCOPE_MEMO_DEPS);
    memo_state(&in, a);
    deps_store[NDEPS - 1].cred_fp[0] ^= 1;
    memo_state(&in, b);
    assert_memory_not_equal(a, b, 32);
    in.n = 1;
    memset(longname, 'g', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    in.group = longname;
    memo_state(&in, a);
    longname[LLMGW__SCOPE_MEMO_NAME + 2] = 'h';     /* differs past the memo's field */
    memo_state(&in, b);
    assert_memory_not_equal(a, b, 32);
}

/* More live inputs than slots: each answer still right as entries are replaced. */
static void test_many_groups(void **state)
{
    unsigned char key[32] = "many56789abcdef0123456789abcde", out[32], seen[12][32];
    char name[16];
    llmgw__scope_input in;
    int round, g;

    (void)state;
    setup_deps();
    in = input(key, sizeof(key), 2);
    for (round = 0; round < 3; round++) {
        for (g = 0; g < 12; g++) {
            snprintf(name, sizeof(name), "group-%d", g);
            in.group = name;
            memo_state(&in, out);
            if (round == 0)
                memcpy(seen[g], out, 32);
            else
                assert_memory_equal(seen[g], out, 32);
            if (g > 0)
                assert_memory_not_equal(seen[g - 1], seen[g], 32);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_is_the_key_scope),
        cmocka_unit_test(test_repeat_comes_from_memo),
        cmocka_unit_test(test_every_input_changes_the_scope),
        cmocka_unit_test(test_outside_the_memo),
        cmocka_unit_test(test_many_groups),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
