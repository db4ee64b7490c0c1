/*
 * lib/core/utf8.h: UTF-8 validation for strings handed to callers.
 */
#ifndef LLMGW_CORE_UTF8_H
#define LLMGW_CORE_UTF8_H

#include "common.h"

/* Length of the complete, valid sequence at s (1-4), or 0 when invalid or incomplete. */
size_t llmgw__utf8_seq(const unsigned char *s, size_t avail);
bool   llmgw__utf8_valid(const char *s, size_t len);
/* Append s to out, replacing each invalid byte (and embedded NUL) with U+FFFD. */
int    llmgw__utf8_append_sanitized(llmgw_buf *out, const char *s, size_t len);

#endif
