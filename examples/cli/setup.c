/*
 * examples/cli/setup.c: opening the gateway for the CLI.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char *find_config(const cli_args *a, char *buf, size_t size)
{
    static const char *const local[] = { "llmgw.yaml", "llmgw.yml", "llmgw.json" };
    const char *env = getenv("LLMGW_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    size_t i;

    if (a->config != NULL)
        return a->config;
    if (env != NULL && *env != '\0')
        return env;
    for (i = 0; i < sizeof(local) / sizeof(local[0]); i++)
        if (access(local[i], R_OK) == 0)
            return local[i];
    for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
        /* config.yaml, config.yml, config.json, as the bindings search */
        if (xdg != NULL && *xdg != '\0')
            snprintf(buf, size, "%s/llmgw/config%s", xdg, strchr(local[i], '.'));
        else if (home != NULL && *home != '\0')
            snprintf(buf, size, "%s/.config/llmgw/config%s", home, strchr(local[i], '.'));
        else
            return NULL;
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}

int cli_gateway(llmgw_gateway **out, const cli_args *a, const char *model)
{
    llmgw_gateway_options o;
    char buf[4096];
    const char *path = find_config(a, buf, sizeof(buf));
    int rc;

    *out = NULL;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    if (path != NULL) {
        if (access(path, R_OK) != 0) {
            fprintf(stderr, "llmgw: error: usage: cannot read config file '%s'\n", path);
            return EXIT_USAGE;
        }
        rc = llmgw_gateway_open(out, path, &o);
    } else {
        rc = llmgw_gateway_new(out, &o);
    }
    if (rc != 0) {
        if (a->json)
            cli_error_json(llmgw_error_last());
        else
            cli_error_line(llmgw_error_last());
        return cli_exit_code(llmgw_error_last()->error_class ? llmgw_error_last()->error_class
                                                             : LLMGW_ERRCLASS_CONFIG, rc);
    }
    /* --api-base / --api-key: a deployment of its own for a provider/model */
    if (model != NULL && (a->api_base != NULL || a->api_key != NULL)) {
        llmgw_deployment_options d;
        if (strchr(model, '/') == NULL) {
            fprintf(stderr, "llmgw: error: usage: --api-base and --api-key need a provider/model, not '%s'\n",
                    model);
            llmgw_gateway_free(*out);
            *out = NULL;
            return EXIT_USAGE;
        }
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.group = model;
        d.model = model;
        d.api_base = a->api_base;
        d.api_key = a->api_key;
        if (llmgw_gateway_group_size(*out, model) == 0 && (rc = llmgw_gateway_add_deployment(*out, &d)) != 0) {
            cli_error_line(llmgw_error_last());
            rc = cli_exit_code(llmgw_error_last()->error_class, rc);
            llmgw_gateway_free(*out);
            *out = NULL;
            return rc;
        }
    }
    return 0;
}
