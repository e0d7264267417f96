/* LTTng-UST side of tracer-vs-lttng.sh: emits EVENTS events per thread from THREADS threads
 * and prints the same key=value line as tracer-core's `emit` bench.
 * Usage: bench_lttng MODE EVENTS THREADS   (MODE is only echoed back). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench_tp.h"

static const char *MSG = "hello world";
static uint64_t events;

static double cpu_s(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of each writer thread, summed after the join. */
static double writer_cpu[64];

static void *writer(void *arg)
{
    double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
    for (uint64_t i = 0; i < events; i++)
        tracepoint(bench, ev, (int64_t) i, MSG);
    *(double *) arg = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}


int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODE EVENTS THREADS\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    events = strtoull(argv[2], NULL, 10);
    int threads = atoi(argv[3]);
    pthread_t tids[64];
    if (threads < 1 || threads > 64)
        return 2;
    /* Register the probe and set up this process's buffers outside the timing. */
    tracepoint(bench, ev, -1, MSG);
    double t0 = cpu_s(CLOCK_MONOTONIC);
    for (int t = 0; t < threads; t++)
        pthread_create(&tids[t], NULL, writer, &writer_cpu[t]);
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    double dt = cpu_s(CLOCK_MONOTONIC) - t0;
    double wcpu = 0;
    for (int t = 0; t < threads; t++)
        wcpu += writer_cpu[t];
    printf("mode=%s threads=%d events=%" PRIu64 " ns_per_event=%.3f writer_cpu_ns_per_event=%.2f"
           " mevents_per_s=%.2f\n",
           mode, threads, events * threads, dt * 1e9 / events, wcpu * 1e9 / (events * threads),
           events * threads / dt / 1e6);
    return 0;
}
