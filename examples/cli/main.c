/*
 * examples/cli/main.c: `llmgw`, a command-line client on libllmgw.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define MAX_INPUT (64u << 20)

typedef struct out_state {
    bool   print;        /* stream text to stdout as it comes */
    bool   ended_nl;
    size_t written;
} out_state;

static int on_text(const char *text, size_t len, void *ud)
{
    out_state *o = ud;

    if (!o->print || len == 0)
        return 0;
    fwrite(text, 1, len, stdout);
    fflush(stdout);
    o->written += len;
    o->ended_nl = text[len - 1] == '\n';
    return 0;
}

/* Read a whole stream (stdin or a file), bounded. NULL with errno on failure. */
static char *read_all(FILE *f, size_t *len_out)
{
    size_t cap = 4096, len = 0, n;
    char *buf = malloc(cap), *nb;

    if (buf == NULL)
        return NULL;
    while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 == cap) {
            if (cap >= MAX_INPUT) {
                free(buf);
                errno = EFBIG;
                return NULL;
            }
            nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    *len_out = len;
    return buf;
}

static int usage_error(const char *what, const char *detail)
{
    fprintf(stderr, "llmgw: error: usage: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    return EXIT_USAGE;
}

/* "provider:model" (aichat's form) -> "provider/model" when no group has that name. */
static const char *normalize_model(llmgw_gateway *gw, const char *model, char *buf, size_t size)
{
    const char *colon = strchr(model, ':');

    if (colon == NULL || strchr(model, '/') != NULL || llmgw_gateway_group_size(gw, model) > 0)
        return model;
    snprintf(buf, size, "%.*s/%s", (int)(colon - model), model, colon + 1);
    return buf;
}

/* A parameter value: JSON when it parses (0.2, 100, true, ["a"]), else a string. */
static int set_option(llmgw_request *req, const char *key, const char *value)
{
    cJSON *j = cJSON_Parse(value);
    char *quoted = NULL;
    int rc;

    if (j == NULL) {
        cJSON *s = cJSON_CreateString(value);
        quoted = s ? cJSON_PrintUnformatted(s) : NULL;
        cJSON_Delete(s);
        if (quoted == NULL)
            return LLMGW_ENOMEM;
    }
    cJSON_Delete(j);
    rc = llmgw_request_set_param_json(req, key, quoted ? quoted : value);
    cJSON_free(quoted);
    return rc;
}

/*
 * The model of a --request body: -m replaces it, $LLMGW_MODEL fills it in
 * when the body has none. > 0 when the body is not a JSON object.
 */
static int with_model(char **body, size_t *len, const cli_args *a)
{
    cJSON *j, *m;
    char *text;

    if (a->model == NULL && a->model_env == NULL)
        return 0;
    j = cJSON_ParseWithLength(*body, *len);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return j == NULL ? 0 : 1;       /* not JSON: let the library say why */
    }
    m = cJSON_GetObjectItem(j, "model");
    if (a->model != NULL || m == NULL) {
        cJSON_DeleteItemFromObject(j, "model");
        cJSON_AddStringToObject(j, "model", a->model ? a->model : a->model_env);
    }
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (text == NULL)
        return LLMGW_ENOMEM;
    free(*body);
    *body = text;
    *len = strlen(text);
    return 0;
}

