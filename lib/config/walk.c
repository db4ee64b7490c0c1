/*
 * lib/config/walk.c: what every section walker uses: the path of the value
 * being read, messages that name it (and never a secret), key tables, and
 * typed getters that resolve environment references.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/redact.h"
#include "../core/request.h"
#include "loader.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

/* ---- path ---- */

static llmgw__cfg_mark path_append(llmgw__cfg *c, const char *fmt, ...) LLMGW_PRINTF(2, 3);

static llmgw__cfg_mark path_append(llmgw__cfg *c, const char *fmt, ...)
{
    llmgw__cfg_mark mark = c->path_len;
    size_t room = sizeof(c->path) - c->path_len;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(c->path + c->path_len, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->path_len += LLMGW_MIN((size_t)n, room - 1);
    return mark;
}

static bool plain_key(const char *key)
{
    const char *p;

    if (*key == '\0')
        return false;
    for (p = key; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-' || *p == '/'))
            return false;
    return true;
}

/*
 * Names the redaction pass (lib/core/redact.c) reads as a credential header
 * when ':' follows: "x.api_key: message" would lose its message. Written
 * as x["api_key"], the path survives redaction.
 */
static bool credential_name(const char *key)
{
    static const char *const names[] = { "authorization", "proxy-authorization", "x-api-key", "api-key",
                                         "api_key", "x-goog-api-key", "x-amz-security-token",
                                         "ocp-apim-subscription-key" };
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(names); i++)
        if (strcasecmp(key, names[i]) == 0)
            return true;
    return false;
}

llmgw__cfg_mark llmgw__cfg_push_key(llmgw__cfg *c, const char *key)
{
    if (plain_key(key) && !credential_name(key))
        return path_append(c, "%s%.64s", c->path_len ? "." : "", key);
    return path_append(c, "[\"%.48s\"]", key);
}

llmgw__cfg_mark llmgw__cfg_push_index(llmgw__cfg *c, size_t index)
{
    return path_append(c, "[%zu]", index);
}

void llmgw__cfg_pop(llmgw__cfg *c, llmgw__cfg_mark mark)
{
    if (mark < sizeof(c->path)) {
        c->path_len = mark;
        c->path[mark] = '\0';
    }
}

/* ---- secrets ---- */

int llmgw__cfg_secret(llmgw__cfg *c, char *s, bool own)
{
    if (c->nsecrets + 2 > c->secrets_cap) {
        size_t cap = c->secrets_cap ? c->secrets_cap * 2 : 16;
        char **ns = llmgw__reallocarray(c->secrets, cap, sizeof(*ns));
        bool *no;
        if (ns == NULL)
            goto oom;
        c->secrets = ns;
        no = llmgw__reallocarray(c->owned, cap, sizeof(*no));
        if (no == NULL)
            goto oom;
        c->owned = no;
        c->secrets_cap = cap;
    }
    c->owned[c->nsecrets] = own;
    c->secrets[c->nsecrets++] = s;
    c->secrets[c->nsecrets] = NULL;
    return 0;
oom:
    if (own)
        llmgw__free_secret(s);
    return llmgw__error_oom();
}

bool llmgw__cfg_is_secret(const llmgw__cfg *c, const char *s)
{
    size_t i;

    for (i = 0; s != NULL && i < c->nsecrets; i++)
        if (c->secrets[i] == s || strcmp(c->secrets[i], s) == 0)
            return true;
    return false;
}

void llmgw__cfg_dispose(llmgw__cfg *c)
{
    size_t i;

    for (i = 0; i < c->nsecrets; i++)
        if (c->owned[i])
            llmgw__free_secret(c->secrets[i]);
    llmgw__free(c->secrets);
    llmgw__free(c->owned);
    c->secrets = NULL;
    c->owned = NULL;
    c->nsecrets = c->secrets_cap = 0;
}

const char *llmgw__cfg_show(llmgw__cfg *c, const char *value, char *buf, size_t size)
{
    if (value == NULL)
        return "(none)";
    if (llmgw__cfg_is_secret(c, value))
        return "(value hidden)";
    snprintf(buf, size, "'%.60s%s'", value, strlen(value) > 60 ? "..." : "");
    return buf;
}

/* ---- messages ---- */

static void compose(llmgw__cfg *c, char *out, size_t size, const char *key, const char *fmt, va_list ap)
    LLMGW_PRINTF(5, 0);

static void compose(llmgw__cfg *c, char *out, size_t size, const char *key, const char *fmt, va_list ap)
{
    char raw[1024];
    llmgw__cfg_mark mark = 0;
    size_t n;

    if (key != NULL)
        mark = llmgw__cfg_push_key(c, key);
    n = (size_t)snprintf(raw, sizeof(raw), "%s%s", c->path, c->path_len ? ": " : "");
    if (n < sizeof(raw))
        vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
    if (key != NULL)
        llmgw__cfg_pop(c, mark);
    llmgw__redact(out, size, raw, strlen(raw), (const char *const *)c->secrets);
}

int llmgw__cfg_error(llmgw__cfg *c, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    compose(c, msg, sizeof(msg), NULL, fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s", msg);
}

int llmgw__cfg_error_at(llmgw__cfg *c, const char *key, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    compose(c, msg, sizeof(msg), key, fmt, ap);
    va_end(ap);
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "%s", msg);
}

int llmgw__cfg_error_wrap(llmgw__cfg *c, int rc)
{
    char inner[1024], msg[1024];

    if (rc == LLMGW_ENOMEM)
        return rc;
    snprintf(inner, sizeof(inner), "%s", llmgw_error_last()->message);
    llmgw__cfg_error(c, "%s", inner);
    snprintf(msg, sizeof(msg), "%s", llmgw_error_last()->message);
    return llmgw__error_setc(rc, LLMGW_ERRCLASS_CONFIG, "%s", msg);
}

static void vlog(llmgw__cfg *c, int level, const char *key, const char *fmt, va_list ap) LLMGW_PRINTF(4, 0);

static void vlog(llmgw__cfg *c, int level, const char *key, const char *fmt, va_list ap)
{
    char msg[1024], line[1200];

    if (c->log_cb == NULL || level > c->log_level)
        return;
    compose(c, msg, sizeof(msg), key, fmt, ap);
    snprintf(line, sizeof(line), "%s: %s", c->name, msg);
    c->log_cb(level, line, c->log_userdata);
}

void llmgw__cfg_log(llmgw__cfg *c, int level, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(c, level, NULL, fmt, ap);
    va_end(ap);
}

void llmgw__cfg_log_at(llmgw__cfg *c, int level, const char *key, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(c, level, key, fmt, ap);
    va_end(ap);
}

/* ---- keys ---- */

const llmgw__cfg_key *llmgw__cfg_key_find(const llmgw__cfg_key *table, const char *key)
{
    for (; table->name != NULL; table++) {
        size_t n = strlen(table->name);
        if (n > 0 && table->name[n - 1] == '*') {
            if (strncmp(table->name, key, n - 1) == 0)
                return table;
        } else if (strcmp(table->name, key) == 0) {
            return table;
        }
    }
    return NULL;
}

int llmgw__cfg_check_keys(llmgw__cfg *c, const cJSON *obj, const llmgw__cfg_key *table,
                          const char *unknown_note)
{
    const cJSON *it;

    cJSON_ArrayForEach(it, obj) {
        const llmgw__cfg_key *k = llmgw__cfg_key_find(table, it->string);
        if (k == NULL)
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "unknown key%s%s; ignored",
                              unknown_note ? ", " : "", unknown_note ? unknown_note : "");
        else if (k->kind == LLMGW__KEY_INFO)
            llmgw__cfg_log_at(c, LLMGW_LOG_INFO, it->string, "ignored: %s", k->note);
        else if (k->kind == LLMGW__KEY_WARN)
            llmgw__cfg_log_at(c, LLMGW_LOG_WARN, it->string, "ignored: %s", k->note);
        else if (k->kind == LLMGW__KEY_REFUSE)
            return llmgw__cfg_error_at(c, it->string, "%s", k->note);
    }
    return 0;
}

