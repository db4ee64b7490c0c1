/*
 * lib/core/jtape.c: the strict JSON tokenizer of jtape.h.
 */
#include "common.h"
#include "jtape.h"

#define MAX_NUMBER_CHARS 32
#define MAX_TEXT ((size_t)1 << 31)

/* Bytes a string may hold as they are: everything but '"', '\\' and the C0 controls. */
static inline bool plain(unsigned char c)
{
    return c >= 0x20 && c != '"' && c != '\\';
}

typedef struct scan {
    const unsigned char *s, *p, *end;
    llmgw__jtape        *t;
    bool                 full;
} scan;

static void space(scan *sc)
{
    while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' || *sc->p == '\r' || *sc->p == '\t'))
        sc->p++;
}

static int hex4(const unsigned char *p, unsigned *out)
{
    unsigned v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static llmgw__jtok *push(scan *sc, int type, const unsigned char *at)
{
    llmgw__jtok *k;

    if (sc->t->n == sc->t->cap) {
        sc->full = true;
        return NULL;
    }
    k = &sc->t->tok[sc->t->n];
    k->type = (uint8_t)type;
    k->escaped = 0;
    k->integer = 0;
    k->off = (uint32_t)(at - sc->s);
    k->len = 0;
    sc->t->n++;
    k->end = sc->t->n;
    return k;
}

/* At the opening quote. */
static int string(scan *sc, bool key)
{
    const unsigned char *start = ++sc->p;
    bool escaped = false;
    llmgw__jtok *k;

    for (;;) {
        /* eight bytes at a time while none is '"', '\\' or below 0x20 (exact: "has a byte" tests) */
        while (sc->end - sc->p >= 8) {
            const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
            uint64_t w, q, b;
            memcpy(&w, sc->p, 8);
            q = w ^ (ones * '"');
            b = w ^ (ones * '\\');
            if ((((q - ones) & ~q) | ((b - ones) & ~b) | ((w - ones * 0x20) & ~w)) & highs)
                break;
            sc->p += 8;
        }
        while (sc->p < sc->end && plain(*sc->p))
            sc->p++;
        if (sc->p >= sc->end)
            return -1;
        if (*sc->p == '"')
            break;
        if (*sc->p != '\\')
            return -1;                  /* a control byte */
        escaped = true;
        if (sc->end - sc->p < 2)
            return -1;
        switch (sc->p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            sc->p += 2;
            break;
        case 'u': {
            unsigned cp, lo;
            if (sc->end - sc->p < 6 || hex4(sc->p + 2, &cp) < 0 || cp == 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
                return -1;
            sc->p += 6;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (sc->end - sc->p < 6 || sc->p[0] != '\\' || sc->p[1] != 'u' || hex4(sc->p + 2, &lo) < 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                sc->p += 6;
            }
            break;
        }
        default:
            return -1;
        }
    }
    if (key && escaped)
        return -1;
    if ((k = push(sc, LLMGW__JT_STRING, start)) == NULL)
        return -1;
    k->len = (uint32_t)(sc->p - start);
    k->escaped = escaped;
    sc->p++;
    return 0;
}

static bool digit(const scan *sc, const unsigned char *p)
{
    return p < sc->end && *p >= '0' && *p <= '9';
}

static int number(scan *sc)
{
    const unsigned char *p = sc->p, *start = p;
    bool integer = true;
    llmgw__jtok *k;

    if (*p == '-')
        p++;
    if (!digit(sc, p))
        return -1;
    if (*p == '0')
        p++;
    else
        while (digit(sc, p))
            p++;
    if (p < sc->end && *p == '.') {
        integer = false;
        if (!digit(sc, ++p))
            return -1;
        while (digit(sc, p))
            p++;
    }
    if (p < sc->end && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        if (p < sc->end && (*p == '+' || *p == '-'))
            p++;
        if (!digit(sc, p))
            return -1;
        while (digit(sc, p))
            p++;
    }
    if (p - start > MAX_NUMBER_CHARS || (k = push(sc, LLMGW__JT_NUMBER, start)) == NULL)
        return -1;
    k->len = (uint32_t)(p - start);
    k->integer = integer;
    sc->p = p;
    return 0;
}

static int literal(scan *sc, const char *word, size_t n, int type)
{
    llmgw__jtok *k;

    if ((size_t)(sc->end - sc->p) < n || memcmp(sc->p, word, n) != 0 || (k = push(sc, type, sc->p)) == NULL)
        return -1;
    k->len = (uint32_t)n;
    sc->p += n;
    return 0;
}

static int scalar(scan *sc)
{
    switch (*sc->p) {
    case '"': return string(sc, false);
    case 'n': return literal(sc, "null", 4, LLMGW__JT_NULL);
    case 't': return literal(sc, "true", 4, LLMGW__JT_TRUE);
    case 'f': return literal(sc, "false", 5, LLMGW__JT_FALSE);
    default:  return number(sc);
    }
}

/* One value: containers open on a stack; after each value, a ',' or the close follows. */
static int parse(scan *sc)
{
    uint32_t stack[LLMGW__JTAPE_MAX_DEPTH];
    llmgw__jtape *t = sc->t;
    size_t depth = 0;

    space(sc);
    for (;;) {
        if (sc->p >= sc->end)
            return -1;
        if (*sc->p == '{' || *sc->p == '[') {
            bool object = *sc->p == '{';
            if (depth == LLMGW__JTAPE_MAX_DEPTH || push(sc, object ? LLMGW__JT_OBJECT : LLMGW__JT_ARRAY, sc->p) == NULL)
                return -1;
            stack[depth++] = t->n - 1;
            sc->p++;
            space(sc);
            if (sc->p < sc->end && *sc->p == (object ? '}' : ']')) {
                sc->p++;
                depth--;
                goto closed;
            }
            if (object)
                goto member;
            continue;               /* the first element */
        }
        if (scalar(sc) < 0)
            return -1;
        /* after a value: close containers, or go on to the next element or member */
        for (;;) {
            const llmgw__jtok *c;
            space(sc);
            if (depth == 0)
                return sc->p == sc->end ? 0 : -1;
            c = &t->tok[stack[depth - 1]];
            if (sc->p >= sc->end)
                return -1;
            if (*sc->p == ',') {
                sc->p++;
                space(sc);
                if (c->type == LLMGW__JT_OBJECT)
                    goto member;
                break;              /* the next element */
            }
            if (*sc->p != (c->type == LLMGW__JT_OBJECT ? '}' : ']'))
                return -1;
            sc->p++;
            depth--;
closed:
            t->tok[stack[depth]].end = t->n;
            t->tok[stack[depth]].len = (uint32_t)(sc->p - sc->s) - t->tok[stack[depth]].off;
        }
        continue;
member:
        if (sc->p >= sc->end || *sc->p != '"' || string(sc, true) < 0)
            return -1;
        space(sc);
        if (sc->p >= sc->end || *sc->p != ':')
            return -1;
        sc->p++;
        space(sc);
    }
}

int llmgw__jtape_parse(llmgw__jtape *t, const char *text, size_t len, llmgw__jtok *tok, uint32_t cap)
{
    scan sc;
    int rc;

    t->text = text;
    t->tok = tok;
    t->n = 0;
    t->cap = cap;
    if (text == NULL || len == 0 || len >= MAX_TEXT || cap < 2)
        return -1;
    memset(&tok[0], 0, sizeof(tok[0]));     /* index 0 stands for "absent" */
    t->n = 1;
    sc.s = sc.p = (const unsigned char *)text;
    sc.end = sc.s + len;
    sc.t = t;
    sc.full = false;
    rc = parse(&sc);
    return rc < 0 && sc.full ? LLMGW__JTAPE_FULL : rc;
}

uint32_t llmgw__jtape_get(const llmgw__jtape *t, uint32_t obj, const char *key)
{
    size_t klen = strlen(key);
    uint32_t i, end;

    if (obj == 0 || obj >= t->n || t->tok[obj].type != LLMGW__JT_OBJECT)
        return 0;
    end = t->tok[obj].end;
    for (i = obj + 1; i < end; i = t->tok[i + 1].end) {
        const llmgw__jtok *k = &t->tok[i];
        if (k->len == klen && memcmp(t->text + k->off, key, klen) == 0)
            return i + 1;
    }
    return 0;
}

uint32_t llmgw__jtape_first(const llmgw__jtape *t, uint32_t c)
{
    if (c == 0 || c >= t->n || t->tok[c].end == c + 1)
        return 0;
    if (t->tok[c].type == LLMGW__JT_OBJECT)
        return c + 2;
    return t->tok[c].type == LLMGW__JT_ARRAY ? c + 1 : 0;
}

uint32_t llmgw__jtape_next(const llmgw__jtape *t, uint32_t c, uint32_t item)
{
    uint32_t j = t->tok[item].end;

    if (j >= t->tok[c].end)
        return 0;
    return t->tok[c].type == LLMGW__JT_OBJECT ? j + 1 : j;
}

int llmgw__jtape_uint(const llmgw__jtape *t, uint32_t i, uint64_t *out)
{
    const llmgw__jtok *k;
    const char *p;
    uint64_t v = 0;
    uint32_t j;

    if (i == 0 || i >= t->n)
        return -1;
    k = &t->tok[i];
    if (k->type != LLMGW__JT_NUMBER || !k->integer || k->len > 15 || t->text[k->off] == '-')
        return -1;
    p = t->text + k->off;
    for (j = 0; j < k->len; j++)
        v = v * 10 + (uint64_t)(p[j] - '0');
    *out = v;
    return 0;
}

static size_t utf8_put(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int llmgw__jtape_str(const llmgw__jtape *t, uint32_t i, char *scratch, size_t scap, const char **out,
                     size_t *len_out)
{
    const llmgw__jtok *k;
    const unsigned char *p, *end;
    size_t n = 0;

    if (i == 0 || i >= t->n || t->tok[i].type != LLMGW__JT_STRING)
        return -1;
    k = &t->tok[i];
    if (!k->escaped) {
        *out = t->text + k->off;
        *len_out = k->len;
        return 0;
    }
    if (scratch == NULL || scap < (size_t)k->len + 1)
        return -1;                      /* decoded, a string is never longer than its escaped text */
    p = (const unsigned char *)t->text + k->off;
    end = p + k->len;
    while (p < end) {
        unsigned cp = 0, lo = 0;
        if (*p != '\\') {
            scratch[n++] = (char)*p++;
            continue;
        }
        switch (p[1]) {
        case 'b': scratch[n++] = '\b'; p += 2; continue;
        case 'f': scratch[n++] = '\f'; p += 2; continue;
        case 'n': scratch[n++] = '\n'; p += 2; continue;
        case 'r': scratch[n++] = '\r'; p += 2; continue;
        case 't': scratch[n++] = '\t'; p += 2; continue;
        case 'u':
            break;
        default:  scratch[n++] = (char)p[1]; p += 2; continue;     /* " \ / */
        }
        (void)hex4(p + 2, &cp);         /* checked when tokenized */
        p += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            (void)hex4(p + 2, &lo);
            p += 6;
            cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
        }
        n += utf8_put(scratch + n, cp);
    }
    scratch[n] = '\0';
    *out = scratch;
    *len_out = n;
    return 0;
}

bool llmgw__jtape_str_is(const llmgw__jtape *t, uint32_t i, const char *s)
{
    char scratch[256];      /* an escape is at most 6 bytes a byte: a longer text decodes past 42 */
    const char *v;
    size_t len, n = strlen(s);

    if (llmgw__jtape_type(t, i) != LLMGW__JT_STRING || (t->tok[i].escaped && t->tok[i].len >= sizeof(scratch)))
        return false;
    if (llmgw__jtape_str(t, i, scratch, sizeof(scratch), &v, &len) < 0)
        return false;
    return len == n && memcmp(v, s, n) == 0;
}
