/*
 * lib/providers/registry.c: the table of built-in providers.
 */
#include "../core/common.h"
#include "registry.h"

extern const llmgw_provider_vtable llmgw__provider_openai;
extern const llmgw_provider_vtable llmgw__provider_mock;

static const llmgw_provider_vtable *const builtins[] = {
    &llmgw__provider_openai,
    &llmgw__provider_mock,
};

/* LiteLLM's spellings, accepted so configs migrate unchanged. */
static const struct { const char *alias, *name; } aliases[] = {
    { "openai_compatible", "openai" },
    { "custom_openai", "openai" },
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
    return NULL;
}

const llmgw_provider_vtable *llmgw__builtin_provider_at(size_t n)
{
    return n < LLMGW_ARRAY_SIZE(builtins) ? builtins[n] : NULL;
}
