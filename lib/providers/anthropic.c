/*
 * lib/providers/anthropic.c: Anthropic Messages (docs/providers.md §3): the
 * vtable, the HTTP request, and error classification. The body is built in
 * anthropic_request.c and anthropic_messages.c, answers are read in
 * anthropic_response.c.
 *
 * POST {api_base}/v1/messages, api_base as the Anthropic SDKs take it
 * (https://api.anthropic.com, or ANTHROPIC_BASE_URL), key from ANTHROPIC_API_KEY.
 * Headers: x-api-key, anthropic-version (2023-06-01 unless the deployment's
 * api_version says otherwise), content-type: application/json, and anthropic-beta
 * when the deployment's params carry "anthropic_beta" (a string).
 *
 * Errors: {"type":"error","error":{"type","message","details"?},"request_id"?}.
 *   invalid_request_error   bad_request; "prompt is too long" / "exceed context limit" ->
 *                           context_length_exceeded; "credit balance is too low" / "API usage
 *                           limits" (spend limits) -> quota_exceeded; "content filtering
 *                           policy" -> content_policy
 *   authentication_error, permission_error  auth          not_found_error  not_found
 *   rate_limit_error        rate_limit (retry-after from the headers); with
 *                           error.details.error_code "enforced_spend_limit_reached" ->
 *                           quota_exceeded (no retry until the billing period resets)
 *   billing_error           quota_exceeded                request_too_large  bad_request
 *   api_error, overloaded_error (529)  server_error       timeout_error      timeout
 * The same classes apply to an `event: error` inside a 200 stream. Sources: the SDK's ErrorType
 * and status mapping, providers.md §3 and §0.8; the spend-limit details from Microsoft's Dev
 * Proxy page on Anthropic 529s; message texts observed in anthropics/claude-code issues #1047
 * (workspace usage limits), #4684 (credit balance) and #43487 (content filtering policy).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "anthropic.h"

#include <stdio.h>
#include <strings.h>

typedef struct anthropic_state {
    const llmgw_provider_config *cfg;
    const char                  *version;
    const char                  *beta;      /* anthropic-beta, or NULL */
} anthropic_state;

static int anthropic_init(void *state, const llmgw_provider_config *cfg)
{
    anthropic_state *st = state;
    const llmgw_json *beta = cfg->params ? llmgw_json_get(cfg->params, "anthropic_beta") : NULL;

    if (cfg->api_base == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "anthropic: no api_base");
    if (beta != NULL && llmgw_json_string(beta) == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "anthropic: params.anthropic_beta must be a string");
    st->cfg = cfg;
    st->version = cfg->api_version ? cfg->api_version : LLMGW__ANTHROPIC_VERSION;
    st->beta = beta ? llmgw_json_string(beta) : NULL;
    return 0;
}

static int anthropic_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const anthropic_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, st->cfg->api_base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/v1/messages"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "content-type", "application/json"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "anthropic-version", st->version));
    if (st->beta != NULL)
        LLMGW_TRY(llmgw_http_request_add_header(out, "anthropic-beta", st->beta));
    if (stream)
        LLMGW_TRY(llmgw_http_request_add_header(out, "accept", "text/event-stream"));
    if (st->cfg->api_key != NULL)
        LLMGW_TRY(llmgw_http_request_add_header(out, "x-api-key", st->cfg->api_key));
    rc = llmgw__anthropic_body(&body, req, st->cfg->model, stream);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay != NULL && *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* error.type -> class and the HTTP status it stands for. */
