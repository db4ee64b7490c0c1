/*
 * lib/router/rules.c: compiling routing conditions (docs/routing.md), in our
 * vocabulary or Portkey's query operators. Rules are compiled once (fields
 * resolved to enums, values parsed, patterns compiled) so evaluation on the
 * hot path (rules_eval.c) allocates nothing.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "rules.h"
#include "rules_impl.h"
#include "rules_regex.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define MAX_DEPTH  16
#define MAX_VALUES 256

typedef llmgw__rule_node node;

static const struct { const char *name; int field; } fields[] = {
    { "customer", F_CUSTOMER }, { "tags", F_TAGS }, { "tag", F_TAGS }, { "model", F_MODEL },
    { "input_tokens", F_INPUT_TOKENS }, { "max_tokens", F_MAX_TOKENS }, { "has_images", F_HAS_IMAGES },
    { "has_tools", F_HAS_TOOLS }, { "json_mode", F_JSON_MODE }, { "url.pathname", F_PATH },
};

static const struct { const char *native, *portkey; int op; } ops[] = {
    { "eq", "$eq", OP_EQ }, { "ne", "$ne", OP_NE }, { "in", "$in", OP_IN }, { "nin", "$nin", OP_NIN },
    { "prefix", "$prefix", OP_PREFIX }, { "lt", "$lt", OP_LT }, { "lte", "$lte", OP_LTE },
    { "gt", "$gt", OP_GT }, { "gte", "$gte", OP_GTE }, { "exists", "$exists", OP_EXISTS },
    { "regex", "$regex", OP_REGEX }, { "length", "$length", OP_LENGTH },
};

static void node_free(node *n)
{
    size_t i;

    if (n == NULL)
        return;
    llmgw__free(n->key);
    for (i = 0; n->strs && i < n->nvalues; i++)
        llmgw__free(n->strs[i]);
    llmgw__free(n->strs);
    llmgw__free(n->nums);
    llmgw__regex_free(n->re);
    for (i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    llmgw__free(n->kids);
    llmgw__free(n);
}

void llmgw__rule_free(llmgw__rule *r)
{
    if (r == NULL)
        return;
    llmgw__free(r->name);
    llmgw__free(r->target);
    node_free(r->cond);
    llmgw__free(r);
}

const char *llmgw__rule_target(const llmgw__rule *r)
{
    return r->target;
}

const char *llmgw__rule_name(const llmgw__rule *r)
{
    return r->name;
}

typedef struct ctx {
    int  dialect;
    char path[512];
} ctx;

static int fail_at(const ctx *c, const char *what, const char *fmt, ...) LLMGW_PRINTF(3, 4);

static int fail_at(const ctx *c, const char *what, const char *fmt, ...)
{
    char msg[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s%s%.64s: %s", c->path, what && *what ? "." : "",
                             what ? what : "", msg);
}

static node *node_new(int kind)
{
    node *n = llmgw__calloc(1, sizeof(*n));

    if (n != NULL)
        n->kind = kind;
    return n;
}

static int add_kid(node *n, node *kid)
{
    node **k = llmgw__reallocarray(n->kids, n->nkids + 1, sizeof(*k));

    if (k == NULL) {
        node_free(kid);
        return llmgw__error_oom();
    }
    k[n->nkids++] = kid;
    n->kids = k;
    return 0;
}

/* n itself when it has one child (which it hands over), else n. */
static node *collapse(node *n)
{
    node *only;

    if (n->nkids != 1)
        return n;
    only = n->kids[0];
    n->nkids = 0;
    node_free(n);
    return only;
}

static int compile(ctx *c, const cJSON *j, node **out, int depth);

