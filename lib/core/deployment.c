/*
 * lib/core/deployment.c: turning deployment options into a ready deployment:
 * provider lookup, environment defaults, validation and its id.
 */
#include "common.h"
#include "errors.h"
#include "gateway.h"
#include "hash.h"
#include "json.h"
#include "request.h"
#include "../accounting/pricing.h"
#include "../transport/http.h"

#include <stdio.h>
#include <stdlib.h>

#define CFG(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)

int llmgw__perform_http(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t);
int llmgw__perform_mock(llmgw_gateway *gw, const llmgw__deployment *dep, llmgw__transfer *t);
extern const llmgw_provider_vtable llmgw__provider_mock;

void llmgw__deployment_free(llmgw__deployment *d)
{
    if (d == NULL)
        return;
    if (d->state != NULL && d->vt != NULL && d->vt->cleanup != NULL)
        d->vt->cleanup(d->state);
    if (d->runtime_ready) {
        llmgw__health_dispose(&d->health);
        llmgw__limiter_dispose(&d->limiter);
    }
    llmgw__free(d->state);
    cJSON_Delete(d->params);
    for (size_t t = 0; d->tags != NULL && t < d->tag_count; t++)
        llmgw__free(d->tags[t]);
    llmgw__free(d->tags);
    llmgw__free(d->id);
    llmgw__free(d->group);
    llmgw__free(d->provider_id);
    llmgw__free(d->model);
    llmgw__free(d->api_base);
    llmgw__free_secret(d->api_key);
    llmgw__free(d->api_version);
    llmgw__free(d->organization);
    llmgw__free(d->region);
    llmgw__free_secret(d->aws_access_key_id);
    llmgw__free_secret(d->aws_secret_access_key);
    llmgw__free_secret(d->aws_session_token);
    llmgw__free(d);
}

/* First set variable of a comma-separated list; NULL when none. */
static const char *env_first(const char *list)
{
    char name[128];
    const char *p = list, *comma, *v;
    size_t n;

    while (p != NULL && *p) {
        comma = strchr(p, ',');
        n = comma ? (size_t)(comma - p) : strlen(p);
        if (n > 0 && n < sizeof(name)) {
            memcpy(name, p, n);
            name[n] = '\0';
            v = getenv(name);
            if (v != NULL && *v != '\0')
                return v;
        }
        p = comma ? comma + 1 : NULL;
    }
    return NULL;
}

static int dup_checked(char **slot, const char *what, const char *s)
{
    if (s == NULL)
        return 0;
    if (llmgw__has_ctl(s))
        return CFG("%s contains a control character", what);
    if (strlen(s) > 4096)
        return CFG("%s is longer than 4096 bytes", what);
    *slot = llmgw__strdup(s);
    return *slot ? 0 : llmgw__error_oom();
}

static int make_id(llmgw__deployment *d)
{
    static const char key[] = "llmgw-deployment-id-v1";
    unsigned char mac[LLMGW_SHA256_LEN];
    char hex[9], host[128];
    llmgw__sha256_ctx ctx;
    const char *h = d->api_base ? strstr(d->api_base, "://") : NULL;
    size_t hl;
    int n;

    /* HMAC over the identity, truncated: stable across processes, reveals nothing of the key */
    llmgw__sha256_init(&ctx);
    llmgw__sha256_update(&ctx, d->provider_id, strlen(d->provider_id) + 1);
    llmgw__sha256_update(&ctx, d->api_base ? d->api_base : "", d->api_base ? strlen(d->api_base) + 1 : 1);
    llmgw__sha256_update(&ctx, d->model, strlen(d->model) + 1);
    llmgw__sha256_update(&ctx, d->api_key ? d->api_key : "", d->api_key ? strlen(d->api_key) : 0);
    llmgw__sha256_update(&ctx, d->aws_access_key_id ? d->aws_access_key_id : "",
                         d->aws_access_key_id ? strlen(d->aws_access_key_id) : 0);
    llmgw__sha256_final(&ctx, mac);
    llmgw__hmac_sha256(key, sizeof(key) - 1, mac, sizeof(mac), mac);
    llmgw__hex(hex, mac, 4);
    host[0] = '\0';
    if (h != NULL) {
        h += 3;
        hl = strcspn(h, "/?#");
        snprintf(host, sizeof(host), "@%.*s", (int)LLMGW_MIN(hl, 100), h);
    }
    n = snprintf(NULL, 0, "%s/%s%s#%s", d->provider_id, d->model, host, hex);
    d->id = llmgw__malloc((size_t)n + 1);
    if (d->id == NULL)
        return llmgw__error_oom();
    snprintf(d->id, (size_t)n + 1, "%s/%s%s#%s", d->provider_id, d->model, host, hex);
    return 0;
}

