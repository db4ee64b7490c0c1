/*
 * tests/cache/reqgen.c: random requests, one-change mutations and
 * respellings for the cache-key property tests.
 */
#include "reqgen.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t rng_next(rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

uint32_t rng_below(rng *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

static bool coin(rng *r, uint32_t percent)
{
    return rng_below(r, 100) < percent;
}

/* ---- generation ---- */

static const char *const pieces[] = {
    "a", "b", "Z", " ", "hello", "\"", "\\", "/", "\n", "\t", "\r", "\x01", "\x1f", "\x7f", "\xc3\xa9",
    "\xe6\x97\xa5", "\xf0\x9f\x98\x80", "0", "{", "}", ",", ":", "\xe2\x80\xa8", "user", "null",
};

static char *gen_string(rng *r, size_t max_pieces)
{
    size_t n = rng_below(r, (uint32_t)max_pieces + 1), i, len = 0;
    char *s = malloc(n * 8 + 1);

    if (s == NULL)
        abort();
    for (i = 0; i < n; i++) {
        const char *p = pieces[rng_below(r, (uint32_t)(sizeof(pieces) / sizeof(pieces[0])))];
        memcpy(s + len, p, strlen(p));
        len += strlen(p);
    }
    s[len] = '\0';
    return s;
}

static cJSON *gen_string_item(rng *r, size_t max_pieces)
{
    char *s = gen_string(r, max_pieces);
    cJSON *it = cJSON_CreateString(s);

    free(s);
    return it;
}

double gen_number(rng *r)
{
    static const double specials[] = { 0.0, -0.0, 1e-7, 1e300, 0.1, 2.5, 1e21, 123456789012345678.0,
                                       9007199254740992.0, -9007199254740991.0, 0.30000000000000004, 5e-324 };

    switch (rng_below(r, 5)) {
    case 0:
        return (double)((int)rng_below(r, 201) - 100);
    case 1:
        return (double)(int64_t)(rng_next(r) >> 11) * (coin(r, 50) ? 1 : -1);
    case 2:
        return (double)rng_below(r, 10000) / (double)(1u << rng_below(r, 20));
    case 3:
        return (double)(rng_next(r) >> 11) * 0x1p-53 * pow(10, (double)((int)rng_below(r, 40) - 20));
    default:
        return specials[rng_below(r, (uint32_t)(sizeof(specials) / sizeof(specials[0])))];
    }
}

static void add_unique(cJSON *obj, const char *key, cJSON *v)
{
    if (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL)
        cJSON_Delete(v);
    else
        cJSON_AddItemToObject(obj, key, v);
}

cJSON *gen_value(rng *r, int depth)
{
    static const char *const keys[] = { "a", "b", "type", "properties", "user", "x", "enum", "K", "\xc3\xa9" };
    uint32_t kind = rng_below(r, depth < 3 ? 7 : 5), i, n;
    cJSON *v;
    char key[16];

    switch (kind) {
    case 0: return cJSON_CreateNull();
    case 1: return cJSON_CreateBool(coin(r, 50));
    case 2: return cJSON_CreateNumber(gen_number(r));
    case 3:
    case 4: return gen_string_item(r, 4);
    case 5:
        v = cJSON_CreateArray();
        for (i = 0, n = rng_below(r, 4); i < n; i++)
            cJSON_AddItemToArray(v, gen_value(r, depth + 1));
        return v;
    default:
        v = cJSON_CreateObject();
        for (i = 0, n = rng_below(r, depth == 0 ? 24 : 5); i < n; i++) {
            if (coin(r, 50))
                snprintf(key, sizeof(key), "%s", keys[rng_below(r, (uint32_t)(sizeof(keys) / sizeof(keys[0])))]);
            else
                snprintf(key, sizeof(key), "k%u", rng_below(r, 1000));
            add_unique(v, key, gen_value(r, depth + 1));
        }
        return v;
    }
}

static cJSON *gen_content(rng *r)
{
    cJSON *parts;
    uint32_t i, n;

    if (coin(r, 60))
        return gen_string_item(r, 12);
    parts = cJSON_CreateArray();
    for (i = 0, n = 1 + rng_below(r, 3); i < n; i++) {
        cJSON *p = cJSON_CreateObject();
        if (coin(r, 70)) {
            cJSON_AddStringToObject(p, "type", "text");
            cJSON_AddItemToObject(p, "text", gen_string_item(r, 8));
        } else {
            cJSON *iu = cJSON_CreateObject();
            cJSON_AddStringToObject(p, "type", "image_url");
            cJSON_AddItemToObject(iu, "url", gen_string_item(r, 3));
            if (coin(r, 50))
                cJSON_AddStringToObject(iu, "detail", coin(r, 50) ? "low" : "high");
            cJSON_AddItemToObject(p, "image_url", iu);
        }
        cJSON_AddItemToArray(parts, p);
    }
    return parts;
}

static cJSON *gen_message(rng *r)
{
    static const char *const roles[] = { "system", "user", "assistant", "tool", "developer" };
    const char *role = roles[rng_below(r, 5)];
    cJSON *m = cJSON_CreateObject();
    uint32_t i, n;

    cJSON_AddStringToObject(m, "role", role);
    if (strcmp(role, "assistant") == 0 && coin(r, 40)) {
        cJSON *calls = cJSON_CreateArray();
        cJSON_AddItemToObject(m, "content", coin(r, 50) ? cJSON_CreateNull() : gen_string_item(r, 4));
        for (i = 0, n = 1 + rng_below(r, 2); i < n; i++) {
            cJSON *tc = cJSON_CreateObject(), *fn = cJSON_CreateObject();
            cJSON_AddItemToObject(tc, "id", gen_string_item(r, 2));
            cJSON_AddStringToObject(tc, "type", "function");
            cJSON_AddStringToObject(fn, "name", coin(r, 50) ? "get_weather" : "lookup");
            cJSON_AddItemToObject(fn, "arguments", gen_string_item(r, 6));
            cJSON_AddItemToObject(tc, "function", fn);
            cJSON_AddItemToArray(calls, tc);
        }
        cJSON_AddItemToObject(m, "tool_calls", calls);
    } else {
        cJSON_AddItemToObject(m, "content", gen_content(r));
    }
    if (strcmp(role, "tool") == 0)
        cJSON_AddItemToObject(m, "tool_call_id", gen_string_item(r, 2));
    if (coin(r, 10))
        cJSON_AddItemToObject(m, "name", gen_string_item(r, 2));
    return m;
}

static cJSON *gen_tools(rng *r)
{
    cJSON *tools = cJSON_CreateArray();
    uint32_t i, n;

    for (i = 0, n = 1 + rng_below(r, 3); i < n; i++) {
        cJSON *t = cJSON_CreateObject(), *fn = cJSON_CreateObject(), *params = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "type", "function");
        cJSON_AddItemToObject(fn, "name", gen_string_item(r, 2));
        if (coin(r, 60))
            cJSON_AddItemToObject(fn, "description", gen_string_item(r, 6));
        cJSON_AddStringToObject(params, "type", "object");
        cJSON_AddItemToObject(params, "properties", gen_value(r, 0));
        cJSON_AddItemToObject(fn, "parameters", params);
        cJSON_AddItemToObject(t, "function", fn);
        cJSON_AddItemToArray(tools, t);
    }
    return tools;
}

