/*
 * bench/stream: streamed completions of ~200 text events through
 * llmgw_complete_stream and through a raw libcurl SSE client doing the same
 * work (keep-alive, same body, an SSE line parser and a cJSON parse of every
 * event), interleaved. Reports time to first token and the per-event cost.
 */
#include <curl/curl.h>
#include <cjson/cJSON.h>
#include <llmgw/llmgw.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "mock_server.h"

#define MODEL "gpt-bench"
#define PROMPT "Tell me a long story."
#define WORDS 200

typedef struct raw_client {
    CURL              *h;
    struct curl_slist *hdrs;
    char               line[1 << 16];
    size_t             line_len;
    double             start, first;
    size_t             text_events;
    size_t             text_bytes;
    int                done;
} raw_client;

static void raw_event(raw_client *c, const char *data, size_t len)
{
    cJSON *o;
    const cJSON *content;

    if (len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        c->done = 1;
        return;
    }
    o = cJSON_ParseWithLength(data, len);
    content = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "choices"), 0),
                                                      "delta"), "content");
    if (cJSON_IsString(content) && content->valuestring[0]) {
        if (c->first == 0)
            c->first = bench_now_us();
        c->text_events++;
        c->text_bytes += strlen(content->valuestring);
    }
    cJSON_Delete(o);
}

static size_t raw_write(char *p, size_t s, size_t n, void *ud)
{
    raw_client *c = ud;
    size_t len = s * n, i;

    for (i = 0; i < len; i++) {
        if (p[i] == '\n') {
            if (c->line_len > 6 && memcmp(c->line, "data: ", 6) == 0)
                raw_event(c, c->line + 6, c->line_len - 6);
            c->line_len = 0;
        } else if (c->line_len < sizeof(c->line)) {
            c->line[c->line_len++] = p[i];
        }
    }
    return len;
}

static int raw_stream(raw_client *c, double *ttft, double *total)
{
    cJSON *req = cJSON_CreateObject(), *msgs = cJSON_AddArrayToObject(req, "messages"), *m, *so;
    char *json;
    CURLcode rc;

    cJSON_AddStringToObject(req, "model", MODEL);
    m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON_AddStringToObject(m, "content", PROMPT);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddTrueToObject(req, "stream");
    so = cJSON_AddObjectToObject(req, "stream_options");
    cJSON_AddTrueToObject(so, "include_usage");
    json = cJSON_PrintUnformatted(req);
    cJSON_Delete(req);
    c->line_len = 0;
    c->first = 0;
    c->text_events = 0;
    c->text_bytes = 0;
    c->done = 0;
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    c->start = bench_now_us();
    rc = curl_easy_perform(c->h);
    *total = bench_now_us() - c->start;
    *ttft = c->first - c->start;
    cJSON_free(json);
    return rc == CURLE_OK && c->done && c->text_events == WORDS ? 0 : -1;
}

typedef struct gw_sink_state {
    double start, first;
    size_t events, bytes;
} gw_sink_state;

static int gw_on_text(const char *text, size_t len, void *ud)
{
    gw_sink_state *s = ud;

    (void)text;
    if (s->first == 0)
        s->first = bench_now_us();
    s->events++;
    s->bytes += len;
    return 0;
}

static int gw_stream(llmgw_gateway *gw, double *ttft, double *total, size_t *events)
{
    llmgw_request *req = NULL;
    llmgw_stream_sink sink;
    gw_sink_state st;
    int rc;

    memset(&st, 0, sizeof(st));
    llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
    sink.on_text = gw_on_text;
    sink.userdata = &st;
    st.start = bench_now_us();
    if ((rc = llmgw_request_new(&req, "bench")) == 0 &&
        (rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, PROMPT)) == 0)
        rc = llmgw_complete_stream(gw, req, &sink, NULL);
    *total = bench_now_us() - st.start;
    *ttft = st.first - st.start;
    *events = st.events;
    llmgw_request_free(req);
    return rc == 0 && st.events == WORDS ? 0 : -1;
}

