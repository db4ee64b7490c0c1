/*
 * lib/redis/none.c: the public Redis calls in a build without hiredis
 * (meson -Dredis=disabled, or hiredis not found): options work, sharing is
 * refused with LLMGW_EUNSUPPORTED, stats say "off".
 */
#include "../core/common.h"
#include "../core/errors.h"

int llmgw_redis_options_init(llmgw_redis_options *opts, unsigned int version)
{
    LLMGW_CHECK_ARG(opts);
    if (version == 0 || version > LLMGW_REDIS_OPTIONS_VERSION)
        return llmgw__error_setc(LLMGW_EVERSION, LLMGW_ERRCLASS_CONFIG, "unsupported options version %u", version);
    memset(opts, 0, sizeof(*opts));
    opts->version = version;
    return 0;
}

int llmgw_gateway_set_redis(llmgw_gateway *gw, const llmgw_redis_options *opts)
{
    LLMGW_CHECK_ARG(gw);
    if (opts == NULL)
        return 0;
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "this llmgw was built without Redis (hiredis): state stays in this process");
}

int llmgw_gateway_redis_stats(llmgw_gateway *gw, llmgw_redis_stats *out)
{
    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(out);
    memset(out, 0, sizeof(*out));
    out->version = 1;
    out->state = LLMGW_REDIS_OFF;
    return 0;
}
