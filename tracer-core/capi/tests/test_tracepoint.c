/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * Tests of the tracepoint macros against the mock library: descriptors, payload bytes of every
 * field type, when expressions are evaluated, the multi-channel fill loop, payloads that change
 * under the writer, call-site records. Compiled as C99, GNU C11 and C++ (run.sh), each test a
 * function named for what it pins.
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "test-tp.h"

#include "check.h"

int check_failures;
int tp_evaluations;

static const struct mock_commit *commit_at(unsigned i)
{
    return i < mock_n_commits ? &mock_commits[i] : NULL;
}

static void test_integers_are_described_and_written_little_endian(void)
{
    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, integers, -2, 200, -300, 0x1234, -70000, 0xdeadbeefu,
               -INT64_C(5000000000), UINT64_C(0x0102030405060708));

    r = mock_find("integers", 0);
    CHECK(r != NULL && r->n_fields == 12);
    CHECK_FIELD(r, 0, "s8", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 8, 0);
    CHECK_FIELD(r, 1, "u8", TRACER_FIELD_INTEGER, 0, 8, 0);
    CHECK_FIELD(r, 2, "s16", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 16, 0);
    CHECK_FIELD(r, 3, "u16", TRACER_FIELD_INTEGER, 0, 16, 0);
    CHECK_FIELD(r, 4, "s32", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 32, 0);
    CHECK_FIELD(r, 5, "u32", TRACER_FIELD_INTEGER, 0, 32, 0);
    CHECK_FIELD(r, 6, "s64", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 64, 0);
    CHECK_FIELD(r, 7, "u64", TRACER_FIELD_INTEGER, 0, 64, 0);
    CHECK_FIELD(r, 8, "hex32", TRACER_FIELD_INTEGER, TRACER_FLAG_HEX, 32, 0);
    CHECK_FIELD(r, 9, "net16", TRACER_FIELD_INTEGER, 0, 16, 0);
    CHECK_FIELD(r, 10, "net32", TRACER_FIELD_INTEGER, TRACER_FLAG_HEX, 32, 0);
    CHECK_FIELD(r, 11, "widened", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 8 * sizeof(long), 0);

    want_le(&w, (uint64_t)-2, 1);
    want_le(&w, 200, 1);
    want_le(&w, (uint64_t)-300, 2);
    want_le(&w, 0x1234, 2);
    want_le(&w, (uint64_t)-70000, 4);
    want_le(&w, 0xdeadbeef, 4);
    want_le(&w, (uint64_t)-INT64_C(5000000000), 8);
    want_le(&w, UINT64_C(0x0102030405060708), 8);
    want_le(&w, 0xdeadbeef, 4);
    want_raw(&w, "\x12\x34", 2);         /* network 0x1234 is host 0x3412 */
    want_raw(&w, "\xde\xad\xbe\xef", 4); /* network 0xdeadbeef is host 0xefbeadde */
    want_le(&w, (uint64_t)-2, sizeof(long));
    CHECK(mock_n_commits == 1);
    CHECK_PAYLOAD(commit_at(0), &w);
}

static void test_floats_are_ieee_bits(void)
{
    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, floats, 1.5f, -2.25);

    r = mock_find("floats", 0);
    CHECK(r != NULL && r->n_fields == 3);
    CHECK_FIELD(r, 0, "f", TRACER_FIELD_FLOAT, 0, 32, 0);
    CHECK_FIELD(r, 1, "d", TRACER_FIELD_FLOAT, 0, 64, 0);
    CHECK_FIELD(r, 2, "promoted", TRACER_FIELD_FLOAT, 0, 64, 0);
    want_le(&w, 0x3fc00000, 4);
    want_le(&w, UINT64_C(0xc002000000000000), 8);
    want_le(&w, UINT64_C(0x3ff8000000000000), 8);
    CHECK_PAYLOAD(commit_at(0), &w);
}

