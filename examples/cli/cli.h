/*
 * examples/cli/cli.h: the llmgw command-line tool, shared declarations.
 */
#ifndef LLMGW_CLI_H
#define LLMGW_CLI_H

#include <llmgw/llmgw.h>
#include <stdbool.h>
#include <stdio.h>

/* Exit codes: documented in `llmgw --help` and the README; never renumbered. */
enum {
    EXIT_OK = 0,
    EXIT_ERROR = 1,              /* unexpected failure */
    EXIT_USAGE = 2,              /* bad flags, missing model, unreadable file, invalid request JSON */
    EXIT_CONFIG = 3,             /* config */
    EXIT_AUTH = 4,               /* auth */
    EXIT_RATE_LIMIT = 5,         /* rate_limit */
    EXIT_QUOTA = 6,              /* quota_exceeded */
    EXIT_CONTEXT_LENGTH = 7,     /* context_length_exceeded */
    EXIT_CONTENT_POLICY = 8,     /* content_policy */
    EXIT_TIMEOUT = 9,            /* timeout */
    EXIT_SERVER = 10,            /* server_error */
    EXIT_NETWORK = 11,           /* network */
    EXIT_BUDGET = 12,            /* budget_exceeded */
    EXIT_STREAM_CUT = 13,        /* stream_cut: the stream failed after output began */
    EXIT_BAD_REQUEST = 14,       /* bad_request: the provider rejected the request */
    EXIT_NOT_FOUND = 15,         /* not_found */
    EXIT_UNSUPPORTED = 16,       /* unsupported */
    EXIT_CANCELLED = 130         /* cancelled / interrupted */
};

typedef struct cli_option {
    const char *key;
    const char *value;
} cli_option;

typedef struct cli_args {
    const char *model;           /* -m/--model */
    const char *model_env;       /* $LLMGW_MODEL: a default only */
    const char *system;
    const char *config;
    const char *api_base;
    const char *api_key;
    const char *request_file;
    const char *prompt;
    cli_option  options[64];
    size_t      noptions;
    const char *customer;        /* --customer: budgets and cost attribution */
    const char *tags[16];        /* --tag, repeatable */
    size_t      ntags;
    double      timeout_s;
    bool        no_stream, json, usage, no_cache, version, help;
    const char *command;         /* NULL, "models", "prices", "demo" */
    const char *command_arg;
    bool        models_json;
} cli_args;

/* Parse argv; returns 0, or EXIT_USAGE after printing one line to stderr. */
int  cli_parse(cli_args *a, int argc, char **argv);
void cli_usage(FILE *out);
/* The exit code of an error class. */
int  cli_exit_code(int error_class, int status);
/* "llmgw: error: <class>: <message>" on stderr. */
void cli_error_line(const llmgw_error *e);
/* {"error": {...}} on stdout. */
void cli_error_json(const llmgw_error *e);
/* The chat.completion object plus the "llmgw" usage member, on stdout. */
int  cli_print_json(const llmgw_response *r);
/* The -u usage line on stderr. */
void cli_print_usage_line(const llmgw_response *r);

/* Open the gateway: --config, $LLMGW_CONFIG, ./llmgw.yaml|json, $XDG_CONFIG_HOME/llmgw/..., else env only. */
int  cli_gateway(llmgw_gateway **out, const cli_args *a, const char *model);

int  cli_cmd_models(const cli_args *a);
int  cli_cmd_prices(const cli_args *a);
int  cli_cmd_demo(const cli_args *a);
/* `llmgw cost report|simulate ...` (examples/cli/cmd_cost.c): argv[0] is "cost". */
int  cli_cmd_cost(int argc, char **argv);

#endif
