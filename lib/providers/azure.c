/*
 * lib/providers/azure.c: placeholder until the azure translation lands
 * (see the providers issues). Registered so configs naming it fail with a
 * clear "unsupported" error instead of "unknown provider".
 */
#include "../core/common.h"
#include "../core/errors.h"

static int azure_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(req);
    LLMGW_UNUSED(stream);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "the azure provider is not implemented yet");
}

static int azure_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(in);
    return LLMGW_EUNSUPPORTED;
}

const llmgw_provider_vtable llmgw__provider_azure = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "azure",
    .capabilities = 0,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = NULL,
    .env_api_key = "AZURE_OPENAI_API_KEY,AZURE_API_KEY,AZURE_OPENAI_KEY",
    .env_api_base = "AZURE_OPENAI_ENDPOINT,AZURE_API_BASE",
    .build_request = azure_build_request,
    .parse_response = azure_parse_response,
};
