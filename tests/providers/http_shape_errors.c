/*
 * tests/providers/http_shape_errors.c: the same failure through every
 * provider over loopback HTTP (issue 3). Part one: one HTTP status of each
 * class, scripted once and rendered by each dialect in its own error envelope
 * (the mock's defaults for that status), non-streamed and streamed: every
 * provider must give the same error class and status code, the same HTTP
 * status, exactly one terminal on_error, nothing billed, and a usage record
 * shaped like OpenAI's. Part two: the classes a status alone does not name
 * (context length, quota, content policy), each in the provider's own
 * documented words; providers that have no such error are listed with the
 * reason. Success shapes are in http_shape.c.
 */
#include "shape_http.h"

#define REQ "{\"model\":\"%s\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"

static const struct { int status, cls; } statuses[] = {
    { 400, LLMGW_ERRCLASS_BAD_REQUEST },
    { 401, LLMGW_ERRCLASS_AUTH },
    { 402, LLMGW_ERRCLASS_QUOTA_EXCEEDED },
    { 403, LLMGW_ERRCLASS_AUTH },
    { 404, LLMGW_ERRCLASS_NOT_FOUND },
    { 408, LLMGW_ERRCLASS_TIMEOUT },
    { 409, LLMGW_ERRCLASS_BAD_REQUEST },
    { 413, LLMGW_ERRCLASS_BAD_REQUEST },
    { 422, LLMGW_ERRCLASS_BAD_REQUEST },
    { 425, LLMGW_ERRCLASS_SERVER_ERROR },
    { 429, LLMGW_ERRCLASS_RATE_LIMIT },
    { 500, LLMGW_ERRCLASS_SERVER_ERROR },
    { 501, LLMGW_ERRCLASS_SERVER_ERROR },
    { 502, LLMGW_ERRCLASS_SERVER_ERROR },
    { 503, LLMGW_ERRCLASS_SERVER_ERROR },
    { 504, LLMGW_ERRCLASS_SERVER_ERROR },
    { 529, LLMGW_ERRCLASS_SERVER_ERROR },
};

/*
 * Where a provider's class for a status differs from the others', each with the reason. The
 * class listed is asserted, so a change is noticed.
 */
static const struct { const char *id; int status, cls; } status_differs[] = {
    /* Anthropic's 504 body names timeout_error ("Request timed out"): anthropic.c classifies it
     * as timeout, the provider's own word (test_anthropic.c asserts it); a bare 504 elsewhere is
     * server_error. Both are retried, failed over and counted by the breaker alike; only the
     * returned status differs (LLMGW_ETIMEOUT rather than LLMGW_EUNAVAILABLE). */
    { "anthropic", 504, LLMGW_ERRCLASS_TIMEOUT },
    /* Bedrock answers no 401, 402 or 425 (AWS auth failures are 403 exceptions); the mock labels
     * them x-amzn-ErrorType ValidationException (examples/mock/bedrock_render.c, aws_type()), and
     * the class follows the exception name, as botocore's does. */
    { "bedrock", 401, LLMGW_ERRCLASS_BAD_REQUEST },
    { "bedrock", 402, LLMGW_ERRCLASS_BAD_REQUEST },
    { "bedrock", 425, LLMGW_ERRCLASS_BAD_REQUEST },
};

static int status_class(const shape_prov *p, size_t k)
{
    size_t i;

    for (i = 0; i < sizeof(status_differs) / sizeof(status_differs[0]); i++)
        if (strcmp(status_differs[i].id, p->id) == 0 && status_differs[i].status == statuses[k].status)
            return status_differs[i].cls;
    return statuses[k].cls;
}

/* Calls whose class or status was not the wanted one: each is printed, and the test fails at its
 * end, so that one provider's wrong class does not hide another's. */
static int wrong_class;

/*
 * One failing call: the class, the status code the class maps to, the HTTP status and the
 * provider in llmgw_error_last(); one upstream request; for a stream, exactly one on_error and no
 * delta. Returns the usage record (the caller frees it). A wrong class is counted in wrong_class
 * and *cls becomes the class received, for the checks that follow.
 */
