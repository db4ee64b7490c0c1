/*
 * examples/cli/demo.c: `llmgw demo`: the whole gateway with no keys and no
 * network beyond loopback. It starts the mock upstream on an ephemeral
 * loopback port (OpenAI and Anthropic wire formats), configures two groups —
 * "fast" (one healthy deployment) and "smart" (a deployment that always
 * answers 503, then an Anthropic one) — turns the response cache on, and
 * shows a completion, a streamed answer, a failover with its attempt trail,
 * a cache hit and a cost table by deployment.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mock_server.h"

#define DEMO_KEY "sk-demo-not-a-real-key"
#define MAX_ROWS 8

typedef struct cost_row {
    char     deployment[160];
    unsigned requests, hits;     /* attempts made; answers served from the cache */
    uint64_t input, output;
    int64_t  cost, saved;
    bool     unknown;
} cost_row;

typedef struct ledger {
    pthread_mutex_t lock;
    cost_row        rows[MAX_ROWS];
    size_t          n;
} ledger;

static cost_row *row_of(ledger *l, const char *dep)
{
    size_t i;

    dep = dep ? dep : "(none)";
    for (i = 0; i < l->n; i++)
        if (strcmp(l->rows[i].deployment, dep) == 0)
            return &l->rows[i];
    if (l->n == MAX_ROWS)
        return NULL;
    memset(&l->rows[l->n], 0, sizeof(l->rows[l->n]));
    snprintf(l->rows[l->n].deployment, sizeof(l->rows[l->n].deployment), "%s", dep);
    return &l->rows[l->n++];
}

/* The usage hook: every attempt is charged to its deployment; a cache hit to the one that answered. */
static void on_usage(const llmgw_usage *u, void *ud)
{
    ledger *l = ud;
    cost_row *row;
    unsigned i;

    pthread_mutex_lock(&l->lock);
    for (i = 0; i < u->attempts; i++) {
        const llmgw_attempt *a = &u->trail[i];
        if ((row = row_of(l, a->deployment)) == NULL)
            continue;
        row->requests++;
        row->input += a->input_tokens;
        row->output += a->output_tokens;
        if (a->cost_source == LLMGW_COST_UNKNOWN)
            row->unknown = true;
        else
            row->cost += a->cost_nusd;
    }
    if (u->cache_hit && (row = row_of(l, u->deployment)) != NULL) {
        row->hits++;
        row->saved += u->saved_cost_nusd;
    }
    pthread_mutex_unlock(&l->lock);
}

static void money(char *out, size_t size, int64_t nusd)
{
    snprintf(out, size, "$%lld.%09lld", (long long)(nusd / 1000000000), (long long)(nusd % 1000000000));
}

static int print_delta(const char *text, size_t len, void *ud)
{
    (void)ud;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static void summary(const llmgw_response *r)
{
    const llmgw_usage *u = llmgw_response_usage(r);
    char cost[40];

    if (u->cost_source == LLMGW_COST_UNKNOWN)
        snprintf(cost, sizeof(cost), "cost unknown");
    else
        money(cost, sizeof(cost), u->cost_nusd);
    printf("   [%s/%s, %llu in + %llu out tokens, %s, %.1f ms, %u attempt%s%s]\n",
           u->provider ? u->provider : "?", u->model ? u->model : "?",
           (unsigned long long)u->input_tokens, (unsigned long long)u->output_tokens, cost,
           (double)u->latency_us / 1000.0, u->attempts, u->attempts == 1 ? "" : "s",
           u->cache_hit ? ", cache hit" : "");
}

static int add(llmgw_gateway *gw, const char *group, const char *model, const char *base, int order)
{
    llmgw_deployment_options d;

    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = model;
    d.api_base = base;
    d.api_key = DEMO_KEY;
    d.order = order;
    return llmgw_gateway_add_deployment(gw, &d);
}

static int ask(llmgw_gateway *gw, const char *group, const char *prompt, bool stream, llmgw_response **out)
{
    llmgw_request *req = NULL;
    llmgw_stream_sink sink;
    int rc;

    if ((rc = llmgw_request_new(&req, group)) != 0 ||
        (rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt)) != 0)
        goto out;
    if (stream) {
        llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
        sink.on_text = print_delta;
        printf("   ");
        rc = llmgw_complete_stream(gw, req, &sink, out);
        printf("\n");
    } else {
        rc = llmgw_complete(gw, req, out);
    }
out:
    if (rc != 0)
        cli_error_line(llmgw_error_last());
    llmgw_request_free(req);
    return rc;
}

