/*
 * tests/faults/rows.c: the fault matrix's rows: every fault of issue 9 and
 * docs/resilience.md §e.2 with the outcome §b.2 (classification: R retry, F
 * fail over) and §b.3 (streams: the commit point) call for.
 *
 * A row's step is the faulty answer. Run alone (modes ns, stream, cache-*),
 * the deployment's next answer is fine, so "retried" means a success on the
 * second attempt; in a group (failover-*) the faulty deployment answers the
 * same way every time and a second, healthy one (another credential) follows
 * it in priority order.
 *
 * The gateway under test: max_attempts 3, attempt timeout 2 s, first-byte and
 * idle timeouts 300 ms, request deadline 9 s, response and stream caps 64 KiB,
 * at most 50 response headers (faults.c).
 *
 * Mock stream events (OpenAI dialect, default text of five words): 1 role
 * chunk, 2-6 text, 7 finish, 8 usage, 9 [DONE]. "After 1 event" is before the
 * commit point (nothing delivered yet); "after 3 events" is after it.
 */
#include "faults.h"

#define NA        { K_NA, 0, 0, 0, 0, 0, 0 }
#define OK        { K_OK, 0, 0, 0, 0, 0, 0 }
/* retried on the same deployment, and failed over in a group */
#define RT(c)     { K_RETRY, 0, LLMGW_ERRCLASS_##c, 1, 0, 0, 0 }
/* retried after at least ms on the same deployment; failed over in a group */
#define RTW(c, ms) { K_RETRY, 0, LLMGW_ERRCLASS_##c, 1, 0, 0, ms }
/* retried, but never failed over: in a group, n attempts on the faulty deployment, then its error */
#define RT_NOFO(c, n) { K_RETRY, 0, LLMGW_ERRCLASS_##c, 0, n, 0, 0 }
/* the same, after waiting at least ms */
#define RTW_NOFO(c, n, ms) { K_RETRY, 0, LLMGW_ERRCLASS_##c, 0, n, 0, ms }
/* fails at once and is failed over in a group */
#define FAIL_FO(code, c) { K_FAIL, LLMGW_##code, LLMGW_ERRCLASS_##c, 1, 0, 0, 0 }
#define FAIL_FO_RA(code, c, ra) { K_FAIL, LLMGW_##code, LLMGW_ERRCLASS_##c, 1, 0, ra, 0 }
/* fails at once, everywhere (with the hint the error must carry) */
#define FAIL(code, c) { K_FAIL, LLMGW_##code, LLMGW_ERRCLASS_##c, 0, 0, 0, 0 }
#define FAIL_RA(code, c, ra) { K_FAIL, LLMGW_##code, LLMGW_ERRCLASS_##c, 0, 0, ra, 0 }
/* every attempt fails; failed over in a group */
#define DEAD(code, c) { K_DEAD, LLMGW_##code, LLMGW_ERRCLASS_##c, 1, 0, 0, 0 }

#define ERR(status, type, code) "{\"status\":" #status ",\"error_type\":\"" type "\",\"error_code\":\"" code "\"}"

