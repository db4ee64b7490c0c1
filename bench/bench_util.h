/*
 * bench/bench_util.h: timing, medians, CPU placement and the report format
 * shared by the benchmarks. Each benchmark prints a readable line and one
 * JSON line per result: {"name", "unit", "llmgw", "baseline", "ratio"}.
 */
#ifndef LLMGW_BENCH_UTIL_H
#define LLMGW_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

double bench_now_us(void);
/* CPU time of the calling thread, in microseconds (time blocked in poll() does not count). */
double bench_thread_cpu_us(void);
/* Sorts v in place and returns its median. */
double bench_median(double *v, size_t n);
/* Percentile p in [0, 100] of a sorted array. */
double bench_percentile(const double *sorted, size_t n, double p);
/* baseline 0 means "no baseline": the ratio is printed as 0. */
void   bench_report(const char *name, const char *unit, double llmgw, double baseline);
/* The N of a benchmark: argv[1] if given, else $LLMGW_BENCH_N, else dflt. */
size_t bench_count(int argc, char **argv, size_t dflt);

/*
 * CPU placement for the loopback benchmarks, where the client and the
 * in-process mock server share the machine. Left to the scheduler, the mock
 * thread serving one client's connection may share a core with the client
 * while the other client's does not, which skews a whole run by tens of per
 * cent in either direction. Call bench_pin_server() before
 * mock_server_start() (its threads inherit the CPU), then bench_pin_client():
 * the server runs on one CPU and every client on another, the same for llmgw
 * and its baseline. A no-op with fewer than two CPUs or LLMGW_BENCH_NOPIN=1.
 * Returns 1 when pinned.
 */
int    bench_pin_server(void);
int    bench_pin_client(void);
/* The CPUs this process may run on. */
int    bench_cpus(void);

/* Resident set size and heap bytes in use (malloc, all arenas), for memory benchmarks. */
size_t bench_rss_bytes(void);
size_t bench_heap_bytes(void);

#endif