static void test_strings_are_nul_terminated_and_null_is_recorded(void)
{
    const struct mock_registration *r;
    struct want w = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, strings, "hello", NULL);

    r = mock_find("strings", 0);
    CHECK(r != NULL && r->n_fields == 3);
    CHECK_FIELD(r, 0, "s", TRACER_FIELD_STRING, 0, 0, 0);
    CHECK_FIELD(r, 1, "maybe_null", TRACER_FIELD_STRING, 0, 0, 0);
    CHECK_FIELD(r, 2, "after", TRACER_FIELD_INTEGER, TRACER_FLAG_HEX, 32, 0);
    want_str(&w, "hello");
    want_str(&w, "(null)");
    want_le(&w, 0x11223344, 4);
    CHECK_PAYLOAD(commit_at(0), &w);
}

static void test_arrays_copy_count_elements(void)
{
    static const int32_t ints[3] = {1, -2, 0x01020304};
    static const uint16_t shorts[2] = {0x1234, 0xabcd};
    static const double dbls[2] = {0.5, 2.0};
    const struct mock_registration *r;
    struct want w = {{0}, 0}, zeros = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, arrays, ints, shorts, "wxyz-not-recorded", dbls);
    tracepoint(test_tp, arrays, NULL, shorts, "wxyz", NULL);

    r = mock_find("arrays", 0);
    CHECK(r != NULL && r->n_fields == 6);
    CHECK_FIELD(r, 0, "ints", TRACER_FIELD_ARRAY, TRACER_FLAG_SIGNED, 32, 3);
    CHECK_FIELD(r, 1, "hex", TRACER_FIELD_ARRAY, TRACER_FLAG_HEX, 16, 2);
    CHECK_FIELD(r, 2, "net", TRACER_FIELD_ARRAY, 0, 16, 2);
    CHECK_FIELD(r, 3, "net_hex", TRACER_FIELD_ARRAY, TRACER_FLAG_HEX, 32, 1);
    CHECK_FIELD(r, 4, "text", TRACER_FIELD_ARRAY, TRACER_FLAG_TEXT, 8, 4);
    CHECK_FIELD(r, 5, "dbls", TRACER_FIELD_ARRAY, TRACER_FLAG_ELEM_FLOAT, 64, 2);

    want_le(&w, 1, 4);
    want_le(&w, (uint64_t)-2, 4);
    want_le(&w, 0x01020304, 4);
    want_le(&w, 0x1234, 2);
    want_le(&w, 0xabcd, 2);
    want_raw(&w, "\x12\x34\xab\xcd", 4); /* each element from network order */
    want_raw(&w, "\x00\x00\x00\x01", 4);
    want_raw(&w, "wxyz", 4);
    want_le(&w, UINT64_C(0x3fe0000000000000), 8);
    want_le(&w, UINT64_C(0x4000000000000000), 8);
    CHECK_PAYLOAD(commit_at(0), &w);

    /* A null pointer records zeros. */
    want_zeros(&zeros, 12);
    want_le(&zeros, 0x1234, 2);
    want_le(&zeros, 0xabcd, 2);
    want_raw(&zeros, "\x12\x34\xab\xcd", 4);
    want_zeros(&zeros, 4);
    want_raw(&zeros, "wxyz", 4);
    want_zeros(&zeros, 16);
    CHECK_PAYLOAD(commit_at(1), &zeros);
}

