/*
 * lib/providers/registry.c: the table of built-in providers.
 */
#include "../core/common.h"
#include "registry.h"

extern const llmgw_provider_vtable llmgw__provider_openai;
extern const llmgw_provider_vtable llmgw__provider_anthropic;
extern const llmgw_provider_vtable llmgw__provider_gemini;
extern const llmgw_provider_vtable llmgw__provider_azure;
extern const llmgw_provider_vtable llmgw__provider_bedrock;
extern const llmgw_provider_vtable llmgw__provider_cohere;
extern const llmgw_provider_vtable llmgw__provider_ollama;
extern const llmgw_provider_vtable llmgw__provider_mock;

static const llmgw_provider_vtable *const builtins[] = {
    &llmgw__provider_openai,
    &llmgw__provider_anthropic,
    &llmgw__provider_gemini,
    &llmgw__provider_azure,
    &llmgw__provider_bedrock,
    &llmgw__provider_cohere,
    &llmgw__provider_ollama,
    &llmgw__provider_mock,
};

/* LiteLLM's spellings, accepted so configs migrate unchanged. */
static const struct { const char *alias, *name; } aliases[] = {
    { "openai_compatible", "openai" },
    { "custom_openai", "openai" },
    { "together_ai", "together" },
    { "fireworks_ai", "fireworks" },
    { "vertex_ai_beta", "gemini" },
    { "azure_openai", "azure" },
    { "llama.cpp", "llamacpp" },
    { "llama_cpp", "llamacpp" },
    { "lm_studio", "lmstudio" },
    { "hosted_vllm", "vllm" },
};

const llmgw_provider_vtable *llmgw__builtin_provider(const char *name)
{
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; i < LLMGW_ARRAY_SIZE(aliases); i++)
        if (strcmp(aliases[i].alias, name) == 0)
            name = aliases[i].name;
    for (i = 0; i < LLMGW_ARRAY_SIZE(builtins); i++)
        if (strcmp(builtins[i]->name, name) == 0)
            return builtins[i];
    for (i = 0; i < llmgw__compat_provider_count; i++)
        if (strcmp(llmgw__compat_providers[i]->name, name) == 0)
            return llmgw__compat_providers[i];
    return NULL;
}

const llmgw_provider_vtable *llmgw__builtin_provider_at(size_t n)
{
    if (n < LLMGW_ARRAY_SIZE(builtins))
        return builtins[n];
    n -= LLMGW_ARRAY_SIZE(builtins);
    return n < llmgw__compat_provider_count ? llmgw__compat_providers[n] : NULL;
}
