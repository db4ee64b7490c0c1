/*
 * llmgw mock upstream: lanes, the scripts attached to them, step selection and reset.
 *
 * Lanes live until the server stops (reset clears them in place), so a request may keep a
 * pointer to its lane while it is served; `epoch` tells a settlement that a reset happened.
 * Scripts are reference-counted: replacing a script never frees a step a request is using.
 */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>

mock_lane *mock_lanes_find(mock_server *srv, const char *name, int create)
{
    for (mock_lane *l = srv->lanes; l; l = l->next)
        if (!strcmp(l->name, name))
            return l;
    if (!create || srv->nlanes >= MOCK_MAX_LANES)
        return NULL;
    mock_lane *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    size_t n = strlen(name);
    memcpy(l->name, name, n + 1);
    l->next = srv->lanes;
    srv->lanes = l;
    srv->nlanes++;
    return l;
}

/* Drops one reference; returns the script when it must be freed (outside the lock). */
static mock_script *unref(mock_script *s)
{
    if (s && --s->refs == 0)
        return s;
    return NULL;
}

int mock_lanes_set_script(mock_server *srv, const char *lane, mock_script *script)
{
    mock_script *old = NULL;
    if (!lane || !mock_lane_name_ok(lane, strlen(lane)))
        return -1;
    pthread_mutex_lock(&srv->lock);
    mock_lane *l = mock_lanes_find(srv, lane, 1);
    if (l) {
        script->refs = 1;
        old = unref(l->script);
        l->script = script;
        l->cursor = 0;
    }
    pthread_mutex_unlock(&srv->lock);
    mock_script_free(old);
    return l ? 0 : -1;
}

static void records_free(mock_record *r)
{
    while (r) {
        mock_record *next = r->next;
        free(r->json);
        free(r);
        r = next;
    }
}

int mock_lanes_admit(mock_ticket *out, mock_server *srv, const mock_request *req)
{
    memset(out, 0, sizeof *out);
    size_t size = 0;
    char *json = mock_record_render(req, &size);
    mock_record *rec = json ? malloc(sizeof *rec) : NULL;
    mock_record *drop = NULL, **drop_tail = &drop;
    if (rec) {
        rec->next = NULL;
        rec->json = json;
        rec->size = size;
    } else {
        free(json);                        /* out of memory: counted, not recorded */
    }

    pthread_mutex_lock(&srv->lock);
    mock_lane *l = mock_lanes_find(srv, req->lane, 1);
    if (l) {
        out->lane = l;
        out->epoch = l->epoch;
        out->n = ++l->counter;
        l->ledger.requests++;
        if (rec) {
            rec->n = out->n;
            if (l->rec_tail)
                l->rec_tail->next = rec;
            else
                l->rec_head = rec;
            l->rec_tail = rec;
            l->nrec++;
            l->rec_bytes += size;
            while (l->rec_head != rec &&
                   (l->nrec > MOCK_MAX_RECORDS || l->rec_bytes > MOCK_MAX_RECORD_BYTES)) {
                mock_record *old = l->rec_head;
                l->rec_head = old->next;
                l->nrec--;
                l->rec_bytes -= old->size;
                old->next = NULL;
                *drop_tail = old;
                drop_tail = &old->next;
            }
            rec = NULL;
        }
    }
    pthread_mutex_unlock(&srv->lock);
    records_free(drop);
    if (rec) {
        free(rec->json);
        free(rec);
    }
    return l ? 0 : -1;
}

void mock_lanes_take_step(mock_ticket *t, mock_server *srv)
{
    t->step = &mock_default_step;
    t->script = NULL;
    pthread_mutex_lock(&srv->lock);
    mock_script *s = t->lane->script;
    if (s && s->nsteps > 0 && t->epoch == t->lane->epoch) {
        size_t i = t->lane->cursor++;
        const mock_step *st = NULL;
        if (i < s->nsteps)
            st = &s->steps[i];
        else if (s->then == MOCK_THEN_REPEAT_LAST)
            st = &s->steps[s->nsteps - 1];
        else if (s->then == MOCK_THEN_CYCLE)
            st = &s->steps[i % s->nsteps];
        if (st) {
            s->refs++;
            t->script = s;
            t->step = st;
        }
    }
    pthread_mutex_unlock(&srv->lock);
}

void mock_lanes_release(mock_ticket *t, mock_server *srv)
{
    mock_script *dead = NULL;
    if (t->script) {
        pthread_mutex_lock(&srv->lock);
        dead = unref(t->script);
        pthread_mutex_unlock(&srv->lock);
    }
    mock_script_free(dead);
    t->script = NULL;
    t->step = NULL;
}

void mock_lanes_reset(mock_server *srv)
{
    pthread_mutex_lock(&srv->lock);
    for (mock_lane *l = srv->lanes; l; l = l->next) {
        l->epoch++;
        mock_script_free(unref(l->script));   /* requests in flight keep their reference */
        l->script = NULL;
        l->cursor = 0;
        l->counter = 0;
        records_free(l->rec_head);
        l->rec_head = l->rec_tail = NULL;
        l->nrec = l->rec_bytes = 0;
        memset(&l->ledger, 0, sizeof l->ledger);
    }
    pthread_mutex_unlock(&srv->lock);
}

void mock_lanes_free(mock_server *srv)
{
    mock_lane *l = srv->lanes;
    while (l) {
        mock_lane *next = l->next;
        mock_script_free(unref(l->script));
        records_free(l->rec_head);
        free(l);
        l = next;
    }
    srv->lanes = NULL;
    srv->nlanes = 0;
}
