/*
 * lib/providers/ollama.c: placeholder until the ollama translation lands
 * (see the providers issues). Registered so configs naming it fail with a
 * clear "unsupported" error instead of "unknown provider".
 */
#include "../core/common.h"
#include "../core/errors.h"

static int ollama_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(req);
    LLMGW_UNUSED(stream);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "the ollama provider is not implemented yet");
}

static int ollama_parse_response(llmgw_reply *out, void *state, const llmgw_http_response *in)
{
    LLMGW_UNUSED(out);
    LLMGW_UNUSED(state);
    LLMGW_UNUSED(in);
    return LLMGW_EUNSUPPORTED;
}

const llmgw_provider_vtable llmgw__provider_ollama = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "ollama",
    .capabilities = 0,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "http://localhost:11434",
    .env_api_key = NULL,
    .env_api_base = "OLLAMA_HOST",
    .build_request = ollama_build_request,
    .parse_response = ollama_parse_response,
};
