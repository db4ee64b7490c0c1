/*
 * tests/core/test_buf.c: growable buffers (lib/core/buf.c).
 */
#include "unit.h"

#include "core/buf.h"

static void test_empty(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;

    (void)state;
    assert_null(b.ptr);
    assert_string_equal(llmgw__buf_cstr(&b), "");
    llmgw_buf_dispose(&b);
    llmgw_buf_dispose(NULL);
    assert_null(b.ptr);
    assert_int_equal(b.size, 0);
    assert_int_equal(b.asize, 0);
    /* putting nothing still allocates a terminated string */
    assert_int_equal(llmgw__buf_put(&b, NULL, 0), 0);
    assert_non_null(b.ptr);
    assert_string_equal(b.ptr, "");
    llmgw_buf_dispose(&b);
}

static void test_put_and_grow(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    char expect[5001];
    size_t i;

    (void)state;
    for (i = 0; i < 5000; i++) {
        char c = (char)('a' + i % 26);
        expect[i] = c;
        if (i % 3 == 0)
            assert_int_equal(llmgw__buf_putc(&b, c), 0);
        else
            assert_int_equal(llmgw__buf_put(&b, &c, 1), 0);
        assert_int_equal(b.size, i + 1);
        assert_true(b.asize > b.size);
        assert_int_equal(b.ptr[b.size], '\0');
    }
    expect[5000] = '\0';
    assert_string_equal(b.ptr, expect);
    assert_int_equal(llmgw__buf_puts(&b, "!"), 0);
    assert_int_equal(b.size, 5001);
    assert_int_equal(b.ptr[5000], '!');

    /* embedded NULs are kept; size counts them */
    llmgw__buf_clear(&b);
    assert_int_equal(b.size, 0);
    assert_string_equal(b.ptr, "");
    assert_int_equal(llmgw__buf_put(&b, "a\0b", 3), 0);
    assert_int_equal(b.size, 3);
    assert_memory_equal(b.ptr, "a\0b\0", 4);

    assert_int_equal(llmgw__buf_set(&b, "xyz", 3), 0);
    assert_string_equal(b.ptr, "xyz");
    assert_int_equal(b.size, 3);
    llmgw_buf_dispose(&b);
}

static void test_printf(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    char big[3000];

    (void)state;
    assert_int_equal(llmgw__buf_printf(&b, "%s=%d;", "a", 1), 0);
    assert_int_equal(llmgw__buf_printf(&b, "%s", ""), 0);
    assert_int_equal(llmgw__buf_printf(&b, "%05.1f|%x", 2.25, 255u), 0);
    assert_string_equal(b.ptr, "a=1;002.2|ff");
    assert_int_equal(b.size, strlen(b.ptr));
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(llmgw__buf_printf(&b, "[%s]", big), 0);
    assert_int_equal(b.size, 12 + 2 + 2999);
    assert_int_equal(b.ptr[12], '[');
    assert_int_equal(b.ptr[b.size - 1], ']');
    assert_int_equal(b.ptr[b.size], '\0');
    llmgw_buf_dispose(&b);
}

static void test_detach_and_secret(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    char *p;

    (void)state;
    assert_int_equal(llmgw__buf_puts(&b, "hello"), 0);
    p = llmgw__buf_detach(&b);
    assert_string_equal(p, "hello");
    assert_null(b.ptr);
    assert_int_equal(b.size, 0);
    assert_int_equal(b.asize, 0);
    llmgw__free(p);
    assert_null(llmgw__buf_detach(&b));

    assert_int_equal(llmgw__buf_puts(&b, "sk-secret"), 0);
    llmgw__buf_dispose_secret(&b);
    assert_null(b.ptr);
    assert_int_equal(b.asize, 0);
    llmgw__buf_dispose_secret(&b);
    llmgw__buf_dispose_secret(NULL);
}

static void test_overflow_and_oom(void **state)
{
    llmgw_buf b = LLMGW_BUF_INIT;
    char *before;

    (void)state;
    assert_int_equal(llmgw__buf_puts(&b, "keep"), 0);
    assert_fails_with(llmgw__buf_grow(&b, SIZE_MAX), LLMGW_ENOMEM, "out of memory");
    assert_fails_with(llmgw__buf_grow(&b, SIZE_MAX - 4), LLMGW_ENOMEM, "out of memory");
    assert_string_equal(b.ptr, "keep");

    /* a failed allocation leaves the buffer as it was */
    before = b.ptr;
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(llmgw__buf_put(&b, "0123456789012345678901234567890123456789012345678901234567890123456789",
                                    70), LLMGW_ENOMEM);
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    assert_ptr_equal(b.ptr, before);
    assert_int_equal(b.size, 4);
    assert_string_equal(b.ptr, "keep");
    /* the next one works again */
    assert_int_equal(llmgw__buf_puts(&b, "!"), 0);
    assert_string_equal(b.ptr, "keep!");
    llmgw_buf_dispose(&b);
}

static void test_alloc_wrappers(void **state)
{
    char *s;
    unsigned long n;

    (void)state;
    assert_null(llmgw__reallocarray(NULL, SIZE_MAX / 2 + 1, 2));
    assert_null(llmgw__strdup(NULL));
    assert_null(llmgw__strndup(NULL, 3));
    s = llmgw__strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    llmgw__free(s);
    s = llmgw__strdup("secret");
    llmgw__free_secret(s);
    llmgw__free_secret(NULL);

    /* counting, then failing the nth (transient) or nth and later (persistent) */
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    llmgw__free(llmgw__malloc(1));
    llmgw__free(llmgw__calloc(2, 2));
    assert_int_equal(llmgw__alloc_count(), 2);
    n = llmgw__alloc_fail_at(2, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(n, 2);
    s = llmgw__malloc(4);
    assert_non_null(s);
    assert_null(llmgw__realloc(s, 8));   /* the 2nd fails; s is still ours */
    llmgw__free(s);
    s = llmgw__malloc(4);
    assert_non_null(s);
    llmgw__free(s);
    llmgw__alloc_fail_at(1, LLMGW__ALLOC_PERSISTENT);
    assert_null(llmgw__malloc(1));
    assert_null(llmgw__calloc(1, 1));
    assert_null(llmgw__strdup("x"));
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    s = llmgw__malloc(0);               /* size 0 still gives a pointer to free */
    assert_non_null(s);
    llmgw__free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_put_and_grow),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_detach_and_secret),
        cmocka_unit_test(test_overflow_and_oom),
        cmocka_unit_test(test_alloc_wrappers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