static void test_sequences_have_a_length_prefix_of_len_type(void)
{
    static const int32_t ints[3] = {7, 8, 9};
    static const uint16_t shorts[2] = {0x0102, 0x0304};
    const struct mock_registration *r;
    struct want w = {{0}, 0}, one = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, sequences, ints, 2, shorts, "hey", -1);
    tracepoint(test_tp, sequences, ints, 0, shorts, "", 1);

    r = mock_find("sequences", 0);
    CHECK(r != NULL && r->n_fields == 5);
    CHECK_FIELD(r, 0, "ints", TRACER_FIELD_SEQUENCE, TRACER_FLAG_SIGNED, 32, 8);
    CHECK_FIELD(r, 1, "ints_hex", TRACER_FIELD_SEQUENCE, TRACER_FLAG_SIGNED | TRACER_FLAG_HEX, 32,
                16);
    CHECK_FIELD(r, 2, "net", TRACER_FIELD_SEQUENCE, 0, 16, 32);
    CHECK_FIELD(r, 3, "text", TRACER_FIELD_SEQUENCE, TRACER_FLAG_TEXT, 8, 8 * sizeof(size_t));
    CHECK_FIELD(r, 4, "negative", TRACER_FIELD_SEQUENCE, TRACER_FLAG_SIGNED, 32, 32);

    want_le(&w, 2, 1);
    want_le(&w, 7, 4);
    want_le(&w, 8, 4);
    want_le(&w, 2, 2);
    want_le(&w, 7, 4);
    want_le(&w, 8, 4);
    want_le(&w, 2, 4);
    want_raw(&w, "\x01\x02\x03\x04", 4);
    want_le(&w, 3, sizeof(size_t));
    want_raw(&w, "hey", 3);
    want_le(&w, 0, 4); /* a negative length records no element */
    CHECK_PAYLOAD(commit_at(0), &w);

    want_le(&one, 0, 1);
    want_le(&one, 0, 2);
    want_le(&one, 2, 4);
    want_raw(&one, "\x01\x02\x03\x04", 4);
    want_le(&one, 0, sizeof(size_t));
    want_le(&one, 1, 4);
    want_le(&one, 7, 4);
    CHECK_PAYLOAD(commit_at(1), &one);
}

static void test_enums_resolve_auto_labels_and_write_their_integer(void)
{
    const struct mock_registration *r;
    const struct tracer_field *f;
    struct want w = {{0}, 0};
    static const char *const labels[6] = {"IDLE", "BUSY", "RETRY", "AFTER_RETRY", "LAST",
                                          "NEGATIVE"};
    static const int64_t starts[6] = {0, 1, 10, 20, 21, -5};
    static const int64_t ends[6] = {0, 1, 19, 20, 21, -5};
    unsigned i;
    mock_reset();
    tracepoint(test_tp, enums, 20, 3000000000u);

    r = mock_find("enums", 0);
    CHECK(r != NULL && r->n_fields == 2);
    CHECK_FIELD(r, 0, "state", TRACER_FIELD_ENUM, TRACER_FLAG_SIGNED, 8, 0);
    CHECK_FIELD(r, 1, "plain", TRACER_FIELD_ENUM, 0, 32, 0);
    f = reg_field(r, 0);
    CHECK(f && f->n_entries == 6);
    for (i = 0; f && i < 6 && i < f->n_entries; i++) {
        CHECK(strcmp(f->entries[i].label, labels[i]) == 0);
        CHECK(f->entries[i].start == starts[i]);
        CHECK(f->entries[i].end == ends[i]);
    }
    f = reg_field(r, 1);
    CHECK(f && f->n_entries == 2);
    if (f && f->n_entries == 2) {
        CHECK(strcmp(f->entries[1].label, "BIG") == 0);
        CHECK(f->entries[1].start == 1000 && f->entries[1].end == INT64_C(4000000000));
    }
    want_le(&w, 20, 1);
    want_le(&w, 3000000000u, 4);
    CHECK_PAYLOAD(commit_at(0), &w);
}

static void test_enums_without_auto_labels_pass_the_static_descriptors(void)
{
    const struct mock_registration *a, *b;
    mock_reset();
    tracepoint(test_tp, plain_enum, 1000);
    tracepoint(test_tp, plain_enum, 0);
    CHECK(mock_n_regs == 2);
    a = &mock_regs[0];
    b = &mock_regs[1];
    CHECK(a->fields_ptr == b->fields_ptr); /* the class's static array, not a copy */
    CHECK_FIELD(a, 0, "plain", TRACER_FIELD_ENUM, 0, 16, 0);
    CHECK(a->fields[0].n_entries == 2);
}

static void test_loglevels_declared_before_after_or_not_at_all(void)
{
    mock_reset();
    tracepoint(test_tp, early);
    tracepoint(test_tp, integers, 0, 0, 0, 0, 0, 0, 0, 0);
    tracepoint(test_tp, floats, 0.0f, 0.0);
    CHECK(mock_find("early", 0) && mock_find("early", 0)->loglevel == 2);       /* TRACE_CRIT */
    CHECK(mock_find("integers", 0) && mock_find("integers", 0)->loglevel == 4); /* WARNING */
    CHECK(mock_find("floats", 0) && mock_find("floats", 0)->loglevel == 13);    /* DEBUG_LINE */
    CHECK(mock_find("early", 0) && mock_find("early", 0)->n_fields == 0);
    CHECK(commit_at(0) && commit_at(0)->accepted && commit_at(0)->len == 0);
}

