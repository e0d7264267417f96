/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* tracer-core's own spellings, and names that are macros where the event is used: `errno`
 * (every libc) and `unix` (predefined in GNU C modes). LTTng-UST's macros expand such
 * names; ours paste or stringize them as written. */
#include <errno.h>
#include <tracer/tracepoint.h>

#include "check.h"

TRACER_EVENT(unix, errno,
             TRACER_ARGS(int, code),
             TRACER_FIELDS(tracer_field_integer(int, errno, code)
                           tracer_field_integer(int, unix, errno)))
TRACER_LOGLEVEL(unix, errno, TRACER_LOGLEVEL_ERR)

TRACER_EVENT(native, many,
             TRACER_ARGS(int, a, int, b, int, c, int, d, int, e, int, f, int, g, int, h, int, i,
                         int, j),
             TRACER_FIELDS(tracer_field_sequence(uint8_t, unused, NULL, uint8_t, 0)))

/* An instance in another provider than its class (LTTng-UST allows it only across files). */
TRACER_EVENT_CLASS(native, cls, TRACER_ARGS(unsigned char, v),
                   TRACER_FIELDS(tracer_field_integer_hex(unsigned char, v, v)))
TRACER_EVENT_INSTANCE(native, cls, other_prov, inst, TRACER_ARGS(unsigned char, v))
TRACER_LOGLEVEL(other_prov, inst, TRACER_LOGLEVEL_ALERT)

void test_native_api(void)
{
    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    errno = 7;
    tracer_tracepoint(unix, errno, 5);
    tracer_tracepoint(native, many, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    tracer_do_tracepoint(other_prov, inst, 0xab);

    r = mock_find("errno", 0);
    CHECK(r && strcmp(r->site->provider, "unix") == 0 && r->loglevel == 3);
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
