/*
 * lib/providers/registry.h: the built-in providers.
 */
#ifndef LLMGW_PROVIDERS_REGISTRY_H
#define LLMGW_PROVIDERS_REGISTRY_H

#include "../core/common.h"

/* The OpenAI-compatible family (compat.c): a table of small entries. */
extern const llmgw_provider_vtable *const llmgw__compat_providers[];
extern const size_t llmgw__compat_provider_count;

/* A built-in provider by id or alias ("together_ai" -> together); NULL when unknown. */
const llmgw_provider_vtable *llmgw__builtin_provider(const char *name);
/* The n-th built-in (for listings); NULL past the end. */
const llmgw_provider_vtable *llmgw__builtin_provider_at(size_t n);

#endif