static int setup(mock_server *srv, llmgw_gateway **gw, ledger *l)
{
    llmgw_gateway_options o;
    char main_base[256], flaky_base[256], claude_base[256];
    const char *url = mock_server_base_url(srv);

    snprintf(main_base, sizeof(main_base), "%s/lane/main/v1", url);
    snprintf(flaky_base, sizeof(flaky_base), "%s/lane/flaky/v1", url);
    snprintf(claude_base, sizeof(claude_base), "%s/lane/claude", url);
    if (mock_server_script(srv, "main", "{\"steps\":[{\"text\":\"Red, yellow and blue.\"},"
                           "{\"text\":\"Routing, retries, failover, caching and cost accounting, all inside "
                           "your own process.\",\"chunks\":8,\"event_delay_ms\":40}],\"then\":\"repeat_last\"}") != 0 ||
        mock_server_script(srv, "flaky", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}") != 0 ||
        mock_server_script(srv, "claude", "{\"steps\":[{\"text\":\"This answer came from the second deployment "
                           "after the first one failed.\"}],\"then\":\"repeat_last\"}") != 0)
        return EXIT_ERROR;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.cache_enabled = 1;
    o.usage_cb = on_usage;
    o.usage_userdata = l;
    if (llmgw_gateway_new(gw, &o) != 0 ||
        add(*gw, "fast", "openai/gpt-4o-mini", main_base, 0) != 0 ||
        add(*gw, "smart", "openai/gpt-4o", flaky_base, 1) != 0 ||
        add(*gw, "smart", "anthropic/claude-sonnet-4-5", claude_base, 2) != 0) {
        cli_error_line(llmgw_error_last());
        return EXIT_ERROR;
    }
    return 0;
}

static void print_trail(const llmgw_response *r)
{
    size_t i;

    for (i = 0; i < llmgw_response_attempt_count(r); i++) {
        const llmgw_attempt *a = llmgw_response_attempt(r, i);
        printf("   attempt %zu: %-53s %s", i + 1, a->deployment,
               a->status == 0 ? "ok" : llmgw_error_class_str(a->error_class));
        if (a->http_status)
            printf(" (HTTP %d)", a->http_status);
        printf("\n");
    }
}

static void print_costs(ledger *l)
{
    char cost[40], saved[40];
    int64_t total = 0, total_saved = 0;
    size_t i;

    printf("%-56s %5s %4s %7s %7s %14s %14s\n", "   deployment", "calls", "hits", "in", "out", "cost", "saved");
    for (i = 0; i < l->n; i++) {
        const cost_row *c = &l->rows[i];
        money(cost, sizeof(cost), c->cost);
        money(saved, sizeof(saved), c->saved);
        printf("   %-53s %5u %4u %7llu %7llu %14s %14s\n", c->deployment, c->requests, c->hits,
               (unsigned long long)c->input, (unsigned long long)c->output, c->unknown ? "unknown" : cost, saved);
        total += c->cost;
        total_saved += c->saved;
    }
    money(cost, sizeof(cost), total);
    money(saved, sizeof(saved), total_saved);
    printf("   %-53s %5s %4s %7s %7s %14s %14s\n", "total", "", "", "", "", cost, saved);
}

int cli_cmd_demo(const cli_args *a)
{
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_response *r = NULL;
    ledger l;
    int code = EXIT_ERROR;

    (void)a;
    memset(&l, 0, sizeof(l));
    pthread_mutex_init(&l.lock, NULL);
    if (mock_server_start(&srv, "127.0.0.1", 0) != 0) {
        fprintf(stderr, "llmgw: error: the demo could not start its mock upstream on loopback\n");
        goto out;
    }
    printf("llmgw %s demo: a mock upstream on %s speaks the OpenAI and Anthropic wire formats.\n"
           "No keys, no network beyond loopback.\n\n", llmgw_version(), mock_server_base_url(srv));
    if (setup(srv, &gw, &l) != 0)
        goto out;

    printf("1. A completion (group \"fast\": openai/gpt-4o-mini)\n   > Name the three primary colors.\n");
    if (ask(gw, "fast", "Name the three primary colors.", false, &r) != 0)
        goto out;
    printf("   %s\n", llmgw_response_text(r));
    summary(r);
    llmgw_response_free(r);
    r = NULL;

    printf("\n2. A streamed answer (same group)\n   > What does llmgw do?\n");
    if (ask(gw, "fast", "What does llmgw do?", true, &r) != 0)
        goto out;
    summary(r);
    llmgw_response_free(r);
    r = NULL;

    printf("\n3. Failover (group \"smart\": openai/gpt-4o answers 503, then anthropic/claude-sonnet-4-5)\n"
           "   > Explain failover in one sentence.\n");
    if (ask(gw, "smart", "Explain failover in one sentence.", false, &r) != 0)
        goto out;
    print_trail(r);
    printf("   %s\n", llmgw_response_text(r));
    summary(r);
    llmgw_response_free(r);
    r = NULL;

    printf("\n4. The first question again: answered from the response cache\n");
    if (ask(gw, "fast", "Name the three primary colors.", false, &r) != 0)
        goto out;
    printf("   %s\n", llmgw_response_text(r));
    summary(r);
    if (!llmgw_response_cache_hit(r)) {
        fprintf(stderr, "llmgw: error: the repeated question was not a cache hit\n");
        goto out;
    }
    llmgw_response_free(r);
    r = NULL;

    printf("\n5. Cost by deployment (built-in prices; integer nano-dollars, shown in USD)\n");
    print_costs(&l);
    code = EXIT_OK;
out:
    llmgw_response_free(r);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    pthread_mutex_destroy(&l.lock);
    return code;
}
