/*
 * lib/config/sections_models.c: model_list, one deployment per entry.
 *
 * model_name is the group; litellm_params (or params) give the deployment's
 * fields; model_info gives its id, context window and prices. Other
 * litellm_params are what LiteLLM forwards to the provider call: the known
 * request defaults (temperature, mock_response ...) go to the deployment's
 * params_json silently, unknown keys go there with a warning, and
 * credentials llmgw cannot use (vertex_*, Azure AD, AWS profiles) are
 * dropped with a warning.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../transport/http.h"
#include "loader.h"

#include <stdio.h>

static const llmgw__cfg_key entry_keys[] = {
    { "model_name", LLMGW__KEY_USED, NULL },
    { "litellm_params", LLMGW__KEY_USED, NULL },
    { "params", LLMGW__KEY_USED, NULL },
    { "model_info", LLMGW__KEY_USED, NULL },
    { "rpm", LLMGW__KEY_USED, NULL },
    { "tpm", LLMGW__KEY_USED, NULL },
    { NULL, 0, NULL }
};

static const char caps_from_provider[] = "capabilities come from the provider";

static const llmgw__cfg_key info_keys[] = {
    { "id", LLMGW__KEY_USED, NULL },
    { "mode", LLMGW__KEY_USED, NULL },
    { "max_input_tokens", LLMGW__KEY_USED, NULL },
    { "input_cost_per_token", LLMGW__KEY_USED, NULL },
    { "output_cost_per_token", LLMGW__KEY_USED, NULL },
    { "base_model", LLMGW__KEY_INFO, "prices come from the model name or input/output_cost_per_token" },
    { "max_tokens", LLMGW__KEY_INFO, "the context window is max_input_tokens" },
    { "max_output_tokens", LLMGW__KEY_INFO, "not used for routing" },
    { "supports_*", LLMGW__KEY_INFO, caps_from_provider },
    { "litellm_provider", LLMGW__KEY_INFO, "the provider is the prefix of litellm_params.model" },
    { "description", LLMGW__KEY_INFO, "documentation only" },
    { "db_model", LLMGW__KEY_INFO, "a LiteLLM proxy database flag" },
    { "access_groups", LLMGW__KEY_WARN, "a LiteLLM proxy feature, not part of llmgw" },
    { "team_id", LLMGW__KEY_WARN, "a LiteLLM proxy feature, not part of llmgw" },
    { NULL, 0, NULL }
};

static const char no_vertex[] = "Vertex AI credentials are not supported (use gemini/ with an API key)";
static const char no_azure_ad[] = "Azure AD credentials are not supported (use api_key)";
static const char no_aws_chain[] = "AWS profiles and roles are not supported (use aws_access_key_id and "
                                   "aws_secret_access_key, or the AWS_* environment variables)";

/* USED: read as deployment fields. INFO/WARN: dropped. Others: see pass_keys. */
static const llmgw__cfg_key param_keys[] = {
    { "model", LLMGW__KEY_USED, NULL }, { "custom_llm_provider", LLMGW__KEY_USED, NULL },
    { "api_key", LLMGW__KEY_USED, NULL }, { "api_base", LLMGW__KEY_USED, NULL },
    { "api_version", LLMGW__KEY_USED, NULL }, { "organization", LLMGW__KEY_USED, NULL },
    { "region_name", LLMGW__KEY_USED, NULL }, { "aws_region_name", LLMGW__KEY_USED, NULL },
    { "aws_access_key_id", LLMGW__KEY_USED, NULL }, { "aws_secret_access_key", LLMGW__KEY_USED, NULL },
    { "aws_session_token", LLMGW__KEY_USED, NULL }, { "aws_bedrock_runtime_endpoint", LLMGW__KEY_USED, NULL },
    { "rpm", LLMGW__KEY_USED, NULL }, { "tpm", LLMGW__KEY_USED, NULL },
    { "weight", LLMGW__KEY_USED, NULL }, { "order", LLMGW__KEY_USED, NULL },
    { "timeout", LLMGW__KEY_USED, NULL }, { "stream_timeout", LLMGW__KEY_USED, NULL },
    { "max_parallel_requests", LLMGW__KEY_USED, NULL }, { "tags", LLMGW__KEY_USED, NULL },
    { "input_cost_per_token", LLMGW__KEY_USED, NULL }, { "output_cost_per_token", LLMGW__KEY_USED, NULL },
    { "vertex_*", LLMGW__KEY_WARN, no_vertex },
    { "azure_ad_token", LLMGW__KEY_WARN, no_azure_ad }, { "azure_ad_token_provider", LLMGW__KEY_WARN, no_azure_ad },
    { "tenant_id", LLMGW__KEY_WARN, no_azure_ad }, { "client_id", LLMGW__KEY_WARN, no_azure_ad },
    { "client_secret", LLMGW__KEY_WARN, no_azure_ad }, { "azure_username", LLMGW__KEY_WARN, no_azure_ad },
    { "azure_password", LLMGW__KEY_WARN, no_azure_ad }, { "azure_scope", LLMGW__KEY_WARN, no_azure_ad },
    { "aws_profile_name", LLMGW__KEY_WARN, no_aws_chain }, { "aws_role_name", LLMGW__KEY_WARN, no_aws_chain },
    { "aws_session_name", LLMGW__KEY_WARN, no_aws_chain },
    { "aws_web_identity_token", LLMGW__KEY_WARN, no_aws_chain },
    { "aws_sts_endpoint", LLMGW__KEY_WARN, no_aws_chain },
    { "max_retries", LLMGW__KEY_WARN, "llmgw owns retries (router_settings.num_retries)" },
    { "litellm_credential_name", LLMGW__KEY_WARN, "give credentials per deployment" },
    { "use_in_pass_through", LLMGW__KEY_INFO, "llmgw has no pass-through endpoints" },
    { "input_cost_per_second", LLMGW__KEY_WARN, "per-second prices are not supported" },
    { "output_cost_per_second", LLMGW__KEY_WARN, "per-second prices are not supported" },
    { "max_budget", LLMGW__KEY_WARN, "per-deployment budgets are not supported (llmgw_settings.budgets)" },
    { "budget_duration", LLMGW__KEY_WARN, "per-deployment budgets are not supported (llmgw_settings.budgets)" },
    { "drop_params", LLMGW__KEY_WARN, "drop_params is gateway-wide (litellm_settings.drop_params) or per request" },
    { "additional_drop_params", LLMGW__KEY_WARN, "not supported" },
    { NULL, 0, NULL }
};

