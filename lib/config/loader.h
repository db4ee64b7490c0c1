/*
 * lib/config/loader.h: the config loader inside lib/config.
 *
 * A file (JSON, or YAML through yaml.c) becomes one cJSON tree; the section
 * walkers (sections_*.c) read it through the typed getters below, which
 * track the path for messages ("model_list[2].litellm_params.model: ..."),
 * resolve environment references (env.c) and keep every resolved value out
 * of logs and errors.
 */
#ifndef LLMGW_CONFIG_LOADER_H
#define LLMGW_CONFIG_LOADER_H

#include <cjson/cJSON.h>

#include "../core/common.h"
#include "settings.h"

#define LLMGW__CFG_MAX_BYTES    (8u << 20)  /* config text cap */
#define LLMGW__CFG_MAX_NODES    (1u << 19)  /* YAML nodes, alias copies included */
#define LLMGW__CFG_MAX_KEYS     4096        /* members of one mapping */
#define LLMGW__CFG_PATH_MAX     256
#define LLMGW__CFG_ENV_MAX      65536       /* one resolved value */

typedef struct llmgw__cfg {
    /* from the caller */
    const char            *name;          /* file name for messages, or "<buffer>" */
    llmgw_log_cb           log_cb;
    void                  *log_userdata;
    int                    log_level;
    /* results */
    llmgw_gateway_options  opts;          /* the caller's, with the file's settings applied */
    llmgw__settings       *settings;
    llmgw_gateway         *gw;            /* created after the settings sections */
    /* the sections, borrowed from the tree (NULL when absent) */
    const cJSON           *model_list, *router, *litellm, *ours;
    const char            *litellm_key;   /* "litellm_settings", or its alias "settings" */
    int64_t                default_stream_timeout_ms; /* router_settings.stream_timeout */
    /* path of the value being read */
    char                   path[LLMGW__CFG_PATH_MAX];
    size_t                 path_len;
    /* values resolved from the environment, and literal credentials: masked in
     * every message, zeroized at the end. NULL-terminated. */
    char                 **secrets;
    bool                  *owned;         /* secrets[i] was allocated here */
    size_t                 nsecrets, secrets_cap;
} llmgw__cfg;

/* ---- path (walk.c) ---- */
typedef size_t llmgw__cfg_mark;
llmgw__cfg_mark llmgw__cfg_push_key(llmgw__cfg *c, const char *key);
llmgw__cfg_mark llmgw__cfg_push_index(llmgw__cfg *c, size_t index);
void            llmgw__cfg_pop(llmgw__cfg *c, llmgw__cfg_mark mark);

