/*
 * tests/cache/test_entry.c: cache entries (lib/cache/entry.c). The round
 * trip is exact; a value from a backend is untrusted, so every truncation,
 * a corpus of corrupted values and byte-level damage are a miss or a valid
 * entry, never a crash (this test runs under ASan in CI); a wrong digest is
 * a miss.
 */
#include "unit.h"

#include "cache/cache.h"
#include "core/buf.h"
#include "reqgen.h"

#define DIGEST  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST2 "1123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *const pieces[] = {
    "a", "Hello, world. ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f", "\x7f", "\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac",
    "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "{\"city\":\"Par\xc3\xad\x73\"}", "}", "]", "0",
};

static void rand_text(llmgw_buf *b, rng *r, uint32_t max)
{
    uint32_t i, n = rng_below(r, max + 1);

    for (i = 0; i < n; i++)
        assert_int_equal(llmgw__buf_puts(b, pieces[rng_below(r, LLMGW_ARRAY_SIZE(pieces))]), 0);
}

static char *rand_name(rng *r)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    if (rng_below(r, 4) == 0)
        return NULL;
    rand_text(&b, r, 3);
    if (b.ptr == NULL)
        return strdup("");
    return b.ptr;       /* llmgw__malloc is malloc: free() and llmgw__free() agree */
}

static void rand_entry(llmgw__cache_entry *e, rng *r)
{
    llmgw__answer *a = &e->answer;
    size_t i;

    memset(e, 0, sizeof(*e));
    rand_text(&a->text, r, 20);
    if (rng_below(r, 3) == 0)
        rand_text(&a->reasoning, r, 10);
    a->ncalls = rng_below(r, 3) == 0 ? 1 + rng_below(r, 4) : 0;
    a->calls = a->ncalls ? calloc(a->ncalls, sizeof(*a->calls)) : NULL;
    for (i = 0; i < a->ncalls; i++) {
        a->calls[i].id = rand_name(r);
        a->calls[i].name = rand_name(r);
        rand_text(&a->calls[i].args, r, 6);
    }
    a->finish = (int)rng_below(r, LLMGW_FINISH_OTHER + 1);
    a->finish_raw = rand_name(r);
    a->id = rand_name(r);
    a->model = rand_name(r);
    a->usage_set = rng_below(r, 4) != 0;
    if (a->usage_set) {
        a->usage.input_tokens = rng_next(r) % LLMGW_MAX_TOKENS_VALUE;
        a->usage.output_tokens = rng_below(r, 100000);
        a->usage.cache_read_tokens = rng_below(r, 3) ? 0 : LLMGW_MAX_TOKENS_VALUE - 1;
        a->usage.cache_creation_tokens = rng_below(r, 1000);
        a->usage.reasoning_tokens = rng_below(r, 1000);
    }
    e->provider = rand_name(r);
    e->deployment = rand_name(r);
    e->cost_nusd = rng_below(r, 3) == 0 ? -1 : (int64_t)(rng_next(r) >> 11);
    e->created_ms = (int64_t)(rng_next(r) >> 11);
}

