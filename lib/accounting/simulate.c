/*
 * lib/accounting/simulate.c: llmgw_cost_simulate(): the token counts of
 * usage logs repriced at other models (the built-in table, under an
 * optional price file, as the gateway reads them) with the live cost formula
 * (llmgw__cost_compute), and a projected response-cache hit rate.
 *
 * Per record: current = the logged cost. simulated = the cost of its tokens
 * at the target price (records no target applies to keep their logged
 * cost); a logged cache hit costs nothing, unless a hit rate is projected:
 * then every request is priced as a miss (a hit at what it saved) and
 * round(miss x (1 - rate)) is kept, one rounding per request, so groups add
 * up to the total exactly. A record whose current or simulated cost is
 * unknown is left out of both sums and counted.
 */
#include "../core/common.h"
#include "../core/buf.h"
#include "../core/errors.h"
#include "simulate.h"

#include <math.h>
#include <stdio.h>

/* ---- prices ---- */

static bool priced(const llmgw__price *p)
{
    return p->input != LLMGW__PRICE_NONE && p->output != LLMGW__PRICE_NONE;
}

/* The gateway's order: the price file's entry when it has rates, else the built-in table. */
static int lookup(const llmgw__sim *s, const char *provider, const char *model, llmgw__price *out)
{
    if (s->file != NULL && llmgw__prices_lookup(s->file, provider, model, out) == 0 && priced(out))
        return 0;
    return llmgw__prices_lookup(llmgw__prices_builtin(), provider, model, out);
}

/* "provider/model" or "provider:model" (a bare model: any provider). */
static int resolve(llmgw__sim *s, const char *spec, llmgw__sim_target **out)
{
    char provider[LLMGW__PRICE_PROVIDER_MAX];
    const char *model = spec, *cut = strchr(spec, '/');
    size_t i, plen;
    llmgw__sim_target *t;

    for (i = 0; i < s->ntargets; i++)
        if (strcmp(s->targets[i].spec, spec) == 0) {
            *out = &s->targets[i];
            return 0;
        }
    if (cut == NULL)
        cut = strchr(spec, ':');
    provider[0] = '\0';
    if (cut != NULL) {
        plen = (size_t)(cut - spec);
        if (plen == 0 || plen >= sizeof(provider) || cut[1] == '\0')
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                     "'%.200s' is not provider/model", spec);
        memcpy(provider, spec, plen);
        provider[plen] = '\0';
        model = cut + 1;
    }
    t = &s->targets[s->ntargets];
    memset(t, 0, sizeof(*t));
    if (lookup(s, provider[0] ? provider : NULL, model, &t->price) < 0)
        return llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND,
                                 "no price for '%.200s' (names are exact; a price file can add it)", spec);
    if (!priced(&t->price))
        return llmgw__error_setc(LLMGW_ENOTFOUND, LLMGW_ERRCLASS_NOT_FOUND,
                                 "'%.200s' has no input or output price", spec);
    if ((t->spec = llmgw__strdup(spec)) == NULL)
        return llmgw__error_oom();
    s->ntargets++;
    *out = t;
    return 0;
}

