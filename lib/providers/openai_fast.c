/*
 * lib/providers/openai_fast.c: the common OpenAI answers read without cJSON.
 *
 * A chat.completion body or a chat.completion.chunk event is read by the
 * strict tokenizer (lib/core/jtape.c) instead of into a cJSON tree, which
 * costs a malloc per value, a strtod per number and a free per value again:
 * about 35,000 instructions for a 576-byte answer and 13,000 for a
 * 250-byte stream event, where this takes a few thousand.
 *
 * It is a fast path, not a second parser: it first reads everything it
 * needs from the text, without touching the reply, and hands the answer to
 * openai_parse.c's cJSON path whenever it meets anything but the plain
 * shape: text that jtape refuses, an error member or object, a refusal,
 * content parts, tool calls, a count that is not a plain integer,
 * implausible usage, more than four choices. So every unusual case, and
 * every error message, stays the cJSON path's. Only then does it apply
 * what it read, in the order the cJSON path does (id, model, reasoning,
 * text, finish, usage), so a stream callback that stops, or memory that
 * runs out, ends it at the same point. tests/providers/test_openai_fast.c
 * checks both paths agree on fixtures and on thousands of mutated texts.
 */
#include "../core/common.h"
#include "../core/errors.h"
#include "../core/jtape.h"
#include "../core/reply.h"
#include "openai.h"

#define STACK_TOKENS  256
#define STACK_SCRATCH 1024
#define MAX_CHOICES   4

typedef struct fstr {
    const char *p;       /* NULL: absent or not a string */
    size_t      len;
} fstr;

typedef struct fchoice {
    fstr reasoning, content, finish, native;
} fchoice;

typedef struct fplan {
    fstr               id, model;
    fchoice            ch[MAX_CHOICES];
    size_t             nch;
    bool               has_usage;
    llmgw_token_counts usage;
} fplan;

typedef struct fscratch {
    char   inline_mem[STACK_SCRATCH];
    char  *p;
    size_t used, cap;
    size_t need;         /* bytes the whole text could need: its length plus a NUL per token */
} fscratch;

enum { FAST_OK = 0, FAST_NO = 1, FAST_NOMEM = -1 };

static void scratch_init(fscratch *s, size_t need)
{
    s->p = s->inline_mem;
    s->used = 0;
    s->cap = sizeof(s->inline_mem);
    s->need = need;
}

static void scratch_dispose(fscratch *s)
{
    if (s->p != s->inline_mem)
        llmgw__free(s->p);
}

/* Room for n more bytes: the first time the inline block is short, one block for the whole text. */
static char *scratch_take(fscratch *s, size_t n)
{
    char *p;

    if (s->cap - s->used < n) {
        if (s->p != s->inline_mem || s->need < n)
            return NULL;            /* cannot happen: need covers every string of the text */
        if ((p = llmgw__malloc(s->need)) == NULL)
            return NULL;
        s->p = p;
        s->used = 0;
        s->cap = s->need;
    }
    p = s->p + s->used;
    s->used += n;
    return p;
}

/*
 * The string at token i: absent or not a string leaves *out NULL (what
 * llmgw__json_str returns). cstr: NUL-terminated (copied when it is not
 * already decoded into scratch).
 */
static int get_str(const llmgw__jtape *t, uint32_t i, fscratch *s, bool cstr, fstr *out)
{
    const llmgw__jtok *k;
    char *dst;

    out->p = NULL;
    out->len = 0;
    if (llmgw__jtape_type(t, i) != LLMGW__JT_STRING)
        return FAST_OK;
    k = &t->tok[i];
    if (!k->escaped && !cstr)
        return llmgw__jtape_str(t, i, NULL, 0, &out->p, &out->len) == 0 ? FAST_OK : FAST_NO;
    if ((dst = scratch_take(s, (size_t)k->len + 1)) == NULL)
        return FAST_NOMEM;
    if (!k->escaped) {
        memcpy(dst, t->text + k->off, k->len);
        dst[k->len] = '\0';
        out->p = dst;
        out->len = k->len;
        return FAST_OK;
    }
    return llmgw__jtape_str(t, i, dst, (size_t)k->len + 1, &out->p, &out->len) == 0 ? FAST_OK : FAST_NO;
}

/* The root is an answer, not an error (openai_error.c's test, answered "maybe" conservatively). */
static bool plain_root(const llmgw__jtape *t)
{
    uint32_t err = llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "error"), obj = llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "object");

    if (t->tok[LLMGW__JTAPE_ROOT].type != LLMGW__JT_OBJECT || !llmgw__jtape_nullish(t, err))
        return false;
    return !(llmgw__jtape_type(t, obj) == LLMGW__JT_STRING && llmgw__jtape_str_is(t, obj, "error"));
}

