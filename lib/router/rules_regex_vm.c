/*
 * lib/router/rules_regex_vm.c: running a compiled `$regex` program (see
 * rules_regex.h): every thread of the NFA advances in lockstep over the
 * input bytes, so the time is linear in the input and bounded by the program
 * size, whatever the pattern; no allocation.
 */
#include "../core/common.h"
#include "rules_regex.h"
#include "rules_regex_impl.h"

#define has_bit llmgw__regex_has_bit
#define is_word llmgw__regex_is_word

typedef struct sim {
    const llmgw__regex  *re;
    const unsigned char *s;
    size_t               len;
    uint32_t             mark[LLMGW__REGEX_MAX_PROGRAM];
    uint16_t             stack[LLMGW__REGEX_MAX_PROGRAM];
} sim;

static bool word_at(const sim *m, size_t pos)
{
    return pos < m->len && is_word(m->s[pos]);
}

static bool assertion_holds(const sim *m, int op, size_t pos)
{
    bool before = pos > 0 && word_at(m, pos - 1), after = word_at(m, pos);

    switch (op) {
    case I_BOL:    return pos == 0;
    case I_EOL:    return pos == m->len;
    case I_WORDB:  return before != after;
    default:       return before == after;     /* I_NWORDB */
    }
}

/*
 * Add the threads reachable from pc at position pos (mark generation gen) to
 * list: true when one of them reaches the match.
 */
static bool add(sim *m, uint16_t *list, size_t *n, size_t pc, size_t pos, uint32_t gen)
{
    size_t top = 0;

    if (m->mark[pc] == gen)
        return false;
    m->mark[pc] = gen;
    m->stack[top++] = (uint16_t)pc;
    while (top > 0) {
        const inst *in = &m->re->prog[m->stack[--top]];
        size_t next[2], k, nn = 0;
        switch (in->op) {
        case I_MATCH:
            return true;
        case I_JMP:
            next[nn++] = in->x;
            break;
        case I_SPLIT:
            next[nn++] = in->x;
            next[nn++] = in->y;
            break;
        case I_BOL: case I_EOL: case I_WORDB: case I_NWORDB:
            if (assertion_holds(m, in->op, pos))
                next[nn++] = (size_t)(in - m->re->prog) + 1;
            break;
        default:
            list[(*n)++] = (uint16_t)(in - m->re->prog);
            break;
        }
        for (k = 0; k < nn; k++) {
            if (m->mark[next[k]] != gen) {
                m->mark[next[k]] = gen;
                m->stack[top++] = (uint16_t)next[k];
            }
        }
    }
    return false;
}

static bool consumes(const llmgw__regex *re, const inst *in, unsigned char b)
{
    const cls *c;

    switch (in->op) {
    case I_BYTE:  return b == in->byte;
    case I_CONT:  return (b & 0xC0) == 0x80;
    case I_CLASS:
        c = &re->classes[in->x];
        return b < 0x80 ? has_bit(c, b) : c->upper && b >= 0xC0;
    default:      return false;
    }
}

bool llmgw__regex_test(const llmgw__regex *re, const char *s)
{
    uint16_t a[LLMGW__REGEX_MAX_PROGRAM], b[LLMGW__REGEX_MAX_PROGRAM], *cur = a, *nxt = b, *t;
    size_t ncur = 0, nnxt, pos, i;
    sim m;

    if (re == NULL || s == NULL)
        return false;
    m.re = re;
    m.s = (const unsigned char *)s;
    m.len = strlen(s);
    if (m.len >= UINT32_MAX - 1)
        return false;
    memset(m.mark, 0, sizeof(m.mark[0]) * re->n);
    for (pos = 0;; pos++) {
        uint32_t gen = (uint32_t)pos + 1;
        if (add(&m, cur, &ncur, 0, pos, gen))       /* a match may start anywhere */
            return true;
        if (pos == m.len)
            return false;
        nnxt = 0;
        for (i = 0; i < ncur; i++) {
            const inst *in = &re->prog[cur[i]];
            if (consumes(re, in, m.s[pos]) && add(&m, nxt, &nnxt, (size_t)cur[i] + 1, pos + 1, gen + 1))
                return true;
        }
        t = cur;
        cur = nxt;
        nxt = t;
        ncur = nnxt;
    }
}
