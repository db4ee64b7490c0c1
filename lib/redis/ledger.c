/*
 * lib/redis/ledger.c: the shared spend ledger: reserve on every budget of a
 * request atomically (all or none), settle, status. A reservation is a
 * lease that expires by itself, so a process that dies mid-request frees
 * what it held once its request's deadline has passed. Spend keys of a
 * daily or monthly period expire a day after the period ends.
 */
#include "../core/common.h"
#include "internal.h"

#include <stdio.h>

#define MAX_MONEY ((long long)1 << 62)

static char scope_char(int scope)
{
    return scope == LLMGW_BUDGET_TAG ? 't' : 'c';
}

static int64_t expire_at(const llmgw__shared_budget *b)
{
    switch (b->period) {
    case LLMGW_PERIOD_DAILY:
        return b->start + 2 * 86400;
    case LLMGW_PERIOD_MONTHLY:
        return b->start + 33 * 86400;       /* a month is at most 31 days, plus a day */
    default:
        return 0;                           /* total: kept */
    }
}

static void spend_key(llmgw__rargs *a, const llmgw__shared *s, const llmgw__shared_budget *b, int64_t start)
{
    llmgw__rargs_key(a, s, "bs:%c:%d:%lld:%s", scope_char(b->scope), b->period, (long long)start, b->name);
}

static void held_key(llmgw__rargs *a, const llmgw__shared *s, const llmgw__shared_budget *b, int64_t start)
{
    llmgw__rargs_key(a, s, "br:%c:%d:%lld:%s", scope_char(b->scope), b->period, (long long)start, b->name);
}

int llmgw__shared_budget_reserve(llmgw__shared *s, const llmgw__shared_budget *b, size_t n, int64_t amount,
                                 int64_t lease_ms, char lease[LLMGW__SHARED_LEASE_LEN], size_t *refused,
                                 int64_t *used)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    long long ok, idx, u;
    size_t i;
    int rc;

    lease[0] = '\0';
    *refused = 0;
    *used = 0;
    if (s == NULL || n == 0 || n > 100 || amount < 0 || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__shared_lease(s, lease);
    llmgw__rargs_eval(a);
    for (i = 0; i < n; i++)
        spend_key(a, s, &b[i], b[i].start);
    for (i = 0; i < n; i++)
        held_key(a, s, &b[i], b[i].start);
    llmgw__rargs_addi(a, amount);
    llmgw__rargs_addz(a, lease);
    llmgw__rargs_addi(a, lease_ms > 0 ? lease_ms : 1);
    for (i = 0; i < n; i++)
        llmgw__rargs_addi(a, b[i].limit);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_BUDGET_RESERVE, a, (int)(2 * n));
    llmgw__rargs_free(a);
    if (rc < 0) {
        lease[0] = '\0';
        return rc;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || !llmgw__rreply_int(r->element[0], 0, 1, &ok) ||
        !llmgw__rreply_int(r->element[1], 0, (long long)n - 1, &idx) ||
        !llmgw__rreply_int(r->element[2], 0, MAX_MONEY, &u)) {
        llmgw__rreply_free(r);
        lease[0] = '\0';
        return llmgw__shared_rejected(s);
    }
    llmgw__rreply_free(r);
    if (ok == 0) {
        lease[0] = '\0';
        *refused = (size_t)idx;
        *used = u;
        return 0;
    }
    return 1;
}

int llmgw__shared_budget_settle(llmgw__shared *s, const llmgw__shared_budget *b, size_t n, const char *lease,
                                int64_t amount, int64_t actual)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    char member[LLMGW__SHARED_LEASE_LEN + 24];
    size_t i;
    int rc;

    if (s == NULL || n == 0 || n > 100 || lease == NULL || *lease == '\0' || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    snprintf(member, sizeof(member), "%s|%lld", lease, (long long)(amount > 0 ? amount : 0));
    llmgw__rargs_eval(a);
    for (i = 0; i < n; i++)
        spend_key(a, s, &b[i], b[i].start);
    for (i = 0; i < n; i++)
        held_key(a, s, &b[i], b[i].held_start);
    llmgw__rargs_addz(a, member);
    llmgw__rargs_addi(a, actual > 0 ? actual : 0);
    for (i = 0; i < n; i++)
        llmgw__rargs_addi(a, expire_at(&b[i]));
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_BUDGET_SETTLE, a, (int)(2 * n));
    llmgw__rargs_free(a);
    llmgw__rreply_free(r);
    return rc;
}

int llmgw__shared_budget_status(llmgw__shared *s, const llmgw__shared_budget *b, int64_t *spent, int64_t *reserved)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    long long sp, held;
    int rc;

    if (s == NULL || (a = llmgw__rargs_new()) == NULL)
        return LLMGW_EUNAVAILABLE;
    llmgw__rargs_eval(a);
    spend_key(a, s, b, b->start);
    held_key(a, s, b, b->start);
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_BUDGET_STATUS, a, 2);
    llmgw__rargs_free(a);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !llmgw__rreply_strint(r->element[0], 0, MAX_MONEY, &sp) ||
        !llmgw__rreply_int(r->element[1], 0, MAX_MONEY, &held)) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    llmgw__rreply_free(r);
    *spent = sp;
    *reserved = held;
    return 0;
}
