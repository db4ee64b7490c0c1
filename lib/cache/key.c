/*
 * lib/cache/key.c: the cache key and the canonical request it covers.
 *
 * Deny by default (docs/resilience.md §d.5): every member of the request
 * body, at every depth, is in the key, except the top-level members in
 * `excluded` below, which do not change the answer. A field added to the
 * request tomorrow changes the key without a change here. The canonical
 * text sorts object members by key (bytewise; duplicate keys keep their
 * order, since providers disagree on which one wins), normalizes numbers
 * (jsonout.c) and has no whitespace, so member order, spacing and the
 * spelling of a number (1, 1.0, 1e0) never change the key.
 *
 * The key hashes the canonical text as it is written: no copy of the
 * request is made unless an object has more than SMALL_OBJECT members.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/hash.h"
#include "../core/json.h"
#include "../core/request.h"
#include "cache.h"
#include "canon.h"
#include "jsonout.h"

#include <stdlib.h>

#define KEY_FORMAT_VERSION 1
#define MAX_DEPTH          256
#define SMALL_OBJECT       16

/*
 * Top-level members that never change the answer: OpenAI's end-user id and
 * stored-completion metadata, and the streaming switches (a streamed answer
 * is cached once complete and replays either way). Caller metadata (the
 * "llmgw" object: customer, tags, trace id, metadata) and the cache
 * controls never reach the body.
 */
static const char *const excluded[] = { "user", "metadata", "stream", "stream_options" };

static const char request_tag[] = "llmgw.cache.request";     /* NUL included when hashed */
static const char key_tag[] = "llmgw.cache.key";
static const char credential_tag[] = "llmgw.cache.credential";

typedef struct member {
    const cJSON *item;
    size_t       idx;
} member;

static bool is_excluded(const char *k)
{
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(excluded); i++)
        if (strcmp(k, excluded[i]) == 0)
            return true;
    return false;
}

