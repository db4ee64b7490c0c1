/*
 * lib/router/strategy.c: priority order, then simple-shuffle (weighted),
 * least-busy, latency-based (EWMA per output token with a 10 % buffer),
 * usage-based (rpm/tpm headroom) or cost-based (cheapest known price).
 */
#include "../core/common.h"
#include "../core/clock.h"
#include "strategy.h"

#include <limits.h>
#include <math.h>

#define LATENCY_BUFFER 0.10

#define rank llmgw__pick_rank

/* Weight for simple-shuffle: explicit weight, else rpm, else tpm, else 1 (LiteLLM's rule). */
static uint64_t shuffle_weight(const llmgw__deployment *d, int basis)
{
    switch (basis) {
    case 1:  return d->weight_set > 0 ? (uint64_t)d->weight_set : 1;
    case 2:  return d->rpm > 0 ? (uint64_t)d->rpm : 1;
    case 3:  return d->tpm > 0 ? (uint64_t)d->tpm : 1;
    default: return 1;
    }
}

/* Uniform choice among the tier members whose score equals (or is within tolerance of) the best. */
static long pick_best(const llmgw__pick_input *in, const bool *tier, const double *score, double tolerance,
                      uint64_t *rng)
{
    double best = INFINITY;
    size_t i, count = 0;
    uint64_t k;

    for (i = 0; i < in->n; i++)
        if (tier[i] && score[i] < best)
            best = score[i];
    for (i = 0; i < in->n; i++)
        if (tier[i] && score[i] <= best * (1.0 + tolerance))
            count++;
    if (count == 0)
        return -1;
    k = llmgw__rand_below(rng, count);
    for (i = 0; i < in->n; i++)
        if (tier[i] && score[i] <= best * (1.0 + tolerance) && k-- == 0)
            return (long)i;
    return -1;
}

static double cost_score(const llmgw__pick_input *in, const llmgw__deployment *d)
{
    /* the price it is billed at: its own, the price file's or the built-in table's */
    if (!d->price_known)
        return INFINITY;
    return (double)d->price.input * (double)in->est_input_tokens +
           (double)d->price.output * (double)(in->est_output_tokens ? in->est_output_tokens : 256);
}

static long shuffle(const llmgw__pick_input *in, const bool *tier, size_t members, int basis, uint64_t *rng)
{
    uint64_t total = 0, pick;
    size_t i;

    if (basis == 0) {
        /* every weight is 1: the pick-th member, without reading the deployments */
        pick = llmgw__rand_below(rng, members);
        for (i = 0; i < in->n; i++)
            if (tier[i] && pick-- == 0)
                return (long)i;
        return -1;
    }
    for (i = 0; i < in->n; i++)
        if (tier[i])
            total += shuffle_weight(in->deps[i], basis);
    pick = llmgw__rand_below(rng, total);
    for (i = 0; i < in->n; i++) {
        uint64_t w;
        if (!tier[i])
            continue;
        w = shuffle_weight(in->deps[i], basis);
        if (pick < w)
            return (long)i;
        pick -= w;
    }
    return -1;
}

/* The caller's summary stands for passes 1 and 2; the tier array is needed only with mixed ranks. */
static bool from_summary(const llmgw__pick_input *in, bool *tier, int *best, size_t *members, size_t *last,
                         bool *any_weight, bool *any_rpm, bool *any_tpm)
{
    size_t i;

    if (!in->summary_set)
        return false;
    *best = in->best_rank;
    *members = in->members;
    *last = in->last;
    *any_weight = in->any_weight;
    *any_rpm = in->any_rpm;
    *any_tpm = in->any_tpm;
    if (tier != NULL)
        for (i = 0; i < in->n; i++)
            tier[i] = in->eligible[i] && rank(in->deps[i]) == in->best_rank;
    return true;
}

