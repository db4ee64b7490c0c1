/*
 * bench/overhead: N identical non-streamed completions through llmgw_complete
 * and through a raw libcurl + cJSON client doing the same work (same mock on
 * loopback, keep-alive, same request body, same parse of text and usage),
 * interleaved in one run. Prints both medians and the ratio llmgw/raw.
 * With --fresh, both open a new connection per request. --only-llmgw and
 * --only-raw time one side alone (for `perf stat`; the ratio is then void). As in bench/stream,
 * the mock runs on one CPU and both clients on the other (bench_pin_*).
 */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <llmgw/llmgw.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "mock_server.h"

#define PROMPT "Summarize the plot of Hamlet in one sentence."
#define MODEL "gpt-bench"

typedef struct raw_client {
    CURL              *h;
    struct curl_slist *hdrs;
    char              *body;
    size_t             len, cap;
    char               text[1024];
    long long          prompt_tokens, completion_tokens;
} raw_client;

static size_t raw_write(char *p, size_t s, size_t n, void *ud)
{
    raw_client *c = ud;
    size_t add = s * n;

    if (c->len + add + 1 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        while (cap < c->len + add + 1)
            cap *= 2;
        c->body = realloc(c->body, cap);
        if (c->body == NULL)
            return 0;
        c->cap = cap;
    }
    memcpy(c->body + c->len, p, add);
    c->len += add;
    return add;
}

static int raw_request(raw_client *c)
{
    cJSON *req = cJSON_CreateObject(), *msgs = cJSON_AddArrayToObject(req, "messages"), *m, *resp, *u;
    const cJSON *content;
    char *json;
    int ok = -1;

    cJSON_AddStringToObject(req, "model", MODEL);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", PROMPT);
    cJSON_AddItemToArray(msgs, m);
    json = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    c->len = 0;
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    if (curl_easy_perform(c->h) == CURLE_OK) {
        resp = cJSON_ParseWithLength(c->body, c->len);
        content = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(resp, "choices"), 0),
                                                          "message"), "content");
        u = cJSON_GetObjectItem(resp, "usage");
        if (cJSON_IsString(content) && u != NULL) {
            snprintf(c->text, sizeof(c->text), "%s", content->valuestring);
            c->prompt_tokens = (long long)cJSON_GetObjectItem(u, "prompt_tokens")->valuedouble;
            c->completion_tokens = (long long)cJSON_GetObjectItem(u, "completion_tokens")->valuedouble;
            ok = 0;
        }
        cJSON_Delete(resp);
    }
    cJSON_free(json);
    return ok;
}

static int gw_request(llmgw_gateway *gw, char *text, size_t cap, unsigned long long *in, unsigned long long *out)
{
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    int rc;

    if ((rc = llmgw_request_new(&req, "bench")) == 0 &&
        (rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, PROMPT)) == 0 &&
        (rc = llmgw_complete(gw, req, &r)) == 0) {
        snprintf(text, cap, "%s", llmgw_response_text(r));
        *in = llmgw_response_usage(r)->input_tokens;
        *out = llmgw_response_usage(r)->output_tokens;
    }
    llmgw_response_free(r);
    llmgw_request_free(req);
    return rc;
}

