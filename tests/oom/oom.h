/*
 * tests/oom/oom.h: the allocation-failure driver (docs/resilience.md §e.4).
 *
 * A scenario is set up, called once, and torn down. The driver runs it once
 * to count the K allocations of setup + call, then for every n in 1..K, in
 * transient mode (only the nth allocation fails) and persistent mode (the
 * nth and every later one), with the nth failing, and checks:
 *   - setup and call return 0 or LLMGW_ENOMEM (a scenario may allow more),
 *     and llmgw_error_last() agrees with a failed call;
 *   - the scenario's own checks of the observation (callbacks, usage, the
 *     answer when the call succeeded);
 *   - with injection off, the same call on the same objects succeeds again
 *     (nothing was left half-changed);
 *   - after teardown, every allocation made through the library's wrappers
 *     was released (llmgw__alloc_live), so each n is its own leak check;
 *     LSan or valgrind cover what the wrappers do not see.
 * cJSON allocates through the wrappers too (cJSON_InitHooks, in this test
 * binary only), and so does libyaml (its yaml_malloc family is replaced in
 * this binary).
 *
 * LLMGW_OOM_SAMPLE=N runs N seeded points per mode instead of every n;
 * LLMGW_OOM_ONLY=name:n:t|p runs only that point of that scenario (run it
 * under valgrind to see a leak's allocation stack).
 */
#ifndef LLMGW_TESTS_OOM_H
#define LLMGW_TESTS_OOM_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <string.h>

#include <llmgw/llmgw.h>

/* What a call did, as its callbacks saw it. */
typedef struct oom_obs {
    int  usage_records;          /* usage hook calls */
    int  text_calls, tool_calls, stream_usage_calls, done_calls, error_calls;
    int  error_code;             /* from on_error */
    bool after_terminal;         /* a callback came after on_done / on_error */
    char text[4096];
    size_t text_len;
    unsigned long usage_input, usage_output;
} oom_obs;

typedef struct oom_scenario {
    const char *name;
    size_t      ctx_size;
    /* Create what the call needs; 0 or a negative status (everything released on failure). */
    int  (*setup)(void *ctx, oom_obs *obs);
    /* The call under test; returns its status. */
    int  (*call)(void *ctx, oom_obs *obs);
    /* Scenario checks of one call (rc 0: the answer is the expected one). */
    void (*check)(void *ctx, int rc, const oom_obs *obs);
    void (*teardown)(void *ctx);
    /* A status other than 0 and LLMGW_ENOMEM the call may return under OOM (0: none). */
    int  also_allowed;
} oom_scenario;

/* "scenario: allocation n failing (mode)" for the point being checked. */
const char *oom_where(void);
/* A scenario check: on failure, the point and the condition. */
#define OOM_CHECK(cond) \
    do { if (!(cond)) fail_msg("%s: check failed: %s", oom_where(), #cond); } while (0)
#define OOM_CHECK_STR(a, b) \
    do { const char *a_ = (a), *b_ = (b); \
         if (a_ == NULL || strcmp(a_, b_) != 0) fail_msg("%s: \"%s\" != \"%s\"", oom_where(), a_ ? a_ : "(null)", b_); \
    } while (0)

/* Run one scenario through every failure point; fails the cmocka test on a violation. */
void oom_run(const oom_scenario *s);

/* Common pieces for scenarios. */
void oom_usage_cb(const llmgw_usage *u, void *userdata);   /* userdata: oom_obs */
llmgw_stream_sink oom_sink(oom_obs *obs);
/* Stream checks: exactly one terminal callback matching rc, nothing after it, usage at most once. */
void oom_check_stream(int rc, const oom_obs *obs);
/* Usage hook: at most once; once on success. */
void oom_check_usage(int rc, const oom_obs *obs);
/* Install the allocator hooks (cJSON) and arm counting; call first in main(). */
void oom_init(void);

#endif
