/*
 * bench/bench_util.c
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

double bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double bench_percentile(const double *sorted, size_t n, double p)
{
    size_t i;

    if (n == 0)
        return 0;
    i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return sorted[i < n ? i : n - 1];
}

void bench_report(const char *name, const char *unit, double llmgw, double baseline)
{
    double ratio = baseline > 0 ? llmgw / baseline : 0;

    printf("%-28s llmgw %10.3f %s   baseline %10.3f %s   ratio %.3f\n", name, llmgw, unit, baseline, unit, ratio);
    printf("{\"name\":\"%s\",\"unit\":\"%s\",\"llmgw\":%.3f,\"baseline\":%.3f,\"ratio\":%.4f}\n",
           name, unit, llmgw, baseline, ratio);
    fflush(stdout);
}

size_t bench_count(int argc, char **argv, size_t dflt)
{
    const char *s = argc > 1 ? argv[1] : getenv("LLMGW_BENCH_N");
    long v;

    if (s == NULL)
        return dflt;
    v = strtol(s, NULL, 10);
    return v > 0 ? (size_t)v : dflt;
}
