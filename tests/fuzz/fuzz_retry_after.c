/*
 * tests/fuzz/fuzz_retry_after.c: the server delay hint parser
 * (llmgw__parse_retry_after, lib/router/policy.c; docs/resilience.md §e.5
 * F5). The input: 8 bytes of wall clock (microseconds, little endian), then
 * the header value.
 *
 * Oracles beyond "no crash, no UB":
 *   - the result is -1 (no hint) or >= 0, never another negative; a number
 *     of seconds is under 1e9 + 1 s and does not depend on the clock;
 *   - an HTTP-date counts down with the clock: one second later it is
 *     exactly 1000 ms less, or 0, never below;
 *   - plain digits (up to 9, after spaces) are that many seconds exactly.
 */
#include "fuzz_common.h"

#include "router/policy.h"

#define MAX_HINT_MS (1000000000000LL + 999)   /* 1e9 s and a fraction: the parser's own bound */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static bool plain_seconds(const char *v, int64_t *secs)
{
    int64_t n = 0;
    size_t digits = 0;

    while (*v == ' ')
        v++;
    for (; *v >= '0' && *v <= '9'; v++, digits++)
        if (digits < 9)
            n = n * 10 + (*v - '0');
    *secs = n;
    return *v == '\0' && digits >= 1 && digits <= 9;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t raw = 0;
    int64_t now, r1, r2, secs;
    char *v;
    size_t i;

    if (size < 8 || size > 4096)
        return 0;
    for (i = 0; i < 8; i++)
        raw |= (uint64_t)data[i] << (8 * i);
    now = (int64_t)(raw % 8000000000000000000ULL);          /* up to year ~255 000: no overflow below */
    v = malloc(size - 8 + 1);
    if (v == NULL)
        return 0;
    memcpy(v, data + 8, size - 8);
    v[size - 8] = '\0';

    r1 = llmgw__parse_retry_after(v, now);
    r2 = llmgw__parse_retry_after(v, now + 1000000);
    FUZZ_CHECK(r1 >= -1 && r2 >= -1);
    FUZZ_CHECK((r1 == -1) == (r2 == -1));
    {
        const char *p = v;
        while (*p == ' ')
            p++;
        if (*p >= '0' && *p <= '9') {                           /* seconds: bounded, the clock does not matter */
            FUZZ_CHECK(r1 <= MAX_HINT_MS);
            FUZZ_CHECK(r2 == r1);
        } else if (r1 >= 0) {                                   /* a date counts down to 0 */
            FUZZ_CHECK(r2 == (r1 > 1000 ? r1 - 1000 : 0));
        }
    }
    if (plain_seconds(v, &secs))
        FUZZ_CHECK(r1 == secs * 1000);
    free(v);
    return 0;
}
