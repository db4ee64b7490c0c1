/*
 * lib/config/routing.h: what the routing-rule readers share: routes.c
 * (llmgw_settings.routing_rules, classifier) and portkey.c
 * (llmgw_settings.portkey_routing, Portkey's conditional-routing config).
 */
#ifndef LLMGW_CONFIG_ROUTING_H
#define LLMGW_CONFIG_ROUTING_H

#include "loader.h"

/* A model_list group, an alias, or provider/model with a known provider (routes.c). */
bool llmgw__cfg_known_target(llmgw__cfg *c, const char *name);

/*
 * llmgw_settings.portkey_routing (portkey.c): each condition becomes a rule
 * named "portkey.conditions[i]", the default one named "portkey.default",
 * appended after routing_rules. 0 when absent.
 */
int llmgw__cfg_portkey(llmgw__cfg *c);

#endif
