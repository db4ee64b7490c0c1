/*
 * lib/config/settings.c: placeholder until the config loader lands.
 */
#include "../core/common.h"
#include "settings.h"

struct llmgw__settings {
    int unused;
};

void llmgw__settings_free(llmgw__settings *s)
{
    llmgw__free(s);
}
