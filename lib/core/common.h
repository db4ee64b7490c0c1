/*
 * lib/core/common.h: the internal prelude every library file includes first.
 */
#ifndef LLMGW_CORE_COMMON_H
#define LLMGW_CORE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llmgw_build_config.h"
#include "llmgw/llmgw.h"
#include "llmgw/sys/errors.h"
#include "llmgw/sys/json.h"
#include "llmgw/sys/provider.h"

#include "alloc.h"

#define LLMGW_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LLMGW_UNUSED(x) ((void)(x))
#define LLMGW_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LLMGW_MAX(a, b) ((a) > (b) ? (a) : (b))

/* Check a NULL argument and fail with LLMGW_EINVAL naming it. */
#define LLMGW_CHECK_ARG(arg) \
    do { if ((arg) == NULL) return llmgw__error_null_arg(#arg, __func__); } while (0)

/* Propagate a negative status. */
#define LLMGW_TRY(expr) \
    do { int llmgw__rc_ = (expr); if (llmgw__rc_ < 0) return llmgw__rc_; } while (0)

int llmgw__error_null_arg(const char *name, const char *func);

/* Token counts are validated to [0, 2^40). */
#define LLMGW_MAX_TOKENS_VALUE ((uint64_t)1 << 40)

#endif
