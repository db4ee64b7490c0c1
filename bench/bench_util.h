/*
 * bench/bench_util.h: timing, medians and the report format shared by the
 * benchmarks. Each benchmark prints a readable line and one JSON line:
 * {"name", "unit", "llmgw", "baseline", "ratio"}.
 */
#ifndef LLMGW_BENCH_UTIL_H
#define LLMGW_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

double bench_now_us(void);
/* Sorts v in place and returns its median. */
double bench_median(double *v, size_t n);
/* Percentile p in [0, 100] of a sorted array. */
double bench_percentile(const double *sorted, size_t n, double p);
void   bench_report(const char *name, const char *unit, double llmgw, double baseline);
/* The N of a benchmark: argv[1] if given, else $LLMGW_BENCH_N, else dflt. */
size_t bench_count(int argc, char **argv, size_t dflt);

#endif
