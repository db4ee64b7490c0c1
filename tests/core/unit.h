/*
 * tests/core/unit.h: what every unit test includes (cmocka and a few asserts).
 * Shared by tests/core, tests/transport and tests/router.
 */
#ifndef LLMGW_TESTS_UNIT_H
#define LLMGW_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/common.h"

/* hay contains needle (both C strings). */
#define assert_contains(hay, needle)                                                    \
    do {                                                                                \
        const char *h_ = (hay), *n_ = (needle);                                         \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                       \
            fail_msg("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_);         \
    } while (0)

/* The call returned code and the thread's last error has that code and names the problem. */
#define assert_fails_with(call, want, needle)                                           \
    do {                                                                                \
        int rc_ = (call);                                                               \
        assert_int_equal(rc_, (want));                                                  \
        assert_int_equal(llmgw_error_last()->code, (want));                             \
        assert_contains(llmgw_error_last()->message, (needle));                         \
    } while (0)

/* Read a whole file; NULL when it cannot be read. Free with free(). */
static inline char *unit_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *data = NULL;
    size_t len = 0, cap = 0, n;

    if (f == NULL)
        return NULL;
    for (;;) {
        if (len + 4096 + 1 > cap) {
            char *p;
            cap = cap ? cap * 2 : 8192;
            p = realloc(data, cap);
            if (p == NULL) {
                free(data);
                fclose(f);
                return NULL;
            }
            data = p;
        }
        n = fread(data + len, 1, 4096, f);
        len += n;
        if (n < 4096)
            break;
    }
    fclose(f);
    data[len] = '\0';
    *len_out = len;
    return data;
}

/* A copy of s in a buffer of exactly len bytes (no NUL after it), so ASan sees over-reads. */
static inline char *unit_exact_copy(const char *s, size_t len)
{
    char *p = malloc(len ? len : 1);

    assert_non_null(p);
    memcpy(p, s, len);
    return p;
}

#endif
