/*
 * lib/providers/anthropic.c: placeholder until the anthropic translation lands
 * (see the providers issues). Registered so configs naming it fail with a
 * clear "unsupported" error instead of "unknown provider".
 */
#include "../core/common.h"
#include "../core/errors.h"

static int anthropic_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(req);
    LLMGW_UNUSED(stream);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "the anthropic provider is not implemented yet");
}

static int anthropic_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(in);
    return LLMGW_EUNSUPPORTED;
}

const llmgw_provider_vtable llmgw__provider_anthropic = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "anthropic",
    .capabilities = 0,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://api.anthropic.com",
    .env_api_key = "ANTHROPIC_API_KEY",
    .env_api_base = "ANTHROPIC_BASE_URL",
    .build_request = anthropic_build_request,
    .parse_response = anthropic_parse_response,
};
