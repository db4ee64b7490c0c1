/*
 * lib/core/cache_step.c: the executor's use of the response cache (DESIGN.md
 * §1 steps 3 and 8, §6; docs/resilience.md §d.5). The key covers the
 * canonical request, the tenant namespace, the resolved group, a digest of
 * its deployments and a keyed digest of their credentials; a hit settles at
 * cost 0 with the saved cost, and a streamed request gets the answer
 * replayed through its sink as deltas. Only complete answers with a terminal
 * finish reason are stored. The cache never fails a request: a backend
 * error is a miss.
 */
#include "cache_scope.h"
#include "common.h"
#include "errors.h"
#include "exec.h"
#include "hash.h"
#include "request.h"
#include "../accounting/metrics.h"
#include "../cache/cache.h"

#include <stdio.h>

static int64_t wall_ms(const llmgw__exec *x)
{
    return x->gw->clock->wall_us(x->gw->clock->self) / 1000;
}

/* Replay a cached answer through the caller's sink, as a live stream would deliver it. */
static int replay(llmgw__exec *x)
{
    llmgw_reply r;
    const llmgw__answer *a = &x->answer;
    size_t i;
    int rc = 0;

    llmgw__reply_init(&r, &x->delivery, x->gw->opts.max_stream_bytes);
    if (a->reasoning.size > 0)
        rc = llmgw_reply_append_reasoning(&r, a->reasoning.ptr, a->reasoning.size);
    if (rc == 0 && a->text.size > 0)
        rc = llmgw_reply_append_text(&r, a->text.ptr, a->text.size);
    for (i = 0; rc == 0 && i < a->ncalls; i++)
        rc = llmgw_reply_tool_call(&r, i, a->calls[i].id, a->calls[i].name,
                                   a->calls[i].args.ptr ? a->calls[i].args.ptr : "", a->calls[i].args.size);
    llmgw__reply_dispose(&r);
    return rc;
}

/* Fill the record and the answer from a hit. */
static int take_hit(llmgw__exec *x, llmgw__cache_entry *e)
{
    llmgw__record *rec = x->rec;
    llmgw_usage *u = &rec->u;

    llmgw__answer_dispose(&x->answer);
    x->answer = e->answer;
    memset(&e->answer, 0, sizeof(e->answer));
    LLMGW_TRY(llmgw__record_str(rec, &u->provider, e->provider));
    LLMGW_TRY(llmgw__record_str(rec, &u->deployment, e->deployment));
    LLMGW_TRY(llmgw__record_str(rec, &u->model, x->answer.model));
    u->cache_hit = 1;
    u->saved_cost_nusd = e->cost_nusd > 0 ? e->cost_nusd : 0;
    u->cost_nusd = u->input_cost_nusd = u->output_cost_nusd = 0;
    u->cost_source = LLMGW_COST_COMPUTED;
    u->usage_known = x->answer.usage_set;
    if (x->answer.usage_set) {
        u->input_tokens = x->answer.usage.input_tokens;
        u->output_tokens = x->answer.usage.output_tokens;
        u->cache_read_tokens = x->answer.usage.cache_read_tokens;
        u->cache_creation_tokens = x->answer.usage.cache_creation_tokens;
        u->reasoning_tokens = x->answer.usage.reasoning_tokens;
        u->total_tokens = u->input_tokens + u->output_tokens;
    }
    return x->sink != NULL ? replay(x) : 0;
}

