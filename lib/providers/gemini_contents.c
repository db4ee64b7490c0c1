/*
 * lib/providers/gemini_contents.c: the canonical messages as Gemini
 * "contents" and "systemInstruction" (docs/providers.md §4).
 *
 *   system, developer -> systemInstruction.parts: the text of every such message, in order,
 *                        wherever it stands (Gemini has one system instruction)
 *   user              -> {role:"user", parts}
 *   assistant         -> {role:"model", parts}: text (a refusal as text), then one
 *                        functionCall{name, args} per tool call (arguments: a JSON object or "")
 *   tool              -> functionResponse{name, response} in a user turn; consecutive tool
 *                        messages share one turn (the answers to parallel calls go together);
 *                        the name is the one of the earlier assistant tool call with that
 *                        tool_call_id (else the tool message's own "name"); content that is a
 *                        JSON object is the response, anything else is {"content": text}
 * Parts: text; image_url with a base64 data: URL -> inlineData{mimeType, data}; image_url
 * with an http(s) URL -> fileData{fileUri, mimeType when the extension tells it} (Gemini
 * fetches public and signed URLs and reads Files API URIs); input_audio -> inlineData
 * audio/<format>; file.file_data (a data: URL) -> inlineData. Empty text parts are left out,
 * and so is a message left with no part. Tool-call ids are not sent: Gemini matches function
 * responses to calls by name and order.
 * Refused as unsupported (dropped with drop_params): image detail low/high, a message "name"
 * (tool messages excepted), file_id, non-text parts of system messages, a data: URL that is
 * not base64, other message members.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/request.h"
#include "gemini.h"

#include <stdio.h>
#include <strings.h>

typedef struct conv {
    const llmgw_request *req;
    const cJSON *messages;
    cJSON       *contents;
    cJSON       *system;        /* systemInstruction parts */
    cJSON       *tool_turn;     /* parts of the open turn of function responses, or NULL */
} conv;

static int text_part(cJSON *parts, const char *text)
{
    cJSON *p;

    if (text == NULL || *text == '\0')
        return 0;
    if ((p = cJSON_CreateObject()) == NULL || llmgw__json_append(parts, p) < 0)
        return llmgw__error_oom();
    return llmgw__json_add_str(p, "text", text);
}

static int media_part(cJSON *parts, const char *kind, const char *mime, const char *key, const char *value)
{
    cJSON *p, *d;

    if ((p = cJSON_CreateObject()) == NULL || llmgw__json_append(parts, p) < 0 ||
        (d = cJSON_AddObjectToObject(p, kind)) == NULL)
        return llmgw__error_oom();
    if (mime != NULL)
        LLMGW_TRY(llmgw__json_add_str(d, "mimeType", mime));
    return llmgw__json_add_str(d, key, value);
}

/* data:<mime>[;param...];base64,<data> -> inlineData. */
static int data_url(const conv *c, cJSON *parts, const char *url, const char *where)
{
    const char *comma = strchr(url, ','), *semi;
    char mime[128];
    size_t n;
    int rc;

    semi = comma ? memchr(url, ';', (size_t)(comma - url)) : NULL;
    n = semi ? (size_t)(semi - url) - 5 : 0;
    if (comma == NULL || semi == NULL || n == 0 || n >= sizeof(mime) || comma - url < 12 ||
        strncasecmp(comma - 7, ";base64", 7) != 0) {
        rc = llmgw__gemini_unsupported(c->req, "%s: a data: URL that is not <mime>;base64", where);
        return rc < 0 ? rc : 0;
    }
    memcpy(mime, url + 5, n);
    mime[n] = '\0';
    return media_part(parts, "inlineData", mime, "data", comma + 1);
}

