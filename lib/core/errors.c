/*
 * lib/core/errors.c: status codes, error classes and the per-thread last error.
 */
#include "common.h"
#include "errors.h"
#include "redact.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define MESSAGE_MAX 1024

typedef struct errstate {
    llmgw_error    pub;
    char           message[MESSAGE_MAX];
    char           provider[64];
    llmgw_attempt *trail;        /* one block: attempts, then their strings */
} errstate;

static _Thread_local errstate tls_error = {
    { 0, 0, "", NULL, 0, -1, NULL, 0 }, "", "", NULL
};

static pthread_key_t  trail_key;
static pthread_once_t trail_once = PTHREAD_ONCE_INIT;
static int            trail_key_ok;

static void trail_destroy(void *p)
{
    free(p);
}

static void trail_key_init(void)
{
    trail_key_ok = pthread_key_create(&trail_key, trail_destroy) == 0;
}

static void clear_trail(errstate *st)
{
    if (st->trail != NULL) {
        free(st->trail);
        st->trail = NULL;
        if (trail_key_ok)
            pthread_setspecific(trail_key, NULL);
    }
    st->pub.attempts = NULL;
    st->pub.attempt_count = 0;
}

static const char *const class_names[LLMGW_ERRCLASS__COUNT] = {
    "", "bad_request", "auth", "not_found", "rate_limit", "quota_exceeded",
    "context_length_exceeded", "content_policy", "timeout", "server_error", "network",
    "stream_cut", "budget_exceeded", "config", "unsupported", "cancelled",
};

const char *llmgw_error_class_str(int error_class)
{
    if (error_class < 0 || error_class >= LLMGW_ERRCLASS__COUNT)
        return NULL;
    return class_names[error_class];
}

int llmgw_error_class_from_str(const char *name)
{
    int i;

    if (name == NULL)
        return LLMGW_ERRCLASS_NONE;
    for (i = 1; i < LLMGW_ERRCLASS__COUNT; i++)
        if (strcmp(class_names[i], name) == 0)
            return i;
    return LLMGW_ERRCLASS_NONE;
}

int llmgw_error_class_status(int error_class)
{
    switch (error_class) {
    case LLMGW_ERRCLASS_NONE:                    return LLMGW_OK;
    case LLMGW_ERRCLASS_AUTH:                    return LLMGW_EAUTH;
    case LLMGW_ERRCLASS_RATE_LIMIT:
    case LLMGW_ERRCLASS_QUOTA_EXCEEDED:          return LLMGW_ERATELIMIT;
    case LLMGW_ERRCLASS_TIMEOUT:                 return LLMGW_ETIMEOUT;
    case LLMGW_ERRCLASS_BAD_REQUEST:
    case LLMGW_ERRCLASS_CONTEXT_LENGTH_EXCEEDED:
    case LLMGW_ERRCLASS_CONTENT_POLICY:          return LLMGW_EPROVIDER;
    case LLMGW_ERRCLASS_NOT_FOUND:               return LLMGW_ENOTFOUND;
    case LLMGW_ERRCLASS_NETWORK:
    case LLMGW_ERRCLASS_SERVER_ERROR:
    case LLMGW_ERRCLASS_STREAM_CUT:              return LLMGW_EUNAVAILABLE;
    case LLMGW_ERRCLASS_BUDGET_EXCEEDED:         return LLMGW_EBUDGET;
    case LLMGW_ERRCLASS_CANCELLED:               return LLMGW_ECANCELLED;
    case LLMGW_ERRCLASS_CONFIG:                  return LLMGW_EINVAL;
    case LLMGW_ERRCLASS_UNSUPPORTED:             return LLMGW_EUNSUPPORTED;
    default:                                     return LLMGW_ERROR;
    }
}

