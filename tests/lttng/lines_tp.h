/* LTTng-UST tracepoint provider of the trace-import test (tests/tests/lttng_import.rs), in the
 * shape of LTTng's hello-world example. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER lines_app

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./lines_tp.h"

#if !defined(LINES_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define LINES_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(
    lines_app,
    step,
    TP_ARGS(
        int, n,
        const char *, where
    ),
    TP_FIELDS(
        ctf_integer(int, n, n)
        ctf_string(where, where)
    )
)

TRACEPOINT_EVENT(
    lines_app,
    done,
    TP_ARGS(int, total),
    TP_FIELDS(
        ctf_integer(int, total, total)
    )
)

#endif /* LINES_TP_H */

#include <lttng/tracepoint-event.h>