/* ---- getters ---- */

const cJSON *llmgw__cfg_get(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);

    return it == NULL || cJSON_IsNull(it) ? NULL : it;
}

const char *llmgw__cfg_type_name(const cJSON *it)
{
    if (cJSON_IsBool(it))
        return "a boolean";
    if (cJSON_IsNumber(it))
        return "a number";
    if (cJSON_IsString(it))
        return "a string";
    if (cJSON_IsArray(it))
        return "a list";
    if (cJSON_IsObject(it))
        return "a mapping";
    return "null";
}

int llmgw__cfg_object(llmgw__cfg *c, const cJSON *obj, const char *key, const cJSON **out)
{
    const cJSON *it = llmgw__cfg_get(obj, key);

    *out = NULL;
    if (it == NULL)
        return 0;
    if (!cJSON_IsObject(it))
        return llmgw__cfg_error_at(c, key, "must be a mapping, not %s", llmgw__cfg_type_name(it));
    *out = it;
    return 1;
}

int llmgw__cfg_array(llmgw__cfg *c, const cJSON *obj, const char *key, const cJSON **out)
{
    const cJSON *it = llmgw__cfg_get(obj, key);

    *out = NULL;
    if (it == NULL)
        return 0;
    if (!cJSON_IsArray(it))
        return llmgw__cfg_error_at(c, key, "must be a list, not %s", llmgw__cfg_type_name(it));
    *out = it;
    return 1;
}

