/*
 * bench/config: llmgw_gateway_open() of a config with 1,000 deployments
 * (10 groups of 100, OpenAI-compatible on a loopback base, each with its own
 * key, weight and rpm; aliases and a fallback), in YAML and in JSON, median
 * ms of N loads, gateway freed outside the clock. Target: <= 50 ms.
 * Then the same with 10,000 deployments in 500 groups of 20 (N / 4 loads,
 * at least 1; no target: it shows that the load grows linearly, about ten
 * times the 1,000 figure).
 * Baseline: cJSON parsing the JSON text alone (what any loader pays first).
 * The files are written to $TMPDIR and removed.
 */
#include <cjson/cJSON.h>
#include <llmgw/llmgw.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_util.h"

typedef struct size_case {
    int deployments, groups;
} size_case;

static int write_configs(const size_case *sc, const char *yaml_path, const char *json_path)
{
    FILE *y = fopen(yaml_path, "w"), *j = fopen(json_path, "w");
    int i;

    if (y == NULL || j == NULL) {
        if (y)
            fclose(y);
        if (j)
            fclose(j);
        return -1;
    }
    fprintf(y, "model_list:\n");
    fprintf(j, "{\"model_list\":[\n");
    for (i = 0; i < sc->deployments; i++) {
        fprintf(y,
                "  - model_name: group-%d\n"
                "    litellm_params:\n"
                "      model: openai/model-%d\n"
                "      api_base: http://127.0.0.1:%d/v1\n"
                "      api_key: sk-bench-%08d\n"
                "      rpm: %d\n"
                "      weight: %d\n"
                "    model_info:\n"
                "      id: dep-%d\n"
                "      input_cost_per_token: 0.0000025\n"
                "      output_cost_per_token: 0.00001\n",
                i % sc->groups, i, 20000 + i % 50, i, 600 + i, 1 + i % 3, i);
        fprintf(j,
                "%s{\"model_name\":\"group-%d\",\"litellm_params\":{\"model\":\"openai/model-%d\","
                "\"api_base\":\"http://127.0.0.1:%d/v1\",\"api_key\":\"sk-bench-%08d\",\"rpm\":%d,\"weight\":%d},"
                "\"model_info\":{\"id\":\"dep-%d\",\"input_cost_per_token\":0.0000025,"
                "\"output_cost_per_token\":0.00001}}\n",
                i ? "," : "", i % sc->groups, i, 20000 + i % 50, i, 600 + i, 1 + i % 3, i);
    }
    fprintf(y, "router_settings:\n  routing_strategy: simple-shuffle\n  num_retries: 2\n"
               "  model_group_alias: { fast: group-0, smart: group-1 }\n"
               "  fallbacks: [{ group-0: [group-1] }]\n");
    fprintf(j, "],\"router_settings\":{\"routing_strategy\":\"simple-shuffle\",\"num_retries\":2,"
               "\"model_group_alias\":{\"fast\":\"group-0\",\"smart\":\"group-1\"},"
               "\"fallbacks\":[{\"group-0\":[\"group-1\"]}]}}\n");
    i = fclose(y);
    i |= fclose(j);
    return i == 0 ? 0 : -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, f);
        buf[*len] = '\0';
    }
    fclose(f);
    return buf;
}

/* Median ms of iters loads of path; -1 when a load fails (or YAML is not built in). */
static double load_ms(const size_case *sc, const char *path, size_t iters)
{
    double *t = calloc(iters, sizeof(double)), med;
    size_t i;

    if (t == NULL)
        return -1;
    for (i = 0; i < iters; i++) {
        llmgw_gateway *gw = NULL;
        double t0 = bench_now_us();
        int rc = llmgw_gateway_open(&gw, path, NULL);
        t[i] = (bench_now_us() - t0) / 1e3;
        if (rc == 0 && llmgw_gateway_group_size(gw, "group-3") != (size_t)(sc->deployments / sc->groups))
            rc = -1;
        llmgw_gateway_free(gw);
        if (rc != 0) {
            fprintf(stderr, "config: %s: %s\n", path, llmgw_error_last()->message);
            free(t);
            return rc == LLMGW_EUNSUPPORTED ? -2 : -1;
        }
    }
    med = bench_median(t, iters);
    free(t);
    return med;
}

/* One size: the JSON parse baseline, then JSON and YAML loads; 0, or 1 when something failed. */
static int run_case(const size_case *sc, size_t iters)
{
    const char *tmp = getenv("TMPDIR");
    char yaml_path[512], json_path[512], name[64], *text;
    double *b, yaml, json, base;
    size_t len = 0, i;
    int status = 0;

    snprintf(yaml_path, sizeof(yaml_path), "%s/llmgw-bench-%ld.yaml", tmp ? tmp : "/tmp", (long)getpid());
    snprintf(json_path, sizeof(json_path), "%s/llmgw-bench-%ld.json", tmp ? tmp : "/tmp", (long)getpid());
    if (write_configs(sc, yaml_path, json_path) != 0 || (text = slurp(json_path, &len)) == NULL ||
        (b = calloc(iters, sizeof(double))) == NULL) {
        fprintf(stderr, "config: cannot write the configs under %s\n", tmp ? tmp : "/tmp");
        return 1;
    }
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        cJSON *root = cJSON_ParseWithLength(text, len);
        b[i] = (bench_now_us() - t0) / 1e3;
        if (root == NULL)
            status = 1;
        cJSON_Delete(root);
    }
    base = bench_median(b, iters);
    json = load_ms(sc, json_path, iters);
    yaml = load_ms(sc, yaml_path, iters);
    printf("config: %d deployments in %d groups; JSON %zu bytes\n", sc->deployments, sc->groups, len);
    snprintf(name, sizeof(name), "config_load_%d_json", sc->deployments);
    if (json < 0)
        status = 1;
    else
        bench_report(name, "ms", json, base);
    snprintf(name, sizeof(name), "config_load_%d_yaml", sc->deployments);
    if (yaml == -2)
        printf("%s: skipped (built without YAML)\n", name);
    else if (yaml < 0)
        status = 1;
    else
        bench_report(name, "ms", yaml, base);
    remove(yaml_path);
    remove(json_path);
    free(text);
    free(b);
    return status;
}

int main(int argc, char **argv)
{
    static const size_case small = { 1000, 10 }, large = { 10000, 500 };
    size_t iters = bench_count(argc, argv, 21);
    int status = run_case(&small, iters);

    status |= run_case(&large, iters / 4 ? iters / 4 : 1);
    return status;
}
