/*
 * lib/router/fallback.c: aliases and fallback chains.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/request.h"
#include "fallback.h"

#define BAD(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)

void llmgw__routes_dispose(llmgw__routes *r)
{
    size_t i;

    for (i = 0; i < r->nfallbacks; i++) {
        llmgw__free(r->fallbacks[i].from);
        llmgw__free(r->fallbacks[i].to);
    }
    llmgw__free(r->fallbacks);
    for (i = 0; i < r->naliases; i++) {
        llmgw__free(r->aliases[i].alias);
        llmgw__free(r->aliases[i].group);
    }
    llmgw__free(r->aliases);
    memset(r, 0, sizeof(*r));
}

const char *llmgw__routes_alias(const llmgw__routes *r, const char *name)
{
    size_t i;

    for (i = 0; i < r->naliases; i++)
        if (strcmp(r->aliases[i].alias, name) == 0)
            return r->aliases[i].group;
    return name;
}

const char *llmgw__routes_fallback(const llmgw__routes *r, int kind, const char *from, size_t n)
{
    size_t i;

    for (i = 0; i < r->nfallbacks; i++) {
        if (r->fallbacks[i].kind == kind && strcmp(r->fallbacks[i].from, from) == 0) {
            if (n == 0)
                return r->fallbacks[i].to;
            n--;
        }
    }
    return NULL;
}

static int check_group_name(const char *what, const char *s)
{
    if (s == NULL || *s == '\0' || strlen(s) > 256 || llmgw__has_ctl(s))
        return BAD("%s must be a non-empty group name without control characters", what);
    return 0;
}

int llmgw_gateway_add_fallback(llmgw_gateway *gw, int kind, const char *from, const char *to)
{
    llmgw__routes *r;
    llmgw__fallback f;
    size_t i;
    int rc = 0;

    LLMGW_CHECK_ARG(gw);
    LLMGW_TRY(check_group_name("fallback source", from));
    LLMGW_TRY(check_group_name("fallback target", to));
    if (kind < LLMGW_FALLBACK_DEFAULT || kind > LLMGW_FALLBACK_CONTENT_POLICY)
        return BAD("unknown fallback kind %d", kind);
    if (strcmp(from, to) == 0)
        return BAD("group '%s' cannot fall back to itself", from);
    f.kind = kind;
    f.from = llmgw__strdup(from);
    f.to = llmgw__strdup(to);
    if (f.from == NULL || f.to == NULL) {
        llmgw__free(f.from);
        llmgw__free(f.to);
        return llmgw__error_oom();
    }
    pthread_rwlock_wrlock(&gw->lock);
    r = &gw->routes;
    for (i = 0; i < r->nfallbacks; i++) {
        if (r->fallbacks[i].kind == kind && strcmp(r->fallbacks[i].from, from) == 0 &&
            strcmp(r->fallbacks[i].to, to) == 0) {
            rc = 1;     /* already there */
            break;
        }
    }
    if (rc == 0 && r->nfallbacks == r->fallbacks_cap) {
        size_t cap = r->fallbacks_cap ? r->fallbacks_cap * 2 : 8;
        llmgw__fallback *nf = llmgw__reallocarray(r->fallbacks, cap, sizeof(*nf));
        if (nf == NULL) {
            rc = llmgw__error_oom();
        } else {
            r->fallbacks = nf;
            r->fallbacks_cap = cap;
        }
    }
    if (rc == 0)
        r->fallbacks[r->nfallbacks++] = f;
    pthread_rwlock_unlock(&gw->lock);
    if (rc != 0) {
        llmgw__free(f.from);
        llmgw__free(f.to);
    }
    return rc < 0 ? rc : 0;
}

int llmgw_gateway_add_alias(llmgw_gateway *gw, const char *alias, const char *group)
{
    llmgw__routes *r;
    llmgw__alias a;
    size_t i;
    int rc = 0;

    LLMGW_CHECK_ARG(gw);
    LLMGW_TRY(check_group_name("alias", alias));
    LLMGW_TRY(check_group_name("alias target", group));
    if (strcmp(alias, group) == 0)
        return BAD("alias '%s' names itself", alias);
    a.alias = llmgw__strdup(alias);
    a.group = llmgw__strdup(group);
    if (a.alias == NULL || a.group == NULL) {
        llmgw__free(a.alias);
        llmgw__free(a.group);
        return llmgw__error_oom();
    }
    pthread_rwlock_wrlock(&gw->lock);
    r = &gw->routes;
    for (i = 0; i < r->naliases; i++)
        if (strcmp(r->aliases[i].alias, alias) == 0)
            rc = BAD("alias '%s' is already defined", alias);
    /* no chains: an alias may not point at another alias, nor be pointed at */
    for (i = 0; rc == 0 && i < r->naliases; i++)
        if (strcmp(r->aliases[i].alias, group) == 0 || strcmp(r->aliases[i].group, alias) == 0)
            rc = BAD("alias '%s' -> '%s' would chain aliases", alias, group);
    if (rc == 0 && r->naliases == r->aliases_cap) {
        size_t cap = r->aliases_cap ? r->aliases_cap * 2 : 8;
        llmgw__alias *na = llmgw__reallocarray(r->aliases, cap, sizeof(*na));
        if (na == NULL) {
            rc = llmgw__error_oom();
        } else {
            r->aliases = na;
            r->aliases_cap = cap;
        }
    }
    if (rc == 0)
        r->aliases[r->naliases++] = a;
    pthread_rwlock_unlock(&gw->lock);
    if (rc != 0) {
        llmgw__free(a.alias);
        llmgw__free(a.group);
    }
    return rc;
}

int llmgw_gateway_set_retry_policy(llmgw_gateway *gw, int error_class, int retries)
{
    LLMGW_CHECK_ARG(gw);
    if (error_class <= LLMGW_ERRCLASS_NONE || error_class >= LLMGW_ERRCLASS__COUNT)
        return BAD("unknown error class %d", error_class);
    if (retries < -1 || retries > 10)
        return BAD("retries must be in [-1, 10]");
    atomic_store(&gw->retry_policy[error_class], retries);
    return 0;
}
