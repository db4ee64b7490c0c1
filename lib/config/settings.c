/*
 * lib/config/settings.c: the settings object a config file leaves on the
 * gateway for the cache, Redis, accounting and usage-log rooms.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "settings.h"

llmgw__settings *llmgw__settings_new(void)
{
    llmgw__settings *s = llmgw__calloc(1, sizeof(*s));

    if (s == NULL)
        llmgw__error_oom();
    return s;
}

void llmgw__settings_free(llmgw__settings *s)
{
    if (s == NULL)
        return;
    llmgw__free(s->cache.namespace_name);
    llmgw__free(s->redis.host);
    llmgw__free(s->redis.username);
    llmgw__free_secret(s->redis.password);
    llmgw__free_secret(s->redis.url);
    llmgw__free(s->redis.key_prefix);
    llmgw__free_secret(s->redis.secret);
    llmgw__free(s->prices_path);
    llmgw__free(s->usage_log_path);
    llmgw__free(s->budgets);
    llmgw__free(s);
}

int llmgw__settings_set_str(char **slot, const char *value, bool secret)
{
    char *copy = NULL;

    if (value != NULL && (copy = llmgw__strdup(value)) == NULL)
        return llmgw__error_oom();
    if (secret)
        llmgw__free_secret(*slot);
    else
        llmgw__free(*slot);
    *slot = copy;
    return 0;
}

int llmgw__settings_add_budget(llmgw__settings *s, int64_t max_nusd, int period)
{
    llmgw__budget *nb = llmgw__reallocarray(s->budgets, s->nbudgets + 1, sizeof(*nb));

    if (nb == NULL)
        return llmgw__error_oom();
    s->budgets = nb;
    nb[s->nbudgets].max_nusd = max_nusd;
    nb[s->nbudgets].period = period;
    s->nbudgets++;
    return 0;
}
