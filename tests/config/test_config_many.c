/*
 * tests/config/test_config_many.c: a config of 10,000 deployments in a few
 * hundred groups loads with every group holding its members in config
 * order; duplicates far apart are still rejected with their paths; the name
 * table (lib/core/names.c) and its SipHash-2-4 against the reference
 * vectors; a group snapshot stays valid while the group grows, also while
 * another thread adds to it.
 */
#include "cfg_test.h"
#include "core/names.h"

#include <pthread.h>

#define NDEPS   10000
#define NGROUPS 307                 /* prime: the assignment below visits every group */
#define NSHARED 10                  /* deployments without an id, each in two groups */

/* The group of entry i: scattered, so that groups fill in an order unlike the entries'. */
static size_t group_of(size_t i)
{
    return (i * 37 + i / 1000) % NGROUPS;
}

/*
 * NDEPS entries with explicit ids dep-<i> in group g-<group_of(i)>, then
 * NSHARED pairs of entries without an id (the same deployment in groups
 * g-<k> and s-<k>). dup_of >= 0: entry NDEPS - 1 takes the id of entry dup_of.
 */
static char *many_json(long dup_of)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    size_t i;

    assert_int_equal(llmgw__buf_puts(&b, "{\"model_list\": [\n"), 0);
    for (i = 0; i < NDEPS; i++)
        assert_int_equal(llmgw__buf_printf(&b, "%s{\"model_name\": \"g-%zu\", \"litellm_params\": {\"model\": "
                                               "\"mock/m-%zu\", \"weight\": %zu}, \"model_info\": {\"id\": \"dep-%zu\"}}\n",
                                           i ? "," : "", group_of(i), i, 1 + i % 4,
                                           dup_of >= 0 && i == NDEPS - 1 ? (size_t)dup_of : i), 0);
    for (i = 0; i < 2 * NSHARED; i++)
        assert_int_equal(llmgw__buf_printf(&b, ",{\"model_name\": \"%c-%zu\", \"litellm_params\": "
                                               "{\"model\": \"mock/shared-%zu\"}}\n",
                                           i < NSHARED ? 'g' : 's', i % NSHARED, i % NSHARED), 0);
    assert_int_equal(llmgw__buf_puts(&b, "]}\n"), 0);
    return llmgw__buf_detach(&b);
}

static void test_ten_thousand_deployments(void **state)
{
    static size_t first[NGROUPS], count[NGROUPS], seen[NGROUPS];
    llmgw__deployment *shared[NSHARED];
    llmgw_gateway *gw = NULL;
    size_t i, k, order = 0;
    char name[32], *text = many_json(-1);

    (void)state;
    if (cfg_load(&gw, text, "json", NULL) != 0)
        fail_msg("%s", llmgw_error_last()->message);
    llmgw__free(text);
    assert_int_equal(gw->ndeps, NDEPS + NSHARED);
    assert_int_equal(gw->ngroups, NGROUPS + NSHARED);
    /* groups in order of first appearance, each with its entries in config order */
    for (k = 0; k < NGROUPS; k++)
        first[k] = SIZE_MAX;
    for (i = 0; i < NDEPS; i++) {
        k = group_of(i);
        if (first[k] == SIZE_MAX)
            first[k] = order++;
        count[k]++;
    }
    assert_int_equal(order, NGROUPS);
    for (k = 0; k < NGROUPS; k++) {
        const llmgw__group *g = gw->groups[first[k]];
        snprintf(name, sizeof(name), "g-%zu", k);
        assert_string_equal(g->name, name);
        assert_int_equal(g->n, count[k] + (k < NSHARED));
        assert_int_equal(llmgw_gateway_group_size(gw, name), g->n);
    }
    for (i = 0; i < NDEPS; i++) {
        const llmgw__group *g = gw->groups[first[group_of(i)]];
        snprintf(name, sizeof(name), "dep-%zu", i);
        assert_string_equal(g->deps[seen[group_of(i)]++]->id, name);
        assert_ptr_equal(gw->deps[i], g->deps[seen[group_of(i)] - 1]);
    }
    /* the shared deployments: once in the gateway, last in g-<k>, alone in s-<k> */
    for (k = 0; k < NSHARED; k++) {
        const llmgw__group *g = gw->groups[first[k]], *s = gw->groups[NGROUPS + k];
        snprintf(name, sizeof(name), "s-%zu", k);
        assert_string_equal(s->name, name);
        assert_int_equal(s->n, 1);
        shared[k] = gw->deps[NDEPS + k];
        assert_ptr_equal(g->deps[g->n - 1], shared[k]);
        assert_ptr_equal(s->deps[0], shared[k]);
        snprintf(name, sizeof(name), "shared-%zu", k);
        assert_string_equal(shared[k]->model, name);
    }
    assert_int_equal(llmgw_gateway_group_size(gw, "g-307"), 0);
    llmgw_gateway_free(gw);
}

