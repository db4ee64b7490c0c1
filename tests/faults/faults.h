/*
 * tests/faults/faults.h: the fault matrix harness (docs/resilience.md §e.2):
 * one mock upstream per test binary, a fresh gateway and fresh mock lanes per
 * case, a row (one fault) run in one mode, what came back observed, and the
 * row's expected outcome checked: final status and class, the retry or
 * failover taken (attempt trail and the mock's request counts), exactly one
 * terminal callback, exactly one usage record, no wait past the deadline.
 */
#ifndef LLMGW_TESTS_FAULTS_H
#define LLMGW_TESTS_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <llmgw/llmgw.h>

#include "mock_server.h"

/* Modes: how a row is run. */
enum {
    FM_NS,      /* one deployment, llmgw_complete */
    FM_S,       /* one deployment, llmgw_complete_stream */
    FM_FO_NS,   /* a group of two (the faulty one first), llmgw_complete */
    FM_FO_S,    /* the same, streamed */
    FM_C_NS,    /* one deployment, response cache on, then the same request again */
    FM_C_S,     /* the same, streamed */
    FM__COUNT
};

/* What a fault does to a request on one deployment whose next answer is fine. */
enum {
    K_NA = 0,   /* the row does not apply to this kind of call */
    K_OK,       /* no effect: success in one attempt */
    K_RETRY,    /* the first attempt fails with class `cls`, the same deployment is tried again */
    K_FAIL,     /* the request fails at once with code/cls, nothing retried */
    K_DEAD      /* every attempt fails (the deployment is unreachable): max_attempts of class cls */
};

typedef struct fexp {
    int     kind;
    int     code;            /* K_FAIL / K_DEAD: the final status */
    int     cls;             /* K_RETRY: the first attempt's class; K_FAIL / K_DEAD: the final class */
    int     fo;              /* group of two: 1 when it fails over to the healthy deployment */
    int     fo_attempts;     /* group, no failover: attempts on the faulty one (0: 1) */
    int64_t retry_after_ms;  /* K_FAIL: the error's retry_after_ms (0: not checked) */
    int64_t min_wait_ms;     /* K_RETRY: the retry waited at least this long (0: not checked) */
} fexp;

typedef struct frow {
    const char *name;
    const char *step;        /* the faulty answer, one mock step; "@dead": refused; "@dns": no such host */
    fexp        ns, s;       /* expectations for llmgw_complete and llmgw_complete_stream */
} frow;

extern const frow fault_rows[];
extern const size_t fault_row_count;

/* Timeouts the matrix runs with (scaled under valgrind). */
typedef struct fx_limits {
    int64_t deadline_ms, attempt_ms, first_byte_ms, idle_ms;
} fx_limits;

/* The per-binary fixture. */
typedef struct fx {
    mock_server *srv;
    char         dead_base[96];   /* a loopback port nobody listens on */
    unsigned     seq;
    fx_limits    lim;
    int          scale;           /* 1, or 2 under valgrind (timeouts, not the deadline) */
    int          failures;        /* checks failed so far (every row runs; the test fails at the end) */
    int          cases;
} fx;

void fx_init(fx *f);
void fx_done(fx *f);

/* A failed check: printed with the case's name, counted in f->failures. */
void fx_check(fx *f, bool ok, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Run one row in one mode and check it against its expectation. */
void fx_run_row(fx *f, const frow *row, int mode);

/* 1 when the response cache answers a repeated request (the executor wiring is in), else 0. */
int fx_cache_wired(fx *f);

const char *fx_mode_name(int mode);
bool fx_utf8_valid(const char *s, size_t n);
double fx_now_ms(void);

#endif
