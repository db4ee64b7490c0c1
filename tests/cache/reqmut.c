/*
 * tests/cache/reqmut.c: one-change mutations and meaning-preserving
 * respellings of a JSON request (see reqgen.h).
 */
#include "reqgen.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const excluded[] = { "user", "metadata", "stream", "stream_options" };

static bool is_excluded(const char *k)
{
    size_t i;

    for (i = 0; k != NULL && i < sizeof(excluded) / sizeof(excluded[0]); i++)
        if (strcmp(k, excluded[i]) == 0)
            return true;
    return false;
}

/* ---- mutation ---- */

typedef struct site {
    cJSON *node, *parent;
} site;

typedef struct sites {
    site   v[8192];
    size_t n;
} sites;

static void collect(sites *s, cJSON *node, cJSON *parent, bool top)
{
    cJSON *c;

    if (s->n == sizeof(s->v) / sizeof(s->v[0]))
        return;
    s->v[s->n].node = node;
    s->v[s->n].parent = parent;
    s->n++;
    for (c = node->child; c != NULL; c = c->next)
        if (!(top && is_excluded(c->string)))
            collect(s, c, node, false);
}

/* A child of obj the key covers (not an excluded member of the root), or NULL. */
static cJSON *pick_child(cJSON *obj, bool top, rng *r)
{
    cJSON *c, *pick = NULL;
    uint32_t seen = 0;

    for (c = obj->child; c != NULL; c = c->next)
        if (!(top && is_excluded(c->string)) && rng_below(r, ++seen) == 0)
            pick = c;
    return pick;
}

static void unique_key(char *key, size_t n, const cJSON *obj, rng *r)
{
    do
        snprintf(key, n, "mut%u", rng_below(r, 1000000));
    while (cJSON_GetObjectItemCaseSensitive(obj, key) != NULL);
}

static void replace(cJSON *parent, cJSON *node, cJSON *with)
{
    if (cJSON_IsObject(parent))
        cJSON_ReplaceItemInObjectCaseSensitive(parent, node->string, with);
    else
        cJSON_ReplaceItemViaPointer(parent, node, with);
}

/* Two items that surely differ in canonical form (so moving one is a change). */
static bool surely_differ(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return true;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) != 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble != b->valuedouble && !(a->valuedouble == 0 && b->valuedouble == 0);
    return false;
}

static double other_number(double v)
{
    return fabs(v) < 1e15 ? v + 1 : v * 2;
}

int mutate(cJSON *root, rng *r, char *what, size_t n)
{
    static sites s;
    cJSON *node, *parent, *c;
    char key[32];
    size_t at;
    bool top;

    s.n = 0;
    collect(&s, root, NULL, true);
    at = rng_below(r, (uint32_t)s.n);
    node = s.v[at].node;
    parent = s.v[at].parent;
    top = node == root;
    switch (node->type & 0xFF) {
    case cJSON_Object:
        c = pick_child(node, top, r);
        if (c == NULL || rng_below(r, 3) == 0) {
            unique_key(key, sizeof(key), node, r);
            snprintf(what, n, "added member '%s' to object '%s'", key, node->string ? node->string : "(root)");
            cJSON_AddItemToObject(node, key, gen_value(r, 2));
        } else if (rng_below(r, 2) == 0) {
            snprintf(what, n, "removed member '%s'", c->string);
            cJSON_Delete(cJSON_DetachItemViaPointer(node, c));
        } else {
            unique_key(key, sizeof(key), node, r);
            snprintf(what, n, "renamed member '%s' to '%s'", c->string, key);
            cJSON_AddItemToObject(node, key, cJSON_DetachItemViaPointer(node, c));
        }
        return 0;
    case cJSON_Array:
        c = node->child;
        if (c != NULL && c->next != NULL && surely_differ(c, c->prev) && rng_below(r, 2) == 0) {
            snprintf(what, n, "moved the first element of array '%s' to the end", node->string ? node->string : "");
            cJSON_AddItemToArray(node, cJSON_DetachItemViaPointer(node, c));
        } else if (c != NULL && rng_below(r, 2) == 0) {
            snprintf(what, n, "removed an element of array '%s'", node->string ? node->string : "");
            cJSON_Delete(cJSON_DetachItemViaPointer(node, pick_child(node, false, r)));
        } else {
            snprintf(what, n, "appended to array '%s'", node->string ? node->string : "");
            cJSON_AddItemToArray(node, gen_value(r, 2));
        }
        return 0;
    case cJSON_String:
        snprintf(what, n, "string '%s' changed", node->string ? node->string : "");
        if (rng_below(r, 4) == 0) {
            replace(parent, node, cJSON_CreateNumber(atof(node->valuestring)));
        } else {
            size_t len = strlen(node->valuestring);
            char *t = malloc(len + 2);
            if (t == NULL)
                abort();
            memcpy(t, node->valuestring, len);
            t[len] = rng_below(r, 2) ? 'z' : '\n';
            t[len + 1] = '\0';
            /* or drop the first (ASCII) byte too, "ab" -> "bz", when that still differs */
            if (len > 0 && (unsigned char)t[0] < 0x80 && rng_below(r, 2) == 0 &&
                strcmp(t + 1, node->valuestring) != 0)
                memmove(t, t + 1, len + 1);
            replace(parent, node, cJSON_CreateString(t));
            free(t);
        }
        return 0;
    case cJSON_Number:
        snprintf(what, n, "number '%s' = %.17g changed", node->string ? node->string : "", node->valuedouble);
        if (rng_below(r, 4) == 0) {
            char num[40];
            snprintf(num, sizeof(num), "%.17g", node->valuedouble);
            replace(parent, node, cJSON_CreateString(num));
        } else {
            replace(parent, node, cJSON_CreateNumber(other_number(node->valuedouble)));
        }
        return 0;
    case cJSON_True:
    case cJSON_False:
        snprintf(what, n, "boolean '%s' flipped", node->string ? node->string : "");
        replace(parent, node, cJSON_CreateBool(!cJSON_IsTrue(node)));
        return 0;
    case cJSON_NULL:
        snprintf(what, n, "null '%s' became false", node->string ? node->string : "");
        replace(parent, node, cJSON_CreateFalse());
        return 0;
    default:
        return -1;
    }
}

