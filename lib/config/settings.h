/*
 * lib/config/settings.h: what a config file sets that has no public option
 * or call yet, kept for the rooms that will consume it (cache backend
 * choice, Redis, usage log, budgets for everyone), plus the owned copies of
 * strings the gateway's options point at. The config loader fills it; the
 * gateway owns it (gw->settings; NULL for a gateway made in code) and frees
 * it. A plain struct, read-only once the gateway is returned, so readers
 * need no lock. Zero or NULL means "not configured: the room's default".
 *
 * Everything with a public surface goes there instead, and is not repeated
 * here: cache on/off, ttl, sizes and namespace (llmgw_gateway_options
 * cache_*), prices_path, per-customer and per-tag budgets
 * (llmgw_gateway_set_budget). docs/config.md maps every key.
 */
#ifndef LLMGW_CONFIG_SETTINGS_H
#define LLMGW_CONFIG_SETTINGS_H

#include "../core/common.h"

/* Cache backends (litellm_settings.cache_params.type). */
enum {
    LLMGW__CACHE_LOCAL = 0,   /* in-process LRU (default) */
    LLMGW__CACHE_REDIS = 1    /* shared, through llmgw__settings.redis */
};

typedef struct llmgw__cache_settings {
    int   type;               /* LLMGW__CACHE_*: cache_params.type */
    bool  default_off;        /* cache_params.mode: default_off: only requests that ask are cached */
    char *namespace_name;     /* cache_params.namespace: the copy gw->opts.cache_namespace points at */
} llmgw__cache_settings;

/*
 * One Redis for all shared state (cache, limits, budgets, circuit state).
 * Sources, later ones winning field by field (with a warning when they
 * differ): litellm_settings.cache_params (host, port, password, username,
 * url/redis_url, ssl, db), router_settings.redis_* (host, port, password,
 * url), llmgw_settings.redis.
 */
typedef struct llmgw__redis_settings {
    bool    configured;       /* host or url is set */
    char   *host;             /* NULL when only url is given */
    int     port;             /* 0: 6379 */
    char   *username;         /* ACL user, or NULL */
    char   *password;         /* secret: never logged, zeroized on free */
    char   *url;              /* redis://, rediss://, unix://: secret (may hold a password) */
    int     db;               /* database number (0) */
    char   *key_prefix;       /* NULL: the Redis room's default */
    int64_t connect_timeout_ms; /* 0: default */
    int64_t command_timeout_ms; /* 0: default */
    bool    tls;              /* rediss:// or ssl/tls: true */
    char   *secret;           /* llmgw_settings.redis.secret: HMAC key of shared cache entries; secret */
} llmgw__redis_settings;

/* A budget for every request (no customer, no tag): LLMGW_BUDGET_GLOBAL once the gateway exists. */
typedef struct llmgw__budget {
    int64_t max_nusd;         /* > 0, nano-USD */
    int     period;           /* LLMGW_PERIOD_* */
} llmgw__budget;

struct llmgw__settings {
    llmgw__cache_settings cache;
    llmgw__redis_settings redis;
    char                 *prices_path;     /* llmgw_settings.prices_path: the copy gw->opts.prices_path points at */
    char                 *usage_log_path;  /* llmgw_settings.log.path (~/ expanded), or NULL */
    bool                  capture_content; /* llmgw_settings.log.capture_content (false) */
    llmgw__budget        *budgets;         /* llmgw_settings.budget, litellm_settings.max_budget */
    size_t                nbudgets;
};

typedef struct llmgw__settings llmgw__settings;

/* A zeroed settings object; NULL with the last error set (ENOMEM). */
llmgw__settings *llmgw__settings_new(void);
/* Free s and what it points to (secrets zeroized). NULL is a no-op. */
void llmgw__settings_free(llmgw__settings *s);
/* Replace *slot with a copy of value (NULL clears); secret: zeroize the old one. */
int  llmgw__settings_set_str(char **slot, const char *value, bool secret);
/* Append a budget for every request. */
int  llmgw__settings_add_budget(llmgw__settings *s, int64_t max_nusd, int period);

#endif
