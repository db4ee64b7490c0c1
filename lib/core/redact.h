/*
 * lib/core/redact.h: the one redaction pass every string leaving the
 * library goes through (docs/resilience.md §d.3).
 */
#ifndef LLMGW_CORE_REDACT_H
#define LLMGW_CORE_REDACT_H

#include <stddef.h>

/*
 * Copy src (srclen bytes) into dst (always NUL-terminated, truncated to
 * dstsize) with credentials masked: header values of authorization,
 * x-api-key, api-key, x-goog-api-key, proxy-authorization; query values of
 * key=, api_key=, token=, X-Amz-Signature=, X-Amz-Credential=; Bearer tokens;
 * token shapes sk-..., AIza..., AKIA/ASIA...; and every exact occurrence of
 * the extra secrets given (NULL-terminated list, may be NULL). Control
 * characters become spaces; invalid UTF-8 becomes '?'. Returns the length.
 */
size_t llmgw__redact(char *dst, size_t dstsize, const char *src, size_t srclen,
                     const char *const *secrets);

#endif
