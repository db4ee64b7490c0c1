/*
 * examples/cli/cmd_models.c: `llmgw models` (configured groups and the
 * models the gateway can price) and `llmgw prices MODEL` (the price used
 * for cost).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static cJSON *parse_buf(llmgw_buf *b)
{
    cJSON *j = cJSON_Parse(b->ptr ? b->ptr : "null");

    llmgw_buf_dispose(b);
    return j;
}

static int fail(const cli_args *a, int rc)
{
    const llmgw_error *e = llmgw_error_last();

    if (a->json || a->models_json)
        cli_error_json(e);
    else
        cli_error_line(e);
    return cli_exit_code(e->error_class, rc);
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);

    return cJSON_IsString(v) ? v->valuestring : "-";
}

/* A rate or a limit as printed: the JSON text of a number, or "-". */
static void num(char *out, size_t size, const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);

    if (cJSON_IsRaw(v))
        snprintf(out, size, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(out, size, "%.15g", v->valuedouble);
    else
        snprintf(out, size, "-");
}

static void print_groups(const cJSON *desc)
{
    const cJSON *groups = cJSON_GetObjectItem(desc, "groups"), *g, *d, *alias;

    printf("Groups:\n");
    if (cJSON_GetArraySize(groups) == 0)
        printf("  (none configured: provider/model names use the vendors' environment variables)\n");
    cJSON_ArrayForEach(g, groups) {
        printf("  %s\n", str(g, "name"));
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(g, "deployments")) {
            printf("    %-48s health %s%s\n", str(d, "id"), str(d, "health"),
                   cJSON_IsTrue(cJSON_GetObjectItem(d, "has_key")) ? "" : "  (no key)");
        }
    }
    alias = cJSON_GetObjectItem(desc, "aliases");
    if (cJSON_GetArraySize(alias) > 0) {
        const cJSON *a;
        printf("Aliases:\n");
        cJSON_ArrayForEach(a, alias)
            printf("  %s -> %s\n", a->string, cJSON_IsString(a) ? a->valuestring : "?");
    }
}

static void print_price_row(const cJSON *p)
{
    char ctx[32], in[32], out[32], cr[32];

    num(ctx, sizeof(ctx), p, "max_input_tokens");
    num(in, sizeof(in), p, "input_usd_per_mtok");
    num(out, sizeof(out), p, "output_usd_per_mtok");
    num(cr, sizeof(cr), p, "cache_read_usd_per_mtok");
    printf("  %-48s %9s %11s %11s %11s  %s\n", str(p, "id"), ctx, in, out, cr, str(p, "source"));
}

static void price_header(void)
{
    printf("  %-48s %9s %11s %11s %11s  %s\n", "MODEL", "CONTEXT", "INPUT $/M", "OUTPUT $/M", "CACHED $/M",
           "SOURCE");
}

int cli_cmd_models(const cli_args *a)
{
    llmgw_gateway *gw = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *desc = NULL, *known = NULL, *p;
    int rc, code = EXIT_OK;

    if ((code = cli_gateway(&gw, a, NULL)) != 0)
        return code;
    if ((rc = llmgw_gateway_describe(&b, gw)) != 0 || (desc = parse_buf(&b)) == NULL) {
        code = fail(a, rc);
        goto out;
    }
    if ((rc = llmgw_gateway_models_json(&b, gw)) != 0 || (known = parse_buf(&b)) == NULL) {
        code = fail(a, rc);
        goto out;
    }
    if (a->models_json || a->json) {
        char *s;
        cJSON_AddItemToObject(desc, "known_models", known);
        known = NULL;
        s = cJSON_PrintUnformatted(desc);
        if (s != NULL)
            puts(s);
        cJSON_free(s);
        goto out;
    }
    print_groups(desc);
    printf("Known models (%d; USD per million tokens):\n", cJSON_GetArraySize(known));
    price_header();
    cJSON_ArrayForEach(p, known)
        print_price_row(p);
out:
    cJSON_Delete(desc);
    cJSON_Delete(known);
    llmgw_gateway_free(gw);
    return code;
}

int cli_cmd_prices(const cli_args *a)
{
    llmgw_gateway *gw = NULL;
    llmgw_buf b = LLMGW_BUF_INIT;
    cJSON *j = NULL, *d;
    int rc, code = EXIT_OK;

    if ((code = cli_gateway(&gw, a, NULL)) != 0)
        return code;
    if ((rc = llmgw_gateway_price_json(&b, gw, a->command_arg)) != 0 || (j = parse_buf(&b)) == NULL) {
        code = fail(a, rc);
        goto out;
    }
    if (a->json) {
        char *s = cJSON_PrintUnformatted(j);
        if (s != NULL)
            puts(s);
        cJSON_free(s);
        goto out;
    }
    if (cJSON_GetObjectItem(j, "group") != NULL) {
        printf("Group %s (USD per million tokens):\n", str(j, "group"));
        price_header();
        cJSON_ArrayForEach(d, cJSON_GetObjectItem(j, "deployments")) {
            const cJSON *p = cJSON_GetObjectItem(d, "price");
            if (cJSON_IsObject(p))
                print_price_row(p);
            else
                printf("  %-48s %9s %11s %11s %11s  %s\n", str(d, "id"), "-", "-", "-", "-", "unknown");
        }
    } else {
        printf("USD per million tokens:\n");
        price_header();
        print_price_row(j);
        if (cJSON_GetObjectItem(j, "tier_threshold_tokens") != NULL) {
            char in[32], out[32];
            num(in, sizeof(in), j, "input_above_usd_per_mtok");
            num(out, sizeof(out), j, "output_above_usd_per_mtok");
            printf("  above %.0f input tokens: input %s, output %s\n",
                   cJSON_GetObjectItem(j, "tier_threshold_tokens")->valuedouble, in, out);
        }
    }
out:
    cJSON_Delete(j);
    llmgw_gateway_free(gw);
    return code;
}
