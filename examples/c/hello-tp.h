/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Tracepoint provider of the C example, declared in the LTTng-UST 2.x style that tracer-lsp
 * indexes (and that tracer-core's C API accepts).
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER hello

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./hello-tp.h"

#if !defined(HELLO_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define HELLO_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(
    hello,
    greeting,
    TP_ARGS(int, count, const char *, name),
    TP_FIELDS(
        ctf_integer(int, count, count)
        ctf_string(name, name)
    )
)
TRACEPOINT_LOGLEVEL(hello, greeting, TRACE_INFO)

TRACEPOINT_EVENT_CLASS(
    hello,
    work_class,
    TP_ARGS(unsigned long, id, double, cost),
    TP_FIELDS(
        ctf_integer_hex(unsigned long, id, id)
        ctf_float(double, cost, cost)
    )
)
TRACEPOINT_EVENT_INSTANCE(hello, work_class, work_start, TP_ARGS(unsigned long, id, double, cost))
TRACEPOINT_EVENT_INSTANCE(hello, work_class, work_done, TP_ARGS(unsigned long, id, double, cost))

#endif /* HELLO_TP_H */

#include <lttng/tracepoint-event.h>
