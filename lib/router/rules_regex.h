/*
 * lib/router/rules_regex.h: the pattern matcher behind the `$regex` (Portkey)
 * and `regex` (native) rule operators.
 *
 * Portkey evaluates `$regex` as JavaScript's `new RegExp(pattern).test(value)`:
 * an unanchored search, no flags. This matcher takes the common subset of
 * that syntax (literals and escapes, `.`, classes with ranges and \d \w \s,
 * `^` `$` `\b` `\B`, groups, `|`, greedy and lazy `*` `+` `?` `{n,m}`) and
 * refuses what it cannot match the same way (lookaround, back-references,
 * named groups, non-ASCII characters inside a class) at compile time, with a
 * message. Matching is a Thompson NFA simulation: linear in the input,
 * no backtracking, no allocation; `.` and negated classes take one whole
 * UTF-8 character.
 */
#ifndef LLMGW_ROUTER_RULES_REGEX_H
#define LLMGW_ROUTER_RULES_REGEX_H

#include "../core/common.h"

#define LLMGW__REGEX_MAX_PATTERN 1024   /* bytes of pattern */
#define LLMGW__REGEX_MAX_PROGRAM 512    /* instructions once repetitions are expanded */

typedef struct llmgw__regex llmgw__regex;

/*
 * Compile pattern (NUL-terminated). 0 on success; LLMGW_EINVAL with why
 * (a static string: what is unsupported or malformed) set; LLMGW_ENOMEM
 * without setting the last error (the caller reports it).
 */
int  llmgw__regex_compile(llmgw__regex **out, const char *pattern, const char **why);
/* Whether the pattern matches anywhere in s (JavaScript's RegExp.prototype.test). */
bool llmgw__regex_test(const llmgw__regex *re, const char *s);
void llmgw__regex_free(llmgw__regex *re);

#endif
