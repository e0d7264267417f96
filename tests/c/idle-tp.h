/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Tracepoints of idle.c: a thread that parks, and the ticks of the one that works. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER idle

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./idle-tp.h"

#if !defined(IDLE_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define IDLE_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(idle, parked, TP_ARGS(int, phase), TP_FIELDS(ctf_integer(int, phase, phase)))
TRACEPOINT_EVENT(idle, tick, TP_ARGS(int, n), TP_FIELDS(ctf_integer(int, n, n)))

#endif /* IDLE_TP_H */

#include <lttng/tracepoint-event.h>
