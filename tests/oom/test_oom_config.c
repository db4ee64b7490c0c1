/*
 * tests/oom/test_oom_config.c: allocation failures along
 * llmgw_gateway_open_buffer() for the project's example config, in JSON and
 * in YAML (libyaml's allocations included), then one request through the
 * loaded gateway (an alias of a group of two in-process mock deployments).
 */
#include "oom.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/gateway.h"
#include "fake_clock.h"
#include "llmgw_build_config.h"

#ifndef LLMGW_EXAMPLES
#error "LLMGW_EXAMPLES: the examples/config directory"
#endif

unsigned long oom_yaml_calls(void);

typedef struct cfg_ctx {
    llmgw_gateway  *gw;
    llmgw_request  *req;
    llmgw_response *resp;
    fake_clock      clock;
} cfg_ctx;

static char  *config_text;
static size_t config_len;
static const char *config_format;

static void read_config(const char *name)
{
    char path[512];
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", LLMGW_EXAMPLES, name);
    f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    free(config_text);
    config_text = malloc((size_t)n + 1);
    assert_non_null(config_text);
    assert_int_equal(fread(config_text, 1, (size_t)n, f), (size_t)n);
    config_text[n] = '\0';
    config_len = (size_t)n;
    fclose(f);
}

static int setup(void *ctx, oom_obs *obs)
{
    cfg_ctx *c = ctx;
    llmgw_gateway_options o;
    int rc;

    fake_clock_init(&c->clock, 1000000);
    llmgw_gateway_options_init(&o, LLMGW_GATEWAY_OPTIONS_VERSION);
    o.seed = 7;
    o.usage_cb = oom_usage_cb;
    o.usage_userdata = obs;
    rc = llmgw_gateway_open_buffer(&c->gw, config_text, config_len, config_format, &o);
    if (rc < 0) {
        assert_null(c->gw);
        return rc;
    }
    llmgw__gateway_set_clock(c->gw, &c->clock.vt);
    if ((rc = llmgw_request_new(&c->req, "fast")) == 0)
        rc = llmgw_request_add_message(c->req, LLMGW_ROLE_USER, "hello");
    if (rc < 0) {
        llmgw_request_free(c->req);
        llmgw_gateway_free(c->gw);
        c->req = NULL;
        c->gw = NULL;
    }
    return rc;
}

static int call(void *ctx, oom_obs *obs)
{
    cfg_ctx *c = ctx;
    llmgw_response *r = NULL;
    int rc;

    (void)obs;
    rc = llmgw_complete(c->gw, c->req, &r);
    llmgw_response_free(c->resp);
    c->resp = r;
    return rc;
}

static void check(void *ctx, int rc, const oom_obs *obs)
{
    cfg_ctx *c = ctx;

    oom_check_usage(rc, obs);
    if (rc == 0) {
        OOM_CHECK(c->resp != NULL);
        OOM_CHECK(strncmp(llmgw_response_text(c->resp), "Hello from smart-", 17) == 0);
        OOM_CHECK_STR(llmgw_response_usage(c->resp)->group, "smart");
    }
}

static void teardown(void *ctx)
{
    cfg_ctx *c = ctx;

    llmgw_response_free(c->resp);
    llmgw_request_free(c->req);
    llmgw_gateway_free(c->gw);
    memset(c, 0, sizeof(*c));
}

static void test_config_json(void **state)
{
    static const oom_scenario s = { "config_json", sizeof(cfg_ctx), setup, call, check, teardown, 0 };

    (void)state;
    read_config("llmgw.json");
    config_format = "json";
    oom_run(&s);
}

static void test_config_yaml(void **state)
{
    static const oom_scenario s = { "config_yaml", sizeof(cfg_ctx), setup, call, check, teardown, 0 };
    unsigned long before = oom_yaml_calls();

    (void)state;
    if (!LLMGW_HAVE_YAML) {
        skip();
        return;
    }
    read_config("llmgw.yaml");
    config_format = "yaml";
    oom_run(&s);
    if (oom_yaml_calls() == before)
        fail_msg("libyaml's allocations did not reach the test's allocator: the YAML parser is not covered");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_json),
        cmocka_unit_test(test_config_yaml),
    };
    int rc;

    oom_init();
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    free(config_text);
    return rc;
}
