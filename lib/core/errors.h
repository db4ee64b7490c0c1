/*
 * lib/core/errors.h: setting the per-thread last error from inside the library.
 */
#ifndef LLMGW_CORE_ERRORS_H
#define LLMGW_CORE_ERRORS_H

#include "common.h"

/* Everything about an error; message is redacted on the way in. */
typedef struct llmgw__error_detail {
    int         code;
    int         error_class;
    int         http_status;
    int64_t     retry_after_ms;
    const char *provider;
} llmgw__error_detail;

/* Set the last error with every detail; returns code. */
int  llmgw__error_setd(const llmgw__error_detail *d, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/* Set with an explicit class; returns code. */
int  llmgw__error_setc(int code, int error_class, const char *fmt, ...) LLMGW_PRINTF(3, 4);
/* Out of memory: never allocates; returns LLMGW_ENOMEM. */
int  llmgw__error_oom(void);
/* Attach a copy of an attempt trail to the last error (best effort). */
void llmgw__error_set_trail(const llmgw_attempt *attempts, size_t n);
/* The class a status code stands for by default. */
int  llmgw__status_default_class(int code);

#endif