static void test_disabled_site_evaluates_no_argument(void)
{
    int i;
    mock_reset();
    mock_config.mask_on_register = 0;
    tp_evaluations = 0;
    for (i = 0; i < 3; i++)
        tracepoint(test_tp, side_effects, tp_count(i));
    CHECK(tp_evaluations == 0); /* not even on the first hit, which registers */
    CHECK(mock_n_regs == 1);    /* once */
    CHECK(mock_n_reserves == 0);
    CHECK(mock_regs[0].site->mask == 0);
}

static void fire_side_effects(int x)
{
    tracepoint(test_tp, side_effects, tp_count(x));
}

static void test_describing_evaluates_no_field_expression(void)
{
    mock_reset();
    mock_config.mask_on_register = 0;
    tp_evaluations = 0;
    fire_side_effects(5);
    CHECK(mock_n_regs == 1 && mock_regs[0].n_fields == 2);
    CHECK(tp_evaluations == 0);

    /* Enabled later (a session starts): the argument and each field are evaluated once. */
    mock_set_mask(1);
    fire_side_effects(5);
    CHECK(tp_evaluations == 1 + 2);
    CHECK(mock_n_regs == 1 && mock_n_commits == 1);
}

static void test_two_channels_get_the_same_payload_evaluated_once(void)
{
    struct want w = {{0}, 0};
    mock_reset();
    mock_config.mask_on_register = 0x5; /* channels 0 and 2 */
    tp_evaluations = 0;
    tracepoint(test_tp, side_effects, 41);
    CHECK(tp_evaluations == 2);
    CHECK(mock_n_reserves == 1 && mock_n_commits == 2);
    want_le(&w, 41, 4);
    want_le(&w, 42, 4);
    CHECK_PAYLOAD(commit_at(0), &w);
    CHECK_PAYLOAD(commit_at(1), &w);
    CHECK(commit_at(0) && commit_at(0)->channel == 0);
    CHECK(commit_at(1) && commit_at(1)->channel == 2);
}

static char changing[32];

static void grow_string(void)
{
    strcpy(changing, "abcdefghijklmnopqrstuvwxyz");
}

static void shrink_string(void)
{
    changing[1] = '\0';
}

static void test_string_grown_between_size_and_write_is_dropped(void)
{
    mock_reset();
    strcpy(changing, "abc");
    mock_config.on_reserve = grow_string;
    tracepoint(test_tp, strings, changing, "x");
    CHECK(mock_n_commits == 1 && !mock_commits[0].accepted);
    CHECK(mock_n_lost == 1);
}

static void test_string_shrunk_between_size_and_write_is_dropped(void)
{
    mock_reset();
    strcpy(changing, "abcdef");
    mock_config.on_reserve = shrink_string;
    tracepoint(test_tp, strings, "x", changing);
    CHECK(mock_n_commits == 1 && !mock_commits[0].accepted);
    CHECK(mock_n_lost == 1);
}

/* Strings up to 32 bytes are copied byte by byte, longer ones by memcpy + memchr: both ways. */
static char changing_long[96];

static void grow_long_string(void)
{
    memset(changing_long, 'g', 80);
    changing_long[80] = '\0';
}

static void shrink_long_string(void)
{
    changing_long[40] = '\0';
}

static void test_strings_of_every_length_around_the_copy_switch(void)
{
    size_t len;
    for (len = 30; len <= 34; len++) {
        struct want w = {{0}, 0};
        memset(changing_long, 'a', len);
        changing_long[len] = '\0';
        mock_reset();
        tracepoint(test_tp, strings, changing_long, "x");
        want_str(&w, changing_long);
        want_str(&w, "x");
        want_le(&w, 0x11223344, 4);
        CHECK_PAYLOAD(commit_at(0), &w);
    }
}

