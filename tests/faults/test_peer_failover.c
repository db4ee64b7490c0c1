/*
 * tests/faults/test_peer_failover.c: the failover, cooldown and retry bugs of
 * other gateways (docs/resilience.md §c), each proven absent over loopback
 * HTTP. Every test is named after the bug and says what it would catch.
 */
#include "peer.h"

/*
 * LiteLLM #27362 / PR #27610: connection errors were kept out of cooldown, so a
 * dead host was picked on every retry. Would catch: refused connections not
 * counting as breaker failures (every request would try the dead one first).
 */
static void test_litellm_27610_connection_errors_open_the_breaker(void **state)
{
    peer p;
    shot s;
    mock_server *tmp = NULL;
    char dead[128];
    int i;

    (void)state;
    assert_int_equal(mock_server_start(&tmp, "127.0.0.1", 0), 0);
    snprintf(dead, sizeof(dead), "http://127.0.0.1:%u/v1", mock_server_port(tmp));
    mock_server_stop(tmp);
    peer_start(&p, NULL);
    assert_int_equal(peer_add_full(&p, "g", NULL, "openai/gpt-dead", PEER_KEY_A, 1, dead), 0);
    peer_add(&p, "g", "live", "openai/gpt-live", PEER_KEY_B, 2);
    for (i = 0; i < 5; i++) {               /* allowed_fails 5 (the default) */
        peer_call(&p, &s, "g", "hi", 0, 0);
        assert_int_equal(s.rc, 0);
        assert_int_equal(s.attempts, 2);
        assert_string_equal(s.model[0], "gpt-dead");
        assert_int_equal(s.trail[0].error_class, LLMGW_ERRCLASS_NETWORK);
    }
    for (i = 0; i < 5; i++) {               /* open: the dead host is no longer tried */
        peer_call(&p, &s, "g", "hi", i % 2, 0);
        assert_int_equal(s.rc, 0);
        assert_int_equal(s.attempts, 1);
        assert_string_equal(s.model[0], "gpt-live");
    }
    peer_stop(&p);
}

/*
 * LiteLLM PR #34836: 25 consecutive 500s left a deployment in rotation.
 * Would catch: a breaker that does not open on consecutive 5xx (the failing
 * lane would keep receiving requests).
 */
static void test_litellm_34836_consecutive_500s_leave_rotation(void **state)
{
    peer p;
    shot s;
    int i;

    (void)state;
    peer_start(&p, NULL);
    peer_add(&p, "g", "bad", "openai/gpt-bad", PEER_KEY_A, 1);
    peer_add(&p, "g", "good", "openai/gpt-good", PEER_KEY_B, 2);
    peer_script(&p, "bad", "{\"steps\":[{\"status\":500}],\"then\":\"repeat_last\"}");
    for (i = 0; i < 25; i++) {
        peer_call(&p, &s, "g", "hi", i % 2, 0);
        assert_int_equal(s.rc, 0);
    }
    assert_int_equal(peer_count(&p, "bad"), 5);     /* opened after 5 in a row, then left alone */
    assert_int_equal(peer_count(&p, "good"), 25);
    peer_stop(&p);
}

/*
 * LiteLLM PR #34416: failed fallbacks were exempt from cooldown. Would catch:
 * failures of a fallback group's deployment not counting on its breaker (it
 * would be called by every request).
 */
