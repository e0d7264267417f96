/* LTTng-UST tracepoint provider of the reader test (tests/reader_lttng.rs): one event with an
 * integer and a string, one with a field of every other kind LTTng-UST records. */
#undef TRACEPOINT_PROVIDER
#define TRACEPOINT_PROVIDER reader_app

#undef TRACEPOINT_INCLUDE
#define TRACEPOINT_INCLUDE "./reader_tp.h"

#if !defined(READER_TP_H) || defined(TRACEPOINT_HEADER_MULTI_READ)
#define READER_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

TRACEPOINT_ENUM(reader_app, state,
    TP_ENUM_VALUES(
        ctf_enum_value("idle", 0)
        ctf_enum_range("busy", 1, 5)
    )
)

TRACEPOINT_EVENT(reader_app, tick,
    TP_ARGS(int, n, const char *, label),
    TP_FIELDS(
        ctf_integer(int, n, n)
        ctf_string(label, label)
    )
)

TRACEPOINT_EVENT(reader_app, rich,
    TP_ARGS(int64_t, n, const uint8_t *, bytes, const int16_t *, seq, unsigned int, seq_len,
            const char *, text),
    TP_FIELDS(
        ctf_integer(int64_t, n, n)
        ctf_integer_hex(uint32_t, mask, (uint32_t) n * 2654435761u)
        ctf_integer_network(uint16_t, port, (uint16_t) n)
        ctf_float(float, half, n / 2.0f)
        ctf_float(double, third, n / 3.0)
        ctf_array(uint8_t, bytes, bytes, 4)
        ctf_sequence(int16_t, seq, seq, unsigned int, seq_len)
        ctf_array_text(char, tag, text, 8)
        ctf_sequence_text(char, word, text, unsigned int, seq_len)
        ctf_enum(reader_app, state, int, state, n % 7)
        ctf_string(text, text)
    )
)
TRACEPOINT_LOGLEVEL(reader_app, rich, TRACE_WARNING)

#endif

#include <lttng/tracepoint-event.h>
