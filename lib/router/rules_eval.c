/*
 * lib/router/rules_eval.c: the facts of a request, evaluating compiled
 * conditions against them (no allocation), the built-in heuristic
 * classifier, choosing a route, and the public rules API.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "../core/request.h"
#include "rules.h"
#include "rules_impl.h"
#include "rules_regex.h"

#include <stdio.h>

typedef llmgw__rule_node node;

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
    case OP_REGEX:  return llmgw__regex_test(n->re, s);
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

/*
 * The number at the start of s as JavaScript's parseFloat() reads it
 * (leading blanks, sign, digits, fraction, exponent; the rest ignored):
 * false when there is none. No strtod(): it would follow LC_NUMERIC.
 */
static bool leading_number(const char *s, double *out)
{
    double v = 0, scale = 1;
    int exp10 = 0, esign = 1, e = 0, digits = 0;
    bool neg = false;

    while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
        s++;
    if (*s == '+' || *s == '-')
        neg = *s++ == '-';
    for (; *s >= '0' && *s <= '9'; s++, digits++) {
        if (v < 1e17)
            v = v * 10 + (*s - '0');
        else
            exp10++;
    }
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++, digits++)
            if (v < 1e17) {
                v = v * 10 + (*s - '0');
                exp10--;
            }
    if (digits == 0)
        return false;
    if ((*s == 'e' || *s == 'E') && ((s[1] >= '0' && s[1] <= '9') ||
                                     ((s[1] == '+' || s[1] == '-') && s[2] >= '0' && s[2] <= '9'))) {
        s++;
        if (*s == '+' || *s == '-')
            esign = *s++ == '-' ? -1 : 1;
        for (; *s >= '0' && *s <= '9'; s++)
            if (e < 1000)
                e = e * 10 + (*s - '0');
    }
    exp10 += esign * e;
    if (exp10 > 400)
        exp10 = 400;
    if (exp10 < -400)
        exp10 = -400;
    for (e = exp10 < 0 ? -exp10 : exp10; e > 0; e--)
        scale *= 10;            /* exact up to 1e22, so "0.7" reads as the literal 0.7 */
    v = exp10 < 0 ? v / scale : v * scale;
    *out = neg ? -v : v;
    return true;
}

/* A text value (metadata are strings) against a leaf: numbers compare as Portkey's parseFloat does. */
static bool text_matches(const node *n, const char *s)
{
    double v;

    if (n->vtype == V_NUMBER && (n->op == OP_LT || n->op == OP_LTE || n->op == OP_GT || n->op == OP_GTE))
        return s != NULL && leading_number(s, &v) && num_matches(n, true, v);
    return str_matches(n, s);
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
        else if (n->op == OP_REGEX)
            any = llmgw__regex_test(n->re, t);
        else
            for (k = 0; k < n->nvalues && !any; k++)
                any = n->strs != NULL && strcmp(t, n->strs[k]) == 0;
    }
    return n->op == OP_NE || n->op == OP_NIN ? !any : any;
}

static bool param_matches(const node *n, const cJSON *v)
{
    if (n->length)      /* Portkey: $length fails on anything but an array */
        return cJSON_IsArray(v) && num_matches(n, true, (double)cJSON_GetArraySize(v));
    if (cJSON_IsNumber(v))
        return n->op != OP_REGEX && num_matches(n, true, v->valuedouble);
    if (cJSON_IsBool(v) && n->vtype == V_BOOL && n->op != OP_EXISTS)
        return (cJSON_IsTrue(v) == n->boolean) == (n->op != OP_NE);
    if (cJSON_IsString(v))
        return text_matches(n, v->valuestring);
    if (v != NULL && !cJSON_IsNull(v))      /* an object, an array, a boolean against a string */
        return n->op == OP_EXISTS ? n->boolean : n->op == OP_NE || n->op == OP_NIN;
    return n->vtype == V_NUMBER ? num_matches(n, false, 0) : str_matches(n, NULL);
}

static bool leaf(const node *n, const llmgw__facts *f)
{
    const cJSON *v;

    switch (n->field) {
    case F_CUSTOMER:     return str_matches(n, f->req->customer);
    case F_MODEL:        return str_matches(n, llmgw_request_model(f->req));
    case F_PATH:         return str_matches(n, LLMGW__RULES_CHAT_PATH);
    case F_TAGS:         return tags_match(n, f->req);
    case F_INPUT_TOKENS: return num_matches(n, true, (double)f->input_tokens);
    case F_MAX_TOKENS:   return num_matches(n, f->max_tokens > 0, (double)f->max_tokens);
    case F_HAS_IMAGES:   return (f->has_images == n->boolean) == (n->op == OP_EQ);
    case F_HAS_TOOLS:    return (f->has_tools == n->boolean) == (n->op == OP_EQ);
    case F_JSON_MODE:    return (f->json_mode == n->boolean) == (n->op == OP_EQ);
    case F_METADATA:
        v = f->req->metadata ? cJSON_GetObjectItemCaseSensitive(f->req->metadata, n->key) : NULL;
        return text_matches(n, cJSON_IsString(v) ? v->valuestring : NULL);
    case F_PARAM:
        return param_matches(n, cJSON_GetObjectItemCaseSensitive(llmgw__request_body(f->req), n->key));
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
    llmgw__rule *r = NULL;
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
    return llmgw__rules_add(gw, r);
}

int llmgw__rules_add(llmgw_gateway *gw, llmgw__rule *r)
{
    llmgw__rule **items;

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
