/*
 * llmgw mock upstream: recorded requests and the usage ledger.
 *
 * Per lane the ledger counts:
 *   requests          every non-control request received on the lane (validation failures and
 *                     unknown paths included)
 *   responses_ok      status-200 answers whose bytes were all written (no reset, no write error,
 *                     no client gone, no stop) and that carry no content fault (cut_after_events,
 *                     omit_done, malformed, error_event)
 *   usage_reports     usage objects completely written: a non-stream 200 body written to its last
 *                     byte (not malformed), or a stream's usage event written completely
 *   *_tokens          the sums over those reports (prompt, completion, cached, reasoning); for
 *                     usage_raw, only members that are integers in 0..2^53 count
 * A settlement is made right after the write() that completed the report returned, and
 * mock_server_ledger() waits (up to about a second) for final writes in flight, so a client that
 * has read its whole answer always finds it in the ledger.
 */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

char *mock_record_render(const mock_request *req, size_t *size_out)
{
    mbuf b = {0};
    mbuf_puts(&b, "\"method\":");
    mbuf_json_cstr(&b, req->method);
    mbuf_puts(&b, ",\"path\":");
    mbuf_json_cstr(&b, req->path);
    mbuf_puts(&b, ",\"query\":");
    mbuf_json_cstr(&b, req->query);
    mbuf_puts(&b, ",\"headers\":{");
    int first = 1;
    for (size_t i = 0; i < req->nheaders; i++) {
        const mock_header *h = &req->headers[i];
        size_t j, dups = 0;
        for (j = 0; j < i && strcmp(req->headers[j].name, h->name) != 0; j++)
            ;
        if (j < i)
            continue;                      /* joined into the first occurrence */
        for (j = i + 1; j < req->nheaders; j++)
            dups += !strcmp(req->headers[j].name, h->name);
        if (!first)
            mbuf_putc(&b, ',');
        first = 0;
        mbuf_json_cstr(&b, h->name);
        mbuf_putc(&b, ':');
        if (!dups) {
            mbuf_json_cstr(&b, h->value);
            continue;
        }
        mbuf joined = {0};
        mbuf_puts(&joined, h->value);
        for (j = i + 1; j < req->nheaders; j++)
            if (!strcmp(req->headers[j].name, h->name)) {
                mbuf_puts(&joined, ", ");
                mbuf_puts(&joined, req->headers[j].value);
            }
        b.oom |= joined.oom;
        mbuf_json_str(&b, joined.data ? joined.data : "", joined.len);
        mbuf_free(&joined);
    }
    mbuf_puts(&b, "},\"body\":");
    mbuf_json_str(&b, req->body ? req->body : "", req->body_len);
    mbuf_putc(&b, '}');
    *size_out = b.len + sizeof(mock_record);
    return mbuf_steal(&b);
}

void mock_ledger_settle(mock_server *srv, const mock_ticket *t, int ok, const mock_usage *usage)
{
    if (!t->lane)
        return;
    pthread_mutex_lock(&srv->lock);
    mock_lane *l = t->lane;
    if (t->epoch == l->epoch) {
        if (ok)
            l->ledger.responses_ok++;
        if (usage) {
            l->ledger.usage_reports++;
            l->ledger.prompt_tokens += usage->prompt;
            l->ledger.completion_tokens += usage->completion;
            l->ledger.cached_tokens += usage->cached;
            l->ledger.reasoning_tokens += usage->reasoning;
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

void mock_finish_wait(mock_server *srv)
{
    int64_t until = mock_now_ms() + 1000;
    while (atomic_load(&srv->finishing) > 0 && mock_now_ms() < until) {
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
}

static void add(mock_ledger *out, const mock_ledger *in)
{
    out->requests += in->requests;
    out->responses_ok += in->responses_ok;
    out->usage_reports += in->usage_reports;
    out->prompt_tokens += in->prompt_tokens;
    out->completion_tokens += in->completion_tokens;
    out->cached_tokens += in->cached_tokens;
    out->reasoning_tokens += in->reasoning_tokens;
}

void mock_ledger_sum(mock_server *srv, const char *lane, mock_ledger *out)
{
    memset(out, 0, sizeof *out);
    mock_finish_wait(srv);
    pthread_mutex_lock(&srv->lock);
    for (const mock_lane *l = srv->lanes; l; l = l->next)
        if (!lane || !strcmp(lane, l->name))
            add(out, &l->ledger);
    pthread_mutex_unlock(&srv->lock);
}

void mock_ledger_write_json(mbuf *out, const mock_ledger *l)
{
    mbuf_printf(out,
                "{\"requests\":%llu,\"responses_ok\":%llu,\"usage_reports\":%llu,"
                "\"prompt_tokens\":%llu,\"completion_tokens\":%llu,\"cached_tokens\":%llu,"
                "\"reasoning_tokens\":%llu}",
                (unsigned long long)l->requests, (unsigned long long)l->responses_ok,
                (unsigned long long)l->usage_reports, (unsigned long long)l->prompt_tokens,
                (unsigned long long)l->completion_tokens, (unsigned long long)l->cached_tokens,
                (unsigned long long)l->reasoning_tokens);
}

char *mock_requests_json(mock_server *srv, const char *lane)
{
    if (!lane || !mock_lane_name_ok(lane, strlen(lane)))
        return NULL;
    mbuf b = {0};
    mbuf_putc(&b, '[');
    pthread_mutex_lock(&srv->lock);
    const mock_lane *l = mock_lanes_find(srv, lane, 0);
    for (const mock_record *r = l ? l->rec_head : NULL; r; r = r->next) {
        if (r != l->rec_head)
            mbuf_putc(&b, ',');
        mbuf_puts(&b, "{\"n\":");
        mbuf_put_u64(&b, r->n);
        mbuf_putc(&b, ',');
        mbuf_puts(&b, r->json);
    }
    pthread_mutex_unlock(&srv->lock);
    mbuf_putc(&b, ']');
    return mbuf_steal(&b);
}