static int setup(llmgw__sim *s, const llmgw_report_options *o)
{
    size_t i;

    if (o == NULL || ((o->as == NULL || o->as[0] == '\0') && o->map_count == 0 && !o->project_cache))
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG,
                                 "nothing to simulate: give as, map or a cache hit rate");
    if (o->as != NULL && o->as[0] != '\0' && o->map_count > 0)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "give as or map, not both");
    if (o->map_count > 0 && o->map == NULL)
        return llmgw__error_null_arg("opts->map", __func__);
    if (o->map_count > 10000)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "at most 10000 map entries");
    if (o->project_cache) {
        if (!(o->cache_hit_rate >= 0.0 && o->cache_hit_rate <= 1.0))
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "cache_hit_rate must be in [0, 1]");
        s->project = true;
        s->keep_ppm = LLMGW__SIM_PPM - (int64_t)llround(o->cache_hit_rate * LLMGW__SIM_PPM);
    }
    if (o->prices_path != NULL)
        LLMGW_TRY(llmgw__prices_load_file(&s->file, o->prices_path, NULL));
    s->targets = llmgw__calloc(o->map_count + 1, sizeof(*s->targets));
    s->map = llmgw__calloc(o->map_count + 1, sizeof(*s->map));
    if (s->targets == NULL || s->map == NULL)
        return llmgw__error_oom();
    if (o->as != NULL && o->as[0] != '\0')
        LLMGW_TRY(resolve(s, o->as, &s->as));
    for (i = 0; i < o->map_count; i++) {
        const char *eq = o->map[i] ? strchr(o->map[i], '=') : NULL;
        llmgw__sim_mapping *m = &s->map[s->nmap];
        if (eq == NULL || eq == o->map[i] || eq[1] == '\0')
            return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "map[%zu]: '%.200s' is not from=to", i,
                                     o->map[i] ? o->map[i] : "(null)");
        if ((m->from = llmgw__strndup(o->map[i], (size_t)(eq - o->map[i]))) == NULL)
            return llmgw__error_oom();
        s->nmap++;
        LLMGW_TRY(resolve(s, eq + 1, &m->to));
    }
    return 0;
}

static void teardown(llmgw__sim *s)
{
    size_t i;

    for (i = 0; i < s->ntargets; i++)
        llmgw__free(s->targets[i].spec);
    for (i = 0; i < s->nmap; i++)
        llmgw__free(s->map[i].from);
    llmgw__free(s->targets);
    llmgw__free(s->map);
    llmgw__prices_free(s->file);
    llmgw__gtable_dispose(&s->groups);
}

/* ---- one record ---- */

static llmgw__sim_target *target_of(const llmgw__sim *s, const llmgw__logrec *rec)
{
    size_t i, plen;

    if (s->as != NULL)
        return s->as;
    if (rec->model == NULL)
        return NULL;
    plen = rec->provider ? strlen(rec->provider) : 0;
    for (i = 0; i < s->nmap; i++) {
        const char *f = s->map[i].from;
        if (strcmp(f, rec->model) == 0 ||
            (plen > 0 && strncmp(f, rec->provider, plen) == 0 && f[plen] == '/' && strcmp(f + plen + 1, rec->model) == 0))
            return s->map[i].to;
    }
    return NULL;
}

/* round(v x keep / 1e6), half up, without overflow (v >= 0, keep <= 1e6) */
static int64_t keep_share(int64_t v, int64_t keep)
{
    return (v / LLMGW__SIM_PPM) * keep + ((v % LLMGW__SIM_PPM) * keep + LLMGW__SIM_PPM / 2) / LLMGW__SIM_PPM;
}

/* Price rec into s->outcome, s->cur and s->simd. */
static void price_record(llmgw__sim *s, const llmgw__logrec *rec, const llmgw__sim_target *t)
{
    llmgw_token_counts c = { rec->input, rec->output, rec->cache_read, rec->cache_creation, rec->reasoning };
    llmgw__cost cost;
    int64_t miss;

    s->repriced = t != NULL;
    s->cur = s->simd = 0;
    if (!rec->cost_known) {
        s->outcome = LLMGW__SIM_UNKNOWN_CURRENT;
        return;
    }
    if (t == NULL) {
        miss = rec->cache_hit ? rec->saved : rec->cost;
    } else if (llmgw__cost_compute(&cost, &t->price, &c) < 0) {
        s->outcome = LLMGW__SIM_UNPRICED;
        return;
    } else {
        miss = cost.total;
    }
    s->outcome = LLMGW__SIM_COMPARED;
    s->cur = rec->cost;
    if (s->project)
        s->simd = keep_share(miss, s->keep_ppm);
    else
        s->simd = rec->cache_hit ? 0 : t == NULL ? rec->cost : miss;
}

