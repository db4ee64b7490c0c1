/*
 * llmgw mock upstream: the dialect-neutral answer built from a step and the request.
 *
 * Text: the step's "text", else "Hello from the mock upstream." unless the step has tool calls;
 * invalid_utf8 appends " \xC3\x28 \xFF". Usage: prompt = what the dialect counted (words of the
 * message texts + 4 per message), completion = words of the text + 8 per tool call, cached and
 * reasoning 0, total = prompt + completion; the step's "usage" members replace any of these.
 * Stream pieces: one per word with its leading whitespace (trailing whitespace joins the last
 * piece), or "chunks" roughly equal pieces that never split a UTF-8 sequence.
 */
#include "mock_internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char default_text[] = "Hello from the mock upstream.";
static const char pad_pattern[] = "lorem ipsum dolor sit amet ";

static void add_piece(mock_answer_store *st, size_t off, size_t len)
{
    if (st->oom)
        return;
    if (st->npieces == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 64;
        mock_piece *p = realloc(st->pieces, cap * sizeof *p);
        if (!p) {
            st->oom = 1;
            return;
        }
        st->pieces = p;
        st->cap = cap;
    }
    st->pieces[st->npieces].off = off;
    st->pieces[st->npieces].len = len;
    st->npieces++;
}

static int is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
}

static void split_words(mock_answer_store *st, const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && is_space(s[i]))
            i++;
        if (i == len && st->npieces > 0) {
            st->pieces[st->npieces - 1].len += i - start;   /* trailing whitespace */
            break;
        }
        while (i < len && !is_space(s[i]))
            i++;
        add_piece(st, start, i - start);
    }
}

static void split_chunks(mock_answer_store *st, const char *s, size_t len, uint32_t n)
{
    size_t prev = 0;
    for (uint32_t k = 1; k <= n && prev < len; k++) {
        size_t b = k == n ? len : (size_t)((uint64_t)len * k / n);
        while (b < len && ((unsigned char)s[b] & 0xC0) == 0x80)
            b++;
        if (b > prev) {
            add_piece(st, prev, b - prev);
            prev = b;
        }
    }
}

static void pad(mock_answer_store *st, uint64_t bytes, size_t pieces)
{
    size_t plen = sizeof pad_pattern - 1;
    size_t start = st->text.len;
    if (mbuf_reserve(&st->text, (size_t)bytes) < 0)
        return;
    for (uint64_t left = bytes; left > 0;) {
        size_t n = left < plen ? (size_t)left : plen;
        mbuf_put(&st->text, pad_pattern, n);
        left -= n;
    }
    for (size_t i = 0; i < pieces; i++) {
        size_t a = start + (size_t)(bytes * i / pieces), b = start + (size_t)(bytes * (i + 1) / pieces);
        if (b > a)
            add_piece(st, a, b - a);
    }
}

int mock_answer_build(mock_answer *a, mock_answer_store *st, const mock_step *step,
                      const mock_parsed *p, const mock_ticket *t, uint64_t pad_bytes,
                      size_t pad_pieces)
{
    memset(a, 0, sizeof *a);
    mbuf_clear(&st->text);
    st->npieces = 0;
    st->oom = 0;

    const char *text = step->text;
    if (!text && step->ntools == 0)
        text = default_text;
    int has_text = text || step->invalid_utf8;
    if (text)
        mbuf_puts(&st->text, text);
    if (step->invalid_utf8)
        mbuf_put(&st->text, " \xC3\x28 \xFF", 5);
    size_t base = st->text.len;

    a->usage.prompt = p->prompt_tokens;
    a->usage.completion = mock_count_words(st->text.data ? st->text.data : "", base) +
                          8u * (uint64_t)step->ntools;
    if (step->usage_set & MOCK_USAGE_PROMPT)
        a->usage.prompt = step->usage.prompt;
    if (step->usage_set & MOCK_USAGE_COMPLETION)
        a->usage.completion = step->usage.completion;
    if (step->usage_set & MOCK_USAGE_CACHED)
        a->usage.cached = step->usage.cached;
    if (step->usage_set & MOCK_USAGE_REASONING)
        a->usage.reasoning = step->usage.reasoning;
    a->usage.total = (step->usage_set & MOCK_USAGE_TOTAL) ? step->usage.total
                                                          : a->usage.prompt + a->usage.completion;

    if (p->stream && has_text) {
        if (step->chunks)
            split_chunks(st, st->text.data ? st->text.data : "", base, step->chunks);
        else
            split_words(st, st->text.data ? st->text.data : "", base);
    }
    if (pad_bytes) {
        pad(st, pad_bytes, pad_pieces);
        has_text = 1;
    }
    if (st->oom || st->text.oom)
        return -1;

    a->n = t->n;
    a->lane = t->lane->name;
    a->model = step->model ? step->model : p->model;
    a->text = has_text ? (st->text.data ? st->text.data : "") : NULL;
    a->text_len = st->text.len;
    a->pieces = st->pieces;
    a->npieces = st->npieces;
    a->tools = step->tools;
    a->ntools = step->ntools;
    a->finish_reason = step->finish_reason ? step->finish_reason
                                           : step->ntools ? "tool_calls" : "stop";
    a->usage_raw = step->usage_raw;
    a->stream = p->stream;
    a->include_usage = p->include_usage;
    a->created = (int64_t)time(NULL);
    a->step = step;
    return 0;
}

void mock_answer_store_free(mock_answer_store *st)
{
    mbuf_free(&st->text);
    free(st->pieces);
    st->pieces = NULL;
    st->npieces = st->cap = 0;
}

static uint64_t count(const cJSON *it)
{
    if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 && it->valuedouble <= 9007199254740992.0) ||
        (double)(uint64_t)it->valuedouble != it->valuedouble)
        return 0;
    return (uint64_t)it->valuedouble;
}

void mock_usage_from_raw(mock_usage *out, const char *raw)
{
    memset(out, 0, sizeof *out);
    cJSON *j = cJSON_Parse(raw);
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return;
    }
    const cJSON *pd = cJSON_GetObjectItemCaseSensitive(j, "prompt_tokens_details");
    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(j, "completion_tokens_details");
    const cJSON *cached = cJSON_GetObjectItemCaseSensitive(pd, "cached_tokens");
    const cJSON *reasoning = cJSON_GetObjectItemCaseSensitive(cd, "reasoning_tokens");
    out->prompt = count(cJSON_GetObjectItemCaseSensitive(j, "prompt_tokens"));
    out->completion = count(cJSON_GetObjectItemCaseSensitive(j, "completion_tokens"));
    out->total = count(cJSON_GetObjectItemCaseSensitive(j, "total_tokens"));
    out->cached = count(cached ? cached : cJSON_GetObjectItemCaseSensitive(j, "cached_tokens"));
    out->reasoning = count(reasoning ? reasoning
                                     : cJSON_GetObjectItemCaseSensitive(j, "reasoning_tokens"));
    cJSON_Delete(j);
}
