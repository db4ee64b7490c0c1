/*
 * tests/faults/faults_expect.c: what a fault matrix case must show: the
 * invariants every case holds (one usage record, one terminal callback, the
 * deadline, every upstream request in the trail), then the row's expected
 * outcome alone, in a group of two, and on a repeat with the cache on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "faults_case.h"

static const char *cls(int c)
{
    const char *s = llmgw_error_class_str(c);
    return s == NULL ? "?" : *s ? s : "none";
}

/* The invariants every case holds, whatever the row. */
void fxc_check_invariants(kase *k, const obs *o)
{
    fx *f = k->f;
    const char *w = k->where;
    double bound = (double)f->lim.deadline_ms + 1500.0 * f->scale;
    int64_t spent_us = 0;
    int on_a = 0, on_b = 0;
    size_t i;

    fx_check(f, atomic_load(&o->u.records) == 1, w, "usage records: %d, want exactly 1", atomic_load(&o->u.records));
    fx_check(f, o->u.status == o->rc, w, "usage record status %d, call returned %d", o->u.status, o->rc);
    fx_check(f, o->u.attempts == o->nattempts, w, "usage record says %u attempts, trail has %zu", o->u.attempts,
             o->nattempts);
    fx_check(f, o->u.stream == (k->stream ? 1 : 0), w, "usage record stream flag %d", o->u.stream);
    fx_check(f, o->nattempts <= MAX_ATTEMPTS, w, "%zu attempts, max_attempts is %d", o->nattempts, MAX_ATTEMPTS);
    fx_check(f, o->elapsed_ms <= bound, w, "took %.0f ms, deadline %lld ms", o->elapsed_ms,
             (long long)f->lim.deadline_ms);
    for (i = 0; i < o->nattempts && i < MAX_TRAIL; i++)
        spent_us += o->trail[i].latency_us + o->trail[i].wait_us;
    fx_check(f, spent_us <= (f->lim.deadline_ms + 200) * 1000, w, "attempt trail spends %lld us past a %lld ms deadline",
             (long long)spent_us, (long long)f->lim.deadline_ms);
    if (o->rc != 0)
        fx_check(f, o->err_class != LLMGW_ERRCLASS_NONE && llmgw_error_class_status(o->err_class) == o->rc, w,
                 "error class %s does not map to status %d", cls(o->err_class), o->rc);
    if (k->stream) {
        const collect *c = o->c;
        fx_check(f, c->done_calls + c->error_calls == 1, w, "terminal callbacks: %d on_done + %d on_error",
                 c->done_calls, c->error_calls);
        fx_check(f, c->order_ok, w, "a callback came after the terminal one");
        fx_check(f, c->usage_calls == 1, w, "on_usage called %d times", c->usage_calls);
        if (o->rc == 0) {
            fx_check(f, c->done_calls == 1, w, "success without on_done");
            fx_check(f, c->text_len == o->text_len && memcmp(c->text, o->text, c->text_len) == 0, w,
                     "streamed text differs from the response text");
        } else {
            fx_check(f, c->error_calls == 1 && c->error_code == o->rc && c->error_class == o->err_class, w,
                     "on_error (%d calls, code %d, class %s) disagrees with the return %d / %s", c->error_calls,
                     c->error_code, cls(c->error_class), o->rc, cls(o->err_class));
            fx_check(f, strcmp(c->done_finish, "stop") != 0, w, "a failed stream finished with \"stop\"");
        }
        fx_check(f, fx_utf8_valid(c->text, c->text_len), w, "streamed text is not valid UTF-8");
    }
    if (o->rc == 0)
        fx_check(f, fx_utf8_valid(o->text, o->text_len), w, "response text is not valid UTF-8");
    /* usage: never more than the mock billed; exactly that for an answer in one attempt */
    {
        uint64_t in = 0, out = 0;
        for (i = 0; i < o->nattempts && i < MAX_TRAIL; i++)
            if (o->trail[i].usage_known) {
                in += o->trail[i].input_tokens;
                out += o->trail[i].output_tokens;
            }
        fx_check(f, in <= o->led_in && out <= o->led_out, w, "attempts report %llu/%llu tokens, the mock billed %llu/%llu",
                 (unsigned long long)in, (unsigned long long)out, (unsigned long long)o->led_in,
                 (unsigned long long)o->led_out);
        if (o->rc == 0 && o->nattempts == 1 && !o->cache_hit)
            fx_check(f, in == o->led_in && out == o->led_out && o->u.input == in && o->u.output == out, w,
                     "one-attempt answer: attempt %llu/%llu tokens, record %llu/%llu, mock billed %llu/%llu",
                     (unsigned long long)in, (unsigned long long)out, (unsigned long long)o->u.input,
                     (unsigned long long)o->u.output, (unsigned long long)o->led_in, (unsigned long long)o->led_out);
    }
    /* one retry layer: every upstream request is in the trail, and nothing else is */
    for (i = 0; i < o->nattempts && i < MAX_TRAIL; i++) {
        on_a += strcmp(o->trail_dep[i], "a") == 0;
        on_b += strcmp(o->trail_dep[i], "b") == 0;
    }
    fx_check(f, on_a + on_b == (int)o->nattempts, w, "an attempt to an unknown deployment in the trail");
    if (k->row->step[0] != '@')
        fx_check(f, o->lane_a == on_a, w, "the faulty deployment saw %d requests, the trail has %d", o->lane_a, on_a);
    fx_check(f, o->lane_b == on_b, w, "the healthy deployment saw %d requests, the trail has %d", o->lane_b, on_b);
}

