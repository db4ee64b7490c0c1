/*
 * lib/providers/translate.h: what providers whose wire format is not
 * OpenAI-shaped (cohere, ollama) share when they translate the canonical
 * request and read answers back: refusing a member they cannot express
 * (or dropping it under drop_params), stop sequences, the bearer header,
 * checked token counts and case-insensitive message matching.
 */
#ifndef LLMGW_PROVIDERS_TRANSLATE_H
#define LLMGW_PROVIDERS_TRANSLATE_H

#include "../core/common.h"
#include "../core/json.h"

/*
 * A member the provider cannot express: 0 when the request has drop_params
 * (the caller drops it), else LLMGW_EUNSUPPORTED (class unsupported) with a
 * message naming the provider and the member.
 */
int  llmgw__translate_refuse(const llmgw_request *req, const char *provider, const char *fmt, ...)
    LLMGW_PRINTF(3, 4);
/* A request member that cannot be translated as given: LLMGW_EINVAL, class bad_request. */
int  llmgw__translate_bad(const char *provider, const char *fmt, ...) LLMGW_PRINTF(2, 3);
/* The upstream's answer does not have the documented shape: LLMGW_EUNAVAILABLE, class server_error. */
int  llmgw__translate_malformed(const char *provider, const char *what);
/* The canonical "stop" (a string or an array of strings) as a new array in *out (NULL when absent). */
int  llmgw__translate_stop(cJSON **out, const cJSON *stop);
/* o.function = fn, then o appended to arr; whatever is not attached is freed. */
int  llmgw__translate_add_function(cJSON *arr, cJSON *o, cJSON *fn);
/* Add "Authorization: Bearer <key>", wiping the temporary copy. */
int  llmgw__translate_bearer(llmgw_http_request *out, const char *key);
/*
 * obj[key] as a token count: absent or null leaves *out at 0 and returns 0
 * (*present false); anything but an integer in [0, 2^40) is a malformed answer.
 */
int  llmgw__translate_count(const cJSON *obj, const char *key, const char *provider, uint64_t *out,
                            bool *present);
/*
 * The error class an upstream message stands for when the provider gives no
 * code (llmgw's heuristics): context-size wording ("too many tokens",
 * "context length", "context window", "maximum context", "prompt is too long")
 * -> context_length_exceeded; "rate limit", "too many requests" -> rate_limit;
 * else fallback.
 */
int  llmgw__translate_message_class(const char *message, int fallback);
/* hay contains needle, ignoring ASCII case; false for NULL. */
bool llmgw__translate_contains(const char *hay, const char *needle);

#endif