int main(int argc, char **argv)
{
    size_t n = bench_count(argc, argv, 500), warm = 50, i, events = 0;
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    raw_client *raw;
    double *ttft_g, *ttft_r, *tot_g, *tot_r, tt, tot;
    char base[256], url[256], script[WORDS * 8 + 128], *p;
    int w;

    if (mock_server_start(&srv, "127.0.0.1", 0) != 0)
        return 1;
    p = script + sprintf(script, "{\"steps\":[{\"text\":\"");
    for (w = 0; w < WORDS; w++)
        p += sprintf(p, "%sw%03d", w ? " " : "", w);
    sprintf(p, "\"}],\"then\":\"repeat_last\"}");
    if (mock_server_script(srv, "gw", script) != 0 || mock_server_script(srv, "raw", script) != 0)
        return 1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    snprintf(base, sizeof(base), "%s/lane/gw/v1", mock_server_base_url(srv));
    snprintf(url, sizeof(url), "%s/lane/raw/v1/chat/completions", mock_server_base_url(srv));
    if (llmgw_gateway_new(&gw, NULL) != 0)
        return 1;
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "bench";
    d.model = "openai/" MODEL;
    d.api_base = base;
    d.api_key = "sk-bench-0000000000000000";
    if (llmgw_gateway_add_deployment(gw, &d) != 0)
        return 1;

    raw = calloc(1, sizeof(*raw));
    raw->h = curl_easy_init();
    raw->hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    raw->hdrs = curl_slist_append(raw->hdrs, "Authorization: Bearer sk-bench-0000000000000000");
    raw->hdrs = curl_slist_append(raw->hdrs, "Accept: text/event-stream");
    raw->hdrs = curl_slist_append(raw->hdrs, "Expect:");
    curl_easy_setopt(raw->h, CURLOPT_URL, url);
    curl_easy_setopt(raw->h, CURLOPT_HTTPHEADER, raw->hdrs);
    curl_easy_setopt(raw->h, CURLOPT_WRITEFUNCTION, raw_write);
    curl_easy_setopt(raw->h, CURLOPT_WRITEDATA, raw);
    curl_easy_setopt(raw->h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(raw->h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);

    ttft_g = calloc(n, sizeof(double));
    ttft_r = calloc(n, sizeof(double));
    tot_g = calloc(n, sizeof(double));
    tot_r = calloc(n, sizeof(double));
    for (i = 0; i < warm; i++) {
        if (gw_stream(gw, &tt, &tot, &events) != 0 || raw_stream(raw, &tt, &tot) != 0) {
            fprintf(stderr, "stream: warm-up failed: %s\n", llmgw_error_last()->message);
            return 1;
        }
    }
    for (i = 0; i < n; i++) {
        if (i % 2 == 0) {
            if (gw_stream(gw, &ttft_g[i], &tot_g[i], &events) != 0 || raw_stream(raw, &ttft_r[i], &tot_r[i]) != 0)
                return 1;
        } else {
            if (raw_stream(raw, &ttft_r[i], &tot_r[i]) != 0 || gw_stream(gw, &ttft_g[i], &tot_g[i], &events) != 0)
                return 1;
        }
    }
    {
        double mg = bench_median(tot_g, n), mr = bench_median(tot_r, n);
        bench_report("stream_ttft", "us", bench_median(ttft_g, n), bench_median(ttft_r, n));
        bench_report("stream_total_200_events", "us", mg, mr);
        printf("stream_per_event_overhead   %.1f ns per event (llmgw - raw, over %d text events)\n",
               (mg - mr) * 1000.0 / WORDS, WORDS);
        printf("{\"name\":\"stream_per_event_overhead\",\"unit\":\"ns\",\"llmgw\":%.1f,\"baseline\":0,\"ratio\":0}\n",
               (mg - mr) * 1000.0 / WORDS);
    }
    curl_slist_free_all(raw->hdrs);
    curl_easy_cleanup(raw->h);
    free(raw);
    free(ttft_g);
    free(ttft_r);
    free(tot_g);
    free(tot_r);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    return 0;
}
