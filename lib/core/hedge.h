/*
 * lib/core/hedge.h: request hedging (docs/hedging.md). When the first
 * attempt of a request has produced nothing after hedge_after_ms, the same
 * request starts on a second deployment of the group; the first to deliver
 * a stream event (or, not streaming, a complete answer) wins, the other is
 * cancelled and stays in the trail with its billed usage.
 */
#ifndef LLMGW_CORE_HEDGE_H
#define LLMGW_CORE_HEDGE_H

#include "common.h"
#include "exec.h"

/* Whether the attempt about to start (after `attempts` earlier ones) may be hedged. */
bool llmgw__hedge_wanted(const llmgw__exec *x, unsigned int attempts);

/*
 * Run `first` (admitted and prepared) on this thread, and a hedge in
 * `second` (zeroed by the caller) when the delay passes without an answer.
 * On return both have ended and are released; second->ran says whether the
 * hedge started; *result is the attempt whose outcome decides what comes
 * next (the winner, else the one that ended last). The loser's outcome is
 * "cancelled" (hedged out). Stream events reach x->sink on this thread only,
 * and only the winner's. Returns 0, or ENOMEM.
 */
int  llmgw__hedge_run(llmgw__exec *x, llmgw__run *first, llmgw__run *second, llmgw__run **result);

#endif