static cJSON *gen_logit_bias(rng *r)
{
    cJSON *lb = cJSON_CreateObject();
    uint32_t i, n = 1 + rng_below(r, 40);
    char key[16];

    for (i = 0; i < n; i++) {
        snprintf(key, sizeof(key), "%u", rng_below(r, 100000));
        add_unique(lb, key, cJSON_CreateNumber((double)((int)rng_below(r, 201) - 100)));
    }
    return lb;
}

static cJSON *gen_param(rng *r, uint32_t which)
{
    static const char *const choices[] = { "auto", "none", "required" };
    cJSON *o, *js;

    switch (which) {
    case 0: return cJSON_CreateNumber((double)rng_below(r, 2001) / 1000.0);           /* temperature */
    case 1: return cJSON_CreateNumber((double)rng_below(r, 1001) / 1000.0);           /* top_p */
    case 2: return cJSON_CreateNumber(1 + rng_below(r, 100000));                      /* max_tokens */
    case 3:                                                                           /* stop */
        if (coin(r, 50))
            return gen_string_item(r, 2);
        o = cJSON_CreateArray();
        cJSON_AddItemToArray(o, gen_string_item(r, 2));
        cJSON_AddItemToArray(o, gen_string_item(r, 2));
        return o;
    case 4: return cJSON_CreateNumber(gen_number(r));                                 /* seed */
    case 5: return cJSON_CreateNumber(1);                                             /* n */
    case 6: return gen_logit_bias(r);
    case 7: return cJSON_CreateNumber(rng_below(r, 200));                             /* top_k */
    case 8: return cJSON_CreateNumber(512 * (1 + rng_below(r, 64)));                  /* num_ctx */
    case 9: return gen_tools(r);
    case 10:                                                                          /* tool_choice */
        if (coin(r, 70))
            return cJSON_CreateString(choices[rng_below(r, 3)]);
        o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "type", "function");
        js = cJSON_CreateObject();
        cJSON_AddStringToObject(js, "name", "lookup");
        cJSON_AddItemToObject(o, "function", js);
        return o;
    case 11:                                                                          /* response_format */
        o = cJSON_CreateObject();
        if (coin(r, 50)) {
            cJSON_AddStringToObject(o, "type", "json_object");
            return o;
        }
        cJSON_AddStringToObject(o, "type", "json_schema");
        js = cJSON_CreateObject();
        cJSON_AddStringToObject(js, "name", "answer");
        cJSON_AddBoolToObject(js, "strict", coin(r, 50));
        cJSON_AddItemToObject(js, "schema", gen_value(r, 1));
        cJSON_AddItemToObject(o, "json_schema", js);
        return o;
    default:
        return cJSON_CreateNumber(gen_number(r) / 1e10);                              /* penalties */
    }
}

