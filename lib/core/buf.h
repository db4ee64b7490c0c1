/*
 * lib/core/buf.h: growable byte buffers (the public llmgw_buf, internally).
 * Contents are always NUL-terminated once allocated.
 */
#ifndef LLMGW_CORE_BUF_H
#define LLMGW_CORE_BUF_H

#include "common.h"

int   llmgw__buf_grow(llmgw_buf *b, size_t extra);
int   llmgw__buf_put(llmgw_buf *b, const char *data, size_t len);
int   llmgw__buf_puts(llmgw_buf *b, const char *s);
int   llmgw__buf_putc(llmgw_buf *b, char c);
int   llmgw__buf_printf(llmgw_buf *b, const char *fmt, ...) LLMGW_PRINTF(2, 3);
int   llmgw__buf_set(llmgw_buf *b, const char *data, size_t len);
void  llmgw__buf_clear(llmgw_buf *b);
/* Contents as a C string: "" when nothing was allocated. */
const char *llmgw__buf_cstr(const llmgw_buf *b);
/* Take the allocation (caller frees with llmgw__free); the buffer is reset. */
char *llmgw__buf_detach(llmgw_buf *b);
/* Zeroize, then dispose. */
void  llmgw__buf_dispose_secret(llmgw_buf *b);

#endif
