/*
 * config.h: opening a gateway from a configuration file.
 *
 * The file speaks LiteLLM's proxy config vocabulary (model_list,
 * router_settings, litellm_settings) plus an llmgw_settings section, in JSON,
 * or YAML when the library is built with libyaml. `os.environ/NAME` and
 * `${NAME}` references resolve from the environment and are never logged.
 * The whole file is rejected on any error, with the path of the bad value in
 * the message ("model_list[2].litellm_params.model: unknown provider 'opnai'");
 * unknown keys are warnings through the log hook.
 */
#ifndef LLMGW_CONFIG_H
#define LLMGW_CONFIG_H

#include "common.h"
#include "gateway.h"

LLMGW_BEGIN_DECLS

/**
 * Create a gateway from a config file (.json, .yaml, .yml). opts (may be
 * NULL) gives the starting options, which the file's settings override;
 * hooks (log, usage) come only from opts. On failure *out is NULL.
 */
LLMGW_API int llmgw_gateway_open(llmgw_gateway **out, const char *config_path,
                                 const llmgw_gateway_options *opts);

/** The same from a JSON or YAML text held in memory; format is "json" or "yaml". */
LLMGW_API int llmgw_gateway_open_buffer(llmgw_gateway **out, const char *text, size_t len,
                                        const char *format, const llmgw_gateway_options *opts);

LLMGW_END_DECLS

#endif
