/*
 * lib/router/rules_impl.h: the compiled form of a routing condition, shared
 * by the compiler (rules.c) and the evaluator (rules_eval.c) only.
 */
#ifndef LLMGW_ROUTER_RULES_IMPL_H
#define LLMGW_ROUTER_RULES_IMPL_H

#include "../core/common.h"
#include "rules_regex.h"

enum llmgw__rule_field {
    F_CUSTOMER, F_TAGS, F_MODEL, F_INPUT_TOKENS, F_MAX_TOKENS, F_HAS_IMAGES, F_HAS_TOOLS, F_JSON_MODE,
    F_METADATA, F_PARAM, F_PATH
};
enum llmgw__rule_op { OP_EQ, OP_NE, OP_IN, OP_NIN, OP_PREFIX, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_EXISTS, OP_REGEX,
                      OP_LENGTH };
enum llmgw__rule_kind { N_TRUE, N_LEAF, N_ALL, N_ANY, N_NOT };
enum llmgw__rule_vtype { V_STRING, V_NUMBER, V_BOOL };

/* What Portkey's url.pathname is for every request llmgw routes (chat completions). */
#define LLMGW__RULES_CHAT_PATH "/v1/chat/completions"

typedef struct llmgw__rule_node {
    int                       kind;
    int                       field, op, vtype;
    bool                      length;     /* compare the length of an array parameter ($length) */
    char                     *key;        /* metadata key or param name */
    char                    **strs;       /* string values (eq/ne/prefix: 1; in/nin: n) */
    double                   *nums;       /* number values */
    size_t                    nvalues;
    bool                      boolean;
    llmgw__regex             *re;         /* OP_REGEX */
    struct llmgw__rule_node **kids;
    size_t                    nkids;
} llmgw__rule_node;

struct llmgw__rule {
    char             *name;
    char             *target;
    llmgw__rule_node *cond;
};

#endif
