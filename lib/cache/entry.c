/*
 * lib/cache/entry.c: a cached answer as a compact JSON value, and back.
 *
 * The value (format 1), members in this order, optional ones left out:
 *
 *   {"v":1,                      format version (required)
 *    "d":"<64 hex>",             digest of the request (required; lib/cache/key.c)
 *    "t":<ms>,                   created, Unix ms (required, >= 0)
 *    "c":<nusd>,                 cost of the original answer, -1 unknown (required)
 *    "f":<finish>,               LLMGW_FINISH_* (required)
 *    "fr":"raw finish", "p":"provider", "dp":"deployment", "id":"answer id",
 *    "m":"model", "x":"text", "r":"reasoning",
 *    "tc":[["call id"|null,"name"|null,"arguments"], ...],
 *    "u":[input, output, cache_read, cache_creation, reasoning]}   (usage_set)
 *
 * A backend's value is untrusted: decoding checks the size, the JSON, every
 * member's type and range, UTF-8, unknown and duplicate members, and compares
 * the digest in constant time. Any problem is a miss (LLMGW_ENOTFOUND).
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "../core/json.h"
#include "../core/utf8.h"
#include "cache.h"
#include "jsonout.h"

#include "entry_format.h"

/* ---- encode ---- */

static bool good_hex_digest(const char *d)
{
    size_t i;

    for (i = 0; i < LLMGW__CACHE_KEY_LEN; i++)
        if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
            return false;
    return d[i] == '\0';
}

static bool good_name(const char *s)
{
    return s == NULL || good_text(s, strlen(s), LLMGW__CACHE_MAX_NAME);
}

static bool good_buf(const llmgw_buf *b)
{
    return b->size == 0 || (b->ptr != NULL && good_text(b->ptr, b->size, LLMGW__CACHE_ENTRY_MAX_BYTES));
}

static bool encodable(const llmgw__cache_entry *e)
{
    const llmgw__answer *a = &e->answer;
    const llmgw_token_counts *u = &a->usage;
    size_t i;

    if (e->cost_nusd < -1 || e->created_ms < 0 || a->finish < LLMGW_FINISH_NONE || a->finish > LLMGW_FINISH_OTHER)
        return false;
    if (!good_name(e->provider) || !good_name(e->deployment) || !good_name(a->id) || !good_name(a->model) ||
        !good_name(a->finish_raw) || !good_buf(&a->text) || !good_buf(&a->reasoning))
        return false;
    if (a->ncalls > LLMGW__MAX_TOOL_CALLS || (a->ncalls > 0 && a->calls == NULL))
        return false;
    for (i = 0; i < a->ncalls; i++) {
        const llmgw__tool_call *tc = &a->calls[i];
        if (!good_name(tc->id) || !good_name(tc->name) || tc->args.size > LLMGW__MAX_TOOL_ARGS ||
            !good_buf(&tc->args))
            return false;
    }
    if (a->usage_set && (u->input_tokens >= LLMGW_MAX_TOKENS_VALUE || u->output_tokens >= LLMGW_MAX_TOKENS_VALUE ||
                         u->cache_read_tokens >= LLMGW_MAX_TOKENS_VALUE ||
                         u->cache_creation_tokens >= LLMGW_MAX_TOKENS_VALUE ||
                         u->reasoning_tokens >= LLMGW_MAX_TOKENS_VALUE))
        return false;
    return true;
}

static void put_member(llmgw__jout *o, int f)
{
    llmgw__jout_putc(o, ',');
    llmgw__jout_string(o, field_names[f], strlen(field_names[f]));
    llmgw__jout_putc(o, ':');
}

static void put_str_member(llmgw__jout *o, int f, const char *s)
{
    if (s == NULL)
        return;
    put_member(o, f);
    llmgw__jout_string(o, s, strlen(s));
}