/* Forwarded to the provider as deployment params, as LiteLLM forwards them. */
static const llmgw__cfg_key pass_keys[] = {
    { "temperature", 0, NULL }, { "top_p", 0, NULL }, { "top_k", 0, NULL }, { "max_tokens", 0, NULL },
    { "max_completion_tokens", 0, NULL }, { "stop", 0, NULL }, { "seed", 0, NULL },
    { "presence_penalty", 0, NULL }, { "frequency_penalty", 0, NULL }, { "response_format", 0, NULL },
    { "reasoning_effort", 0, NULL }, { "thinking", 0, NULL }, { "extra_headers", 0, NULL },
    { "extra_body", 0, NULL }, { "mock_response", 0, NULL }, { "logit_bias", 0, NULL },
    { "parallel_tool_calls", 0, NULL }, { "user", 0, NULL }, { "anthropic_beta", 0, NULL },
    { NULL, 0, NULL }
};

/* The explicit ids seen so far (borrowed from the tree), each with the first entry that gave it. */
typedef llmgw__names ids;

static int seen_id(llmgw__cfg *c, ids *seen, const char *id, size_t index)
{
    size_t first;

    if (llmgw__names_get(seen, id, &first))
        return llmgw__cfg_error(c, "duplicate deployment id (model_list[%zu] has it too)", first);
    LLMGW_TRY(llmgw__names_reserve(seen, seen->n + 1));
    llmgw__names_put(seen, id, index);
    return 0;
}

