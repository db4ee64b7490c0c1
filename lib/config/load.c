/*
 * lib/config/load.c: placeholder until the config loader lands.
 */
#include "../core/common.h"
#include "../core/errors.h"

int llmgw_gateway_open(llmgw_gateway **out, const char *config_path, const llmgw_gateway_options *opts)
{
    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_UNUSED(config_path);
    LLMGW_UNUSED(opts);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED, "config files are not supported yet");
}

int llmgw_gateway_open_buffer(llmgw_gateway **out, const char *text, size_t len, const char *format,
                              const llmgw_gateway_options *opts)
{
    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_UNUSED(text);
    LLMGW_UNUSED(len);
    LLMGW_UNUSED(format);
    LLMGW_UNUSED(opts);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED, "config files are not supported yet");
}
