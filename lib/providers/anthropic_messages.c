/*
 * lib/providers/anthropic_messages.c: the canonical (OpenAI-shaped) messages
 * as Anthropic's top-level `system` and alternating `messages`
 * (docs/providers.md §3, §10.1).
 *
 *   system, developer  text blocks of the top-level "system", in order, wherever they appear
 *   user               a user turn: text and image blocks
 *   assistant          an assistant turn: text blocks, then one tool_use block per tool call,
 *                      its "arguments" string parsed into the "input" object (not JSON, or not
 *                      an object: bad_request; "" reads as {})
 *   tool               a tool_result block in a user turn; the results of one round share that
 *                      turn and stay ahead of any text in it
 *
 * Consecutive turns of one role merge into one. Empty text is left out (Anthropic refuses empty
 * text blocks); a turn that ends up as one plain text block is sent as a string. Parts: text
 * (its cache_control, an Anthropic extension, is passed on), image_url (https/http URL -> url
 * source; data:<type>;base64,<data> -> base64 source; "detail" has no Anthropic equivalent and
 * is ignored), refusal (replayed as text). input_audio and file parts, images in system or
 * assistant content, a message "name" and unknown message members are unsupported (dropped
 * under drop_params). An assistant's reasoning_content is not replayed (Anthropic thinking
 * blocks need the signature that only Anthropic's own responses carry), nor its annotations.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "anthropic.h"

#include <stdio.h>

enum { TURN_NONE = 0, TURN_USER, TURN_ASSISTANT };

typedef struct conv {
    cJSON *system;          /* text blocks */
    cJSON *messages;        /* turns */
    cJSON *content;         /* the last turn's blocks */
    int    role;            /* the last turn's role */
    bool   drop;
} conv;

static cJSON *block(const char *type)
{
    cJSON *b = cJSON_CreateObject();

    if (b != NULL && llmgw__json_add_str(b, "type", type) < 0) {
        cJSON_Delete(b);
        return NULL;
    }
    return b;
}

/* Append b to blocks when rc is 0, else free it. */
static int put(cJSON *blocks, cJSON *b, int rc)
{
    if (b == NULL)
        return llmgw__error_oom();
    if (rc < 0) {
        cJSON_Delete(b);
        return rc;
    }
    return llmgw__json_append(blocks, b);
}

static int text_block(cJSON *blocks, const char *text, const cJSON *cache_control)
{
    cJSON *b;
    int rc;

    if (*text == '\0')
        return 0;
    b = block("text");
    rc = b ? llmgw__anthropic_ref_str(b, "text", text) : 0;
    if (rc == 0 && b != NULL && cache_control != NULL)
        rc = llmgw__anthropic_ref(b, "cache_control", cache_control);
    return put(blocks, b, rc);
}

/* "data:<media type>[;params];base64,<data>" -> {type:"base64", media_type, data}. */
static int data_source(cJSON *src, const char *spec, const char *where)
{
    const char *mark = strstr(spec, ";base64,");
    size_t n = strcspn(spec, ";,");
    char media[128];

    if (mark == NULL || mark[8] == '\0')
        return llmgw__anthropic_bad("%s: a data: image URL must read data:<type>;base64,<data>", where);
    if (n == 0 || n >= sizeof(media))
        return llmgw__anthropic_bad("%s: the data: image URL has no media type", where);
    memcpy(media, spec, n);
    media[n] = '\0';
    if (llmgw__json_add_str(src, "type", "base64") < 0 || llmgw__json_add_str(src, "media_type", media) < 0)
        return LLMGW_ENOMEM;
    return llmgw__anthropic_ref_str(src, "data", mark + 8);
}

