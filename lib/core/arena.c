/*
 * lib/core/arena.c: bump allocation in chunks.
 */
#include "common.h"
#include "arena.h"
#include "errors.h"

#define CHUNK_MIN 1024

struct llmgw__arena_chunk {
    llmgw__arena_chunk *next;
    size_t              used, size;
    max_align_t         data[];
};

void llmgw__arena_init(llmgw__arena *a, void *mem, size_t size)
{
    a->head = NULL;
    a->inline_mem = mem;
    a->inline_used = 0;
    a->inline_size = size;
}

void *llmgw__arena_alloc(llmgw__arena *a, size_t size)
{
    llmgw__arena_chunk *c = a->head;
    size_t need = (size + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
    void *p;

    if (need < size)
        return NULL;
    if (c == NULL && a->inline_mem != NULL && a->inline_size - a->inline_used >= need) {
        p = a->inline_mem + a->inline_used;
        a->inline_used += need;
        return p;
    }
    if (c == NULL || c->size - c->used < need) {
        size_t cap = need > CHUNK_MIN ? need : CHUNK_MIN;
        if (cap > SIZE_MAX - sizeof(*c))
            return NULL;
        c = llmgw__malloc(sizeof(*c) + cap);
        if (c == NULL)
            return NULL;
        c->next = a->head;
        c->used = 0;
        c->size = cap;
        a->head = c;
    }
    p = (char *)c->data + c->used;
    c->used += need;
    return p;
}

int llmgw__arena_dup(llmgw__arena *a, const char **out, const char *s)
{
    size_t n;
    char *p;

    if (s == NULL) {
        *out = NULL;
        return 0;
    }
    n = strlen(s) + 1;
    p = llmgw__arena_alloc(a, n);
    if (p == NULL)
        return llmgw__error_oom();
    memcpy(p, s, n);
    *out = p;
    return 0;
}

void llmgw__arena_dispose(llmgw__arena *a)
{
    llmgw__arena_chunk *c = a->head, *next;

    for (; c != NULL; c = next) {
        next = c->next;
        llmgw__free(c);
    }
    a->head = NULL;
    a->inline_used = 0;
}
