/*
 * lib/accounting/simulate.h: the state of llmgw_cost_simulate(), shared by
 * the pricing (simulate.c) and the renderers (simulate_out.c).
 */
#ifndef LLMGW_ACCOUNTING_SIMULATE_H
#define LLMGW_ACCOUNTING_SIMULATE_H

#include "../core/common.h"
#include "prices.h"
#include "report.h"

#define LLMGW__SIM_PPM 1000000

typedef struct llmgw__sim_target {
    char        *spec;              /* as given: "openai/gpt-4o-mini" */
    llmgw__price price;
    uint64_t     requests;          /* records repriced at it */
    uint64_t     too_large;         /* input + output above its context window */
    uint64_t     output_too_large;  /* output above its output limit */
    uint64_t     largest;           /* largest input + output among them */
} llmgw__sim_target;

typedef struct llmgw__sim_mapping {
    char              *from;
    llmgw__sim_target *to;
} llmgw__sim_mapping;

typedef struct llmgw__sim_row {
    uint64_t requests, compared, repriced, unknown_current, unpriced;
    int64_t  current, simulated;
} llmgw__sim_row;

typedef struct llmgw__sim {
    const llmgw__report_cfg *cfg;
    llmgw__gtable            groups;
    llmgw__sim_row           total;
    llmgw__sim_target       *targets;
    size_t                   ntargets;
    llmgw__sim_mapping      *map;
    size_t                   nmap;
    llmgw__sim_target       *as;          /* everything goes here, or NULL */
    bool                     project;
    int64_t                  keep_ppm;    /* 1e6 - hit rate in ppm */
    llmgw__prices           *file;        /* opts->prices_path, or NULL */
    /* the record being added */
    int                      outcome;     /* LLMGW__SIM_* */
    int64_t                  cur, simd;
    bool                     repriced;
} llmgw__sim;

enum { LLMGW__SIM_COMPARED, LLMGW__SIM_UNKNOWN_CURRENT, LLMGW__SIM_UNPRICED };

/* The result in cfg->format (refs: the groups in order). */
int llmgw__sim_render(llmgw_buf *out, const llmgw__sim *s, const llmgw__gref *refs,
                      const llmgw__logread_counts *c, const llmgw_report_options *opts);

#endif