static void assert_str_same(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_buf_same(const llmgw_buf *a, const llmgw_buf *b)
{
    assert_int_equal(a->size, b->size);
    if (a->size)
        assert_memory_equal(a->ptr, b->ptr, a->size);
}

static void assert_entry_same(const llmgw__cache_entry *x, const llmgw__cache_entry *y)
{
    const llmgw__answer *a = &x->answer, *b = &y->answer;
    size_t i;

    assert_buf_same(&a->text, &b->text);
    assert_buf_same(&a->reasoning, &b->reasoning);
    assert_int_equal(a->ncalls, b->ncalls);
    for (i = 0; i < a->ncalls; i++) {
        assert_str_same(a->calls[i].id, b->calls[i].id);
        assert_str_same(a->calls[i].name, b->calls[i].name);
        assert_buf_same(&a->calls[i].args, &b->calls[i].args);
    }
    assert_int_equal(a->finish, b->finish);
    assert_str_same(a->finish_raw, b->finish_raw);
    assert_str_same(a->id, b->id);
    assert_str_same(a->model, b->model);
    assert_int_equal(a->usage_set, b->usage_set);
    assert_memory_equal(&a->usage, &b->usage, sizeof(a->usage));
    assert_str_same(x->provider, y->provider);
    assert_str_same(x->deployment, y->deployment);
    assert_int_equal(x->cost_nusd, y->cost_nusd);
    assert_int_equal(x->created_ms, y->created_ms);
}

/* Decode from an exact-size copy, so ASan sees any read past the end. */
static int decode_exact(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    char *copy = unit_exact_copy(value, len);
    int rc = llmgw__cache_entry_decode(out, copy, len, digest);

    free(copy);
    return rc;
}

static void round_trip(const llmgw__cache_entry *e)
{
    llmgw_buf v1 = LLMGW_BUF_INIT, v2 = LLMGW_BUF_INIT;
    llmgw__cache_entry back;

    assert_int_equal(llmgw__cache_entry_encode(&v1, e, DIGEST), 0);
    assert_int_equal(decode_exact(&back, v1.ptr, v1.size, DIGEST), 0);
    assert_entry_same(e, &back);
    assert_int_equal(llmgw__cache_entry_encode(&v2, &back, DIGEST), 0);
    assert_string_equal(v1.ptr, v2.ptr);
    llmgw__cache_entry_dispose(&back);
    llmgw_buf_dispose(&v1);
    llmgw_buf_dispose(&v2);
}

static void test_round_trip_fixed(void **state)
{
    llmgw__cache_entry e;
    llmgw__tool_call calls[2];
    llmgw_buf value = LLMGW_BUF_INIT;

    (void)state;
    memset(&e, 0, sizeof(e));
    e.cost_nusd = -1;
    round_trip(&e);                                     /* nothing at all */
    assert_int_equal(llmgw__buf_puts(&e.answer.text, "Bonjour \xe2\x80\x94 \xf0\x9f\x98\x80 \"q\" \\ \x01"), 0);
    assert_int_equal(llmgw__buf_puts(&e.answer.reasoning, "think \xe6\x97\xa5\xe6\x9c\xac"), 0);
    memset(calls, 0, sizeof(calls));
    calls[0].id = "call_1";
    calls[0].name = "get_weather";
    assert_int_equal(llmgw__buf_puts(&calls[0].args, "{\"city\":\"Paris\"}"), 0);
    e.answer.calls = calls;
    e.answer.ncalls = 2;                                /* the second: no id, no name, no arguments */
    e.answer.finish = LLMGW_FINISH_OTHER;
    e.answer.finish_raw = "end_turn";
    e.answer.id = "chatcmpl-1";
    e.answer.model = "gpt-4o-2024-08-06";
    e.answer.usage_set = true;
    e.answer.usage.input_tokens = LLMGW_MAX_TOKENS_VALUE - 1;
    e.answer.usage.output_tokens = 7;
    e.provider = "openai";
    e.deployment = "";
    e.cost_nusd = 9007199254740992LL;
    e.created_ms = 1718000000123LL;
    round_trip(&e);
    assert_int_equal(llmgw__cache_entry_encode(&value, &e, DIGEST), 0);
    assert_string_equal(value.ptr,
        "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1718000000123,\"c\":9007199254740992,\"f\":5,\"fr\":\"end_turn\","
        "\"p\":\"openai\",\"dp\":\"\",\"id\":\"chatcmpl-1\",\"m\":\"gpt-4o-2024-08-06\","
        "\"x\":\"Bonjour \xe2\x80\x94 \xf0\x9f\x98\x80 \\\"q\\\" \\\\ \\u0001\","
        "\"r\":\"think \xe6\x97\xa5\xe6\x9c\xac\","
        "\"tc\":[[\"call_1\",\"get_weather\",\"{\\\"city\\\":\\\"Paris\\\"}\"],[null,null,\"\"]],"
        "\"u\":[1099511627775,7,0,0,0]}");
    llmgw_buf_dispose(&value);
    llmgw_buf_dispose(&e.answer.text);
    llmgw_buf_dispose(&e.answer.reasoning);
    llmgw_buf_dispose(&calls[0].args);
}

static void test_round_trip_random(void **state)
{
    rng r = { 1234 };
    int i;

    (void)state;
    for (i = 0; i < 2000; i++) {
        llmgw__cache_entry e;
        rand_entry(&e, &r);
        round_trip(&e);
        llmgw__cache_entry_dispose(&e);
    }
}

static void test_wrong_digest(void **state)
{
    llmgw__cache_entry e, back;
    llmgw_buf v = LLMGW_BUF_INIT;

    (void)state;
    memset(&e, 0, sizeof(e));
    assert_int_equal(llmgw__buf_puts(&e.answer.text, "x"), 0);
    assert_int_equal(llmgw__cache_entry_encode(&v, &e, DIGEST), 0);
    assert_int_equal(llmgw__cache_entry_decode(&back, v.ptr, v.size, DIGEST2), LLMGW_ENOTFOUND);
    assert_null(back.answer.text.ptr);
    assert_int_equal(llmgw__cache_entry_decode(&back, v.ptr, v.size, "0123"), LLMGW_EINVAL);
    assert_int_equal(llmgw__cache_entry_decode(&back, v.ptr, v.size,
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"), LLMGW_EINVAL);
    assert_int_equal(llmgw__cache_entry_encode(&v, &e, "0123"), LLMGW_EINVAL);
    assert_int_equal(llmgw__cache_entry_decode(&back, NULL, 5, DIGEST), LLMGW_ENOTFOUND);
    llmgw_buf_dispose(&v);
    llmgw__cache_entry_dispose(&e);
}

static void test_truncations(void **state)
{
    rng r = { 42 };
    int i;

    (void)state;
    for (i = 0; i < 20; i++) {
        llmgw__cache_entry e, back;
        llmgw_buf v = LLMGW_BUF_INIT;
        size_t len;
        rand_entry(&e, &r);
        assert_int_equal(llmgw__cache_entry_encode(&v, &e, DIGEST), 0);
        for (len = 0; len < v.size; len++)
            assert_int_equal(decode_exact(&back, v.ptr, len, DIGEST), LLMGW_ENOTFOUND);
        assert_int_equal(decode_exact(&back, v.ptr, v.size, DIGEST), 0);
        llmgw__cache_entry_dispose(&back);
        llmgw_buf_dispose(&v);
        llmgw__cache_entry_dispose(&e);
    }
}

#define H "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1"

static const char *const corrupt[] = {
    "", "{}", "[]", "null", "1", "\"x\"", "{\"v\":1}", H "", H "}x", H "}{}", H ",}",
    "{\"v\":2,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":1.5,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":\"1\",\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1}", "{\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"t\":1,\"c\":-1,\"f\":1}", "{\"v\":1,\"d\":\"" DIGEST "\",\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"f\":1}", "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1}",
    "{\"v\":1,\"d\":\"" DIGEST2 "\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\",\"t\":1,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":12,\"t\":1,\"c\":-1,\"f\":1}", "{\"v\":1,\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1}",
    H ",\"zz\":1}", H ",\"x\":\"a\",\"x\":\"b\"}", H ",\"V\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":-1,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1.5,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1e300,\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":\"1\",\"c\":-1,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-2,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":1e999,\"f\":1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":6}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":-1}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":1.5}",
    "{\"v\":1,\"d\":\"" DIGEST "\",\"t\":1,\"c\":-1,\"f\":null}",
    H ",\"x\":1}", H ",\"x\":null}", H ",\"x\":\"\\u0000a\"}", H ",\"x\":\"a\\ud800\"}", H ",\"x\":\"\\udc00\"}",
    H ",\"x\":\"\xff\"}", H ",\"x\":\"\xc0\xaf\"}", H ",\"x\":\"\xed\xa0\x80\"}", H ",\"x\":\"\xf4\x90\x80\x80\"}",
    H ",\"r\":[\"a\"]}", H ",\"p\":1}", H ",\"m\":{}}", H ",\"id\":true}", H ",\"fr\":\"\xe2\x82\"}",
    H ",\"tc\":[]}", H ",\"tc\":{}}", H ",\"tc\":\"x\"}", H ",\"tc\":[[\"a\",\"b\"]]}",
    H ",\"tc\":[[\"a\",\"b\",\"c\",\"d\"]]}",
    H ",\"tc\":[[1,\"b\",\"c\"]]}", H ",\"tc\":[[\"a\",\"b\",null]]}", H ",\"tc\":[[\"a\",\"b\",1]]}",
    H ",\"tc\":[[null,null,\"\xff\"]]}", H ",\"tc\":[{\"i\":\"a\"}]}", H ",\"tc\":[[\"a\",\"b\",\"c\"],7]}",
    H ",\"u\":[1,2,3,4]}", H ",\"u\":[1,2,3,4,5,6]}", H ",\"u\":[-1,0,0,0,0]}", H ",\"u\":[1099511627776,0,0,0,0]}",
    H ",\"u\":[1.5,0,0,0,0]}", H ",\"u\":[1e999,0,0,0,0]}", H ",\"u\":{\"a\":1}}", H ",\"u\":[\"1\",0,0,0,0]}",
    H ",\"u\":null}",
};

static void test_corrupt_corpus(void **state)
{
    llmgw__cache_entry back;
    llmgw_buf big = LLMGW_BUF_INIT;
    size_t i;
    static const char nul[] = H ",\"x\":\"a\0b\"}";

    (void)state;
    assert_int_equal(decode_exact(&back, H ",\"x\":\"ok\"}", strlen(H ",\"x\":\"ok\"}"), DIGEST), 0);  /* sanity */
    assert_string_equal(back.answer.text.ptr, "ok");
    llmgw__cache_entry_dispose(&back);
    for (i = 0; i < LLMGW_ARRAY_SIZE(corrupt); i++) {
        int rc = decode_exact(&back, corrupt[i], strlen(corrupt[i]), DIGEST);
        if (rc != LLMGW_ENOTFOUND)
            fail_msg("corpus %zu decoded (%d): %s", i, rc, corrupt[i]);
        assert_null(back.answer.text.ptr);
        assert_null(back.provider);
    }
    assert_int_equal(decode_exact(&back, nul, sizeof(nul) - 1, DIGEST), LLMGW_ENOTFOUND);   /* raw NUL byte */
    /* nested past the JSON depth limit */
    assert_int_equal(llmgw__buf_puts(&big, H ",\"x\":"), 0);
    for (i = 0; i < 200; i++)
        assert_int_equal(llmgw__buf_putc(&big, '['), 0);
    for (i = 0; i < 200; i++)
        assert_int_equal(llmgw__buf_putc(&big, ']'), 0);
    assert_int_equal(llmgw__buf_puts(&big, "}"), 0);
    assert_int_equal(decode_exact(&back, big.ptr, big.size, DIGEST), LLMGW_ENOTFOUND);
    llmgw__buf_clear(&big);
    /* limits: a name of 1025 bytes, 129 tool calls, arguments over 1 MiB, a value over 8 MiB */
    assert_int_equal(llmgw__buf_puts(&big, H ",\"p\":\""), 0);
    for (i = 0; i < LLMGW__CACHE_MAX_NAME + 1; i++)
        assert_int_equal(llmgw__buf_putc(&big, 'a'), 0);
    assert_int_equal(llmgw__buf_puts(&big, "\"}"), 0);
    assert_int_equal(decode_exact(&back, big.ptr, big.size, DIGEST), LLMGW_ENOTFOUND);
    llmgw__buf_clear(&big);
    assert_int_equal(llmgw__buf_puts(&big, H ",\"tc\":["), 0);
    for (i = 0; i <= LLMGW__MAX_TOOL_CALLS; i++)
        assert_int_equal(llmgw__buf_puts(&big, i ? ",[null,null,\"\"]" : "[null,null,\"\"]"), 0);
    assert_int_equal(llmgw__buf_puts(&big, "]}"), 0);
    assert_int_equal(decode_exact(&back, big.ptr, big.size, DIGEST), LLMGW_ENOTFOUND);
    llmgw__buf_clear(&big);
    assert_int_equal(llmgw__buf_puts(&big, H ",\"tc\":[[null,null,\""), 0);
    for (i = 0; i < LLMGW__MAX_TOOL_ARGS + 1; i++)
        assert_int_equal(llmgw__buf_putc(&big, 'a'), 0);
    assert_int_equal(llmgw__buf_puts(&big, "\"]]}"), 0);
    assert_int_equal(decode_exact(&back, big.ptr, big.size, DIGEST), LLMGW_ENOTFOUND);
    llmgw__buf_clear(&big);
    assert_int_equal(llmgw__buf_puts(&big, H ",\"x\":\""), 0);
    for (i = 0; i < LLMGW__CACHE_ENTRY_MAX_BYTES; i++)
        assert_int_equal(llmgw__buf_putc(&big, 'a'), 0);
    assert_int_equal(llmgw__buf_puts(&big, "\"}"), 0);
    assert_int_equal(llmgw__cache_entry_decode(&back, big.ptr, big.size, DIGEST), LLMGW_ENOTFOUND);
    llmgw_buf_dispose(&big);
}

/* Every byte replaced by a few troublemakers: a miss or a valid entry, nothing else. */
static void test_byte_damage(void **state)
{
    static const char bad[] = { '\0', '"', '}', '\\', '\xff', '9', '-', '[', 'e' };
    rng r = { 7 };
    int i;

    (void)state;
    for (i = 0; i < 6; i++) {
        llmgw__cache_entry e, back;
        llmgw_buf v = LLMGW_BUF_INIT;
        size_t at, b;
        rand_entry(&e, &r);
        assert_int_equal(llmgw__cache_entry_encode(&v, &e, DIGEST), 0);
        for (at = 0; at < v.size; at++) {
            char *copy = unit_exact_copy(v.ptr, v.size);
            for (b = 0; b < sizeof(bad); b++) {
                int rc;
                copy[at] = bad[b];
                rc = llmgw__cache_entry_decode(&back, copy, v.size, DIGEST);
                assert_true(rc == 0 || rc == LLMGW_ENOTFOUND);
                llmgw__cache_entry_dispose(&back);
            }
            free(copy);
        }
        llmgw_buf_dispose(&v);
        llmgw__cache_entry_dispose(&e);
    }
}

/* Nothing worth storing is refused at encode time, and out is left as it was. */
static void test_encode_refuses(void **state)
{
    llmgw__cache_entry e;
    llmgw_buf out = LLMGW_BUF_INIT;
    llmgw__tool_call many[LLMGW__MAX_TOOL_CALLS + 1];

    (void)state;
    assert_int_equal(llmgw__buf_puts(&out, "prefix"), 0);
    memset(&e, 0, sizeof(e));
    assert_int_equal(llmgw__buf_put(&e.answer.text, "a\xff", 2), 0);
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    assert_int_equal(llmgw__buf_set(&e.answer.text, "a\0b", 3), 0);
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    assert_int_equal(llmgw__buf_set(&e.answer.text, "ok", 2), 0);
    e.answer.usage_set = true;
    e.answer.usage.reasoning_tokens = LLMGW_MAX_TOKENS_VALUE;
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    e.answer.usage.reasoning_tokens = 0;
    e.answer.finish = 99;
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    e.answer.finish = 0;
    e.cost_nusd = -2;
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    e.cost_nusd = 0;
    e.created_ms = -1;
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    e.created_ms = 0;
    memset(many, 0, sizeof(many));
    e.answer.calls = many;
    e.answer.ncalls = LLMGW_ARRAY_SIZE(many);
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    e.answer.ncalls = 1;
    many[0].name = "bad\xc3";
    assert_int_equal(llmgw__cache_entry_encode(&out, &e, DIGEST), LLMGW_EINVAL);
    assert_string_equal(out.ptr, "prefix");
    assert_int_equal(out.size, 6);
    e.answer.calls = NULL;
    e.answer.ncalls = 0;
    llmgw__cache_entry_dispose(&e);
    llmgw_buf_dispose(&out);
}

/* Every failed allocation in encode or decode is ENOMEM (or a success), with nothing leaked. */
static void test_oom(void **state)
{
    rng r = { 3 };
    llmgw__cache_entry e, back;
    llmgw_buf v = LLMGW_BUF_INIT;
    unsigned long nth;

    (void)state;
    memset(&e, 0, sizeof(e));
    do {
        llmgw__cache_entry_dispose(&e);
        rand_entry(&e, &r);
    } while (e.answer.ncalls == 0 || e.provider == NULL);
    assert_int_equal(llmgw__cache_entry_encode(&v, &e, DIGEST), 0);
    for (nth = 1; nth < 60; nth++) {
        llmgw_buf w = LLMGW_BUF_INIT;
        int rc1, rc2;
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_PERSISTENT);
        rc1 = llmgw__cache_entry_decode(&back, v.ptr, v.size, DIGEST);
        llmgw__alloc_fail_at(nth, LLMGW__ALLOC_PERSISTENT);
        rc2 = llmgw__cache_entry_encode(&w, &e, DIGEST);
        llmgw__alloc_fail_at(0, 0);
        assert_true(rc1 == 0 || rc1 == LLMGW_ENOMEM || rc1 == LLMGW_ENOTFOUND);   /* cJSON's own parse may fail */
        assert_true(rc2 == 0 || rc2 == LLMGW_ENOMEM);
        if (rc1 == 0)
            assert_entry_same(&e, &back);
        else
            assert_null(back.provider);
        llmgw__cache_entry_dispose(&back);
        llmgw_buf_dispose(&w);
    }
    llmgw_buf_dispose(&v);
    llmgw__cache_entry_dispose(&e);
}

