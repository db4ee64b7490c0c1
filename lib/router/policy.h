/*
 * lib/router/policy.h: what an attempt's outcome means (docs/resilience.md
 * §b.2) and how long to wait before the next one (§b.1). Pure functions:
 * they decide and never parse or do I/O.
 */
#ifndef LLMGW_ROUTER_POLICY_H
#define LLMGW_ROUTER_POLICY_H

#include "../core/common.h"
#include "../transport/http.h"

/* How often retrying the same deployment may help: never, once, or within the attempt budget. */
enum { LLMGW__RETRY_NO = 0, LLMGW__RETRY_ONCE = 1, LLMGW__RETRY_YES = 2 };

typedef struct llmgw__outcome {
    int     status;          /* 0 success, else llmgw_status */
    int     error_class;
    int     http_status;
    int64_t retry_after_ms;  /* server hint, -1 when none */
    int     retry;           /* LLMGW__RETRY_*: retry the same deployment */
    bool    failover;        /* another deployment may succeed */
    bool    breaker;         /* counts as a failure of the deployment's health */
    bool    sent;            /* the request may have reached the provider */
    bool    committed;       /* a stream delivered an event before it ended */
    char    message[512];    /* redacted */
} llmgw__outcome;

/* Class, R, F, B for an HTTP status (no body knowledge yet). */
void llmgw__classify_status(llmgw__outcome *o, int http_status);
/* R, F, B for a class refined from the body (quota, context length, policy, auth ...). */
void llmgw__classify_class_rules(llmgw__outcome *o);
/* Class, R, F, B for a transport outcome. */
void llmgw__classify_transport(llmgw__outcome *o, llmgw__xfer_outcome x);
/* x-should-retry: true / false overrides R. */
void llmgw__classify_should_retry(llmgw__outcome *o, int should_retry);

/*
 * The server's delay hint from the headers: retry-after-ms, x-ms-retry-after-ms,
 * then retry-after (seconds, fractional allowed, or an HTTP-date against now_wall_us).
 * -1 when absent or unparsable; never negative otherwise.
 */
int64_t llmgw__retry_after_ms(const llmgw_http_response *r, int64_t now_wall_us);
/* Parse one retry-after value (seconds or HTTP-date); -1 when invalid. */
int64_t llmgw__parse_retry_after(const char *value, int64_t now_wall_us);

/* Full-jitter exponential backoff for the n-th retry (n >= 1): rand(0, min(8 s, 0.5 s * 2^(n-1))). */
int64_t llmgw__backoff_us(unsigned int n, uint64_t *rng);

#define LLMGW__MAX_SERVER_DELAY_MS 60000

#endif
