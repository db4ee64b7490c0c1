/*
 * lib/router/rules_regex_gen.c: compiling a parsed `$regex` tree into an
 * NFA program (rules_regex_impl.h): repetitions are expanded, within
 * LLMGW__REGEX_MAX_PROGRAM instructions and a bounded amount of work.
 */
#include "../core/common.h"
#include "rules_regex.h"
#include "rules_regex_impl.h"

#define MAX_NODES     LLMGW__REGEX_MAX_NODES
#define NONE          0xFFFFu   /* end of a chain of splits to patch */
#define MAX_GEN_CALLS 65536     /* bounds compile time whatever the nesting of repetitions */

typedef llmgw__regex_anode anode;

typedef struct emitter {
    llmgw__regex  *re;
    const anode   *nodes;
    bool           full;
    size_t         calls;       /* gen() calls: repetitions of empty bodies emit nothing, so count */
} emitter;

static size_t emit(emitter *e, int op, uint8_t byte, size_t x, size_t y)
{
    size_t at = e->re->n;

    if (at >= LLMGW__REGEX_MAX_PROGRAM) {
        e->full = true;
        return at;
    }
    e->re->prog[at].op = (uint8_t)op;
    e->re->prog[at].byte = byte;
    e->re->prog[at].x = (uint16_t)x;
    e->re->prog[at].y = (uint16_t)y;
    e->re->n++;
    return at;
}

static void patch_y(emitter *e, size_t at, size_t y)
{
    if (!e->full && at < e->re->n)
        e->re->prog[at].y = (uint16_t)y;
}

static void patch_x(emitter *e, size_t at, size_t x)
{
    if (!e->full && at < e->re->n)
        e->re->prog[at].x = (uint16_t)x;
}

static void gen(emitter *e, int i, int depth)
{
    const anode *n = &e->nodes[i];
    size_t l, s, j, chain;
    int r;

    if (e->full)
        return;
    if (depth > 2 * MAX_NODES || ++e->calls > MAX_GEN_CALLS) {
        e->full = true;         /* e.g. ((?:){1000}){1000}: nothing emitted, a million calls */
        return;
    }
    switch (n->kind) {
    case A_EMPTY:
        break;
    case A_BYTES:
        for (r = 0; r < n->nbytes; r++)
            emit(e, I_BYTE, n->bytes[r], 0, 0);
        break;
    case A_CLASS:
        emit(e, I_CLASS, 0, (size_t)n->cls, 0);
        if (e->re->classes[n->cls].upper) {     /* then the rest of a multi-byte character */
            l = emit(e, I_SPLIT, 0, e->re->n + 1, e->re->n + 3);
            emit(e, I_CONT, 0, 0, 0);
            emit(e, I_JMP, 0, l, 0);
        }
        break;
    case A_BOL:    emit(e, I_BOL, 0, 0, 0); break;
    case A_EOL:    emit(e, I_EOL, 0, 0, 0); break;
    case A_WORDB:  emit(e, I_WORDB, 0, 0, 0); break;
    case A_NWORDB: emit(e, I_NWORDB, 0, 0, 0); break;
    case A_CAT:
        gen(e, n->a, depth + 1);
        gen(e, n->b, depth + 1);
        break;
    case A_ALT:
        s = emit(e, I_SPLIT, 0, e->re->n + 1, 0);
        gen(e, n->a, depth + 1);
        j = emit(e, I_JMP, 0, 0, 0);
        patch_y(e, s, e->re->n);
        gen(e, n->b, depth + 1);
        patch_x(e, j, e->re->n);
        break;
    case A_REP:
        for (r = 0; r < n->min && !e->full; r++)
            gen(e, n->a, depth + 1);
        if (n->max < 0) {
            l = emit(e, I_SPLIT, 0, e->re->n + 1, 0);
            gen(e, n->a, depth + 1);
            emit(e, I_JMP, 0, l, 0);
            patch_y(e, l, e->re->n);
            break;
        }
        /* each optional copy may skip to the end: a chain of splits, linked through y until patched */
        for (chain = NONE, r = n->min; r < n->max && !e->full; r++) {
            chain = emit(e, I_SPLIT, 0, e->re->n + 1, chain);
            gen(e, n->a, depth + 1);
        }
        while (!e->full && chain != NONE) {
            j = e->re->prog[chain].y;
            e->re->prog[chain].y = (uint16_t)e->re->n;
            chain = j;
        }
        break;
    default:
        break;
    }
}

bool llmgw__regex_gen(llmgw__regex *re, const anode *nodes, int root)
{
    emitter e;

    e.re = re;
    e.nodes = nodes;
    e.full = false;
    e.calls = 0;
    gen(&e, root, 0);
    emit(&e, I_MATCH, 0, 0, 0);
    return !e.full;
}
