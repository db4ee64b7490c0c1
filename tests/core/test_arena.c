/*
 * tests/core/test_arena.c: bump allocation (lib/core/arena.c).
 */
#include "unit.h"

#include "core/arena.h"

static void test_alignment_and_contents(void **state)
{
    llmgw__arena a = LLMGW__ARENA_INIT;
    unsigned char *p[300];
    size_t i, j;

    (void)state;
    for (i = 0; i < 300; i++) {
        size_t size = 1 + (i * 37) % 200;          /* crosses many chunk boundaries */
        p[i] = llmgw__arena_alloc(&a, size);
        assert_non_null(p[i]);
        assert_int_equal((uintptr_t)p[i] % _Alignof(max_align_t), 0);
        memset(p[i], (int)(i & 0xFF), size);
    }
    /* later allocations never overwrite earlier ones */
    for (i = 0; i < 300; i++) {
        size_t size = 1 + (i * 37) % 200;
        for (j = 0; j < size; j++)
            assert_int_equal(p[i][j], i & 0xFF);
    }
    llmgw__arena_dispose(&a);
    assert_null(a.head);
    llmgw__arena_dispose(&a);                        /* twice is harmless */
}

static void test_large_block(void **state)
{
    llmgw__arena a = LLMGW__ARENA_INIT;
    char *small, *big, *after;

    (void)state;
    small = llmgw__arena_alloc(&a, 10);
    big = llmgw__arena_alloc(&a, 100000);            /* bigger than a chunk */
    assert_non_null(small);
    assert_non_null(big);
    memset(big, 'b', 100000);
    after = llmgw__arena_alloc(&a, 16);
    assert_non_null(after);
    memset(after, 'c', 16);
    assert_int_equal(big[99999], 'b');
    llmgw__arena_dispose(&a);
}

static void test_dup(void **state)
{
    llmgw__arena a = LLMGW__ARENA_INIT;
    const char *s = (const char *)(uintptr_t)1, *t = NULL;
    char src[] = "deployment-1";

    (void)state;
    assert_int_equal(llmgw__arena_dup(&a, &s, NULL), 0);
    assert_null(s);
    assert_int_equal(llmgw__arena_dup(&a, &s, src), 0);
    assert_ptr_not_equal(s, src);
    src[0] = 'X';
    assert_string_equal(s, "deployment-1");
    assert_int_equal(llmgw__arena_dup(&a, &t, ""), 0);
    assert_string_equal(t, "");
    llmgw__arena_dispose(&a);
}

static void test_overflow_and_oom(void **state)
{
    llmgw__arena a = LLMGW__ARENA_INIT;
    const char *s = NULL;

    (void)state;
    assert_null(llmgw__arena_alloc(&a, SIZE_MAX));
    assert_null(llmgw__arena_alloc(&a, SIZE_MAX - 3));
    assert_null(llmgw__arena_alloc(&a, SIZE_MAX - 20));       /* chunk header would overflow */
    assert_null(a.head);

    llmgw__alloc_fail_at(1, LLMGW__ALLOC_TRANSIENT);
    assert_fails_with(llmgw__arena_dup(&a, &s, "x"), LLMGW_ENOMEM, "out of memory");
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    assert_int_equal(llmgw__arena_dup(&a, &s, "x"), 0);
    assert_string_equal(s, "x");
    llmgw__arena_dispose(&a);
}

static void test_inline_block(void **state)
{
    max_align_t mem[4];
    const size_t unit = sizeof(max_align_t);
    llmgw__arena a;
    char *p1, *p2, *p3, *p4;
    const char *s = NULL;

    (void)state;
    llmgw__arena_init(&a, mem, sizeof(mem));
    llmgw__alloc_fail_at(0, LLMGW__ALLOC_TRANSIENT);
    p1 = llmgw__arena_alloc(&a, 1);
    p2 = llmgw__arena_alloc(&a, 3 * unit);           /* fills the block exactly */
    assert_ptr_equal(p1, (char *)mem);
    assert_ptr_equal(p2, (char *)mem + unit);
    assert_int_equal(llmgw__alloc_count(), 0);        /* no heap allocation yet */
    p3 = llmgw__arena_alloc(&a, 1);                   /* the block is full: a chunk */
    assert_non_null(p3);
    assert_true((uintptr_t)p3 < (uintptr_t)mem || (uintptr_t)p3 >= (uintptr_t)(mem + 4));
    assert_int_equal(llmgw__alloc_count(), 1);
    memset(p2, 'x', 3 * unit);
    memset(p3, 'y', 1);
    assert_int_equal(llmgw__arena_dup(&a, &s, "after"), 0);
    assert_string_equal(s, "after");
    assert_int_equal(p2[3 * unit - 1], 'x');
    llmgw__arena_dispose(&a);
    /* after dispose the block is used again from its start */
    p4 = llmgw__arena_alloc(&a, 8);
    assert_ptr_equal(p4, (char *)mem);
    llmgw__arena_dispose(&a);
    /* a request larger than the block goes to the heap */
    llmgw__arena_init(&a, mem, sizeof(mem));
    p4 = llmgw__arena_alloc(&a, sizeof(mem) + 1);
    assert_non_null(p4);
    assert_true((uintptr_t)p4 < (uintptr_t)mem || (uintptr_t)p4 >= (uintptr_t)(mem + 4));
    llmgw__arena_dispose(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_and_contents),
        cmocka_unit_test(test_large_block),
        cmocka_unit_test(test_dup),
        cmocka_unit_test(test_overflow_and_oom),
        cmocka_unit_test(test_inline_block),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
