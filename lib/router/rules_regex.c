/*
 * lib/router/rules_regex.c: the `$regex` matcher (see rules_regex.h):
 * parsing a pattern into a small tree. The tree is compiled into an NFA
 * program in rules_regex_gen.c (repetitions expanded), and the program runs
 * in rules_regex_vm.c, linear in the input whatever the pattern.
 */
#include "../core/common.h"
#include "rules_regex.h"
#include "rules_regex_impl.h"

#define is_word llmgw__regex_is_word
#define MAX_NODES LLMGW__REGEX_MAX_NODES
#define MAX_COUNT 1000          /* {n,m} bounds */

typedef llmgw__regex_anode anode;

typedef struct parser {
    const char    *p;
    anode         *nodes;
    int            nnodes;
    cls           *classes;
    size_t         nclasses, cap;
    const char    *why;
    int            depth;
} parser;

static int fail(parser *ps, const char *why)
{
    if (ps->why == NULL)
        ps->why = why;
    return -1;
}

static int node(parser *ps, int kind)
{
    anode *n;

    if (ps->nnodes >= MAX_NODES)
        return fail(ps, "the pattern is too large");
    n = &ps->nodes[ps->nnodes];
    memset(n, 0, sizeof(*n));
    n->kind = kind;
    n->a = n->b = -1;
    return ps->nnodes++;
}

static int node2(parser *ps, int kind, int a, int b)
{
    int i = node(ps, kind);

    if (i >= 0) {
        ps->nodes[i].a = a;
        ps->nodes[i].b = b;
    }
    return i;
}

static void set_bit(cls *c, unsigned b)
{
    c->bits[b >> 6] |= (uint64_t)1 << (b & 63);
}


static bool is_space(unsigned char b)
{
    return b == ' ' || (b >= '\t' && b <= '\r');
}

/* \d \w \s (and their negations, which take every non-ASCII character) into c. */
static void add_shorthand(cls *c, char k)
{
    unsigned b;
    bool neg = k == 'D' || k == 'W' || k == 'S';

    for (b = 0; b < 128; b++) {
        bool in = (k == 'd' || k == 'D') ? (b >= '0' && b <= '9') : (k == 'w' || k == 'W') ? is_word((unsigned char)b)
                                                                                              : is_space((unsigned char)b);
        if (in != neg)
            set_bit(c, b);
    }
    if (neg)
        c->upper = true;
}

static int new_class(parser *ps, const cls *c)
{
    int i;

    if (ps->nclasses == ps->cap) {
        size_t cap = ps->cap ? ps->cap * 2 : 8;
        cls *nc = llmgw__reallocarray(ps->classes, cap, sizeof(*nc));
        if (nc == NULL)
            return fail(ps, NULL), -2;
        ps->classes = nc;
        ps->cap = cap;
    }
    ps->classes[ps->nclasses] = *c;
    if ((i = node(ps, A_CLASS)) < 0)
        return -1;
    ps->nodes[i].cls = (int)ps->nclasses++;
    return i;
}