static void test_long_string_grown_or_shrunk_between_size_and_write_is_dropped(void)
{
    mock_reset();
    memset(changing_long, 'a', 60);
    changing_long[60] = '\0';
    mock_config.on_reserve = grow_long_string;
    tracepoint(test_tp, strings, changing_long, "x");
    CHECK(mock_n_commits == 1 && !mock_commits[0].accepted);

    mock_reset();
    memset(changing_long, 'a', 60);
    changing_long[60] = '\0';
    mock_config.on_reserve = shrink_long_string;
    tracepoint(test_tp, strings, "x", changing_long);
    CHECK(mock_n_commits == 1 && !mock_commits[0].accepted);
    CHECK(mock_n_lost == 1);
}

static void test_less_or_more_room_than_asked_is_dropped_without_overflow(void)
{
    static const int32_t ints[3] = {1, 2, 3};
    static const uint16_t shorts[2] = {1, 2};
    static const double dbls[2] = {1, 2};
    long delta;
    for (delta = -5; delta <= 3; delta += 2) {
        mock_reset();
        mock_config.room_delta = delta;
        tracepoint(test_tp, arrays, ints, shorts, "text", dbls);
        tracepoint(test_tp, sequences, ints, 3, shorts, "hey", 3);
        tracepoint(test_tp, strings, "hello", "world");
        CHECK(mock_n_commits == 3 && mock_n_lost == 3);
    }
}

static void test_dropped_reserve_commits_nothing(void)
{
    mock_reset();
    mock_config.drop = 1;
    tracepoint(test_tp, strings, "a", "b");
    CHECK(mock_n_reserves == 1 && mock_n_commits == 0 && mock_n_lost == 1);
}

static void test_call_sites_carry_file_line_and_function(void)
{
    const struct mock_registration *a, *b;
    unsigned line_a, line_b;
    const char *file;
    mock_reset();
    tracepoint(test_tp, no_args); line_a = __LINE__;
    tracepoint(test_tp, no_args); line_b = __LINE__;

    a = mock_find("no_args", line_a);
    b = mock_find("no_args", line_b);
    CHECK(a != NULL && b != NULL && a != b);
    if (!a || !b)
        return;
    file = a->site->file;
    CHECK(strlen(file) >= strlen("test_tracepoint.c") &&
          strcmp(file + strlen(file) - strlen("test_tracepoint.c"), "test_tracepoint.c") == 0);
    CHECK(strcmp(a->site->function, "test_call_sites_carry_file_line_and_function") == 0);
    CHECK(strcmp(a->site->provider, "test_tp") == 0);
    CHECK(strcmp(a->site->event, "no_args") == 0);
    CHECK(a->site->abi == TRACER_ABI_VERSION && a->site->reserved == 0);
    CHECK(a->site->id != 0 && b->site->id != 0 && a->site->id != b->site->id);
    CHECK(mock_n_commits == 2);
    CHECK(commit_at(0) && commit_at(0)->site == a->site);
    CHECK(commit_at(1) && commit_at(1)->site == b->site);
}

/* Same descriptors, compared by value (each file has its own copy of the strings). */
static int same_fields(const struct mock_registration *a, const struct mock_registration *b)
{
    uint32_t i;
    if (a->n_fields != b->n_fields)
        return 0;
    for (i = 0; i < a->n_fields; i++) {
        const struct tracer_field *x = &a->fields[i], *y = &b->fields[i];
        if (strcmp(x->name, y->name) != 0 || x->kind != y->kind || x->flags != y->flags ||
            x->elem_bits != y->elem_bits || x->length != y->length ||
            x->n_entries != y->n_entries)
            return 0;
    }
    return 1;
}

