/*
 * tests/fuzz/fuzz_cache_entry.c: the cache entry decoder (lib/cache/entry.c,
 * entry_tape.c) on untrusted backend values (Redis, docs/resilience.md §b.7
 * and §e.5 F9). The input is the value, checked against a fixed digest.
 *
 * Oracles beyond "no crash, no leak, no UB":
 *   - the allocation-free tape decoder either defers (1) or returns exactly
 *     what the cJSON tree decoder returns, with the same entry;
 *   - llmgw__cache_entry_decode agrees with the tree;
 *   - a decoded entry encodes again (the decoder lets nothing through the
 *     encoder would refuse), and encode, decode, encode is a fixed point;
 *   - a value that decodes for this request is a miss under any other digest;
 *   - a miss leaves the entry empty.
 */
#include "fuzz_common.h"

#include "cache/cache.h"
#include "cache/entry_format.h"
#include "core/buf.h"

#define DIGEST  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST2 "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int empty(const llmgw__cache_entry *e)
{
    return e->answer.text.ptr == NULL && e->provider == NULL && e->deployment == NULL;
}

/* The entry's encoding (0), or the encoder's refusal. */
static int encode(llmgw_buf *out, const llmgw__cache_entry *e)
{
    out->size = 0;
    return llmgw__cache_entry_encode(out, e, DIGEST);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmgw__cache_entry tree, tape, dec, again, other;
    llmgw_buf a = LLMGW_BUF_INIT, b = LLMGW_BUF_INIT;
    char *value = malloc(size ? size : 1);    /* exactly sized: ASan sees any read past the end */
    int rt, rp, rd, ro;

    if (value == NULL)
        return 0;
    if (size)
        memcpy(value, data, size);
    memset(&tree, 0, sizeof(tree));
    memset(&tape, 0, sizeof(tape));
    memset(&dec, 0, sizeof(dec));
    memset(&other, 0, sizeof(other));

    rt = llmgw__cache_entry_decode_tree(&tree, value, size, DIGEST);
    rd = llmgw__cache_entry_decode(&dec, value, size, DIGEST);
    FUZZ_CHECK(rt == 0 || rt == LLMGW_ENOTFOUND);
    FUZZ_CHECK(rd == rt);
    if (rt != 0)
        FUZZ_CHECK(empty(&tree) && empty(&dec));

    /* the tape decoder is only called on what the public decoder pre-checked: a well-formed NUL-free value */
    if (size <= LLMGW__CACHE_ENTRY_MAX_BYTES && memchr(value, 0, size) == NULL) {
        rp = llmgw__cache_entry_decode_tape(&tape, value, size, DIGEST);
        FUZZ_CHECK(rp == 0 || rp == 1);
        if (rp == 1) {
            FUZZ_CHECK(empty(&tape));
        } else {
            FUZZ_CHECK(rt == 0);
            FUZZ_CHECK(encode(&a, &tape) == 0 && encode(&b, &tree) == 0);
            FUZZ_CHECK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0);
            llmgw__cache_entry_dispose(&tape);
        }
    }

    if (rt == 0) {
        /* what was decoded encodes, and encode -> decode -> encode is a fixed point */
        FUZZ_CHECK(encode(&a, &tree) == 0);
        memset(&again, 0, sizeof(again));
        FUZZ_CHECK(llmgw__cache_entry_decode(&again, a.ptr, a.size, DIGEST) == 0);
        FUZZ_CHECK(encode(&b, &again) == 0);
        FUZZ_CHECK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0);
        llmgw__cache_entry_dispose(&again);
        FUZZ_CHECK(encode(&b, &dec) == 0);
        FUZZ_CHECK(a.size == b.size && memcmp(a.ptr, b.ptr, a.size) == 0);
    }

    /* an entry stored for this request is a miss for any other request: nothing decoded */
    if (rt == 0) {
        ro = llmgw__cache_entry_decode(&other, value, size, DIGEST2);
        FUZZ_CHECK(ro == LLMGW_ENOTFOUND);
        FUZZ_CHECK(empty(&other));
    }

    llmgw__cache_entry_dispose(&tree);
    llmgw__cache_entry_dispose(&dec);
    llmgw__cache_entry_dispose(&other);
    llmgw_buf_dispose(&a);
    llmgw_buf_dispose(&b);
    free(value);
    return 0;
}
