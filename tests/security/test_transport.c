/*
 * tests/security/test_transport.c: the transport's promises (docs/resilience.md
 * §d.1, §d.6): TLS verification that cannot be turned off (a real TLS server,
 * `openssl s_server`, with certificates made for the run), plain http refused
 * to anything but loopback, redirects never followed, and the response caps
 * holding for chunked and compressed bodies (llmgw asks for no encoding and
 * inflates nothing).
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

extern char **environ;

#define KEY "sk-transport-0123456789abcdefghij"

static int run_cmd(const char *cmd)
{
    int rc = system(cmd);

    return rc == -1 ? -1 : WEXITSTATUS(rc);
}

static int have_openssl(void)
{
    return run_cmd("openssl version >/dev/null 2>&1") == 0;
}

typedef struct tls_server {
    char  dir[64];
    pid_t pid;
    int   port;
} tls_server;

static int free_port(void)
{
    mock_server *tmp = NULL;
    int port;

    assert_int_equal(mock_server_start(&tmp, "127.0.0.1", 0), 0);
    port = mock_server_port(tmp);
    mock_server_stop(tmp);
    return port;
}

static int port_open(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0), ok;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
    close(fd);
    return ok;
}

/* Two certificates in a fresh directory: good.pem (SAN 127.0.0.1) and wrong.pem (SAN wrong.example). */
static void make_certs(tls_server *s)
{
    char cmd[1024];

    snprintf(s->dir, sizeof(s->dir), "/tmp/llmgw-tls-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(cmd, sizeof(cmd),
             "cd %s && openssl req -x509 -newkey rsa:2048 -nodes -keyout good.key -out good.pem -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 && "
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout wrong.key -out wrong.pem -days 2 "
             "-subj /CN=wrong.example -addext subjectAltName=DNS:wrong.example >/dev/null 2>&1", s->dir);
    assert_int_equal(run_cmd(cmd), 0);
}

