/*
 * llmgw mock upstream: a step's "expect" matcher.
 *
 * {"method": s, "path": s, "query": s}: exact (path without the lane prefix, query without '?');
 * {"headers": {name: value}}: the header must be present with exactly that value (names are
 * case-insensitive), or absent when the value is null; {"body": {...}}: the request body must be
 * a JSON object containing those members recursively (objects: subset of members; arrays: same
 * length, element by element; scalars: equal). The first mismatch is named in the message.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>

static void show(char *out, size_t size, const cJSON *v)
{
    if (!v) {
        snprintf(out, size, "nothing");
        return;
    }
    char *p = cJSON_PrintUnformatted(v);
    if (!p) {
        snprintf(out, size, "?");
        return;
    }
    if (strlen(p) > 60)
        snprintf(out, size, "%.57s...", p);
    else
        snprintf(out, size, "%s", p);
    cJSON_free(p);
}

static int mismatch(char *msg, size_t size, const char *where, const cJSON *want, const cJSON *got)
{
    char w[72], g[72];
    show(w, sizeof w, want);
    show(g, sizeof g, got);
    snprintf(msg, size, "mock: expectation failed: %s: expected %s, got %s", where, w, g);
    return -1;
}

static int same_kind(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsBool(a))
        return cJSON_IsBool(b);
    return (a->type & 0xFF) == (b->type & 0xFF);
}

static int subset(const cJSON *want, const cJSON *got, char *path, size_t len, size_t cap,
                  char *msg, size_t size)
{
    if (!got || !same_kind(want, got))
        return mismatch(msg, size, path, want, got);
    if (cJSON_IsObject(want)) {
        const cJSON *m;
        cJSON_ArrayForEach(m, want) {
            snprintf(path + len, cap - len, ".%s", m->string);
            size_t l2 = strlen(path);
            if (subset(m, cJSON_GetObjectItemCaseSensitive(got, m->string), path, l2, cap, msg,
                       size) < 0)
                return -1;
        }
        path[len] = '\0';
        return 0;
    }
    if (cJSON_IsArray(want)) {
        int n = cJSON_GetArraySize(want);
        if (n != cJSON_GetArraySize(got))
            return mismatch(msg, size, path, want, got);
        for (int i = 0; i < n; i++) {
            snprintf(path + len, cap - len, "[%d]", i);
            size_t l2 = strlen(path);
            if (subset(cJSON_GetArrayItem(want, i), cJSON_GetArrayItem(got, i), path, l2, cap,
                       msg, size) < 0)
                return -1;
        }
        path[len] = '\0';
        return 0;
    }
    if (cJSON_IsString(want) ? strcmp(want->valuestring, got->valuestring) != 0
        : cJSON_IsNumber(want) ? want->valuedouble != got->valuedouble
        : cJSON_IsBool(want) ? cJSON_IsTrue(want) != cJSON_IsTrue(got)
        : 0)
        return mismatch(msg, size, path, want, got);
    return 0;
}

static int exact(const cJSON *expect, const char *name, const char *have, char *msg, size_t size)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(expect, name);
    if (!w || !strcmp(w->valuestring, have))
        return 0;
    snprintf(msg, size, "mock: expectation failed: %s: expected \"%s\", got \"%s\"", name,
             w->valuestring, have);
    return -1;
}

int mock_expect_check(const cJSON *expect, const mock_request *req, const cJSON *body,
                      char *msg, size_t msg_size)
{
    if (exact(expect, "method", req->method, msg, msg_size) < 0 ||
        exact(expect, "path", req->path, msg, msg_size) < 0 ||
        exact(expect, "query", req->query, msg, msg_size) < 0)
        return -1;
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(expect, "headers")) {
        char lname[128];
        size_t i;
        for (i = 0; h->string[i] && i + 1 < sizeof lname; i++)
            lname[i] = (h->string[i] >= 'A' && h->string[i] <= 'Z')
                           ? (char)(h->string[i] - 'A' + 'a') : h->string[i];
        lname[i] = '\0';
        const char *have = mock_request_header(req, lname);
        if (cJSON_IsNull(h) && have) {
            snprintf(msg, msg_size, "mock: expectation failed: header %s: expected absent, "
                     "got \"%.60s\"", lname, have);
            return -1;
        }
        if (cJSON_IsString(h) && (!have || strcmp(have, h->valuestring) != 0)) {
            snprintf(msg, msg_size, "mock: expectation failed: header %s: expected \"%.60s\", "
                     "got %s%.60s%s", lname, h->valuestring, have ? "\"" : "",
                     have ? have : "nothing", have ? "\"" : "");
            return -1;
        }
    }
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(expect, "body");
    if (!want)
        return 0;
    if (!cJSON_IsObject(body)) {
        snprintf(msg, msg_size, "mock: expectation failed: body: expected a JSON object");
        return -1;
    }
    char path[256] = "body";
    return subset(want, body, path, strlen(path), sizeof path, msg, msg_size);
}