/* The MIME type an http(s) URL's extension tells, or NULL. */
static const char *ext_mime(const char *url)
{
    static const struct { const char *ext, *mime; } t[] = {
        { "png", "image/png" }, { "jpg", "image/jpeg" }, { "jpeg", "image/jpeg" },
        { "webp", "image/webp" }, { "heic", "image/heic" }, { "heif", "image/heif" },
        { "gif", "image/gif" }, { "pdf", "application/pdf" },
    };
    size_t end = strcspn(url, "?#"), i, start = end;

    while (start > 0 && url[start - 1] != '.' && url[start - 1] != '/')
        start--;
    if (start == 0 || url[start - 1] != '.')
        return NULL;
    for (i = 0; i < LLMGW_ARRAY_SIZE(t); i++)
        if (end - start == strlen(t[i].ext) && strncasecmp(url + start, t[i].ext, end - start) == 0)
            return t[i].mime;
    return NULL;
}

static int image_part(const conv *c, cJSON *parts, const cJSON *p, const char *where)
{
    const cJSON *iu = cJSON_GetObjectItemCaseSensitive(p, "image_url");
    const char *url = cJSON_IsString(iu) ? iu->valuestring : llmgw__json_str(iu, "url");
    const char *detail = llmgw__json_str(iu, "detail");
    int rc;

    if (detail != NULL && strcmp(detail, "auto") != 0 &&
        (rc = llmgw__gemini_unsupported(c->req, "%s.image_url.detail '%.8s'", where, detail)) < 0)
        return rc;
    if (strncmp(url, "data:", 5) == 0)
        return data_url(c, parts, url, where);
    return media_part(parts, "fileData", ext_mime(url), "fileUri", url);
}

static int other_part(const conv *c, cJSON *parts, const cJSON *p, const char *type, const char *where)
{
    const cJSON *o;
    char mime[64];
    int rc;

    if (strcmp(type, "input_audio") == 0) {
        o = cJSON_GetObjectItemCaseSensitive(p, "input_audio");
        if (llmgw__json_str(o, "data") != NULL && llmgw__json_str(o, "format") != NULL &&
            strlen(llmgw__json_str(o, "format")) < 32) {
            snprintf(mime, sizeof(mime), "audio/%s", llmgw__json_str(o, "format"));
            return media_part(parts, "inlineData", mime, "data", llmgw__json_str(o, "data"));
        }
    } else if (strcmp(type, "file") == 0) {
        o = cJSON_GetObjectItemCaseSensitive(p, "file");
        if (llmgw__json_str(o, "file_data") != NULL && strncmp(llmgw__json_str(o, "file_data"), "data:", 5) == 0)
            return data_url(c, parts, llmgw__json_str(o, "file_data"), where);
    }
    rc = llmgw__gemini_unsupported(c->req, "%s: a '%.32s' part in this form", where, type);
    return rc < 0 ? rc : 0;
}

static int map_content(const conv *c, cJSON *parts, const cJSON *content, size_t mi, bool system)
{
    const cJSON *p;
    char where[64];
    size_t pi = 0;
    int rc;

    if (cJSON_IsString(content))
        return text_part(parts, content->valuestring);
    cJSON_ArrayForEach(p, content) {
        const char *type = llmgw__json_str(p, "type");
        snprintf(where, sizeof(where), "messages[%zu].content[%zu]", mi, pi++);
        if (strcmp(type, "text") == 0)
            rc = text_part(parts, llmgw__json_str(p, "text"));
        else if (system)
            rc = llmgw__gemini_unsupported(c->req, "%s: a '%.32s' part in a system message", where, type);
        else if (strcmp(type, "refusal") == 0)
            rc = text_part(parts, llmgw__json_str(p, "refusal"));
        else if (strcmp(type, "image_url") == 0)
            rc = image_part(c, parts, p, where);
        else
            rc = other_part(c, parts, p, type, where);
        LLMGW_TRY(rc);
    }
    return 0;
}

