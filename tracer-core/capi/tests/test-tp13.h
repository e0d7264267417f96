/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* A provider in LTTng-UST 2.13's API version 1 spellings only (LTTNG_UST_COMPAT_API_VERSION 1). */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER test_tp13

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./test-tp13.h"

#if !defined(TEST_TP13_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define TEST_TP13_H

#include <lttng/tracepoint.h>
#include <stdint.h>

LTTNG_UST_TRACEPOINT_ENUM(
    test_tp13,
    mode,
    LTTNG_UST_TP_ENUM_VALUES(
        lttng_ust_field_enum_value("OFF", 0)
        lttng_ust_field_enum_range("ON", 1, 9)
    )
)

LTTNG_UST_TRACEPOINT_EVENT(
    test_tp13,
    everything,
    LTTNG_UST_TP_ARGS(int, i, const char *, s, const uint8_t *, bytes, double, d),
    LTTNG_UST_TP_FIELDS(
        lttng_ust_field_integer(int, i, i)
        lttng_ust_field_integer_hex(int, i_hex, i)
        lttng_ust_field_integer_network(uint16_t, i_net, (uint16_t)i)
        lttng_ust_field_float(double, d, d)
        lttng_ust_field_string(s, s)
        lttng_ust_field_array(uint8_t, bytes, bytes, 2)
        lttng_ust_field_array_text(char, text, s, 2)
        lttng_ust_field_sequence(uint8_t, seq, bytes, uint8_t, 1)
        lttng_ust_field_sequence_text(char, seq_text, s, uint16_t, 1)
        lttng_ust_field_enum(test_tp13, mode, uint8_t, mode, i)
        lttng_ust_field_integer_nowrite(int, hidden, i)
    )
)
LTTNG_UST_TRACEPOINT_LOGLEVEL(test_tp13, everything, LTTNG_UST_TRACEPOINT_LOGLEVEL_NOTICE)

LTTNG_UST_TRACEPOINT_EVENT_CLASS(
    test_tp13,
    cls,
    LTTNG_UST_TP_ARGS(int, v),
    LTTNG_UST_TP_FIELDS(lttng_ust_field_integer(int, v, v))
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE(test_tp13, cls, test_tp13, inst, LTTNG_UST_TP_ARGS(int, v))

#endif /* TEST_TP13_H */

#include <lttng/tracepoint-event.h>