static int resolve_field(ctx *c, const char *name, node *n)
{
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(fields); i++) {
        if (strcmp(name, fields[i].name) == 0) {
            n->field = fields[i].field;
            return 0;
        }
    }
    if (strncmp(name, "metadata.", 9) == 0 && name[9] != '\0') {
        n->field = F_METADATA;
        n->key = llmgw__strdup(name + 9);
        return n->key ? 0 : llmgw__error_oom();
    }
    if (strncmp(name, "params.", 7) == 0 && name[7] != '\0') {
        /* Portkey's params.model is the requested model */
        if (strcmp(name + 7, "model") == 0) {
            n->field = F_MODEL;
            return 0;
        }
        n->field = F_PARAM;
        n->key = llmgw__strdup(name + 7);
        return n->key ? 0 : llmgw__error_oom();
    }
    return fail_at(c, name, "unknown field (customer, tags, model, input_tokens, max_tokens, has_images, "
                   "has_tools, json_mode, metadata.<key>, params.<name>, url.pathname)");
}

static bool numeric_field(int f)
{
    return f == F_INPUT_TOKENS || f == F_MAX_TOKENS;
}

static bool bool_field(int f)
{
    return f == F_HAS_IMAGES || f == F_HAS_TOOLS || f == F_JSON_MODE;
}

static bool is_comparison(int op)
{
    return op == OP_LT || op == OP_LTE || op == OP_GT || op == OP_GTE;
}

static int regex_value(ctx *c, const char *fname, node *n, const cJSON *v)
{
    const char *why = NULL;
    int rc;

    if (n->length || numeric_field(n->field) || bool_field(n->field))
        return fail_at(c, fname, "regex matches text fields only");
    if (!cJSON_IsString(v))
        return fail_at(c, fname, "regex takes a pattern string");
    rc = llmgw__regex_compile(&n->re, v->valuestring, &why);
    if (rc == LLMGW_ENOMEM)
        return llmgw__error_oom();
    if (rc < 0)
        return fail_at(c, fname, "regex: %s", why ? why : "invalid pattern");
    n->vtype = V_STRING;
    return 0;
}

/* Parse the value(s) of a leaf. */
static int leaf_values(ctx *c, const char *fname, node *n, const cJSON *v)
{
    const cJSON *it;
    size_t i = 0;

    if (n->op == OP_REGEX)
        return regex_value(c, fname, n, v);
    if (n->op == OP_EXISTS) {
        if (n->length)
            return fail_at(c, fname, "length takes a number or comparisons");
        if (!cJSON_IsBool(v))
            return fail_at(c, fname, "exists takes true or false");
        n->boolean = cJSON_IsTrue(v);
        return 0;
    }
    if (n->op == OP_IN || n->op == OP_NIN) {
        if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) == 0 || cJSON_GetArraySize(v) > MAX_VALUES)
            return fail_at(c, fname, "in/nin take a non-empty array of at most %d values", MAX_VALUES);
    } else if (cJSON_IsArray(v) || cJSON_IsObject(v) || cJSON_IsNull(v)) {
        return fail_at(c, fname, "the value must be a string, a number or a boolean");
    }
    if (bool_field(n->field)) {
        if (!cJSON_IsBool(v) || (n->op != OP_EQ && n->op != OP_NE))
            return fail_at(c, fname, "a boolean field takes eq or ne with true or false");
        n->vtype = V_BOOL;
        n->boolean = cJSON_IsTrue(v);
        return 0;
    }
    it = cJSON_IsArray(v) ? v->child : v;
    n->vtype = cJSON_IsNumber(it) ? V_NUMBER : cJSON_IsBool(it) ? V_BOOL : V_STRING;
    if (is_comparison(n->op) && n->vtype != V_NUMBER)
        return fail_at(c, fname, "lt, lte, gt and gte compare numbers");
    if ((numeric_field(n->field) || n->length) && n->vtype != V_NUMBER)
        return fail_at(c, fname, n->length ? "a length is a number" : "this field is a number");
    if (n->op == OP_PREFIX && (n->vtype != V_STRING || n->length))
        return fail_at(c, fname, "prefix takes a string");
    if (n->vtype == V_BOOL) {
        n->boolean = cJSON_IsTrue(it);
        return 0;
    }
    n->nvalues = cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 1;
    if (n->vtype == V_NUMBER)
        n->nums = llmgw__calloc(n->nvalues, sizeof(*n->nums));
    else
        n->strs = llmgw__calloc(n->nvalues, sizeof(*n->strs));
    if (n->nums == NULL && n->strs == NULL)
        return llmgw__error_oom();
    for (; it != NULL; it = cJSON_IsArray(v) ? it->next : NULL, i++) {
        if (n->vtype == V_NUMBER) {
            if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
                return fail_at(c, fname, "every value must be a number");
            n->nums[i] = it->valuedouble;
        } else {
            if (!cJSON_IsString(it))
                return fail_at(c, fname, "every value must be a string");
            if ((n->strs[i] = llmgw__strdup(it->valuestring)) == NULL)
                return llmgw__error_oom();
        }
        if (!cJSON_IsArray(v))
            break;
    }
    return 0;
}

