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
            total += (uint64_t)c->deps[i]->weight;
    pick = llmgw__rand_below(rng, total);
    for (i = 0; i < c->n; i++) {
        if (excluded[i] || rank(c->deps[i]) != best)
            continue;
        if (pick < (uint64_t)c->deps[i]->weight)
            return (long)i;
        pick -= (uint64_t)c->deps[i]->weight;
    }
    return -1;
}
