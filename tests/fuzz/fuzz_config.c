/*
 * tests/fuzz/fuzz_config.c: libFuzzer target for the config loader
 * (lib/config/, through llmgw_gateway_open_buffer). Built twice, with
 * -DFUZZ_FORMAT="json" and "yaml"; the input is the config text.
 *
 * Oracles beyond "no crash, no leak":
 *  - the loader never reaches the network: socket(), connect() and
 *    getaddrinfo() are replaced here by functions that refuse;
 *  - no secret reaches an error message or a log line: the environment
 *    variables a config may reference (os.environ/NAME, ${NAME}) and the
 *    vendors' key variables hold random values drawn at start-up, which the
 *    input cannot know, and neither the last error nor any log line may
 *    contain one;
 *  - failure leaves *out NULL and a message; success gives a gateway.
 */
#include "fuzz_common.h"

#include <errno.h>
#include <netdb.h>
#include <sys/socket.h>

#ifndef FUZZ_FORMAT
#error "build with -DFUZZ_FORMAT=\"json\" or \"yaml\""
#endif

/*
 * No network from a config load: these replace libc's socket(), connect() and
 * getaddrinfo() for every library in the process (exported from the
 * executable) and refuse. Deployments are only registered at load; a Redis
 * section makes the loader try Redis (docs/resilience.md b.7), which then
 * counts as down.
 */
#define EXPORTED __attribute__((visibility("default")))

EXPORTED int socket(int domain, int type, int protocol);
EXPORTED int connect(int fd, const struct sockaddr *addr, socklen_t len);
EXPORTED int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                         struct addrinfo **res);

static unsigned long refused;

int socket(int domain, int type, int protocol)
{
    LLMGW_UNUSED(domain);
    LLMGW_UNUSED(type);
    LLMGW_UNUSED(protocol);
    refused++;
    errno = EACCES;
    return -1;
}

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    LLMGW_UNUSED(fd);
    LLMGW_UNUSED(addr);
    LLMGW_UNUSED(len);
    refused++;
    errno = EACCES;
    return -1;
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints, struct addrinfo **res)
{
    LLMGW_UNUSED(node);
    LLMGW_UNUSED(service);
    LLMGW_UNUSED(hints);
    refused++;
    *res = NULL;
    return EAI_FAIL;
}

static const char *const secret_vars[] = {
    "LLMGW_FUZZ_KEY", "LLMGW_FUZZ_BASE", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY",
    "GOOGLE_API_KEY", "AZURE_OPENAI_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "COHERE_API_KEY", "GROQ_API_KEY", "MISTRAL_API_KEY", "REDIS_PASSWORD",
};
static char secrets[LLMGW_ARRAY_SIZE(secret_vars)][40];

static void random_hex(char *out, size_t n)
{
    unsigned char raw[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t i;

    FUZZ_CHECK(f != NULL && fread(raw, 1, sizeof(raw), f) == sizeof(raw));
    fclose(f);
    for (i = 0; i < sizeof(raw) && 2 * i + 2 < n; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    size_t i;

    LLMGW_UNUSED(argc);
    LLMGW_UNUSED(argv);
    for (i = 0; i < LLMGW_ARRAY_SIZE(secret_vars); i++) {
        memcpy(secrets[i], "zq", 2);            /* no known key shape: the redactor cannot help */
        random_hex(secrets[i] + 2, sizeof(secrets[i]) - 2);
        FUZZ_CHECK(setenv(secret_vars[i], secrets[i], 1) == 0);
    }
    return 0;
}

/*
 * The fuzzer can learn a value from the comparisons it watches (redaction
 * compares text with the secrets) and write it into the config: a value the
 * input holds literally may come back, as any other text of the input.
 */
static bool in_input[LLMGW_ARRAY_SIZE(secret_vars)];

static void check_no_secret(const char *what, const char *s)
{
    size_t i;

    for (i = 0; i < LLMGW_ARRAY_SIZE(secrets); i++) {
        if (!in_input[i] && strstr(s, secrets[i]) != NULL) {
            fprintf(stderr, "fuzz oracle failed: the value of %s in %s: %s\n", secret_vars[i], what, s);
            abort();
        }
    }
}

static void on_log(int level, const char *msg, void *userdata)
{
    LLMGW_UNUSED(userdata);
    FUZZ_CHECK(level >= LLMGW_LOG_ERROR && level <= LLMGW_LOG_DEBUG);
    FUZZ_CHECK(msg != NULL);
    check_no_secret("a log line", msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    llmgw_gateway_options opts;
    llmgw_gateway *gw = (llmgw_gateway *)&opts;     /* must be reset to NULL on failure */
    size_t i;
    int rc;

    for (i = 0; i < LLMGW_ARRAY_SIZE(secrets); i++)
        in_input[i] = memmem(data, size, secrets[i], strlen(secrets[i])) != NULL;

    FUZZ_CHECK(llmgw_gateway_options_init(&opts, LLMGW_GATEWAY_OPTIONS_VERSION) == 0);
    opts.log_cb = on_log;
    opts.log_level = LLMGW_LOG_DEBUG;
    rc = llmgw_gateway_open_buffer(&gw, (const char *)data, size, FUZZ_FORMAT, &opts);
    FUZZ_CHECK(rc <= 0);
    if (rc < 0) {
        const llmgw_error *e = llmgw_error_last();
        FUZZ_CHECK(gw == NULL);
        FUZZ_CHECK(e->code == rc && e->message != NULL && e->message[0] != '\0');
        check_no_secret("the error", e->message);
    } else {
        FUZZ_CHECK(gw != NULL);
        llmgw_gateway_free(gw);
    }
    if (getenv("FUZZ_CONFIG_VERBOSE") != NULL)     /* to see that the refusals take effect */
        fprintf(stderr, "rc %d, %lu network calls refused\n", rc, refused);
    return 0;
}
