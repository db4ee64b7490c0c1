/*
 * lib/config/load.c: llmgw_gateway_open() and llmgw_gateway_open_buffer():
 * read the file (with a size cap), parse it by format into one tree, check
 * the tree, then walk the sections in order: settings (which override the
 * caller's options), the gateway, the model list, then the routes that name
 * its groups. Any error rejects the whole file and frees the gateway.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/gateway.h"
#include "../core/json.h"
#include "../core/utf8.h"
#include "../redis/shared.h"
#include "../core/redact.h"
#include "loader.h"
#include "../accounting/usage_log.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

enum { FMT_SNIFF = 0, FMT_JSON, FMT_YAML };

#define CFG_ERR(code, ...) llmgw__error_setc((code), LLMGW_ERRCLASS_CONFIG, __VA_ARGS__)

/* ---- reading ---- */

static int read_error(const char *path, int err)
{
    char buf[128];
    const char *why = strerror_r(err, buf, sizeof(buf));

    if (err == ENOENT || err == ENOTDIR)
        return CFG_ERR(LLMGW_ENOTFOUND, "%s: no such config file", path);
    return CFG_ERR(LLMGW_ERROR, "%s: cannot read the config: %s", path, why);
}

static int read_file(const char *path, char **text_out, size_t *len_out)
{
    struct stat st;
    char *buf = NULL;
    size_t len = 0, cap;
    int fd, rc = 0;

    *text_out = NULL;
    *len_out = 0;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return read_error(path, errno);
    if (fstat(fd, &st) != 0) {
        rc = read_error(path, errno);
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = CFG_ERR(LLMGW_EINVAL, "%s: is a directory, not a config file", path);
        goto out;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > LLMGW__CFG_MAX_BYTES) {
        rc = CFG_ERR(LLMGW_EINVAL, "%s: the config is larger than %u bytes", path, LLMGW__CFG_MAX_BYTES);
        goto out;
    }
    cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 65536;
    for (;;) {
        ssize_t n;
        if (len == cap || buf == NULL) {
            char *nb;
            if (buf != NULL)
                cap = LLMGW_MIN(cap * 2, (size_t)LLMGW__CFG_MAX_BYTES + 1);
            nb = llmgw__malloc(cap + 1);
            if (nb == NULL) {
                rc = llmgw__error_oom();
                goto out;
            }
            if (buf != NULL) {
                memcpy(nb, buf, len);
                llmgw__zeroize(buf, len);
                llmgw__free(buf);
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = read_error(path, errno);
            goto out;
        }
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > LLMGW__CFG_MAX_BYTES) {
            rc = CFG_ERR(LLMGW_EINVAL, "%s: the config is larger than %u bytes", path, LLMGW__CFG_MAX_BYTES);
            goto out;
        }
    }
    buf[len] = '\0';
out:
    close(fd);
    if (rc < 0 && buf != NULL) {
        llmgw__zeroize(buf, len);
        llmgw__free(buf);
        buf = NULL;
    }
    *text_out = buf;
    *len_out = len;
    return rc;
}

/* ---- parsing ---- */

