/*
 * Integration over loopback HTTP: the azure provider against the mock's azure
 * dialect: deployment and api-version in the URL, the key only in the api-key
 * header, answers, streams (opening prompt_filter_results chunk), tools,
 * content filtering, 429 with each retry hint, an unknown deployment, the v1
 * surface, and the endpoint, key and version from the environment.
 */
#include "oai_http.h"

#define KEY "az-SECRET-key-0123456789"

static void start(itest *t, unsigned int attempts, const char *lane, const char *deployment, const char *version)
{
    char base[64], model[96];

    oh_start(t, attempts);
    snprintf(base, sizeof(base), "/lane/%s", lane);
    snprintf(model, sizeof(model), "azure/%s", deployment);
    oh_add_ok(t, "g", model, base, KEY, version);
}

static void test_completion(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const cJSON *rq;
    cJSON *all, *body;
    const llmgw_usage *u;

    (void)state;
    start(&t, 1, "az", "gpt4o-prod", NULL);
    itest_script(&t, "az", "[{\"text\":\"Hello from Azure.\",\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":4}}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_text(r), "Hello from Azure.");
    assert_string_equal(llmgw_response_finish_reason(r), "stop");
    assert_string_equal(llmgw_response_model(r), "gpt-4o-2024-08-06");
    assert_string_equal(llmgw_response_provider(r), "azure");
    u = llmgw_response_usage(r);
    assert_int_equal(u->input_tokens, 12);
    assert_int_equal(u->output_tokens, 4);
    llmgw_response_free(r);

    rq = oh_request(&t, "az", 0, &all);
    assert_string_equal(oh_str(rq, "path"), "/openai/deployments/gpt4o-prod/chat/completions");
    assert_string_equal(oh_str(rq, "query"), "api-version=2024-10-21");
    assert_string_equal(oh_header(rq, "api-key"), KEY);
    assert_null(oh_header(rq, "authorization"));
    assert_null(strstr(oh_str(rq, "query"), "SECRET"));
    body = oh_body(rq);
    assert_null(cJSON_GetObjectItemCaseSensitive(body, "model"));
    cJSON_Delete(body);
    cJSON_Delete(all);
    itest_stop(&t);
}

static void test_stream(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;
    const cJSON *rq;
    cJSON *all, *body;

    (void)state;
    start(&t, 1, "azs", "gpt4o-prod", "2025-04-01-preview");
    itest_script(&t, "azs", "[{\"text\":\"one two three\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.text, "one two three");
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(c.error_calls, 0);
    assert_string_equal(c.done_finish, "stop");
    assert_true(c.order_ok);
    assert_true(llmgw_response_usage(r)->usage_known);
    llmgw_response_free(r);

    rq = oh_request(&t, "azs", 0, &all);
    assert_string_equal(oh_str(rq, "query"), "api-version=2025-04-01-preview");
    body = oh_body(rq);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "stream")));
    cJSON_Delete(body);
    cJSON_Delete(all);

    /* a filtered completion ends content_filter, streamed or not */
    itest_script(&t, "azs", "[{\"text\":\"Here is\",\"finish_reason\":\"content_filter\"},"
                            "{\"text\":\"Here is\",\"finish_reason\":\"content_filter\"}]");
    collect_init(&c);
    assert_int_equal(itest_stream(&t, "g", "hi", &c, &r), 0);
    assert_string_equal(c.done_finish, "content_filter");
    llmgw_response_free(r);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "content_filter");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_tools(void **state)
{
    static const char script[] =
        "[{\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}},"
        "{\"id\":\"call_2\",\"name\":\"get_time\",\"arguments\":{\"tz\":\"CET\"}}]},"
        "{\"tool_calls\":[{\"id\":\"call_1\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}]}]";
    static const char req[] =
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"weather?\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}},"
        "{\"type\":\"function\",\"function\":{\"name\":\"get_time\",\"parameters\":{\"type\":\"object\"}}}]}";
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 1, "azt", "gpt4o", NULL);
    itest_script(&t, "azt", script);
    assert_int_equal(oh_complete_json(&t, req, &r), 0);
    assert_string_equal(llmgw_response_finish_reason(r), "tool_calls");
    assert_int_equal(llmgw_response_tool_call_count(r), 2);
    assert_string_equal(llmgw_response_tool_call(r, 1)->name, "get_time");
    assert_string_equal(llmgw_response_tool_call(r, 0)->arguments, "{\"city\":\"Oslo\"}");
    llmgw_response_free(r);
    collect_init(&c);
    assert_int_equal(oh_stream_json(&t, req, &c, &r), 0);
    assert_string_equal(c.done_finish, "tool_calls");
    assert_string_equal(c.tool_names[0], "get_weather");
    assert_string_equal(c.tool_args[0], "{\"city\":\"Oslo\"}");
    llmgw_response_free(r);
    itest_stop(&t);
}

