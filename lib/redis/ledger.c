/*
 * lib/redis/ledger.c: the shared spend ledger: reserve on every budget of a
 * request atomically (all or none), settle, status. A reservation is a
 * lease that expires by itself, so a process that dies mid-request frees
 * what it held once its request's deadline has passed. Spend keys of a
 * daily or monthly period expire a day after the period ends. Budget
 * alerts are claimed in the settle script, once per threshold and period
 * for the whole fleet (a field "a:<ppm>" of the period's spend hash).
 */
#include "../core/common.h"
#include "internal.h"

#include <stdio.h>

#define MAX_MONEY ((long long)1 << 62)

static char scope_char(int scope)
{
    switch (scope) {
    case LLMGW_BUDGET_TAG:
        return 't';
    case LLMGW_BUDGET_GLOBAL:
        return 'g';                         /* every request; the name is the period's ("daily") */
    default:
        return 'c';
    }
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

/* "amount:ppm,amount:ppm": the alert thresholds of one budget, for the settle script. */
#define ALERT_ARG_MAX (LLMGW__SHARED_ALERTS_MAX * 32)

static void alert_arg(char *out, const llmgw__shared_budget *b)
{
    size_t i, used = 0;

    out[0] = '\0';
    for (i = 0; i < b->nalert && i < LLMGW__SHARED_ALERTS_MAX; i++) {
        int w = snprintf(out + used, ALERT_ARG_MAX - used, "%s%lld:%lu", i ? "," : "",
                         (long long)b->alert_amount[i], (unsigned long)b->alert_ppm[i]);
        if (w < 0 || (size_t)w >= ALERT_ARG_MAX - used)
            break;
        used += (size_t)w;
    }
}

int llmgw__shared_budget_settle(llmgw__shared *s, llmgw__shared_budget *b, size_t n, const char *lease,
                                int64_t amount, int64_t actual)
{
    llmgw__rargs *a;
    redisReply *r = NULL;
    char member[LLMGW__SHARED_LEASE_LEN + 24];
    char *alerts;
    long long sp, claimed, reached;
    uint32_t all;
    size_t i;
    int rc;

    for (i = 0; i < n; i++)
        b[i].spent_after = 0, b[i].reached = b[i].claimed = 0;
    if (s == NULL || n == 0 || n > 100 || lease == NULL || *lease == '\0')
        return LLMGW_EUNAVAILABLE;
    if ((alerts = llmgw__malloc(n * ALERT_ARG_MAX)) == NULL)
        return LLMGW_EUNAVAILABLE;
    if ((a = llmgw__rargs_new()) == NULL) {
        llmgw__free(alerts);
        return LLMGW_EUNAVAILABLE;
    }
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
    for (i = 0; i < n; i++) {
        alert_arg(alerts + i * ALERT_ARG_MAX, &b[i]);
        llmgw__rargs_addz(a, alerts + i * ALERT_ARG_MAX);
    }
    rc = llmgw__shared_eval(s, &r, LLMGW__SCRIPT_BUDGET_SETTLE, a, (int)(2 * n));
    llmgw__rargs_free(a);
    llmgw__free(alerts);
    if (rc < 0)
        return rc;
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 * n) {
        llmgw__rreply_free(r);
        return llmgw__shared_rejected(s);
    }
    for (i = 0; i < n; i++) {
        all = b[i].nalert >= 32 ? UINT32_MAX : ((uint32_t)1 << b[i].nalert) - 1;
        if (!llmgw__rreply_int(r->element[3 * i], -MAX_MONEY, MAX_MONEY, &sp) ||
            !llmgw__rreply_int(r->element[3 * i + 1], 0, all, &claimed) ||
            !llmgw__rreply_int(r->element[3 * i + 2], 0, all, &reached) || (claimed & ~reached) != 0) {
            for (i = 0; i < n; i++)
                b[i].spent_after = 0, b[i].reached = b[i].claimed = 0;
            llmgw__rreply_free(r);
            return llmgw__shared_rejected(s);
        }
        b[i].spent_after = sp > 0 ? sp : 0;
        b[i].claimed = (uint32_t)claimed;
        b[i].reached = (uint32_t)reached;
    }
    llmgw__rreply_free(r);
    return 0;
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