/* Key, digest, entry, LRU and back; a backend that answers with another request's value is a miss. */
static void test_through_lru(void **state)
{
    llmgw__cache_scope scope = { "t", "g", "d", NULL, 0, NULL, 0 };
    char ka[LLMGW__CACHE_KEY_LEN + 1], da[LLMGW__CACHE_KEY_LEN + 1];
    char kb[LLMGW__CACHE_KEY_LEN + 1], db[LLMGW__CACHE_KEY_LEN + 1];
    llmgw_request *a = NULL, *b = NULL;
    llmgw_buf v = LLMGW_BUF_INIT, got = LLMGW_BUF_INIT;
    llmgw__cache_entry e, back;
    void *lru = NULL;

    (void)state;
    assert_int_equal(llmgw_request_new(&a, "gemini-1.5-flash"), 0);
    assert_int_equal(llmgw_request_add_message(a, LLMGW_ROLE_USER, "hi"), 0);
    assert_int_equal(llmgw_request_new(&b, "gemini-1.5-pro"), 0);
    assert_int_equal(llmgw_request_add_message(b, LLMGW_ROLE_USER, "hi"), 0);
    assert_int_equal(llmgw__cache_key(ka, da, a, &scope), 0);
    assert_int_equal(llmgw__cache_key(kb, db, b, &scope), 0);
    memset(&e, 0, sizeof(e));
    assert_int_equal(llmgw__buf_puts(&e.answer.text, "flash says hi"), 0);
    assert_int_equal(llmgw__cache_entry_encode(&v, &e, da), 0);
    assert_int_equal(llmgw__lru_new(&lru, NULL, NULL, NULL), 0);
    assert_int_equal(llmgw__lru_backend.put(lru, ka, v.ptr, v.size, 60000), 0);
    assert_int_equal(llmgw__lru_backend.put(lru, kb, v.ptr, v.size, 60000), 0);   /* a confused backend */
    assert_int_equal(llmgw__lru_backend.get(&got, lru, ka), 0);
    assert_int_equal(llmgw__cache_entry_decode(&back, got.ptr, got.size, da), 0);
    assert_string_equal(back.answer.text.ptr, "flash says hi");
    llmgw__cache_entry_dispose(&back);
    assert_int_equal(llmgw__lru_backend.get(&got, lru, kb), 0);
    assert_int_equal(llmgw__cache_entry_decode(&back, got.ptr, got.size, db), LLMGW_ENOTFOUND);
    llmgw__lru_backend.destroy(lru);
    llmgw_buf_dispose(&v);
    llmgw_buf_dispose(&got);
    llmgw__cache_entry_dispose(&e);
    llmgw_request_free(a);
    llmgw_request_free(b);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_round_trip_fixed), cmocka_unit_test(test_round_trip_random),
        cmocka_unit_test(test_wrong_digest),     cmocka_unit_test(test_truncations),
        cmocka_unit_test(test_corrupt_corpus),   cmocka_unit_test(test_byte_damage),
        cmocka_unit_test(test_encode_refuses),   cmocka_unit_test(test_oom),
        cmocka_unit_test(test_through_lru),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
