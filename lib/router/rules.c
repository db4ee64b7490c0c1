/*
 * lib/router/rules.c: compiling and evaluating routing conditions. Rules are
 * compiled once (fields resolved to enums, values parsed) so evaluation on
 * the hot path allocates nothing.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "../core/request.h"
#include "rules.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define MAX_DEPTH  16
#define MAX_VALUES 256

enum field {
    F_CUSTOMER, F_TAGS, F_MODEL, F_INPUT_TOKENS, F_MAX_TOKENS, F_HAS_IMAGES, F_HAS_TOOLS, F_JSON_MODE,
    F_METADATA, F_PARAM
};
enum op { OP_EQ, OP_NE, OP_IN, OP_NIN, OP_PREFIX, OP_LT, OP_LTE, OP_GT, OP_GTE, OP_EXISTS };
enum kind { N_TRUE, N_LEAF, N_ALL, N_ANY, N_NOT };
enum vtype { V_STRING, V_NUMBER, V_BOOL };

typedef struct node {
    int           kind;
    int           field, op, vtype;
    char         *key;                /* metadata key or param name */
    char        **strs;               /* string values (eq/ne: 1; in/nin: n) */
    double       *nums;               /* number values */
    size_t        nvalues;
    bool          boolean;
    struct node **kids;
    size_t        nkids;
} node;

struct llmgw__rule {
    char *name;
    char *target;
    node *cond;
};

static const struct { const char *name; int field; } fields[] = {
    { "customer", F_CUSTOMER }, { "tags", F_TAGS }, { "tag", F_TAGS }, { "model", F_MODEL },
    { "input_tokens", F_INPUT_TOKENS }, { "max_tokens", F_MAX_TOKENS }, { "has_images", F_HAS_IMAGES },
    { "has_tools", F_HAS_TOOLS }, { "json_mode", F_JSON_MODE },
};

static const struct { const char *native, *portkey; int op; } ops[] = {
    { "eq", "$eq", OP_EQ }, { "ne", "$ne", OP_NE }, { "in", "$in", OP_IN }, { "nin", "$nin", OP_NIN },
    { "prefix", "$prefix", OP_PREFIX }, { "lt", "$lt", OP_LT }, { "lte", "$lte", OP_LTE },
    { "gt", "$gt", OP_GT }, { "gte", "$gte", OP_GTE }, { "exists", "$exists", OP_EXISTS },
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
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s%s%s: %s", c->path, what && *what ? "." : "",
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
        n->field = F_PARAM;
        n->key = llmgw__strdup(name + 7);
        /* Portkey's params.model is the requested model */
        if (n->key != NULL && strcmp(n->key, "model") == 0) {
            n->field = F_MODEL;
            llmgw__free(n->key);
            n->key = NULL;
            return 0;
        }
        return n->key ? 0 : llmgw__error_oom();
    }
    return fail_at(c, name, "unknown field (customer, tags, model, input_tokens, max_tokens, has_images, "
                   "has_tools, json_mode, metadata.<key>, params.<name>)");
}

static bool numeric_field(int f)
{
    return f == F_INPUT_TOKENS || f == F_MAX_TOKENS;
}

static bool bool_field(int f)
{
    return f == F_HAS_IMAGES || f == F_HAS_TOOLS || f == F_JSON_MODE;
}

