/*
 * lib/core/alloc.h: every library allocation goes through these, so a test
 * can make the Nth one fail (docs/resilience.md §e.4).
 */
#ifndef LLMGW_CORE_ALLOC_H
#define LLMGW_CORE_ALLOC_H

#include <stddef.h>

void *llmgw__malloc(size_t size);
void *llmgw__calloc(size_t nmemb, size_t size);
void *llmgw__realloc(void *ptr, size_t size);
/* realloc for nmemb * size with an overflow check */
void *llmgw__reallocarray(void *ptr, size_t nmemb, size_t size);
void  llmgw__free(void *ptr);
char *llmgw__strdup(const char *s);
char *llmgw__strndup(const char *s, size_t n);
/* Overwrite with zeros (not optimized away), then free. */
void  llmgw__free_secret(char *s);
void  llmgw__zeroize(void *p, size_t n);

/*
 * Test seam: fail the nth allocation from now (1 = the next one); with
 * persistent, that one and every later one. nth 0 turns injection off.
 * Returns the number of allocations counted since the last call. Nothing
 * is counted before the first call (production code never makes one).
 */
enum { LLMGW__ALLOC_TRANSIENT = 0, LLMGW__ALLOC_PERSISTENT = 1 };
unsigned long llmgw__alloc_fail_at(unsigned long nth, int mode);
/* Allocations made since the counter was last reset (by llmgw__alloc_fail_at). */
unsigned long llmgw__alloc_count(void);
/*
 * Allocations made through these wrappers and not yet released through
 * llmgw__free(), counted from the first llmgw__alloc_fail_at() call: equal
 * before and after a scenario means it leaked nothing of its own.
 */
long llmgw__alloc_live(void);

#endif