int llmgw__status_default_class(int code)
{
    switch (code) {
    case LLMGW_OK:           return LLMGW_ERRCLASS_NONE;
    case LLMGW_EINVAL:       return LLMGW_ERRCLASS_BAD_REQUEST;
    case LLMGW_EVERSION:     return LLMGW_ERRCLASS_CONFIG;
    case LLMGW_ENOTFOUND:    return LLMGW_ERRCLASS_NOT_FOUND;
    case LLMGW_EAUTH:        return LLMGW_ERRCLASS_AUTH;
    case LLMGW_ERATELIMIT:   return LLMGW_ERRCLASS_RATE_LIMIT;
    case LLMGW_ETIMEOUT:     return LLMGW_ERRCLASS_TIMEOUT;
    case LLMGW_EUNAVAILABLE: return LLMGW_ERRCLASS_SERVER_ERROR;
    case LLMGW_EPROVIDER:    return LLMGW_ERRCLASS_BAD_REQUEST;
    case LLMGW_EBUDGET:      return LLMGW_ERRCLASS_BUDGET_EXCEEDED;
    case LLMGW_ECANCELLED:   return LLMGW_ERRCLASS_CANCELLED;
    case LLMGW_EUNSUPPORTED: return LLMGW_ERRCLASS_UNSUPPORTED;
    case LLMGW_EUSER:        return LLMGW_ERRCLASS_CANCELLED;
    default:                 return LLMGW_ERRCLASS_NONE;
    }
}

const char *llmgw_status_str(int code)
{
    switch (code) {
    case LLMGW_OK:           return "success";
    case LLMGW_ERROR:        return "error";
    case LLMGW_ENOMEM:       return "out of memory";
    case LLMGW_EINVAL:       return "invalid argument";
    case LLMGW_EVERSION:     return "unsupported version";
    case LLMGW_ENOTFOUND:    return "not found";
    case LLMGW_EAUTH:        return "authentication failed";
    case LLMGW_ERATELIMIT:   return "rate limited";
    case LLMGW_ETIMEOUT:     return "timed out";
    case LLMGW_EUNAVAILABLE: return "upstream unavailable";
    case LLMGW_EPROVIDER:    return "rejected by the provider";
    case LLMGW_EBUDGET:      return "budget exceeded";
    case LLMGW_ECANCELLED:   return "cancelled";
    case LLMGW_EUNSUPPORTED: return "unsupported";
    case LLMGW_EUSER:        return "stopped by a callback";
    default:                 return "unknown status";
    }
}

const llmgw_error *llmgw_error_last(void)
{
    return &tls_error.pub;
}

void llmgw_error_clear(void)
{
    errstate *st = &tls_error;

    clear_trail(st);
    st->message[0] = '\0';
    st->provider[0] = '\0';
    st->pub.code = 0;
    st->pub.error_class = 0;
    st->pub.message = st->message;
    st->pub.provider = NULL;
    st->pub.http_status = 0;
    st->pub.retry_after_ms = -1;
}

/* len, less an incomplete UTF-8 sequence that truncation left at the end of s. */
static size_t whole_utf8_prefix(const char *s, size_t len)
{
    size_t i = len, tail = 0, need;
    unsigned char lead;

    while (i > 0 && tail < 3 && ((unsigned char)s[i - 1] & 0xC0) == 0x80) {
        i--;
        tail++;
    }
    if (i == 0)
        return len;
    lead = (unsigned char)s[i - 1];
    need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    return need > 1 && tail + 1 < need ? i - 1 : len;
}

static int vset(const llmgw__error_detail *d, const char *fmt, va_list ap) LLMGW_PRINTF(2, 0);

