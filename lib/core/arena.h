/*
 * lib/core/arena.h: a bump allocator for the strings of one record or
 * response, freed all at once.
 */
#ifndef LLMGW_CORE_ARENA_H
#define LLMGW_CORE_ARENA_H

#include "common.h"

typedef struct llmgw__arena_chunk llmgw__arena_chunk;

typedef struct llmgw__arena {
    llmgw__arena_chunk *head;
    char               *inline_mem;    /* caller-owned first block, or NULL */
    size_t              inline_used, inline_size;
} llmgw__arena;

#define LLMGW__ARENA_INIT { NULL, NULL, 0, 0 }

/* Start with a caller-owned block (it must not move while the arena lives). */
void  llmgw__arena_init(llmgw__arena *a, void *mem, size_t size);

void *llmgw__arena_alloc(llmgw__arena *a, size_t size);
/* *out = a copy of s (NULL when s is NULL). 0 or LLMGW_ENOMEM. */
int   llmgw__arena_dup(llmgw__arena *a, const char **out, const char *s);
void  llmgw__arena_dispose(llmgw__arena *a);

#endif
