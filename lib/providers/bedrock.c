/*
 * lib/providers/bedrock.c: AWS Bedrock Converse and ConverseStream
 * (docs/providers.md §5): endpoint, model path, authentication.
 *
 * Endpoint: api_base, else AWS_ENDPOINT_URL_BEDROCK_RUNTIME / AWS_ENDPOINT_URL,
 * else https://bedrock-runtime.{region}.amazonaws.com (".com.cn" for cn-*).
 * The model id (an id with ':', an inference profile, an ARN with '/') is one
 * percent-encoded path segment: POST {base}/model/{id}/converse[-stream].
 * Authentication: a Bedrock API key (api_key or AWS_BEARER_TOKEN_BEDROCK) as
 * Authorization: Bearer; else SigV4 with signing name "bedrock" (not
 * "bedrock-runtime") over host, content-type, accept and x-amz-date, plus
 * x-amz-security-token for session credentials. Like botocore for this
 * service, no x-amz-content-sha256 is sent. Credentials and region come from
 * the deployment, which falls back to the standard AWS variables.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/errors.h"
#include "../transport/http.h"
#include "../transport/sigv4.h"
#include "bedrock.h"

#include <stdio.h>
#include <strings.h>

#define CFG(...) llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)
#define MAX_MODEL_ID 2048           /* ARNs are at most 2048 characters */

/* us-east-1, us-gov-west-1, cn-north-1 ...: lowercase letters, digits and '-'. */
static bool valid_region(const char *r)
{
    size_t n = 0;

    for (; r != NULL && *r; r++, n++)
        if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
            return false;
    return n >= 1 && n <= 32;
}

static int bedrock_init(void *state, const llmgw_provider_config *cfg)
{
    llmgw__bedrock_state *st = state;
    const char *base = cfg->api_base, *h;
    size_t hl;
    int n;

    st->cfg = cfg;
    st->bearer = cfg->api_key != NULL;
    if (cfg->region != NULL && !valid_region(cfg->region))
        return CFG("bedrock: region '%.40s' is not a region name", cfg->region);
    if (!st->bearer && (cfg->aws_access_key_id == NULL || cfg->aws_secret_access_key == NULL))
        return CFG("bedrock: no credentials: set aws_access_key_id and aws_secret_access_key "
                   "(or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or a Bedrock API key "
                   "(api_key or AWS_BEARER_TOKEN_BEDROCK)");
    if (!st->bearer && cfg->region == NULL)
        return CFG("bedrock: SigV4 needs a region: set region, AWS_REGION or AWS_DEFAULT_REGION");
    if (strlen(cfg->model) > MAX_MODEL_ID || strcmp(cfg->model, ".") == 0 || strcmp(cfg->model, "..") == 0)
        return CFG("bedrock: model id is not usable in a URL path");
    if (base != NULL)
        n = snprintf(st->base, sizeof(st->base), "%s", base);
    else if (cfg->region != NULL)
        n = snprintf(st->base, sizeof(st->base), "https://bedrock-runtime.%s.amazonaws.com%s", cfg->region,
                     strncmp(cfg->region, "cn-", 3) == 0 ? ".cn" : "");
    else
        return CFG("bedrock: no endpoint: set region (or AWS_REGION) or api_base");
    if (n < 0 || (size_t)n >= sizeof(st->base))
        return CFG("bedrock: api_base longer than %zu bytes", sizeof(st->base) - 1);
    h = strstr(st->base, "://") + 3;
    hl = strcspn(h, "/?#");
    if (strncasecmp(st->base, "https://", 8) == 0 && hl > 4 && memcmp(h + hl - 4, ":443", 4) == 0)
        hl -= 4;
    else if (strncasecmp(st->base, "http://", 7) == 0 && hl > 3 && memcmp(h + hl - 3, ":80", 3) == 0)
        hl -= 3;
    if (hl >= sizeof(st->host))
        return CFG("bedrock: api_base host too long");
    memcpy(st->host, h, hl);
    st->host[hl] = '\0';
    return 0;
}