static int image_block(cJSON *blocks, const cJSON *part, const cJSON *cache_control, const char *where)
{
    const cJSON *iu = cJSON_GetObjectItemCaseSensitive(part, "image_url");
    const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url");
    cJSON *b, *src;
    int rc;

    if (url == NULL)
        return llmgw__anthropic_bad("%s: image_url needs a url", where);
    b = block("image");
    src = cJSON_CreateObject();
    if (b == NULL || src == NULL) {
        cJSON_Delete(b);
        cJSON_Delete(src);
        return llmgw__error_oom();
    }
    rc = llmgw__json_add_item(b, "source", src);
    if (rc == 0 && strncmp(url, "data:", 5) == 0) {
        rc = data_source(src, url + 5, where);
    } else if (rc == 0 && (strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0)) {
        rc = llmgw__json_add_str(src, "type", "url");
        if (rc == 0)
            rc = llmgw__anthropic_ref_str(src, "url", url);
    } else if (rc == 0) {
        rc = llmgw__anthropic_bad("%s: an image URL must be https://, http:// or data:", where);
    }
    if (rc == 0 && cache_control != NULL)
        rc = llmgw__anthropic_ref(b, "cache_control", cache_control);
    return put(blocks, b, rc);
}

/* Text (and, when allowed, image) blocks of a content value: a string, parts, or null. */
static int content_blocks(const conv *c, cJSON *blocks, const cJSON *content, size_t mi, bool images)
{
    const cJSON *part;
    char where[64];
    size_t pi = 0;

    if (cJSON_IsString(content))
        return text_block(blocks, content->valuestring, NULL);
    cJSON_ArrayForEach(part, content) {
        const char *type = llmgw__json_str(part, "type");
        const cJSON *cc = cJSON_GetObjectItemCaseSensitive(part, "cache_control");
        const char *text;

        snprintf(where, sizeof(where), "messages[%zu].content[%zu]", mi, pi++);
        if (!cJSON_IsObject(cc))
            cc = NULL;
        if (type == NULL)
            return llmgw__anthropic_bad("%s: a part needs a type", where);
        if (strcmp(type, "text") == 0) {
            if ((text = llmgw__json_str(part, "text")) == NULL)
                return llmgw__anthropic_bad("%s: a text part needs text", where);
            LLMGW_TRY(text_block(blocks, text, cc));
        } else if (strcmp(type, "refusal") == 0 && (text = llmgw__json_str(part, "refusal")) != NULL) {
            LLMGW_TRY(text_block(blocks, text, NULL));
        } else if (strcmp(type, "image_url") == 0 && images) {
            LLMGW_TRY(image_block(blocks, part, cc, where));
        } else {
            LLMGW_TRY(llmgw__anthropic_unsupported(c->drop, "%s: %.32s parts here", where, type));
        }
    }
    return 0;
}

/* The blocks of a turn of `role`: the last turn's when the role repeats, else a new turn's. */
static cJSON *turn(conv *c, int role)
{
    cJSON *t;

    if (c->role == role)
        return c->content;
    t = cJSON_CreateObject();
    if (t == NULL) {
        llmgw__error_oom();
        return NULL;
    }
    if (llmgw__json_append(c->messages, t) < 0 ||
        llmgw__json_add_str(t, "role", role == TURN_USER ? "user" : "assistant") < 0 ||
        llmgw__json_add_item(t, "content", cJSON_CreateArray()) < 0)
        return NULL;
    c->content = cJSON_GetObjectItemCaseSensitive(t, "content");
    c->role = role;
    return c->content;
}