static int map_tool_calls(cJSON *parts, const cJSON *calls, size_t mi)
{
    const cJSON *tc;
    cJSON *part, *fc, *args;
    size_t ti = 0;

    cJSON_ArrayForEach(tc, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *a = llmgw__json_str(fn, "arguments");
        a += strspn(a, " \t\r\n");
        args = *a == '\0' ? cJSON_CreateObject()
             : llmgw__json_has_nul_escape(a, strlen(a)) ? NULL : cJSON_ParseWithOpts(a, NULL, true);
        if (!cJSON_IsObject(args)) {
            cJSON_Delete(args);
            return llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                                     "gemini: messages[%zu].tool_calls[%zu].function.arguments is not a JSON "
                                     "object (Gemini takes an object)", mi, ti);
        }
        if ((part = cJSON_CreateObject()) == NULL || llmgw__json_append(parts, part) < 0 ||
            (fc = cJSON_AddObjectToObject(part, "functionCall")) == NULL ||
            llmgw__json_add_str(fc, "name", llmgw__json_str(fn, "name")) < 0) {
            cJSON_Delete(args);
            return llmgw__error_oom();
        }
        LLMGW_TRY(llmgw__json_add_item(fc, "args", args));
        ti++;
    }
    return 0;
}

/* The function name of the latest assistant tool call with that id before `upto`. */
static const char *call_name(const cJSON *messages, const cJSON *upto, const char *id)
{
    const cJSON *m, *tc;
    const char *name = NULL;

    for (m = messages->child; m != NULL && m != upto; m = m->next)
        cJSON_ArrayForEach(tc, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"))
            if (llmgw__json_str(tc, "id") != NULL && strcmp(llmgw__json_str(tc, "id"), id) == 0)
                name = llmgw__json_str(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name");
    return name;
}

static int map_tool_result(conv *c, const cJSON *m, size_t mi)
{
    const char *id = llmgw__json_str(m, "tool_call_id");
    const char *name = call_name(c->messages, m, id);
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content"), *p;
    const cJSON *list = cJSON_IsArray(content) ? content : NULL;
    llmgw_buf text = LLMGW_BUF_INIT;
    cJSON *part, *fr, *resp = NULL;
    int rc = 0;

    if (name == NULL && (name = llmgw__json_str(m, "name")) == NULL)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST, "gemini: messages[%zu]: tool_call_id "
                                 "'%.64s' matches no earlier assistant tool call", mi, id);
    if (cJSON_IsString(content))
        rc = llmgw__buf_puts(&text, content->valuestring);
    cJSON_ArrayForEach(p, list)
        if (rc == 0 && llmgw__json_str(p, "text") != NULL)
            rc = llmgw__buf_puts(&text, llmgw__json_str(p, "text"));
    if (rc == 0 && text.size > 0 && !llmgw__json_has_nul_escape(text.ptr, text.size) &&
        (resp = cJSON_ParseWithOpts(text.ptr, NULL, true)) != NULL && !cJSON_IsObject(resp)) {
        cJSON_Delete(resp);
        resp = NULL;
    }
    if (rc == 0 && resp == NULL &&
        ((resp = cJSON_CreateObject()) == NULL || llmgw__json_add_str(resp, "content", llmgw__buf_cstr(&text)) < 0))
        rc = llmgw__error_oom();
    llmgw_buf_dispose(&text);
    if (rc < 0) {
        cJSON_Delete(resp);
        return rc;
    }
    if (c->tool_turn == NULL) {
        cJSON *turn = cJSON_CreateObject();
        if (turn == NULL || llmgw__json_append(c->contents, turn) < 0 ||
            llmgw__json_add_str(turn, "role", "user") < 0 ||
            (c->tool_turn = cJSON_AddArrayToObject(turn, "parts")) == NULL) {
            cJSON_Delete(resp);
            return llmgw__error_oom();
        }
    }
    if ((part = cJSON_CreateObject()) == NULL || llmgw__json_append(c->tool_turn, part) < 0 ||
        (fr = cJSON_AddObjectToObject(part, "functionResponse")) == NULL || llmgw__json_add_str(fr, "name", name) < 0) {
        cJSON_Delete(resp);
        return llmgw__error_oom();
    }
    return llmgw__json_add_item(fr, "response", resp);
}

static int add_turn(conv *c, const char *role, cJSON *parts)
{
    cJSON *turn;

    if (cJSON_GetArraySize(parts) == 0) {
        cJSON_Delete(parts);
        return 0;
    }
    if ((turn = cJSON_CreateObject()) == NULL || llmgw__json_append(c->contents, turn) < 0 ||
        llmgw__json_add_str(turn, "role", role) < 0) {
        cJSON_Delete(parts);
        return llmgw__error_oom();
    }
    return llmgw__json_add_item(turn, "parts", parts);
}

/* Members of a message other than these cannot be expressed. */
static int check_members(const conv *c, const cJSON *m, size_t mi, bool tool)
{
    static const char *const known[] = { "role", "content", "tool_calls", "tool_call_id", "refusal" };
    const cJSON *it;
    size_t i;
    int rc;

    cJSON_ArrayForEach(it, m) {
        for (i = 0; i < LLMGW_ARRAY_SIZE(known) && strcmp(it->string, known[i]) != 0; i++)
            ;
        if (i < LLMGW_ARRAY_SIZE(known) || cJSON_IsNull(it) || (tool && strcmp(it->string, "name") == 0))
            continue;
        if ((rc = llmgw__gemini_unsupported(c->req, "messages[%zu].%.32s", mi, it->string)) < 0)
            return rc;
    }
    return 0;
}

static int map_message(conv *c, const cJSON *m, size_t mi)
{
    const char *role = llmgw__json_str(m, "role");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(m, "content");
    bool tool = strcmp(role, "tool") == 0, system = !strcmp(role, "system") || !strcmp(role, "developer");
    cJSON *parts;

    LLMGW_TRY(check_members(c, m, mi, tool));
    if (tool)
        return map_tool_result(c, m, mi);
    c->tool_turn = NULL;
    if (system)
        return map_content(c, c->system, content, mi, true);
    if ((parts = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    if (map_content(c, parts, content, mi, false) < 0 ||
        text_part(parts, llmgw__json_str(m, "refusal")) < 0 ||
        map_tool_calls(parts, cJSON_GetObjectItemCaseSensitive(m, "tool_calls"), mi) < 0) {
        cJSON_Delete(parts);
        return llmgw_error_last()->code;
    }
    return add_turn(c, strcmp(role, "assistant") == 0 ? "model" : "user", parts);
}

int llmgw__gemini_contents(cJSON *body, const llmgw_request *req)
{
    conv c;
    const cJSON *m;
    cJSON *si;
    size_t mi = 0;

    memset(&c, 0, sizeof(c));
    c.req = req;
    c.messages = cJSON_GetObjectItemCaseSensitive(llmgw__request_body(req), "messages");
    if ((c.contents = cJSON_AddArrayToObject(body, "contents")) == NULL || (c.system = cJSON_CreateArray()) == NULL)
        return llmgw__error_oom();
    cJSON_ArrayForEach(m, c.messages) {
        if (map_message(&c, m, mi++) < 0) {
            cJSON_Delete(c.system);
            return llmgw_error_last()->code;
        }
    }
    if (cJSON_GetArraySize(c.system) == 0) {
        cJSON_Delete(c.system);
    } else if ((si = cJSON_AddObjectToObject(body, "systemInstruction")) == NULL ||
               llmgw__json_add_item(si, "parts", c.system) < 0) {
        if (si == NULL)
            cJSON_Delete(c.system);
        return llmgw__error_oom();
    }
    if (cJSON_GetArraySize(c.contents) == 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                                 "gemini: the request needs a user or assistant message with content");
    return 0;
}
