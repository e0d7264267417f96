/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The provider the header tests fire: one event per field family, in LTTng-UST's version-0
 * spellings and provider-header layout. It is also compiled against the real LTTng-UST (when
 * installed) to keep it a genuine LTTng-UST provider.
 */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER test_tp

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./test-tp.h"

#if !defined(TEST_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define TEST_TP_H

#include <lttng/tracepoint.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Counts evaluations of the field expressions that call it. Outside the TRACEPOINT_* macros,
 * so guarded on its own: LTTng-UST reads this part of the header several times. */
#ifndef TEST_TP_HELPERS
#define TEST_TP_HELPERS
extern int tp_evaluations;
static inline int tp_count(int v)
{
    tp_evaluations++;
    return v;
}
#endif

/* A log level declared before its event. */
TRACEPOINT_LOGLEVEL(test_tp, early, TRACE_CRIT)

TRACEPOINT_EVENT(test_tp, early, TP_ARGS(void), TP_FIELDS())

TRACEPOINT_EVENT(
    test_tp,
    integers,
    TP_ARGS(int8_t, s8, uint8_t, u8, int16_t, s16, uint16_t, u16, int32_t, s32, uint32_t, u32,
            int64_t, s64, uint64_t, u64),
    TP_FIELDS(
        ctf_integer(int8_t, s8, s8)
        ctf_integer(uint8_t, u8, u8)
        ctf_integer(int16_t, s16, s16)
        ctf_integer(uint16_t, u16, u16)
        ctf_integer(int32_t, s32, s32)
        ctf_integer(uint32_t, u32, u32)
        ctf_integer(int64_t, s64, s64)
        ctf_integer(uint64_t, u64, u64)
        ctf_integer_hex(uint32_t, hex32, u32)
        ctf_integer_network(uint16_t, net16, u16)
        ctf_integer_network_hex(uint32_t, net32, u32)
        ctf_integer_nowrite(int32_t, hidden, s32)
        ctf_integer(long, widened, s8)
    )
)
TRACEPOINT_LOGLEVEL(test_tp, integers, TRACE_WARNING)

TRACEPOINT_EVENT(
    test_tp,
    floats,
    TP_ARGS(float, f, double, d),
    TP_FIELDS(
        ctf_float(float, f, f)
        ctf_float(double, d, d)
        ctf_float_nowrite(double, hidden, d)
        ctf_float(double, promoted, f)
    )
)

TRACEPOINT_EVENT(
    test_tp,
    strings,
    TP_ARGS(const char *, s, const char *, maybe_null),
    TP_FIELDS(
        ctf_string(s, s)
        ctf_string(maybe_null, maybe_null)
        ctf_string_nowrite(hidden, s)
        ctf_integer_hex(uint32_t, after, 0x11223344)
    )
)

TRACEPOINT_EVENT(
    test_tp,
    arrays,
    TP_ARGS(const int32_t *, ints, const uint16_t *, shorts, const char *, text,
            const double *, dbls),
    TP_FIELDS(
        ctf_array(int32_t, ints, ints, 3)
        ctf_array_hex(uint16_t, hex, shorts, 2)
        ctf_array_network(uint16_t, net, shorts, 2)
        ctf_array_network_hex(uint32_t, net_hex, ints, 1)
        ctf_array_text(char, text, text, 4)
        ctf_array(double, dbls, dbls, 2)
        ctf_array_nowrite(int32_t, hidden, ints, 3)
        ctf_array_text_nowrite(char, hidden_text, text, 4)
    )
)

TRACEPOINT_EVENT(
    test_tp,
    sequences,
    TP_ARGS(const int32_t *, ints, size_t, n, const uint16_t *, shorts, const char *, text,
            int, signed_len),
    TP_FIELDS(
        ctf_sequence(int32_t, ints, ints, uint8_t, n)
        ctf_sequence_hex(int32_t, ints_hex, ints, uint16_t, n)
        ctf_sequence_network(uint16_t, net, shorts, uint32_t, 2)
        ctf_sequence_text(char, text, text, size_t, strlen(text))
        ctf_sequence(int32_t, negative, ints, int, signed_len)
        ctf_sequence_nowrite(int32_t, hidden, ints, size_t, n)
    )
)

TRACEPOINT_ENUM(
    test_tp,
    state,
    TP_ENUM_VALUES(
        ctf_enum_value("IDLE", 0)
        ctf_enum_value("BUSY", 1)
        ctf_enum_range("RETRY", 10, 19)
        ctf_enum_auto("AFTER_RETRY")
        ctf_enum_auto("LAST")
        ctf_enum_value("NEGATIVE", -5)
    )
)

TRACEPOINT_ENUM(
    test_tp,
    plain,
    TP_ENUM_VALUES(
        ctf_enum_value("ZERO", 0)
        ctf_enum_range("BIG", 1000, 4000000000LL)
    )
)

TRACEPOINT_EVENT(
    test_tp,
    enums,
    TP_ARGS(int, state, unsigned, plain),
    TP_FIELDS(
        ctf_enum(test_tp, state, int8_t, state, state)
        ctf_enum(test_tp, plain, uint32_t, plain, plain)
        ctf_enum_nowrite(test_tp, state, int, hidden, state)
    )
)

TRACEPOINT_EVENT(
    test_tp,
    plain_enum,
    TP_ARGS(unsigned, plain),
    TP_FIELDS(
        ctf_enum(test_tp, plain, uint16_t, plain, plain)
    )
)

/* Field expressions with a side effect: counted by tp_evaluations. */
TRACEPOINT_EVENT(
    test_tp,
    side_effects,
    TP_ARGS(int, x),
    TP_FIELDS(
        ctf_integer(int, x, tp_count(x))
        ctf_integer(int, y, tp_count(x + 1))
    )
)

TRACEPOINT_EVENT_CLASS(
    test_tp,
    request,
    TP_ARGS(int, id, const char *, path),
    TP_FIELDS(
        ctf_integer(int, id, id)
        ctf_string(path, path)
    )
)
TRACEPOINT_EVENT_INSTANCE(test_tp, request, request_begin, TP_ARGS(int, id, const char *, path))
TRACEPOINT_LOGLEVEL(test_tp, request_begin, TRACE_INFO)
TRACEPOINT_EVENT_INSTANCE(test_tp, request, request_end, TP_ARGS(int, id, const char *, path))
TRACEPOINT_LOGLEVEL(test_tp, request_end, TRACE_DEBUG_FUNCTION)

TRACEPOINT_EVENT(
    test_tp,
    ten_args,
    TP_ARGS(int, a1, int, a2, int, a3, int, a4, int, a5, int, a6, int, a7, int, a8, int, a9,
            int, a10),
    TP_FIELDS(
        ctf_integer(uint8_t, a1, a1) ctf_integer(uint8_t, a2, a2) ctf_integer(uint8_t, a3, a3)
        ctf_integer(uint8_t, a4, a4) ctf_integer(uint8_t, a5, a5) ctf_integer(uint8_t, a6, a6)
        ctf_integer(uint8_t, a7, a7) ctf_integer(uint8_t, a8, a8) ctf_integer(uint8_t, a9, a9)
        ctf_integer(uint8_t, a10, a10)
    )
)

TRACEPOINT_EVENT(test_tp, no_args, TP_ARGS(), TP_FIELDS(ctf_integer(int, answer, 42)))

#endif /* TEST_TP_H */

#include <lttng/tracepoint-event.h>
