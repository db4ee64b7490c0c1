/*
 * llmgw-mock: the loopback mock upstream as a program, for the Python and Ruby tests.
 *
 * Prints exactly one line, the base URL, once it is listening; serves until SIGINT or SIGTERM;
 * then stops cleanly and exits 0. Scripts can be loaded at start (--script LANE=FILE) or posted
 * later to /__mock/script/<lane>.
 */
#include "mock_server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fputs("usage: llmgw-mock [--host H] [--port P] [--script LANE=FILE]...\n"
          "  --host H             127.0.0.1 (default), ::1 or localhost; nothing else\n"
          "  --port P             TCP port, 0 (default) picks a free one\n"
          "  --script LANE=FILE   load a script (JSON) into a lane at start; repeatable\n"
          "Prints the base URL (http://127.0.0.1:PORT) on one line, then serves until SIGINT or\n"
          "SIGTERM. Control plane: POST /__mock/script/<lane>, GET /__mock/requests/<lane>,\n"
          "GET /__mock/ledger[/<lane>], POST /__mock/reset, GET /__mock/health.\n",
          f);
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            if (cap >= 16u << 20) {
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len - 1, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) {
                free(buf);
                buf = NULL;
            }
            break;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* "--name value" or "--name=value"; advances *i past what it used. */
static const char *opt_value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0)
        return NULL;
    if (argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (argv[*i][n] == '\0' && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int main(int argc, char **argv)
{
    const char *host = NULL;
    unsigned short port = 0;
    const char **scripts = calloc((size_t)argc + 1, sizeof *scripts);
    int nscripts = 0;
    if (!scripts)
        return 1;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            free(scripts);
            return 0;
        } else if ((v = opt_value(argc, argv, &i, "--host")) != NULL) {
            host = v;
        } else if ((v = opt_value(argc, argv, &i, "--port")) != NULL) {
            char *end;
            errno = 0;
            unsigned long p = strtoul(v, &end, 10);
            if (!*v || *end || errno || p > 65535) {
                fprintf(stderr, "llmgw-mock: bad port '%s'\n", v);
                free(scripts);
                return 2;
            }
            port = (unsigned short)p;
        } else if ((v = opt_value(argc, argv, &i, "--script")) != NULL && strchr(v, '=')) {
            scripts[nscripts++] = v;
        } else {
            fprintf(stderr, "llmgw-mock: unknown or incomplete option '%s'\n", argv[i]);
            usage(stderr);
            free(scripts);
            return 2;
        }
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);  /* every server thread inherits the mask */
    signal(SIGPIPE, SIG_IGN);

    mock_server *srv = NULL;
    if (mock_server_start(&srv, host, port) < 0) {
        fprintf(stderr, "llmgw-mock: cannot listen on %s port %u (loopback only)\n",
                host ? host : "127.0.0.1", (unsigned)port);
        free(scripts);
        return 1;
    }
    for (int i = 0; i < nscripts; i++) {
        char lane[80];
        const char *eq = strchr(scripts[i], '=');
        size_t ln = (size_t)(eq - scripts[i]);
        char *json = NULL, err[256];
        if (ln >= sizeof lane || !(json = read_file(eq + 1))) {
            fprintf(stderr, "llmgw-mock: cannot read script '%s'\n", scripts[i]);
            mock_server_stop(srv);
            free(scripts);
            return 2;
        }
        memcpy(lane, scripts[i], ln);
        lane[ln] = '\0';
        int rc = mock_server_script_err(srv, lane, json, err, sizeof err);
        free(json);
        if (rc < 0) {
            fprintf(stderr, "llmgw-mock: %s: %s\n", eq + 1, err);
            mock_server_stop(srv);
            free(scripts);
            return 2;
        }
    }
    free(scripts);

    printf("%s\n", mock_server_base_url(srv));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&set, &sig) != 0)
        ;
    mock_server_stop(srv);
    return 0;
}
