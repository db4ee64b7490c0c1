/*
 * examples/cli/args.c: command-line parsing and help.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_usage(FILE *out)
{
    fputs("usage: llmgw [OPTIONS] [PROMPT]\n"
          "       llmgw models [--json]      llmgw prices MODEL      llmgw demo\n"
          "\n"
          "Send PROMPT (after anything piped on stdin) to a model and print the answer as it\n"
          "streams. Diagnostics go to stderr.\n"
          "\n"
          "  -m, --model MODEL        a group alias, provider/model or provider:model\n"
          "                           (default: $LLMGW_MODEL)\n"
          "  -s, --system TEXT        system prompt\n"
          "  -c, --config FILE        config file (else $LLMGW_CONFIG, ./llmgw.yaml|json,\n"
          "                           $XDG_CONFIG_HOME/llmgw/config.yaml|json, else env vars only)\n"
          "      --api-base URL       base URL for the model's provider (vendor SDK convention;\n"
          "                           plain http only to loopback)\n"
          "      --api-key KEY        API key (the vendor's env var is preferred)\n"
          "      --no-stream          wait for the whole answer\n"
          "  -o, --option KEY VALUE   a request parameter (temperature, max_tokens, top_p, seed,\n"
          "                           stop, ...); VALUE is JSON when it parses, else a string\n"
          "      --request FILE|-     send a whole OpenAI Chat Completions request body\n"
          "      --json               print one JSON object: an OpenAI chat.completion plus an\n"
          "                           \"llmgw\" member with the usage record (or {\"error\": ...})\n"
          "  -u, --usage              tokens, cost, latency and provider on stderr\n"
          "      --customer ID        the customer the request is for (budgets, cost reports)\n"
          "      --tag TAG            a tag for budgets, routing and cost reports (repeatable)\n"
          "      --timeout SECONDS    deadline for the whole request\n"
          "      --no-cache           do not answer from the response cache\n"
          "      --version            print the version\n"
          "  -h, --help               this help\n"
          "\n"
          "exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 config, 4 auth, 5 rate_limit,\n"
          "  6 quota_exceeded, 7 context_length_exceeded, 8 content_policy, 9 timeout,\n"
          "  10 server_error, 11 network, 12 budget_exceeded, 13 stream_cut, 14 bad_request,\n"
          "  15 not_found, 16 unsupported, 130 cancelled\n", out);
}

/* A usage error: one line on stderr, the usage exit code. */
#define bad(fmt, arg) \
    (fprintf(stderr, "llmgw: error: usage: " fmt " (see llmgw --help)\n", (arg)), EXIT_USAGE)

static bool is(const char *arg, const char *s, const char *l)
{
    return strcmp(arg, s) == 0 || (l != NULL && strcmp(arg, l) == 0);
}

/* The value of an option: "--x=v", or the next argument. */
static const char *value(int argc, char **argv, int *i, const char *eq)
{
    if (eq != NULL)
        return eq + 1;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

int cli_parse(cli_args *a, int argc, char **argv)
{
    int i;
    bool options_done = false;

    memset(a, 0, sizeof(*a));
    a->model_env = getenv("LLMGW_MODEL");
    if (a->model_env != NULL && *a->model_env == '\0')
        a->model_env = NULL;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *eq = NULL, *v;
        char name[64];
        size_t n;

        if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
            if (a->command == NULL && a->prompt == NULL && (strcmp(arg, "models") == 0 ||
                strcmp(arg, "prices") == 0 || strcmp(arg, "demo") == 0)) {
                a->command = arg;
                continue;
            }
            if (a->command != NULL && strcmp(a->command, "prices") == 0 && a->command_arg == NULL) {
                a->command_arg = arg;
                continue;
            }
            if (a->command != NULL)
                return bad("unexpected argument '%s'", arg);
            if (a->prompt != NULL)
                return bad("more than one prompt ('%s'): quote it", arg);
            a->prompt = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strncmp(arg, "--", 2) == 0 && (eq = strchr(arg, '=')) != NULL) {
            n = (size_t)(eq - arg);
            if (n >= sizeof(name))
                return bad("unknown option '%s'", arg);
            memcpy(name, arg, n);
            name[n] = '\0';
            arg = name;
        }
#define IS(s, l) is(arg, s, l)
        if (IS("-m", "--model") || IS("-s", "--system") || IS("-c", "--config") || IS("--api-base", NULL) ||
            IS("--api-key", NULL) || IS("--request", NULL) || IS("--timeout", NULL) ||
            IS("--customer", NULL) || IS("--tag", NULL)) {
            if ((v = value(argc, argv, &i, eq)) == NULL)
                return bad("option '%s' needs a value", arg);
            if (IS("-m", "--model"))
                a->model = v;
            else if (IS("-s", "--system"))
                a->system = v;
            else if (IS("-c", "--config"))
                a->config = v;
            else if (IS("--api-base", NULL))
                a->api_base = v;
            else if (IS("--api-key", NULL))
                a->api_key = v;
            else if (IS("--request", NULL))
                a->request_file = v;
            else if (IS("--customer", NULL))
                a->customer = v;
            else if (IS("--tag", NULL)) {
                if (a->ntags >= sizeof(a->tags) / sizeof(a->tags[0]))
                    return bad("too many %s", "--tag");
                a->tags[a->ntags++] = v;
            }
            else {
                char *end;
                a->timeout_s = strtod(v, &end);
                if (*end != '\0' || !(a->timeout_s > 0) || a->timeout_s > 86400)
                    return bad("--timeout needs seconds in (0, 86400], not '%s'", v);
            }
        } else if (eq != NULL && !IS("-o", "--option")) {
            return bad("option '%s' takes no value", arg);
        } else if (IS("-o", "--option")) {
            if (eq != NULL || i + 2 >= argc)
                return bad("%s needs KEY VALUE", arg);
            if (a->noptions >= sizeof(a->options) / sizeof(a->options[0]))
                return bad("too many %s", arg);
            a->options[a->noptions].key = argv[++i];
            a->options[a->noptions++].value = argv[++i];
        } else if (IS("--no-stream", NULL)) {
            a->no_stream = true;
        } else if (IS("--json", NULL)) {
            if (a->command != NULL && strcmp(a->command, "models") == 0)
                a->models_json = true;
            else
                a->json = true;
        } else if (IS("-u", "--usage")) {
            a->usage = true;
        } else if (IS("--no-cache", NULL)) {
            a->no_cache = true;
        } else if (IS("--version", NULL)) {
            a->version = true;
        } else if (IS("-h", "--help")) {
            a->help = true;
        } else {
            return bad("unknown option '%s'", arg);
        }
#undef IS
    }
    if (a->command != NULL && strcmp(a->command, "prices") == 0 && a->command_arg == NULL && !a->help)
        return bad("%s needs a MODEL", "prices");
    if (a->request_file != NULL && (a->prompt != NULL || a->system != NULL))
        return bad("%s holds the whole request: no PROMPT or --system with it", "--request");
    return 0;
}