static int hex(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* \xHH or \uHHHH after the letter at ps->p; -1 when not that form (then the letter is literal). */
static long hex_escape(parser *ps, int digits)
{
    long v = 0;
    int i;

    for (i = 0; i < digits; i++) {
        int h = hex(ps->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    ps->p += digits;
    return v;
}

/* Length of the UTF-8 character starting with lead byte b, 0 when b cannot start one. */
static int utf8_len(unsigned char b)
{
    return b < 0x80 ? 1 : b >= 0xC2 && b <= 0xDF ? 2 : b >= 0xE0 && b <= 0xEF ? 3 : b >= 0xF0 && b <= 0xF4 ? 4 : 0;
}

static int bytes_node(parser *ps, long cp)
{
    int i = node(ps, A_BYTES);
    anode *n;

    if (i < 0)
        return -1;
    n = &ps->nodes[i];
    if (cp < 0x80) {
        n->bytes[0] = (uint8_t)cp;
        n->nbytes = 1;
    } else if (cp < 0x800) {
        n->bytes[0] = (uint8_t)(0xC0 | (cp >> 6));
        n->bytes[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n->nbytes = 2;
    } else {
        if (cp >= 0xD800 && cp <= 0xDFFF)
            return fail(ps, "surrogate escapes are not supported");
        n->bytes[0] = (uint8_t)(0xE0 | (cp >> 12));
        n->bytes[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        n->bytes[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n->nbytes = 3;
    }
    return i;
}

/* A literal character from the pattern (a whole UTF-8 sequence). */
static int literal(parser *ps)
{
    const unsigned char *s = (const unsigned char *)ps->p;
    int len = utf8_len(s[0]), i, k;

    if (len == 0)
        return fail(ps, "the pattern is not valid UTF-8");
    for (k = 1; k < len; k++)
        if ((s[k] & 0xC0) != 0x80)
            return fail(ps, "the pattern is not valid UTF-8");
    if ((i = node(ps, A_BYTES)) < 0)
        return -1;
    memcpy(ps->nodes[i].bytes, s, (size_t)len);
    ps->nodes[i].nbytes = len;
    ps->p += len;
    return i;
}

/* One escaped character inside or outside a class: its code point, or -1 with ps->why set. */
static long escaped_char(parser *ps, bool in_class)
{
    char k = *ps->p++;
    long v;

    switch (k) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'f': return '\f';
    case 'v': return '\v';
    case 'b': return in_class ? '\b' : (fail(ps, "internal"), -1);
    case '0':
        if (*ps->p >= '0' && *ps->p <= '9')
            return fail(ps, "octal escapes are not supported"), -1;
        return 0;
    case 'x':
        return (v = hex_escape(ps, 2)) >= 0 ? v : 'x';
    case 'u':
        return (v = hex_escape(ps, 4)) >= 0 ? v : 'u';
    case 'c':
        return fail(ps, "control escapes (\\c) are not supported"), -1;
    default:
        if (k >= '1' && k <= '9')
            return fail(ps, "back-references are not supported"), -1;
        if ((unsigned char)k >= 0x80) {
            ps->p--;
            return -2;              /* a non-ASCII literal: the caller takes the whole character */
        }
        return (unsigned char)k;    /* \. \* \/ ... and JavaScript's identity escapes */
    }
}

static int parse_class(parser *ps)
{
    cls c;
    bool neg = false;

    memset(&c, 0, sizeof(c));
    if (*ps->p == '^') {
        neg = true;
        ps->p++;
    }
    while (*ps->p != ']') {
        long lo, hi;
        if (*ps->p == '\0')
            return fail(ps, "a class [ is not closed");
        if (*ps->p == '\\' && strchr("dDwWsS", ps->p[1]) != NULL && ps->p[1] != '\0') {
            add_shorthand(&c, ps->p[1]);
            ps->p += 2;
            continue;
        }
        if (*ps->p == '\\') {
            if (ps->p[1] == '\0')
                return fail(ps, "\\ at the end of the pattern");
            if (ps->p[1] == 'B')
                return fail(ps, "\\B inside a class is not supported");
            ps->p++;
            lo = escaped_char(ps, true);
        } else {
            lo = (unsigned char)*ps->p++;
        }
        if (lo == -1)
            return -1;
        if (lo < 0 || lo >= 0x80)
            return fail(ps, "non-ASCII characters inside a class are not supported");
        hi = lo;
        if (ps->p[0] == '-' && ps->p[1] != ']' && ps->p[1] != '\0' &&
            !(ps->p[1] == '\\' && ps->p[2] != '\0' && strchr("dDwWsS", ps->p[2]) != NULL)) {
            ps->p++;
            if (*ps->p == '\\') {
                ps->p++;
                if (*ps->p == '\0')
                    return fail(ps, "\\ at the end of the pattern");
                hi = escaped_char(ps, true);
            } else {
                hi = (unsigned char)*ps->p++;
            }
            if (hi == -1)
                return -1;
            if (hi < 0 || hi >= 0x80)
                return fail(ps, "non-ASCII characters inside a class are not supported");
            if (hi < lo)
                return fail(ps, "a class range is out of order");
        }
        for (; lo <= hi; lo++)
            set_bit(&c, (unsigned)lo);
    }
    ps->p++;
    if (neg) {
        c.bits[0] = ~c.bits[0];
        c.bits[1] = ~c.bits[1];
        c.upper = !c.upper;
    }
    return new_class(ps, &c);
}

/* {n}, {n,}, {n,m} at ps->p ('{'): true and the bounds when it is one (ps->p moved past it). */
static bool counted(parser *ps, int *min, int *max, bool *bad)
{
    const char *q = ps->p + 1;
    long n = 0, m;

    *bad = false;
    if (*q < '0' || *q > '9')
        return false;
    while (*q >= '0' && *q <= '9')
        if ((n = n * 10 + (*q++ - '0')) > MAX_COUNT)
            *bad = true;
    m = n;
    if (*q == ',') {
        q++;
        if (*q == '}') {
            m = -1;
        } else {
            if (*q < '0' || *q > '9')
                return false;
            for (m = 0; *q >= '0' && *q <= '9';)
                if ((m = m * 10 + (*q++ - '0')) > MAX_COUNT)
                    *bad = true;
        }
    }
    if (*q != '}')
        return false;
    ps->p = q + 1;
    *min = (int)LLMGW_MIN(n, MAX_COUNT);
    *max = m < 0 ? -1 : (int)LLMGW_MIN(m, MAX_COUNT);
    return true;
}

static int parse_alt(parser *ps);

static int parse_atom(parser *ps, bool *assertion)
{
    cls c;
    long v;
    int i, min, max;
    bool bad;

    *assertion = false;
    switch (*ps->p) {
    case '(':
        ps->p++;
        if (ps->p[0] == '?') {
            if (ps->p[1] != ':')
                return fail(ps, "lookaround and named groups are not supported");
            ps->p += 2;
        }
        if (++ps->depth > 64)
            return fail(ps, "groups nested too deep");
        if ((i = parse_alt(ps)) < 0)
            return -1;
        ps->depth--;
        if (*ps->p != ')')
            return fail(ps, "a group ( is not closed");
        ps->p++;
        return i;
    case '[':
        ps->p++;
        return parse_class(ps);
    case '.':
        ps->p++;
        memset(&c, 0, sizeof(c));
        c.bits[0] = ~(uint64_t)0 & ~(((uint64_t)1 << '\n') | ((uint64_t)1 << '\r'));
        c.bits[1] = ~(uint64_t)0;
        c.upper = true;
        return new_class(ps, &c);
    case '^':
        ps->p++;
        *assertion = true;
        return node(ps, A_BOL);
    case '$':
        ps->p++;
        *assertion = true;
        return node(ps, A_EOL);
    case '*': case '+': case '?':
        return fail(ps, "nothing to repeat");
    case '{':
        if (counted(ps, &min, &max, &bad))
            return fail(ps, "nothing to repeat");
        ps->p++;
        return bytes_node(ps, '{');
    case '\\':
        ps->p++;
        if (*ps->p == '\0')
            return fail(ps, "\\ at the end of the pattern");
        if (*ps->p == 'b' || *ps->p == 'B') {
            *assertion = true;
            return node(ps, *ps->p++ == 'b' ? A_WORDB : A_NWORDB);
        }
        if (strchr("dDwWsS", *ps->p) != NULL) {
            memset(&c, 0, sizeof(c));
            add_shorthand(&c, *ps->p++);
            return new_class(ps, &c);
        }
        v = escaped_char(ps, false);
        if (v == -2)
            return literal(ps);
        return v < 0 ? -1 : bytes_node(ps, v);
    default:
        return literal(ps);
    }
}

static int parse_quantified(parser *ps)
{
    bool assertion, bad = false;
    int atom = parse_atom(ps, &assertion), min, max, r;

    if (atom < 0)
        return -1;
    switch (*ps->p) {
    case '*': min = 0; max = -1; ps->p++; break;
    case '+': min = 1; max = -1; ps->p++; break;
    case '?': min = 0; max = 1; ps->p++; break;
    case '{':
        if (!counted(ps, &min, &max, &bad))
            return atom;            /* a literal '{' follows */
        if (bad)
            return fail(ps, "a repetition count above 1000");
        if (max >= 0 && max < min)
            return fail(ps, "numbers out of order in a {n,m} repetition");
        break;
    default:
        return atom;
    }
    if (assertion)
        return fail(ps, "nothing to repeat");
    if (*ps->p == '?')
        ps->p++;                    /* lazy: the same answer for test() */
    if (*ps->p == '*' || *ps->p == '+' || *ps->p == '?' || (*ps->p == '{' && counted(ps, &r, &r, &bad)))
        return fail(ps, "nothing to repeat");
    if ((r = node2(ps, A_REP, atom, -1)) < 0)
        return -1;
    ps->nodes[r].min = min;
    ps->nodes[r].max = max;
    return r;
}

static int parse_cat(parser *ps)
{
    int left = -1, right;

    while (*ps->p != '\0' && *ps->p != '|' && *ps->p != ')') {
        if ((right = parse_quantified(ps)) < 0)
            return -1;
        left = left < 0 ? right : node2(ps, A_CAT, left, right);
        if (left < 0)
            return -1;
    }
    return left < 0 ? node(ps, A_EMPTY) : left;
}

static int parse_alt(parser *ps)
{
    int left = parse_cat(ps), right;

    while (left >= 0 && *ps->p == '|') {
        ps->p++;
        if ((right = parse_cat(ps)) < 0)
            return -1;
        left = node2(ps, A_ALT, left, right);
    }
    return left;
}

int llmgw__regex_compile(llmgw__regex **out, const char *pattern, const char **why)
{
    parser ps;
    llmgw__regex *re;
    int root;
    bool full;

    *out = NULL;
    *why = NULL;
    if (strlen(pattern) > LLMGW__REGEX_MAX_PATTERN) {
        *why = "the pattern is longer than 1024 bytes";
        return LLMGW_EINVAL;
    }
    memset(&ps, 0, sizeof(ps));
    ps.p = pattern;
    ps.nodes = llmgw__calloc(MAX_NODES, sizeof(*ps.nodes));
    re = llmgw__calloc(1, sizeof(*re));
    if (ps.nodes == NULL || re == NULL) {
        llmgw__free(ps.nodes);
        llmgw__free(re);
        return LLMGW_ENOMEM;
    }
    root = parse_alt(&ps);
    if (root >= 0 && *ps.p == ')')
        root = fail(&ps, "an unmatched )");
    if (root < 0) {
        llmgw__free(ps.nodes);
        llmgw__free(ps.classes);
        llmgw__free(re);
        *why = ps.why;
        return ps.why != NULL ? LLMGW_EINVAL : LLMGW_ENOMEM;
    }
    re->classes = ps.classes;
    re->nclasses = ps.nclasses;
    full = !llmgw__regex_gen(re, ps.nodes, root);
    llmgw__free(ps.nodes);
    if (full) {
        llmgw__regex_free(re);
        *why = "the pattern is too large once its repetitions are expanded";
        return LLMGW_EINVAL;
    }
    *out = re;
    return 0;
}

void llmgw__regex_free(llmgw__regex *re)
{
    if (re == NULL)
        return;
    llmgw__free(re->classes);
    llmgw__free(re);
}
