/*
 * bench/cache: the response cache's hot path (internal API).
 *   cache_lru_get_hit_1k  a get that hits a 1 KB value in the LRU (16 shards,
 *                         1,000 entries), copied into a reused buffer;
 *                         baseline: the 1 KB copy alone (llmgw__buf_set).
 *   cache_key_1k          the key of a ~1 KB request (canonical JSON hashed
 *                         as it is written); baseline: SHA-256 of the
 *                         canonical text alone.
 * Medians of N batches, in ns per operation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cache/cache.h"
#include "core/buf.h"
#include "core/hash.h"

#define BATCH 200

static int bench_get(size_t iters)
{
    const llmgw_cache_backend_vtable *vt = &llmgw__lru_backend;
    double *t = calloc(iters, sizeof(double)), *base = calloc(iters, sizeof(double));
    llmgw_buf out = LLMGW_BUF_INIT;
    static char keys[1000][80];
    char value[1024];
    void *c = NULL;
    size_t i, j;
    unsigned sink = 0;

    if (t == NULL || base == NULL || llmgw__lru_new(&c, NULL, NULL, NULL) != 0)
        return 1;
    memset(value, 'v', sizeof(value));
    for (i = 0; i < 1000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "%064zx", i * 2654435761u);   /* the shape of a real key */
        if (vt->put(c, keys[i], value, sizeof(value), 3600000) != 0)
            return 1;
    }
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        for (j = 0; j < BATCH; j++) {
            if (vt->get(&out, c, keys[(i * BATCH + j) % 1000]) != 0)
                return 1;
            sink += (unsigned char)out.ptr[j % 1024];
        }
        t[i] = (bench_now_us() - t0) * 1000.0 / BATCH;
        t0 = bench_now_us();
        for (j = 0; j < BATCH; j++) {
            if (llmgw__buf_set(&out, value, sizeof(value)) != 0)
                return 1;
            sink += (unsigned char)out.ptr[j % 1024];
        }
        base[i] = (bench_now_us() - t0) * 1000.0 / BATCH;
    }
    bench_report("cache_lru_get_hit_1k", "ns", bench_median(t, iters), bench_median(base, iters));
    vt->destroy(c);
    llmgw_buf_dispose(&out);
    free(t);
    free(base);
    return sink == 1 ? 2 : 0;
}

static int bench_key(size_t iters)
{
    static const char body[] =
        "{\"model\":\"gpt-4o\",\"temperature\":0.2,\"max_tokens\":512,\"seed\":42,\"top_p\":0.95,"
        "\"stop\":[\"END\",\"STOP\"],\"user\":\"u-123\",\"messages\":["
        "{\"role\":\"system\",\"content\":\"You are a careful assistant. Answer briefly, cite sources, and say so "
        "when you do not know. Never invent numbers; prefer a table when comparing more than two things.\"},"
        "{\"role\":\"user\",\"content\":\"Compare the climate of Paris, Berlin and Madrid in spring, with average "
        "highs and lows, rainfall and the number of sunny days, and say which is best for a week of walking.\"},"
        "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\","
        "\"function\":{\"name\":\"get_climate\",\"arguments\":\"{\\\"cities\\\":[\\\"Paris\\\",\\\"Berlin\\\","
        "\\\"Madrid\\\"],\\\"season\\\":\\\"spring\\\"}\"}}]},"
        "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"{\\\"Paris\\\":{\\\"high\\\":16,\\\"low\\\":7},"
        "\\\"Berlin\\\":{\\\"high\\\":14,\\\"low\\\":4},\\\"Madrid\\\":{\\\"high\\\":20,\\\"low\\\":8}}\"}],"
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_climate\",\"description\":\"Climate normals\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"cities\":{\"type\":\"array\",\"items\":"
        "{\"type\":\"string\"}},\"season\":{\"type\":\"string\",\"enum\":[\"winter\",\"spring\",\"summer\","
        "\"autumn\"]}},\"required\":[\"cities\"]}}}]}";
    llmgw__cache_scope scope = { "tenant", "smart", "openai|/v1/chat/completions|gpt-4o|",
                                 (const unsigned char *)"sk-test", 7, (const unsigned char *)"secret", 6 };
    double *t = calloc(iters, sizeof(double)), *base = calloc(iters, sizeof(double));
    char key[LLMGW__CACHE_KEY_LEN + 1], digest[LLMGW__CACHE_KEY_LEN + 1];
    unsigned char d[LLMGW_SHA256_LEN];
    llmgw_buf canon = LLMGW_BUF_INIT;
    llmgw_request *req = NULL;
    size_t i, j;
    unsigned sink = 0;

    if (t == NULL || base == NULL || llmgw_request_from_json(&req, body, strlen(body)) != 0 ||
        llmgw__cache_canonical(&canon, req) != 0)
        return 1;
    for (i = 0; i < iters; i++) {
        double t0 = bench_now_us();
        for (j = 0; j < BATCH; j++) {
            if (llmgw__cache_key(key, digest, req, &scope) != 0)
                return 1;
            sink += (unsigned char)key[j % 64];
        }
        t[i] = (bench_now_us() - t0) * 1000.0 / BATCH;
        t0 = bench_now_us();
        for (j = 0; j < BATCH; j++) {
            llmgw__sha256(canon.ptr, canon.size, d);
            sink += d[j % 32];
        }
        base[i] = (bench_now_us() - t0) * 1000.0 / BATCH;
    }
    printf("request body %zu bytes, canonical %zu bytes\n", sizeof(body) - 1, canon.size);
    bench_report("cache_key_1k", "ns", bench_median(t, iters), bench_median(base, iters));
    llmgw_buf_dispose(&canon);
    llmgw_request_free(req);
    free(t);
    free(base);
    return sink == 1 ? 2 : 0;
}

int main(int argc, char **argv)
{
    size_t n = bench_count(argc, argv, 200);

    if (bench_get(n) != 0 || bench_key(n) != 0) {
        fprintf(stderr, "cache: %s\n", llmgw_error_last()->message);
        return 1;
    }
    return 0;
}
