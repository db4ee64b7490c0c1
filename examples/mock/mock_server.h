/*
 * llmgw mock upstream: a loopback HTTP/1.1 server that impersonates LLM providers.
 *
 * Tests, the CLI demo and the benchmarks run it in-process through this API; the Python and Ruby
 * tests run the `llmgw-mock` binary. Every function here is thread-safe. The server binds loopback
 * addresses only (127.0.0.1, ::1, localhost) and speaks plain HTTP (no TLS).
 *
 * Lanes: a request path may start with /lane/<name> ([A-Za-z0-9_.-]+, at most 64 bytes); the prefix
 * is stripped and selects the lane, otherwise the lane is "default". Each lane has its own script,
 * recorded requests and ledger. The script grammar is documented in examples/mock/script.c.
 */
#ifndef LLMGW_MOCK_SERVER_H
#define LLMGW_MOCK_SERVER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mock_server mock_server;

/* host: "127.0.0.1", "::1" or "localhost" (NULL = 127.0.0.1); port 0 = ephemeral. Starts the
 * accept thread. Returns 0, or -1 (any other host is refused). On failure *out is NULL. */
int mock_server_start(mock_server **out, const char *host, unsigned short port);

unsigned short mock_server_port(const mock_server *srv);

/* "http://127.0.0.1:PORT" (or "http://[::1]:PORT"); valid until mock_server_stop(). */
const char *mock_server_base_url(const mock_server *srv);

/* Replace a lane's script (JSON text). Returns 0, or -1 and prints the parse error to stderr. */
int mock_server_script(mock_server *srv, const char *lane, const char *script_json);

/* Same, but the parse error goes to err (err_size bytes, always NUL-terminated when err_size > 0). */
int mock_server_script_err(mock_server *srv, const char *lane, const char *script_json,
                           char *err, size_t err_size);

/* Requests received on a lane, oldest first, as a JSON array of
 * {"n","method","path","query","headers":{lowercased name: value},"body"}. The caller free()s
 * the string. NULL on error (no such lane gives "[]"). */
char *mock_server_requests(mock_server *srv, const char *lane);

/* Usage billed on a lane (lane NULL: the sum over all lanes). Counts only what was completely
 * written to the client: see examples/mock/ledger.c. */
typedef struct mock_ledger {
    uint64_t requests, responses_ok, usage_reports, prompt_tokens, completion_tokens,
             cached_tokens, reasoning_tokens;
} mock_ledger;
void mock_server_ledger(mock_server *srv, const char *lane, mock_ledger *out);

/* TCP connections accepted since start (or the last reset): keep-alive reuse shows as fewer
 * connections than requests. */
uint64_t mock_server_connections(mock_server *srv);

/* Clears every lane's script, recorded requests, ledger, request and connection counters. */
void mock_server_reset(mock_server *srv);

/* Closes the listener and every connection (even mid-stall), joins every thread and frees the
 * server. Returns within about a second. NULL is a no-op. */
void mock_server_stop(mock_server *srv);

#ifdef __cplusplus
}
#endif

#endif
