/*
 * tests/fuzz/fuzz_common.h: what the libFuzzer targets share: a named
 * oracle failure (message on stderr, then abort, which libFuzzer records as
 * a crash with its input), a chunk schedule seeded from an input byte, and
 * the checks every normalized answer must pass.
 */
#ifndef LLMGW_FUZZ_COMMON_H
#define LLMGW_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"
#include "core/reply.h"
#include "core/utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* An oracle violation: say which, then crash so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond)                                                                        \
    do {                                                                                        \
        if (!(cond)) {                                                                          \
            fprintf(stderr, "fuzz oracle failed at %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
            abort();                                                                            \
        }                                                                                       \
    } while (0)

/*
 * Chunk sizes for feeding a stream in pieces: seed 256 means "all at once";
 * otherwise xorshift sizes in [1, 1 + (seed & 63)] (1-byte feeds included),
 * so one input byte picks a split and every split must give the same result.
 */
typedef struct fuzz_chunker {
    uint32_t x;
    unsigned seed;
} fuzz_chunker;

static inline void fuzz_chunker_init(fuzz_chunker *c, unsigned seed)
{
    c->x = 0x9E3779B9u ^ seed;
    c->seed = seed;
}

static inline size_t fuzz_chunk_next(fuzz_chunker *c, size_t remaining)
{
    size_t n;

    if (c->seed == 256)
        return remaining;
    c->x ^= c->x << 13;
    c->x ^= c->x >> 17;
    c->x ^= c->x << 5;
    n = 1 + c->x % (1 + (c->seed & 63));
    return n < remaining ? n : remaining;
}

/* A NUL-terminated string within its buffer. */
static inline int fuzz_terminated(const char *s, size_t cap)
{
    return memchr(s, '\0', cap) != NULL;
}

/* What every assembled answer must satisfy, whatever the upstream sent. */
static inline void fuzz_check_answer(const llmgw_reply *r)
{
    const llmgw__answer *a = &r->a;
    size_t i;

    FUZZ_CHECK(a->text.size + a->reasoning.size <= r->max_text);
    FUZZ_CHECK(a->text.size == 0 || llmgw__utf8_valid(a->text.ptr, a->text.size));
    FUZZ_CHECK(a->reasoning.size == 0 || llmgw__utf8_valid(a->reasoning.ptr, a->reasoning.size));
    FUZZ_CHECK(a->text.size == 0 || strlen(a->text.ptr) == a->text.size);        /* no embedded NUL */
    FUZZ_CHECK(a->finish >= LLMGW_FINISH_NONE && a->finish <= LLMGW_FINISH_OTHER);
    FUZZ_CHECK(a->ncalls <= LLMGW__MAX_TOOL_CALLS);
    for (i = 0; i < a->ncalls; i++) {
        const llmgw__tool_call *c = &a->calls[i];
        FUZZ_CHECK(c->args.size <= LLMGW__MAX_TOOL_ARGS);
        FUZZ_CHECK(c->args.size == 0 || llmgw__utf8_valid(c->args.ptr, c->args.size));
    }
    if (a->usage_set) {
        const llmgw_token_counts *u = &a->usage;
        FUZZ_CHECK(u->input_tokens < LLMGW_MAX_TOKENS_VALUE && u->output_tokens < LLMGW_MAX_TOKENS_VALUE);
        FUZZ_CHECK(u->cache_read_tokens + u->cache_creation_tokens <= u->input_tokens);
        FUZZ_CHECK(u->reasoning_tokens <= u->output_tokens);
    }
    if (r->has_error) {
        FUZZ_CHECK(r->err_class > 0 && r->err_class < LLMGW_ERRCLASS__COUNT);
        FUZZ_CHECK(fuzz_terminated(r->err_message, sizeof(r->err_message)));
    }
}

#endif