static void put_buf_member(llmgw__jout *o, int f, const llmgw_buf *b)
{
    if (b->size == 0)
        return;
    put_member(o, f);
    llmgw__jout_string(o, b->ptr, b->size);
}

static void put_opt_str(llmgw__jout *o, const char *s)
{
    if (s == NULL)
        llmgw__jout_put(o, "null", 4);
    else
        llmgw__jout_string(o, s, strlen(s));
}

int llmgw__cache_entry_encode(llmgw_buf *out, const llmgw__cache_entry *e, const char *digest)
{
    const llmgw__answer *a;
    llmgw__jout o;
    size_t before, i;
    int rc;

    LLMGW_CHECK_ARG(out);
    LLMGW_CHECK_ARG(e);
    LLMGW_CHECK_ARG(digest);
    a = &e->answer;
    if (!good_hex_digest(digest) || !encodable(e))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE,
                                 "cache entry not stored: a digest, string, count or tool call is out of range");
    before = out->size;
    llmgw__jout_init_buf(&o, out);
    llmgw__jout_put(&o, "{\"v\":", 5);
    llmgw__jout_int(&o, LLMGW__CACHE_ENTRY_VERSION);
    put_str_member(&o, F_D, digest);
    put_member(&o, F_T);
    llmgw__jout_int(&o, e->created_ms);
    put_member(&o, F_C);
    llmgw__jout_int(&o, e->cost_nusd);
    put_member(&o, F_F);
    llmgw__jout_int(&o, a->finish);
    put_str_member(&o, F_FR, a->finish_raw);
    put_str_member(&o, F_P, e->provider);
    put_str_member(&o, F_DP, e->deployment);
    put_str_member(&o, F_ID, a->id);
    put_str_member(&o, F_M, a->model);
    put_buf_member(&o, F_X, &a->text);
    put_buf_member(&o, F_R, &a->reasoning);
    if (a->ncalls > 0) {
        put_member(&o, F_TC);
        llmgw__jout_putc(&o, '[');
        for (i = 0; i < a->ncalls; i++) {
            const llmgw__tool_call *tc = &a->calls[i];
            llmgw__jout_put(&o, i > 0 ? ",[" : "[", i > 0 ? 2 : 1);
            put_opt_str(&o, tc->id);
            llmgw__jout_putc(&o, ',');
            put_opt_str(&o, tc->name);
            llmgw__jout_putc(&o, ',');
            llmgw__jout_string(&o, tc->args.size ? tc->args.ptr : "", tc->args.size);
            llmgw__jout_putc(&o, ']');
        }
        llmgw__jout_putc(&o, ']');
    }
    if (a->usage_set) {
        const uint64_t u[5] = { a->usage.input_tokens, a->usage.output_tokens, a->usage.cache_read_tokens,
                                a->usage.cache_creation_tokens, a->usage.reasoning_tokens };
        put_member(&o, F_U);
        for (i = 0; i < 5; i++) {
            llmgw__jout_putc(&o, i == 0 ? '[' : ',');
            llmgw__jout_int(&o, (int64_t)u[i]);
        }
        llmgw__jout_putc(&o, ']');
    }
    llmgw__jout_putc(&o, '}');
    rc = llmgw__jout_finish(&o);
    if (rc == 0 && out->size - before > LLMGW__CACHE_ENTRY_MAX_BYTES)
        rc = llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE, "cache entry not stored: larger than %u bytes",
                               LLMGW__CACHE_ENTRY_MAX_BYTES);
    if (rc < 0) {
        out->size = before;
        if (out->ptr != NULL)
            out->ptr[before] = '\0';
    }
    return rc;
}

/* ---- decode ---- */

#define MISS LLMGW_ENOTFOUND