static cJSON *fail_once(shape *s, const shape_prov *p, int stream, int http, int *cls_io)
{
    llmgw_request *req = shape_req(REQ, p);
    llmgw_response *r = NULL;
    const llmgw_error *e;
    llmgw_stream_sink sink;
    collect c;
    int before = s->records, requests_before = itest_request_count(&s->t, p->id), rc, cls;

    collect_init(&c);
    sink = collect_sink(&c);
    rc = stream ? llmgw_complete_stream(s->t.gw, req, &sink, &r) : llmgw_complete(s->t.gw, req, &r);
    llmgw_request_free(req);
    e = llmgw_error_last();
    if (e->error_class != *cls_io) {
        print_error("WRONG CLASS: %s %s %d: class %s, want %s: %s\n", p->id, stream ? "stream" : "complete", http,
                    llmgw_error_class_str(e->error_class), llmgw_error_class_str(*cls_io), e->message);
        wrong_class++;
        *cls_io = e->error_class;
    }
    cls = *cls_io;
    if (rc != llmgw_error_class_status(cls) || e->http_status != http)
        fail_msg("%s %s %d: rc %d http %d: %s", p->id, stream ? "stream" : "complete", http, rc, e->http_status,
                 e->message);
    assert_null(r);
    assert_string_equal(e->provider, p->id);
    if (strstr(e->message, SHAPE_KEY) != NULL)
        fail_msg("%s: the key is in the error message", p->id);
    if (stream) {
        if (c.error_calls != 1 || c.done_calls != 0 || !c.order_ok || c.error_class != cls)
            fail_msg("%s stream %d: %d on_error (class %s), %d on_done", p->id, http, c.error_calls,
                     llmgw_error_class_str(c.error_class), c.done_calls);
        /* the usage record comes before the terminal callback, on failure too (stream.h) */
        if (c.text_calls + c.tool_calls != 0 || c.usage_calls != 1)
            fail_msg("%s stream %d: %d text, %d tool, %d usage callbacks", p->id, http, c.text_calls, c.tool_calls,
                     c.usage_calls);
    }
    assert_int_equal(itest_request_count(&s->t, p->id), requests_before + 1);
    return shape_take_record(s, before, p);
}

/* The failure's usage record: like the reference's, failure, the class, nothing billed, no cost. */
static void check_failure_record(const shape_prov *p, const cJSON *rec, const cJSON *ref, int http, int cls)
{
    static const char *const type_may_differ[] = { NULL };
    static const char *const value_may_differ[] = {
        "request_id", "model_requested", "group", "provider", "model", "deployment_id", "deployment",
        "api_base", "start_time", "latency_ms", "wait_ms", "ttft_ms",
        "error_class",          /* asserted below: the listed differences */
        NULL,
    };
    const cJSON *trail0 = cJSON_GetArrayItem(cJSON_GetObjectItem(rec, "trail"), 0);

    if (ref != NULL)
        shape_assert_record_like(p, rec, ref, type_may_differ, value_may_differ, "top level");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "status")), "failure");
    assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(rec, "error_class")), llmgw_error_class_str(cls));
    assert_int_equal(shape_num(rec, "http_status"), http);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(rec, "response_id")));
    assert_int_equal(shape_num(rec, "attempts"), 1);
    assert_false(cJSON_IsTrue(cJSON_GetObjectItem(trail0, "billed")));
    assert_int_equal(shape_num(rec, "input_tokens") + shape_num(rec, "output_tokens"), 0);
    assert_int_equal(shape_num(rec, "cost_nano_usd"), 0);
}