/* ---- messages (walk.c); never pass a value from the environment or a key ---- */
/* "path: message" as LLMGW_EINVAL, class config; returns LLMGW_EINVAL. */
int  llmgw__cfg_error(llmgw__cfg *c, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/* The same at path.key. */
int  llmgw__cfg_error_at(llmgw__cfg *c, const char *key, const char *fmt, ...) LLMGW_PRINTF(3, 4);
/* Prefix the current last error with the path, keeping its code. */
int  llmgw__cfg_error_wrap(llmgw__cfg *c, int rc);
/* "name: path: message" through the caller's log hook, if its level allows. */
void llmgw__cfg_log(llmgw__cfg *c, int level, const char *fmt, ...) LLMGW_PRINTF(3, 4);
void llmgw__cfg_log_at(llmgw__cfg *c, int level, const char *key, const char *fmt, ...) LLMGW_PRINTF(4, 5);
/* A value for a message: 'value' (truncated), or a placeholder when it is secret. */
const char *llmgw__cfg_show(llmgw__cfg *c, const char *value, char *buf, size_t size);
/* Remember s as secret (masked in messages); own: free (zeroized) at the end. */
int  llmgw__cfg_secret(llmgw__cfg *c, char *s, bool own);
bool llmgw__cfg_is_secret(const llmgw__cfg *c, const char *s);
void llmgw__cfg_dispose(llmgw__cfg *c);

/* ---- keys (walk.c) ---- */
enum {
    LLMGW__KEY_USED = 0,   /* read by the section */
    LLMGW__KEY_INFO,       /* accepted and ignored; INFO log with the note */
    LLMGW__KEY_WARN,       /* accepted and ignored; WARN log with the note */
    LLMGW__KEY_REFUSE      /* the file is rejected, with the note */
};
typedef struct llmgw__cfg_key {
    const char *name;      /* a trailing '*' matches a prefix */
    int         kind;      /* LLMGW__KEY_* */
    const char *note;      /* why, for INFO, WARN and REFUSE */
} llmgw__cfg_key;

/* The table entry for key, or NULL. */
const llmgw__cfg_key *llmgw__cfg_key_find(const llmgw__cfg_key *table, const char *key);
/*
 * Check every member of obj (at the current path) against table: unknown
 * keys are a WARN, INFO/WARN entries are logged, REFUSE fails. Duplicate
 * keys fail. unknown_note completes the unknown-key warning (may be NULL).
 */
int  llmgw__cfg_check_keys(llmgw__cfg *c, const cJSON *obj, const llmgw__cfg_key *table,
                           const char *unknown_note);

/* ---- typed getters (walk.c): 1 when present, 0 when absent or null, < 0 on error ---- */
enum { LLMGW__CFG_SECRET = 1u << 0 };   /* never shown; masked in every later message */
/* "a string", "a mapping" ... for messages. */
const char *llmgw__cfg_type_name(const cJSON *it);
/* obj[key], NULL when absent or JSON null. */
const cJSON *llmgw__cfg_get(const cJSON *obj, const char *key);
int llmgw__cfg_object(llmgw__cfg *c, const cJSON *obj, const char *key, const cJSON **out);
int llmgw__cfg_array(llmgw__cfg *c, const cJSON *obj, const char *key, const cJSON **out);
/* A string, environment references resolved; *out lives until llmgw__cfg_dispose. */
int llmgw__cfg_string(llmgw__cfg *c, const cJSON *obj, const char *key, unsigned flags, const char **out);
/* The same for a node already found (at the current path). */
int llmgw__cfg_string_node(llmgw__cfg *c, const cJSON *node, unsigned flags, const char **out);
int llmgw__cfg_bool(llmgw__cfg *c, const cJSON *obj, const char *key, bool *out);
/* An integer in [min, max]. */
int llmgw__cfg_int(llmgw__cfg *c, const cJSON *obj, const char *key, int64_t min, int64_t max, int64_t *out);
/* A finite number in [min, max]. */
int llmgw__cfg_number(llmgw__cfg *c, const cJSON *obj, const char *key, double min, double max, double *out);
/* Seconds (a number > 0, at most 1e6) as milliseconds; zero_ok lets 0 through. */
int llmgw__cfg_seconds(llmgw__cfg *c, const cJSON *obj, const char *key, bool zero_ok, int64_t *ms_out);

/* ---- environment (env.c) ---- */
/*
 * Resolve `os.environ/NAME` (the whole value) and `${NAME}` (anywhere; `$${`
 * is a literal `${`). *out is s itself when there is no reference, else a
 * resolved copy registered as secret. A missing or empty variable is an
 * error naming the path and the variable, never a value.
 */
int  llmgw__cfg_env_resolve(llmgw__cfg *c, const char *s, const char **out);
/* Resolve references in every string inside item (a private copy), in place. */
int  llmgw__cfg_env_resolve_tree(llmgw__cfg *c, cJSON *item);

/* ---- parsing (load.c, yaml.c, yaml_scalar.c) ---- */
/* Parse YAML text into a tree; NULL with the error set ("name:line:col: ..."). */
cJSON *llmgw__cfg_parse_yaml(const char *name, const char *text, size_t len);
/*
 * Type one YAML scalar (value is NUL-terminated at len): YAML 1.1 as PyYAML
 * resolves plain scalars; quoted ones stay strings. tag may be NULL. NULL
 * with *why set when invalid, with *why NULL when out of memory.
 */
enum { LLMGW__SCALAR_PLAIN = 0, LLMGW__SCALAR_QUOTED = 1 };
cJSON *llmgw__cfg_yaml_scalar(const char *value, size_t len, int style, const char *tag, const char **why);
/* Overwrite every string in the tree with zeros (before cJSON_Delete). */
void   llmgw__cfg_tree_wipe(cJSON *item);

/* ---- sections ---- */
int llmgw__cfg_litellm_settings(llmgw__cfg *c);                  /* sections_router.c */
int llmgw__cfg_router_settings(llmgw__cfg *c);                   /* sections_router.c */
int llmgw__cfg_routes(llmgw__cfg *c);                            /* routes.c: after the models */
int llmgw__cfg_rules(llmgw__cfg *c);                             /* routes.c: after the routes */
int llmgw__cfg_llmgw_settings(llmgw__cfg *c);                    /* sections_llmgw.c */
int llmgw__cfg_budgets(llmgw__cfg *c);                           /* sections_llmgw.c: after the gateway */
int llmgw__cfg_settings_check(llmgw__cfg *c);                    /* sections_llmgw.c: cross checks */
int llmgw__cfg_model_list(llmgw__cfg *c);                        /* sections_models.c */
/*
 * One Redis setting from obj[key] into settings->redis.<field> (host, port,
 * password, username, url, db, tls), shared by cache_params,
 * router_settings.redis_* and llmgw_settings.redis (sections_llmgw.c).
 */
int llmgw__cfg_redis_field(llmgw__cfg *c, const cJSON *obj, const char *key, const char *field);
/* A budget period (total, day, month, or LiteLLM's 1d, 24h, 30d, 1mo) at key: LLMGW_PERIOD_*. */
int llmgw__cfg_budget_period(llmgw__cfg *c, const char *key, const char *s, int *out);
/* Record a budget for every request at key (settings; llmgw__cfg_budgets sets it on the ledger). */
int llmgw__cfg_global_budget(llmgw__cfg *c, const char *key, double usd, int period);

#endif