static int op_of(ctx *c, const char *fname, const char *name, int *op)
{
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(ops); i++) {
        if (strcmp(name, c->dialect == LLMGW__RULES_PORTKEY ? ops[i].portkey : ops[i].native) == 0) {
            *op = ops[i].op;
            return 0;
        }
    }
    return fail_at(c, fname, "unknown operator '%.32s'", name);
}

static int compile_ops(ctx *c, const char *fname, const cJSON *obj, bool length, node **out);

/* One leaf: fname compared by op (OP_EQ for a bare value) with v. */
static int compile_one(ctx *c, const char *fname, int op, const cJSON *v, bool length, node **out)
{
    node *n;
    int rc;

    *out = NULL;
    if (op == OP_LENGTH) {
        if (length)
            return fail_at(c, fname, "length inside length");
        if (cJSON_IsObject(v))
            return compile_ops(c, fname, v, true, out);
        op = OP_EQ;             /* {"$length": 3} */
        length = true;
    }
    if ((n = node_new(N_LEAF)) == NULL)
        return llmgw__error_oom();
    n->op = op;
    n->length = length;
    if ((rc = resolve_field(c, fname, n)) < 0)
        goto fail;
    if (length && n->field != F_PARAM) {
        rc = fail_at(c, fname, "length applies to array parameters (params.<name>)");
        goto fail;
    }
    if ((rc = leaf_values(c, fname, n, v)) < 0)
        goto fail;
    *out = n;
    return 0;
fail:
    node_free(n);
    return rc;
}

/* {"op": value, ...}: every comparison must hold (Portkey's rule for several operators). */
static int compile_ops(ctx *c, const char *fname, const cJSON *obj, bool length, node **out)
{
    node *all = node_new(N_ALL), *kid = NULL;
    const cJSON *m;
    int rc, op = OP_EQ;

    *out = NULL;
    if (all == NULL)
        return llmgw__error_oom();
    if (obj->child == NULL) {
        node_free(all);
        return fail_at(c, fname, "a comparison holds at least one operator");
    }
    cJSON_ArrayForEach(m, obj) {
        if ((rc = op_of(c, fname, m->string, &op)) < 0 || (rc = compile_one(c, fname, op, m, length, &kid)) < 0 ||
            (rc = add_kid(all, kid)) < 0) {
            node_free(all);
            return rc;
        }
    }
    *out = collapse(all);
    return 0;
}

/* {"field": value} or {"field": {"op": value, ...}} */
static int compile_leaf(ctx *c, const cJSON *member, node **out)
{
    if (cJSON_IsObject(member))
        return compile_ops(c, member->string, member, false, out);
    return compile_one(c, member->string, OP_EQ, member, false, out);   /* {"has_tools": true} */
}