static void serve(tls_server *s, const char *which)
{
    char cert[128], key[128], accept[32];
    char *argv[] = { "openssl", "s_server", "-quiet", "-www", "-accept", accept, "-cert", cert, "-key", key, NULL };
    posix_spawn_file_actions_t fa;
    int tries;

    snprintf(cert, sizeof(cert), "%s/%s.pem", s->dir, which);
    snprintf(key, sizeof(key), "%s/%s.key", s->dir, which);
    s->port = free_port();
    snprintf(accept, sizeof(accept), "127.0.0.1:%d", s->port);
    /* its output to /dev/null: a test that fails while it runs must not leave it holding the
     * test's stdout, which keeps the test runner waiting until its timeout */
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0), 0);
    assert_int_equal(posix_spawnp(&s->pid, "openssl", &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    for (tries = 0; tries < 500 && !port_open(s->port); tries++)
        usleep(10000);
    assert_true(port_open(s->port));
}

static void unserve(tls_server *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
}

static void remove_certs(tls_server *s)
{
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", s->dir);
    (void)run_cmd(cmd);
}

/* One call to https://127.0.0.1:port with a CA file (NULL: the system's). */
static int tls_call(const tls_server *s, const char *ca_file, const char *config_json, char *msg, size_t msz,
                    size_t *attempts, int64_t attempt_timeout_ms)
{
    llmgw_gateway_options o;
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    llmgw_request *req;
    llmgw_response *r = NULL;
    char base[96];
    int rc;

    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 3;
    o.attempt_timeout_ms = attempt_timeout_ms;
    o.ca_path = ca_file;
    if (config_json != NULL)
        assert_int_equal(llmgw_gateway_open_buffer(&gw, config_json, strlen(config_json), "json", &o), 0);
    else
        assert_int_equal(llmgw_gateway_new(&gw, &o), 0);
    snprintf(base, sizeof(base), "https://127.0.0.1:%d/v1", s->port);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.group = "g";
    d.model = "openai/gpt-tls";
    d.api_base = base;
    d.api_key = KEY;
    assert_int_equal(llmgw_gateway_add_deployment(gw, &d), 0);
    req = itest_request("g", "hi");
    rc = llmgw_complete(gw, req, &r);
    snprintf(msg, msz, "%s", rc ? llmgw_error_last()->message : "");
    *attempts = rc ? llmgw_error_last()->attempt_count : llmgw_response_attempt_count(r);
    if (rc)
        assert_int_equal(llmgw_error_last()->http_status, 0);
    llmgw_response_free(r);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    return rc == 0 ? 0 : llmgw_error_last()->error_class;
}

/*
 * An untrusted certificate, and a trusted one for the wrong host, fail the
 * handshake: class network, reported as TLS, never retried (no downgrade);
 * LiteLLM's ssl_verify: false in a config changes nothing. The control case
 * (the certificate trusted through ca_path, right host) completes the
 * handshake, so the failures are verification, not a broken server.
 */
static void test_tls_verification_cannot_be_turned_off(void **state)
{
    static const char ssl_off[] = "{\"litellm_settings\":{\"ssl_verify\":false}}";
    tls_server s;
    char msg[512], ca[128];
    size_t attempts;
    int cls;

    (void)state;
    if (!have_openssl())
        skip();
    make_certs(&s);
    serve(&s, "good");
    /* control: trusted and right host: the handshake works, then s_server never answers the POST */
    snprintf(ca, sizeof(ca), "%s/good.pem", s.dir);
    cls = tls_call(&s, ca, NULL, msg, sizeof(msg), &attempts, 400);   /* s_server -www never answers a POST */
    assert_null(strstr(msg, "TLS"));
    assert_int_equal(cls, LLMGW_ERRCLASS_TIMEOUT);
    /* a fresh server: s_server serves one connection at a time, and a handshake queued behind
     * the control call's could time out (and be retried) on a loaded machine */
    unserve(&s);
    serve(&s, "good");
    /* untrusted (the system's CAs): refused, not retried */
    cls = tls_call(&s, NULL, NULL, msg, sizeof(msg), &attempts, 10000);
    assert_int_equal(cls, LLMGW_ERRCLASS_NETWORK);
    assert_non_null(strstr(msg, "TLS"));
    assert_int_equal(attempts, 1);
    /* ... also with LiteLLM's switch to turn verification off */
    cls = tls_call(&s, NULL, ssl_off, msg, sizeof(msg), &attempts, 10000);
    assert_int_equal(cls, LLMGW_ERRCLASS_NETWORK);
    assert_non_null(strstr(msg, "TLS"));
    /* a CA that did not sign it */
    snprintf(ca, sizeof(ca), "%s/wrong.pem", s.dir);
    cls = tls_call(&s, ca, NULL, msg, sizeof(msg), &attempts, 10000);
    assert_int_equal(cls, LLMGW_ERRCLASS_NETWORK);
    assert_non_null(strstr(msg, "TLS"));
    unserve(&s);
    /* trusted, but issued to another host */
    serve(&s, "wrong");
    cls = tls_call(&s, ca, NULL, msg, sizeof(msg), &attempts, 10000);
    assert_int_equal(cls, LLMGW_ERRCLASS_NETWORK);
    assert_non_null(strstr(msg, "TLS"));
    assert_int_equal(attempts, 1);
    unserve(&s);
    remove_certs(&s);
}

/*
 * No public option turns verification off: the public headers hold no such
 * field (read from the source tree). Would catch: an "insecure" or
 * "ssl_verify" knob added to an options struct.
 */
static void test_no_api_to_disable_verification(void **state)
{
    static const char *const headers[] = { "gateway.h", "config.h", "request.h", "common.h", "hooks.h",
                                           "sys/provider.h" };
    static const char *const words[] = { "verify", "insecure", "ssl_no", "skip_tls", "no_tls", "tls_skip",
                                         "allow_http", "allow_insecure" };
    size_t i, k;

    (void)state;
    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char path[512], *text;
        FILE *f;
        long n;
        snprintf(path, sizeof(path), "%s/include/llmgw/%s", LLMGW_SOURCE_ROOT, headers[i]);
        f = fopen(path, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        n = ftell(f);
        fseek(f, 0, SEEK_SET);
        text = calloc(1, (size_t)n + 1);
        assert_non_null(text);
        assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
        fclose(f);
        for (k = 0; k < sizeof(words) / sizeof(words[0]); k++)
            if (strcasestr(text, words[k]) != NULL)
                fail_msg("include/llmgw/%s mentions '%s': is there a way to turn TLS verification off?", headers[i],
                         words[k]);
        free(text);
    }
}

/* Plain http only to literal loopback hosts: from options, from a config file and from the environment. */
static void test_http_refused_to_non_loopback_hosts(void **state)
{
    static const char *const bases[] = {
        "http://example.com/v1", "http://10.0.0.1/v1", "http://192.168.1.1:8080/v1", "http://169.254.169.254/v1",
        "http://127.0.0.1.nip.io/v1", "http://localhost.example.com/v1", "http://[::ffff:127.0.0.1]/v1",
        "http://2130706433/v1", "http://0x7f000001/v1", "http://127.1/v1", "http://0177.0.0.1/v1",
        "http://127.0.0.1@example.com/v1", "http://example.com#@127.0.0.1/v1", "HTTP://example.com/v1",
        "ftp://127.0.0.1/v1", "file:///etc/passwd", "gopher://127.0.0.1/", "//example.com/v1",
    };
    llmgw_gateway *gw = NULL;
    size_t i;

    (void)state;
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        llmgw_deployment_options d;
        llmgw_gateway *g2 = NULL;
        char cfg[512];
        llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
        d.model = "openai/gpt-x";
        d.api_key = KEY;
        d.api_base = bases[i];
        if (llmgw_gateway_add_deployment(gw, &d) != LLMGW_EINVAL)
            fail_msg("api_base %s accepted", bases[i]);
        assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
        snprintf(cfg, sizeof(cfg), "{\"model_list\":[{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/x\","
                 "\"api_key\":\"%s\",\"api_base\":\"%s\"}}]}", KEY, bases[i]);
        if (llmgw_gateway_open_buffer(&g2, cfg, strlen(cfg), "json", NULL) == 0)
            fail_msg("config api_base %s accepted", bases[i]);
        assert_null(g2);
        /* the vendor's environment variable, read for a provider/model without a deployment */
        setenv("OPENAI_BASE_URL", bases[i], 1);
        setenv("OPENAI_API_KEY", KEY, 1);
        d.api_base = NULL;
        if (llmgw_gateway_add_deployment(gw, &d) == 0)
            fail_msg("OPENAI_BASE_URL=%s accepted", bases[i]);
        {
            llmgw_request *req = itest_request("openai/gpt-env", "hi");
            llmgw_response *r = NULL;
            if (llmgw_complete(gw, req, &r) == 0)
                fail_msg("OPENAI_BASE_URL=%s used", bases[i]);
            assert_int_equal(llmgw_error_last()->attempt_count, 0);
            llmgw_request_free(req);
        }
        unsetenv("OPENAI_BASE_URL");
        unsetenv("OPENAI_API_KEY");
    }
    llmgw_gateway_free(gw);
}

