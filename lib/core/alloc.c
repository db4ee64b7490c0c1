/*
 * lib/core/alloc.c: allocation wrappers with a failure-injection seam.
 *
 * The injection state is process-wide and atomic: tests that use it run
 * one scenario at a time. Until a test first calls llmgw__alloc_fail_at()
 * nothing is counted, so outside tests each allocation costs one relaxed
 * atomic load of a flag that never changes (no shared counter is written).
 */
#include "common.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_bool  armed;         /* a test has used the seam: count from now on */
static atomic_ulong alloc_counter;
static atomic_ulong fail_nth;      /* 0 = off */
static atomic_int   fail_mode;
static atomic_long  live;          /* allocations not yet freed, counted while armed */

static bool is_armed(void)
{
    return atomic_load_explicit(&armed, memory_order_relaxed);
}

static bool should_fail(void)
{
    unsigned long nth, n;

    if (!is_armed())
        return false;
    nth = atomic_load_explicit(&fail_nth, memory_order_relaxed);
    n = atomic_fetch_add_explicit(&alloc_counter, 1, memory_order_relaxed) + 1;
    if (nth == 0)
        return false;
    if (n == nth)
        return true;
    return n > nth && atomic_load_explicit(&fail_mode, memory_order_relaxed) == LLMGW__ALLOC_PERSISTENT;
}

static void *counted(void *p)
{
    if (p != NULL && is_armed())
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

unsigned long llmgw__alloc_fail_at(unsigned long nth, int mode)
{
    unsigned long prev = atomic_exchange(&alloc_counter, 0);

    atomic_store(&fail_mode, mode);
    atomic_store(&fail_nth, nth);
    atomic_store(&armed, true);
    return prev;
}

unsigned long llmgw__alloc_count(void)
{
    return atomic_load(&alloc_counter);
}

long llmgw__alloc_live(void)
{
    return atomic_load(&live);
}

void *llmgw__malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return counted(malloc(size ? size : 1));
}

void *llmgw__calloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return NULL;
    if (nmemb == 0 || size == 0)
        return counted(calloc(1, 1));
    return counted(calloc(nmemb, size));
}

void *llmgw__realloc(void *ptr, size_t size)
{
    void *p;

    if (should_fail())
        return NULL;
    p = realloc(ptr, size ? size : 1);
    return ptr == NULL ? counted(p) : p;
}

void *llmgw__reallocarray(void *ptr, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size)
        return NULL;
    return llmgw__realloc(ptr, nmemb * size);
}

void llmgw__free(void *ptr)
{
    if (ptr != NULL && is_armed())
        atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(ptr);
}

char *llmgw__strndup(const char *s, size_t n)
{
    char *p;

    if (s == NULL)
        return NULL;
    p = llmgw__malloc(n + 1);
    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *llmgw__strdup(const char *s)
{
    return s ? llmgw__strndup(s, strlen(s)) : NULL;
}

void llmgw__zeroize(void *p, size_t n)
{
    explicit_bzero(p, n);       /* glibc 2.25+: not optimized away, and fast */
}

void llmgw__free_secret(char *s)
{
    if (s == NULL)
        return;
    llmgw__zeroize(s, strlen(s));
    llmgw__free(s);
}
