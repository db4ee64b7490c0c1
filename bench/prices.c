/*
 * bench/prices: loading LiteLLM's full price catalogue (target: at most
 * 50 ms; baseline: cJSON parsing the same bytes alone), a price lookup on
 * that table (baseline: a linear scan comparing keys, what a table without
 * an index would do) and one cost computation (baseline: the same formula in
 * double, which is what llmgw avoids for money). The catalogue is read from
 * ../shared/data (LLMGW_SHARED_DIR overrides it); without it only the cost
 * is measured.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "accounting/prices.h"
#include "bench_util.h"

#ifndef LLMGW_SHARED
#define LLMGW_SHARED "../shared"
#endif

static volatile int64_t sink;
static volatile double dsink;

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0 ||
        (buf = malloc((size_t)n + 1)) == NULL) {
        fclose(f);
        return NULL;
    }
    *len = fread(buf, 1, (size_t)n, f);
    fclose(f);
    return buf;
}

/* CPU time of this process: on a busy machine, closer to what an idle one would take. */
static double cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void bench_load(const char *path, const char *json, size_t len, size_t iters)
{
    double *a = calloc(iters, sizeof(double)), *b = calloc(iters, sizeof(double));
    double *c = calloc(iters, sizeof(double)), ours, base;
    size_t i;

    for (i = 0; i < iters; i++) {
        llmgw__prices *t = NULL;
        double t0 = bench_now_us(), c0 = cpu_us();
        cJSON *root;
        if (llmgw__prices_load_file(&t, path, NULL) != 0) {
            fprintf(stderr, "prices: %s\n", llmgw_error_last()->message);
            exit(1);
        }
        a[i] = bench_now_us() - t0;
        c[i] = cpu_us() - c0;
        sink += (int64_t)llmgw__prices_count(t);
        llmgw__prices_free(t);
        /* the baseline: cJSON reading the same bytes into a tree and freeing it */
        t0 = bench_now_us();
        root = cJSON_ParseWithLength(json, len);
        sink += root != NULL;
        cJSON_Delete(root);
        b[i] = bench_now_us() - t0;
    }
    ours = bench_median(a, iters) / 1e3;
    base = bench_median(b, iters) / 1e3;
    bench_report("prices_load_catalogue", "ms", ours, base);
    printf("prices: %zu bytes; load median %.1f ms wall, %.1f ms CPU (target: 50 ms)\n", len, ours,
           bench_median(c, iters) / 1e3);
    free(a);
    free(b);
    free(c);
}

/* What an unindexed table does: compare every key. */
static const llmgw__price *scan(const llmgw__prices *t, const char *key)
{
    size_t i, n = llmgw__prices_count(t);

    for (i = 0; i < n; i++)
        if (strcmp(llmgw__prices_at(t, i)->key, key) == 0)
            return llmgw__prices_at(t, i);
    return NULL;
}

static void bench_lookup(const char *path, size_t iters)
{
    static const struct { const char *provider, *model, *key; } q[] = {
        { "openai", "gpt-4o", "gpt-4o" },                                  /* step 1 */
        { "azure", "gpt-4o", "azure/gpt-4o" },                             /* step 2 */
        { "together", "meta-llama/Llama-3.3-70B-Instruct-Turbo",
          "together_ai/meta-llama/Llama-3.3-70B-Instruct-Turbo" },         /* step 2, alias */
        { NULL, "anthropic/claude-sonnet-4-5", "claude-sonnet-4-5" },      /* step 3 */
    };
    double *a = calloc(iters, sizeof(double)), *b = calloc(iters, sizeof(double));
    llmgw__prices *t = NULL;
    llmgw__price p;
    size_t i, j, k;

    if (llmgw__prices_load_file(&t, path, NULL) != 0)
        exit(1);
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        for (j = 0; j < 1000; j++)
            for (k = 0; k < 4; k++)
                sink += llmgw__prices_lookup(t, q[k].provider, q[k].model, &p) == 0 ? p.input : 0;
        a[i] = (bench_now_us() - t0) * 1e3 / 4000;
        t0 = bench_now_us();
        for (j = 0; j < 10; j++)
            for (k = 0; k < 4; k++) {
                const llmgw__price *e = scan(t, q[k].key);
                sink += e ? e->input : 0;
            }
        b[i] = (bench_now_us() - t0) * 1e3 / 40;
    }
    bench_report("prices_lookup", "ns", bench_median(a, iters), bench_median(b, iters));
    llmgw__prices_free(t);
    free(a);
    free(b);
}

static void bench_cost(size_t iters)
{
    const llmgw__prices *b = llmgw__prices_builtin();
    double *x = calloc(iters, sizeof(double)), *y = calloc(iters, sizeof(double));
    llmgw__price p;
    llmgw__cost c;
    size_t i, j;

    if (llmgw__prices_lookup(b, "anthropic", "claude-sonnet-4-5", &p) != 0)
        exit(1);
    for (i = 0; i < iters; i++) {
        llmgw_token_counts n = { 12000 + i, 800, 3000, 2000, 100 };
        double t0 = bench_now_us();
        for (j = 0; j < 10000; j++) {
            n.output_tokens = 800 + (j & 255);
            if (llmgw__cost_compute(&c, &p, &n) == 0)
                sink += c.total;
        }
        x[i] = (bench_now_us() - t0) * 1e3 / 10000;
        t0 = bench_now_us();
        for (j = 0; j < 10000; j++) {
            double out = 800.0 + (double)(j & 255);
            dsink += ((double)(n.input_tokens - 5000) * 3e-6 + 3000 * 3e-7 + 2000 * 3.75e-6 +
                      out * 1.5e-5) * 1e9;
        }
        y[i] = (bench_now_us() - t0) * 1e3 / 10000;
    }
    bench_report("prices_cost_compute", "ns", bench_median(x, iters), bench_median(y, iters));
    free(x);
    free(y);
}

int main(int argc, char **argv)
{
    size_t iters = bench_count(argc, argv, 21), len = 0;
    const char *root = getenv("LLMGW_SHARED_DIR");
    char path[1024], *json;

    snprintf(path, sizeof(path), "%s/data/model_prices_and_context_window.json", root ? root : LLMGW_SHARED);
    json = slurp(path, &len);
    if (json == NULL) {
        printf("prices: %s not found: catalogue load and lookup skipped\n", path);
    } else {
        bench_load(path, json, len, iters);
        bench_lookup(path, iters);
        free(json);
    }
    bench_cost(iters);
    return 0;
}