static void line_col(const char *text, size_t at, size_t *line, size_t *col)
{
    size_t i;

    *line = 1;
    *col = 1;
    for (i = 0; i < at; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static int at_error(const char *name, const char *text, size_t at, const char *msg)
{
    size_t line, col;

    line_col(text, at, &line, &col);
    return CFG_ERR(LLMGW_EINVAL, "%s:%zu:%zu: %s", name, line, col, msg);
}

static cJSON *parse_json(const char *name, const char *text, size_t len)
{
    const char *end = NULL, *nul;
    char msg[512];
    cJSON *root;
    size_t i = 0;

    while (i < len) {       /* UTF-8 first, so the error can name the line */
        size_t n = llmgw__utf8_seq((const unsigned char *)text + i, len - i);
        if (n == 0) {
            at_error(name, text, i, "invalid JSON: the text is not valid UTF-8");
            return NULL;
        }
        i += n;
    }
    root = llmgw__json_parse(text, len, LLMGW_ERRCLASS_CONFIG);
    if (root == NULL && llmgw_error_last()->code == LLMGW_ENOMEM)
        return NULL;
    if (root == NULL) {
        snprintf(msg, sizeof(msg), "%s", llmgw_error_last()->message);
        if (strstr(msg, "nested deeper") != NULL || strstr(msg, "\\u escape") != NULL) {
            CFG_ERR(LLMGW_EINVAL, "%s: %s", name, msg);
            return NULL;
        }
        if ((nul = memchr(text, '\0', len)) != NULL) {
            at_error(name, text, (size_t)(nul - text), "invalid JSON: a NUL byte");
            return NULL;
        }
        root = cJSON_ParseWithLengthOpts(text, len, &end, 0);  /* only to locate the problem */
        cJSON_Delete(root);
        while (root != NULL && end != NULL && end < text + len &&
               (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
            end++;      /* point at the extra text */
        at_error(name, text, end != NULL && end >= text ? (size_t)(end - text) : 0,
                 root != NULL ? "invalid JSON: more text after the value" : "invalid JSON");
        return NULL;
    }
    if (llmgw__json_has_nul_escape(text, len)) {
        llmgw__cfg_tree_wipe(root);
        cJSON_Delete(root);
        CFG_ERR(LLMGW_EINVAL, "%s: a string holds \\u0000, which is not allowed", name);
        return NULL;
    }
    return root;
}

/* Every mapping: no duplicate keys, at most LLMGW__CFG_MAX_KEYS; every number finite. */
static int check_tree(llmgw__cfg *c, const cJSON *item)
{
    const cJSON *it, *prev;
    size_t i = 0;

    if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
        return llmgw__cfg_error(c, "numbers must be finite");
    cJSON_ArrayForEach(it, item) {
        llmgw__cfg_mark mark;
        int rc;
        if (cJSON_IsObject(item)) {
            if (i >= LLMGW__CFG_MAX_KEYS)
                return llmgw__cfg_error(c, "a mapping has more than %d keys", LLMGW__CFG_MAX_KEYS);
            for (prev = item->child; prev != it; prev = prev->next)
                if (strcmp(prev->string, it->string) == 0)
                    return llmgw__cfg_error_at(c, it->string, "duplicate key");
            mark = llmgw__cfg_push_key(c, it->string);
        } else {
            mark = llmgw__cfg_push_index(c, i);
        }
        rc = check_tree(c, it);
        llmgw__cfg_pop(c, mark);
        LLMGW_TRY(rc);
        i++;
    }
    return 0;
}

static int sniff(const char *text, size_t len)
{
    size_t i = 0;

    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
        i++;
    if (i == len)
        return -1;  /* empty */
    return text[i] == '{' || text[i] == '[' ? FMT_JSON : FMT_YAML;
}

static cJSON *parse(const char *name, const char *text, size_t len, int format)
{
    int sniffed = sniff(text, len);

    if (len > LLMGW__CFG_MAX_BYTES) {
        CFG_ERR(LLMGW_EINVAL, "%s: the config is larger than %u bytes", name, LLMGW__CFG_MAX_BYTES);
        return NULL;
    }
    if (sniffed < 0) {
        CFG_ERR(LLMGW_EINVAL, "%s: the config is empty", name);
        return NULL;
    }
    if (format == FMT_SNIFF)
        format = sniffed;
    if (format == FMT_JSON)
        return parse_json(name, text, len);
#if LLMGW_HAVE_YAML
    return llmgw__cfg_parse_yaml(name, text, len);
#else
    llmgw__error_setc(LLMGW_EUNSUPPORTED, LLMGW_ERRCLASS_UNSUPPORTED,
                      "%s: YAML configs need libyaml, and this llmgw was built without it: use JSON", name);
    return NULL;
#endif
}

/* ---- the top level ---- */

static const char proxy_only[] = "a LiteLLM proxy feature, not part of llmgw";

static const llmgw__cfg_key root_keys[] = {
    { "model_list", LLMGW__KEY_USED, NULL },
    { "router_settings", LLMGW__KEY_USED, NULL },
    { "litellm_settings", LLMGW__KEY_USED, NULL },
    { "settings", LLMGW__KEY_USED, NULL },
    { "llmgw_settings", LLMGW__KEY_USED, NULL },
    { "general_settings", LLMGW__KEY_INFO, "LiteLLM proxy server settings; llmgw is a library" },
    { "environment_variables", LLMGW__KEY_INFO, "a library never sets the process environment" },
    { "include", LLMGW__KEY_REFUSE, "include is not supported: merge the files into one" },
    { "guardrails", LLMGW__KEY_WARN, proxy_only },
    { "mcp_servers", LLMGW__KEY_WARN, proxy_only },
    { "credential_list", LLMGW__KEY_WARN, proxy_only },
    { "vector_store_registry", LLMGW__KEY_WARN, proxy_only },
    { "files_settings", LLMGW__KEY_WARN, proxy_only },
    { "assistant_settings", LLMGW__KEY_WARN, proxy_only },
    { "finetune_settings", LLMGW__KEY_WARN, proxy_only },
    { NULL, 0, NULL }
};

static int top_level(llmgw__cfg *c, const cJSON *root)
{
    if (!cJSON_IsObject(root))
        return llmgw__cfg_error(c, "the top level must be a mapping (model_list, router_settings, ...), not %s",
                                llmgw__cfg_type_name(root));
    LLMGW_TRY(llmgw__cfg_check_keys(c, root, root_keys, NULL));
    if (llmgw__cfg_get(root, "litellm_settings") != NULL && llmgw__cfg_get(root, "settings") != NULL)
        return llmgw__cfg_error(c, "both litellm_settings and settings are given: use one");
    LLMGW_TRY(llmgw__cfg_array(c, root, "model_list", &c->model_list));
    LLMGW_TRY(llmgw__cfg_object(c, root, "router_settings", &c->router));
    c->litellm_key = llmgw__cfg_get(root, "settings") != NULL ? "settings" : "litellm_settings";
    LLMGW_TRY(llmgw__cfg_object(c, root, c->litellm_key, &c->litellm));
    LLMGW_TRY(llmgw__cfg_object(c, root, "llmgw_settings", &c->ours));
    return 0;
}

/* ---- loading ---- */

/*
 * What the gateway logs while it opens (a price file not found ...) may
 * name a value that came from the environment (prices_path: ${DIR}/p.json):
 * it goes through the config's redaction, like the loader's own lines.
 */
static void redacting_log(int level, const char *msg, void *userdata)
{
    llmgw__cfg *c = userdata;
    char line[1024];

    llmgw__redact(line, sizeof(line), msg, strlen(msg), (const char *const *)c->secrets);
    c->log_cb(level, line, c->log_userdata);
}

static int open_gateway(llmgw__cfg *c)
{
    llmgw_gateway_options o = c->opts;
    int rc;

    if (o.log_cb != NULL) {
        o.log_cb = redacting_log;
        o.log_userdata = c;
    }
    if ((rc = llmgw_gateway_new(&c->gw, &o)) < 0)
        return rc == LLMGW_ENOMEM ? rc : llmgw__cfg_error_wrap(c, rc);   /* the message redacted too */
    c->gw->opts.log_cb = c->opts.log_cb;
    c->gw->opts.log_userdata = c->opts.log_userdata;
    return 0;
}

static int walk(llmgw__cfg *c, const cJSON *root)
{
    LLMGW_TRY(check_tree(c, root));
    LLMGW_TRY(top_level(c, root));
    /* settings, weakest first: each may override the one before */
    LLMGW_TRY(llmgw__cfg_litellm_settings(c));
    LLMGW_TRY(llmgw__cfg_router_settings(c));
    LLMGW_TRY(llmgw__cfg_llmgw_settings(c));
    LLMGW_TRY(llmgw__cfg_settings_check(c));
    LLMGW_TRY(open_gateway(c));
    /* strings the options borrowed from the file live on with the gateway, in its settings */
    if (c->settings->prices_path != NULL)
        c->gw->opts.prices_path = c->settings->prices_path;
    if (c->settings->cache.namespace_name != NULL)
        c->gw->opts.cache_namespace = c->settings->cache.namespace_name;
    LLMGW_TRY(llmgw__cfg_model_list(c));
    LLMGW_TRY(llmgw__cfg_routes(c));
    LLMGW_TRY(llmgw__cfg_rules(c));
    LLMGW_TRY(llmgw__cfg_budgets(c));
    return 0;
}

static int load(llmgw_gateway **out, const char *name, const char *text, size_t len, int format,
                const llmgw_gateway_options *opts)
{
    llmgw__cfg c;
    cJSON *root;
    int rc;

    memset(&c, 0, sizeof(c));
    if (opts != NULL && (opts->version == 0 || opts->version > LLMGW_GATEWAY_OPTIONS_VERSION))
        return CFG_ERR(LLMGW_EVERSION, "gateway options version %u not supported (this library: 1..%d)",
                       opts->version, LLMGW_GATEWAY_OPTIONS_VERSION);
    if (opts != NULL)
        c.opts = *opts;
    c.opts.version = LLMGW_GATEWAY_OPTIONS_VERSION;
    c.name = name;
    c.log_cb = c.opts.log_cb;
    c.log_userdata = c.opts.log_userdata;
    c.log_level = c.opts.log_level > 0 ? c.opts.log_level : LLMGW_LOG_WARN;
    if ((root = parse(name, text, len, format)) == NULL)
        return llmgw_error_last()->code;
    c.settings = llmgw__settings_new();
    rc = c.settings ? walk(&c, root) : LLMGW_ENOMEM;
    if (rc == 0) {
        c.gw->settings = c.settings;
        c.settings = NULL;
        rc = llmgw__shared_open(c.gw);       /* Redis, when configured (lib/redis/shared.h) */
    }
    if (rc == 0) {
        /* the config's usage log (the environment still wins: see usage_log.h) */
        llmgw_usage_log_close(c.gw->usage_log);
        c.gw->usage_log = NULL;
        rc = llmgw__usage_log_from_settings(&c.gw->usage_log, c.gw->settings, c.gw->opts.log_cb,
                                            c.gw->opts.log_userdata);
    }
    if (rc == 0) {
        llmgw__cfg_log(&c, LLMGW_LOG_INFO, "loaded %zu deployments in %zu groups", c.gw->ndeps, c.gw->ngroups);
        *out = c.gw;
        c.gw = NULL;
    }
    llmgw_gateway_free(c.gw);
    llmgw__settings_free(c.settings);
    llmgw__cfg_tree_wipe(root);
    cJSON_Delete(root);
    llmgw__cfg_dispose(&c);
    return rc;
}

static int format_of_path(const char *path)
{
    const char *dot = strrchr(path, '.'), *slash = strrchr(path, '/');

    if (dot == NULL || (slash != NULL && dot < slash))
        return FMT_SNIFF;
    if (strcasecmp(dot, ".json") == 0)
        return FMT_JSON;
    if (strcasecmp(dot, ".yaml") == 0 || strcasecmp(dot, ".yml") == 0)
        return FMT_YAML;
    return FMT_SNIFF;
}

int llmgw_gateway_open(llmgw_gateway **out, const char *config_path, const llmgw_gateway_options *opts)
{
    char *text = NULL;
    size_t len = 0;
    int rc, format;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(config_path);
    if (*config_path == '\0')
        return CFG_ERR(LLMGW_EINVAL, "config path is empty");
    format = format_of_path(config_path);
    LLMGW_TRY(read_file(config_path, &text, &len));
    rc = load(out, config_path, text, len, format, opts);
    llmgw__zeroize(text, len);
    llmgw__free(text);
    return rc;
}

int llmgw_gateway_open_buffer(llmgw_gateway **out, const char *text, size_t len, const char *format,
                              const llmgw_gateway_options *opts)
{
    int fmt = FMT_SNIFF;
    char *copy;
    int rc;

    LLMGW_CHECK_ARG(out);
    *out = NULL;
    LLMGW_CHECK_ARG(text);
    if (format != NULL && strcasecmp(format, "json") == 0)
        fmt = FMT_JSON;
    else if (format != NULL && (strcasecmp(format, "yaml") == 0 || strcasecmp(format, "yml") == 0))
        fmt = FMT_YAML;
    else if (format != NULL)
        return CFG_ERR(LLMGW_EINVAL, "unknown config format '%.16s' (json or yaml)", format);
    if (len > LLMGW__CFG_MAX_BYTES)
        return CFG_ERR(LLMGW_EINVAL, "<buffer>: the config is larger than %u bytes", LLMGW__CFG_MAX_BYTES);
    /* libyaml and the error locator want the text to end with a NUL */
    copy = llmgw__malloc(len + 1);
    if (copy == NULL)
        return llmgw__error_oom();
    memcpy(copy, text, len);
    copy[len] = '\0';
    rc = load(out, "<buffer>", copy, len, fmt, opts);
    llmgw__zeroize(copy, len);
    llmgw__free(copy);
    return rc;
}