int llmgw__cfg_string_node(llmgw__cfg *c, const cJSON *it, unsigned flags, const char **out)
{
    const char *s;

    *out = NULL;
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return llmgw__cfg_error(c, "must be a string, not %s%s", llmgw__cfg_type_name(it),
                                cJSON_IsNumber(it) || cJSON_IsBool(it) ? " (quote it)" : "");
    LLMGW_TRY(llmgw__cfg_env_resolve(c, it->valuestring, &s));
    if ((flags & LLMGW__CFG_SECRET) && s == it->valuestring && *s != '\0')
        LLMGW_TRY(llmgw__cfg_secret(c, it->valuestring, false));
    if (llmgw__has_ctl(s))
        return llmgw__cfg_error(c, "contains a control character");
    *out = s;
    return 1;
}

int llmgw__cfg_string(llmgw__cfg *c, const cJSON *obj, const char *key, unsigned flags, const char **out)
{
    const cJSON *it = llmgw__cfg_get(obj, key);
    llmgw__cfg_mark mark;
    int rc;

    *out = NULL;
    if (it == NULL)
        return 0;
    mark = llmgw__cfg_push_key(c, key);
    rc = llmgw__cfg_string_node(c, it, flags, out);
    llmgw__cfg_pop(c, mark);
    return rc;
}

/*
 * A number read from an environment variable: the whole resolved text must
 * be a JSON number (parsed by cJSON, so the locale never matters).
 */
static int env_number(llmgw__cfg *c, const char *key, const cJSON *it, double *out)
{
    const char *s, *end = NULL;
    cJSON *num;
    int rc;

    if (strncmp(it->valuestring, "os.environ/", 11) != 0 && strstr(it->valuestring, "${") == NULL)
        return llmgw__cfg_error_at(c, key, "must be a number, not a string");
    {
        llmgw__cfg_mark mark = llmgw__cfg_push_key(c, key);
        rc = llmgw__cfg_env_resolve(c, it->valuestring, &s);
        llmgw__cfg_pop(c, mark);
    }
    if (rc < 0)
        return rc;
    num = cJSON_ParseWithLengthOpts(s, strlen(s), &end, 0);
    rc = num != NULL && cJSON_IsNumber(num) && end == s + strlen(s) && isfinite(num->valuedouble);
    if (rc)
        *out = num->valuedouble;
    cJSON_Delete(num);
    if (!rc)
        return llmgw__cfg_error_at(c, key, "the environment variable's value is not a number");
    return 1;
}

