/*
 * tests/faults/test_peer_cache.c: the cache-key bugs of other gateways
 * (docs/resilience.md §c, "Cache"; §d.5), each proven absent over loopback
 * HTTP: two requests that may get different answers never share a cache
 * entry. Each case sends a base request, then the varied one (must go
 * upstream, not a hit), then the base again (must be a hit: the cache works,
 * so the miss meant something). Skipped (77) while the cache is not wired.
 */
#include "peer.h"

typedef void (*vary_fn)(llmgw_request *req);

static llmgw_request *base_request(const char *model)
{
    llmgw_request *req = itest_request(model, "What is the capital of France?");

    assert_int_equal(llmgw_request_set_max_tokens(req, 50), 0);
    return req;
}

static int run(peer *p, llmgw_request *req, int *hit)
{
    llmgw_response *r = NULL;
    int rc = llmgw_complete(p->t.gw, req, &r);

    *hit = rc == 0 ? llmgw_response_cache_hit(r) : -1;
    llmgw_response_free(r);
    llmgw_request_free(req);
    return rc;
}

static void start(peer *p, int multi_tenant)
{
    llmgw_gateway_options o = peer_opts(1);

    o.cache_enabled = 1;
    o.cache_require_namespace = multi_tenant;
    peer_start(p, &o);
}

/* base, varied (a miss that goes upstream), base again (a hit). */
static void expect_distinct(peer *p, const char *model, const char *lane, vary_fn vary, const char *what)
{
    llmgw_request *req;
    int hit, before;

    assert_int_equal(run(p, base_request(model), &hit), 0);
    before = peer_count(p, lane);
    req = base_request(model);
    vary(req);
    if (run(p, req, &hit) != 0)
        fail_msg("%s: the varied request failed: %s", what, llmgw_error_last()->message);
    if (hit != 0 || peer_count(p, lane) != before + 1)
        fail_msg("%s: served from the base request's cache entry (hit %d, upstream %d -> %d)", what, hit, before,
                 peer_count(p, lane));
    assert_int_equal(run(p, base_request(model), &hit), 0);
    if (hit != 1)
        fail_msg("%s: the base request is not a hit the second time: the cache is not working", what);
}

static void v_max_tokens(llmgw_request *r) { assert_int_equal(llmgw_request_set_max_tokens(r, 51), 0); }
static void v_seed(llmgw_request *r) { assert_int_equal(llmgw_request_set_seed(r, 7), 0); }
static void v_logit_bias(llmgw_request *r)
{
    assert_int_equal(llmgw_request_set_param_json(r, "logit_bias", "{\"50256\":-100}"), 0);
}
static void v_top_k(llmgw_request *r) { assert_int_equal(llmgw_request_set_param_json(r, "top_k", "40"), 0); }
static void v_temperature(llmgw_request *r) { assert_int_equal(llmgw_request_set_temperature(r, 0.25), 0); }
static void v_stop(llmgw_request *r) { assert_int_equal(llmgw_request_add_stop(r, "Paris"), 0); }
static void v_tools(llmgw_request *r) { assert_int_equal(llmgw_request_add_tool(r, "lookup", "look it up", NULL), 0); }
static void v_format(llmgw_request *r)
{
    assert_int_equal(llmgw_request_set_response_format(r, LLMGW_FORMAT_JSON_OBJECT, NULL, NULL, 0), 0);
}
static void v_system(llmgw_request *r) { assert_int_equal(llmgw_request_add_message(r, LLMGW_ROLE_ASSISTANT, "Hm?"), 0); }

/*
 * LiteLLM #894 (key covered only messages: not max_tokens, logit_bias, seed),
 * #5049 and #42400 (provider params such as top_k, num_ctx left out), PR
 * #25673 (parameters missing from an allow-list). Would catch: any request
 * member left out of the key (the key is deny-by-default: every member in).
 */
static void test_litellm_894_every_parameter_is_in_the_key(void **state)
{
    static const struct { vary_fn fn; const char *what; } v[] = {
        { v_max_tokens, "max_tokens" }, { v_seed, "seed" }, { v_logit_bias, "logit_bias" }, { v_top_k, "top_k" },
        { v_temperature, "temperature" }, { v_stop, "stop" }, { v_tools, "tools" },
        { v_format, "response_format" }, { v_system, "one more message" },
    };
    peer p;
    size_t i;

    (void)state;
    start(&p, 0);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        expect_distinct(&p, "g", "a", v[i].fn, v[i].what);
    peer_stop(&p);
}

