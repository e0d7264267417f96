/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * LTTng-UST 2.13 source compatibility: the names of LTTng-UST's <lttng/tracepoint.h>, mapped
 * onto tracer-core's <tracer/tracepoint.h>. A program written for LTTng-UST builds against
 * tracer-core by putting this directory first on the include path (and linking -ltracer).
 *
 * Both API versions LTTng-UST 2.13 documents are provided: version 1 (LTTNG_UST_TRACEPOINT_EVENT,
 * lttng_ust_field_integer, lttng_ust_tracepoint ...) always, version 0 (TRACEPOINT_EVENT,
 * ctf_integer, tracepoint ...) unless LTTNG_UST_COMPAT_API_VERSION is defined above 0, as
 * LTTng-UST does.
 *
 * The aliases are object-like (`#define ctf_integer tracer_field_integer`): each LTTng-UST name
 * becomes tracer-core's and the arguments are untouched; provider and event names are then
 * macro-expanded, as LTTng-UST expands them.
 */
#ifndef TRACER_LTTNG_TRACEPOINT_H
#define TRACER_LTTNG_TRACEPOINT_H

#include <tracer/tracepoint.h>

/* ---- API version 1 (LTTng-UST 2.13) -------------------------------------------------------- */

#define LTTNG_UST_TP_ARGS TRACER_ARGS
#define LTTNG_UST_TP_FIELDS TRACER_FIELDS
#define LTTNG_UST_TP_ENUM_VALUES TRACER_ENUM_VALUES
#define LTTNG_UST_TRACEPOINT_ENUM TRACER_ENUM
#define LTTNG_UST_TRACEPOINT_EVENT TRACER_EVENT
#define LTTNG_UST_TRACEPOINT_EVENT_CLASS TRACER_EVENT_CLASS
/* (cls_prov, cls_name, inst_prov, t_name, args) */
#define LTTNG_UST_TRACEPOINT_EVENT_INSTANCE TRACER_EVENT_INSTANCE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL TRACER_LOGLEVEL

#define lttng_ust_tracepoint tracer_tracepoint
#define lttng_ust_do_tracepoint tracer_do_tracepoint
#define lttng_ust_tracepoint_enabled tracer_tracepoint_enabled

#define lttng_ust_field_integer tracer_field_integer
#define lttng_ust_field_integer_hex tracer_field_integer_hex
#define lttng_ust_field_integer_network tracer_field_integer_network
#define lttng_ust_field_integer_network_hex tracer_field_integer_network_hex
#define lttng_ust_field_integer_nowrite tracer_field_integer_nowrite
#define lttng_ust_field_float tracer_field_float
#define lttng_ust_field_float_nowrite tracer_field_float_nowrite
#define lttng_ust_field_string tracer_field_string
#define lttng_ust_field_string_nowrite tracer_field_string_nowrite
#define lttng_ust_field_array tracer_field_array
#define lttng_ust_field_array_hex tracer_field_array_hex
#define lttng_ust_field_array_network tracer_field_array_network
#define lttng_ust_field_array_network_hex tracer_field_array_network_hex
#define lttng_ust_field_array_text tracer_field_array_text
#define lttng_ust_field_array_nowrite tracer_field_array_nowrite
#define lttng_ust_field_array_nowrite_hex tracer_field_array_nowrite_hex
#define lttng_ust_field_array_network_nowrite tracer_field_array_network_nowrite
#define lttng_ust_field_array_network_nowrite_hex tracer_field_array_network_nowrite_hex
#define lttng_ust_field_array_text_nowrite tracer_field_array_text_nowrite
#define lttng_ust_field_sequence tracer_field_sequence
#define lttng_ust_field_sequence_hex tracer_field_sequence_hex
#define lttng_ust_field_sequence_network tracer_field_sequence_network
#define lttng_ust_field_sequence_network_hex tracer_field_sequence_network_hex
#define lttng_ust_field_sequence_text tracer_field_sequence_text
#define lttng_ust_field_sequence_nowrite tracer_field_sequence_nowrite
#define lttng_ust_field_sequence_nowrite_hex tracer_field_sequence_nowrite_hex
#define lttng_ust_field_sequence_network_nowrite tracer_field_sequence_network_nowrite
#define lttng_ust_field_sequence_network_nowrite_hex tracer_field_sequence_network_nowrite_hex
#define lttng_ust_field_sequence_text_nowrite tracer_field_sequence_text_nowrite
#define lttng_ust_field_enum tracer_field_enum
#define lttng_ust_field_enum_nowrite tracer_field_enum_nowrite
#define lttng_ust_field_enum_value tracer_field_enum_value
#define lttng_ust_field_enum_range tracer_field_enum_range
#define lttng_ust_field_enum_auto tracer_field_enum_auto

