/*
 * sys/errors.h: setting the thread's last error, for extension authors.
 */
#ifndef LLMGW_SYS_ERRORS_H
#define LLMGW_SYS_ERRORS_H

#include "../common.h"
#include "../errors.h"

LLMGW_BEGIN_DECLS

/**
 * Set this thread's last error (printf format). The class is derived from
 * the code unless set with llmgw_error_set_class() afterwards. The message
 * is redacted before it is stored. Returns code, so a caller may
 * `return llmgw_error_set(LLMGW_EINVAL, "...")`.
 */
LLMGW_API int llmgw_error_set(int code, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/** Set the class of the last error. */
LLMGW_API void llmgw_error_set_class(int error_class);

LLMGW_END_DECLS

#endif