/*
 * LiteLLM #3199 (an answer served for a different model; no-cache ignored),
 * deeppavlov/AutoIntent #334 and vibrantlabsai/ragas #2983 (model missing
 * from the key). Would catch: the model or group left out of the key, or
 * no-cache answered from the cache.
 */
static void test_litellm_3199_model_is_in_the_key_and_no_cache_is_honoured(void **state)
{
    llmgw_request *req;
    peer p;
    int hit;

    (void)state;
    start(&p, 0);
    peer_add(&p, "small", "a", "openai/gpt-small", PEER_KEY_A, 0);
    peer_add(&p, "large", "a", "openai/gpt-large", PEER_KEY_A, 0);
    assert_int_equal(run(&p, base_request("small"), &hit), 0);
    assert_int_equal(run(&p, base_request("large"), &hit), 0);
    assert_int_equal(hit, 0);
    assert_int_equal(peer_count(&p, "a"), 2);
    req = base_request("small");
    assert_int_equal(llmgw_request_set_cache_control(req, LLMGW_CACHE_NO_CACHE, 0, 0, NULL), 0);
    assert_int_equal(run(&p, req, &hit), 0);
    assert_int_equal(hit, 0);
    assert_int_equal(peer_count(&p, "a"), 3);
    peer_stop(&p);
}

/*
 * LiteLLM #29955 / PR #29954: no team in the key, so tenants reused each
 * other's answers, and a hit was observable (a probing oracle). Would catch:
 * the tenant namespace left out of the key: tenant B sending A's exact
 * request would get A's answer (a hit, no upstream call).
 */
static void test_litellm_29955_tenants_never_share_entries(void **state)
{
    llmgw_request *req;
    peer p;
    int hit;

    (void)state;
    start(&p, 1);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    req = base_request("g");
    assert_int_equal(llmgw_request_set_cache_control(req, 0, 0, 0, "tenant-a"), 0);
    assert_int_equal(run(&p, req, &hit), 0);
    req = base_request("g");
    assert_int_equal(llmgw_request_set_cache_control(req, 0, 0, 0, "tenant-b"), 0);
    assert_int_equal(run(&p, req, &hit), 0);
    assert_int_equal(hit, 0);
    assert_int_equal(peer_count(&p, "a"), 2);
    req = base_request("g");
    assert_int_equal(llmgw_request_set_cache_control(req, 0, 0, 0, "tenant-a"), 0);
    assert_int_equal(run(&p, req, &hit), 0);
    assert_int_equal(hit, 1);
    /* without a namespace, a multi-tenant gateway refuses: nothing is shared by default */
    assert_int_not_equal(run(&p, base_request("g"), &hit), 0);
    assert_int_equal(peer_count(&p, "a"), 2);
    peer_stop(&p);
}

/*
 * AgentOptimizer/agentopt PR #95: Gemini's model is in the URL path, so flash
 * and pro collided (identical, wrong costs). Would catch: a key built from
 * the request body alone, without the model the deployment sends.
 */
static void test_agentopt_95_gemini_models_in_the_path_do_not_collide(void **state)
{
    peer p;
    int hit;

    (void)state;
    start(&p, 0);
    peer_add(&p, "flash", "gm", "gemini/gemini-flash", PEER_KEY_A, 0);
    peer_add(&p, "pro", "gm", "gemini/gemini-pro", PEER_KEY_A, 0);
    assert_int_equal(run(&p, base_request("flash"), &hit), 0);
    assert_int_equal(run(&p, base_request("pro"), &hit), 0);
    assert_int_equal(hit, 0);
    assert_int_equal(peer_count(&p, "gm"), 2);
    assert_int_equal(run(&p, base_request("pro"), &hit), 0);
    assert_int_equal(hit, 1);
    peer_stop(&p);
}

/* The cache answers a repeated request (else the file is skipped). */
static int cache_wired(void)
{
    peer p;
    int hit = 0;

    start(&p, 0);
    peer_add(&p, "g", "probe", "openai/gpt-probe", PEER_KEY_A, 0);
    if (run(&p, base_request("g"), &hit) == 0)
        (void)run(&p, base_request("g"), &hit);
    peer_stop(&p);
    return hit == 1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_litellm_894_every_parameter_is_in_the_key),
        cmocka_unit_test(test_litellm_3199_model_is_in_the_key_and_no_cache_is_honoured),
        cmocka_unit_test(test_litellm_29955_tenants_never_share_entries),
        cmocka_unit_test(test_agentopt_95_gemini_models_in_the_path_do_not_collide),
    };

    if (!cache_wired()) {
        printf("SKIP: the response cache does not answer a repeated request yet (lib/core/complete.c)\n");
        return 77;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
