/*
 * lib/redis/limits.c: per-deployment rpm / tpm windows and parallel-request
 * slots in Redis, and cooldowns (advisory circuit state).
 */
#include "../core/common.h"
#include "internal.h"

#include <limits.h>
#include <stdio.h>

#define MAX_WAIT_US   ((long long)LLMGW__REDIS_WINDOW_S * 1000000)
#define MAX_COUNT     ((long long)1 << 62)
#define MAX_COOLDOWN_MS (24LL * 3600 * 1000)

int llmgw__shared_rate_admit(llmgw__shared *s, const char *id, int64_t rpm, int64_t tpm, bool take,
                             llmgw__shared_rate *out)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    long long ok, wait, req, tok;
    int rc;

    memset(out, 0, sizeof(*out));
    if (s == NULL || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__rargs_eval(a);
    llmgw__rargs_key(a, s, "rl:%s", id);
    llmgw__rargs_addi(a, rpm > 0 ? rpm : 0);
    llmgw__rargs_addi(a, tpm > 0 ? tpm : 0);
    llmgw__rargs_addz(a, take ? "1" : "0");
    llmgw__rargs_addi(a, LLMGW__REDIS_WINDOW_S);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_RATE_ADMIT, a, 1);
    llmgw__rargs_free(a);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4 || !llmgw__rreply_int(r->element[0], 0, 1, &ok) ||
        !llmgw__rreply_int(r->element[1], 0, MAX_WAIT_US, &wait) ||
        !llmgw__rreply_int(r->element[2], 0, MAX_COUNT, &req) ||
        !llmgw__rreply_int(r->element[3], 0, MAX_COUNT, &tok)) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    llmgw__rreply_free(r);
    out->admitted = ok == 1;
    out->wait_us = ok == 1 ? 0 : (wait > 0 ? wait : 1);
    out->requests = (uint64_t)req;
    out->tokens = (uint64_t)tok;
    return 0;
}

int llmgw__shared_rate_tokens(llmgw__shared *s, const char *id, uint64_t tokens)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    int rc;

    if (s == NULL || tokens == 0 || tokens >= LLMGW_MAX_TOKENS_VALUE * 2 || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__rargs_eval(a);
    llmgw__rargs_key(a, s, "rl:%s", id);
    llmgw__rargs_addi(a, (int64_t)tokens);
    llmgw__rargs_addi(a, LLMGW__REDIS_WINDOW_S);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_RATE_TOKENS, a, 1);
    llmgw__rargs_free(a);
    llmgw__rreply_free(r);
    return rc;
}

int llmgw__shared_parallel_acquire(llmgw__shared *s, const char *id, int max, int64_t lease_ms,
                                   char lease[LLMGW__SHARED_LEASE_LEN])
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    long long ok;
    int rc;

    lease[0] = '\0';
    if (s == NULL || max <= 0 || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__shared_lease(s, lease);
    llmgw__rargs_eval(a);
    llmgw__rargs_key(a, s, "pl:%s", id);
    llmgw__rargs_addi(a, max);
    llmgw__rargs_addz(a, lease);
    llmgw__rargs_addi(a, lease_ms > 0 ? lease_ms : 1);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_PARALLEL_ACQUIRE, a, 1);
    llmgw__rargs_free(a);
    if (rc < 0) {
        lease[0] = '\0';
        return rc;
    }
    if (!llmgw__rreply_int(r, 0, 1, &ok)) {
        llmgw__rreply_free(r);
        lease[0] = '\0';
        return llmgw__shared_rejected(s);
    }
    llmgw__rreply_free(r);
    if (ok == 0)
        lease[0] = '\0';
    return (int)ok;
}

int llmgw__shared_parallel_release(llmgw__shared *s, const char *id, const char *lease)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    int rc;

    if (s == NULL || lease == NULL || *lease == '\0' || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__rargs_addz(a, "ZREM");
    llmgw__rargs_key(a, s, "pl:%s", id);
    llmgw__rargs_addz(a, lease);
    rc = llmgw__shared_command(s, &r, a);
    llmgw__rargs_free(a);
    llmgw__rreply_free(r);
    return rc;
}

/* ---- cooldowns ---- */

int llmgw__shared_cooldown_publish(llmgw__shared *s, const char *id, int64_t remaining_ms, int why)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    char value[32];
    int rc;

    if (s == NULL || remaining_ms <= 0 || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    snprintf(value, sizeof(value), "v1:%d", why);
    llmgw__rargs_eval(a);
    llmgw__rargs_key(a, s, "cd:%s", id);
    llmgw__rargs_addi(a, LLMGW_MIN(remaining_ms, MAX_COOLDOWN_MS));
    llmgw__rargs_addz(a, value);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_COOLDOWN_SET, a, 1);
    llmgw__rargs_free(a);
    llmgw__rreply_free(r);
    return rc;
}

/* "v1:<class>" with a known class (0 = breaker). */
static bool parse_cooldown(const redisReply *v, int *why)
{
    long long cls = 0;
    size_t i;

    if (v->type != REDIS_REPLY_STRING || v->len < 4 || v->len > 8 || memcmp(v->str, "v1:", 3) != 0)
        return false;
    for (i = 3; i < v->len; i++) {
        if (v->str[i] < '0' || v->str[i] > '9')
            return false;
        cls = cls * 10 + (v->str[i] - '0');
    }
    if (cls >= LLMGW_ERRCLASS__COUNT)
        return false;
    *why = (int)cls;
    return true;
}

int llmgw__shared_cooldown_read(llmgw__shared *s, const char *id, int64_t *remaining_ms, int *why)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    long long ttl;
    int rc;

    *remaining_ms = 0;
    *why = 0;
    if (s == NULL || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__rargs_eval(a);
    llmgw__rargs_key(a, s, "cd:%s", id);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_COOLDOWN_GET, a, 1);
    llmgw__rargs_free(a);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || (r->elements != 0 && r->elements != 2)) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    if (r->elements == 0) {
        llmgw__rreply_free(r);
        return 0;
    }
    /* a key with no TTL (-1) or one that just expired (-2) is no cooldown; a huge one is capped */
    if (!parse_cooldown(r->element[0], why) || !llmgw__rreply_int(r->element[1], -2, LLONG_MAX, &ttl)) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    llmgw__rreply_free(r);
    if (ttl <= 0)
        return 0;
    *remaining_ms = LLMGW_MIN(ttl, MAX_COOLDOWN_MS);
    return 1;
}