/* ---- respelling ---- */

typedef struct sb {
    char  *p;
    size_t n, cap;
} sb;

static void sb_put(sb *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
        if (b->p == NULL)
            abort();
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_puts(sb *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void ws(sb *b, rng *r)
{
    static const char *const spaces[] = { "", "", "", " ", "\n", "\t", "\r\n  " };

    sb_puts(b, spaces[rng_below(r, 7)]);
}

static void put_u(sb *b, unsigned cp, rng *r)
{
    char e[8];

    snprintf(e, sizeof(e), rng_below(r, 2) ? "\\u%04x" : "\\u%04X", cp);
    sb_puts(b, e);
}

static void spell_string(sb *b, const char *s, rng *r)
{
    const unsigned char *p = (const unsigned char *)s;

    sb_puts(b, "\"");
    while (*p) {
        unsigned c = *p, cp, len, i;
        if (c == '"' || c == '\\' || c < 0x20) {
            const char *shortf = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t"
                                 : c == '\r' ? "\\r" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
            if (shortf && rng_below(r, 2))
                sb_puts(b, shortf);
            else
                put_u(b, c, r);
            p++;
            continue;
        }
        if (c < 0x80) {
            if (c == '/' && rng_below(r, 2))
                sb_puts(b, "\\/");
            else if (rng_below(r, 8) == 0)
                put_u(b, c, r);
            else
                sb_put(b, (const char *)p, 1);
            p++;
            continue;
        }
        len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (rng_below(r, 2)) {
            sb_put(b, (const char *)p, len);
            p += len;
            continue;
        }
        cp = c & (len == 2 ? 0x1F : len == 3 ? 0x0F : 0x07);
        for (i = 1; i < len; i++)
            cp = (cp << 6) | (p[i] & 0x3F);
        if (cp >= 0x10000) {
            put_u(b, 0xD800 + ((cp - 0x10000) >> 10), r);
            put_u(b, 0xDC00 + ((cp - 0x10000) & 0x3FF), r);
        } else {
            put_u(b, cp, r);
        }
        p += len;
    }
    sb_puts(b, "\"");
}

static void spell_number(sb *b, double v, rng *r)
{
    char t[64];

    if (v == 0) {
        static const char *const zeros[] = { "0", "-0", "0.0", "0e5", "-0.0e-3", "0E+0" };
        sb_puts(b, zeros[rng_below(r, 6)]);
        return;
    }
    if (floor(v) == v && fabs(v) < 1e15) {
        switch (rng_below(r, 5)) {
        case 0: snprintf(t, sizeof(t), "%.0f", v); break;
        case 1: snprintf(t, sizeof(t), "%.0f.0", v); break;
        case 2: snprintf(t, sizeof(t), "%.0fe0", v); break;
        case 3: snprintf(t, sizeof(t), "%.0f.000E+00", v); break;
        default: snprintf(t, sizeof(t), "%.0f0e-1", v); break;
        }
    } else {
        switch (rng_below(r, 4)) {
        case 0: snprintf(t, sizeof(t), "%.17g", v); break;
        case 1: snprintf(t, sizeof(t), "%.17e", v); break;
        case 2: snprintf(t, sizeof(t), "%.25g", v); break;
        default: snprintf(t, sizeof(t), "%.17E", v); break;
        }
    }
    sb_puts(b, t);
}

static void spell(sb *b, const cJSON *v, rng *r)
{
    const cJSON *c, *order[512];
    size_t n = 0, i;

    ws(b, r);
    switch (v->type & 0xFF) {
    case cJSON_NULL: sb_puts(b, "null"); break;
    case cJSON_True: sb_puts(b, "true"); break;
    case cJSON_False: sb_puts(b, "false"); break;
    case cJSON_Number: spell_number(b, v->valuedouble, r); break;
    case cJSON_String: spell_string(b, v->valuestring, r); break;
    case cJSON_Array:
        sb_puts(b, "[");
        for (c = v->child; c != NULL; c = c->next) {
            spell(b, c, r);
            if (c->next)
                sb_puts(b, ",");
        }
        sb_puts(b, "]");
        break;
    default:
        for (c = v->child; c != NULL && n < 512; c = c->next)
            order[n++] = c;
        for (i = n; i > 1; i--) {           /* Fisher-Yates: members in a random order */
            size_t j = rng_below(r, (uint32_t)i);
            const cJSON *t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        sb_puts(b, "{");
        for (i = 0; i < n; i++) {
            ws(b, r);
            spell_string(b, order[i]->string, r);
            ws(b, r);
            sb_puts(b, ":");
            spell(b, order[i], r);
            if (i + 1 < n)
                sb_puts(b, ",");
        }
        sb_puts(b, "}");
        break;
    }
    ws(b, r);
}

char *respell(const cJSON *v, rng *r)
{
    sb b = { NULL, 0, 0 };

    spell(&b, v, r);
    return b.p;
}