static void add_to_row(void *p, const llmgw__logrec *rec, void *arg)
{
    llmgw__sim_row *r = p;
    const llmgw__sim *s = arg;

    (void)rec;
    r->requests++;
    r->repriced += s->repriced;
    if (s->outcome == LLMGW__SIM_UNKNOWN_CURRENT) {
        r->unknown_current++;
    } else if (s->outcome == LLMGW__SIM_UNPRICED) {
        r->unpriced++;
    } else {
        r->compared++;
        r->current += s->cur;           /* bounded by the totals, checked first */
        r->simulated += s->simd;
    }
}

static void check_window(llmgw__sim_target *t, const llmgw__logrec *rec)
{
    uint64_t need = rec->input + rec->output;

    t->requests++;
    if (t->price.max_input_tokens > 0 && need > (uint64_t)t->price.max_input_tokens)
        t->too_large++;
    if (t->price.max_output_tokens > 0 && rec->output > (uint64_t)t->price.max_output_tokens)
        t->output_too_large++;
    t->largest = LLMGW_MAX(t->largest, need);
}

static int on_record(const llmgw__logrec *rec, void *arg)
{
    llmgw__sim *s = arg;
    llmgw__sim_target *t = target_of(s, rec);
    int64_t a, b;

    price_record(s, rec, t);
    if (s->outcome == LLMGW__SIM_COMPARED &&
        (__builtin_add_overflow(s->total.current, s->cur, &a) ||
         __builtin_add_overflow(s->total.simulated, s->simd, &b)))
        return 1;
    if (t != NULL)
        check_window(t, rec);
    add_to_row(&s->total, rec, s);
    return llmgw__gtable_each(&s->groups, s->cfg->by, rec, add_to_row, s);
}

/* ---- order ---- */

/* Biggest saving first (most negative difference), then current spend, then key. */
static int by_saving(const void *pa, const void *pb)
{
    const llmgw__gref *a = pa, *b = pb;
    const llmgw__sim_row *ra = a->row, *rb = b->row;
    int64_t da = ra->simulated - ra->current, db = rb->simulated - rb->current;

    if (da != db)
        return da < db ? -1 : 1;
    if (ra->current != rb->current)
        return ra->current > rb->current ? -1 : 1;
    return llmgw__gref_key_cmp(a, b);
}

static int by_key(const void *pa, const void *pb)
{
    return llmgw__gref_key_cmp(pa, pb);
}

int llmgw_cost_simulate(llmgw_buf *out, const char *const *paths, size_t n, const llmgw_report_options *opts)
{
    llmgw__logread_counts counts;
    llmgw__report_cfg cfg;
    llmgw__gref *refs = NULL;
    llmgw__sim s;
    size_t mark;
    int rc;

    LLMGW_CHECK_ARG(out);
    if (n > 0)
        LLMGW_CHECK_ARG(paths);
    if (n > LLMGW__REPORT_MAX_FILES)
        return llmgw__error_setc(LLMGW_EINVAL, LLMGW_ERRCLASS_CONFIG, "at most %u usage logs",
                                 LLMGW__REPORT_MAX_FILES);
    LLMGW_TRY(llmgw__report_cfg_init(&cfg, opts, "group"));
    memset(&counts, 0, sizeof(counts));
    memset(&s, 0, sizeof(s));
    s.cfg = &cfg;
    if ((rc = llmgw__gtable_init(&s.groups, sizeof(llmgw__sim_row), cfg.max_groups)) < 0)
        return rc;
    rc = setup(&s, opts);
    mark = out->size;
    if (rc == 0)
        rc = llmgw__report_read(paths, n, &cfg, &counts, on_record, &s);
    if (rc == 0 && (refs = llmgw__gtable_sorted(&s.groups, cfg.by == LLMGW__BY_DAY ? by_key : by_saving)) == NULL)
        rc = llmgw__error_oom();
    if (rc == 0)
        rc = llmgw__sim_render(out, &s, refs, &counts, opts);
    if (rc < 0 && out->ptr != NULL) {
        out->size = mark;
        out->ptr[mark] = '\0';
    }
    llmgw__free(refs);
    teardown(&s);
    return rc;
}
