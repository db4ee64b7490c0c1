/*
 * lib/transport/framing.c: line reader, SSE and NDJSON framing.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "framing.h"

void llmgw__lines_init(llmgw__lines *l, size_t max_line, bool lf_only)
{
    memset(l, 0, sizeof(*l));
    l->max_line = max_line;
    l->lf_only = lf_only;
}

void llmgw__lines_dispose(llmgw__lines *l)
{
    llmgw_buf_dispose(&l->partial);
}

size_t llmgw__lines_pending(const llmgw__lines *l)
{
    return l->partial.size;
}

static int emit(llmgw__lines *l, const char *line, size_t len, llmgw__line_cb cb, void *ud)
{
    if (l->lf_only && len > 0 && line[len - 1] == '\r')
        len--;
    return cb(ud, line, len);
}

/*
 * The next CR or LF at or after p, or NULL. memchr for each (vectorized),
 * remembering where the next one of each is (NULL: not looked for yet), so
 * a block of many lines is read in one pass whatever its line ends.
 */
typedef struct eol_cache {
    const char *lf, *cr;     /* the next LF / CR found, or end when there is none */
} eol_cache;

static const char *find_eol(const char *p, const char *end, bool lf_only, eol_cache *c)
{
    const char *e;

    if (c->lf == NULL || c->lf < p) {
        c->lf = memchr(p, '\n', (size_t)(end - p));
        if (c->lf == NULL)
            c->lf = end;
    }
    if (lf_only)
        return c->lf < end ? c->lf : NULL;
    if (c->cr == NULL || c->cr < p) {
        c->cr = memchr(p, '\r', (size_t)(end - p));
        if (c->cr == NULL)
            c->cr = end;
    }
    e = c->lf < c->cr ? c->lf : c->cr;
    return e < end ? e : NULL;
}

int llmgw__lines_feed(llmgw__lines *l, const char *buf, size_t len, llmgw__line_cb cb, void *ud)
{
    const char *p = buf, *end = buf + len, *eol;
    eol_cache cache = { NULL, NULL };
    int rc;

    if (len == 0)
        return 0;
    if (l->skip_lf) {
        l->skip_lf = false;
        if (*p == '\n')
            p++;
    }
    while (p < end) {
        eol = find_eol(p, end, l->lf_only, &cache);
        if (eol == NULL) {
            if (l->partial.size + (size_t)(end - p) > l->max_line)
                return LLMGW__FRAMING_TOO_LONG;
            return llmgw__buf_put(&l->partial, p, (size_t)(end - p));
        }
        if (l->partial.size > 0) {
            if (l->partial.size + (size_t)(eol - p) > l->max_line)
                return LLMGW__FRAMING_TOO_LONG;
            LLMGW_TRY(llmgw__buf_put(&l->partial, p, (size_t)(eol - p)));
            rc = emit(l, l->partial.ptr, l->partial.size, cb, ud);
            llmgw__buf_clear(&l->partial);
        } else {
            if ((size_t)(eol - p) > l->max_line)
                return LLMGW__FRAMING_TOO_LONG;
            rc = emit(l, p, (size_t)(eol - p), cb, ud);
        }
        if (rc != 0)
            return rc;
        if (*eol == '\r') {
            if (eol + 1 < end) {
                if (eol[1] == '\n')
                    eol++;
            } else {
                l->skip_lf = true;
            }
        }
        p = eol + 1;
    }
    return 0;
}

/* ---- SSE ---- */

void llmgw__sse_init(llmgw__sse *p, size_t max_line, llmgw__sse_cb cb, void *userdata)
{
    memset(p, 0, sizeof(*p));
    llmgw__lines_init(&p->lines, max_line, false);
    p->max_event = max_line * 2;
    p->cb = cb;
    p->userdata = userdata;
}

void llmgw__sse_dispose(llmgw__sse *p)
{
    llmgw__lines_dispose(&p->lines);
    llmgw_buf_dispose(&p->data);
    llmgw_buf_dispose(&p->event);
}

bool llmgw__sse_pending(const llmgw__sse *p)
{
    return p->has_data || llmgw__lines_pending(&p->lines) > 0;
}

static int sse_line(void *ud, const char *line, size_t len)
{
    llmgw__sse *p = ud;
    const char *colon, *value;
    size_t name_len, value_len;
    int rc;

    if (!p->started) {
        p->started = true;
        if (len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {     /* U+FEFF starting the stream */
            line += 3;
            len -= 3;
        }
    }
    if (len == 0) {
        if (p->has_data) {
            p->events++;
            rc = p->cb(p->userdata, llmgw__buf_cstr(&p->event), p->event.size,
                       llmgw__buf_cstr(&p->data), p->data.size);
            p->has_data = false;
            llmgw__buf_clear(&p->data);
            llmgw__buf_clear(&p->event);
            return rc;
        }
        llmgw__buf_clear(&p->event);
        return 0;
    }
    if (line[0] == ':')
        return 0;       /* comment */
    colon = memchr(line, ':', len);
    if (colon != NULL) {
        name_len = (size_t)(colon - line);
        value = colon + 1;
        value_len = len - name_len - 1;
        if (value_len > 0 && *value == ' ') {
            value++;
            value_len--;
        }
    } else {
        name_len = len;
        value = line + len;
        value_len = 0;
    }
    if (name_len == 4 && memcmp(line, "data", 4) == 0) {
        if (p->data.size + value_len + 1 > p->max_event)
            return LLMGW__FRAMING_TOO_LONG;
        if (p->has_data)
            LLMGW_TRY(llmgw__buf_putc(&p->data, '\n'));
        LLMGW_TRY(llmgw__buf_put(&p->data, value, value_len));
        p->has_data = true;
    } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
        LLMGW_TRY(llmgw__buf_set(&p->event, value, value_len));
    }
    /* id, retry and unknown fields are ignored */
    return 0;
}

int llmgw__sse_feed(llmgw__sse *p, const char *buf, size_t len)
{
    return llmgw__lines_feed(&p->lines, buf, len, sse_line, p);
}
