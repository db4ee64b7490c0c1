/*
 * lib/providers/azure.c: Azure OpenAI (docs/providers.md §2).
 *
 * Deployments surface (the default):
 *   POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version={v}
 *   - endpoint: api_base, else AZURE_OPENAI_ENDPOINT, else AZURE_API_BASE. There
 *     is no default: a deployment without one fails to add with a config error.
 *     An api_base that already ends in "/openai" (the SDK's own base_url) is
 *     not doubled.
 *   - deployment: the model name ("azure/my-gpt4o" -> "my-gpt4o"), one URL
 *     path segment, validated and percent-encoded.
 *   - api-version: api_version, else OPENAI_API_VERSION, else AZURE_API_VERSION,
 *     else AZURE_DEFAULT_API_VERSION, the latest GA data-plane inference version
 *     listed in the Azure OpenAI REST reference (learn.microsoft.com,
 *     "Data plane - inference ... Latest GA release 2024-10-21").
 *   - the body is OpenAI's without `model` (the deployment names it).
 * v1 surface: POST {endpoint}/openai/v1/chat/completions, `model` in the body,
 *   chosen when api_version is "v1" or when api_base already ends in
 *   "/openai/v1" (Microsoft's documented base_url for it). The v1 API needs no
 *   dated api-version, so none is sent there; "preview" and "latest" are.
 * Auth: the key in an `api-key` header (AZURE_OPENAI_API_KEY, AZURE_API_KEY,
 *   AZURE_OPENAI_KEY), never Authorization; Entra ID tokens are not supported.
 * Replies and errors go through OpenAI's parsers, which know Azure's shapes:
 *   chunks with empty choices carrying prompt_filter_results, per-choice
 *   content_filter_results (ignored), finish content_filter, 400
 *   code "content_filter" / innererror.code "ResponsibleAIPolicyViolation"
 *   (content_policy), 429 code "429" with no type (rate_limit) and
 *   "Please retry after N seconds" (a hint when no retry-after-ms,
 *   x-ms-retry-after-ms or retry-after header came), 404 for an unknown
 *   deployment (not_found).
 * max_tokens is renamed max_completion_tokens for deployments named like an
 *   o-series or gpt-5 model, as for openai (openai.c).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "openai.h"

#include <strings.h>

#define AZURE_DEFAULT_API_VERSION "2024-10-21"

typedef struct azure_state {
    const llmgw_provider_config *cfg;
    const char                  *api_version;
    bool                         v1;            /* the /openai/v1 surface */
    const char                  *base_suffix;   /* appended to api_base before the route */
} azure_state;

static const llmgw__openai_dialect azure_deployments = {
    "azure", LLMGW__OAI_OMIT_MODEL | LLMGW__OAI_REASONING_RENAME, NULL };
static const llmgw__openai_dialect azure_v1 = { "azure", LLMGW__OAI_REASONING_RENAME, NULL };

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static int azure_init(void *state, const llmgw_provider_config *cfg)
{
    azure_state *st = state;

    if (cfg->api_base == NULL || *cfg->api_base == '\0')
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "azure: no endpoint: set api_base (https://RESOURCE.openai.azure.com) "
                                 "or AZURE_OPENAI_ENDPOINT");
    LLMGW_TRY(llmgw__openai_check_config("azure", cfg));
    st->cfg = cfg;
    st->api_version = cfg->api_version != NULL && *cfg->api_version ? cfg->api_version
                                                                     : AZURE_DEFAULT_API_VERSION;
    st->v1 = strcasecmp(st->api_version, "v1") == 0 || ends_with(cfg->api_base, "/openai/v1");
    if (st->v1)
        st->base_suffix = ends_with(cfg->api_base, "/openai/v1") ? "" :
                          ends_with(cfg->api_base, "/openai") ? "/v1" : "/openai/v1";
    else
        st->base_suffix = ends_with(cfg->api_base, "/openai") ? "" : "/openai";
    return 0;
}

static int azure_url(llmgw_http_request *out, const azure_state *st)
{
    LLMGW_TRY(llmgw_http_request_set_url(out, st->cfg->api_base));
    LLMGW_TRY(llmgw_http_request_append_url(out, st->base_suffix));
    if (st->v1) {
        LLMGW_TRY(llmgw_http_request_append_url(out, "/chat/completions"));
        if (strcasecmp(st->api_version, "preview") == 0 || strcasecmp(st->api_version, "latest") == 0)
            LLMGW_TRY(llmgw_http_request_append_query(out, "api-version", st->api_version));
        return 0;
    }
    LLMGW_TRY(llmgw_http_request_append_url(out, "/deployments/"));
    LLMGW_TRY(llmgw_http_request_append_path_segment(out, st->cfg->model));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/chat/completions"));
    return llmgw_http_request_append_query(out, "api-version", st->api_version);
}

static int azure_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const azure_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(azure_url(out, st));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    if (stream)
        LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", "text/event-stream"));
    if (st->cfg->api_key != NULL && *st->cfg->api_key != '\0')
        LLMGW_TRY(llmgw_http_request_add_header(out, "api-key", st->cfg->api_key));
    rc = llmgw__openai_dialect_body(&body, req, st->cfg->model, stream, st->v1 ? &azure_v1 : &azure_deployments);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

const llmgw_provider_vtable llmgw__provider_azure = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "azure",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = NULL,
    .env_api_key = "AZURE_OPENAI_API_KEY,AZURE_API_KEY,AZURE_OPENAI_KEY",
    .env_api_base = "AZURE_OPENAI_ENDPOINT,AZURE_API_BASE",
    .env_api_version = "OPENAI_API_VERSION,AZURE_API_VERSION",
    .state_size = sizeof(azure_state),
    .stream_state_size = 0,
    .init = azure_init,
    .build_request = azure_build_request,
    .parse_response = llmgw__openai_parse_response,
    .parse_stream_event = llmgw__openai_parse_stream_event,
    .classify_error = llmgw__openai_classify_error,
    .cleanup = NULL,
};
