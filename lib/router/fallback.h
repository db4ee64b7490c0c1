/*
 * lib/router/fallback.h: group aliases and fallback chains, stored on the
 * gateway (under its lock).
 */
#ifndef LLMGW_ROUTER_FALLBACK_H
#define LLMGW_ROUTER_FALLBACK_H

#include "../core/common.h"

typedef struct llmgw__fallback {
    int   kind;        /* LLMGW_FALLBACK_* */
    char *from;
    char *to;
} llmgw__fallback;

typedef struct llmgw__alias {
    char *alias;
    char *group;
} llmgw__alias;

typedef struct llmgw__routes {
    llmgw__fallback *fallbacks;
    size_t           nfallbacks, fallbacks_cap;
    llmgw__alias    *aliases;
    size_t           naliases, aliases_cap;
} llmgw__routes;

void llmgw__routes_dispose(llmgw__routes *r);
/* The group an alias names, or name itself. Caller holds the gateway lock. */
const char *llmgw__routes_alias(const llmgw__routes *r, const char *name);
/*
 * The n-th fallback target of `from` of one kind (n from 0), or NULL.
 * Caller holds the gateway lock.
 */
const char *llmgw__routes_fallback(const llmgw__routes *r, int kind, const char *from, size_t n);

#endif