static int vset(const llmgw__error_detail *d, const char *fmt, va_list ap)
{
    errstate *st = &tls_error;
    char raw[MESSAGE_MAX], provider[sizeof(st->provider)];
    size_t len;
    int n;

    /* format and copy before clearing: the arguments may point into the error being replaced */
    n = vsnprintf(raw, sizeof(raw), fmt, ap);
    if (n < 0)
        raw[0] = '\0';
    len = strlen(raw);
    if (n >= (int)sizeof(raw))
        len = whole_utf8_prefix(raw, len);
    if (d->provider != NULL)
        snprintf(provider, sizeof(provider), "%s", d->provider);
    clear_trail(st);
    llmgw__redact(st->message, sizeof(st->message), raw, len, NULL);
    st->pub.code = d->code;
    st->pub.error_class = d->error_class;
    st->pub.message = st->message;
    st->pub.http_status = d->http_status;
    st->pub.retry_after_ms = d->retry_after_ms;
    if (d->provider != NULL) {
        memcpy(st->provider, provider, sizeof(provider));
        st->pub.provider = st->provider;
    } else {
        st->provider[0] = '\0';
        st->pub.provider = NULL;
    }
    return d->code;
}

int llmgw__error_setd(const llmgw__error_detail *d, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vset(d, fmt, ap);
    va_end(ap);
    return rc;
}

int llmgw__error_setc(int code, int error_class, const char *fmt, ...)
{
    llmgw__error_detail d = { code, error_class, 0, -1, NULL };
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = vset(&d, fmt, ap);
    va_end(ap);
    return rc;
}

int llmgw_error_set(int code, const char *fmt, ...)
{
    llmgw__error_detail d = { code, llmgw__status_default_class(code), 0, -1, NULL };
    va_list ap;
    int rc;

    if (fmt == NULL)
        fmt = "";
    va_start(ap, fmt);
    rc = vset(&d, fmt, ap);
    va_end(ap);
    return rc;
}

void llmgw_error_set_class(int error_class)
{
    if (error_class >= 0 && error_class < LLMGW_ERRCLASS__COUNT)
        tls_error.pub.error_class = error_class;
}

int llmgw__error_oom(void)
{
    errstate *st = &tls_error;

    clear_trail(st);
    snprintf(st->message, sizeof(st->message), "out of memory");
    st->pub.code = LLMGW_ENOMEM;
    st->pub.error_class = LLMGW_ERRCLASS_NONE;
    st->pub.message = st->message;
    st->pub.provider = NULL;
    st->pub.http_status = 0;
    st->pub.retry_after_ms = -1;
    return LLMGW_ENOMEM;
}

int llmgw__error_null_arg(const char *name, const char *func)
{
    return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_BAD_REQUEST,
                             "%s: argument '%s' is NULL", func, name);
}

static size_t str_size(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

static const char *copy_str(char **pool, const char *s)
{
    size_t n;
    const char *r;

    if (s == NULL)
        return NULL;
    n = strlen(s) + 1;
    memcpy(*pool, s, n);
    r = *pool;
    *pool += n;
    return r;
}

void llmgw__error_set_trail(const llmgw_attempt *attempts, size_t n)
{
    errstate *st = &tls_error;
    size_t i, total;
    llmgw_attempt *block;
    char *pool;

    clear_trail(st);
    if (attempts == NULL || n == 0)
        return;
    pthread_once(&trail_once, trail_key_init);
    if (!trail_key_ok)
        return;
    total = n * sizeof(*attempts);
    for (i = 0; i < n; i++)
        total += str_size(attempts[i].deployment) + str_size(attempts[i].provider) +
                 str_size(attempts[i].model) + str_size(attempts[i].group) + str_size(attempts[i].route_rule);
    block = malloc(total);      /* not the injectable wrapper: best effort, never fails the call */
    if (block == NULL)
        return;
    memcpy(block, attempts, n * sizeof(*attempts));
    pool = (char *)(block + n);
    for (i = 0; i < n; i++) {
        block[i].deployment = copy_str(&pool, attempts[i].deployment);
        block[i].provider = copy_str(&pool, attempts[i].provider);
        block[i].model = copy_str(&pool, attempts[i].model);
        block[i].group = copy_str(&pool, attempts[i].group);            /* every string: the record */
        block[i].route_rule = copy_str(&pool, attempts[i].route_rule);  /* they point into is freed */
    }
    st->trail = block;
    pthread_setspecific(trail_key, block);
    st->pub.attempts = block;
    st->pub.attempt_count = n;
}
