/*
 * bench/bench_util.c
 */
#include "bench_util.h"

#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double bench_now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

double bench_thread_cpu_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
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

    if (baseline > 0)
        printf("%-34s llmgw %11.3f %-3s baseline %11.3f %-3s ratio %.3f\n", name, llmgw, unit, baseline, unit,
               ratio);
    else
        printf("%-34s llmgw %11.3f %-3s\n", name, llmgw, unit);
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

/* The n-th CPU (0-based) this process may run on, or -1. */
static int nth_cpu(int n)
{
    cpu_set_t set;
    int cpu, seen = 0;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &set) && seen++ == n)
            return cpu;
    return -1;
}

int bench_cpus(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return 1;
    return CPU_COUNT(&set);
}

static int pin_to(int which)
{
    const char *off = getenv("LLMGW_BENCH_NOPIN");
    static int cpus[2] = { -2, -2 };
    cpu_set_t set;

    if (off != NULL && *off != '\0' && strcmp(off, "0") != 0)
        return 0;
    if (cpus[0] == -2) {
        cpus[0] = nth_cpu(0);
        cpus[1] = nth_cpu(1);
    }
    if (cpus[0] < 0 || cpus[1] < 0)
        return 0;
    CPU_ZERO(&set);
    CPU_SET(cpus[which], &set);
    return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

int bench_pin_server(void)
{
    return pin_to(1);
}

int bench_pin_client(void)
{
    return pin_to(0);
}

size_t bench_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, rss = 0;

    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &rss) != 2)
        rss = 0;
    fclose(f);
    return (size_t)rss * (size_t)sysconf(_SC_PAGESIZE);
}

size_t bench_heap_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();

    return mi.uordblks + mi.hblkhd;
}