static void test_duplicates_far_apart(void **state)
{
    llmgw_gateway *gw = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;
    char want[128], *text = many_json(3);
    size_t i;

    (void)state;
    assert_int_equal(cfg_load(&gw, text, "json", NULL), LLMGW_EINVAL);
    llmgw__free(text);
    snprintf(want, sizeof(want), "model_list[%d].model_info.id: duplicate deployment id (model_list[3] has it too)",
             NDEPS - 1);
    assert_contains(llmgw_error_last()->message, want);
    /* the same deployment (no id) twice in one group, 9,000 entries apart */
    assert_int_equal(llmgw__buf_puts(&b, "{\"model_list\": [{\"model_name\": \"a\", \"litellm_params\": "
                                         "{\"model\": \"mock/twice\"}}\n"), 0);
    for (i = 0; i < 9000; i++)
        assert_int_equal(llmgw__buf_printf(&b, ",{\"model_name\": \"g-%zu\", \"litellm_params\": "
                                               "{\"model\": \"mock/m-%zu\"}}\n", i % 300, i), 0);
    assert_int_equal(llmgw__buf_puts(&b, ",{\"model_name\": \"a\", \"litellm_params\": {\"model\": \"mock/twice\"}}]}"),
                     0);
    text = llmgw__buf_detach(&b);
    assert_int_equal(cfg_load(&gw, text, "json", NULL), LLMGW_EINVAL);
    llmgw__free(text);
    assert_contains(llmgw_error_last()->message, "model_list[9001]: deployment 'mock/twice#");
    assert_contains(llmgw_error_last()->message, "is already in group 'a'");
}

/* A snapshot taken before the group grows (and moves to a larger array) still reads what it read. */
static void test_snapshot_outlives_growth(void **state)
{
    llmgw_deployment_options o = LLMGW_DEPLOYMENT_OPTIONS_INIT;
    llmgw__deployment *before[5];
    llmgw__candidates c, c2;
    llmgw_gateway *gw = NULL;
    char id[32], model[32];
    size_t i;

    (void)state;
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    o.group = "grow";
    for (i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "d-%zu", i);
        snprintf(model, sizeof(model), "mock/m-%zu", i);
        o.id = id;
        o.model = model;
        assert_int_equal(llmgw_gateway_add_deployment(gw, &o), 0);
    }
    assert_int_equal(llmgw__gateway_resolve(gw, "grow", &c), 0);
    assert_int_equal(c.n, 5);
    memcpy(before, c.deps, sizeof(before));
    for (; i < 100; i++) {          /* the array is replaced several times */
        snprintf(id, sizeof(id), "d-%zu", i);
        snprintf(model, sizeof(model), "mock/m-%zu", i);
        o.id = id;
        o.model = model;
        assert_int_equal(llmgw_gateway_add_deployment(gw, &o), 0);
    }
    assert_int_equal(c.n, 5);
    for (i = 0; i < 5; i++)
        assert_ptr_equal(c.deps[i], before[i]);
    assert_int_equal(llmgw__gateway_resolve(gw, "grow", &c2), 0);
    assert_int_equal(c2.n, 100);
    for (i = 0; i < 100; i++) {
        snprintf(id, sizeof(id), "d-%zu", i);
        assert_string_equal(c2.deps[i]->id, id);
    }
    llmgw__candidates_dispose(&c);
    llmgw__candidates_dispose(&c2);
    llmgw_gateway_free(gw);
}

#define GROW_TOTAL 600

typedef struct grow_reader {
    llmgw_gateway *gw;
    int            bad;          /* snapshots that were not a prefix of d-0, d-1, ... */
    size_t         last;         /* size of the last snapshot */
} grow_reader;

