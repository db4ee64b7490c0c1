/*
 * lib/accounting/record.h: the usage record of one logical request, with
 * the storage its strings and attempt trail live in.
 */
#ifndef LLMGW_ACCOUNTING_RECORD_H
#define LLMGW_ACCOUNTING_RECORD_H

#include "../core/common.h"
#include "../core/arena.h"
#include "../core/json.h"

#define LLMGW__RECORD_INLINE_ATTEMPTS 4

/* Lives in place (its strings point into its own inline storage): never copy it. */
typedef struct llmgw__record {
    llmgw_usage    u;
    llmgw__arena   arena;
    llmgw_attempt *trail;
    size_t         trail_cap;
    llmgw_attempt  inline_trail[LLMGW__RECORD_INLINE_ATTEMPTS];
    max_align_t    inline_mem[48];
} llmgw__record;

void llmgw__record_init(llmgw__record *rec);
void llmgw__record_dispose(llmgw__record *rec);
/* Copy s into the record's storage and point *field at it. */
int  llmgw__record_str(llmgw__record *rec, const char **field, const char *s);
/* Copy the caller's metadata (a cJSON object of strings, or NULL) into the record as JSON text. */
int  llmgw__record_metadata(llmgw__record *rec, const cJSON *metadata);
/* Append an attempt (strings copied). Returns it through out (may be NULL). */
int  llmgw__record_add_attempt(llmgw__record *rec, const llmgw_attempt *a, llmgw_attempt **out);
/* Sum the tokens of the attempts (reported or estimated) into the totals; usage_known only when none is estimated. */
void llmgw__record_sum_tokens(llmgw__record *rec);
/* One attempt of a trail as a cJSON object (NULL when out of memory). */
cJSON *llmgw__attempt_json(const llmgw_attempt *a);
/* The record as a cJSON object (docs/conventions.md §9 keys). */
int  llmgw__usage_json(cJSON **out, const llmgw_usage *u);

#endif
