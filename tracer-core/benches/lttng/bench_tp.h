/* LTTng-UST tracepoint provider for the comparison benchmark: the same payload as
 * tracer-core's `tracepoint!(bench, ev, id = i as i64, msg = MSG)`. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER bench

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./bench_tp.h"

#if !defined(BENCH_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define BENCH_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

TRACEPOINT_EVENT(bench, ev,
    TP_ARGS(int64_t, id, const char *, msg),
    TP_FIELDS(
        ctf_integer(int64_t, id, id)
        ctf_string(msg, msg)
    )
)

#endif

#include <lttng/tracepoint-event.h>