/* A count member: absent or null is 0; else a plain integer, or the cJSON path decides. */
static bool count(const llmgw__jtape *t, uint32_t obj, const char *key, uint64_t *out)
{
    uint32_t i = llmgw__jtape_get(t, obj, key);

    *out = 0;
    if (llmgw__jtape_nullish(t, i))
        return true;
    return llmgw__jtape_uint(t, i, out) == 0 && *out < LLMGW_MAX_TOKENS_VALUE;
}

/* llmgw__openai_usage on the tape; false for anything it would refuse or read otherwise. */
static bool usage(const llmgw__jtape *t, uint32_t u, llmgw_token_counts *c)
{
    uint32_t pd = llmgw__jtape_get(t, u, "prompt_tokens_details");
    uint32_t cd = llmgw__jtape_get(t, u, "completion_tokens_details");
    uint64_t hit = 0;

    memset(c, 0, sizeof(*c));
    if (llmgw__jtape_type(t, u) != LLMGW__JT_OBJECT || !count(t, u, "prompt_tokens", &c->input_tokens) ||
        !count(t, u, "completion_tokens", &c->output_tokens))
        return false;
    if (llmgw__jtape_type(t, pd) == LLMGW__JT_OBJECT &&
        (!count(t, pd, "cached_tokens", &c->cache_read_tokens) ||
         !count(t, pd, "cache_write_tokens", &c->cache_creation_tokens)))
        return false;
    if (llmgw__jtape_type(t, cd) == LLMGW__JT_OBJECT && !count(t, cd, "reasoning_tokens", &c->reasoning_tokens))
        return false;
    if (!count(t, u, "prompt_cache_hit_tokens", &hit))
        return false;
    if (hit > c->cache_read_tokens)
        c->cache_read_tokens = hit;
    return c->cache_read_tokens + c->cache_creation_tokens <= c->input_tokens &&
           c->reasoning_tokens <= c->output_tokens;
}

/* Absent, null or an empty array: no tool calls to read. */
static bool no_calls(const llmgw__jtape *t, uint32_t i)
{
    return llmgw__jtape_nullish(t, i) ||
           (t->tok[i].type == LLMGW__JT_ARRAY && llmgw__jtape_first(t, i) == 0);
}

/* A message or delta: reasoning and text; anything else sends the answer to the cJSON path. */
static int message(const llmgw__jtape *t, uint32_t m, fscratch *s, fchoice *c)
{
    uint32_t content = llmgw__jtape_get(t, m, "content");
    uint32_t reasoning = llmgw__jtape_get(t, m, "reasoning_content");
    uint32_t refusal = llmgw__jtape_get(t, m, "refusal");
    int rc;

    if (llmgw__jtape_type(t, refusal) == LLMGW__JT_STRING && t->tok[refusal].len > 0)
        return FAST_NO;
    if (!no_calls(t, llmgw__jtape_get(t, m, "tool_calls")))
        return FAST_NO;
    if (!llmgw__jtape_nullish(t, content) && t->tok[content].type != LLMGW__JT_STRING)
        return FAST_NO;
    if (llmgw__jtape_type(t, reasoning) != LLMGW__JT_STRING)
        reasoning = llmgw__jtape_get(t, m, "reasoning");
    if ((rc = get_str(t, reasoning, s, false, &c->reasoning)) != FAST_OK)
        return rc;
    return get_str(t, content, s, false, &c->content);
}

static int finish(const llmgw__jtape *t, uint32_t choice, fscratch *s, fchoice *c)
{
    int rc = get_str(t, llmgw__jtape_get(t, choice, "finish_reason"), s, true, &c->finish);

    if (rc != FAST_OK)
        return rc;
    return get_str(t, llmgw__jtape_get(t, choice, "native_finish_reason"), s, true, &c->native);
}