/*
 * Redirects are never followed (§d.1): a 30x is a config error, the target
 * (a second listener) sees no connection, so the key is never replayed to it.
 */
static void test_redirects_not_followed(void **state)
{
    static const int codes[] = { 301, 302, 303, 307, 308 };
    mock_server *other = NULL;
    itest t;
    size_t i;
    int stream;

    (void)state;
    assert_int_equal(mock_server_start(&other, "127.0.0.1", 0), 0);
    for (stream = 0; stream < 2; stream++)
        for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
            llmgw_gateway_options o;
            char script[512];
            int rc;
            llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
            o.max_attempts = 3;
            itest_start(&t, &o);
            itest_add_key(&t, "g", "r", "gpt-x", KEY);
            snprintf(script, sizeof(script), "{\"steps\":[{\"status\":%d,\"headers\":{\"location\":"
                     "\"%s/lane/stolen/v1/chat/completions\"},\"body\":\"\"}],\"then\":\"repeat_last\"}", codes[i],
                     mock_server_base_url(other));
            itest_script(&t, "r", script);
            if (stream) {
                collect c;
                collect_init(&c);
                rc = itest_stream(&t, "g", "hi", &c, NULL);
                assert_int_equal(c.error_calls, 1);
            } else {
                llmgw_response *r = NULL;
                rc = itest_complete(&t, "g", "hi", &r);
            }
            assert_int_equal(rc, LLMGW_EINVAL);
            assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_CONFIG);
            assert_int_equal(llmgw_error_last()->http_status, codes[i]);
            assert_int_equal(itest_request_count(&t, "r"), 1);      /* not retried either */
            assert_null(strstr(llmgw_error_last()->message, KEY));
            itest_stop(&t);
        }
    {
        mock_ledger led;
        mock_server_ledger(other, NULL, &led);
        assert_int_equal(led.requests, 0);
    }
    mock_server_stop(other);
}