/* Parse the value(s) of a leaf. */
static int leaf_values(ctx *c, const char *fname, node *n, const cJSON *v)
{
    const cJSON *it;
    size_t i = 0;

    if (n->op == OP_EXISTS) {
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
    if ((n->op == OP_LT || n->op == OP_LTE || n->op == OP_GT || n->op == OP_GTE) && n->vtype != V_NUMBER)
        return fail_at(c, fname, "lt, lte, gt and gte compare numbers");
    if (numeric_field(n->field) && n->vtype != V_NUMBER)
        return fail_at(c, fname, "this field is a number");
    if (n->op == OP_PREFIX && n->vtype != V_STRING)
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
    if (c->dialect == LLMGW__RULES_PORTKEY && strcmp(name, "$regex") == 0)
        return fail_at(c, fname, "$regex is not supported (use $eq, $in or $prefix)");
    return fail_at(c, fname, "unknown operator '%.32s'", name);
}

/* {"field": value} or {"field": {"op": value}} */
static int compile_leaf(ctx *c, const cJSON *member, node **out)
{
    node *n = node_new(N_LEAF);
    const cJSON *v = member;
    int rc;

    if (n == NULL)
        return llmgw__error_oom();
    if ((rc = resolve_field(c, member->string, n)) < 0)
        goto fail;
    if (cJSON_IsObject(member)) {
        if (cJSON_GetArraySize(member) != 1) {
            rc = fail_at(c, member->string, "a comparison holds exactly one operator");
            goto fail;
        }
        if ((rc = op_of(c, member->string, member->child->string, &n->op)) < 0)
            goto fail;
        v = member->child;
    } else {
        n->op = OP_EQ;      /* {"has_tools": true}, {"metadata.tier": "paid"} */
    }
    if ((rc = leaf_values(c, member->string, n, v)) < 0)
        goto fail;
    *out = n;
    return 0;
fail:
    node_free(n);
    return rc;
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
    if (all->nkids == 1) {
        *out = all->kids[0];
        all->nkids = 0;
        node_free(all);
    } else {
        *out = all;
    }
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

/* ---- facts and evaluation ---- */

void llmgw__facts_init(llmgw__facts *f, const llmgw_request *req, uint64_t est_input)
{
    const cJSON *body = llmgw__request_body(req), *m, *p, *rf;
    const char *t;

    memset(f, 0, sizeof(*f));
    f->req = req;
    f->input_tokens = est_input;
    f->max_tokens = llmgw__request_max_tokens(req);
    f->has_tools = llmgw__request_has_tools(req);
    rf = cJSON_GetObjectItemCaseSensitive(body, "response_format");
    t = llmgw__json_str(rf, "type");
    f->json_mode = t != NULL && (strcmp(t, "json_object") == 0 || strcmp(t, "json_schema") == 0);
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(body, "messages")) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        f->messages++;
        if (!cJSON_IsArray(content))
            continue;
        cJSON_ArrayForEach(p, content) {
            const char *type = llmgw__json_str(p, "type");
            if (type != NULL && strcmp(type, "image_url") == 0)
                f->has_images = true;
        }
    }
}

/* Code blocks anywhere in the messages (only the built-in classifier asks). */
static bool has_code(const llmgw_request *req)
{
    const cJSON *m, *p;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(llmgw__request_body(req), "messages")) {
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (cJSON_IsString(content) && strstr(content->valuestring, "```") != NULL)
            return true;
        if (!cJSON_IsArray(content))
            continue;
        cJSON_ArrayForEach(p, content) {
            const char *text = llmgw__json_str(p, "text");
            if (text != NULL && strstr(text, "```") != NULL)
                return true;
        }
    }
    return false;
}

static bool str_matches(const node *n, const char *s)
{
    size_t i;

    if (n->op == OP_EXISTS)
        return (s != NULL) == n->boolean;
    if (s == NULL)
        return n->op == OP_NE || n->op == OP_NIN;
    switch (n->op) {
    case OP_EQ:     return n->vtype == V_STRING && strcmp(s, n->strs[0]) == 0;
    case OP_NE:     return n->vtype != V_STRING || strcmp(s, n->strs[0]) != 0;
    case OP_PREFIX: return strncmp(s, n->strs[0], strlen(n->strs[0])) == 0;
    case OP_IN:
    case OP_NIN:
        for (i = 0; n->vtype == V_STRING && i < n->nvalues; i++)
            if (s[0] == n->strs[i][0] && strcmp(s, n->strs[i]) == 0)
                return n->op == OP_IN;
        return n->op == OP_NIN;
    default:        return false;
    }
}

static bool num_matches(const node *n, bool present, double v)
{
    size_t i;

    if (n->op == OP_EXISTS)
        return present == n->boolean;
    if (!present)
        return n->op == OP_NE || n->op == OP_NIN;
    switch (n->op) {
    case OP_EQ:  return n->vtype == V_NUMBER && v == n->nums[0];
    case OP_NE:  return n->vtype != V_NUMBER || v != n->nums[0];
    case OP_LT:  return v < n->nums[0];
    case OP_LTE: return v <= n->nums[0];
    case OP_GT:  return v > n->nums[0];
    case OP_GTE: return v >= n->nums[0];
    case OP_IN:
    case OP_NIN:
        for (i = 0; n->vtype == V_NUMBER && i < n->nvalues; i++)
            if (v == n->nums[i])
                return n->op == OP_IN;
        return n->op == OP_NIN;
    default:     return false;
    }
}

