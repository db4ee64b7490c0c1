/*
 * lib/providers/openai.c: OpenAI Chat Completions, the request side
 * (docs/providers.md §1), shared by every OpenAI-shaped dialect, and the
 * `openai` vtable. The reply side is openai_parse.c.
 *
 * The canonical request already is a Chat Completions body, so the body
 * references the canonical members (no deep copy) and adds `model` and the
 * stream members; a dialect (llmgw__openai_dialect) renames, refuses or
 * rewrites the few members its upstream spells differently.
 *
 * OpenAI's own quirks, as decided here:
 *  - max_tokens / max_completion_tokens are sent as the caller gave them,
 *    except that for o-series and gpt-5 models (model names "o<digit>..." and
 *    "gpt-5...") max_tokens is sent as max_completion_tokens: the spec calls
 *    max_tokens "not compatible with o-series models", and the C API's
 *    llmgw_request_set_max_tokens() writes max_tokens. Other models keep
 *    max_tokens, which every OpenAI-compatible server behind OPENAI_BASE_URL
 *    understands.
 *  - role "developer" passes through unchanged.
 *  - streaming always asks for stream_options.include_usage; response members
 *    llmgw does not use (include_obfuscation's "obfuscation") are ignored.
 *  - x-should-retry is read by the core, not here.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "openai.h"

#include <stdio.h>

#define MESSAGE_FLAGS (LLMGW__OAI_DEVELOPER_AS_SYSTEM | LLMGW__OAI_NO_MESSAGE_NAME | LLMGW__OAI_TEXT_ONLY)

static int unsupported(const llmgw__openai_dialect *d, const char *what)
{
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "%s cannot express %s (drop_params drops it instead)", d->name, what);
}

static bool is_refused(const llmgw__openai_dialect *d, const char *key)
{
    const char *const *r;

    for (r = d->refused; r != NULL && *r != NULL; r++)
        if (strcmp(*r, key) == 0)
            return true;
    return false;
}

static bool has(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    return it != NULL && !cJSON_IsNull(it);
}

/* o1, o3-mini, o4-mini, gpt-5, gpt-5-mini ...: reasoning models that refuse max_tokens. */
static bool reasoning_model(const char *m)
{
    return m != NULL && ((m[0] == 'o' && m[1] >= '1' && m[1] <= '9') || strncmp(m, "gpt-5", 5) == 0);
}

/* The name a canonical member is sent under (a rename never collides with a member present). */
static const char *wire_name(const llmgw__openai_dialect *d, const cJSON *body, const char *key,
                             const char *model)
{
    if ((d->flags & LLMGW__OAI_RANDOM_SEED) && strcmp(key, "seed") == 0 && !has(body, "random_seed"))
        return "random_seed";
    if ((d->flags & LLMGW__OAI_MAX_TOKENS_ONLY) && strcmp(key, "max_completion_tokens") == 0 &&
        !has(body, "max_tokens"))
        return "max_tokens";
    if ((d->flags & LLMGW__OAI_REASONING_RENAME) && strcmp(key, "max_tokens") == 0 &&
        reasoning_model(model) && !has(body, "max_completion_tokens"))
        return "max_completion_tokens";
    return key;
}

static bool non_text_part(const cJSON *part)
{
    const char *type = llmgw__json_str(part, "type");

    return type == NULL || strcmp(type, "text") != 0;
}

