/*
 * examples/cli/cmd_cost.c: `llmgw cost report` and `llmgw cost simulate`,
 * over usage logs (docs/cost.md). A thin shell over llmgw_cost_report() and
 * llmgw_cost_simulate(): the library renders the table, CSV or JSON.
 *
 *   llmgw cost report   [--by KEY] [--since T] [--until T] [--json|--csv] LOG...
 *   llmgw cost simulate (--as PROVIDER/MODEL | --map FROM=TO ...) [--cache-hit-rate R]
 *                       [--prices FILE] [--by KEY] [--since T] [--until T] [--json|--csv] LOG...
 *
 * argv[0] is "cost". Exit status: 0, 2 on a usage error (one line on
 * stderr), 1 when the report fails (`llmgw: error: <class>: <message>`, or
 * an {"error": ...} object on stdout with --json).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llmgw/llmgw.h>

int cli_cmd_cost(int argc, char **argv);

#define MAX_MAP 256
#define EXIT_USAGE 2
#define EXIT_FAIL 1

static const char help[] =
    "usage: llmgw cost report [--by KEY] [--since T] [--until T] [--json | --csv] LOG...\n"
    "       llmgw cost simulate (--as PROVIDER/MODEL | --map FROM=TO ...) [--cache-hit-rate R]\n"
    "                           [--prices FILE] [--by KEY] [--since T] [--until T] [--json | --csv] LOG...\n"
    "\n"
    "Cost reports over usage logs (the JSON lines of llmgw_settings.log.path or $LLMGW_USAGE_LOG,\n"
    "which is read when no LOG is given).\n"
    "\n"
    "  --by KEY            customer, tag, group, provider, model or day (report: model; simulate: group)\n"
    "  --since T, --until T  2026-03-01, 2026-03-01T12:00:00Z or a span back from now: 90m, 36h, 7d, 2w\n"
    "  --json, --csv       machine-readable output instead of the table\n"
    "  --as P/M            simulate: reprice every request at provider/model\n"
    "  --map FROM=TO       simulate: reprice requests of model FROM at TO (repeatable)\n"
    "  --cache-hit-rate R  simulate: project a response-cache hit rate (0.3 or 30%)\n"
    "  --prices FILE       simulate: a LiteLLM price file over the built-in prices\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "llmgw: error: usage: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (llmgw cost --help)\n");
    return EXIT_USAGE;
}

/* "0.3", "30%", "1": a rate in [0, 1] to parts per million, without the locale. */
static int parse_rate(const char *s, double *out)
{
    long long whole = 0, frac = 0, scale = 1000000, ppm;
    const char *p = s;
    int digits = 0;

    for (; *p >= '0' && *p <= '9'; p++, digits++)
        if ((whole = whole * 10 + (*p - '0')) > 100)
            return -1;
    if (*p == '.') {
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (scale > 1) {
                scale /= 10;
                frac += (*p - '0') * scale;
            }
    }
    if (digits == 0)
        return -1;
    ppm = whole * 1000000 + frac;
    if (*p == '%') {
        p++;
        ppm /= 100;
    }
    if (*p != '\0' || ppm > 1000000)
        return -1;
    *out = (double)ppm / 1e6;
    return 0;
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int fail(int json)
{
    const llmgw_error *e = llmgw_error_last();
    const char *cls = e->error_class ? llmgw_error_class_str(e->error_class) : "error";

    if (json) {
        printf("{\"error\":{\"class\":");
        json_string(stdout, cls);
        printf(",\"message\":");
        json_string(stdout, e->message);
        printf(",\"status\":%d,\"provider\":", e->http_status);
        if (e->provider)
            json_string(stdout, e->provider);
        else
            printf("null");
        printf(",\"retry_after_ms\":null,\"attempts\":0}}\n");
    } else {
        fprintf(stderr, "llmgw: error: %s: %s\n", cls, e->message);
    }
    return EXIT_FAIL;
}

static int is_by(const char *v)
{
    static const char *const keys[] = { "customer", "tag", "group", "provider", "model", "day" };
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        if (strcmp(v, keys[i]) == 0)
            return 1;
    return 0;
}

/* The value of --name VALUE or --name=VALUE at argv[*i]; NULL when this is not that option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];

    if (strncmp(a, name, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

int cli_cmd_cost(int argc, char **argv)
{
    llmgw_report_options o = LLMGW_REPORT_OPTIONS_INIT;
    const char *map[MAX_MAP], *logs_env = NULL;
    const char **logs;
    size_t nlogs = 0, nmap = 0;
    llmgw_buf out = LLMGW_BUF_INIT;
    int i = 1, simulate, json = 0, csv = 0, rc, only_logs = 0;

    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(help, argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "report") == 0)
        simulate = 0;
    else if (strcmp(argv[1], "simulate") == 0)
        simulate = 1;
    else
        return usage_error("unknown cost command '%s': use report or simulate", argv[1]);
    logs = calloc((size_t)argc + 1, sizeof(*logs));
    if (logs == NULL) {
        fprintf(stderr, "llmgw: error: out of memory\n");
        return EXIT_FAIL;
    }
    for (i = 2; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;

        if (only_logs || a[0] != '-') {
            logs[nlogs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_logs = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(help, stdout);
            free(logs);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--csv") == 0) {
            csv = 1;
        } else if ((v = opt_value(argc, argv, &i, "--by", &missing)) != NULL) {
            if (!is_by(v)) {
                free(logs);
                return usage_error("--by: '%s' is not one of customer, tag, group, provider, model, day", v);
            }
            o.by = v;
        } else if ((v = opt_value(argc, argv, &i, "--since", &missing)) != NULL) {
            o.since = v;
        } else if ((v = opt_value(argc, argv, &i, "--until", &missing)) != NULL) {
            o.until = v;
        } else if (simulate && (v = opt_value(argc, argv, &i, "--as", &missing)) != NULL) {
            o.as = v;
        } else if (simulate && (v = opt_value(argc, argv, &i, "--map", &missing)) != NULL) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || eq[1] == '\0' || nmap == MAX_MAP) {
                free(logs);
                return usage_error(nmap == MAX_MAP ? "--map: at most 256 (at '%s')" : "--map: '%s' is not FROM=TO", v);
            }
            map[nmap++] = v;
        } else if (simulate && (v = opt_value(argc, argv, &i, "--cache-hit-rate", &missing)) != NULL) {
            if (parse_rate(v, &o.cache_hit_rate) < 0) {
                free(logs);
                return usage_error("--cache-hit-rate: '%s' is not a rate in [0, 1] (0.3 or 30%%)", v);
            }
            o.project_cache = 1;
        } else if (simulate && (v = opt_value(argc, argv, &i, "--prices", &missing)) != NULL) {
            o.prices_path = v;
        } else {
            free(logs);
            return usage_error(missing ? "%s needs a value" : "unknown option '%s'", a);
        }
        if (missing) {
            free(logs);
            return usage_error("%s needs a value", a);
        }
    }
    if (json && csv) {
        free(logs);
        return usage_error("%s", "--json and --csv exclude each other");
    }
    if (simulate && o.as != NULL && nmap > 0) {
        free(logs);
        return usage_error("%s", "give --as or --map, not both");
    }
    if (simulate && o.as == NULL && nmap == 0 && !o.project_cache) {
        free(logs);
        return usage_error("%s", "simulate needs --as, --map or --cache-hit-rate");
    }
    if (nlogs == 0) {
        logs_env = getenv("LLMGW_USAGE_LOG");
        if (logs_env == NULL)
            logs_env = getenv("LLMGW_LOG");
        if (logs_env == NULL || logs_env[0] == '\0' || strcmp(logs_env, "off") == 0) {
            free(logs);
            return usage_error("%s", "no usage log given (and $LLMGW_USAGE_LOG is not set)");
        }
        logs[nlogs++] = logs_env;
    }
    o.format = json ? "json" : csv ? "csv" : "text";
    o.map = map;
    o.map_count = nmap;
    rc = simulate ? llmgw_cost_simulate(&out, logs, nlogs, &o) : llmgw_cost_report(&out, logs, nlogs, &o);
    free(logs);
    if (rc != 0) {
        llmgw_buf_dispose(&out);
        return fail(json);
    }
    fwrite(out.ptr ? out.ptr : "", 1, out.size, stdout);
    llmgw_buf_dispose(&out);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "llmgw: error: cannot write the report\n");
        return EXIT_FAIL;
    }
    return 0;
}