static const char *const param_names[] = {
    "temperature", "top_p", "max_tokens", "stop", "seed", "n", "logit_bias", "top_k", "num_ctx", "tools",
    "tool_choice", "response_format", "presence_penalty", "frequency_penalty",
};

cJSON *gen_request(rng *r)
{
    static const char *const models[] = { "gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "gemini-1.5-flash",
                                          "gemini-1.5-pro", "llama3" };
    cJSON *root = cJSON_CreateObject(), *msgs = cJSON_CreateArray();
    uint32_t i, n;

    cJSON_AddStringToObject(root, "model", models[rng_below(r, 6)]);
    for (i = 0, n = 1 + rng_below(r, 6); i < n; i++)
        cJSON_AddItemToArray(msgs, gen_message(r));
    cJSON_AddItemToObject(root, "messages", msgs);
    for (i = 0; i < sizeof(param_names) / sizeof(param_names[0]); i++)
        if (coin(r, 35))
            cJSON_AddItemToObject(root, param_names[i], gen_param(r, i));
    if (coin(r, 20))
        cJSON_AddItemToObject(root, "options", gen_value(r, 0));      /* Ollama-style pass-through */
    if (coin(r, 30))
        cJSON_AddItemToObject(root, "user", gen_string_item(r, 3));
    if (coin(r, 20))
        cJSON_AddItemToObject(root, "metadata", gen_value(r, 1));
    if (coin(r, 20))
        cJSON_AddBoolToObject(root, "stream", coin(r, 50));
    return root;
}
