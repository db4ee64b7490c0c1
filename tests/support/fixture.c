/*
 * tests/support/fixture.c
 */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>

#ifndef LLMGW_FIXTURES
#define LLMGW_FIXTURES "tests/fixtures"
#endif
#ifndef LLMGW_SHARED
#define LLMGW_SHARED "../shared"
#endif

char *file_read(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len_out)
                *len_out = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static char *read_under(const char *root, const char *rel, size_t *len_out)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/%s", root, rel);
    return file_read(path, len_out);
}

char *fixture_read(const char *relpath, size_t *len_out)
{
    return read_under(LLMGW_FIXTURES, relpath, len_out);
}

char *shared_read(const char *relpath, size_t *len_out)
{
    const char *root = getenv("LLMGW_SHARED_DIR");

    return read_under(root ? root : LLMGW_SHARED, relpath, len_out);
}