static int model_field(llmgw__cfg *c, const cJSON *lp, llmgw_deployment_options *o)
{
    const char *model = NULL, *prov = NULL, *slash, *name;
    char provider[64], shown[80];
    bool known;
    int rc = llmgw__cfg_string(c, lp, "model", 0, &model);

    LLMGW_TRY(rc);
    if (rc == 0 || *model == '\0')
        return llmgw__cfg_error_at(c, "model", "is required: provider/model, e.g. openai/gpt-4o");
    if (strchr(model, '*') != NULL)
        return llmgw__cfg_error_at(c, "model", "wildcard models (provider/*) are not supported: list each model");
    LLMGW_TRY(llmgw__cfg_string(c, lp, "custom_llm_provider", 0, &prov));
    slash = strchr(model, '/');
    if (prov != NULL) {
        name = prov;
    } else if (slash == NULL || slash == model || slash[1] == '\0') {
        return llmgw__cfg_error_at(c, "model", "%s needs a provider prefix: provider/model, e.g. openai/gpt-4o",
                                   llmgw__cfg_show(c, model, shown, sizeof(shown)));
    } else {
        snprintf(provider, sizeof(provider), "%.*s", (int)LLMGW_MIN((size_t)(slash - model), 63), model);
        name = provider;
    }
    pthread_rwlock_rdlock(&c->gw->lock);
    known = llmgw__gateway_provider(c->gw, name) != NULL;
    pthread_rwlock_unlock(&c->gw->lock);
    if (!known) {
        if (llmgw__cfg_is_secret(c, prov ? prov : model))
            return llmgw__cfg_error_at(c, prov ? "custom_llm_provider" : "model", "unknown provider");
        return llmgw__cfg_error_at(c, prov ? "custom_llm_provider" : "model", "unknown provider '%.63s'", name);
    }
    o->model = model;
    o->provider = prov;
    return 0;
}

static int base_field(llmgw__cfg *c, const cJSON *lp, llmgw_deployment_options *o)
{
    const char *key = "api_base", *base = NULL;
    char *copy;
    size_t n;
    bool insecure;
    int rc = llmgw__cfg_string(c, lp, key, 0, &base);

    LLMGW_TRY(rc);
    if (rc == 0) {
        key = "aws_bedrock_runtime_endpoint";
        if ((rc = llmgw__cfg_string(c, lp, key, 0, &base)) <= 0)
            return rc;
    }
    if ((copy = llmgw__strdup(base)) == NULL)
        return llmgw__error_oom();
    for (n = strlen(copy); n > 0 && copy[n - 1] == '/'; n--)
        copy[n - 1] = '\0';
    rc = llmgw__url_check(copy, &insecure);
    llmgw__free(copy);
    if (rc < 0) {
        char why[256];
        snprintf(why, sizeof(why), "%s", llmgw_error_last()->message);
        return llmgw__cfg_error_at(c, key, "%s", why);
    }
    o->api_base = base;
    return 0;
}

static int string_fields(llmgw__cfg *c, const cJSON *lp, llmgw_deployment_options *o)
{
    const char *region = NULL, *aws_region = NULL;

    LLMGW_TRY(llmgw__cfg_string(c, lp, "api_key", LLMGW__CFG_SECRET, &o->api_key));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "api_version", 0, &o->api_version));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "organization", 0, &o->organization));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "region_name", 0, &region));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "aws_region_name", 0, &aws_region));
    if (region != NULL && aws_region != NULL && strcmp(region, aws_region) != 0)
        return llmgw__cfg_error_at(c, "aws_region_name", "differs from region_name: give one");
    o->region = region ? region : aws_region;
    LLMGW_TRY(llmgw__cfg_string(c, lp, "aws_access_key_id", LLMGW__CFG_SECRET, &o->aws_access_key_id));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "aws_secret_access_key", LLMGW__CFG_SECRET, &o->aws_secret_access_key));
    LLMGW_TRY(llmgw__cfg_string(c, lp, "aws_session_token", LLMGW__CFG_SECRET, &o->aws_session_token));
    return 0;
}

typedef struct entry_ctx {
    const cJSON    *e, *lp, *info;
    const char     *lp_key;     /* "litellm_params", or its alias "params" */
    llmgw__cfg_mark at_entry;   /* the path at model_list[i] */
} entry_ctx;

