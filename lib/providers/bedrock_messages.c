/*
 * lib/providers/bedrock_messages.c: OpenAI messages -> Converse "system" and
 * "messages" (docs/providers.md §5, "Request mapping"), with the helpers
 * the rest of the body (bedrock_body.c) shares:
 *
 *   system / developer messages -> system: [{text}]
 *   user / assistant / tool     -> messages: [{role, content: [ContentBlock]}]; tool results go
 *                                  into user messages; consecutive same-role turns are merged
 *                                  (Converse wants user and assistant to alternate)
 *   assistant tool_calls        -> {toolUse: {toolUseId, name, input: <arguments parsed>}}
 *   data: image parts           -> {image: {format, source: {bytes: <base64>}}}
 * Message names, images by URL, audio and file parts are refused (or dropped with drop_params).
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "bedrock.h"

#include <stdarg.h>
#include <stdio.h>

typedef llmgw__bedrock_conv conv;

static int oom(void)
{
    return llmgw__error_oom();
}

cJSON *llmgw__bedrock_attach(cJSON *parent, const char *key, cJSON *item)
{
    int rc = key != NULL ? llmgw__json_add_item(parent, key, item) : llmgw__json_append(parent, item);

    return rc < 0 ? NULL : item;
}

#define OBJ(parent, key) llmgw__bedrock_attach((parent), (key), cJSON_CreateObject())

int llmgw__bedrock_refuse(const conv *c, const char *fmt, ...)
{
    char what[200];
    va_list ap;

    if (c->drop)
        return 1;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                             "bedrock: Converse cannot express %s (set drop_params to drop it)", what);
}

/* A new content block of a `role` turn, starting a new message when the role changes. */
static cJSON *new_block(conv *c, const char *role)
{
    if (c->content == NULL || strcmp(c->role, role) != 0) {
        cJSON *m = OBJ(c->messages, NULL);
        if (m == NULL || llmgw__json_add_str(m, "role", role) < 0 ||
            (c->content = llmgw__bedrock_attach(m, "content", cJSON_CreateArray())) == NULL)
            return NULL;
        c->role = role;
    }
    return OBJ(c->content, NULL);
}

static int add_text(conv *c, const char *role, const char *text)
{
    cJSON *b = new_block(c, role);

    return b == NULL ? oom() : llmgw__json_add_str(b, "text", text);
}

/* "data:image/png;base64,...." -> {image: {format, source: {bytes}}}; 1 when dropped. */
static int add_image(conv *c, const char *role, const cJSON *part, size_t mi, size_t pi)
{
    static const struct { const char *mime, *format; } formats[] = {
        { "image/png", "png" }, { "image/jpeg", "jpeg" }, { "image/jpg", "jpeg" },
        { "image/gif", "gif" }, { "image/webp", "webp" },
    };
    const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
    const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url");
    const char *detail = llmgw__json_str(iu, "detail"), *comma;
    cJSON *b, *img, *src;
    size_t i, ml;
    int rc;

    if (detail != NULL && strcmp(detail, "auto") != 0 &&
        (rc = llmgw__bedrock_refuse(c, "messages[%zu].content[%zu].image_url.detail", mi, pi)) < 0)
        return rc;
    if (url == NULL || strncmp(url, "data:", 5) != 0 || (comma = strchr(url, ',')) == NULL ||
        (size_t)(comma - url) < 12 || strncmp(comma - 7, ";base64", 7) != 0)
        return llmgw__bedrock_refuse(c, "messages[%zu].content[%zu]: an image by URL (only base64 data: URLs)",
                                     mi, pi);
    ml = (size_t)(comma - 7 - (url + 5));
    for (i = 0; i < LLMGW_ARRAY_SIZE(formats); i++)
        if (strlen(formats[i].mime) == ml && strncmp(url + 5, formats[i].mime, ml) == 0)
            break;
    if (i == LLMGW_ARRAY_SIZE(formats))
        return llmgw__bedrock_refuse(c, "messages[%zu].content[%zu]: image type %.*s (png, jpeg, gif, webp only)",
                                     mi, pi,
                      (int)LLMGW_MIN(ml, 40), url + 5);
    if ((b = new_block(c, role)) == NULL || (img = OBJ(b, "image")) == NULL ||
        llmgw__json_add_str(img, "format", formats[i].format) < 0 || (src = OBJ(img, "source")) == NULL)
        return oom();
    return llmgw__json_add_str(src, "bytes", comma + 1);
}