static int resolve_base(llmgw__deployment *d, const char *given)
{
    const char *base = given;
    bool insecure;
    size_t n;

    if (base == NULL && d->vt->env_api_base != NULL)
        base = env_first(d->vt->env_api_base);
    if (base == NULL)
        base = d->vt->default_api_base;
    if (base == NULL)
        return 0;
    LLMGW_TRY(dup_checked(&d->api_base, "api_base", base));
    n = strlen(d->api_base);
    while (n > 0 && d->api_base[n - 1] == '/')
        d->api_base[--n] = '\0';
    if (llmgw__url_check(d->api_base, &insecure) < 0)
        return CFG("deployment '%s/%s': api_base: %s", d->provider_id, d->model,
                   llmgw_error_last()->message);
    return 0;
}

typedef struct aws_settings {
    const char *region, *access_key_id, *secret_access_key, *session_token;
} aws_settings;

/*
 * AWS providers (event-stream framing: bedrock) fall back to the standard
 * AWS variables for what the options leave out: AWS_REGION or
 * AWS_DEFAULT_REGION; then, unless the options give a key or an access key,
 * a Bedrock API key (AWS_BEARER_TOKEN_BEDROCK, sent as a bearer token) or
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The
 * values are copied like configured ones, so redaction knows the secrets.
 */
static void aws_env(aws_settings *a, const llmgw_deployment_options *o, const char **key)
{
    if (a->region == NULL)
        a->region = env_first("AWS_REGION,AWS_DEFAULT_REGION");
    if (*key != NULL || o->aws_access_key_id != NULL || o->aws_secret_access_key != NULL)
        return;
    if ((*key = env_first("AWS_BEARER_TOKEN_BEDROCK")) != NULL)
        return;
    a->access_key_id = env_first("AWS_ACCESS_KEY_ID");
    a->secret_access_key = env_first("AWS_SECRET_ACCESS_KEY");
    if (a->session_token == NULL && a->access_key_id != NULL)
        a->session_token = env_first("AWS_SESSION_TOKEN");
}

/* A presence byte, then the string with its NUL (which separates fields). */
static void fp_str(llmgw__sha256_ctx *c, const char *s)
{
    llmgw__sha256_update(c, s != NULL ? "\x01" : "\x00", 1);
    if (s != NULL)
        llmgw__sha256_update(c, s, strlen(s) + 1);
}

/*
 * What the response cache's key needs of a deployment: a digest of what
 * changes its answers (provider, endpoint, model, API version, params) and a
 * digest of its credentials (keyed again with a secret in the cache key).
 */
static int fingerprints(llmgw__deployment *d)
{
    llmgw__sha256_ctx c;
    llmgw_buf params = LLMGW_BUF_INIT;

    if (d->params != NULL && llmgw__json_print(&params, (cJSON *)d->params) < 0)
        return LLMGW_ENOMEM;
    llmgw__sha256_init(&c);
    fp_str(&c, d->provider_id);
    fp_str(&c, d->api_base);
    fp_str(&c, d->model);
    fp_str(&c, d->api_version);
    fp_str(&c, d->organization);
    fp_str(&c, d->region);
    fp_str(&c, params.ptr);
    llmgw__sha256_final(&c, d->cache_fp);
    llmgw_buf_dispose(&params);
    llmgw__sha256_init(&c);
    fp_str(&c, d->api_key);
    fp_str(&c, d->aws_access_key_id);
    fp_str(&c, d->aws_secret_access_key);
    llmgw__sha256_final(&c, d->cred_fp);
    llmgw__zeroize(&c, sizeof(c));
    return 0;
}