static void test_litellm_34416_failed_fallbacks_cool_down(void **state)
{
    llmgw_gateway_options o = peer_opts(2);
    peer p;
    shot s;
    int i;

    (void)state;
    o.allowed_fails = 3;
    peer_start(&p, &o);
    peer_add(&p, "primary", "pa", "openai/gpt-p", PEER_KEY_A, 0);
    peer_add(&p, "backup", "ba", "openai/gpt-b", PEER_KEY_B, 0);
    assert_int_equal(llmgw_gateway_add_fallback(p.t.gw, LLMGW_FALLBACK_DEFAULT, "primary", "backup"), 0);
    /* 501: not retried, straight to the fallback group */
    peer_script(&p, "pa", "{\"steps\":[{\"status\":501}],\"then\":\"repeat_last\"}");
    peer_script(&p, "ba", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    for (i = 0; i < 10; i++) {
        peer_call(&p, &s, "primary", "hi", 0, 0);
        assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    }
    assert_int_equal(peer_count(&p, "pa"), 3);
    assert_int_equal(peer_count(&p, "ba"), 3);      /* the fallback's failures opened its breaker too */
    peer_stop(&p);
}

/* ---- LiteLLM #40130: re-cooling kept the earlier, shorter deadline ---- */

typedef struct bgcall {
    peer *p;
    shot  s;
} bgcall;

static void *bg_call(void *arg)
{
    bgcall *b = arg;

    peer_call(b->p, &b->s, "g", "hi", 0, 0);
    return NULL;
}

/*
 * Two failures of one deployment land in either order: a 429 hold of 1 s and
 * a breaker opening of 5 s. Whichever comes last, the deployment stays out
 * for the longer one (until = max(existing, new)). Would catch: the later,
 * shorter hold replacing the breaker's open time (back after ~1 s) and the
 * reverse.
 */
static void reopen_case(const char *first_slow, const char *second_fast)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    bgcall slow;
    pthread_t th;
    shot s;
    char script[512];
    int waited = 0;

    o.allowed_fails = 1;
    o.cooldown_ms = 5000;
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    snprintf(script, sizeof(script), "[%s,%s]", first_slow, second_fast);
    peer_script(&p, "a", script);
    slow.p = &p;
    assert_int_equal(pthread_create(&th, NULL, bg_call, &slow), 0);
    while (peer_count(&p, "a") < 1 && waited++ < 400)
        peer_sleep_ms(5);
    assert_int_equal(peer_count(&p, "a"), 1);       /* the slow one is in flight: a is still closed */
    peer_call(&p, &s, "g", "hi", 0, 0);             /* the fast one lands first */
    assert_true(s.rc != 0);
    pthread_join(th, NULL);                        /* then the slow one */
    assert_true(slow.s.rc != 0);
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.attempts, 0);               /* still out */
    if (s.retry_after_ms < 3000)
        fail_msg("after a 5 s opening and a 1 s hold, back in %lld ms (%s then %s)", (long long)s.retry_after_ms,
                 second_fast, first_slow);
    assert_int_equal(peer_count(&p, "a"), 2);
    peer_stop(&p);
}

static void test_litellm_40130_reopen_keeps_the_later_deadline(void **state)
{
    (void)state;
    /* the breaker opens first (503 lands first), the 1 s hold lands second */
    reopen_case("{\"status\":429,\"headers\":{\"retry-after-ms\":\"1000\"},\"delay_ms\":300}", "{\"status\":503}");
    /* the 1 s hold first, the breaker opening second */
    reopen_case("{\"status\":503,\"delay_ms\":300}", "{\"status\":429,\"headers\":{\"retry-after-ms\":\"1000\"}}");
}

/*
 * LiteLLM PR #4411: one bad Predibase adapter cooled all Predibase calls.
 * Would catch: health keyed by provider, model or base URL instead of the
 * deployment (provider + base URL + model + credential).
 */
