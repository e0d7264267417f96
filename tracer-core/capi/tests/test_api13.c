/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* LTTng-UST 2.13's API version 1: with LTTNG_UST_COMPAT_API_VERSION 1 the version-0 names
 * (tracepoint, ctf_integer, TRACEPOINT_EVENT ...) are not defined, the LTTNG_UST_ ones are. */
#define LTTNG_UST_COMPAT_API_VERSION 1
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "test-tp13.h"

#include "check.h"

#if defined(tracepoint) || defined(ctf_integer) || defined(TRACEPOINT_EVENT) || defined(TP_ARGS)
#error "version-0 names defined with LTTNG_UST_COMPAT_API_VERSION 1"
#endif

void test_api_version_1(void)
{
    static const uint8_t bytes[2] = {0xaa, 0xbb};
    const struct mock_registration *r;
    struct want w = {{0}, 0}, inst = {{0}, 0};
    mock_reset();
    lttng_ust_tracepoint(test_tp13, everything, 3, "hi", bytes, 0.5);
    if (lttng_ust_tracepoint_enabled(test_tp13, everything))
        lttng_ust_do_tracepoint(test_tp13, everything, 3, "hi", bytes, 0.5);
    lttng_ust_tracepoint(test_tp13, inst, -1);

    r = mock_find("everything", 0);
    CHECK(r != NULL && r->n_fields == 10 && r->loglevel == 5);
    CHECK_FIELD(r, 0, "i", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 32, 0);
    CHECK_FIELD(r, 1, "i_hex", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED | TRACER_FLAG_HEX, 32, 0);
    CHECK_FIELD(r, 2, "i_net", TRACER_FIELD_INTEGER, 0, 16, 0);
    CHECK_FIELD(r, 3, "d", TRACER_FIELD_FLOAT, 0, 64, 0);
    CHECK_FIELD(r, 4, "s", TRACER_FIELD_STRING, 0, 0, 0);
    CHECK_FIELD(r, 5, "bytes", TRACER_FIELD_ARRAY, 0, 8, 2);
    CHECK_FIELD(r, 6, "text", TRACER_FIELD_ARRAY, TRACER_FLAG_TEXT, 8, 2);
    CHECK_FIELD(r, 7, "seq", TRACER_FIELD_SEQUENCE, 0, 8, 8);
    CHECK_FIELD(r, 8, "seq_text", TRACER_FIELD_SEQUENCE, TRACER_FLAG_TEXT, 8, 16);
    CHECK_FIELD(r, 9, "mode", TRACER_FIELD_ENUM, 0, 8, 0);
    CHECK(r && r->fields[9].n_entries == 2 && strcmp(r->fields[9].entries[1].label, "ON") == 0);

    want_le(&w, 3, 4);
    want_le(&w, 3, 4);
    want_raw(&w, "\x00\x03", 2); /* 3 in network order is host 0x0300 */
    want_le(&w, UINT64_C(0x3fe0000000000000), 8);
    want_str(&w, "hi");
    want_raw(&w, "\xaa\xbb", 2);
    want_raw(&w, "hi", 2);
    want_raw(&w, "\x01\xaa", 2);
    want_raw(&w, "\x01\x00h", 3);
    want_le(&w, 3, 1);
    CHECK(mock_n_commits == 3);
    CHECK_PAYLOAD(&mock_commits[0], &w);
    CHECK_PAYLOAD(&mock_commits[1], &w);

    r = mock_find("inst", 0);
    CHECK(r && strcmp(r->site->provider, "test_tp13") == 0 && r->loglevel == 13);
    want_le(&inst, (uint64_t)-1, 4);
    CHECK_PAYLOAD(&mock_commits[2], &inst);
}
