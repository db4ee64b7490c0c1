/*
 * llmgw-demo: llmgw end to end with no keys and no network beyond loopback.
 * It starts the mock upstream (an OpenAI-compatible server) on an ephemeral
 * loopback port, points a gateway at it, and shows a completion, a streamed
 * answer, and a failover from a failing deployment, with the attempt trail.
 */
#include <llmgw/llmgw.h>

#include <stdio.h>
#include <string.h>

#include "mock_server.h"

static int print_delta(const char *text, size_t len, void *userdata)
{
    (void)userdata;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    return 0;
}

static int add(llmgw_gateway *gw, const char *group, const char *model, const char *base)
{
    llmgw_deployment_options d;

    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = group;
    d.model = model;
    d.api_base = base;
    d.api_key = "sk-demo-not-a-real-key";
    d.order = strstr(base, "flaky") ? 1 : 2;      /* try the flaky one first */
    return llmgw_gateway_add_deployment(gw, &d);
}

static void usage_line(const llmgw_response *r)
{
    const llmgw_usage *u = llmgw_response_usage(r);

    printf("   [%s via %s: %llu input + %llu output tokens, %.1f ms, %u attempt%s]\n",
           u->model ? u->model : "?", u->provider ? u->provider : "?",
           (unsigned long long)u->input_tokens, (unsigned long long)u->output_tokens,
           (double)u->latency_us / 1000.0, u->attempts, u->attempts == 1 ? "" : "s");
}

int main(void)
{
    mock_server *srv = NULL;
    llmgw_gateway *gw = NULL;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    llmgw_stream_sink sink;
    char base[256], flaky[256];
    size_t i;
    int rc = 1;

    if (mock_server_start(&srv, "127.0.0.1", 0) != 0) {
        fprintf(stderr, "demo: could not start the mock upstream\n");
        return 1;
    }
    snprintf(base, sizeof(base), "%s/lane/main/v1", mock_server_base_url(srv));
    snprintf(flaky, sizeof(flaky), "%s/lane/flaky/v1", mock_server_base_url(srv));
    printf("llmgw %s demo: mock upstream on %s (loopback, no keys)\n\n", llmgw_version(), mock_server_base_url(srv));
    mock_server_script(srv, "main", "{\"steps\":[{\"text\":\"Hello! I am a completion served by the mock "
                                    "upstream through llmgw.\"},{\"text\":\"Streaming: each word arrives as "
                                    "its own server-sent event, delivered as it comes.\"}],\"then\":\"default\"}");
    mock_server_script(srv, "flaky", "{\"steps\":[{\"status\":503,\"error_message\":\"upstream overloaded\"}],"
                                     "\"then\":\"repeat_last\"}");
    if (llmgw_gateway_new(&gw, NULL) != 0 || add(gw, "chat", "openai/gpt-4o-mini", base) != 0 ||
        add(gw, "resilient", "openai/flaky-model", flaky) != 0 ||
        add(gw, "resilient", "openai/gpt-4o-mini", base) != 0) {
        fprintf(stderr, "demo: %s\n", llmgw_error_last()->message);
        goto out;
    }

    printf("1. A completion (llmgw_complete):\n   ");
    if (llmgw_request_new(&req, "chat") != 0 ||
        llmgw_request_add_message(req, LLMGW_ROLE_USER, "Say hello.") != 0 ||
        llmgw_complete(gw, req, &r) != 0)
        goto fail;
    printf("%s\n", llmgw_response_text(r));
    usage_line(r);
    llmgw_response_free(r);
    r = NULL;

    printf("\n2. A streamed answer (llmgw_complete_stream):\n   ");
    llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
    sink.on_text = print_delta;
    if (llmgw_complete_stream(gw, req, &sink, &r) != 0)
        goto fail;
    printf("\n");
    usage_line(r);
    llmgw_response_free(r);
    r = NULL;

    printf("\n3. Failover: group 'resilient' tries a deployment that answers 503, then another:\n   ");
    if (llmgw_request_set_model(req, "resilient") != 0 || llmgw_complete(gw, req, &r) != 0)
        goto fail;
    printf("%s\n", llmgw_response_text(r));
    for (i = 0; i < llmgw_response_attempt_count(r); i++) {
        const llmgw_attempt *a = llmgw_response_attempt(r, i);
        printf("   attempt %zu: %-45s %s%s%s\n", i + 1, a->deployment,
               a->status == 0 ? "ok" : "failed: ", a->status == 0 ? "" : llmgw_error_class_str(a->error_class),
               a->http_status ? "" : "");
    }
    usage_line(r);
    printf("\nDone: the same calls work against OpenAI, Anthropic, Gemini, ... with real keys.\n");
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "\ndemo: %s\n", llmgw_error_last()->message);
out:
    llmgw_response_free(r);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    mock_server_stop(srv);
    return rc;
}
