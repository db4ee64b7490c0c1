/*
 * lib/router/select.c: priority order, then weighted shuffle.
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "select.h"

#include <limits.h>

static int rank(const llmgw__deployment *d)
{
    return d->order > 0 ? d->order : INT_MAX;
}

/* A weight that is not positive counts as 1, as a configured 0 does (deployment.c). */
static uint64_t weight(const llmgw__deployment *d)
{
    return d->weight > 0 ? (uint64_t)d->weight : 1;
}

long llmgw__select(const llmgw__candidates *c, const bool *excluded, uint64_t *rng)
{
    int best = INT_MAX;
    uint64_t total = 0, pick;
    size_t i;
    bool any = false;

    for (i = 0; i < c->n; i++) {
        if (excluded[i])
            continue;
        if (!any || rank(c->deps[i]) < best)
            best = rank(c->deps[i]);
        any = true;
    }
    if (!any)
        return -1;
    for (i = 0; i < c->n; i++)
        if (!excluded[i] && rank(c->deps[i]) == best)
            total += weight(c->deps[i]);
    pick = llmgw__rand_below(rng, total);
    for (i = 0; i < c->n; i++) {
        if (excluded[i] || rank(c->deps[i]) != best)
            continue;
        if (pick < weight(c->deps[i]))
            return (long)i;
        pick -= weight(c->deps[i]);
    }
    return -1;
}
