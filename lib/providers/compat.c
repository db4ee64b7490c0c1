/*
 * lib/providers/compat.c: the OpenAI-compatible family (docs/providers.md
 * §8). Each provider is one table entry: id, default base URL (the vendor
 * SDK's convention, version path included), key variable, capabilities and
 * the quirks its upstream needs; requests, replies and errors are OpenAI's
 * (openai.c, openai_parse.c). Requests go to {api_base}/chat/completions
 * with `Authorization: Bearer <key>` when a key is configured.
 *
 * Every entry sends role "developer" as "system": it is OpenAI's new name
 * for the system role, and not every compatible server knows it (Mistral's
 * SDK lists system, user, assistant and tool only). Members an upstream
 * cannot express are LLMGW_EUNSUPPORTED naming them, or dropped with
 * drop_params. Per entry:
 *  - groq: 400 on logprobs, logit_bias, top_logprobs, messages[].name
 *    (console.groq.com/docs/openai, "Currently Unsupported OpenAI Features").
 *  - mistral: answers 422 extra_forbidden to members it does not know
 *    (stream_options: avante.nvim#2347; max_completion_tokens:
 *    editor-code-assistant/eca#231; messages[].name: mistral-go#2), so
 *    stream_options is never sent (usage arrives in the final chunk anyway,
 *    mistralai/client-python#40), max_completion_tokens is sent as max_tokens,
 *    seed as random_seed, messages[].name is refused, and so are the members
 *    absent from its SDK's ChatCompletionRequest. finish model_length ->
 *    length; finish error -> a server_error attempt (openai_parse.c).
 *  - deepseek: base without /v1 (documented); reasoning_content and
 *    prompt_cache_hit_tokens are read by the shared parser; text only.
 *  - together: finish eos -> stop, error body {"message","type_"} (parser).
 *  - openrouter: errors inside 200 bodies and streams with an integer
 *    error.code, ": OPENROUTER PROCESSING" comments, native_finish_reason
 *    kept raw (parser and SSE framing).
 *  - fireworks: usage comes in the last chunk without opt-in, so no
 *    stream_options; context_length_exceeded_behavior "error" is sent unless
 *    the caller set it, because Fireworks otherwise lowers max_tokens silently
 *    ("truncate" is its default; docs.fireworks.ai/tools-sdks/openai-compatibility).
 *  - xai: an invalid key is a 400 "Incorrect API key provided": classified
 *    auth from the body (parser).
 *  - vllm, llamacpp, lmstudio: local servers, no key required (one may be
 *    configured); vLLM's integer codes and flat {"object":"error"} bodies,
 *    {"error":"Unauthorized"}, llama.cpp's exceed_context_size_error (parser).
 */
#include "../core/common.h"
#include "openai.h"
#include "registry.h"

typedef struct compat_state {
    const llmgw_provider_config *cfg;
    const llmgw__openai_dialect *dialect;
} compat_state;

static int compat_init(void *state, const llmgw_provider_config *cfg, const llmgw__openai_dialect *d)
{
    compat_state *st = state;

    LLMGW_TRY(llmgw__openai_check_config(d->name, cfg));
    st->cfg = cfg;
    st->dialect = d;
    return 0;
}

static int compat_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const compat_state *st = state;

    return llmgw__openai_build(out, st->cfg, req, stream, st->dialect);
}

static const char *const groq_refused[] = { "logprobs", "logit_bias", "top_logprobs", NULL };
static const char *const mistral_refused[] = {
    "logprobs", "top_logprobs", "logit_bias", "user", "service_tier", "store", "metadata",
    "modalities", "audio", "web_search_options", "reasoning_effort", NULL };

#define ALL_CAPS (LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE)
#define DEV LLMGW__OAI_DEVELOPER_AS_SYSTEM

/* One entry: its dialect, an init that binds it, and the vtable. */
#define COMPAT(ID, BASE, KEYS, CAPS, FLAGS, REFUSED)                                          \
    static const llmgw__openai_dialect ID##_dialect = { #ID, (FLAGS), (REFUSED) };            \
    static int ID##_init(void *state, const llmgw_provider_config *cfg)                       \
    {                                                                                         \
        return compat_init(state, cfg, &ID##_dialect);                                        \
    }                                                                                         \
    static const llmgw_provider_vtable ID##_provider = {                                      \
        .version = LLMGW_PROVIDER_VTABLE_VERSION,                                             \
        .name = #ID,                                                                          \
        .capabilities = (CAPS),                                                               \
        .stream_framing = LLMGW_FRAMING_SSE,                                                  \
        .default_api_base = (BASE),                                                           \
        .env_api_key = (KEYS),                                                                \
        .env_api_base = NULL,                                                                 \
        .env_api_version = NULL,                                                              \
        .state_size = sizeof(compat_state),                                                   \
        .stream_state_size = 0,                                                               \
        .init = ID##_init,                                                                    \
        .build_request = compat_build_request,                                                \
        .parse_response = llmgw__openai_parse_response,                                       \
        .parse_stream_event = llmgw__openai_parse_stream_event,                               \
        .classify_error = llmgw__openai_classify_error,                                       \
        .cleanup = NULL,                                                                      \
    };

COMPAT(groq, "https://api.groq.com/openai/v1", "GROQ_API_KEY", ALL_CAPS,
       DEV | LLMGW__OAI_NO_MESSAGE_NAME, groq_refused)
COMPAT(mistral, "https://api.mistral.ai/v1", "MISTRAL_API_KEY", ALL_CAPS,
       DEV | LLMGW__OAI_NO_STREAM_OPTIONS | LLMGW__OAI_RANDOM_SEED | LLMGW__OAI_MAX_TOKENS_ONLY |
       LLMGW__OAI_NO_MESSAGE_NAME, mistral_refused)
COMPAT(deepseek, "https://api.deepseek.com", "DEEPSEEK_API_KEY",
       LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_JSON_MODE, DEV | LLMGW__OAI_TEXT_ONLY, NULL)
COMPAT(together, "https://api.together.ai/v1", "TOGETHER_API_KEY", ALL_CAPS, DEV, NULL)
COMPAT(openrouter, "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", ALL_CAPS, DEV, NULL)
COMPAT(fireworks, "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", ALL_CAPS,
       DEV | LLMGW__OAI_NO_STREAM_OPTIONS | LLMGW__OAI_CONTEXT_ERROR, NULL)
COMPAT(xai, "https://api.x.ai/v1", "XAI_API_KEY", ALL_CAPS, DEV, NULL)
COMPAT(vllm, "http://localhost:8000/v1", NULL, ALL_CAPS, DEV, NULL)
COMPAT(llamacpp, "http://127.0.0.1:8080/v1", NULL, ALL_CAPS, DEV, NULL)
COMPAT(lmstudio, "http://localhost:1234/v1", NULL, ALL_CAPS, DEV, NULL)

const llmgw_provider_vtable *const llmgw__compat_providers[] = {
    &groq_provider, &mistral_provider, &deepseek_provider, &together_provider, &openrouter_provider,
    &fireworks_provider, &xai_provider, &vllm_provider, &llamacpp_provider, &lmstudio_provider,
};
const size_t llmgw__compat_provider_count = LLMGW_ARRAY_SIZE(llmgw__compat_providers);
