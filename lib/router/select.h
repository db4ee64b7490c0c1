/*
 * lib/router/select.h: picking a deployment of a group.
 */
#ifndef LLMGW_ROUTER_SELECT_H
#define LLMGW_ROUTER_SELECT_H

#include "../core/common.h"
#include "../core/gateway.h"

/*
 * Index of the deployment to try among c->deps whose excluded[i] is false:
 * the lowest `order` first (0 = no priority, after every ordered one), then
 * a weighted shuffle by `weight`. -1 when none is left.
 */
long llmgw__select(const llmgw__candidates *c, const bool *excluded, uint64_t *rng);

#endif
