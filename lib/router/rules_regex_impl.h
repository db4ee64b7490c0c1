/*
 * lib/router/rules_regex_impl.h: the parsed tree and the compiled program
 * of a `$regex` pattern, shared by the parser (rules_regex.c), the code
 * generator (rules_regex_gen.c) and the matcher (rules_regex_vm.c) only.
 */
#ifndef LLMGW_ROUTER_RULES_REGEX_IMPL_H
#define LLMGW_ROUTER_RULES_REGEX_IMPL_H

#include "../core/common.h"
#include "rules_regex.h"

typedef struct cls {
    uint64_t bits[2];           /* ASCII members */
    bool     upper;             /* also every non-ASCII character */
} cls;

/* ---- the program ---- */

enum { I_BYTE, I_CLASS, I_CONT, I_SPLIT, I_JMP, I_BOL, I_EOL, I_WORDB, I_NWORDB, I_MATCH };

typedef struct inst {
    uint8_t  op;
    uint8_t  byte;
    uint16_t x, y;              /* I_SPLIT, I_JMP: targets; I_CLASS: class index in x */
} inst;

struct llmgw__regex {
    inst   prog[LLMGW__REGEX_MAX_PROGRAM];
    size_t n;
    cls   *classes;
    size_t nclasses;
};

static inline bool llmgw__regex_has_bit(const cls *c, unsigned b)
{
    return (c->bits[b >> 6] >> (b & 63)) & 1;
}

static inline bool llmgw__regex_is_word(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '_';
}

#define LLMGW__REGEX_MAX_NODES (2 * LLMGW__REGEX_MAX_PATTERN + 8)

/* The parsed pattern: nodes in one array, children by index. */
enum { A_EMPTY, A_BYTES, A_CLASS, A_BOL, A_EOL, A_WORDB, A_NWORDB, A_CAT, A_ALT, A_REP };

typedef struct llmgw__regex_anode {
    int     kind;
    uint8_t bytes[4];           /* A_BYTES: one character, UTF-8 */
    int     nbytes;
    int     cls;                /* A_CLASS: index into classes */
    int     min, max;           /* A_REP: max < 0 is unbounded */
    int     a, b;               /* children (A_CAT, A_ALT: both; A_REP: a) */
} llmgw__regex_anode;

/* Compile the tree under root into re->prog, ending with I_MATCH; false when the program is too large. */
bool llmgw__regex_gen(llmgw__regex *re, const llmgw__regex_anode *nodes, int root);

#endif
