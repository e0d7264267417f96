/* Instantiates the probe of bench_tp.h (LTTng-UST needs it in its own translation unit). */
#define TRACEPOINT_CREATE_PROBES
#define TRACEPOINT_DEFINE
#include "bench_tp.h"
