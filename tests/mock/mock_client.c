/*
 * Test helpers for the mock upstream: a libcurl client, an SSE splitter and raw sockets.
 */
#include "mock_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct grow { char *p; size_t len; } grow;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    grow *g = userdata;
    size_t n = size * nmemb;
    char *np = realloc(g->p, g->len + n + 1);
    if (!np)
        return 0;
    memcpy(np + g->len, ptr, n);
    g->len += n;
    np[g->len] = '\0';
    g->p = np;
    return n;
}

typedef struct upload { const char *p; size_t left; } upload;

static size_t on_read(char *buf, size_t size, size_t nitems, void *userdata)
{
    upload *u = userdata;
    size_t n = size * nitems;
    if (n > 7)
        n = 7;                             /* several small chunks */
    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

void http_do(hres *out, const char *url, const hreq *rq)
{
    static const hreq none = {0};
    if (!rq)
        rq = &none;
    memset(out, 0, sizeof *out);
    CURL *h = rq->handle ? rq->handle : curl_easy_init();
    assert_non_null(h);
    grow body = {0}, head = {0};
    upload up = {rq->body, rq->body ? strlen(rq->body) : 0};
    struct curl_slist *hl = NULL;
    if (!rq->no_auth) {
        hl = curl_slist_append(hl, "Authorization: Bearer sk-test");
        hl = curl_slist_append(hl, "Content-Type: application/json");
    }
    for (size_t i = 0; rq->headers && rq->headers[i]; i++)
        hl = curl_slist_append(hl, rq->headers[i]);
    if (rq->chunked)
        hl = curl_slist_append(hl, "Transfer-Encoding: chunked");

    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, rq->timeout_ms ? rq->timeout_ms : 10000L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    if (rq->body && rq->chunked) {
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(h, CURLOPT_READDATA, &up);
    } else if (rq->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(rq->body));
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);

    out->rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &out->seconds);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &out->connects);
    curl_easy_getinfo(h, CURLINFO_LOCAL_PORT, &out->local_port);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hl);
    if (!rq->handle)
        curl_easy_cleanup(h);
    out->body = body.p ? body.p : calloc(1, 1);
    out->body_len = body.len;
    out->head = head.p ? head.p : calloc(1, 1);
    out->head_len = head.len;
}

void hres_free(hres *r)
{
    free(r->body);
    free(r->head);
    memset(r, 0, sizeof *r);
}

int hres_header(const hres *r, const char *name, char *buf, size_t size)
{
    size_t nl = strlen(name);
    int found = 0;
    for (const char *line = r->head; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > nl && !strncasecmp(line, name, nl) && line[nl] == ':') {
            const char *v = line + nl + 1;
            while (*v == ' ')
                v++;
            size_t vl = (size_t)(line + len - v);
            while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == ' '))
                vl--;
            if (vl >= size)
                vl = size - 1;
            memcpy(buf, v, vl);
            buf[vl] = '\0';
            found = 1;
        }
        line = end ? end + 1 : NULL;
    }
    return found;
}

char *mk_url(char *buf, size_t size, const mock_server *srv, const char *path)
{
    snprintf(buf, size, "%s%s", mock_server_base_url(srv), path);
    return buf;
}

void chat(hres *out, const mock_server *srv, const char *lane, int stream, int include_usage)
{
    char url[256], path[128], body[512];
    snprintf(path, sizeof path, "%s%s/v1/chat/completions", lane ? "/lane/" : "", lane ? lane : "");
    snprintf(body, sizeof body, "%s%s%s}", CHAT_BODY, stream ? ",\"stream\":true" : "",
             include_usage ? ",\"stream_options\":{\"include_usage\":true}" : "");
    hreq rq = {.body = body};
    http_do(out, mk_url(url, sizeof url, srv, path), &rq);
}

void sse_parse(sse *out, const char *body, size_t len)
{
    memset(out, 0, sizeof *out);
    const char *p = body, *end = body + len;
    while (p < end) {
        const char *sep = NULL;
        for (const char *q = p; q + 1 < end; q++)
            if (q[0] == '\n' && q[1] == '\n') {
                sep = q;
                break;
            }
        const char *ev_end = sep ? sep : end;
        if (ev_end - p >= 6 && !strncmp(p, "data: ", 6)) {
            size_t n = (size_t)(ev_end - p - 6);
            char *d = malloc(n + 1);
            assert_non_null(d);
            memcpy(d, p + 6, n);
            d[n] = '\0';
            out->ev = realloc(out->ev, (out->n + 1) * sizeof *out->ev);
            assert_non_null(out->ev);
            out->ev[out->n++] = d;
        }
        p = sep ? sep + 2 : end;
    }
}

void sse_free(sse *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ev[i]);
    free(s->ev);
    memset(s, 0, sizeof *s);
}

char *sse_text(const sse *s)
{
    size_t cap = 1, len = 0;
    char *t = calloc(1, 1);
    for (size_t i = 0; i < s->n && t; i++) {
        cJSON *j = cJSON_Parse(s->ev[i]);
        const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "choices"), 0);
        const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(ch, "delta"), "content");
        if (cJSON_IsString(c)) {
            size_t n = strlen(c->valuestring);
            if (len + n + 1 > cap) {
                cap = (len + n + 1) * 2;
                t = realloc(t, cap);
            }
            if (t) {
                memcpy(t + len, c->valuestring, n + 1);
                len += n;
            }
        }
        cJSON_Delete(j);
    }
    return t;
}

int raw_exchange(unsigned short port, const char *req, size_t len, char **resp, size_t *resp_len,
                 int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t off = 0;
    while (off < len) {
        ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;                         /* the server may refuse early */
        off += (size_t)w;
    }
    grow g = {0};
    double until = now_s() + timeout_ms / 1000.0;
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        int left = (int)((until - now_s()) * 1000);
        if (left <= 0 || poll(&p, 1, left) <= 0)
            break;
        char buf[65536];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        on_data(buf, 1, (size_t)r, &g);
    }
    close(fd);
    *resp = g.p ? g.p : calloc(1, 1);
    *resp_len = g.len;
    return 0;
}

int count_substr(const char *hay, size_t len, const char *needle)
{
    int n = 0;
    size_t nl = strlen(needle);
    for (const char *p = hay; (p = memmem(p, len - (size_t)(p - hay), needle, nl)) != NULL; p += nl)
        n++;
    return n;
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

cJSON *parse_body(const hres *r)
{
    cJSON *j = cJSON_ParseWithLength(r->body, r->body_len);
    assert_non_null(j);
    return j;
}

const cJSON *at(const cJSON *j, const char *path)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", path);
    const cJSON *cur = j;
    for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur;
         tok = strtok_r(NULL, ".", &save)) {
        if (tok[0] >= '0' && tok[0] <= '9')
            cur = cJSON_GetArrayItem(cur, (int)strtol(tok, NULL, 10));
        else
            cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
    }
    return cur;
}

double num(const cJSON *j, const char *path)
{
    const cJSON *v = at(j, path);
    assert_true(cJSON_IsNumber(v));
    return v->valuedouble;
}

const char *str(const cJSON *j, const char *path)
{
    const cJSON *v = at(j, path);
    assert_true(cJSON_IsString(v));
    return v->valuestring;
}

void script(mock_server *srv, const char *lane, const char *json)
{
    char err[256];
    int rc = mock_server_script_err(srv, lane, json, err, sizeof err);
    if (rc != 0)
        fail_msg("script rejected: %s", err);
}

int parses(const char *s)
{
    cJSON *j = cJSON_Parse(s);
    cJSON_Delete(j);
    return j != NULL;
}