/* Move the path to model_list[i].section (the entry itself when section is NULL). */
static void go(llmgw__cfg *c, const entry_ctx *x, const char *section)
{
    llmgw__cfg_pop(c, x->at_entry);
    if (section != NULL)
        llmgw__cfg_push_key(c, section);
}

/* tags: a list of strings for tag routing; *out (allocated) is freed by the caller. */
static int tags_field(llmgw__cfg *c, const cJSON *lp, llmgw_deployment_options *o, const char ***out)
{
    const cJSON *list = NULL, *it;
    llmgw__cfg_mark mark;
    size_t i = 0;
    int rc = llmgw__cfg_array(c, lp, "tags", &list);

    if (rc <= 0)
        return rc;
    if (cJSON_GetArraySize(list) > 64)
        return llmgw__cfg_error_at(c, "tags", "at most 64 tags");
    if ((*out = llmgw__calloc((size_t)cJSON_GetArraySize(list) + 1, sizeof(**out))) == NULL)
        return llmgw__error_oom();
    mark = llmgw__cfg_push_key(c, "tags");
    cJSON_ArrayForEach(it, list) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, i);
        rc = llmgw__cfg_string_node(c, it, 0, &(*out)[i]);
        if (rc > 0 && (*(*out)[i] == '\0' || strlen((*out)[i]) > 128))
            rc = llmgw__cfg_error(c, "a tag is 1 to 128 bytes");
        llmgw__cfg_pop(c, m2);
        if (rc < 0)
            break;
        i++;
    }
    llmgw__cfg_pop(c, mark);
    o->tags = *out;
    o->tag_count = i;
    return rc < 0 ? rc : 0;
}

/* rpm or tpm, in litellm_params or (as LiteLLM also reads it) on the entry itself. */
static int limit_field(llmgw__cfg *c, const entry_ctx *x, const char *key, int64_t *out)
{
    int rc = llmgw__cfg_int(c, x->lp, key, 0, 1000000000000, out);

    LLMGW_TRY(rc);
    if (llmgw__cfg_get(x->e, key) == NULL)
        return 0;
    go(c, x, NULL);
    if (rc > 0)
        rc = llmgw__cfg_error_at(c, key, "is given here and in %s: give one", x->lp_key);
    else
        rc = llmgw__cfg_int(c, x->e, key, 0, 1000000000000, out);
    go(c, x, x->lp_key);
    return rc < 0 ? rc : 0;
}

static int number_fields(llmgw__cfg *c, const entry_ctx *x, llmgw_deployment_options *o)
{
    int64_t n = 0;
    int rc;

    LLMGW_TRY(limit_field(c, x, "rpm", &o->rpm));
    LLMGW_TRY(limit_field(c, x, "tpm", &o->tpm));
    if ((rc = llmgw__cfg_int(c, x->lp, "weight", 1, 1000000, &n)) > 0)
        o->weight = (int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, x->lp, "order", 1, 1000000, &n)) > 0)
        o->order = (int)n;
    LLMGW_TRY(rc);
    if ((rc = llmgw__cfg_int(c, x->lp, "max_parallel_requests", 1, 1000000, &n)) > 0)
        o->max_parallel_requests = (int)n;
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_seconds(c, x->lp, "timeout", false, &o->timeout_ms));
    LLMGW_TRY(llmgw__cfg_seconds(c, x->lp, "stream_timeout", false, &o->stream_timeout_ms));
    if (o->stream_timeout_ms == 0)
        o->stream_timeout_ms = c->default_stream_timeout_ms;
    return 0;
}

/* A price from litellm_params or model_info (both: they must agree). */
static int price(llmgw__cfg *c, const entry_ctx *x, const char *key, double *out, bool *given)
{
    double a = 0, b = 0;
    int ra = llmgw__cfg_number(c, x->lp, key, 0, 1, &a), rb = 0;

    LLMGW_TRY(ra);
    if (x->info != NULL) {
        go(c, x, "model_info");
        rb = llmgw__cfg_number(c, x->info, key, 0, 1, &b);
        if (rb > 0 && ra > 0 && a != b)
            rb = llmgw__cfg_error_at(c, key, "differs from %s.%s", x->lp_key, key);
        go(c, x, x->lp_key);
        LLMGW_TRY(rb);
    }
    *given = ra > 0 || rb > 0;
    *out = ra > 0 ? a : b;
    return 0;
}

