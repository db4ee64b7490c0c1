/*
 * lib/core/names.c: names to indexes (names.h).
 */
#include "names.h"
#include "alloc.h"
#include "errors.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

#define SIPROUND                                                      \
    do {                                                              \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);     \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                        \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                        \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);     \
    } while (0)

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t llmgw__siphash24(const unsigned char key[LLMGW_NAMES_KEY_LEN], const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t k0 = le64(key), k1 = le64(key + 8), m, b = (uint64_t)len << 56;
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    size_t i, tail = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        m = le64(p + i);
        v3 ^= m;
        SIPROUND;
        SIPROUND;
        v0 ^= m;
    }
    while (tail-- > 0)
        b |= (uint64_t)p[i + tail] << (8 * tail);
    v3 ^= b;
    SIPROUND;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

void llmgw__names_init(llmgw__names *t, const unsigned char key[LLMGW_NAMES_KEY_LEN])
{
    memset(t, 0, sizeof(*t));
    memcpy(t->key, key, sizeof(t->key));
}

void llmgw__names_dispose(llmgw__names *t)
{
    llmgw__free(t->slot);
    t->slot = NULL;
    t->cap = t->n = 0;
}

/* The slot for a new entry of this hash (the table has an empty slot). */
static llmgw__names_slot *free_slot(llmgw__names_slot *slot, size_t cap, uint64_t hash)
{
    size_t i = (size_t)hash & (cap - 1);

    while (slot[i].name != NULL)
        i = (i + 1) & (cap - 1);
    return &slot[i];
}

int llmgw__names_reserve(llmgw__names *t, size_t n)
{
    llmgw__names_slot *ns;
    size_t cap = t->cap ? t->cap : 16, i;

    if (n <= t->cap / 2)
        return 0;
    while (cap / 2 < n) {
        if (cap > SIZE_MAX / 2 / sizeof(*ns))
            return llmgw__error_oom();
        cap *= 2;
    }
    if ((ns = llmgw__calloc(cap, sizeof(*ns))) == NULL)
        return llmgw__error_oom();
    for (i = 0; i < t->cap; i++)
        if (t->slot[i].name != NULL)
            *free_slot(ns, cap, t->slot[i].hash) = t->slot[i];
    llmgw__free(t->slot);
    t->slot = ns;
    t->cap = cap;
    return 0;
}

void llmgw__names_put(llmgw__names *t, const char *name, size_t value)
{
    uint64_t hash = llmgw__siphash24(t->key, name, strlen(name));
    llmgw__names_slot *s;

    if (t->n + 1 > t->cap / 2)      /* a caller that did not reserve: never reached in llmgw */
        return;
    s = free_slot(t->slot, t->cap, hash);
    s->name = name;
    s->hash = hash;
    s->value = value;
    t->n++;
}

bool llmgw__names_get(const llmgw__names *t, const char *name, size_t *value_out)
{
    uint64_t hash;
    size_t i;

    if (t->n == 0)
        return false;
    hash = llmgw__siphash24(t->key, name, strlen(name));
    for (i = (size_t)hash & (t->cap - 1); t->slot[i].name != NULL; i = (i + 1) & (t->cap - 1)) {
        if (t->slot[i].hash == hash && strcmp(t->slot[i].name, name) == 0) {
            *value_out = t->slot[i].value;
            return true;
        }
    }
    return false;
}