static int set_url(llmgw_http_request *out, const llmgw__bedrock_state *st, int stream)
{
    llmgw_buf id = LLMGW_BUF_INIT;
    int rc;

    /* every byte but [A-Za-z0-9._~-] encoded: ':' -> %3A, '/' -> %2F; nothing reaches the path raw */
    rc = llmgw__url_encode(&id, st->cfg->model, strlen(st->cfg->model));
    if (rc == 0 && (rc = llmgw_http_request_set_url(out, st->base)) == 0 &&
        (rc = llmgw_http_request_append_url(out, "/model/")) == 0 &&
        (rc = llmgw_http_request_append_url(out, id.ptr)) == 0)
        rc = llmgw_http_request_append_url(out, stream ? "/converse-stream" : "/converse");
    llmgw_buf_dispose(&id);
    return rc;
}

static int sign(llmgw_http_request *out, const llmgw__bedrock_state *st, int64_t unix_time)
{
    const llmgw_provider_config *cfg = st->cfg;
    const char *lines[LLMGW__MAX_REQ_HEADERS];
    llmgw__sigv4_params p;
    llmgw__sigv4_result r;
    size_t i;
    int rc;

    for (i = 0; i < out->header_count; i++)
        lines[i] = out->headers[i].ptr;
    memset(&p, 0, sizeof(p));
    p.method = out->method;
    p.url = llmgw_http_request_url(out);
    p.headers = lines;
    p.header_count = out->header_count;
    p.body = llmgw_http_request_body(out, &p.body_len);
    p.access_key_id = cfg->aws_access_key_id;
    p.secret_access_key = cfg->aws_secret_access_key;
    p.session_token = cfg->aws_session_token;
    p.region = cfg->region;
    p.service = "bedrock";
    p.unix_time = unix_time;
    LLMGW_TRY(llmgw__sigv4_sign(&r, &p));
    rc = llmgw_http_request_add_header(out, "X-Amz-Date", r.amz_date);
    if (rc == 0 && cfg->aws_session_token != NULL)
        rc = llmgw_http_request_add_header(out, "X-Amz-Security-Token", cfg->aws_session_token);
    if (rc == 0)
        rc = llmgw_http_request_add_header(out, "Authorization", r.authorization.ptr);
    llmgw__sigv4_result_dispose(&r);
    return rc;
}

static int bedrock_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const llmgw__bedrock_state *st = state;
    llmgw_buf body = LLMGW_BUF_INIT;
    char auth[4200];
    int rc, n;

    rc = llmgw__bedrock_body(&body, req);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    LLMGW_TRY(rc);
    LLMGW_TRY(set_url(out, st, stream));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Host", st->host));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", stream ? "application/vnd.amazon.eventstream"
                                                                  : "application/json"));
    if (!st->bearer)
        return sign(out, st, llmgw__wall_us() / 1000000);
    n = snprintf(auth, sizeof(auth), "Bearer %s", st->cfg->api_key);
    rc = llmgw_http_request_add_header(out, "Authorization", auth);
    llmgw__zeroize(auth, n > 0 && (size_t)n < sizeof(auth) ? (size_t)n : sizeof(auth));
    return rc;
}

const llmgw_provider_vtable llmgw__provider_bedrock = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "bedrock",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION,
    .stream_framing = LLMGW_FRAMING_AWS_EVENTSTREAM,
    .default_api_base = NULL,           /* from the region, in init */
    .env_api_key = NULL,                /* SigV4 or a bearer token: see lib/core/deployment.c */
    .env_api_base = "AWS_ENDPOINT_URL_BEDROCK_RUNTIME,AWS_ENDPOINT_URL",
    .env_api_version = NULL,
    .state_size = sizeof(llmgw__bedrock_state),
    .stream_state_size = sizeof(llmgw__bedrock_stream),
    .init = bedrock_init,
    .build_request = bedrock_build_request,
    .parse_response = llmgw__bedrock_parse_response,
    .parse_stream_event = llmgw__bedrock_parse_stream_event,
    .classify_error = llmgw__bedrock_classify_error,
    .cleanup = NULL,
};
