/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* tracer-core's own spellings. Provider and event names are macro-expanded (as LTTng-UST does:
 * a provider may be named through a macro); field names are taken as written, even `errno`
 * (a macro in every libc) and `unix` (predefined in GNU C modes). */
#include <errno.h>
#include <stdbool.h>
#include <tracer/tracepoint.h>

#include "check.h"

#define NATIVE_PROVIDER native
#define NATIVE_FAILURE failure

TRACER_EVENT(NATIVE_PROVIDER, NATIVE_FAILURE,
             TRACER_ARGS(int, code),
             TRACER_FIELDS(tracer_field_integer(int, errno, code)
                           tracer_field_integer(int, unix, errno)))
TRACER_LOGLEVEL(NATIVE_PROVIDER, failure, TRACER_LOGLEVEL_ERR)

TRACER_EVENT(native, many,
             TRACER_ARGS(int, a, int, b, int, c, int, d, int, e, int, f, int, g, int, h, int, i,
                         int, j),
             TRACER_FIELDS(tracer_field_sequence(uint8_t, unused, NULL, uint8_t, 0)))

/* An instance in another provider than its class (LTTng-UST allows it only across files). */
TRACER_EVENT_CLASS(native, cls, TRACER_ARGS(unsigned char, v),
                   TRACER_FIELDS(tracer_field_integer_hex(unsigned char, v, v)))
TRACER_EVENT_INSTANCE(native, cls, other_prov, inst, TRACER_ARGS(unsigned char, v))
TRACER_LOGLEVEL(other_prov, inst, TRACER_LOGLEVEL_ALERT)

/* The C types a field may have: bool, the three chars, enums, qualified types, float elements. */
enum color { RED, GREEN, BLUE };
TRACER_EVENT(native, types,
             TRACER_ARGS(bool, b, char, c, enum color, col, const void *, ptr),
             TRACER_FIELDS(tracer_field_integer(bool, b, b)
                           tracer_field_integer(char, c, c)
                           tracer_field_integer(signed char, sc, c)
                           tracer_field_integer(unsigned char, uc, c)
                           tracer_field_integer(enum color, col, col)
                           tracer_field_integer_hex(uintptr_t, ptr, (uintptr_t)ptr)
                           tracer_field_integer(const long long, cll, c)
                           tracer_field_array(const unsigned char, bytes, ptr, 2)
                           tracer_field_sequence(float, floats, NULL, const uint16_t, 0)))

static void test_field_types(void)
{
    static const unsigned char bytes[2] = {0xfe, 0xff};
    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    tracer_tracepoint(native, types, true, 'z', BLUE, bytes);

    r = mock_find("types", 0);
    CHECK(r && r->n_fields == 9);
    CHECK_FIELD(r, 0, "b", TRACER_FIELD_INTEGER, 0, 8 * sizeof(bool), 0);
    CHECK_FIELD(r, 1, "c", TRACER_FIELD_INTEGER, (char)-1 < 0 ? TRACER_FLAG_SIGNED : 0, 8, 0);
    CHECK_FIELD(r, 2, "sc", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 8, 0);
    CHECK_FIELD(r, 3, "uc", TRACER_FIELD_INTEGER, 0, 8, 0);
    CHECK_FIELD(r, 4, "col", TRACER_FIELD_INTEGER, 0, 8 * sizeof(enum color), 0);
    CHECK_FIELD(r, 5, "ptr", TRACER_FIELD_INTEGER, TRACER_FLAG_HEX, 8 * sizeof(void *), 0);
    CHECK_FIELD(r, 6, "cll", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 64, 0);
    CHECK_FIELD(r, 7, "bytes", TRACER_FIELD_ARRAY, 0, 8, 2);
    CHECK_FIELD(r, 8, "floats", TRACER_FIELD_SEQUENCE, TRACER_FLAG_ELEM_FLOAT, 32, 16);

    want_le(&w, 1, sizeof(bool));
    want_raw(&w, "zzz", 3);
    want_le(&w, BLUE, sizeof(enum color));
    want_le(&w, (uint64_t)(uintptr_t)bytes, sizeof(void *));
    want_le(&w, 'z', 8);
    want_raw(&w, "\xfe\xff", 2);
    want_le(&w, 0, 2);
    CHECK_PAYLOAD(&mock_commits[0], &w);
}

void test_native_api(void)
{
    test_field_types();

    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    errno = 7;
    tracer_tracepoint(native, NATIVE_FAILURE, 5);
    tracer_tracepoint(native, many, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    tracer_do_tracepoint(other_prov, inst, 0xab);

    r = mock_find("failure", 0);
    CHECK(r && strcmp(r->site->provider, "native") == 0 && r->loglevel == 3);
    CHECK_FIELD(r, 0, "errno", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 32, 0);
    CHECK_FIELD(r, 1, "unix", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 32, 0);
    want_le(&w, 5, 4);
    want_le(&w, 7, 4);
    CHECK_PAYLOAD(&mock_commits[0], &w);
    CHECK(mock_n_commits == 3 && mock_commits[1].accepted && mock_commits[1].len == 1);

    r = mock_find("inst", 0);
    CHECK(r && strcmp(r->site->provider, "other_prov") == 0 && r->loglevel == 1);
    CHECK_FIELD(r, 0, "v", TRACER_FIELD_INTEGER, TRACER_FLAG_HEX, 8, 0);
    CHECK(mock_commits[2].accepted && mock_commits[2].len == 1 && mock_commits[2].bytes[0] == 0xab);
}
