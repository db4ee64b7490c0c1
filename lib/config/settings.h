/*
 * lib/config/settings.h: settings read from a config file that later rooms
 * consume (cache, Redis, prices, budgets, usage log). The config loader fills
 * it; the gateway owns it and frees it.
 */
#ifndef LLMGW_CONFIG_SETTINGS_H
#define LLMGW_CONFIG_SETTINGS_H

#include "../core/common.h"

typedef struct llmgw__settings llmgw__settings;

void llmgw__settings_free(llmgw__settings *s);

#endif