/* Read a chat.completion (stream false) or a chat.completion.chunk (stream true) into the plan. */
static int plan(const llmgw__jtape *t, bool stream, fscratch *s, fplan *p)
{
    uint32_t choices = llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "choices"), c, u;
    int rc;

    memset(p, 0, sizeof(*p));
    if (!plain_root(t))
        return FAST_NO;
    if ((rc = get_str(t, llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "id"), s, true, &p->id)) != FAST_OK ||
        (rc = get_str(t, llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "model"), s, true, &p->model)) != FAST_OK)
        return rc;
    if (stream) {
        if (!llmgw__jtape_nullish(t, choices) && t->tok[choices].type != LLMGW__JT_ARRAY)
            return FAST_NO;
        for (c = llmgw__jtape_first(t, choices); c != 0; c = llmgw__jtape_next(t, choices, c)) {
            uint32_t idx = llmgw__jtape_get(t, c, "index"), delta = llmgw__jtape_get(t, c, "delta");
            uint64_t v;
            if (t->tok[c].type != LLMGW__JT_OBJECT || p->nch == MAX_CHOICES)
                return FAST_NO;
            if (llmgw__jtape_type(t, idx) == LLMGW__JT_NUMBER) {
                if (llmgw__jtape_uint(t, idx, &v) < 0)
                    return FAST_NO;
                if (v != 0)
                    continue;       /* n > 1 is never requested: other choices are ignored */
            }
            if (!llmgw__jtape_nullish(t, delta) && t->tok[delta].type != LLMGW__JT_OBJECT)
                return FAST_NO;
            if ((delta != 0 && (rc = message(t, delta, s, &p->ch[p->nch])) != FAST_OK) ||
                (rc = finish(t, c, s, &p->ch[p->nch])) != FAST_OK)
                return rc;
            p->nch++;
        }
        u = llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "usage");
        if (llmgw__jtape_nullish(t, u))
            u = llmgw__jtape_get(t, llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "x_groq"), "usage");
    } else {
        uint32_t msg;
        c = llmgw__jtape_type(t, choices) == LLMGW__JT_ARRAY ? llmgw__jtape_first(t, choices) : 0;
        msg = llmgw__jtape_get(t, c, "message");
        if (c == 0 || llmgw__jtape_type(t, msg) != LLMGW__JT_OBJECT)
            return FAST_NO;
        if ((rc = message(t, msg, s, &p->ch[0])) != FAST_OK || (rc = finish(t, c, s, &p->ch[0])) != FAST_OK)
            return rc;
        p->nch = 1;
        u = llmgw__jtape_get(t, LLMGW__JTAPE_ROOT, "usage");
    }
    if (!llmgw__jtape_nullish(t, u)) {
        if (!usage(t, u, &p->usage))
            return FAST_NO;
        p->has_usage = true;
    }
    return FAST_OK;
}

/* openai_parse.c's add_finish, for a choice without a refusal. */
static int apply_finish(llmgw_reply *out, const fchoice *c)
{
    int f;

    if (c->finish.p == NULL)
        return 0;
    if (strcmp(c->finish.p, "error") == 0)
        return llmgw_reply_error(out, LLMGW_ERRCLASS_SERVER_ERROR, 0,
                                 "the upstream ended the generation with finish_reason \"error\"");
    f = llmgw__openai_finish(c->finish.p);
    if (f == LLMGW_FINISH_STOP && out->a.finish == LLMGW_FINISH_CONTENT_FILTER && out->a.finish_raw != NULL &&
        strcmp(out->a.finish_raw, "refusal") == 0)
        return 0;
    return llmgw_reply_set_finish(out, f, c->native.p != NULL && c->native.len > 0 ? c->native.p : c->finish.p);
}

static int apply(llmgw_reply *out, const fplan *p, bool stream)
{
    size_t i;

    if (!stream) {
        LLMGW_TRY(llmgw_reply_set_id(out, p->id.p));
        LLMGW_TRY(llmgw_reply_set_model(out, p->model.p));
    } else {
        if (p->id.p != NULL && p->id.len > 0)
            LLMGW_TRY(llmgw_reply_set_id(out, p->id.p));
        if (p->model.p != NULL && p->model.len > 0)
            LLMGW_TRY(llmgw_reply_set_model(out, p->model.p));
    }
    for (i = 0; i < p->nch; i++) {
        const fchoice *c = &p->ch[i];
        if (c->reasoning.p != NULL && c->reasoning.len > 0)
            LLMGW_TRY(llmgw_reply_append_reasoning(out, c->reasoning.p, c->reasoning.len));
        if (c->content.p != NULL && c->content.len > 0)
            LLMGW_TRY(llmgw_reply_append_text(out, c->content.p, c->content.len));
        LLMGW_TRY(apply_finish(out, c));
    }
    if (p->has_usage)
        LLMGW_TRY(llmgw_reply_set_usage(out, &p->usage));
    return stream ? 0 : llmgw_reply_done(out);
}

int llmgw__openai_fast(llmgw_reply *out, const char *data, size_t len, bool stream, int *rc_out)
{
    llmgw__jtok stack_tok[STACK_TOKENS], *tok = stack_tok;
    llmgw__jtape t;
    fscratch s;
    fplan p;
    int r, handled = 0;

    *rc_out = 0;
    r = llmgw__jtape_parse(&t, data, len, tok, STACK_TOKENS);
    if (r == LLMGW__JTAPE_FULL && !stream) {
        /* a long answer (logprobs, annotations): one allocation instead of one per value */
        uint32_t cap = (uint32_t)LLMGW_MIN(len / 2 + 3, (size_t)UINT32_MAX);
        if ((tok = llmgw__reallocarray(NULL, cap, sizeof(*tok))) == NULL) {
            *rc_out = llmgw__error_oom();
            return 1;
        }
        r = llmgw__jtape_parse(&t, data, len, tok, cap);
    }
    if (r != 0)
        goto out;
    scratch_init(&s, len + t.n + 1);
    r = plan(&t, stream, &s, &p);
    if (r == FAST_NOMEM) {
        *rc_out = llmgw__error_oom();
        handled = 1;
    } else if (r == FAST_OK) {
        *rc_out = apply(out, &p, stream);
        handled = 1;
    }
    scratch_dispose(&s);
out:
    if (tok != stack_tok)
        llmgw__free(tok);
    return handled;
}