#define LTTNG_UST_TRACEPOINT_LOGLEVEL_EMERG TRACER_LOGLEVEL_EMERG
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_ALERT TRACER_LOGLEVEL_ALERT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_CRIT TRACER_LOGLEVEL_CRIT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_ERR TRACER_LOGLEVEL_ERR
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_WARNING TRACER_LOGLEVEL_WARNING
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE TRACER_LOGLEVEL_NOTICE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_INFO TRACER_LOGLEVEL_INFO
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_SYSTEM TRACER_LOGLEVEL_DEBUG_SYSTEM
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROGRAM TRACER_LOGLEVEL_DEBUG_PROGRAM
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_PROCESS TRACER_LOGLEVEL_DEBUG_PROCESS
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_MODULE TRACER_LOGLEVEL_DEBUG_MODULE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_UNIT TRACER_LOGLEVEL_DEBUG_UNIT
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_FUNCTION TRACER_LOGLEVEL_DEBUG_FUNCTION
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG_LINE TRACER_LOGLEVEL_DEBUG_LINE
#define LTTNG_UST_TRACEPOINT_LOGLEVEL_DEBUG TRACER_LOGLEVEL_DEBUG

/*
 * The probes are in every file that includes the provider header, so LTTng-UST's "one file
 * instantiates the probes / defines the tracepoints / loads the provider dynamically" switches
 * (LTTNG_UST_TRACEPOINT_CREATE_PROBES, LTTNG_UST_TRACEPOINT_DEFINE,
 * LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE and their version-0 names) may be defined and
 * change nothing. The destructor switch has nothing to switch off either: the destructors of
 * <tracer/tracepoint.h> only make the library forget an unloaded module's call sites, and a
 * tracepoint hit after them (from a later destructor) is still recorded.
 */
static inline void lttng_ust_tracepoint_destructors_disable(void)
{
}

static inline int lttng_ust_tracepoint_get_destructors_state(void)
{
    return 1;
}

/* ---- API version 0 (LTTng-UST 2.0 .. 2.12 names) ------------------------------------------- */

#if !defined(LTTNG_UST_COMPAT_API_VERSION) || LTTNG_UST_COMPAT_API_VERSION == 0

#define TP_ARGS TRACER_ARGS
#define TP_FIELDS TRACER_FIELDS
#define TP_ENUM_VALUES TRACER_ENUM_VALUES
#define TRACEPOINT_ENUM TRACER_ENUM
#define TRACEPOINT_EVENT TRACER_EVENT
#define TRACEPOINT_EVENT_CLASS TRACER_EVENT_CLASS
#define TRACEPOINT_LOGLEVEL TRACER_LOGLEVEL
/* Version 0 has no instance provider: the instance is in the class's provider. */
#define TRACEPOINT_EVENT_INSTANCE(prov, cls, name, args)                                         \
    TRACER_EVENT_INSTANCE(prov, cls, prov, name, args)

