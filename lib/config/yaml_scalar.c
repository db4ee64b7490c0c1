/*
 * lib/config/yaml_scalar.c: typing YAML scalars the way LiteLLM users rely
 * on. LiteLLM reads its config with PyYAML, whose resolver is YAML 1.1:
 * plain `True`, `yes`, `on` are booleans; `~`, `null` and the empty plain
 * scalar are null; integers may be 0x hex, 0b binary, 0-prefixed octal,
 * carry `_` separators or be sexagesimal (1:30 = 90). Floats need a dot in
 * YAML 1.1; llmgw also reads exponent forms without one (1e-6), which
 * PyYAML leaves as strings and LiteLLM's pydantic models then convert.
 * Quoted, literal and folded scalars always stay strings; timestamps stay
 * strings (api_version: 2024-02-01 is the text LiteLLM users mean). `.inf`
 * and `.nan` are refused: no setting takes them.
 *
 * Pure string work, independent of libyaml, so it is built (and tested)
 * everywhere.
 */
#include "../core/common.h"
#include "loader.h"

#include <stdio.h>

enum { K_STRING, K_NULL, K_BOOL, K_NUMBER, K_INVALID };

static const char *const true_words[] = { "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON" };
static const char *const false_words[] = { "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF" };

static bool in(const char *const *words, size_t n, const char *v)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(words[i], v) == 0)
            return true;
    return false;
}

static int digit_value(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return 99;
}

/* Digits of one base, '_' allowed, at least one digit; accumulated in a double. */
static bool digits(const char *v, size_t len, int base, double *out)
{
    double acc = 0;
    size_t i, nd = 0;

    for (i = 0; i < len; i++) {
        int d;
        if (v[i] == '_')
            continue;
        d = digit_value(v[i]);
        if (d >= base)
            return false;
        acc = acc * base + d;
        nd++;
    }
    *out = acc;
    return nd > 0;
}

/* 1:30:05 style: [1-9][0-9_]* then (:[0-5]?[0-9])+ */
static bool sexagesimal(const char *v, size_t len, double *out)
{
    const char *colon = memchr(v, ':', len);
    double acc;

    if (colon == NULL || v[0] < '1' || v[0] > '9' || !digits(v, (size_t)(colon - v), 10, &acc))
        return false;
    while (colon != NULL) {
        const char *p = colon + 1, *next = memchr(p, ':', len - (size_t)(p - v));
        size_t n = next ? (size_t)(next - p) : len - (size_t)(p - v);
        double part;
        if (n < 1 || n > 2 || (n == 2 && (p[0] < '0' || p[0] > '5')) || !digits(p, n, 10, &part) ||
            memchr(p, '_', n) != NULL)
            return false;
        acc = acc * 60 + part;
        colon = next;
    }
    *out = acc;
    return true;
}

static bool parse_int(const char *v, size_t len, double *out)
{
    size_t i = 0;
    bool neg = false, ok;

    if (len > 0 && (v[0] == '-' || v[0] == '+')) {
        neg = v[0] == '-';
        i = 1;
    }
    if (i >= len || v[i] < '0' || v[i] > '9')
        return false;
    if (v[i] == '0' && i + 1 < len && v[i + 1] == 'b')
        ok = digits(v + i + 2, len - i - 2, 2, out);
    else if (v[i] == '0' && i + 1 < len && v[i + 1] == 'x')
        ok = digits(v + i + 2, len - i - 2, 16, out);
    else if (v[i] == '0' && i + 1 == len) {
        *out = 0;
        ok = true;
    }
    else if (v[i] == '0') {
        /* YAML 1.1 octal: 0 then [0-7_]+ (an all-'_' tail is 0) */
        ok = strspn(v + i + 1, "01234567_") == len - i - 1;
        if (ok && !digits(v + i + 1, len - i - 1, 8, out))
            *out = 0;
    }
    else if (memchr(v + i, ':', len - i) != NULL)
        ok = sexagesimal(v + i, len - i, out);
    else
        ok = digits(v + i, len - i, 10, out);
    if (ok && neg)
        *out = -*out;
    return ok;
}