int llmgw__cache_lookup(llmgw__exec *x)
{
    llmgw_gateway *gw = x->gw;
    const llmgw_request *req = x->req;
    llmgw__scope_input in;
    llmgw__sha256_ctx sha;
    llmgw__cache_entry e;
    llmgw_buf v = LLMGW_BUF_INIT;
    int rc;

    if (gw->cache_vt == NULL || !gw->opts.cache_enabled)
        return 0;
    memset(&in, 0, sizeof(in));
    in.namespace_ = req->cache_namespace ? req->cache_namespace : gw->cache_namespace;
    if (in.namespace_ == NULL) {
        if (gw->opts.cache_require_namespace)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                     "this gateway's cache is multi-tenant: the request needs a cache namespace");
        in.namespace_ = "";
    }
    in.group = llmgw__route_group(&x->route);
    in.deps = x->route.cand.deps;
    in.n = x->route.cand.n;
    if (gw->cache_fp_secret != NULL) {
        in.fp_secret = gw->cache_fp_secret;
        in.fp_secret_len = gw->cache_fp_secret_len;
    } else if (gw->cache_vt == &llmgw__lru_backend) {
        in.fp_secret = gw->secret;
        in.fp_secret_len = sizeof(gw->secret);
    }
    /* the scope's fields (namespace, group, deployments, credentials) once per candidate set */
    llmgw__cache_scope_state(&sha, &in);
    rc = llmgw__cache_key_finish(x->cache_key, x->cache_digest, &sha, req);
    if (rc == LLMGW_ENOMEM)
        return rc;
    if (rc < 0) {
        llmgw_error_clear();            /* no canonical form: not cached */
        return 0;
    }
    x->cache_on = true;
    x->cache_store = (req->cache_flags & LLMGW_CACHE_NO_STORE) == 0;
    x->cache_ttl_ms = req->cache_ttl_ms > 0 ? LLMGW_MIN(req->cache_ttl_ms, LLMGW__CACHE_MAX_TTL_MS)
                                            : gw->opts.cache_ttl_ms;
    if (req->cache_flags & LLMGW_CACHE_NO_CACHE)
        return 0;
    rc = gw->cache_vt->get(&v, gw->cache_self, x->cache_key);
    if (rc == 0) {
        memset(&e, 0, sizeof(e));
        rc = llmgw__cache_entry_decode(&e, v.ptr ? v.ptr : "", v.size, x->cache_digest);
        if (rc == 0 && req->cache_max_age_ms > 0 && wall_ms(x) - e.created_ms > req->cache_max_age_ms) {
            llmgw__cache_entry_dispose(&e);
            rc = LLMGW_ENOTFOUND;       /* older than the caller accepts ("s-maxage") */
        }
    }
    llmgw_buf_dispose(&v);
    llmgw__metrics_cache_lookup(llmgw__gateway_metrics(gw), rc == 0);
    if (rc == LLMGW_ENOMEM)
        return rc;
    if (rc < 0) {
        llmgw_error_clear();            /* a miss, or a backend that failed: never the request's error */
        return 0;
    }
    rc = take_hit(x, &e);
    llmgw__cache_entry_dispose(&e);
    return rc < 0 ? rc : 1;
}

void llmgw__cache_store(llmgw__exec *x)
{
    llmgw_gateway *gw = x->gw;
    const llmgw_usage *u = &x->rec->u;
    llmgw__cache_entry e;
    llmgw_buf v = LLMGW_BUF_INIT;
    int f = x->answer.finish;

    if (!x->cache_on || !x->cache_store || !x->success || u->cache_hit)
        return;
    if (f != LLMGW_FINISH_STOP && f != LLMGW_FINISH_LENGTH && f != LLMGW_FINISH_TOOL_CALLS)
        return;                         /* only complete answers with a terminal finish */
    memset(&e, 0, sizeof(e));
    e.answer = x->answer;               /* borrowed: never disposed here */
    if ((u->provider && (e.provider = llmgw__strdup(u->provider)) == NULL) ||
        (u->deployment && (e.deployment = llmgw__strdup(u->deployment)) == NULL))
        goto out;
    /* what the answering attempt cost (earlier failed attempts are not what a hit saves) */
    e.cost_nusd = u->attempts > 0 && x->rec->trail[u->attempts - 1].cost_source == LLMGW_COST_COMPUTED
                  ? x->rec->trail[u->attempts - 1].cost_nusd : -1;
    e.created_ms = wall_ms(x);
    if (e.created_ms < 0)
        e.created_ms = 0;
    if (llmgw__cache_entry_encode(&v, &e, x->cache_digest) == 0)
        (void)gw->cache_vt->put(gw->cache_self, x->cache_key, v.ptr, v.size, x->cache_ttl_ms);
out:
    llmgw__free(e.provider);
    llmgw__free(e.deployment);
    llmgw_buf_dispose(&v);
    llmgw_error_clear();
}