const frow fault_rows[] = {
    /* ---- connections ---- */
    { "refused", "@dead", DEAD(EUNAVAILABLE, NETWORK), DEAD(EUNAVAILABLE, NETWORK) },
    { "dns-invalid", "@dns", DEAD(EUNAVAILABLE, NETWORK), DEAD(EUNAVAILABLE, NETWORK) },
    { "reset-before-status", "{\"reset\":\"before_headers\"}", RT(NETWORK), RT(NETWORK) },
    { "reset-after-headers", "{\"reset\":\"after_headers\"}", RT(NETWORK), RT(NETWORK) },
    /* non-stream: half the body; stream: half its bytes, text already delivered */
    { "reset-mid-body", "{\"reset\":\"mid_body\"}", RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "reset-mid-stream-precommit", "{\"reset\":\"after_events\",\"reset_after_events\":1}", NA, RT(NETWORK) },
    { "reset-mid-stream-postcommit", "{\"reset\":\"after_events\",\"reset_after_events\":3}", NA,
      FAIL(EUNAVAILABLE, STREAM_CUT) },
    /* ---- stalls and slow bodies ---- */
    { "stall-before-status", "{\"delay_ms\":-1}", RT(TIMEOUT), RT(TIMEOUT) },
    { "stall-before-first-byte", "{\"first_byte_delay_ms\":60000}", RT(TIMEOUT), RT(TIMEOUT) },
    /* a non-stream body is one event: the stall comes after it, the answer is complete */
    { "stall-between-events-precommit", "{\"stall_after_events\":1,\"stall_ms\":-1}", OK, RT(TIMEOUT) },
    { "stall-between-events-postcommit", "{\"stall_after_events\":3,\"stall_ms\":-1}", OK,
      FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "drip-within-timeouts", "{\"text\":\"hi\",\"drip_ms\":1}", OK, OK },
    { "drip-past-attempt-timeout", "{\"drip_ms\":50}", RT(TIMEOUT), RT(TIMEOUT) },
    /* ---- statuses (§b.2), no hint ---- */
    { "400", "{\"status\":400}", FAIL(EPROVIDER, BAD_REQUEST), FAIL(EPROVIDER, BAD_REQUEST) },
    { "400-context-length", ERR(400, "invalid_request_error", "context_length_exceeded"),
      FAIL(EPROVIDER, CONTEXT_LENGTH_EXCEEDED), FAIL(EPROVIDER, CONTEXT_LENGTH_EXCEEDED) },
    { "400-content-policy", ERR(400, "invalid_request_error", "content_policy_violation"),
      FAIL(EPROVIDER, CONTENT_POLICY), FAIL(EPROVIDER, CONTENT_POLICY) },
    { "401", "{\"status\":401,\"error_code\":\"invalid_api_key\"}", FAIL_FO(EAUTH, AUTH), FAIL_FO(EAUTH, AUTH) },
    { "402", "{\"status\":402}", FAIL_FO(ERATELIMIT, QUOTA_EXCEEDED), FAIL_FO(ERATELIMIT, QUOTA_EXCEEDED) },
    { "403", "{\"status\":403}", FAIL_FO(EAUTH, AUTH), FAIL_FO(EAUTH, AUTH) },
    { "404", "{\"status\":404,\"error_code\":\"model_not_found\"}", FAIL_FO(ENOTFOUND, NOT_FOUND),
      FAIL_FO(ENOTFOUND, NOT_FOUND) },
    { "408", "{\"status\":408}", RT(TIMEOUT), RT(TIMEOUT) },
    { "409", "{\"status\":409}", RT_NOFO(BAD_REQUEST, 2), RT_NOFO(BAD_REQUEST, 2) },
    { "413", "{\"status\":413}", FAIL(EPROVIDER, BAD_REQUEST), FAIL(EPROVIDER, BAD_REQUEST) },
    { "422", "{\"status\":422}", FAIL(EPROVIDER, BAD_REQUEST), FAIL(EPROVIDER, BAD_REQUEST) },
    { "425", "{\"status\":425}", RT_NOFO(SERVER_ERROR, 3), RT_NOFO(SERVER_ERROR, 3) },
    /* a 429 holds its deployment 10 s without a hint: no retry inside a 9 s deadline, fail over first */
    { "429", "{\"status\":429}", FAIL_FO(ERATELIMIT, RATE_LIMIT), FAIL_FO(ERATELIMIT, RATE_LIMIT) },
    { "429-insufficient-quota", ERR(429, "insufficient_quota", "insufficient_quota"),
      FAIL_FO(ERATELIMIT, QUOTA_EXCEEDED), FAIL_FO(ERATELIMIT, QUOTA_EXCEEDED) },
    { "500", "{\"status\":500}", RT(SERVER_ERROR), RT(SERVER_ERROR) },
    { "501", "{\"status\":501}", FAIL_FO(EUNAVAILABLE, SERVER_ERROR), FAIL_FO(EUNAVAILABLE, SERVER_ERROR) },
    { "502", "{\"status\":502}", RT(SERVER_ERROR), RT(SERVER_ERROR) },
    { "503", "{\"status\":503}", RT(SERVER_ERROR), RT(SERVER_ERROR) },
    { "504", "{\"status\":504}", RT(SERVER_ERROR), RT(SERVER_ERROR) },
    { "505", "{\"status\":505}", FAIL_FO(EUNAVAILABLE, SERVER_ERROR), FAIL_FO(EUNAVAILABLE, SERVER_ERROR) },
    { "529-overloaded", "{\"status\":529,\"body\":\"{\\\"type\\\":\\\"error\\\",\\\"error\\\":{\\\"type\\\":"
      "\\\"overloaded_error\\\",\\\"message\\\":\\\"Overloaded\\\"}}\"}", RT(SERVER_ERROR), RT(SERVER_ERROR) },
    { "307-redirect", "{\"status\":307,\"headers\":{\"location\":\"http://127.0.0.2:9/v1/chat/completions\"},"
      "\"body\":\"\"}", FAIL_FO(EINVAL, CONFIG), FAIL_FO(EINVAL, CONFIG) },
    /* ---- statuses with hints ---- */
    { "429-retry-after-ms-0", "{\"status\":429,\"headers\":{\"retry-after-ms\":\"0\"}}", RT(RATE_LIMIT),
      RT(RATE_LIMIT) },
    { "429-retry-after-ms-150", "{\"status\":429,\"headers\":{\"retry-after-ms\":\"150\"}}",
      RTW(RATE_LIMIT, 150), RTW(RATE_LIMIT, 150) },
    { "429-retry-after-1", "{\"status\":429,\"headers\":{\"retry-after\":\"1\"}}", RTW(RATE_LIMIT, 1000),
      RTW(RATE_LIMIT, 1000) },
    { "429-retry-after-date-past", "{\"status\":429,\"headers\":{\"retry-after\":\"Sun, 06 Nov 1994 08:49:37 GMT\"}}",
      RT(RATE_LIMIT), RT(RATE_LIMIT) },
    { "429-retry-after-date-2s", "{\"status\":429,\"headers\":{\"retry-after\":\"@DATE+2@\"}}",
      RTW(RATE_LIMIT, 900), RTW(RATE_LIMIT, 900) },
    /* beyond max_server_delay (60 s): not waited for; the caller gets the hint; a group fails over */
    { "429-retry-after-61", "{\"status\":429,\"headers\":{\"retry-after\":\"61\"}}",
      FAIL_FO_RA(ERATELIMIT, RATE_LIMIT, 61000), FAIL_FO_RA(ERATELIMIT, RATE_LIMIT, 61000) },
    { "429-retry-after-86400", "{\"status\":429,\"headers\":{\"retry-after\":\"86400\"}}",
      FAIL_FO_RA(ERATELIMIT, RATE_LIMIT, 86400000), FAIL_FO_RA(ERATELIMIT, RATE_LIMIT, 86400000) },
    /* a hint that is not one: ignored, as if there were none */
    /* no header, a hint in OpenAI's message: honoured like a header (lib/providers/openai_error.c) */
    { "429-hint-in-message", "{\"status\":429,\"error_message\":\"Rate limit reached. Please try again in 20ms.\"}",
      RT(RATE_LIMIT), RT(RATE_LIMIT) },
    { "429-retry-after-negative", "{\"status\":429,\"headers\":{\"retry-after\":\"-1\"}}",
      FAIL_FO(ERATELIMIT, RATE_LIMIT), FAIL_FO(ERATELIMIT, RATE_LIMIT) },
    { "429-retry-after-garbage", "{\"status\":429,\"headers\":{\"retry-after\":\"abc\"}}",
      FAIL_FO(ERATELIMIT, RATE_LIMIT), FAIL_FO(ERATELIMIT, RATE_LIMIT) },
    { "503-retry-after-ms-100", "{\"status\":503,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(SERVER_ERROR, 100), RTW(SERVER_ERROR, 100) },
    /* every retryable status with a hint: waited for, then retried (or failed over first) */
    { "408-retry-after-ms-100", "{\"status\":408,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(TIMEOUT, 100), RTW(TIMEOUT, 100) },
    { "425-retry-after-ms-100", "{\"status\":425,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RT_NOFO(SERVER_ERROR, 3), RT_NOFO(SERVER_ERROR, 3) },
    { "500-retry-after-ms-100", "{\"status\":500,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(SERVER_ERROR, 100), RTW(SERVER_ERROR, 100) },
    { "502-retry-after-ms-100", "{\"status\":502,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(SERVER_ERROR, 100), RTW(SERVER_ERROR, 100) },
    { "504-retry-after-ms-100", "{\"status\":504,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(SERVER_ERROR, 100), RTW(SERVER_ERROR, 100) },
    { "529-retry-after-ms-100", "{\"status\":529,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW(SERVER_ERROR, 100), RTW(SERVER_ERROR, 100) },
    /* every non-retryable status with a hint: still not retried; the caller gets the hint */
    { "400-retry-after-1", "{\"status\":400,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_RA(EPROVIDER, BAD_REQUEST, 1000), FAIL_RA(EPROVIDER, BAD_REQUEST, 1000) },
    { "401-retry-after-1", "{\"status\":401,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(EAUTH, AUTH, 1000), FAIL_FO_RA(EAUTH, AUTH, 1000) },
    { "403-retry-after-1", "{\"status\":403,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(EAUTH, AUTH, 1000), FAIL_FO_RA(EAUTH, AUTH, 1000) },
    { "404-retry-after-1", "{\"status\":404,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(ENOTFOUND, NOT_FOUND, 1000), FAIL_FO_RA(ENOTFOUND, NOT_FOUND, 1000) },
    { "413-retry-after-1", "{\"status\":413,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_RA(EPROVIDER, BAD_REQUEST, 1000), FAIL_RA(EPROVIDER, BAD_REQUEST, 1000) },
    { "422-retry-after-1", "{\"status\":422,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_RA(EPROVIDER, BAD_REQUEST, 1000), FAIL_RA(EPROVIDER, BAD_REQUEST, 1000) },
    { "402-retry-after-1", "{\"status\":402,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(ERATELIMIT, QUOTA_EXCEEDED, 1000), FAIL_FO_RA(ERATELIMIT, QUOTA_EXCEEDED, 1000) },
    /* 409 is retried once (SDK rule), after its hint, and never failed over */
    { "409-retry-after-ms-100", "{\"status\":409,\"headers\":{\"retry-after-ms\":\"100\"}}",
      RTW_NOFO(BAD_REQUEST, 2, 100), RTW_NOFO(BAD_REQUEST, 2, 100) },
    { "429-quota-retry-after-1", "{\"status\":429,\"error_type\":\"insufficient_quota\",\"error_code\":"
      "\"insufficient_quota\",\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(ERATELIMIT, QUOTA_EXCEEDED, 1000), FAIL_FO_RA(ERATELIMIT, QUOTA_EXCEEDED, 1000) },
    { "501-retry-after-1", "{\"status\":501,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(EUNAVAILABLE, SERVER_ERROR, 1000), FAIL_FO_RA(EUNAVAILABLE, SERVER_ERROR, 1000) },
    { "505-retry-after-1", "{\"status\":505,\"headers\":{\"retry-after\":\"1\"}}",
      FAIL_FO_RA(EUNAVAILABLE, SERVER_ERROR, 1000), FAIL_FO_RA(EUNAVAILABLE, SERVER_ERROR, 1000) },
    { "503-x-should-retry-false", "{\"status\":503,\"headers\":{\"x-should-retry\":\"false\"}}",
      FAIL_FO(EUNAVAILABLE, SERVER_ERROR), FAIL_FO(EUNAVAILABLE, SERVER_ERROR) },
    { "400-x-should-retry-true", "{\"status\":400,\"headers\":{\"x-should-retry\":\"true\"}}",
      RT_NOFO(BAD_REQUEST, 3), RT_NOFO(BAD_REQUEST, 3) },
    /* ---- bodies ---- */
    { "malformed-json", "{\"malformed\":true}", RT(NETWORK), RT(SERVER_ERROR) },
    /* Content-Length (or a chunk) promises more than arrives, then a clean close */
    { "truncated-body", "{\"truncate\":true}", RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "json-error-in-200", "{\"body\":\"{\\\"error\\\":{\\\"message\\\":\\\"Overloaded\\\",\\\"type\\\":"
      "\\\"server_error\\\"}}\"}", RT(SERVER_ERROR), RT(NETWORK) },
    { "stream-cut-precommit", "{\"cut_after_events\":1}", OK, RT(NETWORK) },
    { "stream-cut-postcommit", "{\"cut_after_events\":3}", OK, FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "stream-without-terminal-marker", "{\"omit_done\":true}", OK, FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "error-event-precommit", "{\"error_event\":{\"message\":\"Overloaded\",\"type\":\"server_error\"},"
      "\"error_after_events\":1}", OK, RT(SERVER_ERROR) },
    { "error-event-rate-limit-precommit", "{\"error_event\":{\"message\":\"Rate limit reached. Please try again "
      "in 20ms.\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"},\"error_after_events\":1}", OK,
      RT(RATE_LIMIT) },
    { "error-event-postcommit", "{\"error_event\":{\"message\":\"Overloaded\",\"type\":\"server_error\"},"
      "\"error_after_events\":3}", OK, FAIL(EUNAVAILABLE, STREAM_CUT) },
    /* over the 64 KiB caps: a hostile upstream, neither retried nor failed over */
    { "oversized-body", "{\"oversize_bytes\":200000}", FAIL(EUNAVAILABLE, SERVER_ERROR),
      FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "oversized-chunked-body", "{\"chunked_body\":true,\"oversize_bytes\":200000}",
      FAIL(EUNAVAILABLE, SERVER_ERROR), NA },
    { "chunked-body", "{\"chunked_body\":true}", OK, NA },
    /* Content-Encoding nobody asked for: never inflated; the bytes are not JSON */
    { "gzip-unasked", "{\"encoding\":\"gzip\"}", RT(NETWORK), RT(NETWORK) },
    /* 4 MiB of zeros in 26 KiB: under the cap as sent, 64 times over it if inflated */
    { "gzip-bomb", "{\"encoding\":\"gzip\",\"bomb_bytes\":4194304}", RT(NETWORK), RT(NETWORK) },
    { "deflate-bomb", "{\"encoding\":\"deflate\",\"bomb_bytes\":4194304}", RT(NETWORK), RT(NETWORK) },
    /* compressed past the cap as sent: refused for its encoding at the header, before any byte */
    { "gzip-bomb-over-cap", "{\"encoding\":\"gzip\",\"bomb_bytes\":16777216}", RT(NETWORK), RT(NETWORK) },
    { "header-bomb-count", "{\"header_count\":500}", FAIL(EUNAVAILABLE, SERVER_ERROR),
      FAIL(EUNAVAILABLE, SERVER_ERROR) },
    { "header-bomb-bytes", "{\"header_bytes\":100000}", FAIL(EUNAVAILABLE, SERVER_ERROR),
      FAIL(EUNAVAILABLE, SERVER_ERROR) },
    /* SSE comment lines before the first and the finish event (OpenRouter's keep-alives): ignored */
    { "sse-comment-lines", "{\"sse_comment\":\"OPENROUTER PROCESSING\"}", OK, OK },
    /* usage on the finish chunk as well as on the usage chunk (Mistral, Fireworks): counted once */
    { "usage-on-finish-chunk", "{\"usage_on_finish\":true}", OK, OK },
    /* the text in 40 small deltas: reassembled whole */
    { "many-small-deltas", "{\"text\":\"one two three four five six seven eight nine ten\",\"chunks\":40}", OK, OK },
    /* invalid UTF-8 in the answer: delivered as U+FFFD (the harness checks every text is valid) */
    { "invalid-utf8", "{\"invalid_utf8\":true}", OK, OK },
    /* token counts must be integers in [0, 2^40): anything else is a broken answer */
    { "usage-negative", "{\"usage_raw\":\"{\\\"prompt_tokens\\\":-5,\\\"completion_tokens\\\":3}\"}",
      RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "usage-1e308", "{\"usage_raw\":\"{\\\"prompt_tokens\\\":1e308,\\\"completion_tokens\\\":3}\"}",
      RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "usage-fraction", "{\"usage_raw\":\"{\\\"prompt_tokens\\\":1.5,\\\"completion_tokens\\\":3}\"}",
      RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
    { "usage-2^40", "{\"usage_raw\":\"{\\\"prompt_tokens\\\":1099511627776,\\\"completion_tokens\\\":3}\"}",
      RT(NETWORK), FAIL(EUNAVAILABLE, STREAM_CUT) },
};

const size_t fault_row_count = sizeof(fault_rows) / sizeof(fault_rows[0]);
