/*
 * lib/providers/gemini.h: the Gemini API (generateContent) translation,
 * split by concern (docs/providers.md §4):
 *   gemini.c           vtable, the HTTP request, responses and stream events
 *   gemini_request.c   canonical request -> body: parameters, tools, JSON mode
 *   gemini_contents.c  messages -> contents and systemInstruction
 *   gemini_error.c     google.rpc.Status errors: class, retry delay, message
 */
#ifndef LLMGW_PROVIDERS_GEMINI_H
#define LLMGW_PROVIDERS_GEMINI_H

#include "../core/common.h"
#include "../core/json.h"

/* The generateContent request body for req (the model goes in the URL). */
int llmgw__gemini_body(llmgw_buf *out, const llmgw_request *req);

/* Map req's messages onto body: "contents" and, when there are system or
 * developer messages, "systemInstruction". */
int llmgw__gemini_contents(cJSON *body, const llmgw_request *req);

/*
 * Something Gemini cannot express, named by fmt: LLMGW_EUNSUPPORTED (class
 * unsupported), or 1 when the request has drop_params set (drop it).
 */
int llmgw__gemini_unsupported(const llmgw_request *req, const char *fmt, ...) LLMGW_PRINTF(2, 3);

/* The class a google.rpc.Status HTTP code stands for (error.code), NONE if unknown. */
int llmgw__gemini_http_class(int http_status);

/*
 * Refine out from a google.rpc.Status object {"code","message","status",
 * "details"}: class (API key, context length, quota), retry delay from
 * RetryInfo when out->retry_after_ms < 0, and the message.
 */
void llmgw__gemini_error_object(llmgw_error_info *out, const cJSON *err);

/* The vtable's classify_error. */
int llmgw__gemini_classify_error(llmgw_error_info *out, void *state, const llmgw_http_response *in);

#endif
