/*
 * tests/support/fixture.h: reading test fixtures.
 *   fixture_read("anthropic/stream.sse", &len)   project fixtures (tests/fixtures/)
 *   shared_read("fixtures/openai/stream.sse", &len)  ../shared (skip the test when NULL)
 */
#ifndef LLMGW_TESTS_FIXTURE_H
#define LLMGW_TESTS_FIXTURE_H

#include <stddef.h>

/* malloc'd, NUL-terminated contents; NULL when missing. free() it. */
char *fixture_read(const char *relpath, size_t *len_out);
char *shared_read(const char *relpath, size_t *len_out);
/* Read any file. */
char *file_read(const char *path, size_t *len_out);

#endif
