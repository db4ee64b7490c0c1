/*
 * tests/cache/keyhelp.h: small helpers of the key tests (one user: test_key.c).
 */
#ifndef LLMGW_TESTS_KEYHELP_H
#define LLMGW_TESTS_KEYHELP_H

#include "unit.h"

#include "cache/cache.h"
#include "core/request.h"

/* Fewer rounds under valgrind (meson test --setup=valgrind sets LLMGW_UNDER_VALGRIND). */
static inline int iterations(int n)
{
    return getenv("LLMGW_UNDER_VALGRIND") != NULL ? (n / 20 > 0 ? n / 20 : 1) : n;
}

static const llmgw__cache_scope plain_scope = { "t", "g", "d", NULL, 0, NULL, 0 };

/* A request whose body is body (taken), without validation: the key covers whatever is there. */
static inline llmgw_request *req_of(cJSON *body)
{
    llmgw_request *r = NULL;

    assert_int_equal(llmgw_request_new(&r, "m"), 0);
    cJSON_Delete(r->body);
    r->body = body;
    return r;
}

static inline char *canon_of(const cJSON *body)
{
    llmgw_request *r = req_of(cJSON_Duplicate(body, 1));
    llmgw_buf out = LLMGW_BUF_INIT;
    char *s;

    assert_int_equal(llmgw__cache_canonical(&out, r), 0);
    s = strdup(out.ptr);
    assert_non_null(s);
    llmgw_buf_dispose(&out);
    llmgw_request_free(r);
    return s;
}

static inline char *canon_text(const char *json)
{
    cJSON *body = cJSON_Parse(json);
    char *s;

    assert_non_null(body);
    s = canon_of(body);
    cJSON_Delete(body);
    return s;
}

static inline void key_of_body(char key[LLMGW__CACHE_KEY_LEN + 1], const cJSON *body)
{
    llmgw_request *r = req_of(cJSON_Duplicate(body, 1));

    assert_int_equal(llmgw__cache_key(key, NULL, r, &plain_scope), 0);
    llmgw_request_free(r);
}

/* Key of JSON text parsed without validation; the result lives in one of 8 rotating slots. */
static inline const char *keyhex_text(const char *json)
{
    static char slots[8][LLMGW__CACHE_KEY_LEN + 1];
    static unsigned next;
    char *k = slots[next++ % 8];
    cJSON *body = cJSON_Parse(json);

    assert_non_null(body);
    key_of_body(k, body);
    cJSON_Delete(body);
    return k;
}

/* Key and digest of a request parsed by llmgw_request_from_json (validated); scope NULL: plain. */
static inline void key_digest_of_json(char *key, char *digest, const char *json, const llmgw__cache_scope *s)
{
    llmgw_request *r = NULL;
    char k[LLMGW__CACHE_KEY_LEN + 1];

    if (llmgw_request_from_json(&r, json, strlen(json)) != 0)
        fail_msg("%s: %s", json, llmgw_error_last()->message);
    assert_int_equal(llmgw__cache_key(key ? key : k, digest, r, s ? s : &plain_scope), 0);
    llmgw_request_free(r);
}

static inline void key_of_json(char *key, const char *json, const llmgw__cache_scope *s)
{
    key_digest_of_json(key, NULL, json, s);
}

static inline void digest_of_json(char *digest, const char *json, const llmgw__cache_scope *s)
{
    key_digest_of_json(NULL, digest, json, s);
}

#endif
