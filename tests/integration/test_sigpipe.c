/*
 * Integration: a peer that closes while the request body is still being
 * uploaded must not kill the host with SIGPIPE (libcurl runs with
 * CURLOPT_NOSIGNAL, so it does not ignore SIGPIPE for us). The process keeps
 * the default SIGPIPE disposition: if a write raised it, this test would die.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "itest.h"

typedef struct closer {
    int fd;
    int accepted;
} closer;

/* Accept connections, read a little of each request, then close it. */
static void *closer_run(void *arg)
{
    closer *c = arg;
    char buf[512];
    int i;

    for (i = 0; i < 3; i++) {
        int fd = accept(c->fd, NULL, NULL);
        if (fd < 0)
            break;
        c->accepted++;
        (void)read(fd, buf, sizeof(buf));
        close(fd);
    }
    return NULL;
}

static void test_peer_closes_mid_upload(void **state)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    llmgw_gateway *gw = NULL;
    llmgw_deployment_options d;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    pthread_t th;
    closer c;
    char base[128], *big;
    const size_t big_len = 16u << 20;
    struct sigaction old;

    (void)state;
    sigaction(SIGPIPE, NULL, &old);
    assert_true(old.sa_handler == SIG_DFL);      /* the point of the test */
    memset(&c, 0, sizeof(c));
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(c.fd, 8), 0);
    assert_int_equal(getsockname(c.fd, (struct sockaddr *)&sa, &len), 0);
    assert_int_equal(pthread_create(&th, NULL, closer_run, &c), 0);

    snprintf(base, sizeof(base), "http://127.0.0.1:%u/v1", ntohs(sa.sin_port));
    assert_int_equal(llmgw_gateway_new(&gw, NULL), 0);
    llmgw_deployment_options_init(&d, LLMGW_DEPLOYMENT_OPTIONS_VERSION);
    d.model = "openai/gpt-test";
    d.api_base = base;
    d.api_key = TEST_KEY;
    assert_int_equal(llmgw_gateway_add_deployment(gw, &d), 0);
    big = malloc(big_len + 1);
    assert_non_null(big);
    memset(big, 'x', big_len);
    big[big_len] = '\0';
    assert_int_equal(llmgw_request_new(&req, "openai/gpt-test"), 0);
    assert_int_equal(llmgw_request_add_message(req, LLMGW_ROLE_USER, big), 0);
    free(big);
    assert_int_equal(llmgw_complete(gw, req, &r), LLMGW_EUNAVAILABLE);
    assert_int_equal(llmgw_error_last()->error_class, LLMGW_ERRCLASS_NETWORK);
    assert_true(c.accepted >= 1);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    shutdown(c.fd, SHUT_RDWR);
    close(c.fd);
    pthread_join(th, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peer_closes_mid_upload),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