static const struct { const char *type; int error_class, http; } error_types[] = {
    { "invalid_request_error", LLMGW_ERRCLASS_BAD_REQUEST, 400 },
    { "authentication_error", LLMGW_ERRCLASS_AUTH, 401 },
    { "billing_error", LLMGW_ERRCLASS_QUOTA_EXCEEDED, 402 },
    { "permission_error", LLMGW_ERRCLASS_AUTH, 403 },
    { "not_found_error", LLMGW_ERRCLASS_NOT_FOUND, 404 },
    { "request_too_large", LLMGW_ERRCLASS_BAD_REQUEST, 413 },
    { "rate_limit_error", LLMGW_ERRCLASS_RATE_LIMIT, 429 },
    { "api_error", LLMGW_ERRCLASS_SERVER_ERROR, 500 },
    { "timeout_error", LLMGW_ERRCLASS_TIMEOUT, 504 },
    { "overloaded_error", LLMGW_ERRCLASS_SERVER_ERROR, 529 },
};

int llmgw__anthropic_error_object(llmgw_error_info *out, const cJSON *err)
{
    const char *type = llmgw__json_str(err, "type"), *msg = llmgw__json_str(err, "message");
    const char *code = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(err, "details"), "error_code");
    int http = 0;
    size_t i;

    if (msg != NULL || type != NULL)
        snprintf(out->message, sizeof(out->message), "%s%s%s", type ? type : "", type && msg ? ": " : "",
                 msg ? msg : "");
    for (i = 0; type != NULL && i < LLMGW_ARRAY_SIZE(error_types); i++) {
        if (strcmp(type, error_types[i].type) == 0) {
            out->error_class = error_types[i].error_class;
            http = error_types[i].http;
            break;
        }
    }
    if (code != NULL && strcmp(code, "enforced_spend_limit_reached") == 0)
        out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    else if (type != NULL && strcmp(type, "invalid_request_error") != 0)
        return http;
    else if (contains_ci(msg, "prompt is too long") || contains_ci(msg, "exceed context limit"))
        out->error_class = LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED;
    else if (contains_ci(msg, "credit balance is too low") || contains_ci(msg, "API usage limits"))
        out->error_class = LLMGW_ERRCLASS_QUOTA_EXCEEDED;
    else if (contains_ci(msg, "content filtering policy"))
        out->error_class = LLMGW_ERRCLASS_CONTENT_POLICY;
    return http;
}

static int anthropic_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in)
{
    size_t len;
    const char *body = llmgw_http_response_body(in, &len);
    const cJSON *err;
    cJSON *root;

    LLMGW_UNUSED(state);
    if (len == 0 || (root = cJSON_ParseWithLength(body, len)) == NULL)
        return 0;       /* not JSON (a proxy's 413 page ...): the status decides */
    err = cJSON_GetObjectItemCaseSensitive(root, "error");
    if (cJSON_IsObject(err)) {
        int by_status = out->error_class;
        const char *type = llmgw__json_str(err, "type");

        llmgw__anthropic_error_object(out, err);
        /* the catch-all type on a status with a class of its own (408, 425, ...): the status decides */
        if (type != NULL && strcmp(type, "invalid_request_error") == 0 && out->error_class == LLMGW_ERRCLASS_BAD_REQUEST &&
            by_status > 0 && llmgw_http_response_status(in) != 400)
            out->error_class = by_status;
    }
    else if (llmgw__json_str(root, "message") != NULL)
        snprintf(out->message, sizeof(out->message), "%s", llmgw__json_str(root, "message"));
    cJSON_Delete(root);
    return 0;
}

const llmgw_provider_vtable llmgw__provider_anthropic = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "anthropic",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://api.anthropic.com",
    .env_api_key = "ANTHROPIC_API_KEY",
    .env_api_base = "ANTHROPIC_BASE_URL",
    .env_api_version = NULL,
    .state_size = sizeof(anthropic_state),
    .stream_state_size = sizeof(llmgw__anthropic_stream),
    .init = anthropic_init,
    .build_request = anthropic_build_request,
    .parse_response = llmgw__anthropic_parse_response,
    .parse_stream_event = llmgw__anthropic_parse_stream_event,
    .classify_error = anthropic_classify_error,
    .cleanup = NULL,
};