/* Content of message mi as blocks of `role`; images refused when text_only. */
static int add_content(conv *c, const char *role, const cJSON *content, size_t mi, bool text_only)
{
    const cJSON *part;
    size_t pi = 0;
    int rc;

    if (cJSON_IsString(content))
        return content->valuestring[0] ? add_text(c, role, content->valuestring) : 0;
    cJSON_ArrayForEach(part, content) {
        const char *type = llmgw__json_str(part, "type"), *text;
        if (strcmp(type, "text") == 0 || strcmp(type, "refusal") == 0) {
            text = llmgw__json_str(part, type);
            rc = text != NULL && *text ? add_text(c, role, text) : 0;
        } else if (strcmp(type, "image_url") == 0 && !text_only) {
            rc = add_image(c, role, part, mi, pi);
        } else {
            rc = llmgw__bedrock_refuse(c, "messages[%zu].content[%zu] of type %.32s here", mi, pi, type);
        }
        if (rc < 0)
            return rc;
        pi++;
    }
    return 0;
}

static int add_tool_calls(conv *c, const cJSON *calls, size_t mi)
{
    const cJSON *tc;
    size_t ti = 0;

    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *args = llmgw__json_str(fn, "arguments");
        size_t n = strspn(args, " \t\r\n");
        cJSON *input, *b, *tu;
        input = args[n] == '\0' ? cJSON_CreateObject()
                                : llmgw__json_parse(args, strlen(args), LLMGW_ERRCLASS_BAD_REQUEST);
        if (input == NULL && (args[n] == '\0' || llmgw__json_failure(0) == LLMGW_ENOMEM))
            return llmgw__error_oom();
        if (input == NULL)
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                     "bedrock: messages[%zu].tool_calls[%zu].function.arguments is not valid JSON",
                                     mi, ti);
        if ((b = new_block(c, "assistant")) == NULL || (tu = OBJ(b, "toolUse")) == NULL) {
            cJSON_Delete(input);
            return oom();
        }
        if (llmgw__json_add_str(tu, "toolUseId", llmgw__json_str(tc, "id")) < 0 ||
            llmgw__json_add_str(tu, "name", llmgw__json_str(fn, "name")) < 0) {
            cJSON_Delete(input);
            return oom();
        }
        LLMGW_TRY(llmgw__json_add_item(tu, "input", input));
        ti++;
    }
    return 0;
}

/* A tool message -> {toolResult: {toolUseId, content: [{text}...]}} in a user turn. */
static int add_tool_result(conv *c, const cJSON *m, size_t mi)
{
    cJSON *b = new_block(c, "user"), *tr, *parts;
    conv inner = *c;

    if (b == NULL || (tr = OBJ(b, "toolResult")) == NULL ||
        llmgw__json_add_str(tr, "toolUseId", llmgw__json_str(m, "tool_call_id")) < 0 ||
        (parts = llmgw__bedrock_attach(tr, "content", cJSON_CreateArray())) == NULL)
        return oom();
    /* the text of the tool message becomes the result's content blocks */
    inner.content = parts;
    inner.role = "tool";
    LLMGW_TRY(add_content(&inner, "tool", cJSON_GetObjectItemCaseSensitive(m, "content"), mi, true));
    if (cJSON_GetArraySize(parts) == 0)
        return add_text(&inner, "tool", "");
    return 0;
}

int llmgw__bedrock_messages(conv *c, const cJSON *messages)
{
    const cJSON *m;
    size_t mi = 0;
    int rc;

    cJSON_ArrayForEach(m, messages) {
        const char *role = llmgw__json_str(m, "role");
        const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (cJSON_GetObjectItemCaseSensitive(m, "name") != NULL &&
            (rc = llmgw__bedrock_refuse(c, "messages[%zu].name", mi)) < 0)
            return rc;
        if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
            conv sys = *c;
            sys.content = c->system;
            sys.role = "system";
            rc = add_content(&sys, "system", content, mi, true);
        } else if (strcmp(role, "tool") == 0) {
            rc = add_tool_result(c, m, mi);
        } else {
            const char *r = strcmp(role, "assistant") == 0 ? "assistant" : "user";
            rc = content == NULL || cJSON_IsNull(content) ? 0 : add_content(c, r, content, mi, false);
            if (rc == 0 && *r == 'a')
                rc = add_tool_calls(c, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), mi);
        }
        if (rc < 0)
            return rc;
        mi++;
    }
    return 0;
}