/* Resolve the group until it is full (bounded): every snapshot is d-0 .. d-(n-1), n never shrinks. */
static void *grow_read(void *arg)
{
    grow_reader *r = arg;
    char id[32];
    size_t round, i;

    for (round = 0; round < 200000 && r->last < GROW_TOTAL; round++) {
        llmgw__candidates c;
        if (llmgw__gateway_resolve(r->gw, "grow", &c) != 0 || c.n < r->last) {
            r->bad++;
            break;
        }
        for (i = 0; i < c.n; i += 1 + c.n / 8) {
            snprintf(id, sizeof(id), "d-%zu", i);
            r->bad += strcmp(c.deps[i]->id, id) != 0;
        }
        r->last = c.n;
        llmgw__candidates_dispose(&c);
    }
    return NULL;
}

static void test_snapshot_while_adding(void **state)
{
    llmgw_deployment_options o = LLMGW_DEPLOYMENT_OPTIONS_INIT;
    grow_reader r[2];
    pthread_t t[2];
    llmgw_gateway *gw = NULL;
    char id[32], model[32];
    size_t i;

    (void)state;
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    o.group = "grow";
    o.id = "d-0";
    o.model = "mock/m-0";
    assert_int_equal(llmgw_gateway_add_deployment(gw, &o), 0);
    for (i = 0; i < 2; i++) {
        r[i].gw = gw;
        r[i].bad = 0;
        r[i].last = 0;
        assert_int_equal(pthread_create(&t[i], NULL, grow_read, &r[i]), 0);
    }
    for (i = 1; i < GROW_TOTAL; i++) {
        snprintf(id, sizeof(id), "d-%zu", i);
        snprintf(model, sizeof(model), "mock/m-%zu", i);
        o.id = id;
        o.model = model;
        assert_int_equal(llmgw_gateway_add_deployment(gw, &o), 0);
    }
    for (i = 0; i < 2; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(r[i].bad, 0);
    }
    assert_int_equal(llmgw_gateway_group_size(gw, "grow"), GROW_TOTAL);
    llmgw_gateway_free(gw);
}

/* SipHash-2-4, key 00 01 .. 0f, message 00 01 .. (n-1): the reference implementation's vectors. */
static void test_siphash_vectors(void **state)
{
    static const struct { size_t len; uint64_t want; } v[] = {
        { 0, 0x726fdb47dd0e0e31ull }, { 1, 0x74f839c593dc67fdull },
        { 8, 0x93f5f5799a932462ull }, { 15, 0xa129ca6149be45e5ull },
    };
    unsigned char key[16], msg[64];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(key); i++)
        key[i] = (unsigned char)i;
    for (i = 0; i < sizeof(msg); i++)
        msg[i] = (unsigned char)i;
    for (i = 0; i < LLMGW_ARRAY_SIZE(v); i++)
        assert_true(llmgw__siphash24(key, msg, v[i].len) == v[i].want);
}

static void test_names_table(void **state)
{
    static char names[5000][16];
    unsigned char key[16] = { 1, 2, 3 };
    llmgw__names t;
    size_t i, v;

    (void)state;
    llmgw__names_init(&t, key);
    assert_false(llmgw__names_get(&t, "x", &v));
    for (i = 0; i < 5000; i++) {
        snprintf(names[i], sizeof(names[i]), "n%zu", i);
        assert_false(llmgw__names_get(&t, names[i], &v));
        assert_int_equal(llmgw__names_reserve(&t, t.n + 1), 0);
        llmgw__names_put(&t, names[i], i * 3);
    }
    assert_int_equal(t.n, 5000);
    assert_true(t.cap >= 2 * t.n);
    for (i = 0; i < 5000; i++) {
        char probe[16];
        snprintf(probe, sizeof(probe), "n%zu", i);  /* another pointer: compared by content */
        assert_true(llmgw__names_get(&t, probe, &v));
        assert_int_equal(v, i * 3);
    }
    assert_false(llmgw__names_get(&t, "n5000", &v));
    assert_false(llmgw__names_get(&t, "", &v));
    llmgw__names_dispose(&t);
    assert_false(llmgw__names_get(&t, "n1", &v));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash_vectors),
        cmocka_unit_test(test_names_table),
        cmocka_unit_test(test_snapshot_outlives_growth),
        cmocka_unit_test(test_snapshot_while_adding),
        cmocka_unit_test(test_ten_thousand_deployments),
        cmocka_unit_test(test_duplicates_far_apart),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