int llmgw__deployment_new(llmgw__deployment **out, llmgw_gateway *gw, const llmgw_deployment_options *o)
{
    llmgw__deployment *d;
    const char *model = o->model, *slash, *key, *ver;
    aws_settings aws = { o->region, o->aws_access_key_id, o->aws_secret_access_key, o->aws_session_token };
    char provider[64];
    int rc;

    *out = NULL;
    if (model == NULL || *model == '\0')
        return CFG("deployment: model is required");
    if (llmgw__has_ctl(model))
        return CFG("deployment: model contains a control character");
    slash = strchr(model, '/');
    if (o->provider != NULL) {
        snprintf(provider, sizeof(provider), "%s", o->provider);
        if (slash != NULL && (size_t)(slash - model) == strlen(o->provider) &&
            strncmp(model, o->provider, (size_t)(slash - model)) == 0)
            model = slash + 1;
    } else {
        if (slash == NULL || slash == model)
            return CFG("deployment: model '%.100s' needs a provider prefix (provider/model)", model);
        if ((size_t)(slash - model) >= sizeof(provider))
            return CFG("deployment: provider name too long");
        memcpy(provider, model, (size_t)(slash - model));
        provider[slash - model] = '\0';
        model = slash + 1;
    }
    if (*model == '\0')
        return CFG("deployment: empty model name");
    d = llmgw__calloc(1, sizeof(*d));
    if (d == NULL)
        return llmgw__error_oom();
    d->vt = llmgw__gateway_provider(gw, provider);
    if (d->vt == NULL) {
        llmgw__free(d);
        return llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_CONFIG, "unknown provider '%.64s'", provider);
    }
    key = o->api_key;
    if (key == NULL && d->vt->env_api_key != NULL)
        key = env_first(d->vt->env_api_key);
    ver = o->api_version;
    if (ver == NULL && d->vt->env_api_version != NULL)
        ver = env_first(d->vt->env_api_version);
    if (d->vt->stream_framing == LLMGW_FRAMING_AWS_EVENTSTREAM)
        aws_env(&aws, o, &key);
    if ((rc = dup_checked(&d->provider_id, "provider", provider)) < 0 ||
        (rc = dup_checked(&d->model, "model", model)) < 0 ||
        (rc = dup_checked(&d->api_key, "api_key", key)) < 0 ||
        (rc = dup_checked(&d->api_version, "api_version", ver)) < 0 ||
        (rc = dup_checked(&d->organization, "organization", o->organization)) < 0 ||
        (rc = dup_checked(&d->region, "region", aws.region)) < 0 ||
        (rc = dup_checked(&d->aws_access_key_id, "aws_access_key_id", aws.access_key_id)) < 0 ||
        (rc = dup_checked(&d->aws_secret_access_key, "aws_secret_access_key", aws.secret_access_key)) < 0 ||
        (rc = dup_checked(&d->aws_session_token, "aws_session_token", aws.session_token)) < 0 ||
        (rc = dup_checked(&d->group, "group", o->group ? o->group : o->model)) < 0 ||
        (rc = resolve_base(d, o->api_base)) < 0)
        goto fail;
    if (o->id != NULL) {
        if ((rc = dup_checked(&d->id, "id", o->id)) < 0)
            goto fail;
    } else if ((rc = make_id(d)) < 0) {
        goto fail;
    }
    {
        size_t ns = 0;
        if (d->api_key)
            d->secrets[ns++] = d->api_key;
        if (d->aws_secret_access_key)
            d->secrets[ns++] = d->aws_secret_access_key;
        if (d->aws_session_token)
            d->secrets[ns++] = d->aws_session_token;
        d->secrets[ns] = NULL;
    }
    d->weight = o->weight > 0 ? o->weight : 1;
    d->weight_set = o->weight > 0 ? o->weight : 0;
    if (o->weight < 0 || o->rpm < 0 || o->tpm < 0 || o->max_parallel_requests < 0 || o->timeout_ms < 0 ||
        o->stream_timeout_ms < 0 || o->max_input_tokens < 0 || o->order < 0) {
        rc = CFG("deployment '%s/%s': weight, order, rpm, tpm, max_parallel_requests, timeouts and "
                 "max_input_tokens must be >= 0", d->provider_id, d->model);
        goto fail;
    }
    if (o->custom_prices && (!(o->input_cost_per_token >= 0) || !(o->output_cost_per_token >= 0) ||
                             o->input_cost_per_token > 1 || o->output_cost_per_token > 1)) {
        rc = CFG("deployment '%s/%s': prices per token must be in [0, 1] USD", d->provider_id, d->model);
        goto fail;
    }
    if (llmgw__health_init(&d->health) < 0 || llmgw__limiter_init(&d->limiter) < 0) {
        rc = llmgw__error_oom();
        goto fail;
    }
    d->runtime_ready = true;
    d->order = o->order;
    d->rpm = o->rpm;
    d->tpm = o->tpm;
    d->max_parallel = o->max_parallel_requests;
    d->timeout_ms = o->timeout_ms;
    d->stream_timeout_ms = o->stream_timeout_ms;
    d->max_input_tokens = o->max_input_tokens;
    d->custom_prices = o->custom_prices != 0;
    d->input_cost_per_token = o->input_cost_per_token;
    d->output_cost_per_token = o->output_cost_per_token;
    if (o->tag_count > 0) {
        size_t t;
        if (o->tags == NULL || o->tag_count > 64) {
            rc = CFG("deployment '%s/%s': at most 64 tags", d->provider_id, d->model);
            goto fail;
        }
        d->tags = llmgw__calloc(o->tag_count, sizeof(*d->tags));
        if (d->tags == NULL) {
            rc = llmgw__error_oom();
            goto fail;
        }
        d->tag_count = o->tag_count;
        for (t = 0; t < o->tag_count; t++) {
            if (o->tags[t] == NULL || *o->tags[t] == '\0') {
                rc = CFG("deployment '%s/%s': empty tag", d->provider_id, d->model);
                goto fail;
            }
            if ((rc = dup_checked(&d->tags[t], "tag", o->tags[t])) < 0)
                goto fail;
            if (strcmp(d->tags[t], "default") == 0)
                d->tag_default = true;
        }
    }
    if (o->params_json != NULL) {
        d->params = llmgw__json_parse(o->params_json, strlen(o->params_json), LLMGW_ERRCLASS_CONFIG);
        if (d->params == NULL) {
            rc = llmgw_error_last()->code;
            goto fail;
        }
        if (!cJSON_IsObject((cJSON *)d->params)) {
            rc = CFG("deployment params must be a JSON object");
            goto fail;
        }
        d->cfg.params = llmgw__json_view(d->params);
    }
    if ((rc = llmgw__pricing_resolve(gw, d)) < 0 || (rc = fingerprints(d)) < 0)
        goto fail;
    d->perform = d->vt == &llmgw__provider_mock ? llmgw__perform_mock : llmgw__perform_http;
    d->cfg.version = 1;
    d->cfg.provider = d->provider_id;
    d->cfg.model = d->model;
    d->cfg.api_base = d->api_base;
    d->cfg.api_key = d->api_key;
    d->cfg.api_version = d->api_version;
    d->cfg.organization = d->organization;
    d->cfg.region = d->region;
    d->cfg.aws_access_key_id = d->aws_access_key_id;
    d->cfg.aws_secret_access_key = d->aws_secret_access_key;
    d->cfg.aws_session_token = d->aws_session_token;
    if (d->vt->state_size > 0) {
        d->state = llmgw__calloc(1, d->vt->state_size);
        if (d->state == NULL) {
            rc = llmgw__error_oom();
            goto fail;
        }
    }
    if (d->vt->init != NULL && (rc = d->vt->init(d->state, &d->cfg)) < 0) {
        /* init failed: cleanup must not run on a half-initialized state */
        llmgw__free(d->state);
        d->state = NULL;
        goto fail;
    }
    *out = d;
    return 0;
fail:
    llmgw__deployment_free(d);
    return rc;
}