static long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;

    assert_non_null(f);
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "VmRSS:", 6) == 0)
            v = strtol(line + 6, NULL, 10);
    fclose(f);
    return v;
}

/*
 * The caps hold whatever the framing: a chunked body with no length over
 * max_response_bytes, a stream over max_stream_bytes, and gzip/deflate bodies
 * sent unasked (a 64 MiB bomb): refused, never inflated (llmgw sends no
 * Accept-Encoding), memory not grown by the decoded size.
 */
static void test_caps_hold_for_chunked_and_compressed_bodies(void **state)
{
    static const char *const bombs[] = { "gzip", "deflate" };
    llmgw_gateway_options o;
    llmgw_response *r = NULL;
    mock_ledger led;
    itest t;
    size_t i;
    int stream;

    (void)state;
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.max_attempts = 2;
    o.max_response_bytes = 1 << 20;
    o.max_stream_bytes = 1 << 20;
    o.breaker_disabled = 1;
    itest_start(&t, &o);
    itest_add_key(&t, "g", "cap", "gpt-x", KEY);
    /* chunked, no Content-Length, 8 MiB against a 1 MiB cap: refused once, not retried */
    itest_script(&t, "cap", "[{\"chunked_body\":true,\"oversize_bytes\":8388608}]");
    assert_int_equal(itest_complete(&t, "g", "hi", &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_SERVER_ERROR);
    assert_int_equal(itest_request_count(&t, "cap"), 1);
    /* a stream of 8 MiB against a 1 MiB cap */
    mock_server_reset(t.srv);
    itest_script(&t, "cap", "[{\"oversize_bytes\":8388608}]");
    {
        collect c;
        collect_init(&c);
        assert_int_equal(itest_stream(&t, "g", "hi", &c, NULL), LLMGW_EUNAVAILABLE);
        assert_int_equal(c.error_calls, 1);
        assert_true(c.text_len <= (size_t)(1 << 20));
    }
    mock_server_ledger(t.srv, "cap", &led);
    assert_int_equal(led.responses_ok, 0);
    /* compression bombs */
    for (i = 0; i < 2; i++)
        for (stream = 0; stream < 2; stream++) {
            char script[128];
            long before = rss_kib(), after;
            cJSON *reqs;
            mock_server_reset(t.srv);
            snprintf(script, sizeof(script), "{\"steps\":[{\"encoding\":\"%s\",\"bomb_bytes\":67108864}],"
                     "\"then\":\"repeat_last\"}", bombs[i]);
            itest_script(&t, "cap", script);
            if (stream) {
                collect c;
                collect_init(&c);
                assert_int_not_equal(itest_stream(&t, "g", "hi", &c, NULL), 0);
                assert_int_equal(c.text_len, 0);
            } else {
                assert_int_not_equal(itest_complete(&t, "g", "hi", &r), 0);
            }
            after = rss_kib();
            if (getenv("LLMGW_UNDER_VALGRIND") == NULL && after - before > 32 * 1024)
                fail_msg("%s bomb: RSS grew by %ld KiB", bombs[i], after - before);
            reqs = itest_requests(&t, "cap");
            {
                const cJSON *rq;
                cJSON_ArrayForEach(rq, reqs) {
                    const cJSON *ae = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "headers"),
                                                                      "accept-encoding");
                    if (ae != NULL && strcmp(cJSON_GetStringValue(ae), "identity") != 0)
                        fail_msg("llmgw asked for Accept-Encoding: %s", cJSON_GetStringValue(ae));
                }
            }
            cJSON_Delete(reqs);
        }
    itest_stop(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_verification_cannot_be_turned_off),
        cmocka_unit_test(test_no_api_to_disable_verification),
        cmocka_unit_test(test_http_refused_to_non_loopback_hosts),
        cmocka_unit_test(test_redirects_not_followed),
        cmocka_unit_test(test_caps_hold_for_chunked_and_compressed_bodies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
