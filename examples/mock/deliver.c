/*
 * llmgw mock upstream: writes a plan with the step's timing and faults, and settles the ledger.
 *
 * Timeline of one answer:  delay_ms | reset before_headers | status line + headers |
 *   reset after_headers / mid_body | first_byte_delay_ms | body or events (drip_ms per byte,
 *   event_delay_ms between events; at "K events sent": stall, reset after_events, cut, or the
 *   error event) | end of the chunked body.
 * A non-stream body counts as one event. Stream events go out one chunk each, in one sendmsg.
 */
#include "mock_internal.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char crlf[] = "\r\n";
static const char last_chunk[] = "0\r\n\r\n";

static void put_head(mbuf *o, const mock_step *st, const mock_plan *p, const mock_ticket *t,
                     int no_body)
{
    int ct_override = 0;
    for (size_t i = 0; i < st->nheaders; i++)
        ct_override |= !strcasecmp(st->headers[i].name, "content-type");
    mbuf_printf(o, "HTTP/1.1 %d %s\r\n", p->status, mock_reason(p->status));
    if (!ct_override && !no_body)
        mbuf_printf(o, "Content-Type: %s\r\n", p->content_type);
    if (p->stream)
        mbuf_puts(o, "Transfer-Encoding: chunked\r\nCache-Control: no-cache\r\n");
    else if (!no_body)
        mbuf_printf(o, "Content-Length: %zu\r\n", p->body_len);
    mbuf_printf(o, "x-mock-request-id: %s-%llu\r\n", t->lane->name, (unsigned long long)t->n);
    if (p->extra_headers)
        mbuf_puts(o, p->extra_headers);
    if (!p->keep_alive)
        mbuf_puts(o, "Connection: close\r\n");
    for (size_t i = 0; i < st->nheaders; i++)
        mbuf_printf(o, "%s: %s\r\n", st->headers[i].name, st->headers[i].value);
    for (uint32_t i = 1; i <= st->header_count; i++)
        mbuf_printf(o, "x-mock-pad-%u: v\r\n", i);
    if (st->header_bytes) {
        mbuf_puts(o, "x-mock-pad-bytes: ");
        if (mbuf_reserve(o, (size_t)st->header_bytes) == 0) {
            memset(o->data + o->len, 'a', (size_t)st->header_bytes);
            o->len += (size_t)st->header_bytes;
            o->data[o->len] = '\0';
        }
        mbuf_puts(o, crlf);
    }
    mbuf_puts(o, crlf);
}

/* Settles what the final write completed: ok answer and/or usage. */
static void settle(mock_conn *c, const mock_ticket *t, const mock_plan *p, int written,
                   int with_usage)
{
    int ok = written && p->status == 200 && !p->broken;
    const mock_usage *u = written && with_usage && p->status == 200 ? &p->usage : NULL;
    if (ok || u)
        mock_ledger_settle(c->srv, t, ok, u);
}

static int send_event(mock_conn *c, const mock_stream *s, size_t i, int broken)
{
    const mock_event *ev = &s->ev[i];
    const char *base = s->bytes.data;
    char line[24];
    struct iovec iov[5];
    int n = 1;
    size_t len;
    if (!broken) {
        len = ev->len;
        iov[n++] = (struct iovec){mock_unconst(base + ev->off), ev->len};
    } else {                               /* framing kept, JSON cut in half */
        size_t pre = ev->json_off - ev->off, half = ev->json_len / 2;
        size_t suf_off = ev->json_off + ev->json_len, suf = ev->off + ev->len - suf_off;
        len = pre + half + suf;
        iov[n++] = (struct iovec){mock_unconst(base + ev->off), pre};
        iov[n++] = (struct iovec){mock_unconst(base + ev->json_off), half};
        iov[n++] = (struct iovec){mock_unconst(base + suf_off), suf};
    }
    iov[0] = (struct iovec){line, (size_t)snprintf(line, sizeof line, "%zx\r\n", len)};
    iov[n++] = (struct iovec){mock_unconst(crlf), 2};
    return mock_send(c, iov, n, 0);
}

static int skipped(const mock_step *st, const mock_event *ev)
{
    return ev->kind == MOCK_EV_ERROR || (st->omit_done && ev->kind == MOCK_EV_DONE);
}

