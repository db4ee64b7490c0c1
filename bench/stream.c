/*
 * bench/stream: streamed completions of 200 text events through
 * llmgw_complete_stream and through a raw libcurl SSE client doing the same
 * work, interleaved, against the same loopback mock (keep-alive, same body):
 *
 *   raw client   curl_easy_perform, a line splitter over each received block
 *                (memchr, a carry buffer only for a line cut between
 *                blocks), cJSON on every "data:" payload, choices[0].delta
 *                .content counted, [DONE] ends it.
 *
 * Both clocks start before the request is built and stop at the first
 * non-empty text delta (time to first token) and at the end of the call.
 * The per-event cost of one stream is (total - ttft) / (text events - 1):
 * what each further event costs once the stream runs; its median over the
 * runs, llmgw minus raw, is the per-event overhead. The CPU time of the
 * calling thread per event is printed beside it (it does not move with the
 * machine's load, wall time does).
 *
 * The mock server runs on one CPU and both clients on another
 * (bench_pin_*): left to the scheduler, the mock thread of one client's
 * connection could share the client's core while the other's did not,
 * which skewed whole runs by 30 % either way.
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

typedef struct run_times {
    double ttft, total, cpu;
} run_times;

typedef struct raw_client {
    CURL              *h;
    struct curl_slist *hdrs;
    char              *carry;           /* a line cut between two blocks */
    size_t             carry_len, carry_cap;
    double             first;
    size_t             text_events, text_bytes;
    int                done, failed;
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
    if (o == NULL) {
        c->failed = 1;
        return;
    }
    content = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o, "choices"), 0),
                                         "delta"), "content");
    if (cJSON_IsString(content) && content->valuestring[0]) {
        if (c->first == 0)
            c->first = bench_now_us();
        c->text_events++;
        c->text_bytes += strlen(content->valuestring);
    }
    cJSON_Delete(o);
}

static void raw_line(raw_client *c, const char *line, size_t len)
{
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > 6 && memcmp(line, "data: ", 6) == 0)
        raw_event(c, line + 6, len - 6);
}

static size_t raw_write(char *p, size_t s, size_t n, void *ud)
{
    raw_client *c = ud;
    size_t len = s * n;
    char *end = p + len, *nl;

    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        if (c->carry_len > 0) {
            size_t add = (size_t)(nl - p);
            if (c->carry_len + add > c->carry_cap) {
                char *g = realloc(c->carry, c->carry_len + add);
                if (g == NULL)
                    return 0;
                c->carry = g;
                c->carry_cap = c->carry_len + add;
            }
            memcpy(c->carry + c->carry_len, p, add);
            raw_line(c, c->carry, c->carry_len + add);
            c->carry_len = 0;
        } else {
            raw_line(c, p, (size_t)(nl - p));
        }
        p = nl + 1;
    }
    if (p < end) {
        size_t add = (size_t)(end - p);
        if (c->carry_len + add > c->carry_cap) {
            size_t cap = c->carry_len + add + 1024;
            char *g = realloc(c->carry, cap);
            if (g == NULL)
                return 0;
            c->carry = g;
            c->carry_cap = cap;
        }
        memcpy(c->carry + c->carry_len, p, add);
        c->carry_len += add;
    }
    return len;
}

static int raw_stream(raw_client *c, run_times *rt)
{
    double start = bench_now_us(), cpu0 = bench_thread_cpu_us();
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
    c->carry_len = 0;
    c->first = 0;
    c->text_events = c->text_bytes = 0;
    c->done = c->failed = 0;
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    rc = curl_easy_perform(c->h);
    rt->total = bench_now_us() - start;
    rt->cpu = bench_thread_cpu_us() - cpu0;
    rt->ttft = c->first - start;
    cJSON_free(json);
    return rc == CURLE_OK && c->done && !c->failed && c->text_events == WORDS ? 0 : -1;
}

typedef struct gw_sink_state {
    double first;
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

static int gw_stream(llmgw_gateway *gw, run_times *rt)
{
    double start = bench_now_us(), cpu0 = bench_thread_cpu_us();
    llmgw_request *req = NULL;
    llmgw_stream_sink sink;
    gw_sink_state st;
    int rc;

    memset(&st, 0, sizeof(st));
    llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
    sink.on_text = gw_on_text;
    sink.userdata = &st;
    if ((rc = llmgw_request_new(&req, "bench")) == 0 &&
        (rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, PROMPT)) == 0)
        rc = llmgw_complete_stream(gw, req, &sink, NULL);
    llmgw_request_free(req);
    rt->total = bench_now_us() - start;
    rt->cpu = bench_thread_cpu_us() - cpu0;
    rt->ttft = st.first - start;
    return rc == 0 && st.events == WORDS ? 0 : -1;
}

