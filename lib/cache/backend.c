/*
 * lib/cache/backend.c: the gateway's cache backend slot.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
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
}
