/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Tracepoints of plugin.c, a module its host loads and unloads. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER plugin

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./plugin-tp.h"

#if !defined(PLUGIN_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define PLUGIN_TP_H

#include <lttng/tracepoint.h>

TRACEPOINT_EVENT(plugin, work, TP_ARGS(int, n), TP_FIELDS(ctf_integer(int, n, n)))

#endif /* PLUGIN_TP_H */

#include <lttng/tracepoint-event.h>