static bool ct_equal(const char *a, const char *b, size_t n)
{
    unsigned char diff = 0;
    size_t i;

    for (i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static int field_index(const char *k)
{
    int i;

    for (i = 0; i < F__COUNT; i++)
        if (strcmp(k, field_names[i]) == 0)
            return i;
    return -1;
}

/* A string member within max bytes and valid UTF-8; its length in *len. */
static bool str_ok(const cJSON *it, size_t max, size_t *len)
{
    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return false;
    *len = strlen(it->valuestring);
    return good_text(it->valuestring, *len, max);
}

/* Copy an optional short string: MISS when bad, LLMGW_ENOMEM, or 0. */
static int take_name(char **slot, const cJSON *it)
{
    size_t len;

    if (it == NULL)
        return 0;
    if (!str_ok(it, LLMGW__CACHE_MAX_NAME, &len))
        return MISS;
    *slot = llmgw__strndup(it->valuestring, len);
    return *slot ? 0 : LLMGW_ENOMEM;
}

static int take_text(llmgw_buf *b, const cJSON *it, size_t max)
{
    size_t len;

    if (it == NULL)
        return 0;
    if (!str_ok(it, max, &len))
        return MISS;
    return llmgw__buf_set(b, it->valuestring, len) < 0 ? LLMGW_ENOMEM : 0;
}

static int take_calls(llmgw__answer *a, const cJSON *arr)
{
    const cJSON *c;
    int n, rc;

    if (arr == NULL)
        return 0;
    n = cJSON_GetArraySize(arr);
    if (!cJSON_IsArray(arr) || n < 1 || n > LLMGW__MAX_TOOL_CALLS)
        return MISS;
    a->calls = llmgw__calloc((size_t)n, sizeof(*a->calls));
    if (a->calls == NULL)
        return LLMGW_ENOMEM;
    for (c = arr->child; c != NULL; c = c->next) {
        llmgw__tool_call *tc = &a->calls[a->ncalls++];
        const cJSON *id = cJSON_GetArrayItem(c, 0), *name = cJSON_GetArrayItem(c, 1);
        if (!cJSON_IsArray(c) || cJSON_GetArraySize(c) != 3)
            return MISS;
        if (!cJSON_IsNull(id) && (rc = take_name(&tc->id, id)) != 0)
            return rc;
        if (!cJSON_IsNull(name) && (rc = take_name(&tc->name, name)) != 0)
            return rc;
        if ((rc = take_text(&tc->args, cJSON_GetArrayItem(c, 2), LLMGW__MAX_TOOL_ARGS)) != 0)
            return rc;
    }
    return 0;
}

static int take_usage(llmgw__answer *a, const cJSON *arr)
{
    uint64_t v[5];
    int i;

    if (arr == NULL)
        return 0;
    if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) != 5)
        return MISS;
    for (i = 0; i < 5; i++)
        if (llmgw__json_token_count(cJSON_GetArrayItem(arr, i), &v[i]) < 0)
            return MISS;
    a->usage.input_tokens = v[0];
    a->usage.output_tokens = v[1];
    a->usage.cache_read_tokens = v[2];
    a->usage.cache_creation_tokens = v[3];
    a->usage.reasoning_tokens = v[4];
    a->usage_set = true;
    return 0;
}

static int decode_fields(llmgw__cache_entry *out, const cJSON *f[F__COUNT])
{
    llmgw__answer *a = &out->answer;
    int64_t n;
    int rc;

    if (llmgw__json_int64(f[F_T], &out->created_ms) < 0 || out->created_ms < 0)
        return MISS;
    if (llmgw__json_int64(f[F_C], &out->cost_nusd) < 0 || out->cost_nusd < -1)
        return MISS;
    if (llmgw__json_int64(f[F_F], &n) < 0 || n < LLMGW_FINISH_NONE || n > LLMGW_FINISH_OTHER)
        return MISS;
    a->finish = (int)n;
    if ((rc = take_name(&a->finish_raw, f[F_FR])) != 0 || (rc = take_name(&out->provider, f[F_P])) != 0 ||
        (rc = take_name(&out->deployment, f[F_DP])) != 0 || (rc = take_name(&a->id, f[F_ID])) != 0 ||
        (rc = take_name(&a->model, f[F_M])) != 0)
        return rc;
    if ((rc = take_text(&a->text, f[F_X], LLMGW__CACHE_ENTRY_MAX_BYTES)) != 0 ||
        (rc = take_text(&a->reasoning, f[F_R], LLMGW__CACHE_ENTRY_MAX_BYTES)) != 0)
        return rc;
    if ((rc = take_calls(a, f[F_TC])) != 0)
        return rc;
    return take_usage(a, f[F_U]);
}