static int number_of(llmgw__cfg *c, const cJSON *obj, const char *key, double *out, bool *from_env)
{
    const cJSON *it = llmgw__cfg_get(obj, key);

    *from_env = false;
    if (it == NULL)
        return 0;
    if (cJSON_IsString(it)) {
        *from_env = true;
        return env_number(c, key, it, out);
    }
    if (!cJSON_IsNumber(it))
        return llmgw__cfg_error_at(c, key, "must be a number, not %s", llmgw__cfg_type_name(it));
    if (!isfinite(it->valuedouble))
        return llmgw__cfg_error_at(c, key, "must be a finite number");
    *out = it->valuedouble;
    return 1;
}

int llmgw__cfg_number(llmgw__cfg *c, const cJSON *obj, const char *key, double min, double max, double *out)
{
    bool env;
    double v = 0;
    int rc = number_of(c, obj, key, &v, &env);

    if (rc <= 0)
        return rc;
    if (v < min || v > max) {
        if (env)
            return llmgw__cfg_error_at(c, key, "out of range: must be between %g and %g", min, max);
        return llmgw__cfg_error_at(c, key, "%.10g is out of range: must be between %g and %g", v, min, max);
    }
    *out = v;
    return 1;
}

int llmgw__cfg_int(llmgw__cfg *c, const cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out)
{
    bool env;
    double v = 0;
    int rc = number_of(c, obj, key, &v, &env);

    if (rc <= 0)
        return rc;
    if (floor(v) != v)
        return llmgw__cfg_error_at(c, key, "must be an integer");
    if (v < (double)min || v > (double)max) {
        if (env)
            return llmgw__cfg_error_at(c, key, "out of range: must be between %lld and %lld",
                                       (long long)min, (long long)max);
        return llmgw__cfg_error_at(c, key, "%.10g is out of range: must be between %lld and %lld", v,
                                   (long long)min, (long long)max);
    }
    *out = (int64_t)v;
    return 1;
}

int llmgw__cfg_seconds(llmgw__cfg *c, const cJSON *obj, const char *key, bool zero_ok, int64_t *ms_out)
{
    double v = 0;
    int rc = llmgw__cfg_number(c, obj, key, 0, 1e6, &v);

    if (rc <= 0)
        return rc;
    if (v == 0 && !zero_ok)
        return llmgw__cfg_error_at(c, key, "must be more than 0 seconds");
    *ms_out = (int64_t)llround(v * 1000.0);
    if (v > 0 && *ms_out == 0)
        *ms_out = 1;
    return 1;
}

int llmgw__cfg_bool(llmgw__cfg *c, const cJSON *obj, const char *key, bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    const cJSON *it = llmgw__cfg_get(obj, key);
    const char *s;
    size_t i;

    if (it == NULL)
        return 0;
    if (cJSON_IsBool(it)) {
        *out = cJSON_IsTrue(it);
        return 1;
    }
    if (!cJSON_IsString(it) ||
        (strncmp(it->valuestring, "os.environ/", 11) != 0 && strstr(it->valuestring, "${") == NULL))
        return llmgw__cfg_error_at(c, key, "must be a boolean (true or false), not %s", llmgw__cfg_type_name(it));
    {
        llmgw__cfg_mark mark = llmgw__cfg_push_key(c, key);
        int rc = llmgw__cfg_env_resolve(c, it->valuestring, &s);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(rc);
    }
    for (i = 0; i < LLMGW_ARRAY_SIZE(yes); i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return 1;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return 1;
        }
    }
    return llmgw__cfg_error_at(c, key, "the environment variable's value is not a boolean");
}