static int model_info(llmgw__cfg *c, const cJSON *info, llmgw_deployment_options *o, ids *seen, size_t index)
{
    const char *mode = NULL;
    char shown[80];
    llmgw__cfg_mark mark;
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, info, info_keys, NULL));
    if ((rc = llmgw__cfg_string(c, info, "id", 0, &o->id)) > 0) {
        mark = llmgw__cfg_push_key(c, "id");
        if (*o->id == '\0' || strlen(o->id) > 256)
            rc = llmgw__cfg_error(c, "must be 1 to 256 bytes");
        else
            rc = seen_id(c, seen, o->id, index);
        llmgw__cfg_pop(c, mark);
    }
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_int(c, info, "max_input_tokens", 1, (int64_t)LLMGW_MAX_TOKENS_VALUE - 1,
                             &o->max_input_tokens));
    LLMGW_TRY(llmgw__cfg_string(c, info, "mode", 0, &mode));
    if (mode != NULL && strcmp(mode, "chat") != 0 && strcmp(mode, "completion") != 0 &&
        strcmp(mode, "responses") != 0)
        llmgw__cfg_log_at(c, LLMGW_LOG_WARN, "mode", "llmgw serves chat completions: a %s deployment is added "
                          "but will not work", llmgw__cfg_show(c, mode, shown, sizeof(shown)));
    return 0;
}

/* Extra litellm_params: forwarded (known or unknown) or dropped. */
static int extras(llmgw__cfg *c, const cJSON *lp, cJSON **params)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, lp) {
        const llmgw__cfg_key *k = llmgw__cfg_key_find(param_keys, it->string);
        llmgw__cfg_mark mark;
        cJSON *copy;
        int rc;
        if (k != NULL) {
            if (k->kind == LLMGW__KEY_WARN)
                llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "ignored: %s", k->note);
            else if (k->kind == LLMGW__KEY_INFO)
                llmgw__cfg_log_at(c, LLMGW_LOG_INFO, it->string, "ignored: %s", k->note);
            continue;
        }
        if (cJSON_IsNull(it))
            continue;
        if (llmgw__cfg_key_find(pass_keys, it->string) == NULL)
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "unknown key; passed to the provider as a "
                              "deployment param");
        if (*params == NULL && (*params = cJSON_CreateObject()) == NULL)
            return llmgw__error_oom();
        if ((copy = cJSON_Duplicate(it, 1)) == NULL)
            return llmgw__error_oom();
        mark = llmgw__cfg_push_key(c, it->string);
        rc = llmgw__cfg_env_resolve_tree(c, copy);
        llmgw__cfg_pop(c, mark);
        if (rc == 0 && !cJSON_AddItemToObject(*params, it->string, copy))
            rc = llmgw__error_oom();
        if (rc < 0) {
            llmgw__cfg_tree_wipe(copy);
            cJSON_Delete(copy);
            return rc;
        }
    }
    return 0;
}

static int entry_params(llmgw__cfg *c, const entry_ctx *x, llmgw_deployment_options *o, cJSON **params,
                        const char ***tags)
{
    double in = 0, out = 0;
    bool in_given = false, out_given = false;

    LLMGW_TRY(model_field(c, x->lp, o));
    LLMGW_TRY(base_field(c, x->lp, o));
    LLMGW_TRY(string_fields(c, x->lp, o));
    LLMGW_TRY(number_fields(c, x, o));
    LLMGW_TRY(tags_field(c, x->lp, o, tags));
    LLMGW_TRY(price(c, x, "input_cost_per_token", &in, &in_given));
    LLMGW_TRY(price(c, x, "output_cost_per_token", &out, &out_given));
    if (in_given != out_given)
        return llmgw__cfg_error(c, "give both input_cost_per_token and output_cost_per_token, or neither");
    o->custom_prices = in_given;
    o->input_cost_per_token = in;
    o->output_cost_per_token = out;
    return extras(c, x->lp, params);
}

