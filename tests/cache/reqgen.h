/*
 * tests/cache/reqgen.h: random chat requests for the cache-key property
 * tests: a generator, a mutator that changes exactly one thing, and a
 * printer that respells the same request (member order, whitespace, number
 * spelling, string escapes) without changing its meaning.
 */
#ifndef LLMGW_TESTS_REQGEN_H
#define LLMGW_TESTS_REQGEN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

typedef struct rng {
    uint64_t s;
} rng;

uint64_t rng_next(rng *r);
uint32_t rng_below(rng *r, uint32_t n);

/* A random JSON value (depth bounded). */
cJSON *gen_value(rng *r, int depth);
/* A random number: integers, fractions, huge, tiny, negative, -0. */
double gen_number(rng *r);
/*
 * A random request in OpenAI shape: messages of every role with text or
 * parts, tool calls, tools with schemas, tool_choice, response_format,
 * sampling parameters, logit_bias, provider pass-through parameters; and,
 * now and then, the excluded members user / metadata / stream.
 */
cJSON *gen_request(rng *r);
/*
 * Change one random node that the key covers (never an excluded top-level
 * member): a string, a number, a type, a member added, removed or renamed,
 * an array element added, removed or moved. what (n bytes) says what changed.
 * Returns 0, or -1 when there was nothing to change.
 */
int mutate(cJSON *root, rng *r, char *what, size_t n);
/* JSON text of v, same meaning, different spelling. free() it. */
char *respell(const cJSON *v, rng *r);

#endif