static void test_status_classes(void **state)
{
    char script[128];
    cJSON *ref, *rec;
    shape s;
    size_t k, i;
    int stream;

    (void)state;
    wrong_class = 0;
    shape_start(&s);
    for (k = 0; k < sizeof(statuses) / sizeof(statuses[0]); k++) {
        snprintf(script, sizeof(script), "[{\"status\":%d," SHAPE_QUIRKS "},{\"status\":%d," SHAPE_QUIRKS "}]",
                 statuses[k].status, statuses[k].status);
        shape_script_all(&s, script);
        for (stream = 0; stream < 2; stream++) {
            /* a fresh gateway: a 401 or a 429 holds the deployment, so the next call would not go out */
            shape_new_gateway(&s);
            ref = NULL;
            for (i = 0; i < SHAPE_N; i++) {
                int cls = status_class(&shape_provs[i], k);
                rec = fail_once(&s, &shape_provs[i], stream, statuses[k].status, &cls);
                check_failure_record(&shape_provs[i], rec, ref, statuses[k].status, cls);
                if (ref == NULL)
                    ref = rec;
                else
                    cJSON_Delete(rec);
            }
            cJSON_Delete(ref);
        }
    }
    shape_stop(&s);
    if (wrong_class)
        fail_msg("%d calls had another class than wanted (listed above)", wrong_class);
}

/*
 * The classes a status does not name, in each provider's own words (docs/providers.md §0.5,
 * §0.6, §0.8 and the provider sections). NULL: the provider has no such error, as commented.
 */
#define OAI_CTX "{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_code\":\"context_length_exceeded\"," \
                "\"error_message\":\"This model's maximum context length is 128000 tokens. However, your messages " \
                "resulted in 130000 tokens. Please reduce the length of the messages.\"}"
#define OAI_QUOTA "{\"status\":429,\"error_type\":\"insufficient_quota\",\"error_code\":\"insufficient_quota\"," \
                  "\"error_message\":\"You exceeded your current quota, please check your plan and billing details.\"}"
#define OAI_POLICY "{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_code\":" \
                   "\"content_policy_violation\",\"error_message\":\"Your request was rejected as a result of our " \
                   "safety system.\"}"

static const struct {
    const char *id, *context, *quota, *policy;
} semantic[] = {
    { "openai", OAI_CTX, OAI_QUOTA, OAI_POLICY },
    /* Azure: OpenAI's codes; the content filter is its own 400 code content_filter with innererror */
    { "azure", OAI_CTX, OAI_QUOTA,
      "{\"status\":400,\"error_code\":\"content_filter\",\"error_message\":\"The response was filtered due to the "
      "prompt triggering Azure OpenAI's content management policy.\"}" },
    /* Anthropic: the spend limit is a 429 rate_limit_error with details.error_code; a filtered output
     * a 400 invalid_request_error naming the policy */
    { "anthropic", "{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_message\":"
      "\"prompt is too long: 210000 tokens > 200000 maximum\"}",
      "{\"status\":429,\"error_type\":\"rate_limit_error\",\"error_code\":\"enforced_spend_limit_reached\","
      "\"error_message\":\"You have reached your specified API usage limits.\"}",
      "{\"status\":400,\"error_type\":\"invalid_request_error\",\"error_message\":\"Output blocked by content "
      "filtering policy\"}" },
    /* Gemini: a daily quota is RESOURCE_EXHAUSTED with a QuotaFailure per day; blocked content is an
     * HTTP 200 with promptFeedback / finishReason SAFETY (http_shape.c), not an error status */
    { "gemini", "{\"status\":400,\"error_message\":\"The input token count (1200000) exceeds the maximum number "
      "of tokens allowed (1048576).\"}",
      "{\"status\":429,\"body\":\"{\\\"error\\\":{\\\"code\\\":429,\\\"message\\\":\\\"You exceeded your current "
      "quota, please check your plan and billing details.\\\",\\\"status\\\":\\\"RESOURCE_EXHAUSTED\\\","
      "\\\"details\\\":[{\\\"@type\\\":\\\"type.googleapis.com/google.rpc.QuotaFailure\\\",\\\"violations\\\":"
      "[{\\\"quotaMetric\\\":\\\"generativelanguage.googleapis.com/generate_content_free_tier_requests\\\","
      "\\\"quotaId\\\":\\\"GenerateRequestsPerDayPerProjectPerModel-FreeTier\\\",\\\"quotaValue\\\":\\\"250\\\"}]}]}}\"}",
      NULL },
    /* Bedrock: ServiceQuotaExceededException is a 400; guardrails answer HTTP 200 with stopReason
     * guardrail_intervened, not an error status */
    { "bedrock", "{\"status\":400,\"error_type\":\"ValidationException\",\"error_message\":\"Input is too long "
      "for requested model.\"}",
      "{\"status\":400,\"error_type\":\"ServiceQuotaExceededException\",\"error_message\":\"Your request exceeds "
      "the service quota for your account.\"}", NULL },
    /* Cohere: a trial key's monthly limit is a 429 naming the month (message wording unverified); no
     * content-policy error is documented */
    { "cohere", "{\"status\":400,\"error_message\":\"too many tokens: total number of tokens in the prompt cannot "
      "exceed 128000 - received 130000. Try using a shorter prompt\"}",
      "{\"status\":429,\"error_message\":\"You are using a Trial key, which is limited to 1000 API calls / month.\"}",
      NULL },
    /* Ollama: a local server has no quota and no content policy */
    { "ollama", "{\"status\":400,\"error_message\":\"the prompt is longer than the context length currently "
      "available to the model\"}", NULL, NULL },
    /* the OpenAI-compatible family speaks OpenAI's envelope; a quota there is the 402 of part one
     * (OpenRouter credits, DeepSeek balance), and no member documents OpenAI's insufficient_quota
     * or content_policy_violation codes */
    { "groq", OAI_CTX, NULL, NULL },
    { "mistral", OAI_CTX, NULL, NULL },
    { "deepseek", OAI_CTX, NULL, NULL },
    { "together", OAI_CTX, NULL, NULL },
    { "openrouter", OAI_CTX, NULL, NULL },
    { "fireworks", OAI_CTX, NULL, NULL },
    { "xai", OAI_CTX, NULL, NULL },
    { "vllm", OAI_CTX, NULL, NULL },
    { "llamacpp", OAI_CTX, NULL, NULL },
    { "lmstudio", OAI_CTX, NULL, NULL },
};