static cJSON *tool_input(const char *args, size_t mi, size_t ti)
{
    const char *p = args + strspn(args, " \t\r\n");
    char why[160];
    cJSON *input;

    if (*p == '\0') {
        if ((input = cJSON_CreateObject()) == NULL)
            llmgw__error_oom();
        return input;
    }
    if (llmgw__json_has_nul_escape(args, strlen(args))) {
        llmgw__anthropic_bad("messages[%zu].tool_calls[%zu].function.arguments holds \\u0000", mi, ti);
        return NULL;
    }
    input = llmgw__json_parse(args, strlen(args), LLMGW_ERRCLASS_BAD_REQUEST);
    if (input == NULL && llmgw__json_failure(0) == LLMGW_ENOMEM)
        return NULL;
    if (input == NULL) {
        snprintf(why, sizeof(why), "%s", llmgw_error_last()->message);
        llmgw__anthropic_bad("messages[%zu].tool_calls[%zu].function.arguments is not valid JSON: %s",
                             mi, ti, why);
        return NULL;
    }
    if (!cJSON_IsObject(input)) {
        cJSON_Delete(input);
        llmgw__anthropic_bad("messages[%zu].tool_calls[%zu].function.arguments must be a JSON object",
                             mi, ti);
        return NULL;
    }
    return input;
}

static int tool_use_blocks(cJSON *blocks, const cJSON *calls, size_t mi)
{
    const cJSON *tc;
    size_t ti = 0;

    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *id = llmgw__json_str(tc, "id"), *name = llmgw__json_str(fn, "name");
        const char *args = llmgw__json_str(fn, "arguments");
        cJSON *b, *input;
        int rc;

        if (id == NULL || name == NULL || args == NULL)
            return llmgw__anthropic_bad("messages[%zu].tool_calls[%zu] needs id, function.name and "
                                        "function.arguments", mi, ti);
        if ((input = tool_input(args, mi, ti)) == NULL)
            return llmgw_error_last()->code;
        b = block("tool_use");
        if (b == NULL) {
            cJSON_Delete(input);
            return llmgw__error_oom();
        }
        rc = llmgw__anthropic_ref_str(b, "id", id);
        if (rc == 0)
            rc = llmgw__anthropic_ref_str(b, "name", name);
        if (rc == 0)
            rc = llmgw__json_add_item(b, "input", input);
        else
            cJSON_Delete(input);
        LLMGW_TRY(put(blocks, b, rc));
        ti++;
    }
    return 0;
}

/* Tool results go ahead of the other blocks of their user turn. */
static int insert_result(cJSON *blocks, cJSON *b)
{
    const cJSON *it;
    int at = 0;

    cJSON_ArrayForEach(it, blocks) {
        const char *type = llmgw__json_str(it, "type");
        if (type == NULL || strcmp(type, "tool_result") != 0)
            break;
        at++;
    }
    if (at == cJSON_GetArraySize(blocks))
        return llmgw__json_append(blocks, b);
    if (!cJSON_InsertItemInArray(blocks, at, b)) {
        cJSON_Delete(b);
        return llmgw__error_oom();
    }
    return 0;
}

static int tool_result(conv *c, const cJSON *m, size_t mi)
{
    const char *id = llmgw__json_str(m, "tool_call_id");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    cJSON *blocks, *b, *inner;
    int rc;

    if (id == NULL)
        return llmgw__anthropic_bad("messages[%zu]: a tool message needs tool_call_id", mi);
    if ((blocks = turn(c, TURN_USER)) == NULL)
        return LLMGW_ENOMEM;
    if ((b = block("tool_result")) == NULL)
        return llmgw__error_oom();
    rc = llmgw__anthropic_ref_str(b, "tool_use_id", id);
    if (rc == 0 && cJSON_IsString(content)) {
        rc = llmgw__anthropic_ref_str(b, "content", content->valuestring);
    } else if (rc == 0 && cJSON_IsArray(content)) {
        inner = cJSON_CreateArray();
        rc = llmgw__json_add_item(b, "content", inner);
        if (rc == 0)
            rc = content_blocks(c, inner, content, mi, true);
    }
    if (rc < 0) {
        cJSON_Delete(b);
        return rc;
    }
    return insert_result(blocks, b);
}

static const char *const message_members[] = {
    "role", "content", "tool_calls", "tool_call_id", "refusal", "reasoning_content",
    "annotations",          /* output metadata of a replayed OpenAI message: nothing to send */
};