long llmgw__strategy_pick(const llmgw__pick_input *in, uint64_t *rng)
{
    bool inline_tier[1024], *tier = inline_tier;
    double inline_score[1024], *score = inline_score;
    int best = INT_MAX, basis = 0;
    bool any_weight = false, any_rpm = false, any_tpm = false;
    size_t i, members = 0, last = 0;
    long r = -1;

    if (in->summary_set && in->members == 0)
        return -1;
    if (in->summary_set && in->members == 1)
        return (long)in->last;
    if (in->summary_set && in->uniform_rank && in->strategy == LLMGW_ROUTING_SIMPLE_SHUFFLE)
        /* the common case: no priorities, so the tier is the eligible set */
        return shuffle(in, in->eligible, in->members,
                       in->any_weight ? 1 : in->any_rpm ? 2 : in->any_tpm ? 3 : 0, rng);
    if (!in->summary_set) {
        /* pass 1: the best priority among the eligible */
        for (i = 0; i < in->n; i++) {
            if (in->eligible[i]) {
                members++;
                if (rank(in->deps[i]) < best)
                    best = rank(in->deps[i]);
            }
        }
        if (members == 0)
            return -1;
        members = 0;
    }
    if (in->n > LLMGW_ARRAY_SIZE(inline_tier)) {
        tier = llmgw__calloc(in->n, sizeof(*tier));
        score = llmgw__calloc(in->n, sizeof(*score));
        if (tier == NULL || score == NULL) {
            /* degrade to the first eligible one rather than fail the request */
            llmgw__free(tier);
            llmgw__free(score);
            for (i = 0; i < in->n; i++)
                if (in->eligible[i])
                    return (long)i;
            return -1;
        }
    }
    if (!from_summary(in, tier, &best, &members, &last, &any_weight, &any_rpm, &any_tpm)) {
        /* pass 2: the tier, and what the shuffle weighs by */
        for (i = 0; i < in->n; i++) {
            const llmgw__deployment *d = in->deps[i];
            tier[i] = in->eligible[i] && rank(d) == best;
            if (!tier[i])
                continue;
            members++;
            last = i;
            any_weight |= d->weight_set > 0;
            any_rpm |= d->rpm > 0;
            any_tpm |= d->tpm > 0;
        }
    }
    if (members == 0)
        goto out;
    if (members == 1) {
        r = (long)last;
        goto out;
    }
    basis = any_weight ? 1 : any_rpm ? 2 : any_tpm ? 3 : 0;
    switch (in->strategy) {
    case LLMGW_ROUTING_LEAST_BUSY:
        for (i = 0; i < in->n; i++)
            score[i] = (double)atomic_load_explicit(&in->deps[i]->in_flight, memory_order_relaxed);
        r = pick_best(in, tier, score, 0, rng);
        break;
    case LLMGW_ROUTING_LATENCY:
        /* unknown latency scores 0: every deployment gets tried before the estimates rule */
        for (i = 0; i < in->n; i++)
            score[i] = tier[i] ? (double)llmgw__limiter_latency_estimate(&in->deps[i]->limiter) : 0;
        r = pick_best(in, tier, score, LATENCY_BUFFER, rng);
        break;
    case LLMGW_ROUTING_USAGE:
        for (i = 0; i < in->n; i++)
            score[i] = tier[i] ? llmgw__limiter_load(&in->deps[i]->limiter, in->now_us, in->deps[i]->rpm,
                                                     in->deps[i]->tpm) : 0;
        r = pick_best(in, tier, score, 0, rng);
        break;
    case LLMGW_ROUTING_COST:
        for (i = 0; i < in->n; i++)
            score[i] = tier[i] ? cost_score(in, in->deps[i]) : INFINITY;
        r = pick_best(in, tier, score, 0, rng);
        if (r < 0 || isinf(score[r]))
            r = shuffle(in, tier, members, basis, rng);      /* no prices known */
        break;
    case LLMGW_ROUTING_SIMPLE_SHUFFLE:
    default:
        r = shuffle(in, tier, members, basis, rng);
        break;
    }
out:
    if (tier != inline_tier) {
        llmgw__free(tier);
        llmgw__free(score);
    }
    return r;
}