static double per_event(const run_times *rt)
{
    return (rt->total - rt->ttft) / (WORDS - 1);
}

int main(int argc, char **argv)
{
    size_t n = bench_count(argc, argv, 400), warm = 40, i;
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    raw_client raw;
    run_times g, r;
    double *ttft_g, *ttft_r, *ev_g, *ev_r, *cpu_g, *cpu_r;
    char base[256], url[256], script[WORDS * 8 + 128], *p;
    int w, pinned;

    if (n < 10)
        n = 10;
    pinned = bench_pin_server();
    if (mock_server_start(&srv, "127.0.0.1", 0) != 0)
        return 1;
    if (pinned)
        bench_pin_client();
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

    memset(&raw, 0, sizeof(raw));
    raw.h = curl_easy_init();
    raw.hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    raw.hdrs = curl_slist_append(raw.hdrs, "Authorization: Bearer sk-bench-0000000000000000");
    raw.hdrs = curl_slist_append(raw.hdrs, "Accept: text/event-stream");
    raw.hdrs = curl_slist_append(raw.hdrs, "Expect:");
    curl_easy_setopt(raw.h, CURLOPT_URL, url);
    curl_easy_setopt(raw.h, CURLOPT_HTTPHEADER, raw.hdrs);
    curl_easy_setopt(raw.h, CURLOPT_WRITEFUNCTION, raw_write);
    curl_easy_setopt(raw.h, CURLOPT_WRITEDATA, &raw);
    curl_easy_setopt(raw.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(raw.h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(raw.h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);

    ttft_g = calloc(n, sizeof(double));
    ttft_r = calloc(n, sizeof(double));
    ev_g = calloc(n, sizeof(double));
    ev_r = calloc(n, sizeof(double));
    cpu_g = calloc(n, sizeof(double));
    cpu_r = calloc(n, sizeof(double));
    if (ttft_g == NULL || ttft_r == NULL || ev_g == NULL || ev_r == NULL || cpu_g == NULL || cpu_r == NULL)
        return 1;
    for (i = 0; i < warm; i++) {
        if (gw_stream(gw, &g) != 0 || raw_stream(&raw, &r) != 0) {
            fprintf(stderr, "stream: warm-up failed: %s\n", llmgw_error_last()->message);
            return 1;
        }
    }
    for (i = 0; i < n; i++) {
        int first_gw = i % 2 == 0, k;
        for (k = 0; k < 2; k++) {
            if ((k == 0) == first_gw) {
                if (gw_stream(gw, &g) != 0)
                    return 1;
            } else if (raw_stream(&raw, &r) != 0) {
                return 1;
            }
        }
        ttft_g[i] = g.ttft;
        ttft_r[i] = r.ttft;
        ev_g[i] = per_event(&g);
        ev_r[i] = per_event(&r);
        cpu_g[i] = g.cpu / WORDS;
        cpu_r[i] = r.cpu / WORDS;
    }
    {
        double eg = bench_median(ev_g, n), er = bench_median(ev_r, n);
        double cg = bench_median(cpu_g, n), cr = bench_median(cpu_r, n);
        fprintf(stderr, "stream: %s, %zu runs of %d text events each\n",
                pinned ? "mock and clients on separate CPUs" : "not pinned", n, WORDS);
        bench_report("stream_ttft", "us", bench_median(ttft_g, n), bench_median(ttft_r, n));
        bench_report("stream_per_event", "ns", eg * 1000.0, er * 1000.0);
        bench_report("stream_per_event_cpu", "ns", cg * 1000.0, cr * 1000.0);
        printf("stream_per_event_overhead          %+.0f ns wall, %+.0f ns CPU per event (llmgw - raw; target 300)\n",
               (eg - er) * 1000.0, (cg - cr) * 1000.0);
        printf("{\"name\":\"stream_per_event_overhead\",\"unit\":\"ns\",\"llmgw\":%.1f,\"baseline\":0,\"ratio\":0}\n",
               (eg - er) * 1000.0);
    }
    curl_slist_free_all(raw.hdrs);
    curl_easy_cleanup(raw.h);
    free(raw.carry);
    free(ttft_g);
    free(ttft_r);
    free(ev_g);
    free(ev_r);
    free(cpu_g);
    free(cpu_r);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    curl_global_cleanup();
    return 0;
}
