/*
 * lib/core/json_grammar.c: the grammar cJSON accepts, checked without
 * allocating, so that llmgw__json_parse can tell cJSON's two failures apart.
 */
#include "common.h"
#include "json.h"

/*
 * cJSON returns NULL both for text it rejects and when an allocation fails,
 * so after a failure the text is checked again here, without allocating,
 * against the grammar cJSON 1.7.15 (Debian's, CVE fixes applied) accepts,
 * followed as llmgw__json_parse requires by nothing but whitespace. Text
 * that passes could only have failed for memory: LLMGW_ENOMEM, not a
 * malformed upstream answer. The check errs towards "malformed": whatever
 * it is unsure of stays a parse error, the behaviour without it.
 *
 * cJSON's grammar differs from RFC 8259 here: every byte <= 32 is
 * whitespace; a UTF-8 BOM opens the text (when 5 bytes or more); a number
 * is the longest strtod() prefix of a run of [0-9+-.eE] starting with '-'
 * or a digit ("01", "1." pass); \u with bad hex digits reads as U+0000 (the
 * pre-scan of llmgw__json_parse rejects those first);
 * control characters inside strings pass. Depth is bounded by prescan().
 */
typedef struct vscan {
    const unsigned char *p, *end;
} vscan;

static bool v_value(vscan *v);

static void v_space(vscan *v)
{
    while (v->p < v->end && *v->p <= 32)
        v->p++;
}

static bool v_digit(const unsigned char *p, const unsigned char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static bool v_number(vscan *v)
{
    const unsigned char *run = v->p, *p = v->p, *mark;
    size_t digits = 0;

    while (run < v->end && *run != '\0' && strchr("0123456789+-eE.", *run) != NULL)
        run++;
    if (p < run && *p == '-')        /* strtod's optional sign ('+' cannot start a value) */
        p++;
    for (; v_digit(p, run); p++)
        digits++;
    if (p < run && *p == '.') {
        for (p++; v_digit(p, run); p++)
            digits++;
    }
    if (digits == 0)
        return false;               /* strtod converted nothing */
    if (p < run && (*p == 'e' || *p == 'E')) {
        mark = p++;
        if (p < run && (*p == '+' || *p == '-'))
            p++;
        if (v_digit(p, run)) {
            while (v_digit(p, run))
                p++;
        } else {
            p = mark;               /* no exponent digits: strtod stops before the 'e' */
        }
    }
    v->p = p;
    return true;
}

static unsigned v_hex4(const unsigned char *p)
{
    unsigned h = 0;
    int i;

    for (i = 0; i < 4; i++) {
        int c = p[i], d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else
            return 0;               /* cJSON's parse_hex4: the whole value reads as 0 */
        h = (h << 4) | (unsigned)d;
    }
    return h;
}

static bool v_string(vscan *v)
{
    const unsigned char *q = v->p + 1, *r;

    while (q < v->end && *q != '"') {
        if (*q == '\\') {
            if (q + 1 >= v->end)
                return false;
            q++;
        }
        q++;
    }
    if (q >= v->end)
        return false;
    for (r = v->p + 1; r < q;) {
        unsigned first, second;
        if (*r != '\\') {
            r++;
            continue;
        }
        if (r[1] != 'u') {
            if (strchr("bfnrt\"\\/", r[1]) == NULL || r[1] == '\0')
                return false;
            r += 2;
            continue;
        }
        if (q - r < 6)
            return false;
        first = v_hex4(r + 2);
        if (first >= 0xDC00 && first <= 0xDFFF)
            return false;
        if (first >= 0xD800 && first <= 0xDBFF) {
            if (q - (r + 6) < 6 || r[6] != '\\' || r[7] != 'u')
                return false;
            second = v_hex4(r + 8);
            if (second < 0xDC00 || second > 0xDFFF)
                return false;
            r += 12;
        } else {
            r += 6;
        }
    }
    v->p = q + 1;
    return true;
}

/* Members of an array or object; at '[' or '{'. */
static bool v_container(vscan *v, unsigned char close, bool object)
{
    v->p++;
    v_space(v);
    if (v->p < v->end && *v->p == close) {
        v->p++;
        return true;
    }
    for (;;) {
        v_space(v);
        if (object) {
            if (v->p >= v->end || *v->p != '"' || !v_string(v))
                return false;
            v_space(v);
            if (v->p >= v->end || *v->p != ':')
                return false;
            v->p++;
            v_space(v);
        }
        if (!v_value(v))
            return false;
        v_space(v);
        if (v->p < v->end && *v->p == ',') {
            v->p++;
            continue;
        }
        if (v->p < v->end && *v->p == close) {
            v->p++;
            return true;
        }
        return false;
    }
}

static bool v_literal(vscan *v, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(v->end - v->p) < n || memcmp(v->p, word, n) != 0)
        return false;
    v->p += n;
    return true;
}

static bool v_value(vscan *v)
{
    if (v->p >= v->end)
        return false;
    switch (*v->p) {
    case 'n': return v_literal(v, "null");
    case 'f': return v_literal(v, "false");
    case 't': return v_literal(v, "true");
    case '"': return v_string(v);
    case '[': return v_container(v, ']', false);
    case '{': return v_container(v, '}', true);
    default:
        return (*v->p == '-' || (*v->p >= '0' && *v->p <= '9')) && v_number(v);
    }
}

bool llmgw__json_would_parse(const char *data, size_t len)
{
    vscan v = { (const unsigned char *)data, (const unsigned char *)data + len };

    if (len >= 5 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        v.p += 3;
    v_space(&v);
    if (!v_value(&v))
        return false;
    while (v.p < v.end && (*v.p == ' ' || *v.p == '\t' || *v.p == '\r' || *v.p == '\n'))
        v.p++;
    return v.p == v.end;
}