static bool message_needs_change(const llmgw__openai_dialect *d, const cJSON *m)
{
    const char *role = llmgw__json_str(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *part;

    if ((d->flags & LLMGW__OAI_DEVELOPER_AS_SYSTEM) && role != NULL && strcmp(role, "developer") == 0)
        return true;
    if ((d->flags & LLMGW__OAI_NO_MESSAGE_NAME) && cJSON_GetObjectItemCaseSensitive(m, "name") != NULL)
        return true;
    if ((d->flags & LLMGW__OAI_TEXT_ONLY) && cJSON_IsArray(content))
        cJSON_ArrayForEach(part, content)
            if (non_text_part(part))
                return true;
    return false;
}

/* Rewrite one copied message for the dialect; refusals name the member. */
static int adapt_message(cJSON *m, const llmgw__openai_dialect *d, size_t mi, bool drop)
{
    cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *part, *next;
    const char *role = llmgw__json_str(m, "role");
    char what[96];
    size_t pi = 0;

    if ((d->flags & LLMGW__OAI_DEVELOPER_AS_SYSTEM) && role != NULL && strcmp(role, "developer") == 0)
        LLMGW_TRY(llmgw__json_set_item(m, "role", cJSON_CreateString("system")));
    if ((d->flags & LLMGW__OAI_NO_MESSAGE_NAME) && cJSON_GetObjectItemCaseSensitive(m, "name") != NULL) {
        snprintf(what, sizeof(what), "messages[%zu].name", mi);
        if (!drop && has(m, "name"))
            return unsupported(d, what);
        cJSON_DeleteItemFromObjectCaseSensitive(m, "name");
    }
    if ((d->flags & LLMGW__OAI_TEXT_ONLY) && cJSON_IsArray(content)) {
        for (part = content->child; part != NULL; part = next, pi++) {
            next = part->next;
            if (!non_text_part(part))
                continue;
            snprintf(what, sizeof(what), "messages[%zu].content[%zu] (type %.32s)", mi, pi,
                     llmgw__json_str(part, "type") ? llmgw__json_str(part, "type") : "?");
            if (!drop)
                return unsupported(d, what);
            cJSON_Delete(cJSON_DetachItemViaPointer(content, part));
        }
        if (content->child == NULL)
            LLMGW_TRY(llmgw__json_set_item(m, "content", cJSON_CreateString("")));
    }
    return 0;
}

/* *out: a new messages array when the dialect changes any message, else NULL. */
static int dialect_messages(cJSON **out, const cJSON *msgs, const llmgw__openai_dialect *d, bool drop)
{
    const cJSON *m;
    cJSON *arr, *copy;
    size_t mi = 0;
    bool any = false;
    int rc;

    *out = NULL;
    cJSON_ArrayForEach(m, msgs)
        any = any || message_needs_change(d, m);
    if (!any)
        return 0;
    if ((arr = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(m, msgs) {
        if (message_needs_change(d, m)) {
            if ((copy = cJSON_Duplicate(m, true)) == NULL || llmgw__json_append(arr, copy) < 0) {
                cJSON_Delete(arr);
                return llmgw__error_oom();
            }
            if ((rc = adapt_message(copy, d, mi, drop)) < 0) {
                cJSON_Delete(arr);
                return rc;
            }
        } else if (!cJSON_AddItemReferenceToArray(arr, (cJSON *)(uintptr_t)m)) {
            cJSON_Delete(arr);
            return llmgw__error_oom();
        }
        mi++;
    }
    *out = arr;
    return 0;
}

int llmgw__openai_dialect_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                               const llmgw__openai_dialect *d)
{
    const cJSON *body = llmgw__request_body(req), *it;
    bool drop = llmgw_request_drop_params(req) != 0;
    cJSON *o = cJSON_CreateObject(), *so, *msgs;
    char what[96];
    int rc = 0;

    if (o == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(it, body) {
        if (strcmp(it->string, "model") == 0) {
            if (!(d->flags & LLMGW__OAI_OMIT_MODEL) && (rc = llmgw__json_add_str(o, "model", model)) < 0)
                goto out;
            continue;
        }
        if (is_refused(d, it->string)) {
            if (drop || cJSON_IsNull(it))
                continue;       /* null is "not set": nothing is lost */
            snprintf(what, sizeof(what), "'%.64s'", it->string);
            rc = unsupported(d, what);
            goto out;
        }
        if (strcmp(it->string, "messages") == 0 && (d->flags & MESSAGE_FLAGS)) {
            if ((rc = dialect_messages(&msgs, it, d, drop)) < 0)
                goto out;
            if (msgs != NULL) {
                if ((rc = llmgw__json_add_item(o, "messages", msgs)) < 0)
                    goto out;
                continue;
            }
        }
        if ((rc = llmgw__json_add_ref(o, wire_name(d, body, it->string, model), it)) < 0)
            goto out;
    }
    if (stream) {
        if ((rc = llmgw__json_add_bool(o, "stream", true)) < 0)
            goto out;
        if (!(d->flags & LLMGW__OAI_NO_STREAM_OPTIONS)) {
            so = cJSON_CreateObject();
            if ((rc = llmgw__json_add_item(o, "stream_options", so)) < 0 ||
                (rc = llmgw__json_add_bool(so, "include_usage", true)) < 0)
                goto out;
        }
    }
    if ((d->flags & LLMGW__OAI_CONTEXT_ERROR) && !has(body, "context_length_exceeded_behavior") &&
        (rc = llmgw__json_add_str(o, "context_length_exceeded_behavior", "error")) < 0)
        goto out;
    rc = llmgw__json_print(out, o);
out:
    cJSON_Delete(o);
    return rc;
}

int llmgw__openai_body(llmgw_buf *out, const llmgw_request *req, const char *model, int stream,
                       bool include_model)
{
    llmgw__openai_dialect d = { "openai", include_model ? 0u : (unsigned int)LLMGW__OAI_OMIT_MODEL, NULL };

    return llmgw__openai_dialect_body(out, req, model, stream, &d);
}

int llmgw__openai_check_config(const char *who, const llmgw_provider_config *cfg)
{
    if (cfg->api_base == NULL || *cfg->api_base == '\0')
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s: no api_base", who);
    if (strpbrk(cfg->api_base, "?#") != NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "%s: api_base may not carry a query or a fragment", who);
    return 0;
}

static int bearer(llmgw_http_request *out, const char *key)
{
    char auth[4200];
    int n, rc;

    n = snprintf(auth, sizeof(auth), "Bearer %s", key);
    if (n < 0 || (size_t)n >= sizeof(auth))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "api_key is too long");
    rc = llmgw_http_request_add_header(out, "Authorization", auth);
    llmgw__zeroize(auth, (size_t)n);
    return rc;
}

int llmgw__openai_build(llmgw_http_request *out, const llmgw_provider_config *cfg, const llmgw_request *req,
                        int stream, const llmgw__openai_dialect *d)
{
    llmgw_buf body = LLMGW_BUF_INIT;
    int rc;

    LLMGW_TRY(llmgw_http_request_set_url(out, cfg->api_base));
    LLMGW_TRY(llmgw_http_request_append_url(out, "/chat/completions"));
    LLMGW_TRY(llmgw_http_request_add_header(out, "Content-Type", "application/json"));
    if (stream)
        LLMGW_TRY(llmgw_http_request_add_header(out, "Accept", "text/event-stream"));
    if (cfg->api_key != NULL && *cfg->api_key != '\0')
        LLMGW_TRY(bearer(out, cfg->api_key));
    rc = llmgw__openai_dialect_body(&body, req, cfg->model, stream, d);
    if (rc == 0)
        rc = llmgw_http_request_set_body(out, body.ptr, body.size);
    llmgw_buf_dispose(&body);
    return rc;
}

/* ---- the openai provider ---- */

typedef struct openai_state {
    const llmgw_provider_config *cfg;
} openai_state;

static const llmgw__openai_dialect openai_dialect = { "openai", LLMGW__OAI_REASONING_RENAME, NULL };

static int openai_init(void *state, const llmgw_provider_config *cfg)
{
    openai_state *st = state;

    LLMGW_TRY(llmgw__openai_check_config("openai", cfg));
    st->cfg = cfg;
    return 0;
}

static int openai_build_request(llmgw_http_request *out, void *state, const llmgw_request *req, int stream)
{
    const openai_state *st = state;

    if (st->cfg->organization != NULL)
        LLMGW_TRY(llmgw_http_request_add_header(out, "OpenAI-Organization", st->cfg->organization));
    return llmgw__openai_build(out, st->cfg, req, stream, &openai_dialect);
}

const llmgw_provider_vtable llmgw__provider_openai = {
    .version = LLMGW_PROVIDER_VTABLE_VERSION,
    .name = "openai",
    .capabilities = LLMGW_CAP_STREAM | LLMGW_CAP_TOOLS | LLMGW_CAP_VISION | LLMGW_CAP_JSON_MODE,
    .stream_framing = LLMGW_FRAMING_SSE,
    .default_api_base = "https://api.openai.com/v1",
    .env_api_key = "OPENAI_API_KEY",
    .env_api_base = "OPENAI_BASE_URL",
    .env_api_version = NULL,
    .state_size = sizeof(openai_state),
    .stream_state_size = 0,
    .init = openai_init,
    .build_request = openai_build_request,
    .parse_response = llmgw__openai_parse_response,
    .parse_stream_event = llmgw__openai_parse_stream_event,
    .classify_error = llmgw__openai_classify_error,
    .cleanup = NULL,
};