static int build_request(llmgw_request **out, const cli_args *a, const char *stdin_text)
{
    llmgw_request *req = NULL;
    size_t i, len;
    int rc;

    *out = NULL;
    if (a->request_file != NULL) {
        FILE *f = strcmp(a->request_file, "-") == 0 ? stdin : fopen(a->request_file, "rb");
        char *body;
        if (f == NULL)
            return usage_error("cannot read the request file", a->request_file);
        body = read_all(f, &len);
        if (f != stdin)
            fclose(f);
        if (body == NULL)
            return usage_error("cannot read the request file", a->request_file);
        rc = with_model(&body, &len, a);
        if (rc == 0)
            rc = llmgw_request_from_json(&req, body, len);
        free(body);
        if (rc != 0)
            return usage_error("invalid request JSON", rc > 0 ? "not a JSON object" : llmgw_error_last()->message);
    } else {
        const char *model = a->model ? a->model : a->model_env;
        char *prompt;
        size_t plen;
        if (model == NULL)
            return usage_error("no model: use -m MODEL or set LLMGW_MODEL", NULL);
        if (a->prompt == NULL && stdin_text == NULL)
            return usage_error("no prompt: give PROMPT or pipe text on stdin", NULL);
        plen = (stdin_text ? strlen(stdin_text) : 0) + (a->prompt ? strlen(a->prompt) : 0) + 3;
        prompt = malloc(plen);
        if (prompt == NULL)
            return EXIT_ERROR;
        snprintf(prompt, plen, "%s%s%s", stdin_text ? stdin_text : "", stdin_text && a->prompt ? "\n\n" : "",
                 a->prompt ? a->prompt : "");
        if ((rc = llmgw_request_new(&req, model)) != 0 ||
            (a->system && (rc = llmgw_request_add_message(req, LLMGW_ROLE_SYSTEM, a->system)) != 0) ||
            (rc = llmgw_request_add_message(req, LLMGW_ROLE_USER, prompt)) != 0) {
            free(prompt);
            llmgw_request_free(req);
            return usage_error("invalid request", llmgw_error_last()->message);
        }
        free(prompt);
    }
    for (i = 0; i < a->noptions; i++) {
        if (set_option(req, a->options[i].key, a->options[i].value) != 0) {
            fprintf(stderr, "llmgw: error: usage: option %s: %s\n", a->options[i].key, llmgw_error_last()->message);
            llmgw_request_free(req);
            return EXIT_USAGE;
        }
    }
    if ((a->customer && llmgw_request_set_customer(req, a->customer) != 0)) {
        llmgw_request_free(req);
        return usage_error("invalid --customer", llmgw_error_last()->message);
    }
    for (i = 0; i < a->ntags; i++) {
        if (llmgw_request_add_tag(req, a->tags[i]) != 0) {
            llmgw_request_free(req);
            return usage_error("invalid --tag", llmgw_error_last()->message);
        }
    }
    if (a->no_cache)
        llmgw_request_set_cache_control(req, LLMGW_CACHE_NO_CACHE, 0, 0, NULL);
    if (a->timeout_s > 0)
        llmgw_request_set_deadline_ms(req, (int64_t)(a->timeout_s * 1000));
    *out = req;
    return 0;
}

/* Tool calls in text mode: one line each, "tool_call <id> <name> <arguments JSON>". */
static void print_tool_calls(const llmgw_response *r)
{
    size_t i;

    for (i = 0; i < llmgw_response_tool_call_count(r); i++) {
        const llmgw_tool_call *c = llmgw_response_tool_call(r, i);
        printf("tool_call %s %s %.*s\n", c->id ? c->id : "-", c->name ? c->name : "-",
               (int)(c->arguments_len > 1u << 20 ? 1u << 20 : c->arguments_len), c->arguments ? c->arguments : "");
    }
}

/*
 * Ctrl-C: the first cancels the request in flight (it ends with class
 * cancelled, exit 130, and --json still prints its error object); a second,
 * or one outside a request, ends the process at once.
 */
static llmgw_request *volatile interrupt_target;

static void on_sigint(int sig)
{
    llmgw_request *req = interrupt_target;

    (void)sig;
    interrupt_target = NULL;
    if (req == NULL)
        _exit(EXIT_CANCELLED);
    llmgw_request_cancel(req);          /* an atomic store: async-signal-safe */
}

static void cli_interrupt_target(llmgw_request *req)
{
    interrupt_target = req;
}