static int check_members(const conv *c, const cJSON *m, size_t mi)
{
    const cJSON *it;
    size_t i;

    cJSON_ArrayForEach(it, m) {
        for (i = 0; i < LLMGW_ARRAY_SIZE(message_members); i++)
            if (strcmp(it->string, message_members[i]) == 0)
                break;
        if (i == LLMGW_ARRAY_SIZE(message_members) && !cJSON_IsNull(it))
            LLMGW_TRY(llmgw__anthropic_unsupported(c->drop, "messages[%zu].%.64s", mi, it->string));
    }
    return 0;
}

static int message(conv *c, const cJSON *m, size_t mi)
{
    const char *role = llmgw__json_str(m, "role"), *refusal;
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    cJSON *blocks;

    LLMGW_TRY(check_members(c, m, mi));
    if (role == NULL)
        return llmgw__anthropic_bad("messages[%zu] needs a role", mi);
    if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0)
        return content_blocks(c, c->system, content, mi, false);
    if (strcmp(role, "tool") == 0)
        return tool_result(c, m, mi);
    if (strcmp(role, "user") == 0) {
        if ((blocks = turn(c, TURN_USER)) == NULL)
            return LLMGW_ENOMEM;
        return content_blocks(c, blocks, content, mi, true);
    }
    if (strcmp(role, "assistant") != 0)
        return llmgw__anthropic_bad("messages[%zu]: unknown role '%.32s'", mi, role);
    if ((blocks = turn(c, TURN_ASSISTANT)) == NULL)
        return LLMGW_ENOMEM;
    LLMGW_TRY(content_blocks(c, blocks, content, mi, false));
    if ((refusal = llmgw__json_str(m, "refusal")) != NULL)
        LLMGW_TRY(text_block(blocks, refusal, NULL));
    return tool_use_blocks(blocks, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), mi);
}

/* A lone plain text block as a string ({"content":"hi"}), or NULL to keep the blocks. */
static cJSON *as_string(const cJSON *blocks)
{
    const cJSON *only = blocks->child;
    const char *type = llmgw__json_str(only, "type"), *text = llmgw__json_str(only, "text");

    if (cJSON_GetArraySize(blocks) != 1 || cJSON_GetArraySize(only) != 2 || type == NULL ||
        strcmp(type, "text") != 0 || text == NULL)
        return NULL;
    return cJSON_CreateStringReference(text);
}

int llmgw__anthropic_messages(cJSON *body, const cJSON *messages, bool drop_params)
{
    const cJSON *m;
    cJSON *t, *s;
    size_t mi = 0;
    conv c;
    int rc = 0;

    memset(&c, 0, sizeof(c));
    c.drop = drop_params;
    c.system = cJSON_CreateArray();
    c.messages = cJSON_CreateArray();
    if (c.system == NULL || c.messages == NULL) {
        rc = llmgw__error_oom();
        goto out;
    }
    cJSON_ArrayForEach(m, messages) {
        if ((rc = message(&c, m, mi++)) < 0)
            goto out;
    }
    cJSON_ArrayForEach(t, c.messages) {
        if ((s = as_string(cJSON_GetObjectItemCaseSensitive(t, "content"))) != NULL &&
            !cJSON_ReplaceItemInObjectCaseSensitive(t, "content", s))
            cJSON_Delete(s);
    }
    if (cJSON_GetArraySize(c.system) > 0) {
        s = as_string(c.system);
        if (s != NULL) {
            rc = llmgw__json_add_item(body, "system", s);
        } else {
            rc = llmgw__json_add_item(body, "system", c.system);
            c.system = NULL;
        }
        if (rc < 0)
            goto out;
    }
    rc = llmgw__json_add_item(body, "messages", c.messages);
    c.messages = NULL;
out:
    cJSON_Delete(c.system);
    cJSON_Delete(c.messages);
    return rc;
}
