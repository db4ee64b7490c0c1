/*
 * llmgw mock upstream: Azure OpenAI.
 *
 * POST /openai/deployments/{deployment}/chat/completions?api-version=... (model optional in the
 * body: the deployment names it), and the v1 surface POST /openai/v1/chat/completions when an
 * api-key header comes (model required, no api-version needed). Auth is the `api-key` header;
 * Authorization is ignored when a key is present (the mock cannot check Entra ID tokens, so a
 * request with only Authorization is a 401). A deployments request without api-version is a
 * 404 "Resource not found", as Azure answers it. Answers are OpenAI's plus Azure's filter
 * annotations: prompt_filter_results on the body and on a first stream chunk with empty
 * choices, content_filter_results on each choice (violence filtered when the step's
 * finish_reason is "content_filter"). Error envelopes follow docs/providers.md §2: 429 with
 * code "429" and no type, 400 content_filter with status and innererror
 * ResponsibleAIPolicyViolation, 404 DeploymentNotFound, 401 code "401".
 */
#include "mock_internal.h"

#include <string.h>

#define DEPLOYMENTS "/openai/deployments/"
#define TAIL "/chat/completions"

/* The deployment segment of a deployments path: its length, or 0. */
static size_t deployment_len(const char *path)
{
    size_t pre = sizeof DEPLOYMENTS - 1, t = sizeof TAIL - 1, n = strlen(path);
    if (n <= pre + t || strncmp(path, DEPLOYMENTS, pre) != 0 || strcmp(path + n - t, TAIL) != 0)
        return 0;
    const char *d = path + pre;
    size_t len = n - pre - t;
    return memchr(d, '/', len) ? 0 : len;
}

static int is_v1(const mock_request *req)
{
    return !strcmp(req->path, "/openai/v1" TAIL) && mock_request_header(req, "api-key");
}

static int azure_match(const mock_request *req)
{
    return deployment_len(req->path) > 0 || is_v1(req);
}

/* The api-version query parameter's value length, or -1 when absent. */
static long api_version(const char *query)
{
    for (const char *p = query; p && *p;) {
        const char *amp = strchr(p, '&');
        size_t n = amp ? (size_t)(amp - p) : strlen(p);
        if (n > 12 && !strncmp(p, "api-version=", 12))
            return (long)(n - 12);
        p = amp ? amp + 1 : NULL;
    }
    return -1;
}

/* Azure's per-category results; a content_filter finish marks violence filtered. */
void mock_azure_filter_results(mbuf *b, int filtered)
{
    static const char *const cats[] = {"hate", "self_harm", "sexual", "violence"};
    mbuf_putc(b, '{');
    for (size_t i = 0; i < 4; i++)
        mbuf_printf(b, "%s\"%s\":{\"filtered\":%s,\"severity\":\"%s\"}", i ? "," : "", cats[i],
                    filtered && i == 3 ? "true" : "false", filtered && i == 3 ? "high" : "safe");
    mbuf_putc(b, '}');
}

void mock_azure_prompt_filter(mbuf *b)
{
    mbuf_puts(b, "\"prompt_filter_results\":[{\"prompt_index\":0,\"content_filter_results\":");
    mock_azure_filter_results(b, 0);
    mbuf_puts(b, "}]");
}

/* Azure opens with a chunk that has no choices, only the prompt's filter results. */
void mock_azure_prompt_chunk(mock_stream *s)
{
    mock_stream_begin(s, MOCK_EV_ROLE);
    mbuf_puts(&s->bytes, "data: ");
    mock_stream_json_begin(s);
    mbuf_puts(&s->bytes, "{\"choices\":[],\"created\":0,\"id\":\"\",\"model\":\"\",\"object\":\"\",");
    mock_azure_prompt_filter(&s->bytes);
    mbuf_putc(&s->bytes, '}');
    mock_stream_json_end(s);
    mbuf_puts(&s->bytes, "\n\n");
    mock_stream_end(s);
}

static int azure_parse(mock_parsed *out, mock_reject *rej, const mock_request *req,
                       const cJSON *body)
{
    memset(out, 0, sizeof *out);
    const char *key = mock_request_header(req, "api-key");
    if (!key || !key[0]) {
        mock_reject_set(rej, 401, NULL, "401",
                        "Access denied due to invalid subscription key or wrong API endpoint. "
                        "Make sure to provide a valid key for an active subscription and use a "
                        "correct regional API endpoint for your resource.");
        return -1;
    }
    int v1 = is_v1(req);
    if (!v1 && api_version(req->query) <= 0) {
        mock_reject_set(rej, 404, NULL, "404", "Resource not found");
        return -1;
    }
    if (mock_openai_check_body(out, rej, req, body, v1) < 0)
        return -1;
    if (!out->model)
        out->model = "gpt-4o-2024-08-06";  /* Azure reports the model behind the deployment */
    return 0;
}

static void azure_render_body(mbuf *b, const mock_answer *a)
{
    mock_openai_render_body(b, a, MOCK_OAI_AZURE);
}

static void azure_render_stream(mock_stream *s, const mock_answer *a)
{
    mock_openai_render_stream(s, a, MOCK_OAI_AZURE);
}

static void azure_render_error(mbuf *b, int status, const char *type, const char *code,
                               const char *message)
{
    mbuf_puts(b, "{\"error\":{\"code\":");
    if (status == 429 && (!code || !strcmp(code, "rate_limit_exceeded")))
        code = "429";                      /* a string, and no type */
    else if (status == 404 && (!code || !strcmp(code, "model_not_found")))
        code = "DeploymentNotFound";
    mbuf_json_cstr(b, code);
    mbuf_puts(b, ",\"message\":");
    if (status == 404 && !strcmp(code, "DeploymentNotFound") && message && !strncmp(message, "mock:", 5))
        message = "The API deployment for this resource does not exist. If you created the "
                  "deployment within the last 5 minutes, please wait a moment and try again.";
    mbuf_json_cstr(b, message ? message : "");
    if (code && !strcmp(code, "content_filter")) {
        mbuf_printf(b, ",\"param\":\"prompt\",\"type\":null,\"status\":%d,\"innererror\":{\"code\":"
                    "\"ResponsibleAIPolicyViolation\",\"content_filter_result\":{\"hate\":{\"filtered"
                    "\":false,\"severity\":\"safe\"},\"jailbreak\":{\"filtered\":false,\"detected\":"
                    "false},\"self_harm\":{\"filtered\":false,\"severity\":\"safe\"},\"sexual\":{\""
                    "filtered\":false,\"severity\":\"safe\"},\"violence\":{\"filtered\":true,\""
                    "severity\":\"medium\"}}}", status);
    } else if (status != 429 && status != 401 && type) {
        mbuf_puts(b, ",\"type\":");
        mbuf_json_cstr(b, type);
        mbuf_puts(b, ",\"param\":null");
    }
    mbuf_puts(b, "}}");
}

const mock_dialect mock_dialect_azure = {
    .name = "azure",
    .stream_content_type = "text/event-stream",
    .match = azure_match,
    .parse = azure_parse,
    .render_body = azure_render_body,
    .render_stream = azure_render_stream,
    .render_error = azure_render_error,
    .render_error_event = mock_openai_render_error_event,
};
