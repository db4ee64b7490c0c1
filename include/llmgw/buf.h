/*
 * buf.h: strings handed to the caller.
 *
 * A function that returns a string to keep fills an llmgw_buf; release it
 * with llmgw_buf_dispose(), which frees what the struct points to, not the
 * struct itself. Never free() buf.ptr directly.
 */
#ifndef LLMGW_BUF_H
#define LLMGW_BUF_H

#include "common.h"

LLMGW_BEGIN_DECLS

typedef struct llmgw_buf {
    char  *ptr;    /**< NUL-terminated contents, or NULL when empty and unallocated */
    size_t size;   /**< bytes in use, not counting the NUL */
    size_t asize;  /**< bytes allocated */
} llmgw_buf;

#define LLMGW_BUF_INIT { NULL, 0, 0 }

/** Free the contents and reset the struct to LLMGW_BUF_INIT. NULL is a no-op. */
LLMGW_API void llmgw_buf_dispose(llmgw_buf *buf);

LLMGW_END_DECLS

#endif
