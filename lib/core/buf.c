/*
 * lib/core/buf.c: growable byte buffers.
 */
#include "common.h"
#include "buf.h"
#include "errors.h"

#include <stdarg.h>
#include <stdio.h>

void llmgw_buf_dispose(llmgw_buf *b)
{
    if (b == NULL)
        return;
    llmgw__free(b->ptr);
    b->ptr = NULL;
    b->size = 0;
    b->asize = 0;
}

void llmgw__buf_dispose_secret(llmgw_buf *b)
{
    if (b == NULL)
        return;
    if (b->ptr != NULL)
        llmgw__zeroize(b->ptr, b->asize);
    llmgw_buf_dispose(b);
}

int llmgw__buf_grow(llmgw_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (extra > SIZE_MAX - b->size - 1)
        return llmgw__error_oom();
    need = b->size + extra + 1;
    if (need <= b->asize)
        return 0;
    cap = b->asize ? b->asize : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    p = llmgw__realloc(b->ptr, cap);
    if (p == NULL)
        return llmgw__error_oom();
    b->ptr = p;
    b->asize = cap;
    return 0;
}

int llmgw__buf_put(llmgw_buf *b, const char *data, size_t len)
{
    LLMGW_TRY(llmgw__buf_grow(b, len));
    if (len)
        memcpy(b->ptr + b->size, data, len);
    b->size += len;
    b->ptr[b->size] = '\0';
    return 0;
}

int llmgw__buf_puts(llmgw_buf *b, const char *s)
{
    return llmgw__buf_put(b, s, strlen(s));
}

int llmgw__buf_putc(llmgw_buf *b, char c)
{
    return llmgw__buf_put(b, &c, 1);
}

int llmgw__buf_set(llmgw_buf *b, const char *data, size_t len)
{
    b->size = 0;
    return llmgw__buf_put(b, data, len);
}

void llmgw__buf_clear(llmgw_buf *b)
{
    b->size = 0;
    if (b->ptr)
        b->ptr[0] = '\0';
}

const char *llmgw__buf_cstr(const llmgw_buf *b)
{
    return b->ptr ? b->ptr : "";
}

char *llmgw__buf_detach(llmgw_buf *b)
{
    char *p = b->ptr;

    b->ptr = NULL;
    b->size = 0;
    b->asize = 0;
    return p;
}

int llmgw__buf_printf(llmgw_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return llmgw__error_setc(LLMGW_ERROR, LLMGW_ERRCLASS_NONE, "format error");
    LLMGW_TRY(llmgw__buf_grow(b, (size_t)n));
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->size, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->size += (size_t)n;
    return 0;
}
