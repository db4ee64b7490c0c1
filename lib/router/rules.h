/*
 * lib/router/rules.h: dynamic routing: ordered rules (condition -> group),
 * the classifier hook and the built-in heuristic classifier, and tag
 * filtering of deployments.
 */
#ifndef LLMGW_ROUTER_RULES_H
#define LLMGW_ROUTER_RULES_H

#include <cjson/cJSON.h>

#include "../core/common.h"

typedef struct llmgw__rule llmgw__rule;

typedef struct llmgw__rules {
    llmgw__rule        **items;
    size_t               n, cap;
    llmgw_classifier_cb  classifier;
    void                *classifier_userdata;
    char                *builtin_simple;      /* the built-in classifier's groups, or NULL */
    char                *builtin_complex;
} llmgw__rules;

enum { LLMGW__RULES_NATIVE = 0, LLMGW__RULES_PORTKEY = 1 };

/*
 * Compile a condition (native or Portkey's query shape) into a rule. On
 * error the last error names `path` plus the offending member.
 */
int  llmgw__rule_compile(llmgw__rule **out, const char *name, const cJSON *condition, int dialect,
                         const char *target, const char *path);
void llmgw__rule_free(llmgw__rule *r);
const char *llmgw__rule_target(const llmgw__rule *r);
const char *llmgw__rule_name(const llmgw__rule *r);

void llmgw__rules_dispose(llmgw__rules *rs);
/* Append a compiled rule to the gateway's list (it takes r, even on error). Thread-safe. */
int  llmgw__rules_add(llmgw_gateway *gw, llmgw__rule *r);

/* Facts about a request the conditions look at, computed once per request. */
typedef struct llmgw__facts {
    const llmgw_request *req;
    uint64_t             input_tokens;
    int64_t              max_tokens;
    bool                 has_images, has_tools, json_mode;
    size_t               messages;
} llmgw__facts;

void llmgw__facts_init(llmgw__facts *f, const llmgw_request *req, uint64_t est_input_tokens);
bool llmgw__rule_matches(const llmgw__rule *r, const llmgw__facts *f);
/* The built-in heuristic: true when the request looks complex. */
bool llmgw__classify_complex(const llmgw__facts *f);

/*
 * Where the rules send a request: copies the target group into target
 * (size bytes) and the rule's name into rule (size bytes; "classifier" for
 * the hook or the built-in classifier). Returns false when nothing applies.
 * Takes the gateway lock for reading.
 */
bool llmgw__rules_route(llmgw_gateway *gw, const llmgw__facts *f, char *target, size_t target_size,
                        char *rule, size_t rule_size);

#endif
