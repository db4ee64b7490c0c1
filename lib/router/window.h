/*
 * lib/router/window.h: a sliding window of per-second counters (requests and
 * tokens over the last 60 s for rate limits; requests and retries over the
 * last 10 s for the retry budget). The caller holds whatever lock guards it.
 */
#ifndef LLMGW_ROUTER_WINDOW_H
#define LLMGW_ROUTER_WINDOW_H

#include "../core/common.h"

#define LLMGW__WINDOW_MAX_SECONDS 60

typedef struct llmgw__window {
    int64_t  second[LLMGW__WINDOW_MAX_SECONDS];  /* which second each slot holds */
    uint64_t a[LLMGW__WINDOW_MAX_SECONDS];       /* first counter (requests) */
    uint64_t b[LLMGW__WINDOW_MAX_SECONDS];       /* second counter (tokens, retries) */
    unsigned int seconds;                        /* window length */
} llmgw__window;

void llmgw__window_init(llmgw__window *w, unsigned int seconds);
void llmgw__window_add(llmgw__window *w, int64_t now_us, uint64_t a, uint64_t b);
/* Sums over the window ending at now. */
void llmgw__window_sum(const llmgw__window *w, int64_t now_us, uint64_t *a, uint64_t *b);
/*
 * When enough of the window will have expired that the first counter drops
 * below `limit` (or the second below `limit_b`; 0 = no limit): microseconds
 * from now, 0 when already below.
 */
int64_t llmgw__window_wait_us(const llmgw__window *w, int64_t now_us, uint64_t limit_a, uint64_t limit_b);

#endif