static void test_content_filter_400(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    collect c;

    (void)state;
    start(&t, 3, "azf", "gpt4o", NULL);
    itest_script(&t, "azf", "{\"steps\":[{\"status\":400,\"error_code\":\"content_filter\",\"error_message\":"
                            "\"The response was filtered due to the prompt triggering Azure OpenAI's content "
                            "management policy.\"}],\"then\":\"repeat_last\"}");
    oh_assert_fails(itest_complete(&t, "g", "bad", &r), r, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTENT_POLICY);
    assert_int_equal(llmgw_error_last()->http_status, 400);
    assert_int_equal(itest_request_count(&t, "azf"), 1);           /* never retried */
    collect_init(&c);
    oh_assert_fails(itest_stream(&t, "g", "bad", &c, &r), r, LLMGW_EPROVIDER, LLMGW_ERRCLASS_CONTENT_POLICY);
    assert_int_equal(c.error_calls, 1);
    assert_int_equal(c.done_calls, 0);
    itest_stop(&t);
}

/* 429 with each retry hint: the trail records it and the retry waits for it. */
static void test_429_hints(void **state)
{
    static const struct { const char *step; int64_t ms; } cases[] = {
        { "{\"status\":429,\"headers\":{\"retry-after-ms\":\"150\"}}", 150 },
        { "{\"status\":429,\"headers\":{\"x-ms-retry-after-ms\":\"120\"}}", 120 },
        { "{\"status\":429,\"headers\":{\"retry-after\":\"1\"}}", 1000 },
        { "{\"status\":429,\"error_message\":\"Requests to the ChatCompletions_Create Operation under Azure "
          "OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing "
          "tier. Please retry after 1 second.\"}", 1000 },
    };
    itest t;
    llmgw_response *r = NULL;
    char script[512];
    double t0;
    size_t i;

    (void)state;
    start(&t, 2, "azr", "gpt4o", NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(script, sizeof(script), "[%s]", cases[i].step);
        itest_script(&t, "azr", script);
        t0 = itest_now_ms();
        if (itest_complete(&t, "g", "hi", &r) != 0)
            fail_msg("case %zu: %s", i, llmgw_error_last()->message);
        assert_true(itest_now_ms() - t0 >= (double)cases[i].ms);
        assert_int_equal(llmgw_response_usage(r)->attempts, 2);
        assert_int_equal(llmgw_response_usage(r)->trail[0].error_class, LLMGW_ERRCLASS_RATE_LIMIT);
        assert_int_equal(llmgw_response_usage(r)->trail[0].retry_after_ms, cases[i].ms);
        assert_true(llmgw_response_usage(r)->trail[1].wait_us >= cases[i].ms * 1000);
        llmgw_response_free(r);
        r = NULL;
    }
    itest_stop(&t);

    /* one attempt: the caller gets the class, the status and the hint */
    start(&t, 1, "azr1", "gpt4o", NULL);
    itest_script(&t, "azr1", "[{\"status\":429,\"error_message\":\"Please retry after 6 seconds.\"}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_ERATELIMIT, LLMGW_ERRCLASS_RATE_LIMIT);
    assert_int_equal(llmgw_error_last()->retry_after_ms, 6000);
    itest_stop(&t);
}

static void test_not_found_and_auth(void **state)
{
    itest t;
    llmgw_response *r = NULL;

    (void)state;
    /* each on its own gateway: either error holds the deployment back afterwards */
    start(&t, 3, "azn", "no-such-deployment", NULL);
    itest_script(&t, "azn", "[{\"status\":404}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND);
    assert_non_null(strstr(llmgw_error_last()->message, "deployment"));
    assert_int_equal(itest_request_count(&t, "azn"), 1);
    itest_stop(&t);
    start(&t, 3, "aza", "gpt4o", NULL);
    itest_script(&t, "aza", "[{\"status\":401}]");
    oh_assert_fails(itest_complete(&t, "g", "hi", &r), r, LLMGW_EAUTH, LLMGW_ERRCLASS_AUTH);
    assert_null(strstr(llmgw_error_last()->message, "SECRET"));
    assert_int_equal(itest_request_count(&t, "aza"), 1);
    itest_stop(&t);
}

static void test_v1_surface(void **state)
{
    itest t;
    llmgw_response *r = NULL;
    const cJSON *rq;
    cJSON *all, *body;

    (void)state;
    start(&t, 1, "azv", "gpt-4o-mini", "v1");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    llmgw_response_free(r);
    rq = oh_request(&t, "azv", 0, &all);
    assert_string_equal(oh_str(rq, "path"), "/openai/v1/chat/completions");
    assert_string_equal(oh_str(rq, "query"), "");
    assert_string_equal(oh_header(rq, "api-key"), KEY);
    body = oh_body(rq);
    assert_string_equal(oh_str(body, "model"), "gpt-4o-mini");
    cJSON_Delete(body);
    cJSON_Delete(all);
    itest_stop(&t);
}

static void test_environment(void **state)
{
    static const char *const vars[] = { "AZURE_OPENAI_ENDPOINT", "AZURE_API_BASE", "AZURE_OPENAI_API_KEY",
                                        "AZURE_API_KEY", "AZURE_OPENAI_KEY", "OPENAI_API_VERSION",
                                        "AZURE_API_VERSION" };
    itest t;
    llmgw_response *r = NULL;
    char base[128];
    const cJSON *rq;
    cJSON *all;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    oh_start(&t, 1);
    /* no endpoint anywhere: a config error when the deployment is added */
    assert_int_equal(oh_add(&t, "g", "azure/gpt4o", NULL, KEY, NULL), LLMGW_EINVAL);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
    assert_non_null(strstr(llmgw_error_last()->message, "endpoint"));

    snprintf(base, sizeof(base), "%s/lane/aze", mock_server_base_url(t.srv));
    setenv("AZURE_API_BASE", base, 1);
    setenv("AZURE_OPENAI_KEY", KEY, 1);
    setenv("AZURE_API_VERSION", "2024-06-01", 1);
    oh_add_ok(&t, "g", "azure/from-env", NULL, NULL, NULL);
    for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
        unsetenv(vars[i]);
    assert_int_equal(itest_complete(&t, "g", "hi", &r), 0);
    llmgw_response_free(r);
    rq = oh_request(&t, "aze", 0, &all);
    assert_string_equal(oh_str(rq, "path"), "/openai/deployments/from-env/chat/completions");
    assert_string_equal(oh_str(rq, "query"), "api-version=2024-06-01");
    assert_string_equal(oh_header(rq, "api-key"), KEY);
    cJSON_Delete(all);
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_completion),
        cmocka_unit_test(test_stream),
        cmocka_unit_test(test_tools),
        cmocka_unit_test(test_content_filter_400),
        cmocka_unit_test(test_429_hints),
        cmocka_unit_test(test_not_found_and_auth),
        cmocka_unit_test(test_v1_surface),
        cmocka_unit_test(test_environment),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