int main(int argc, char **argv)
{
    size_t n = 2000, warm = 200, i;
    int fresh = 0, a, pinned, only = 0;     /* only: 1 llmgw alone, 2 raw alone (for perf stat) */
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_gateway_options go;
    llmgw_deployment_options d;
    raw_client raw;
    double *tg, *tr, *cg, *cr, t0, c0;
    char base[256], url[256], text[1024];
    unsigned long long in = 0, out = 0;

    n = bench_count(1, argv, n);          /* $LLMGW_BENCH_N */
    for (a = 1; a < argc; a++) {
        if (strcmp(argv[a], "--fresh") == 0)
            fresh = 1;
        else if (strcmp(argv[a], "--only-llmgw") == 0)
            only = 1;
        else if (strcmp(argv[a], "--only-raw") == 0)
            only = 2;
        else if (atol(argv[a]) > 0)
            n = (size_t)atol(argv[a]);
    }
    if (n < 10)
        n = 10;
    pinned = bench_pin_server();        /* the mock's threads inherit CPU 1, clients run on CPU 0 */
    if (mock_server_start(&srv, "127.0.0.1", 0) != 0)
        return 1;
    if (pinned)
        bench_pin_client();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(base, sizeof(base), "%s/lane/gw/v1", mock_server_base_url(srv));
    snprintf(url, sizeof(url), "%s/lane/raw/v1/chat/completions", mock_server_base_url(srv));

    llmgw_gateway_options_init(&go, LLMGW_GATEWAY_OPTIONS_VERSION);
    go.max_attempts = 1;
    if (llmgw_gateway_new(&gw, &go) != 0)
        return 1;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "bench";
    d.model = "openai/" MODEL;
    d.api_base = base;
    d.api_key = "sk-bench-0000000000000000";
    if (llmgw_gateway_add_deployment(gw, &d) != 0) {
        fprintf(stderr, "%s\n", llmgw_error_last()->message);
        return 1;
    }

    memset(&raw, 0, sizeof(raw));
    raw.h = curl_easy_init();
    raw.hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    raw.hdrs = curl_slist_append(raw.hdrs, "Authorization: Bearer sk-bench-0000000000000000");
    raw.hdrs = curl_slist_append(raw.hdrs, "Expect:");
    curl_easy_setopt(raw.h, CURLOPT_URL, url);
    curl_easy_setopt(raw.h, CURLOPT_HTTPHEADER, raw.hdrs);
    curl_easy_setopt(raw.h, CURLOPT_WRITEFUNCTION, raw_write);
    curl_easy_setopt(raw.h, CURLOPT_WRITEDATA, &raw);
    curl_easy_setopt(raw.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(raw.h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(raw.h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    if (fresh)
        curl_easy_setopt(raw.h, CURLOPT_FORBID_REUSE, 1L);

    tg = calloc(n, sizeof(*tg));
    tr = calloc(n, sizeof(*tr));
    cg = calloc(n, sizeof(*cg));
    cr = calloc(n, sizeof(*cr));
    if (tg == NULL || tr == NULL || cg == NULL || cr == NULL)
        return 1;
    for (i = 0; i < warm; i++) {
        if (gw_request(gw, text, sizeof(text), &in, &out) != 0 || raw_request(&raw) != 0) {
            fprintf(stderr, "overhead: warm-up failed: %s\n", llmgw_error_last()->message);
            return 1;
        }
    }
    if (strcmp(text, raw.text) != 0 || in != (unsigned long long)raw.prompt_tokens ||
        out != (unsigned long long)raw.completion_tokens) {
        fprintf(stderr, "overhead: llmgw and raw disagree\n");
        return 1;
    }
    for (i = 0; i < n; i++) {
        int first_gw = (i % 2) == 0, k;
        for (k = 0; k < 2; k++) {
            if (only != 0 && ((k == 0) == first_gw) != (only == 1))
                continue;
            if ((k == 0) == first_gw) {
                t0 = bench_now_us();
                c0 = bench_thread_cpu_us();
                if (gw_request(gw, text, sizeof(text), &in, &out) != 0)
                    return 1;
                tg[i] = bench_now_us() - t0;
                cg[i] = bench_thread_cpu_us() - c0;
            } else {
                t0 = bench_now_us();
                c0 = bench_thread_cpu_us();
                if (raw_request(&raw) != 0)
                    return 1;
                tr[i] = bench_now_us() - t0;
                cr[i] = bench_thread_cpu_us() - c0;
            }
        }
        if (fresh) {
            /* a fresh connection for llmgw too: drop its pooled handles */
            llmgw_gateway_free(gw);
            if (llmgw_gateway_new(&gw, &go) != 0 || llmgw_gateway_add_deployment(gw, &d) != 0)
                return 1;
        }
    }
    {
        double mg = bench_median(tg, n), mr = bench_median(tr, n);
        fprintf(stderr, "overhead: %s; llmgw p10 %.1f p90 %.1f | raw p10 %.1f p90 %.1f (us)\n",
                pinned ? "mock and clients on separate CPUs" : "not pinned", bench_percentile(tg, n, 10),
                bench_percentile(tg, n, 90), bench_percentile(tr, n, 10), bench_percentile(tr, n, 90));
        bench_report(fresh ? "overhead_fresh_connection" : "overhead_keepalive", "us", mg, mr);
        /* CPU time of the calling thread (kernel included): does not count time spent waiting */
        bench_report(fresh ? "overhead_fresh_connection_cpu" : "overhead_keepalive_cpu", "us", bench_median(cg, n),
                     bench_median(cr, n));
    }
    curl_slist_free_all(raw.hdrs);
    curl_easy_cleanup(raw.h);
    free(raw.body);
    free(tg);
    free(tr);
    free(cg);
    free(cr);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    return 0;
}