static void test_litellm_4411_health_is_per_deployment(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;

    (void)state;
    o.allowed_fails = 1;
    o.cooldown_ms = 30000;
    peer_start(&p, &o);
    peer_add(&p, "bad", "shared", "openai/gpt-x", PEER_KEY_A, 0);
    peer_add(&p, "other-base", "other", "openai/gpt-x", PEER_KEY_A, 0);     /* same provider and model */
    peer_add(&p, "other-model", "shared", "openai/gpt-y", PEER_KEY_A, 0);   /* same base URL */
    peer_add(&p, "other-key", "shared", "openai/gpt-x", PEER_KEY_B, 0);     /* same all but the key */
    peer_script(&p, "shared", "[{\"status\":503}]");
    peer_call(&p, &s, "bad", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    peer_call(&p, &s, "bad", "hi", 0, 0);
    assert_int_equal(s.attempts, 0);               /* that one is open */
    peer_call(&p, &s, "other-base", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    peer_call(&p, &s, "other-model", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    peer_call(&p, &s, "other-key", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    peer_stop(&p);
}

/*
 * deltallm/deltallm #247: retries went to a cooled deployment (A, A, A, B)
 * and expiry did not restore health. Would catch: retrying a failing member
 * while an alternative is ready; trying an open member; an open member that
 * never comes back after its open time.
 */
static void test_deltallm_247_retries_skip_cooled_and_expiry_restores(void **state)
{
    llmgw_gateway_options o = peer_opts(3);
    peer p;
    shot s;

    (void)state;
    o.allowed_fails = 1;
    o.cooldown_ms = 1000;
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 1);
    peer_add(&p, "g", "b", "openai/gpt-b", PEER_KEY_B, 2);
    peer_script(&p, "a", "[{\"status\":503}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.attempts, 2);               /* A then B, not A, A, A, B */
    assert_string_equal(s.model[0], "gpt-a");
    assert_string_equal(s.model[1], "gpt-b");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.attempts, 1);               /* A is open */
    assert_string_equal(s.model[0], "gpt-b");
    peer_sleep_ms(1300);                           /* 1 s +10 % jitter, and margin */
    peer_call(&p, &s, "g", "hi", 0, 0);            /* the half-open probe goes to A and succeeds */
    assert_int_equal(s.rc, 0);
    assert_string_equal(s.model[0], "gpt-a");
    peer_call(&p, &s, "g", "hi", 1, 0);            /* closed again: A (first in order) answers */
    assert_string_equal(s.model[0], "gpt-a");
    assert_int_equal(peer_count(&p, "a"), 3);
    peer_stop(&p);
}

/*
 * LiteLLM #3646 / #27823: every deployment cooling down failed requests with
 * no Retry-After; "cooldown blanking the only deployment" silently. Would
 * catch: an opened last member not logged at WARN and counted; a fail-fast
 * without retry_after_ms; requests still sent to it.
 */
static void test_litellm_3646_only_deployment_open_fails_fast_with_retry_after(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    llmgw_metrics *m = NULL;
    llmgw_metrics_totals tot;
    peer p;
    shot s;

    (void)state;
    o.allowed_fails = 1;
    o.cooldown_ms = 2000;
    peer_start(&p, &o);
    peer_add(&p, "g", "only", "openai/gpt-only", PEER_KEY_A, 0);
    peer_script(&p, "only", "[{\"status\":503}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_non_null(strstr(p.log, "every deployment of group 'g' is now open"));
    assert_true(p.warns >= 1);
    peer_call(&p, &s, "g", "hi", 1, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(s.attempts, 0);
    assert_true(s.retry_after_ms > 0 && s.retry_after_ms <= 2200);
    assert_int_equal(s.c.error_calls, 1);
    assert_int_equal(peer_count(&p, "only"), 1);
    assert_int_equal(llmgw_metrics_get(&m, p.t.gw), 0);
    assert_int_equal(llmgw_metrics_totals_get(&tot, m), 0);
    assert_int_equal(tot.breaker_openings, 1);
    llmgw_metrics_free(m);
    peer_stop(&p);
}

/*
 * LiteLLM #19985: a fallback reset the retry cycle. Would catch: an attempt
 * budget per group or per deployment instead of per logical request (9
 * requests for 3 deployments instead of 3).
 */
static void test_litellm_19985_fallback_does_not_reset_the_attempt_budget(void **state)
{
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);                           /* max_attempts 3 */
    peer_add(&p, "g1", "l1", "openai/gpt-1", PEER_KEY_A, 0);
    peer_add(&p, "g2", "l2", "openai/gpt-2", PEER_KEY_B, 0);
    peer_add(&p, "g3", "l3", "openai/gpt-3", "sk-peer-c-0123456789abcdefQRS", 0);
    assert_int_equal(llmgw_gateway_add_fallback(p.t.gw, LLMGW_FALLBACK_DEFAULT, "g1", "g2"), 0);
    assert_int_equal(llmgw_gateway_add_fallback(p.t.gw, LLMGW_FALLBACK_DEFAULT, "g2", "g3"), 0);
    peer_script(&p, "l1", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_script(&p, "l2", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_script(&p, "l3", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_call(&p, &s, "g1", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(s.attempts, 3);
    assert_int_equal(peer_count(&p, "l1") + peer_count(&p, "l2") + peer_count(&p, "l3"), 3);
    /* three deployments of one group, all 503: 3 upstream requests, not 9 */
    peer_add(&p, "trio", "t1", "openai/gpt-t1", PEER_KEY_A, 0);
    peer_add(&p, "trio", "t2", "openai/gpt-t2", PEER_KEY_B, 0);
    peer_add(&p, "trio", "t3", "openai/gpt-t3", "sk-peer-c-0123456789abcdefQRS", 0);
    peer_script(&p, "t1", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_script(&p, "t2", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_script(&p, "t3", "{\"steps\":[{\"status\":503}],\"then\":\"repeat_last\"}");
    peer_call(&p, &s, "trio", "hi", 1, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(peer_count(&p, "t1") + peer_count(&p, "t2") + peer_count(&p, "t3"), 3);
    peer_stop(&p);
}

/*
 * Portkey-AI/gateway #165 (PR #167): a 401 never fell back. Would catch: auth
 * errors excluded from failover, or a failover that reuses the rejected
 * credential.
 */
static void test_portkey_165_401_fails_over_to_another_credential(void **state)
{
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 1);
    peer_add(&p, "g", "b", "openai/gpt-b", PEER_KEY_B, 2);
    peer_script(&p, "a", "{\"steps\":[{\"status\":401,\"error_code\":\"invalid_api_key\"}],\"then\":\"repeat_last\"}");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    assert_string_equal(s.model[1], "gpt-b");
    /* the same rejected key on another deployment is never tried */
    peer_add(&p, "same", "c", "openai/gpt-c", PEER_KEY_A, 1);
    peer_add(&p, "same", "d", "openai/gpt-d", PEER_KEY_A, 2);
    peer_script(&p, "c", "{\"steps\":[{\"status\":401}],\"then\":\"repeat_last\"}");
    peer_call(&p, &s, "same", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EAUTH);
    assert_int_equal(peer_count(&p, "d"), 0);
    peer_stop(&p);
}

/*
 * LiteLLM #7262, caura-ai/caura PR #859: retry layers stacked (up to 12 HTTP
 * requests per logged call). Would catch: libcurl silently resending a POST
 * on a reused connection that died (the mock would count one more request
 * than the attempt trail), or any hidden retry under the loop.
 */
static void test_litellm_7262_one_retry_layer(void **state)
{
    llmgw_gateway_options o = peer_opts(1);
    peer p;
    shot s;

    (void)state;
    o.pool_size = 1;
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    /* the first answer keeps the connection; the next request on it is reset unanswered */
    peer_script(&p, "a", "[{}, {\"reset\":\"before_headers\"}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(s.attempts, 1);
    assert_int_equal(peer_count(&p, "a"), 2);      /* not 3: nothing resent behind the loop */
    peer_stop(&p);
}

/*
 * LiteLLM #6011, #4387 (no delay after a 429, Anthropic retry-after unused);
 * earendil-works/pi #9595 (Retry-After: 30 ignored, retried after 2 s).
 * Would catch: a retry sooner than the server's hint.
 */
static void test_litellm_6011_retry_after_is_waited_for(void **state)
{
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);
    peer_add(&p, "g", "a", "anthropic/claude-a", PEER_KEY_A, 0);
    peer_script(&p, "a", "[{\"status\":429,\"headers\":{\"retry-after\":\"2\"}}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.attempts, 2);
    assert_int_equal(s.trail[0].retry_after_ms, 2000);
    assert_true(s.trail[1].wait_us >= 2000000);
    assert_true(s.ms >= 2000.0);
    peer_stop(&p);
}

/*
 * DESIGN.md §5: a retry-after "from the *current* attempt". Would catch: a
 * hint remembered from an earlier attempt deciding a later wait or the
 * caller's retry_after_ms.
 */
static void test_retry_after_never_from_a_stale_attempt(void **state)
{
    llmgw_gateway_options o = peer_opts(2);
    peer p;
    shot s;

    (void)state;
    peer_start(&p, NULL);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    /* 1.5 s hint, then a 0 ms hint: the third attempt must not wait 1.5 s again */
    peer_script(&p, "a", "[{\"status\":429,\"headers\":{\"retry-after-ms\":\"1500\"}},"
                         "{\"status\":503,\"headers\":{\"retry-after-ms\":\"0\"}}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, 0);
    assert_int_equal(s.attempts, 3);
    assert_true(s.trail[1].wait_us >= 1500000);
    assert_int_equal(s.trail[1].retry_after_ms, 0);
    assert_true(s.trail[2].wait_us < 100000);
    peer_stop(&p);
    /* the caller's retry_after_ms comes from the last attempt, which had none */
    peer_start(&p, &o);
    peer_add(&p, "g", "a", "openai/gpt-a", PEER_KEY_A, 0);
    peer_script(&p, "a", "[{\"status\":429,\"headers\":{\"retry-after-ms\":\"200\"}},{\"status\":500}]");
    peer_call(&p, &s, "g", "hi", 0, 0);
    assert_int_equal(s.rc, LLMGW_EUNAVAILABLE);
    assert_int_equal(s.attempts, 2);
    assert_int_equal(s.retry_after_ms, -1);
    peer_stop(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_litellm_27610_connection_errors_open_the_breaker),
        cmocka_unit_test(test_litellm_34836_consecutive_500s_leave_rotation),
        cmocka_unit_test(test_litellm_34416_failed_fallbacks_cool_down),
        cmocka_unit_test(test_litellm_40130_reopen_keeps_the_later_deadline),
        cmocka_unit_test(test_litellm_4411_health_is_per_deployment),
        cmocka_unit_test(test_deltallm_247_retries_skip_cooled_and_expiry_restores),
        cmocka_unit_test(test_litellm_3646_only_deployment_open_fails_fast_with_retry_after),
        cmocka_unit_test(test_litellm_19985_fallback_does_not_reset_the_attempt_budget),
        cmocka_unit_test(test_portkey_165_401_fails_over_to_another_credential),
        cmocka_unit_test(test_litellm_7262_one_retry_layer),
        cmocka_unit_test(test_litellm_6011_retry_after_is_waited_for),
        cmocka_unit_test(test_retry_after_never_from_a_stale_attempt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