static void expect_success(kase *k, const obs *o, size_t attempts)
{
    fx_check(k->f, o->rc == 0, k->where, "failed with %d (%s): %s", o->rc, cls(o->err_class), o->err_msg);
    fx_check(k->f, o->nattempts == attempts, k->where, "%zu attempts, want %zu", o->nattempts, attempts);
    if (o->rc == 0 && o->nattempts > 0)
        fx_check(k->f, o->trail[o->nattempts - 1].status == 0, k->where, "the last attempt is not the success");
}

static void expect_failure(kase *k, const obs *o, int code, int ecls)
{
    fx_check(k->f, o->rc == code && o->err_class == ecls, k->where, "returned %d (%s), want %d (%s); message: %s",
             o->rc, cls(o->err_class), code, cls(ecls), o->rc ? o->err_msg : "");
}

void fxc_check_single(kase *k, const fexp *e, const obs *o)
{
    const char *w = k->where;

    switch (e->kind) {
    case K_OK:
        expect_success(k, o, 1);
        break;
    case K_RETRY:
        expect_success(k, o, 2);
        if (o->nattempts >= 1)
            fx_check(k->f, o->trail[0].error_class == e->cls, w, "first attempt class %s, want %s",
                     cls(o->trail[0].error_class), cls(e->cls));
        if (o->nattempts >= 2 && e->min_wait_ms > 0)
            fx_check(k->f, o->trail[1].wait_us >= e->min_wait_ms * 1000, w, "retried after %lld us, want >= %lld ms",
                     (long long)o->trail[1].wait_us, (long long)e->min_wait_ms);
        break;
    case K_FAIL:
        expect_failure(k, o, e->code, e->cls);
        fx_check(k->f, o->nattempts == 1, w, "%zu attempts, want 1 (no retry)", o->nattempts);
        if (e->retry_after_ms != 0)
            fx_check(k->f, o->err_retry_after == e->retry_after_ms, w, "retry_after_ms %lld, want %lld",
                     (long long)o->err_retry_after, (long long)e->retry_after_ms);
        break;
    case K_DEAD:
        expect_failure(k, o, e->code, e->cls);
        fx_check(k->f, o->nattempts == MAX_ATTEMPTS, w, "%zu attempts, want %d", o->nattempts, MAX_ATTEMPTS);
        if (o->nattempts > 0)
            fx_check(k->f, o->trail[0].billed == 0, w, "an unreachable attempt is marked billed");
        break;
    default:
        break;
    }
}

void fxc_check_group(kase *k, const fexp *e, const obs *o)
{
    const char *w = k->where;
    int on_a = e->fo_attempts > 0 ? e->fo_attempts : 1;

    if (e->kind == K_OK) {
        expect_success(k, o, 1);
        fx_check(k->f, o->lane_b == 0, w, "the healthy deployment was called");
        return;
    }
    if (e->fo) {
        expect_success(k, o, 2);
        fx_check(k->f, o->nattempts == 2 && strcmp(o->trail_dep[0], "a") == 0 && strcmp(o->trail_dep[1], "b") == 0,
                 w, "trail %s,%s; want a then b", o->nattempts > 0 ? o->trail_dep[0] : "-",
                 o->nattempts > 1 ? o->trail_dep[1] : "-");
        fx_check(k->f, o->u.fallbacks == 1, w, "usage record counts %u fallbacks, want 1", o->u.fallbacks);
        if (o->nattempts >= 1)
            fx_check(k->f, o->trail[0].error_class == e->cls, w, "first attempt class %s, want %s",
                     cls(o->trail[0].error_class), cls(e->cls));
        return;
    }
    /* no failover: the faulty deployment's own outcome, the healthy one untouched */
    if (e->kind == K_RETRY)
        expect_failure(k, o, llmgw_error_class_status(e->cls), e->cls);
    else
        expect_failure(k, o, e->code, e->cls);
    fx_check(k->f, o->nattempts == (size_t)on_a, w, "%zu attempts, want %d on the faulty deployment",
             o->nattempts, on_a);
    fx_check(k->f, o->lane_b == 0, w, "failed over to the healthy deployment (%d requests) on a fault that must not",
             o->lane_b);
}

/* Cache mode: the same request again. A success is answered from the cache; a failure was not stored. */
void fxc_check_cache_followup(kase *k, obs *first)
{
    obs *o = calloc(1, sizeof(*o));
    usage_seen *u = &first->u;      /* the gateway's usage hook writes here */
    int before_a;

    assert_non_null(o);
    o->c = first->c;
    atomic_store(&u->records, 0);
    before_a = fxc_lane_count(k->f->srv, k->lane_a);
    fxc_call_once(k, o);
    o->lane_a = fxc_lane_count(k->f->srv, k->lane_a) - before_a;
    fx_check(k->f, atomic_load(&u->records) == 1, k->where, "repeat: %d usage records, want 1",
             atomic_load(&u->records));
    if (first->rc == 0) {
        fx_check(k->f, o->rc == 0 && o->cache_hit == 1 && u->cache_hit == 1, k->where,
                 "repeat of a success: rc %d, cache_hit %d (usage record %d)", o->rc, o->cache_hit, u->cache_hit);
        fx_check(k->f, o->lane_a == 0, k->where, "repeat of a success went upstream (%d requests)", o->lane_a);
        fx_check(k->f, o->text_len == first->text_len && memcmp(o->text, first->text, o->text_len) == 0, k->where,
                 "the cached answer differs from the one delivered");
        if (k->stream)
            fx_check(k->f, o->c->done_calls == 1 && o->c->error_calls == 0 && o->c->text_len == first->text_len, k->where,
                     "a cache hit replayed as a stream: %d on_done, %d on_error, %zu bytes of text", o->c->done_calls,
                     o->c->error_calls, o->c->text_len);
    } else {
        fx_check(k->f, o->rc != 0 || o->cache_hit == 0, k->where, "a failed answer was served from the cache");
    }
    free(o);
}