static void test_class_instances_share_fields_with_their_own_names_and_levels(void)
{
    const struct mock_registration *begin, *end, *other;
    struct want w = {{0}, 0};
    mock_reset();
    tracepoint(test_tp, request_begin, 1, "/a");
    tracepoint(test_tp, request_end, 2, "/b");
    other_request_end(3, "/c");

    CHECK(mock_n_regs == 3);
    if (mock_n_regs != 3)
        return;
    begin = &mock_regs[0];
    end = &mock_regs[1];
    other = &mock_regs[2];
    CHECK(begin->fields_ptr == end->fields_ptr); /* one class, one descriptor array */
    CHECK(begin->n_fields == 2 && end->n_fields == 2);
    CHECK_FIELD(begin, 0, "id", TRACER_FIELD_INTEGER, TRACER_FLAG_SIGNED, 32, 0);
    CHECK_FIELD(begin, 1, "path", TRACER_FIELD_STRING, 0, 0, 0);
    CHECK(begin->loglevel == 6 && end->loglevel == 12);
    CHECK(strcmp(begin->site->provider, "test_tp") == 0);

    /* The same instance from another file (C or C++) describes the same fields and level. */
    CHECK(strcmp(other->site->event, "request_end") == 0);
    CHECK(other->n_fields == 2 && same_fields(other, end));
    CHECK(other->loglevel == 12);
    CHECK(strcmp(other->site->function, "other_request_end") == 0);

    want_le(&w, 2, 4);
    want_str(&w, "/b");
    CHECK_PAYLOAD(commit_at(1), &w);
}

static int ten_args_enabled(void)
{
    return tracepoint_enabled(test_tp, ten_args);
}

static void test_enabled_checks_register_and_follow_the_mask(void)
{
    int enabled[3];
    mock_reset();
    mock_config.mask_on_register = 0;
    enabled[0] = ten_args_enabled();
    CHECK(mock_n_regs == 1 && strcmp(mock_regs[0].site->event, "ten_args") == 0);
    mock_set_mask(1);
    enabled[1] = ten_args_enabled();
    CHECK(mock_n_regs == 1); /* the check is a call site of its own, registered once */
    mock_config.mask_on_register = 1;
    enabled[2] = lttng_ust_tracepoint_enabled(test_tp, ten_args);
    CHECK(!enabled[0] && enabled[1] && enabled[2]);
    CHECK(mock_n_regs == 2 && mock_n_reserves == 0);

    if (tracepoint_enabled(test_tp, ten_args))
        do_tracepoint(test_tp, ten_args, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    CHECK(mock_n_commits == 1 && commit_at(0)->len == 10 && commit_at(0)->bytes[9] == 10);
}

static void test_statement_forms_nest_like_a_function_call(void)
{
    int i, hits = 0;
    mock_reset();
    for (i = 0; i < 4; i++)
        if (i % 2)
            tracepoint(test_tp, no_args);
        else
            hits++;
    CHECK(hits == 2 && mock_n_commits == 2 && mock_n_regs == 1);
}

int main(void)
{
    test_integers_are_described_and_written_little_endian();
    test_floats_are_ieee_bits();
    test_strings_are_nul_terminated_and_null_is_recorded();
    test_arrays_copy_count_elements();
    test_sequences_have_a_length_prefix_of_len_type();
    test_enums_resolve_auto_labels_and_write_their_integer();
    test_enums_without_auto_labels_pass_the_static_descriptors();
    test_loglevels_declared_before_after_or_not_at_all();
    test_disabled_site_evaluates_no_argument();
    test_describing_evaluates_no_field_expression();
    test_two_channels_get_the_same_payload_evaluated_once();
    test_string_grown_between_size_and_write_is_dropped();
    test_string_shrunk_between_size_and_write_is_dropped();
    test_strings_of_every_length_around_the_copy_switch();
    test_long_string_grown_or_shrunk_between_size_and_write_is_dropped();
    test_less_or_more_room_than_asked_is_dropped_without_overflow();
    test_dropped_reserve_commits_nothing();
    test_call_sites_carry_file_line_and_function();
    test_class_instances_share_fields_with_their_own_names_and_levels();
    test_enabled_checks_register_and_follow_the_mask();
    test_statement_forms_nest_like_a_function_call();
    test_api_version_1();
    test_native_api();
    if (check_failures) {
        fprintf(stderr, "%d check(s) failed\n", check_failures);
        return 1;
    }
    printf("all checks passed\n");
    return 0;
}