/* [-+]? (D ('.' D?)? | '.' D) ([eE] [-+]? [0-9]+)?, with a dot or an exponent; D = [0-9][0-9_]* */
static int parse_float(const char *v, size_t len, double *out)
{
    char norm[300];
    size_t i = 0, o = 0, int_digits = 0, frac_digits = 0;
    bool dot = false, exp = false;
    cJSON *num;

    if (len == 0 || len > 256)
        return K_STRING;
    if (v[0] == '-' || v[0] == '+') {
        if (v[0] == '-')
            norm[o++] = '-';
        i = 1;
    }
    if (len - i == 4 && v[i] == '.' && (strncmp(v + i + 1, "inf", 3) == 0 || strncmp(v + i + 1, "Inf", 3) == 0 ||
                                       strncmp(v + i + 1, "INF", 3) == 0 || strncmp(v + i + 1, "nan", 3) == 0 ||
                                       strncmp(v + i + 1, "NaN", 3) == 0 || strncmp(v + i + 1, "NAN", 3) == 0))
        return K_INVALID;
    if (i < len && v[i] >= '0' && v[i] <= '9') {
        for (; i < len && ((v[i] >= '0' && v[i] <= '9') || v[i] == '_'); i++)
            if (v[i] != '_') {
                norm[o++] = v[i];
                int_digits++;
            }
    }
    if (int_digits == 0)
        norm[o++] = '0';
    if (i < len && v[i] == '.') {
        dot = true;
        norm[o++] = '.';
        for (i++; i < len && ((v[i] >= '0' && v[i] <= '9') || v[i] == '_'); i++)
            if (v[i] != '_') {
                norm[o++] = v[i];
                frac_digits++;
            }
        if (frac_digits == 0) {
            if (int_digits == 0)
                return K_STRING;
            norm[o++] = '0';
        }
    } else if (int_digits == 0) {
        return K_STRING;
    }
    if (i < len && (v[i] == 'e' || v[i] == 'E')) {
        size_t start;
        exp = true;
        norm[o++] = 'e';
        i++;
        if (i < len && (v[i] == '-' || v[i] == '+'))
            norm[o++] = v[i++];
        for (start = i; i < len && v[i] >= '0' && v[i] <= '9'; i++)
            norm[o++] = v[i];
        if (i == start)
            return K_STRING;
    }
    if (i != len || (!dot && !exp))
        return K_STRING;
    norm[o] = '\0';
    num = cJSON_ParseWithLength(norm, o);
    if (num == NULL || !cJSON_IsNumber(num)) {
        cJSON_Delete(num);
        return K_STRING;
    }
    *out = num->valuedouble;
    cJSON_Delete(num);
    return K_NUMBER;
}

static int resolve(const char *v, size_t len, double *num, bool *b)
{
    int k;

    if (len == 0 || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
        strcmp(v, "NULL") == 0)
        return K_NULL;
    if (in(true_words, LLMGW_ARRAY_SIZE(true_words), v)) {
        *b = true;
        return K_BOOL;
    }
    if (in(false_words, LLMGW_ARRAY_SIZE(false_words), v)) {
        *b = false;
        return K_BOOL;
    }
    if (parse_int(v, len, num))
        return K_NUMBER;
    k = parse_float(v, len, num);
    return k;
}

#define YAML_TAG "tag:yaml.org,2002:"

cJSON *llmgw__cfg_yaml_scalar(const char *v, size_t len, int style, const char *tag, const char **why)
{
    double num = 0;
    bool b = false;
    int kind = K_STRING, want = -1;

    *why = NULL;
    if (memchr(v, '\0', len) != NULL) {
        *why = "a NUL character is not allowed in a value";
        return NULL;
    }
    if (tag != NULL && strcmp(tag, "!") != 0) {
        if (strncmp(tag, YAML_TAG, sizeof(YAML_TAG) - 1) != 0) {
            *why = "unsupported tag (only the standard !!str, !!int, !!float, !!bool and !!null)";
            return NULL;
        }
        tag += sizeof(YAML_TAG) - 1;
        if (strcmp(tag, "str") == 0)
            return cJSON_CreateString(v);
        if (strcmp(tag, "null") == 0)
            want = K_NULL;
        else if (strcmp(tag, "bool") == 0)
            want = K_BOOL;
        else if (strcmp(tag, "int") == 0 || strcmp(tag, "float") == 0)
            want = K_NUMBER;
        else {
            *why = "unsupported tag (only the standard !!str, !!int, !!float, !!bool and !!null)";
            return NULL;
        }
        kind = resolve(v, len, &num, &b);
        if (kind != want) {
            *why = "the value does not match its tag";
            return NULL;
        }
    } else if (style == LLMGW__SCALAR_PLAIN && tag == NULL) {
        kind = resolve(v, len, &num, &b);
    }
    switch (kind) {
    case K_NULL:    return cJSON_CreateNull();
    case K_BOOL:    return cJSON_CreateBool(b);
    case K_NUMBER:  return cJSON_CreateNumber(num);
    case K_INVALID: *why = ".inf and .nan are not accepted"; return NULL;
    default:        return cJSON_CreateString(v);
    }
}