#define tracepoint tracer_tracepoint
#define do_tracepoint tracer_do_tracepoint
#define tracepoint_enabled tracer_tracepoint_enabled

#define ctf_integer tracer_field_integer
#define ctf_integer_hex tracer_field_integer_hex
#define ctf_integer_network tracer_field_integer_network
#define ctf_integer_network_hex tracer_field_integer_network_hex
#define ctf_integer_nowrite tracer_field_integer_nowrite
#define ctf_float tracer_field_float
#define ctf_float_nowrite tracer_field_float_nowrite
#define ctf_string tracer_field_string
#define ctf_string_nowrite tracer_field_string_nowrite
#define ctf_array tracer_field_array
#define ctf_array_hex tracer_field_array_hex
#define ctf_array_network tracer_field_array_network
#define ctf_array_network_hex tracer_field_array_network_hex
#define ctf_array_text tracer_field_array_text
#define ctf_array_nowrite tracer_field_array_nowrite
#define ctf_array_nowrite_hex tracer_field_array_nowrite_hex
#define ctf_array_network_nowrite tracer_field_array_network_nowrite
#define ctf_array_network_nowrite_hex tracer_field_array_network_nowrite_hex
#define ctf_array_text_nowrite tracer_field_array_text_nowrite
#define ctf_sequence tracer_field_sequence
#define ctf_sequence_hex tracer_field_sequence_hex
#define ctf_sequence_network tracer_field_sequence_network
#define ctf_sequence_network_hex tracer_field_sequence_network_hex
#define ctf_sequence_text tracer_field_sequence_text
#define ctf_sequence_nowrite tracer_field_sequence_nowrite
#define ctf_sequence_nowrite_hex tracer_field_sequence_nowrite_hex
#define ctf_sequence_network_nowrite tracer_field_sequence_network_nowrite
#define ctf_sequence_network_nowrite_hex tracer_field_sequence_network_nowrite_hex
#define ctf_sequence_text_nowrite tracer_field_sequence_text_nowrite
#define ctf_enum tracer_field_enum
#define ctf_enum_nowrite tracer_field_enum_nowrite
#define ctf_enum_value tracer_field_enum_value
#define ctf_enum_range tracer_field_enum_range
#define ctf_enum_auto tracer_field_enum_auto

#define TRACE_EMERG TRACER_LOGLEVEL_EMERG
#define TRACE_ALERT TRACER_LOGLEVEL_ALERT
#define TRACE_CRIT TRACER_LOGLEVEL_CRIT
#define TRACE_ERR TRACER_LOGLEVEL_ERR
#define TRACE_WARNING TRACER_LOGLEVEL_WARNING
#define TRACE_NOTICE TRACER_LOGLEVEL_NOTICE
#define TRACE_INFO TRACER_LOGLEVEL_INFO
#define TRACE_DEBUG_SYSTEM TRACER_LOGLEVEL_DEBUG_SYSTEM
#define TRACE_DEBUG_PROGRAM TRACER_LOGLEVEL_DEBUG_PROGRAM
#define TRACE_DEBUG_PROCESS TRACER_LOGLEVEL_DEBUG_PROCESS
#define TRACE_DEBUG_MODULE TRACER_LOGLEVEL_DEBUG_MODULE
#define TRACE_DEBUG_UNIT TRACER_LOGLEVEL_DEBUG_UNIT
#define TRACE_DEBUG_FUNCTION TRACER_LOGLEVEL_DEBUG_FUNCTION
#define TRACE_DEBUG_LINE TRACER_LOGLEVEL_DEBUG_LINE
#define TRACE_DEBUG TRACER_LOGLEVEL_DEBUG

static inline void tracepoint_destructors_disable(void)
{
}

static inline int tracepoint_get_destructors_state(void)
{
    return 1;
}

#endif /* LTTNG_UST_COMPAT_API_VERSION */

#endif /* TRACER_LTTNG_TRACEPOINT_H */
