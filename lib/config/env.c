/*
 * lib/config/env.c: environment references in config values.
 *
 * `os.environ/NAME` (LiteLLM's form) stands for the whole value; `${NAME}`
 * may appear anywhere in a string, several times (`$${` is a literal `${`).
 * Variables are read when the value is read, so a reference inside an
 * ignored section never needs its variable. A resolved value is registered
 * as a secret: it is masked in every later message and zeroized at the end.
 * Messages name the path and the variable, never a value.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "loader.h"

#include <stdlib.h>

#define NAME_MAX_LEN 255

static bool name_char(char ch, bool first)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '_' ||
           (!first && ch >= '0' && ch <= '9');
}

/* Length of the variable name at s (up to len bytes), 0 when it is not one. */
static size_t name_len(const char *s, size_t len)
{
    size_t n = 0;

    while (n < len && name_char(s[n], n == 0))
        n++;
    return n > NAME_MAX_LEN ? 0 : n;
}

/* The value of the variable name[0..n), or NULL with the error set. */
static const char *lookup(llmgw__cfg *c, const char *name, size_t n)
{
    char var[NAME_MAX_LEN + 1];
    const char *v;

    memcpy(var, name, n);
    var[n] = '\0';
    v = getenv(var);
    if (v == NULL) {
        llmgw__cfg_error(c, "environment variable %s is not set", var);
        return NULL;
    }
    if (*v == '\0') {
        llmgw__cfg_error(c, "environment variable %s is empty", var);
        return NULL;
    }
    if (strlen(v) > LLMGW__CFG_ENV_MAX) {
        llmgw__cfg_error(c, "environment variable %s is longer than %u bytes", var, LLMGW__CFG_ENV_MAX);
        return NULL;
    }
    return v;
}

static int keep(llmgw__cfg *c, llmgw_buf *b, const char **out)
{
    char *s;

    if (b->size > LLMGW__CFG_ENV_MAX) {
        llmgw__buf_dispose_secret(b);
        return llmgw__cfg_error(c, "the value is longer than %u bytes once resolved", LLMGW__CFG_ENV_MAX);
    }
    s = llmgw__buf_detach(b);
    if (s == NULL && (s = llmgw__strdup("")) == NULL)
        return llmgw__error_oom();
    LLMGW_TRY(llmgw__cfg_secret(c, s, true));
    *out = s;
    return 0;
}

/*
 * The variable's own value is a secret too, not only the string it was
 * interpolated into: a message may show that string altered (a token shape
 * in it masked by the redaction pass, or cut), and the exact whole no longer
 * matches, while the value inside it still would.
 */
static int keep_value(llmgw__cfg *c, const char *v)
{
    char *copy;

    if (strlen(v) < 4)
        return 0;       /* the redaction pass masks nothing shorter */
    if ((copy = llmgw__strdup(v)) == NULL)
        return llmgw__error_oom();
    return llmgw__cfg_secret(c, copy, true);
}

static int interpolate(llmgw__cfg *c, const char *s, const char **out)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    const char *p = s, *v;
    int rc = 0;

    while (*p && rc == 0) {
        const char *d = strchr(p, '$');
        size_t n;
        if (d == NULL) {
            rc = llmgw__buf_puts(&b, p);
            break;
        }
        if ((rc = llmgw__buf_put(&b, p, (size_t)(d - p))) < 0)
            break;
        if (strncmp(d, "$${", 3) == 0) {
            rc = llmgw__buf_put(&b, "${", 2);
            p = d + 3;
        } else if (strncmp(d, "${", 2) == 0) {
            n = name_len(d + 2, strlen(d + 2));
            if (n == 0 || d[2 + n] != '}') {
                rc = llmgw__cfg_error(c, "malformed reference: ${...} needs a variable name "
                                         "(letters, digits, _) and a closing brace");
                break;
            }
            if ((v = lookup(c, d + 2, n)) == NULL) {
                rc = llmgw_error_last()->code;
                break;
            }
            if ((rc = keep_value(c, v)) == 0)
                rc = llmgw__buf_puts(&b, v);
            p = d + 2 + n + 1;
        } else {
            rc = llmgw__buf_putc(&b, '$');
            p = d + 1;
        }
    }
    if (rc < 0) {
        llmgw__buf_dispose_secret(&b);
        return rc;
    }
    return keep(c, &b, out);
}

int llmgw__cfg_env_resolve(llmgw__cfg *c, const char *s, const char **out)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    const char *v;
    size_t n;
    int rc;

    *out = s;
    if (strncmp(s, "os.environ/", 11) == 0) {
        n = name_len(s + 11, strlen(s + 11));
        if (n == 0 || s[11 + n] != '\0')
            return llmgw__cfg_error(c, "malformed reference: os.environ/ must be followed by a variable "
                                       "name (letters, digits, _) and nothing else");
        if ((v = lookup(c, s + 11, n)) == NULL)
            return llmgw_error_last()->code;
        if ((rc = llmgw__buf_puts(&b, v)) < 0) {
            llmgw__buf_dispose_secret(&b);
            return rc;
        }
        return keep(c, &b, out);
    }
    if (strstr(s, "${") == NULL)
        return 0;
    return interpolate(c, s, out);
}

int llmgw__cfg_env_resolve_tree(llmgw__cfg *c, cJSON *item)
{
    cJSON *it;
    const char *s;
    size_t i = 0;

    if (cJSON_IsString(item) && item->valuestring != NULL) {
        LLMGW_TRY(llmgw__cfg_env_resolve(c, item->valuestring, &s));
        if (s != item->valuestring && cJSON_SetValuestring(item, s) == NULL)
            return llmgw__error_oom();
        return 0;
    }
    cJSON_ArrayForEach(it, item) {
        llmgw__cfg_mark mark = cJSON_IsArray(item) ? llmgw__cfg_push_index(c, i) : llmgw__cfg_push_key(c, it->string);
        int rc = llmgw__cfg_env_resolve_tree(c, it);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(rc);
        i++;
    }
    return 0;
}

void llmgw__cfg_tree_wipe(cJSON *item)
{
    cJSON *it;

    if (item == NULL)
        return;
    if (item->valuestring != NULL)
        llmgw__zeroize(item->valuestring, strlen(item->valuestring));
    cJSON_ArrayForEach(it, item)
        llmgw__cfg_tree_wipe(it);
}