static bool tags_match(const node *n, const llmgw_request *req)
{
    size_t i, k;
    bool any = false;

    if (n->op == OP_EXISTS)
        return (req->tag_count > 0) == n->boolean;
    for (i = 0; i < req->tag_count && !any; i++) {
        const char *t = req->tags[i];
        if (n->op == OP_PREFIX)
            any = strncmp(t, n->strs[0], strlen(n->strs[0])) == 0;
        else
            for (k = 0; k < n->nvalues && !any; k++)
                any = n->strs != NULL && strcmp(t, n->strs[k]) == 0;
    }
    return n->op == OP_NE || n->op == OP_NIN ? !any : any;
}

static bool leaf(const node *n, const llmgw__facts *f)
{
    const cJSON *v;

    switch (n->field) {
    case F_CUSTOMER:     return str_matches(n, f->req->customer);
    case F_MODEL:        return str_matches(n, llmgw_request_model(f->req));
    case F_TAGS:         return tags_match(n, f->req);
    case F_INPUT_TOKENS: return num_matches(n, true, (double)f->input_tokens);
    case F_MAX_TOKENS:   return num_matches(n, f->max_tokens > 0, (double)f->max_tokens);
    case F_HAS_IMAGES:   return (f->has_images == n->boolean) == (n->op == OP_EQ);
    case F_HAS_TOOLS:    return (f->has_tools == n->boolean) == (n->op == OP_EQ);
    case F_JSON_MODE:    return (f->json_mode == n->boolean) == (n->op == OP_EQ);
    case F_METADATA:
        v = f->req->metadata ? cJSON_GetObjectItemCaseSensitive(f->req->metadata, n->key) : NULL;
        return str_matches(n, cJSON_IsString(v) ? v->valuestring : NULL);
    case F_PARAM:
        v = cJSON_GetObjectItemCaseSensitive(llmgw__request_body(f->req), n->key);
        if (cJSON_IsNumber(v) || n->vtype == V_NUMBER)
            return num_matches(n, cJSON_IsNumber(v), cJSON_IsNumber(v) ? v->valuedouble : 0);
        if (cJSON_IsBool(v) && n->vtype == V_BOOL)
            return (cJSON_IsTrue(v) == n->boolean) == (n->op != OP_NE);
        return str_matches(n, cJSON_IsString(v) ? v->valuestring : NULL);
    default:
        return false;
    }
}

static bool eval(const node *n, const llmgw__facts *f)
{
    size_t i;

    switch (n->kind) {
    case N_TRUE: return true;
    case N_LEAF: return leaf(n, f);
    case N_ALL:
        for (i = 0; i < n->nkids; i++)
            if (!eval(n->kids[i], f))
                return false;
        return true;
    case N_ANY:
        for (i = 0; i < n->nkids; i++)
            if (eval(n->kids[i], f))
                return true;
        return false;
    case N_NOT:  return !eval(n->kids[0], f);
    default:     return false;
    }
}

bool llmgw__rule_matches(const llmgw__rule *r, const llmgw__facts *f)
{
    return eval(r->cond, f);
}

bool llmgw__classify_complex(const llmgw__facts *f)
{
    int score = 0;

    if (has_code(f->req))
        score += 2;
    if (f->input_tokens > 1000)
        score += 1;
    if (f->input_tokens > 4000)
        score += 2;
    if (f->has_tools)
        score += 1;
    if (f->has_images)
        score += 1;
    if (f->messages > 6)
        score += 1;
    if (f->json_mode)
        score += 1;
    return score >= 3;
}

void llmgw__rules_dispose(llmgw__rules *rs)
{
    size_t i;

    for (i = 0; i < rs->n; i++)
        llmgw__rule_free(rs->items[i]);
    llmgw__free(rs->items);
    llmgw__free(rs->builtin_simple);
    llmgw__free(rs->builtin_complex);
    memset(rs, 0, sizeof(*rs));
}

