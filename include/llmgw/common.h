/*
 * llmgw: an embeddable LLM gateway.
 * common.h: export macros, C++ guards and the opaque handle types.
 */
#ifndef LLMGW_COMMON_H
#define LLMGW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && __GNUC__ >= 4 && !defined(LLMGW_STATIC)
#  define LLMGW_API __attribute__((visibility("default")))
#else
#  define LLMGW_API
#endif

#ifdef __cplusplus
#  define LLMGW_BEGIN_DECLS extern "C" {
#  define LLMGW_END_DECLS   }
#else
#  define LLMGW_BEGIN_DECLS
#  define LLMGW_END_DECLS
#endif

#if defined(__GNUC__)
#  define LLMGW_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#  define LLMGW_PRINTF(fmt, args)
#endif

LLMGW_BEGIN_DECLS

/** A gateway: deployments, providers, pools and shared state. Thread-safe. */
typedef struct llmgw_gateway llmgw_gateway;
/** One logical request (chat completion). Used by one thread at a time. */
typedef struct llmgw_request llmgw_request;
/** The normalized answer to one logical request. Used by one thread at a time. */
typedef struct llmgw_response llmgw_response;
/** A read-only view of a parsed JSON value (see llmgw/json.h). */
typedef struct llmgw_json llmgw_json;
/** One HTTP exchange in a request's attempt trail (see llmgw/hooks.h). */
typedef struct llmgw_attempt llmgw_attempt;

LLMGW_END_DECLS

#endif
