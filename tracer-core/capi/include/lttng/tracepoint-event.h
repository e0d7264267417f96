/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * LTTng-UST source compatibility: the last line of every LTTng-UST provider header includes
 * this file. With LTTng-UST it re-reads the provider header (TRACEPOINT_INCLUDE) to generate
 * the probes in the file that defines TRACEPOINT_CREATE_PROBES. tracer-core's TRACEPOINT_EVENT
 * generates everything it needs on the first read, in every file, so there is nothing left to
 * do here; TRACEPOINT_HEADER_MULTI_READ is never defined, and the header's own include guard
 * keeps it to one read per file.
 */
#include <lttng/tracepoint.h>
