/*
 * lib/providers/compat.c: the OpenAI-compatible family (groq, mistral,
 * deepseek, together, openrouter, fireworks, xai, vllm, llamacpp, lmstudio).
 * Placeholder: the table of entries lands with the providers issue.
 */
#include "../core/common.h"
#include "registry.h"

const llmgw_provider_vtable *const llmgw__compat_providers[] = { NULL };
const size_t llmgw__compat_provider_count = 0;
