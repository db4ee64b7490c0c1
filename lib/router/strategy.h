/*
 * lib/router/strategy.h: choosing one deployment among the eligible members
 * of a group: priority `order` first, then the routing strategy.
 */
#ifndef LLMGW_ROUTER_STRATEGY_H
#define LLMGW_ROUTER_STRATEGY_H

#include "../core/common.h"
#include "../core/gateway.h"

typedef struct llmgw__pick_input {
    llmgw__deployment *const *deps;
    const bool               *eligible;
    size_t                    n;
    int                       strategy;     /* LLMGW_ROUTING_* */
    int64_t                   now_us;
    uint64_t                  est_input_tokens;
    uint64_t                  est_output_tokens;
} llmgw__pick_input;

/* Index of the chosen deployment, or -1 when none is eligible. */
long llmgw__strategy_pick(const llmgw__pick_input *in, uint64_t *rng);

#endif
