/*
 * lib/cache/backend.c: the gateway's cache backend slot.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/request.h"
#include "cache.h"

int llmgw_gateway_set_cache_backend(llmgw_gateway *gw, const llmgw_cache_backend_vtable *vt, void *self)
{
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(vt);
    if (vt->version == 0 || vt->version > LLMGW_CACHE_BACKEND_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "cache backend version %u not supported",
                                 vt->version);
    if (vt->get == NULL || vt->put == NULL || vt->name == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "a cache backend needs a name, get and put");
    pthread_rwlock_wrlock(&gw->lock);
    if (gw->cache_vt != NULL && gw->cache_vt->destroy != NULL)
        gw->cache_vt->destroy(gw->cache_self);
    gw->cache_vt = vt;
    gw->cache_self = self;
    gw->opts.cache_enabled = 1;
    pthread_rwlock_unlock(&gw->lock);
    return 0;
}

void llmgw__cache_backend_destroy(llmgw_gateway *gw)
{
    if (gw->cache_vt != NULL && gw->cache_vt->destroy != NULL)
        gw->cache_vt->destroy(gw->cache_self);
    gw->cache_vt = NULL;
    gw->cache_self = NULL;
    llmgw__free(gw->cache_namespace);
    gw->cache_namespace = NULL;
}

static int64_t gateway_now_ms(void *self)
{
    const llmgw_gateway *gw = self;

    return gw->clock->now_us(gw->clock->self) / 1000;
}

int llmgw__cache_open(llmgw_gateway *gw)
{
    llmgw__lru_options lo;
    void *lru;

    if (gw->opts.cache_namespace != NULL) {
        if (llmgw__has_ctl(gw->opts.cache_namespace))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "control character in cache_namespace");
        if ((gw->cache_namespace = llmgw__strdup(gw->opts.cache_namespace)) == NULL)
            return llmgw__error_oom();
        gw->opts.cache_namespace = gw->cache_namespace;
    }
    if (gw->opts.cache_ttl_ms <= 0)
        gw->opts.cache_ttl_ms = LLMGW__CACHE_DEFAULT_TTL_MS;
    if (gw->opts.cache_ttl_ms > LLMGW__CACHE_MAX_TTL_MS)
        gw->opts.cache_ttl_ms = LLMGW__CACHE_MAX_TTL_MS;
    if (!gw->opts.cache_enabled || gw->cache_vt != NULL)
        return 0;
    memset(&lo, 0, sizeof(lo));
    lo.max_bytes = gw->opts.cache_max_bytes;
    lo.max_entry_bytes = gw->opts.cache_max_entry_bytes;
    LLMGW_TRY(llmgw__lru_new(&lru, &lo, gateway_now_ms, gw));
    gw->cache_vt = &llmgw__lru_backend;
    gw->cache_self = lru;
    return 0;
}