static int deliver_stream(mock_conn *c, const mock_ticket *t, const mock_step *st,
                          const mock_plan *p)
{
    const mock_stream *s = p->events;
    struct iovec head = {c->out.data, c->out.len};
    if (st->reset == MOCK_RESET_AFTER_HEADERS) {
        mock_send(c, &head, 1, 0);
        mock_reset_conn(c);
        return -1;
    }
    if (st->reset == MOCK_RESET_MID_BODY) {
        mbuf *all = &c->scratch;
        mbuf_clear(all);
        for (size_t i = 0; i < s->nev; i++)
            if (!skipped(st, &s->ev[i])) {
                mbuf_printf(all, "%zx\r\n", s->ev[i].len);
                mbuf_put(all, s->bytes.data + s->ev[i].off, s->ev[i].len);
                mbuf_puts(all, crlf);
            }
        mbuf_puts(all, last_chunk);
        struct iovec iov[2] = {head, {all->data, all->len / 2}};
        mock_send(c, iov, 2, 0);
        mock_reset_conn(c);
        return -1;
    }
    if (mock_send(c, &head, 1, 0) < 0 || mock_pause(c, st->first_byte_delay_ms) < 0)
        return -1;
    c->drip_ms = st->drip_ms;
    int64_t sent = 0;
    int rc = 0, stalled = 0;
    for (size_t i = 0;; i++) {
        while (i < s->nev && skipped(st, &s->ev[i]))
            i++;
        if (!stalled && st->stall_after_events == sent) {
            stalled = 1;
            if (mock_pause(c, st->stall_ms) < 0) {
                rc = -1;
                break;
            }
        }
        if (st->reset == MOCK_RESET_AFTER_EVENTS && st->reset_after_events == sent) {
            mock_reset_conn(c);
            rc = -1;
            break;
        }
        if (st->cut_after_events == sent)
            break;
        if (p->error_event >= 0 && st->error_after_events == sent) {
            rc = send_event(c, s, (size_t)p->error_event, 0);
            break;
        }
        if (i >= s->nev)
            break;
        if ((sent > 0 && mock_pause(c, st->event_delay_ms) < 0) ||
            send_event(c, s, i, (long)i == p->broken_event) < 0) {
            rc = -1;
            break;
        }
        sent++;
        if (s->ev[i].kind == MOCK_EV_USAGE && p->has_usage)
            mock_ledger_settle(c->srv, t, 0, &p->usage);
    }
    if (rc == 0) {
        struct iovec end = {mock_unconst(last_chunk), sizeof last_chunk - 1};
        rc = mock_send(c, &end, 1, 1);
        settle(c, t, p, rc == 0, 0);
        mock_finish_done(c->srv);
    }
    c->drip_ms = 0;
    return rc;
}

static int deliver_body(mock_conn *c, const mock_ticket *t, const mock_step *st,
                        const mock_plan *p, int no_body)
{
    size_t len = no_body ? 0 : p->body_len;
    struct iovec iov[2] = {{c->out.data, c->out.len}, {mock_unconst(p->body), len}};
    if (st->reset == MOCK_RESET_AFTER_HEADERS ||
        (st->reset == MOCK_RESET_AFTER_EVENTS && st->reset_after_events == 0)) {
        mock_send(c, iov, 1, 0);
        mock_reset_conn(c);
        return -1;
    }
    if (st->reset == MOCK_RESET_MID_BODY) {
        iov[1].iov_len = len / 2;
        mock_send(c, iov, 2, 0);
        mock_reset_conn(c);
        return -1;
    }
    int rc;
    if (!st->first_byte_delay_ms && !st->drip_ms && st->stall_after_events != 0) {
        rc = mock_send(c, iov, 2, 1);      /* the usual case: one write */
    } else {
        if (mock_send(c, iov, 1, 0) < 0 || mock_pause(c, st->first_byte_delay_ms) < 0 ||
            (st->stall_after_events == 0 && mock_pause(c, st->stall_ms) < 0))
            return -1;
        c->drip_ms = st->drip_ms;
        rc = mock_send(c, iov + 1, 1, 1);
        c->drip_ms = 0;
    }
    settle(c, t, p, rc == 0, p->has_usage);
    mock_finish_done(c->srv);
    if (rc < 0)
        return -1;
    if (st->reset == MOCK_RESET_AFTER_EVENTS) {
        mock_reset_conn(c);
        return -1;
    }
    if (st->stall_after_events >= 1 && mock_pause(c, st->stall_ms) < 0)
        return -1;
    return 0;
}

int mock_deliver(mock_conn *c, const mock_ticket *t, const mock_step *st, mock_plan *p)
{
    if (mock_pause(c, st->delay_ms) < 0)
        return -1;
    if (st->reset == MOCK_RESET_BEFORE_HEADERS) {
        mock_reset_conn(c);
        return -1;
    }
    int no_body = p->status == 204 || p->status == 304;
    if (no_body)
        p->stream = 0;
    mbuf_clear(&c->out);
    put_head(&c->out, st, p, t, no_body);
    if (c->out.oom)
        return -1;
    return p->stream ? deliver_stream(c, t, st, p) : deliver_body(c, t, st, p, no_body);
}
