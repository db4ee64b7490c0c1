/*
 * tests/fuzz/fuzz_request.c: libFuzzer target for llmgw_request_from_json
 * (lib/core/request.c) and, on what it accepts, every built-in provider's
 * build_request (lib/providers/), streamed and not.
 *
 * Input: an OpenAI Chat Completions request body. Oracles beyond "no crash,
 * no leak":
 *  - failure leaves *out NULL with a message; a request that parses renders
 *    (llmgw_request_to_json), the rendering parses again, and renders to the
 *    same bytes (a fixed point: nothing is lost or invented on the way);
 *  - a built request's URL passes the transport's URL check, keeps the
 *    deployment's base URL as its prefix (a name cannot change host or path
 *    prefix), has no ".." segment and never carries the key; its headers hold
 *    no CR, LF or NUL; its body is JSON and never carries the key.
 */
#include "fuzz_common.h"

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "providers/registry.h"
#include "transport/http.h"

typedef struct inst {
    const llmgw_provider_vtable *vt;
    llmgw_provider_config        cfg;
    void                        *state;
} inst;

static const char *const providers[][3] = {     /* id, model, api_base (NULL: the provider's) */
    { "openai", "gpt-4o", NULL },
    { "azure", "gpt4o", "https://fuzz.openai.azure.com" },
    { "anthropic", "claude-sonnet-4-5", NULL },
    { "gemini", "gemini-2.5-flash", NULL },
    { "bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", "https://bedrock-runtime.us-east-1.amazonaws.com" },
    { "cohere", "command-a-03-2025", NULL },
    { "ollama", "llama3.2", "http://127.0.0.1:11434" },
    { "mistral", "mistral-large-latest", NULL },
    { "deepseek", "deepseek-chat", NULL },
    { "groq", "llama-3.3-70b-versatile", NULL },
};
static inst insts[LLMGW_ARRAY_SIZE(providers)];
static char key[40];
/*
 * The key is drawn at start-up, but the fuzzer can still learn it from the
 * comparisons it watches (redaction compares strings with it) and put it in
 * the input: it may then come back in the body, legitimately.
 */
static bool key_in_input;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    FILE *f = fopen("/dev/urandom", "rb");
    unsigned char raw[16];
    size_t i;

    LLMGW_UNUSED(argc);
    LLMGW_UNUSED(argv);
    FUZZ_CHECK(f != NULL && fread(raw, 1, sizeof(raw), f) == sizeof(raw));
    fclose(f);
    memcpy(key, "zq", 2);
    for (i = 0; i < sizeof(raw); i++)
        snprintf(key + 2 + 2 * i, 3, "%02x", raw[i]);
    for (i = 0; i < LLMGW_ARRAY_SIZE(providers); i++) {
        inst *p = &insts[i];
        p->vt = llmgw__builtin_provider(providers[i][0]);
        FUZZ_CHECK(p->vt != NULL);
        p->cfg.version = 1;
        p->cfg.provider = providers[i][0];
        p->cfg.model = providers[i][1];
        p->cfg.api_base = providers[i][2] ? providers[i][2] : p->vt->default_api_base;
        p->cfg.api_key = key;
        p->cfg.region = "us-east-1";
        p->cfg.aws_access_key_id = "AKIDFUZZEXAMPLE";
        p->cfg.aws_secret_access_key = key;
        p->state = calloc(1, p->vt->state_size ? p->vt->state_size : 1);
        FUZZ_CHECK(p->state != NULL && p->cfg.api_base != NULL);
        if (p->vt->init != NULL && p->vt->init(p->state, &p->cfg) != 0) {
            fprintf(stderr, "%s init: %s\n", p->vt->name, llmgw_error_last()->message);
            abort();
        }
    }
    return 0;
}

static void check_built(const inst *p, const llmgw_http_request *hr)
{
    const char *url = llmgw_http_request_url(hr), *body;
    size_t base_len = strlen(p->cfg.api_base), len, i;
    bool insecure;
    cJSON *json;

    FUZZ_CHECK(url != NULL);
    FUZZ_CHECK(llmgw__url_check(url, &insecure) == 0);
    FUZZ_CHECK(strncmp(url, p->cfg.api_base, base_len) == 0);
    FUZZ_CHECK(url[base_len] == '\0' || url[base_len] == '/' || url[base_len] == '?');
    FUZZ_CHECK(strstr(url, "/../") == NULL && strstr(url, "/./") == NULL);
    FUZZ_CHECK(key_in_input || strstr(url, key) == NULL);
    for (i = 0; i < hr->header_count; i++) {
        const llmgw_buf *h = &hr->headers[i];
        FUZZ_CHECK(h->size > 0 && memchr(h->ptr, '\r', h->size) == NULL && memchr(h->ptr, '\n', h->size) == NULL);
        FUZZ_CHECK(strlen(h->ptr) == h->size);
    }
    body = llmgw_http_request_body(hr, &len);
    if (len > 0) {
        FUZZ_CHECK(body != NULL);
        json = cJSON_ParseWithLength(body, len);
        FUZZ_CHECK(json != NULL);
        cJSON_Delete(json);
        FUZZ_CHECK(key_in_input || strstr(body, key) == NULL);
    }
}

static void build_all(const llmgw_request *req)
{
    llmgw_http_request hr;
    size_t i;
    int stream, rc;

    for (i = 0; i < LLMGW_ARRAY_SIZE(insts); i++) {
        for (stream = 0; stream <= 1; stream++) {
            llmgw__http_request_init(&hr);
            rc = insts[i].vt->build_request(&hr, insts[i].state, req, stream);
            FUZZ_CHECK(rc <= 0);
            if (rc == 0)
                check_built(&insts[i], &hr);
            else
                FUZZ_CHECK(llmgw_error_last()->code == rc);
            llmgw__http_request_dispose(&hr);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmgw_request *req = (llmgw_request *)&size, *again = NULL;    /* must be reset to NULL on failure */
    llmgw_buf one = LLMGW_BUF_INIT, two = LLMGW_BUF_INIT;
    int rc;

    key_in_input = memmem(data, size, key, strlen(key)) != NULL;
    rc = llmgw_request_from_json(&req, (const char *)data, size);
    FUZZ_CHECK(rc <= 0);
    if (rc < 0) {
        FUZZ_CHECK(req == NULL);
        FUZZ_CHECK(llmgw_error_last()->code == rc && llmgw_error_last()->message[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(llmgw_request_to_json(&one, req) == 0);
    if (llmgw_request_from_json(&again, one.ptr, one.size) != 0) {
        fprintf(stderr, "fuzz oracle failed: the rendering does not parse (%s): %s\n",
                llmgw_error_last()->message, one.ptr);
        abort();
    }
    FUZZ_CHECK(llmgw_request_to_json(&two, again) == 0);
    if (one.size != two.size || memcmp(one.ptr, two.ptr, one.size) != 0) {
        fprintf(stderr, "fuzz oracle failed: rendering is not a fixed point:\n%s\n%s\n", one.ptr, two.ptr);
        abort();
    }
    build_all(req);
    llmgw_buf_dispose(&one);
    llmgw_buf_dispose(&two);
    llmgw_request_free(again);
    llmgw_request_free(req);
    return 0;
}
