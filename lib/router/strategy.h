/*
 * lib/router/strategy.h: choosing one deployment among the eligible members
 * of a group: priority `order` first, then the routing strategy.
 */
#ifndef LLMGW_ROUTER_STRATEGY_H
#define LLMGW_ROUTER_STRATEGY_H

#include "../core/common.h"
#include "../core/gateway.h"

#include <limits.h>

typedef struct llmgw__pick_input {
    llmgw__deployment *const *deps;
    const bool               *eligible;
    size_t                    n;
    int                       strategy;     /* LLMGW_ROUTING_* */
    int64_t                   now_us;
    uint64_t                  est_input_tokens;
    uint64_t                  est_output_tokens;
    /*
     * Optional: what the caller learned while marking the eligible
     * (llmgw__pick_summary_begin, then llmgw__pick_note for each eligible
     * one in index order), so that the pick needs no pass of its own to find
     * the priority tier. The choice is the same with or without it.
     */
    bool                      summary_set;
    bool                      uniform_rank; /* every eligible one is in the best tier */
    bool                      any_weight, any_rpm, any_tpm;    /* in the best tier */
    int                       best_rank;
    size_t                    noted;        /* eligible ones seen */
    size_t                    members;      /* eligible ones in the best tier */
    size_t                    last;         /* the last of them */
} llmgw__pick_input;

/* Priority rank: `order` when set, else after every ordered one. */
static inline int llmgw__pick_rank(const llmgw__deployment *d)
{
    return d->order > 0 ? d->order : INT_MAX;
}

static inline void llmgw__pick_summary_begin(llmgw__pick_input *in)
{
    in->summary_set = true;
    in->uniform_rank = true;
    in->any_weight = in->any_rpm = in->any_tpm = false;
    in->best_rank = INT_MAX;
    in->noted = in->members = in->last = 0;
}

/* Deployment i (d) is eligible; call in increasing i. */
static inline void llmgw__pick_note(llmgw__pick_input *in, size_t i, const llmgw__deployment *d)
{
    int rank = llmgw__pick_rank(d);

    if (in->noted++ == 0 || rank < in->best_rank) {
        if (in->noted > 1)
            in->uniform_rank = false;
        in->best_rank = rank;
        in->members = 0;
        in->any_weight = in->any_rpm = in->any_tpm = false;
    } else if (rank > in->best_rank) {
        in->uniform_rank = false;
        return;
    }
    in->members++;
    in->last = i;
    in->any_weight |= d->weight_set > 0;
    in->any_rpm |= d->rpm > 0;
    in->any_tpm |= d->tpm > 0;
}

/* Index of the chosen deployment, or -1 when none is eligible. */
long llmgw__strategy_pick(const llmgw__pick_input *in, uint64_t *rng);

#endif