/* Find every member once; MISS on an unknown or repeated one, or a missing required one. */
static int index_members(const cJSON *f[F__COUNT], const cJSON *root)
{
    unsigned int seen = 0;
    const cJSON *c;

    if (!cJSON_IsObject(root))
        return MISS;
    for (c = root->child; c != NULL; c = c->next) {
        int i = c->string ? field_index(c->string) : -1;
        if (i < 0 || (seen & (1u << i)))
            return MISS;
        seen |= 1u << i;
        f[i] = c;
    }
    return (seen & REQUIRED) == REQUIRED ? 0 : MISS;
}

/* The checks before any parsing: 1 when the value is worth parsing, else the result. */
static int precheck(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    LLMGW_CHECK_ARG(out);
    memset(out, 0, sizeof(*out));
    LLMGW_CHECK_ARG(digest);
    if (!good_hex_digest(digest))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_NONE, "cache digest is not 64 lowercase hex");
    if (value == NULL || len == 0 || len > LLMGW__CACHE_ENTRY_MAX_BYTES)
        return MISS;
    return 1;
}

static int decode_tree(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    const cJSON *f[F__COUNT] = { NULL };
    const char *d;
    cJSON *root;
    int64_t version;
    int rc;

    memset(out, 0, sizeof(*out));
    if (llmgw__json_has_nul_escape(value, len))
        return MISS;
    root = llmgw__json_parse(value, len, LLMGW_ERRCLASS_NONE);
    if (root == NULL)
        return MISS;
    rc = index_members(f, root);
    if (rc == 0 && (llmgw__json_int64(f[F_V], &version) < 0 || version != LLMGW__CACHE_ENTRY_VERSION))
        rc = MISS;
    d = rc == 0 ? f[F_D]->valuestring : NULL;
    if (rc == 0 && (!cJSON_IsString(f[F_D]) || d == NULL || strlen(d) != LLMGW__CACHE_KEY_LEN ||
                    !ct_equal(d, digest, LLMGW__CACHE_KEY_LEN)))
        rc = MISS;
    if (rc == 0)
        rc = decode_fields(out, f);
    cJSON_Delete(root);
    if (rc != 0) {
        llmgw__cache_entry_dispose(out);
        if (rc == LLMGW_ENOMEM)
            return llmgw__error_oom();
    }
    return rc;
}

int llmgw__cache_entry_decode(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    int rc = precheck(out, value, len, digest);

    if (rc != 1)
        return rc;
    /*
     * the common well-formed entry without a tree (entry_tape.c), which refuses "\u0000" itself;
     * anything else, misses included, takes the tree
     */
    rc = llmgw__cache_entry_decode_tape(out, value, len, digest);
    if (rc == 0)
        return 0;
    if (rc == LLMGW_ENOMEM)
        return llmgw__error_oom();
    return decode_tree(out, value, len, digest);
}

int llmgw__cache_entry_decode_tree(llmgw__cache_entry *out, const char *value, size_t len, const char *digest)
{
    int rc = precheck(out, value, len, digest);

    return rc != 1 ? rc : decode_tree(out, value, len, digest);
}

void llmgw__cache_entry_dispose(llmgw__cache_entry *e)
{
    if (e == NULL)
        return;
    llmgw__answer_dispose(&e->answer);
    llmgw__free(e->provider);
    llmgw__free(e->deployment);
    memset(e, 0, sizeof(*e));
}