static int cmp_member(const void *a, const void *b)
{
    const member *x = a, *y = b;
    int c = strcmp(x->item->string, y->item->string);   /* compares as unsigned char */

    if (c != 0)
        return c;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

static void sort_members(member *m, size_t n)
{
    size_t i, j;

    if (n > SMALL_OBJECT) {
        qsort(m, n, sizeof(*m), cmp_member);
        return;
    }
    for (i = 1; i < n; i++) {
        member t = m[i];
        for (j = i; j > 0 && cmp_member(&m[j - 1], &t) > 0; j--)
            m[j] = m[j - 1];
        m[j] = t;
    }
}

static int canon(llmgw__jout *o, const cJSON *it, int depth, bool top);

static int canon_object(llmgw__jout *o, const cJSON *obj, int depth, bool top)
{
    member small[SMALL_OBJECT], *m = small;
    const cJSON *c;
    size_t count = 0, n = 0, i;
    int rc = 0;

    for (c = obj->child; c != NULL; c = c->next) {
        if (c->string == NULL)
            return LLMGW_EINVAL;
        count++;
    }
    if (count > SMALL_OBJECT) {
        m = llmgw__reallocarray(NULL, count, sizeof(*m));
        if (m == NULL)
            return LLMGW_ENOMEM;
    }
    for (c = obj->child; c != NULL; c = c->next) {
        if (top && is_excluded(c->string))
            continue;
        m[n].item = c;
        m[n].idx = n;
        n++;
    }
    sort_members(m, n);
    llmgw__jout_putc(o, '{');
    for (i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            llmgw__jout_putc(o, ',');
        llmgw__canon_string(o, m[i].item->string);
        llmgw__jout_putc(o, ':');
        rc = canon(o, m[i].item, depth + 1, false);
    }
    llmgw__jout_putc(o, '}');
    if (m != small)
        llmgw__free(m);
    return rc;
}

static int canon(llmgw__jout *o, const cJSON *it, int depth, bool top)
{
    const cJSON *c;
    int rc = 0;

    if (depth > MAX_DEPTH)
        return LLMGW_EINVAL;
    switch (it->type & 0xFF) {
    case cJSON_NULL:
        llmgw__jout_put(o, "null", 4);
        return 0;
    case cJSON_False:
        llmgw__jout_put(o, "false", 5);
        return 0;
    case cJSON_True:
        llmgw__jout_put(o, "true", 4);
        return 0;
    case cJSON_Number:
        llmgw__canon_number(o, it->valuedouble);
        return o->err;
    case cJSON_String:
        if (it->valuestring == NULL)
            return LLMGW_EINVAL;
        llmgw__canon_string(o, it->valuestring);
        return 0;
    case cJSON_Array:
        llmgw__jout_putc(o, '[');
        for (c = it->child; c != NULL && rc == 0; c = c->next) {
            if (c != it->child)
                llmgw__jout_putc(o, ',');
            rc = canon(o, c, depth + 1, false);
        }
        llmgw__jout_putc(o, ']');
        return rc;
    case cJSON_Object:
        return canon_object(o, it, depth, top);
    default:                        /* cJSON_Raw, cJSON_Invalid: no canonical form */
        return LLMGW_EINVAL;
    }
}

static int canon_error(int rc)
{
    if (rc == LLMGW_ENOMEM)
        return llmgw__error_oom();
    return llmgw__error_setc(rc, LLMGW_ERRCLASS_BAD_REQUEST,
                             "the request has no canonical form for the cache (NaN, raw JSON or nesting)");
}

int llmgw__cache_canonical(llmgw_buf *out, const llmgw_request *req)
{
    llmgw__jout o;
    size_t before;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(llmgw__request_body(req));
    before = out->size;
    llmgw__jout_init_buf(&o, out);
    rc = canon(&o, llmgw__request_body(req), 0, true);
    if (llmgw__jout_finish(&o) < 0 && rc == 0)
        rc = o.err;
    if (rc < 0) {
        out->size = before;
        if (out->ptr != NULL)
            out->ptr[before] = '\0';
        return canon_error(rc);
    }
    return 0;
}

static void put_u64(llmgw__sha256_ctx *sha, uint64_t v)
{
    unsigned char b[8];
    int i;

    for (i = 7; i >= 0; i--) {
        b[i] = (unsigned char)(v & 0xFF);
        v >>= 8;
    }
    llmgw__sha256_update(sha, b, sizeof(b));
}

/* A presence byte, then length and bytes: NULL and "" differ, and no field runs into the next. */
static void put_field(llmgw__sha256_ctx *sha, const void *data, size_t len)
{
    unsigned char present = data != NULL;

    llmgw__sha256_update(sha, &present, 1);
    if (data == NULL)
        return;
    put_u64(sha, len);
    llmgw__sha256_update(sha, data, len);
}

static void put_str(llmgw__sha256_ctx *sha, const char *s)
{
    put_field(sha, s, s ? strlen(s) : 0);
}

/* HMAC-SHA256(secret, credential_tag NUL credential) (RFC 2104), with every secret byte wiped. */
static void credential_fingerprint(unsigned char out[LLMGW_SHA256_LEN], const llmgw__cache_scope *scope)
{
    const unsigned char *key = scope->fingerprint_secret;
    size_t key_len = scope->fingerprint_secret_len, i;
    unsigned char k0[64], pad[64], inner[LLMGW_SHA256_LEN];
    llmgw__sha256_ctx sha;

    if (key == NULL) {
        key = (const unsigned char *)credential_tag;
        key_len = sizeof(credential_tag) - 1;
    }
    memset(k0, 0, sizeof(k0));
    if (key_len > sizeof(k0))
        llmgw__sha256(key, key_len, k0);
    else
        memcpy(k0, key, key_len);
    for (i = 0; i < sizeof(pad); i++)
        pad[i] = (unsigned char)(k0[i] ^ 0x36);
    llmgw__sha256_init(&sha);
    llmgw__sha256_update(&sha, pad, sizeof(pad));
    llmgw__sha256_update(&sha, credential_tag, sizeof(credential_tag));
    llmgw__sha256_update(&sha, scope->credential_key, scope->credential_key_len);
    llmgw__sha256_final(&sha, inner);
    for (i = 0; i < sizeof(pad); i++)
        pad[i] = (unsigned char)(k0[i] ^ 0x5c);
    llmgw__sha256_init(&sha);
    llmgw__sha256_update(&sha, pad, sizeof(pad));
    llmgw__sha256_update(&sha, inner, sizeof(inner));
    llmgw__sha256_final(&sha, out);
    llmgw__zeroize(k0, sizeof(k0));
    llmgw__zeroize(pad, sizeof(pad));
    llmgw__zeroize(inner, sizeof(inner));
    llmgw__zeroize(&sha, sizeof(sha));
}

void llmgw__cache_key_scope(llmgw__sha256_ctx *sha, const llmgw__cache_scope *scope)
{
    unsigned char fp[LLMGW_SHA256_LEN];

    llmgw__sha256_init(sha);
    llmgw__sha256_update(sha, request_tag, sizeof(request_tag));
    put_u64(sha, KEY_FORMAT_VERSION);
    put_str(sha, scope->namespace_);
    put_str(sha, scope->group);
    put_str(sha, scope->deployments);
    if (scope->credential_key != NULL) {
        credential_fingerprint(fp, scope);
        put_field(sha, fp, sizeof(fp));
        llmgw__zeroize(fp, sizeof(fp));
    } else {
        put_field(sha, NULL, 0);
    }
}

int llmgw__cache_key_finish(char key_out[LLMGW__CACHE_KEY_LEN + 1], char digest_out[LLMGW__CACHE_KEY_LEN + 1],
                            llmgw__sha256_ctx *sha, const llmgw_request *req)
{
    unsigned char digest[LLMGW_SHA256_LEN], key[LLMGW_SHA256_LEN];
    unsigned char drop;
    llmgw__jout o;
    int rc;

    LLMGW_CHECK_ARG(key_out);
    key_out[0] = '\0';
    if (digest_out != NULL)
        digest_out[0] = '\0';
    LLMGW_CHECK_ARG(sha);
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(llmgw__request_body(req));
    drop = llmgw_request_drop_params(req) ? 1 : 0;    /* drop_params changes what is sent */
    llmgw__sha256_update(sha, &drop, 1);
    /* the canonical request is the last field, so it needs no length prefix */
    llmgw__jout_init_sha(&o, sha);
    rc = canon(&o, llmgw__request_body(req), 0, true);
    if (llmgw__jout_finish(&o) < 0 && rc == 0)
        rc = o.err;
    if (rc < 0)
        return canon_error(rc);
    llmgw__sha256_final(sha, digest);

    llmgw__sha256_init(sha);
    llmgw__sha256_update(sha, key_tag, sizeof(key_tag));
    llmgw__sha256_update(sha, digest, sizeof(digest));
    llmgw__sha256_final(sha, key);
    llmgw__hex(key_out, key, sizeof(key));
    if (digest_out != NULL)
        llmgw__hex(digest_out, digest, sizeof(digest));
    return 0;
}

int llmgw__cache_key(char key_out[LLMGW__CACHE_KEY_LEN + 1], char digest_out[LLMGW__CACHE_KEY_LEN + 1],
                     const llmgw_request *req, const llmgw__cache_scope *scope)
{
    llmgw__sha256_ctx sha;

    LLMGW_CHECK_ARG(key_out);
    key_out[0] = '\0';
    if (digest_out != NULL)
        digest_out[0] = '\0';
    LLMGW_CHECK_ARG(req);
    LLMGW_CHECK_ARG(scope);
    LLMGW_CHECK_ARG(llmgw__request_body(req));
    if (scope->credential_key == NULL && scope->credential_key_len != 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "cache scope: credential length without data");
    llmgw__cache_key_scope(&sha, scope);
    return llmgw__cache_key_finish(key_out, digest_out, &sha, req);
}