static void copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        n = size - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool llmgw__rules_route(llmgw_gateway *gw, const llmgw__facts *f, char *target, size_t tsize, char *rule,
                        size_t rsize)
{
    const llmgw__rules *rs = &gw->rules;
    llmgw_classifier_cb cb;
    void *ud;
    const char *g = NULL;
    size_t i;
    bool found = false;

    pthread_rwlock_rdlock(&gw->lock);
    for (i = 0; i < rs->n; i++) {
        if (llmgw__rule_matches(rs->items[i], f)) {
            copy(target, tsize, rs->items[i]->target);
            copy(rule, rsize, rs->items[i]->name);
            found = true;
            break;
        }
    }
    cb = rs->classifier;
    ud = rs->classifier_userdata;
    if (!found && cb == NULL && rs->builtin_simple != NULL) {
        g = llmgw__classify_complex(f) ? rs->builtin_complex : rs->builtin_simple;
        snprintf(target, tsize, "%s", g);
        snprintf(rule, rsize, "classifier");
        found = true;
    }
    pthread_rwlock_unlock(&gw->lock);
    if (!found && cb != NULL) {
        /* the user's hook runs with no llmgw lock held */
        g = cb(f->req, ud);
        if (g != NULL && *g != '\0' && strlen(g) < tsize && !llmgw__has_ctl(g)) {
            snprintf(target, tsize, "%s", g);
            snprintf(rule, rsize, "classifier");
            found = true;
        }
    }
    return found;
}

/* ---- public API ---- */

static bool target_known(llmgw_gateway *gw, const char *target)
{
    llmgw__candidates c;

    if (strchr(target, '/') != NULL)
        return true;          /* provider/model: resolved (and validated) when used */
    if (llmgw__gateway_resolve(gw, target, &c) < 0)
        return false;
    llmgw__candidates_dispose(&c);
    return true;
}

int llmgw_gateway_add_rule(llmgw_gateway *gw, const char *name, const char *condition_json, const char *target)
{
    llmgw__rule *r = NULL, **items;
    cJSON *cond;
    int rc;

    LLMGW_CHECK_ARG(gw);
    LLMGW_CHECK_ARG(target);
    if (*target == '\0' || strlen(target) > 256 || llmgw__has_ctl(target))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "invalid rule target");
    if (name != NULL && (strlen(name) > 128 || llmgw__has_ctl(name)))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "invalid rule name");
    if (!target_known(gw, target))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "rule '%s': unknown target group '%.64s'",
                                 name ? name : "rule", target);
    cond = llmgw__json_parse(condition_json ? condition_json : "{}", condition_json ? strlen(condition_json) : 2,
                             LLMGW_ERRCLASS_CONFIG);
    if (cond == NULL)
        return llmgw_error_last()->code;
    rc = llmgw__rule_compile(&r, name, cond, LLMGW__RULES_NATIVE, target, "condition");
    cJSON_Delete(cond);
    if (rc < 0)
        return rc;
    pthread_rwlock_wrlock(&gw->lock);
    items = llmgw__reallocarray(gw->rules.items, gw->rules.n + 1, sizeof(*items));
    if (items == NULL) {
        pthread_rwlock_unlock(&gw->lock);
        llmgw__rule_free(r);
        return llmgw__error_oom();
    }
    items[gw->rules.n++] = r;
    gw->rules.items = items;
    pthread_rwlock_unlock(&gw->lock);
    return 0;
}

int llmgw_gateway_set_classifier(llmgw_gateway *gw, llmgw_classifier_cb cb, void *userdata)
{
    LLMGW_CHECK_ARG(gw);
    pthread_rwlock_wrlock(&gw->lock);
    gw->rules.classifier = cb;
    gw->rules.classifier_userdata = userdata;
    pthread_rwlock_unlock(&gw->lock);
    return 0;
}

int llmgw_gateway_use_builtin_classifier(llmgw_gateway *gw, const char *simple_group, const char *complex_group)
{
    char *s = NULL, *c = NULL;

    LLMGW_CHECK_ARG(gw);
    if ((simple_group == NULL) != (complex_group == NULL))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "give both groups, or neither");
    if (simple_group != NULL) {
        if (!target_known(gw, simple_group) || !target_known(gw, complex_group))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "classifier: unknown target group");
        s = llmgw__strdup(simple_group);
        c = llmgw__strdup(complex_group);
        if (s == NULL || c == NULL) {
            llmgw__free(s);
            llmgw__free(c);
            return llmgw__error_oom();
        }
    }
    pthread_rwlock_wrlock(&gw->lock);
    llmgw__free(gw->rules.builtin_simple);
    llmgw__free(gw->rules.builtin_complex);
    gw->rules.builtin_simple = s;
    gw->rules.builtin_complex = c;
    pthread_rwlock_unlock(&gw->lock);
    return 0;
}