static void test_semantic_classes(void **state)
{
    static const int classes[3] = { LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED, LLMGW_ERRCLASS_QUOTA_EXCEEDED,
                                    LLMGW_ERRCLASS_CONTENT_POLICY };
    char script[2048];
    const char *step;
    cJSON *rec;
    shape s;
    size_t i;
    int which, stream, http, cls, covered[3] = { 0, 0, 0 };

    (void)state;
    wrong_class = 0;
    assert_int_equal(sizeof(semantic) / sizeof(semantic[0]), SHAPE_N);
    shape_start(&s);
    for (which = 0; which < 3; which++) {
        for (stream = 0; stream < 2; stream++) {
            shape_new_gateway(&s);
            for (i = 0; i < SHAPE_N; i++) {
                const shape_prov *p = &shape_provs[i];
                assert_string_equal(semantic[i].id, p->id);
                step = which == 0 ? semantic[i].context : which == 1 ? semantic[i].quota : semantic[i].policy;
                if (step == NULL)
                    continue;
                snprintf(script, sizeof(script), "[{" SHAPE_QUIRKS ",%s]", step + 1);
                itest_script(&s.t, p->id, script);
                http = atoi(strstr(step, "\"status\":") + 9);
                cls = classes[which];
                rec = fail_once(&s, p, stream, http, &cls);
                check_failure_record(p, rec, NULL, http, cls);
                cJSON_Delete(rec);
                covered[which]++;
            }
        }
    }
    /* every provider has a context-length error; quota and policy where they exist */
    assert_int_equal(covered[0], 2 * (int)SHAPE_N);
    assert_int_equal(covered[1], 2 * 6);
    assert_int_equal(covered[2], 2 * 3);
    shape_stop(&s);
    if (wrong_class)
        fail_msg("%d calls had another class than wanted (listed above)", wrong_class);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_classes),
        cmocka_unit_test(test_semantic_classes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
