/*
 * lib/router/window.c: per-second sliding windows.
 */
#include "../core/common.h"
#include "window.h"

void llmgw__window_init(llmgw__window *w, unsigned int seconds)
{
    unsigned int i;

    memset(w, 0, sizeof(*w));
    w->seconds = seconds == 0 || seconds > LLMGW__WINDOW_MAX_SECONDS ? LLMGW__WINDOW_MAX_SECONDS : seconds;
    for (i = 0; i < LLMGW__WINDOW_MAX_SECONDS; i++)
        w->second[i] = -1;
}

static bool live(const llmgw__window *w, unsigned int slot, int64_t now_s)
{
    return w->second[slot] >= 0 && now_s - w->second[slot] < (int64_t)w->seconds;
}

void llmgw__window_add(llmgw__window *w, int64_t now_us, uint64_t a, uint64_t b)
{
    int64_t now_s = now_us / 1000000;
    unsigned int slot = (unsigned int)(now_s % w->seconds);

    if (w->second[slot] != now_s) {
        w->second[slot] = now_s;
        w->a[slot] = 0;
        w->b[slot] = 0;
    }
    w->a[slot] += a;
    w->b[slot] += b;
}

void llmgw__window_sum(const llmgw__window *w, int64_t now_us, uint64_t *a, uint64_t *b)
{
    int64_t now_s = now_us / 1000000;
    uint64_t sa = 0, sb = 0;
    unsigned int i;

    for (i = 0; i < w->seconds; i++) {
        if (live(w, i, now_s)) {
            sa += w->a[i];
            sb += w->b[i];
        }
    }
    if (a)
        *a = sa;
    if (b)
        *b = sb;
}

int64_t llmgw__window_wait_us(const llmgw__window *w, int64_t now_us, uint64_t limit_a, uint64_t limit_b)
{
    int64_t now_s = now_us / 1000000, t;
    uint64_t sa, sb;

    llmgw__window_sum(w, now_us, &sa, &sb);
    if ((limit_a == 0 || sa < limit_a) && (limit_b == 0 || sb < limit_b))
        return 0;
    /* walk forward second by second: what expires when */
    for (t = 1; t <= (int64_t)w->seconds; t++) {
        int64_t expiring = now_s + t - (int64_t)w->seconds;   /* slots of this second leave the window */
        unsigned int i;
        for (i = 0; i < w->seconds; i++) {
            if (w->second[i] == expiring && live(w, i, now_s)) {
                sa -= w->a[i];
                sb -= w->b[i];
            }
        }
        if ((limit_a == 0 || sa < limit_a) && (limit_b == 0 || sb < limit_b))
            return (now_s + t) * 1000000 - now_us;
    }
    return (int64_t)w->seconds * 1000000;
}