/* Read the entry into o (strings borrowed from the tree or the secrets). */
static int entry_read(llmgw__cfg *c, entry_ctx *x, llmgw_deployment_options *o, ids *seen, size_t index,
                      cJSON **params, const char ***tags)
{
    int rc;

    LLMGW_TRY(llmgw__cfg_check_keys(c, x->e, entry_keys, NULL));
    if (llmgw__cfg_get(x->e, "litellm_params") != NULL && llmgw__cfg_get(x->e, "params") != NULL)
        return llmgw__cfg_error(c, "both litellm_params and params are given: use one");
    x->lp_key = llmgw__cfg_get(x->e, "litellm_params") == NULL && llmgw__cfg_get(x->e, "params") != NULL
                    ? "params" : "litellm_params";
    if ((rc = llmgw__cfg_string(c, x->e, "model_name", 0, &o->group)) == 0)
        return llmgw__cfg_error(c, "needs model_name: the group callers ask for");
    LLMGW_TRY(rc);
    if (*o->group == '\0' || strlen(o->group) > 256 || strchr(o->group, '*') != NULL)
        return llmgw__cfg_error_at(c, "model_name", "must be 1 to 256 bytes, without wildcards");
    if ((rc = llmgw__cfg_object(c, x->e, x->lp_key, &x->lp)) == 0)
        return llmgw__cfg_error(c, "needs litellm_params with at least model");
    LLMGW_TRY(rc);
    LLMGW_TRY(llmgw__cfg_object(c, x->e, "model_info", &x->info));
    if (x->info != NULL) {
        go(c, x, "model_info");
        rc = model_info(c, x->info, o, seen, index);
        go(c, x, NULL);
        LLMGW_TRY(rc);
    }
    go(c, x, x->lp_key);
    rc = entry_params(c, x, o, params, tags);
    go(c, x, NULL);
    return rc;
}

static int entry(llmgw__cfg *c, const cJSON *e, size_t index, ids *seen)
{
    llmgw_deployment_options o;
    entry_ctx x;
    const char **tags = NULL;
    cJSON *params = NULL;
    char *json = NULL;
    int rc;

    if (!cJSON_IsObject(e))
        return llmgw__cfg_error(c, "must be a mapping with model_name and litellm_params");
    memset(&o, 0, sizeof(o));
    o.version = LLMGW_DEPLOYMENT_OPTIONS_VERSION;
    memset(&x, 0, sizeof(x));
    x.e = e;
    x.at_entry = c->path_len;
    rc = entry_read(c, &x, &o, seen, index, &params, &tags);
    if (rc == 0 && params != NULL) {
        if ((json = cJSON_PrintUnformatted(params)) == NULL)
            rc = llmgw__error_oom();
        o.params_json = json;
    }
    if (rc == 0 && (rc = llmgw_gateway_add_deployment(c->gw, &o)) < 0)
        rc = llmgw__cfg_error_wrap(c, rc);
    llmgw__free((void *)tags);
    llmgw__cfg_tree_wipe(params);
    cJSON_Delete(params);
    if (json != NULL) {
        llmgw__zeroize(json, strlen(json));
        cJSON_free(json);
    }
    return rc;
}

int llmgw__cfg_model_list(llmgw__cfg *c)
{
    const cJSON *e;
    llmgw__cfg_mark mark;
    ids seen;
    size_t i = 0;
    int rc = 0;

    if (c->model_list == NULL)
        return 0;
    llmgw__names_init(&seen, c->gw->names_key);
    mark = llmgw__cfg_push_key(c, "model_list");
    cJSON_ArrayForEach(e, c->model_list) {
        llmgw__cfg_mark m2 = llmgw__cfg_push_index(c, i);
        rc = entry(c, e, i++, &seen);
        llmgw__cfg_pop(c, m2);
        if (rc < 0)
            break;
    }
    llmgw__cfg_pop(c, mark);
    llmgw__names_dispose(&seen);
    return rc;
}