static bool is_combinator(const ctx *c, const char *k, int *kind)
{
    if (c->dialect == LLMGW__RULES_PORTKEY) {
        if (strcmp(k, "$and") == 0)
            return (*kind = N_ALL), true;
        if (strcmp(k, "$or") == 0)
            return (*kind = N_ANY), true;
        if (strcmp(k, "$not") == 0)
            return (*kind = N_NOT), true;
        return false;
    }
    if (strcmp(k, "all") == 0)
        return (*kind = N_ALL), true;
    if (strcmp(k, "any") == 0)
        return (*kind = N_ANY), true;
    if (strcmp(k, "not") == 0)
        return (*kind = N_NOT), true;
    return false;
}

static int compile_combinator(ctx *c, const cJSON *member, int kind, node **out, int depth)
{
    node *n = node_new(kind), *kid = NULL;
    size_t saved = strlen(c->path);
    const cJSON *it;
    int rc, i = 0;

    if (n == NULL)
        return llmgw__error_oom();
    if (kind == N_NOT) {
        snprintf(c->path + saved, sizeof(c->path) - saved, ".%s", member->string);
        rc = cJSON_IsObject(member) ? compile(c, member, &kid, depth + 1)
                                    : fail_at(c, NULL, "takes one condition object");
        c->path[saved] = '\0';
        if (rc < 0 || (rc = add_kid(n, kid)) < 0)
            goto fail;
        *out = n;
        return 0;
    }
    if (!cJSON_IsArray(member) || cJSON_GetArraySize(member) == 0) {
        rc = fail_at(c, member->string, "takes a non-empty array of conditions");
        goto fail;
    }
    cJSON_ArrayForEach(it, member) {
        snprintf(c->path + saved, sizeof(c->path) - saved, ".%s[%d]", member->string, i++);
        rc = cJSON_IsObject(it) ? compile(c, it, &kid, depth + 1) : fail_at(c, NULL, "a condition is an object");
        c->path[saved] = '\0';
        if (rc < 0 || (rc = add_kid(n, kid)) < 0)
            goto fail;
    }
    *out = n;
    return 0;
fail:
    c->path[saved] = '\0';
    node_free(n);
    return rc;
}

/* An object: each member a leaf or a combinator; several members = all of them. */
static int compile(ctx *c, const cJSON *j, node **out, int depth)
{
    const cJSON *m;
    node *all, *kid = NULL;
    int rc, kind;

    *out = NULL;
    if (depth > MAX_DEPTH)
        return fail_at(c, NULL, "conditions nested deeper than %d", MAX_DEPTH);
    if (!cJSON_IsObject(j))
        return fail_at(c, NULL, "a condition is an object");
    if (j->child == NULL) {
        *out = node_new(N_TRUE);
        return *out ? 0 : llmgw__error_oom();
    }
    all = node_new(N_ALL);
    if (all == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(m, j) {
        if (is_combinator(c, m->string, &kind))
            rc = compile_combinator(c, m, kind, &kid, depth);
        else
            rc = compile_leaf(c, m, &kid);
        if (rc < 0 || (rc = add_kid(all, kid)) < 0) {
            node_free(all);
            return rc;
        }
    }
    *out = collapse(all);
    return 0;
}

int llmgw__rule_compile(llmgw__rule **out, const char *name, const cJSON *condition, int dialect,
                        const char *target, const char *path)
{
    llmgw__rule *r;
    ctx c;
    int rc;

    *out = NULL;
    c.dialect = dialect;
    snprintf(c.path, sizeof(c.path), "%s", path ? path : "condition");
    r = llmgw__calloc(1, sizeof(*r));
    if (r == NULL)
        return llmgw__error_oom();
    if ((r->name = llmgw__strdup(name ? name : "rule")) == NULL || (r->target = llmgw__strdup(target)) == NULL) {
        llmgw__rule_free(r);
        return llmgw__error_oom();
    }
    if ((rc = compile(&c, condition, &r->cond, 0)) < 0) {
        llmgw__rule_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