static int run(const cli_args *a)
{
    llmgw_gateway *gw = NULL;
    llmgw_request *req = NULL;
    llmgw_response *r = NULL;
    llmgw_stream_sink sink;
    out_state os = { !a->json, true, 0 };
    char *stdin_text = NULL, model_buf[512];
    const char *model;
    size_t len;
    int rc, code = EXIT_OK;

    if (a->request_file == NULL && !isatty(STDIN_FILENO)) {
        stdin_text = read_all(stdin, &len);
        if (stdin_text == NULL) {
            code = usage_error("cannot read stdin", errno == EFBIG ? "larger than 64 MiB" : strerror(errno));
            goto out;
        }
        while (len > 0 && (stdin_text[len - 1] == '\n' || stdin_text[len - 1] == '\r'))
            stdin_text[--len] = '\0';          /* the prompt follows after one blank line */
        if (len == 0) {
            free(stdin_text);
            stdin_text = NULL;
        }
    }
    if ((code = build_request(&req, a, stdin_text)) != 0)
        goto out;
    model = llmgw_request_model(req);
    /* provider:model names a deployment of its own when --api-base / --api-key come with it */
    if ((a->api_base != NULL || a->api_key != NULL) && strchr(model, '/') == NULL && strchr(model, ':') != NULL) {
        snprintf(model_buf, sizeof(model_buf), "%.*s/%s", (int)(strchr(model, ':') - model), model,
                 strchr(model, ':') + 1);
        llmgw_request_set_model(req, model_buf);
        model = llmgw_request_model(req);
    }
    if ((code = cli_gateway(&gw, a, model)) != 0)
        goto out;
    model = normalize_model(gw, model, model_buf, sizeof(model_buf));
    if (model == model_buf)
        llmgw_request_set_model(req, model);
    cli_interrupt_target(req);
    if (a->no_stream) {
        rc = llmgw_complete(gw, req, &r);
        if (rc == 0 && !a->json)
            on_text(llmgw_response_text(r), llmgw_response_text_len(r), &os);
    } else {
        llmgw_stream_sink_init(&sink, LLMGW_STREAM_SINK_VERSION);
        sink.on_text = on_text;
        sink.userdata = &os;
        rc = llmgw_complete_stream(gw, req, &sink, &r);
    }
    cli_interrupt_target(NULL);
    if (os.written > 0 && !os.ended_nl)
        fputc('\n', stdout);
    if (rc == 0 && !a->json)
        print_tool_calls(r);
    if (rc != 0) {
        const llmgw_error *e = llmgw_error_last();
        if (a->json)
            cli_error_json(e);
        else
            cli_error_line(e);
        code = cli_exit_code(e->error_class, rc);
        goto out;
    }
    if (a->json && cli_print_json(r) != 0)
        code = EXIT_ERROR;
    if (a->usage)
        cli_print_usage_line(r);
out:
    fflush(stdout);
    free(stdin_text);
    llmgw_response_free(r);
    llmgw_request_free(req);
    llmgw_gateway_free(gw);
    return code;
}

int main(int argc, char **argv)
{
    cli_args a;
    int rc;

#ifdef LLMGW_CLI_HAVE_COST
    if (argc > 1 && strcmp(argv[1], "cost") == 0)
        return cli_cmd_cost(argc - 1, argv + 1);
#endif
    rc = cli_parse(&a, argc, argv);
    signal(SIGINT, on_sigint);

    if (rc != 0)
        return rc;
    if (a.help) {
        cli_usage(stdout);
        return EXIT_OK;
    }
    if (a.version) {
        printf("llmgw %s\n", llmgw_version());
        return EXIT_OK;
    }
    if (a.command != NULL) {
        if (strcmp(a.command, "models") == 0)
            return cli_cmd_models(&a);
        if (strcmp(a.command, "prices") == 0)
            return cli_cmd_prices(&a);
        return cli_cmd_demo(&a);
    }
    return run(&a);
}
