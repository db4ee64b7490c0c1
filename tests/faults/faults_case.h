/*
 * tests/faults/faults_case.h: one case of the fault matrix while it runs,
 * shared by faults.c (running it) and faults_expect.c (checking it).
 */
#ifndef LLMGW_TESTS_FAULTS_CASE_H
#define LLMGW_TESTS_FAULTS_CASE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdatomic.h>

#include "faults.h"
#include "itest.h"

#define MAX_ATTEMPTS 3
#define MAX_TRAIL 8

typedef struct usage_seen {
    atomic_int records;
    int        status, error_class, cache_hit, usage_known, stream;
    unsigned   attempts, fallbacks;
    uint64_t   input, output;
} usage_seen;

typedef struct obs {
    int           rc;
    int           err_class, err_http;
    int64_t       err_retry_after;
    char          err_msg[400];
    size_t        nattempts;
    llmgw_attempt trail[MAX_TRAIL];
    char          trail_dep[MAX_TRAIL][8];   /* "a", "b" or "?" */
    char          text[2048];
    size_t        text_len;
    int           cache_hit;
    double        elapsed_ms;
    int           lane_a, lane_b;
    uint64_t      led_in, led_out;           /* tokens the mock billed on both lanes (its ledger) */
    collect      *c;                         /* stream callbacks (streamed modes) */
    usage_seen    u;
} obs;

typedef struct kase {
    fx          *f;
    const frow  *row;
    int          mode;
    bool         stream, group, cache;
    char         where[160];
    char         lane_a[32], lane_b[32];
    llmgw_gateway *gw;
} kase;

/* One call as the case's mode says (fills *o but its lane counts). */
void fxc_call_once(kase *k, obs *o);
/* Requests the mock recorded on a lane. */
int  fxc_lane_count(mock_server *srv, const char *lane);

/* faults_expect.c */
void fxc_check_invariants(kase *k, const obs *o);
void fxc_check_single(kase *k, const fexp *e, const obs *o);
void fxc_check_group(kase *k, const fexp *e, const obs *o);
void fxc_check_cache_followup(kase *k, obs *first);

#endif
