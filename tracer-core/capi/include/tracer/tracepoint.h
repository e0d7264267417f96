/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * tracer-core's C API: declare events, fire them. Header-only on top of <tracer/abi.h>.
 *
 * Declaring (in a provider header, included by every file that fires its events):
 *
 *   TRACER_EVENT(my_app, request,
 *       TRACER_ARGS(int, id, const char *, path),
 *       TRACER_FIELDS(
 *           tracer_field_integer(int, id, id)
 *           tracer_field_string(path, path)))
 *   TRACER_LOGLEVEL(my_app, request, TRACER_LOGLEVEL_INFO)
 *
 * Firing:   tracer_tracepoint(my_app, request, req->id, req->path);
 *
 * The LTTng-UST 2.13 spellings (TRACEPOINT_EVENT, ctf_integer, tracepoint() ...) are in
 * <lttng/tracepoint.h>, which maps them onto these.
 *
 * How it works. A tracer_tracepoint() declares a static struct tracer_callsite holding its
 * provider, event, __FILE__, __LINE__ and __func__, and tests the site's mask with one relaxed
 * load: the disabled path is that load and a not-taken branch, and the arguments are not
 * evaluated. TRACER_EVENT* expand, in every file that includes the provider header, into
 *   - a static const array of struct tracer_field (built at compile time: the payload's
 *     description costs nothing at run time and never evaluates a field expression),
 *   - a cold, out-of-line "class" function that evaluates each field expression once, sums the
 *     payload length, reserves, and writes the fields (bounded by the reserved end) once per
 *     channel,
 *   - small inline functions the call sites use: _ready (registers the site on its first hit)
 *     and _probe (forwards the arguments to the class function).
 * TP_FIELDS lists are preprocessor sequences: every field macro expands to a parenthesized
 * tuple (kind, ...), and each pass (descriptor, evaluation, size, write) walks the sequence
 * with its own pair of macros. Provider, event and enumeration names are macro-expanded before
 * they are pasted, as LTTng-UST does (`tracepoint(MY_PROVIDER, ...)` works); field names are
 * stringized and pasted by the field macro itself, as written (a field may be called `errno`).
 *
 * Internal names (TRACER_I_*, tracer_i_*, tracer_f_*, tracer_n_*) are not API.
 */
#ifndef TRACER_TRACEPOINT_H
#define TRACER_TRACEPOINT_H

#include <stdint.h>
#include <string.h>

#include <tracer/abi.h>

/* ---- Unloading ------------------------------------------------------------------------------
 * A module that holds call sites may be unloaded (dlclose) while the program goes on: each
 * translation unit tells the library when its module goes, so the library never writes to its
 * call sites afterwards. __dso_handle is the module's own (the C runtime defines it in every
 * executable and shared object). */
#ifdef __cplusplus
extern "C" {
#endif
extern void *__dso_handle __attribute__((__weak__, __visibility__("hidden")));
#ifdef __cplusplus
}
#endif
__attribute__((__destructor__, __used__)) static void tracer_i_module_unloaded(void)
{
    tracer_unregister_module(&__dso_handle);
}

/* ---- Log levels (LTTng numbering; passed to tracer_register) ------------------------------ */

enum tracer_loglevel {
    TRACER_LOGLEVEL_EMERG = 0,
    TRACER_LOGLEVEL_ALERT = 1,
    TRACER_LOGLEVEL_CRIT = 2,
    TRACER_LOGLEVEL_ERR = 3,
    TRACER_LOGLEVEL_WARNING = 4,
    TRACER_LOGLEVEL_NOTICE = 5,
    TRACER_LOGLEVEL_INFO = 6,
    TRACER_LOGLEVEL_DEBUG_SYSTEM = 7,
    TRACER_LOGLEVEL_DEBUG_PROGRAM = 8,
    TRACER_LOGLEVEL_DEBUG_PROCESS = 9,
    TRACER_LOGLEVEL_DEBUG_MODULE = 10,
    TRACER_LOGLEVEL_DEBUG_UNIT = 11,
    TRACER_LOGLEVEL_DEBUG_FUNCTION = 12,
    TRACER_LOGLEVEL_DEBUG_LINE = 13, /* an event without TRACER_LOGLEVEL has this one */
    TRACER_LOGLEVEL_DEBUG = 14
};

/* ---- Declaring events ---------------------------------------------------------------------- */

/* The parameters of an event: type, name pairs (up to 10), or nothing, or `void`. */
#define TRACER_ARGS(...) (__VA_ARGS__)
/* The payload: field macros one after the other, not separated by commas. */
#define TRACER_FIELDS(...) __VA_ARGS__
/* The labels of an enumeration: tracer_field_enum_value/range/auto one after the other. */
#define TRACER_ENUM_VALUES(...) __VA_ARGS__

/* An event with its own fields (a class and one instance of the same name). */
#define TRACER_EVENT(prov, name, args, fields) TRACER_I_EVENT(prov, name, args, fields)
#define TRACER_I_EVENT(prov, name, args, fields)                                                 \
    TRACER_I_CLASS(tracer_i_ev_##prov##___##name, args, fields)                                  \
    TRACER_I_INSTANCE(tracer_i_ev_##prov##___##name, tracer_i_ev_##prov##___##name, #prov,       \
                      #name, args)

/* Fields shared by several events (one serialization function for all of them). */
#define TRACER_EVENT_CLASS(prov, cls, args, fields) TRACER_I_EVENT_CLASS(prov, cls, args, fields)
#define TRACER_I_EVENT_CLASS(prov, cls, args, fields)                                            \
    TRACER_I_CLASS(tracer_i_ev_##prov##___##cls, args, fields)

/* An event `prov:name` with the fields of class `cls_prov:cls`; args as the class's. */
#define TRACER_EVENT_INSTANCE(cls_prov, cls, prov, name, args)                                   \
    TRACER_I_EVENT_INSTANCE(cls_prov, cls, prov, name, args)
#define TRACER_I_EVENT_INSTANCE(cls_prov, cls, prov, name, args)                                 \
    TRACER_I_INSTANCE(tracer_i_ev_##cls_prov##___##cls, tracer_i_ev_##prov##___##name, #prov,    \
                      #name, args)

/*
 * The log level of an event, before or after its declaration. It is a weak definition (the
 * header is included by many files) that the event's registration reads through a weak
 * reference, so an event without one registers TRACER_LOGLEVEL_DEBUG_LINE.
 */
#define TRACER_LOGLEVEL(prov, name, level) TRACER_I_LOGLEVEL(prov, name, level)
#define TRACER_I_LOGLEVEL(prov, name, level)                                                     \
    int32_t tracer_i_ev_##prov##___##name##_loglevel                                             \
        __attribute__((weak, visibility("hidden"))) = (level);

/* A named enumeration of a provider, for tracer_field_enum(prov, name, ...). */
#define TRACER_ENUM(prov, name, values) TRACER_I_ENUM_DEF(prov, name, values)
#define TRACER_I_ENUM_DEF(prov, name, values)                                                    \
    static const struct tracer_enum_entry tracer_i_enum_##prov##___##name[] TRACER_I_UNUSED = {  \
        TRACER_I_EACH(TRACER_I_ENUMV, values){NULL, 0, 0}};

#define tracer_field_enum_value(label, value) (TRACER_I_VALUE, label, value)
#define tracer_field_enum_range(label, start, end) (TRACER_I_RANGE, label, start, end)
/* The value after the previous label's end (0 for the first label). */
#define tracer_field_enum_auto(label) (TRACER_I_AUTO, label)

/* ---- Fields -------------------------------------------------------------------------------- */
/*
 * `expr` is evaluated once per recorded event, after the enabled check. int_type sets the size
 * (8/16/32/64 bits) and signedness; _hex displays base 16; _network takes a value in network
 * byte order (big-endian) and records it converted to host order. _nowrite fields are neither
 * described nor recorded nor evaluated (this tracer has no payload filters to feed them).
 */
#define tracer_field_integer(int_type, name, expr)                                               \
    (TRACER_I_INTEGER, int_type, #name, tracer_f_##name, expr, 0u, 0)
#define tracer_field_integer_hex(int_type, name, expr)                                           \
    (TRACER_I_INTEGER, int_type, #name, tracer_f_##name, expr, TRACER_FLAG_HEX, 0)
#define tracer_field_integer_network(int_type, name, expr)                                       \
    (TRACER_I_INTEGER, int_type, #name, tracer_f_##name, expr, 0u, 1)
#define tracer_field_integer_network_hex(int_type, name, expr)                                   \
    (TRACER_I_INTEGER, int_type, #name, tracer_f_##name, expr, TRACER_FLAG_HEX, 1)
#define tracer_field_integer_nowrite(int_type, name, expr) (TRACER_I_SKIP, ~)

/* float or double. */
#define tracer_field_float(float_type, name, expr)                                               \
    (TRACER_I_FLOAT, float_type, #name, tracer_f_##name, expr)
#define tracer_field_float_nowrite(float_type, name, expr) (TRACER_I_SKIP, ~)

/* A NUL-terminated string; a null pointer is recorded as "(null)". */
#define tracer_field_string(name, expr)                                                          \
    (TRACER_I_STRING, #name, tracer_f_##name, tracer_n_##name, expr)
#define tracer_field_string_nowrite(name, expr) (TRACER_I_SKIP, ~)

/*
 * `count` elements (a compile-time constant) of int_type, copied from the memory at `expr` (a
 * pointer or an array; a null pointer records zeros). Elements may be float or double.
 */
#define tracer_field_array(int_type, name, expr, count)                                          \
    (TRACER_I_ARRAY, int_type, #name, tracer_f_##name, expr, count, 0u, 0)
#define tracer_field_array_hex(int_type, name, expr, count)                                      \
    (TRACER_I_ARRAY, int_type, #name, tracer_f_##name, expr, count, TRACER_FLAG_HEX, 0)
#define tracer_field_array_network(int_type, name, expr, count)                                  \
    (TRACER_I_ARRAY, int_type, #name, tracer_f_##name, expr, count, 0u, 1)
#define tracer_field_array_network_hex(int_type, name, expr, count)                              \
    (TRACER_I_ARRAY, int_type, #name, tracer_f_##name, expr, count, TRACER_FLAG_HEX, 1)
/* `count` chars of text, not NUL-terminated. */
#define tracer_field_array_text(char_type, name, expr, count)                                    \
    (TRACER_I_ARRAY, char_type, #name, tracer_f_##name, expr, count, TRACER_FLAG_TEXT, 0)
#define tracer_field_array_nowrite(int_type, name, expr, count) (TRACER_I_SKIP, ~)
#define tracer_field_array_nowrite_hex(int_type, name, expr, count) (TRACER_I_SKIP, ~)
#define tracer_field_array_network_nowrite(int_type, name, expr, count) (TRACER_I_SKIP, ~)
#define tracer_field_array_network_nowrite_hex(int_type, name, expr, count) (TRACER_I_SKIP, ~)
#define tracer_field_array_text_nowrite(char_type, name, expr, count) (TRACER_I_SKIP, ~)

/*
 * `len_expr` elements of int_type from `expr`, recorded after a length prefix of len_type (an
 * unsigned integer type; a negative length of a signed len_type records 0 elements).
 */
#define tracer_field_sequence(int_type, name, expr, len_type, len_expr)                          \
    (TRACER_I_SEQUENCE, int_type, #name, tracer_f_##name, tracer_n_##name, expr, len_type,       \
     len_expr, 0u, 0)
#define tracer_field_sequence_hex(int_type, name, expr, len_type, len_expr)                      \
    (TRACER_I_SEQUENCE, int_type, #name, tracer_f_##name, tracer_n_##name, expr, len_type,       \
     len_expr, TRACER_FLAG_HEX, 0)
#define tracer_field_sequence_network(int_type, name, expr, len_type, len_expr)                  \
    (TRACER_I_SEQUENCE, int_type, #name, tracer_f_##name, tracer_n_##name, expr, len_type,       \
     len_expr, 0u, 1)
#define tracer_field_sequence_network_hex(int_type, name, expr, len_type, len_expr)              \
    (TRACER_I_SEQUENCE, int_type, #name, tracer_f_##name, tracer_n_##name, expr, len_type,       \
     len_expr, TRACER_FLAG_HEX, 1)
#define tracer_field_sequence_text(char_type, name, expr, len_type, len_expr)                    \
    (TRACER_I_SEQUENCE, char_type, #name, tracer_f_##name, tracer_n_##name, expr, len_type,      \
     len_expr, TRACER_FLAG_TEXT, 0)
#define tracer_field_sequence_nowrite(int_type, name, expr, len_type, len_expr) (TRACER_I_SKIP, ~)
#define tracer_field_sequence_nowrite_hex(int_type, name, expr, len_type, len_expr)              \
    (TRACER_I_SKIP, ~)
#define tracer_field_sequence_network_nowrite(int_type, name, expr, len_type, len_expr)          \
    (TRACER_I_SKIP, ~)
#define tracer_field_sequence_network_nowrite_hex(int_type, name, expr, len_type, len_expr)      \
    (TRACER_I_SKIP, ~)
#define tracer_field_sequence_text_nowrite(char_type, name, expr, len_type, len_expr)            \
    (TRACER_I_SKIP, ~)

/* An integer of int_type labelled by the enumeration TRACER_ENUM(prov, enum_name, ...). */
#define tracer_field_enum(prov, enum_name, int_type, name, expr)                                 \
    (TRACER_I_ENUM, TRACER_I_ENUM_ID(prov, enum_name), int_type, #name, tracer_f_##name, expr)
#define TRACER_I_ENUM_ID(prov, enum_name) tracer_i_enum_##prov##___##enum_name
#define tracer_field_enum_nowrite(prov, enum_name, int_type, name, expr) (TRACER_I_SKIP, ~)

/* ---- Firing events ------------------------------------------------------------------------- */

/* tracer_tracepoint(prov, name, args...): a statement. Arguments are evaluated only if enabled. */
#define tracer_tracepoint(...) TRACER_I_TP_A(__VA_ARGS__)
/* The same (kept for the LTTng pattern `if (tracepoint_enabled(..)) do_tracepoint(..)`). */
#define tracer_do_tracepoint(...) TRACER_I_TP_A(__VA_ARGS__)
/*
 * Non-zero when prov:name is recorded by some channel. An expression (a GNU statement
 * expression): it is a call site of its own, registered on its first evaluation.
 */
#define tracer_tracepoint_enabled(prov, name) TRACER_I_ENABLED_(prov, name)

/* ======== Implementation ==================================================================== */

#define TRACER_I_UNUSED __attribute__((unused))
#define TRACER_I_COLD __attribute__((cold, noinline, unused))
#define TRACER_I_LOAD(site) __atomic_load_n(&(site)->mask, __ATOMIC_RELAXED)

#define TRACER_I_CAT(a, b) TRACER_I_CAT_(a, b)
#define TRACER_I_CAT_(a, b) a##b

/* Argument count, 1..22 (an empty list counts 1). */
#define TRACER_I_NARG(...)                                                                       \
    TRACER_I_ARG23(__VA_ARGS__, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6,  \
                   5, 4, 3, 2, 1, ~)
/* 1 for one argument, N for 2..22. */
#define TRACER_I_ONE_OR_N(...)                                                                   \
    TRACER_I_ARG23(__VA_ARGS__, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, N, 1, ~)
#define TRACER_I_ARG23(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, \
                       _18, _19, _20, _21, _22, n, ...)                                          \
    n

/*
 * Walks a sequence (a)(b)(c): TRACER_I_EACH(P, seq) expands P_A(a) P_B(b) P_A(c); each of
 * P_A/P_B expands its element and names the other, which takes the next element; the last
 * name left is pasted with _END, which is empty. No recursion, no length limit.
 */
#define TRACER_I_EACH(pass, seq) TRACER_I_EACH_END(pass##_A seq)
#define TRACER_I_EACH_END(...) TRACER_I_EACH_END_(__VA_ARGS__)
#define TRACER_I_EACH_END_(...) __VA_ARGS__##_END

/* TRACER_ARGS lists: (t1, a1, t2, a2 ...) to ", t1 a1, t2 a2", ", a1, a2", "(void)a1; ...". */
#define TRACER_I_PARAMS(...) TRACER_I_CAT(TRACER_I_PARAMS_, TRACER_I_NARG(__VA_ARGS__))(__VA_ARGS__)
#define TRACER_I_PARAMS_1(empty_or_void)
#define TRACER_I_PARAMS_2(t, a) , t a
#define TRACER_I_PARAMS_4(t, a, ...) , t a TRACER_I_PARAMS_2(__VA_ARGS__)
#define TRACER_I_PARAMS_6(t, a, ...) , t a TRACER_I_PARAMS_4(__VA_ARGS__)
#define TRACER_I_PARAMS_8(t, a, ...) , t a TRACER_I_PARAMS_6(__VA_ARGS__)
#define TRACER_I_PARAMS_10(t, a, ...) , t a TRACER_I_PARAMS_8(__VA_ARGS__)
#define TRACER_I_PARAMS_12(t, a, ...) , t a TRACER_I_PARAMS_10(__VA_ARGS__)
#define TRACER_I_PARAMS_14(t, a, ...) , t a TRACER_I_PARAMS_12(__VA_ARGS__)
#define TRACER_I_PARAMS_16(t, a, ...) , t a TRACER_I_PARAMS_14(__VA_ARGS__)
#define TRACER_I_PARAMS_18(t, a, ...) , t a TRACER_I_PARAMS_16(__VA_ARGS__)
#define TRACER_I_PARAMS_20(t, a, ...) , t a TRACER_I_PARAMS_18(__VA_ARGS__)

#define TRACER_I_ARGS(...) TRACER_I_CAT(TRACER_I_ARGS_, TRACER_I_NARG(__VA_ARGS__))(__VA_ARGS__)
#define TRACER_I_ARGS_1(empty_or_void)
#define TRACER_I_ARGS_2(t, a) , a
#define TRACER_I_ARGS_4(t, a, ...) , a TRACER_I_ARGS_2(__VA_ARGS__)
#define TRACER_I_ARGS_6(t, a, ...) , a TRACER_I_ARGS_4(__VA_ARGS__)
#define TRACER_I_ARGS_8(t, a, ...) , a TRACER_I_ARGS_6(__VA_ARGS__)
#define TRACER_I_ARGS_10(t, a, ...) , a TRACER_I_ARGS_8(__VA_ARGS__)
#define TRACER_I_ARGS_12(t, a, ...) , a TRACER_I_ARGS_10(__VA_ARGS__)
#define TRACER_I_ARGS_14(t, a, ...) , a TRACER_I_ARGS_12(__VA_ARGS__)
#define TRACER_I_ARGS_16(t, a, ...) , a TRACER_I_ARGS_14(__VA_ARGS__)
#define TRACER_I_ARGS_18(t, a, ...) , a TRACER_I_ARGS_16(__VA_ARGS__)
#define TRACER_I_ARGS_20(t, a, ...) , a TRACER_I_ARGS_18(__VA_ARGS__)

#define TRACER_I_VOIDS(...) TRACER_I_CAT(TRACER_I_VOIDS_, TRACER_I_NARG(__VA_ARGS__))(__VA_ARGS__)
#define TRACER_I_VOIDS_1(empty_or_void)
#define TRACER_I_VOIDS_2(t, a) (void)a;
#define TRACER_I_VOIDS_4(t, a, ...) (void)a; TRACER_I_VOIDS_2(__VA_ARGS__)
#define TRACER_I_VOIDS_6(t, a, ...) (void)a; TRACER_I_VOIDS_4(__VA_ARGS__)
#define TRACER_I_VOIDS_8(t, a, ...) (void)a; TRACER_I_VOIDS_6(__VA_ARGS__)
#define TRACER_I_VOIDS_10(t, a, ...) (void)a; TRACER_I_VOIDS_8(__VA_ARGS__)
#define TRACER_I_VOIDS_12(t, a, ...) (void)a; TRACER_I_VOIDS_10(__VA_ARGS__)
#define TRACER_I_VOIDS_14(t, a, ...) (void)a; TRACER_I_VOIDS_12(__VA_ARGS__)
#define TRACER_I_VOIDS_16(t, a, ...) (void)a; TRACER_I_VOIDS_14(__VA_ARGS__)
#define TRACER_I_VOIDS_18(t, a, ...) (void)a; TRACER_I_VOIDS_16(__VA_ARGS__)
#define TRACER_I_VOIDS_20(t, a, ...) (void)a; TRACER_I_VOIDS_18(__VA_ARGS__)

/* ---- Type properties, as constant expressions --------------------------------------------- */

/* Size in bits of an integer or float type; a compile error unless 1, 2, 4 or 8 bytes. */
#define TRACER_I_BITS(type)                                                                      \
    ((uint32_t)(sizeof(type) * 8u +                                                              \
                0u * sizeof(char[(sizeof(type) == 1 || sizeof(type) == 2 || sizeof(type) == 4 || \
                                  sizeof(type) == 8)                                             \
                                     ? 1                                                         \
                                     : -1])))
/* A compile error unless a float type of 4 or 8 bytes (IEEE binary32/binary64). */
#define TRACER_I_FLOAT_BITS(type)                                                                \
    ((uint32_t)(sizeof(type) * 8u +                                                              \
                0u * sizeof(char[(sizeof(type) == 4 || sizeof(type) == 8) ? 1 : -1])))
#ifdef __cplusplus
/* C++ has the traits, and warns about casts to const-qualified types (-Wignored-qualifiers). */
extern "C++" {
#include <type_traits>
}
#define TRACER_I_UNQUAL(t) std::remove_cv<t>::type
#define TRACER_I_SIGNED(type) (std::is_signed<type>::value ? TRACER_FLAG_SIGNED : 0u)
#define TRACER_I_IS_FLOAT(type) (std::is_floating_point<type>::value)
#else
#define TRACER_I_UNQUAL(type) type
#define TRACER_I_SIGNED(type) ((type)((type)0 - 1) < (type)1 ? TRACER_FLAG_SIGNED : 0u)
/* Floats keep 0.5; integers truncate it to 0, bool rounds it to 1. */
#define TRACER_I_IS_FLOAT(type) ((type)0.5 != (type)0 && (type)0.5 != (type)1)
#endif
#define TRACER_I_ELEM_FLAGS(type, flags)                                                         \
    ((flags) | (((flags)&TRACER_FLAG_TEXT) ? 0u                                                  \
                : TRACER_I_IS_FLOAT(type)  ? TRACER_FLAG_ELEM_FLOAT                              \
                                           : TRACER_I_SIGNED(type)))
#define TRACER_I_NFIELDS(cid)                                                                    \
    ((uint32_t)(sizeof(TRACER_I_CAT(cid, _fields)) / sizeof(TRACER_I_CAT(cid, _fields)[0]) - 1))
#define TRACER_I_NENTRIES(arr) ((uint32_t)(sizeof(arr) / sizeof((arr)[0]) - 1))

/* An auto-valued enumeration label until registration resolves it (start > end otherwise never
 * written by a declaration). */
#define TRACER_I_AUTO_START INT64_MAX
#define TRACER_I_AUTO_END INT64_MIN

/* ---- Pass: descriptors (static initializers) ---------------------------------------------- */

#define TRACER_I_DESC_A(kind, ...) TRACER_I_DESC_##kind(__VA_ARGS__) TRACER_I_DESC_B
#define TRACER_I_DESC_B(kind, ...) TRACER_I_DESC_##kind(__VA_ARGS__) TRACER_I_DESC_A
#define TRACER_I_DESC_A_END
#define TRACER_I_DESC_B_END
#define TRACER_I_DESC_TRACER_I_SKIP(...)
#define TRACER_I_DESC_TRACER_I_INTEGER(type, name, var, expr, flags, swap)                       \
    {name, TRACER_FIELD_INTEGER, (flags) | TRACER_I_SIGNED(type), TRACER_I_BITS(type), 0, NULL, 0, 0},
#define TRACER_I_DESC_TRACER_I_FLOAT(type, name, var, expr)                                      \
    {name, TRACER_FIELD_FLOAT, 0, TRACER_I_FLOAT_BITS(type), 0, NULL, 0, 0},
#define TRACER_I_DESC_TRACER_I_STRING(name, var, len, expr)                                      \
    {name, TRACER_FIELD_STRING, 0, 0, 0, NULL, 0, 0},
#define TRACER_I_DESC_TRACER_I_ARRAY(type, name, var, expr, count, flags, swap)                  \
    {name,                                                                                       \
     TRACER_FIELD_ARRAY,                                                                         \
     TRACER_I_ELEM_FLAGS(type, flags),                                                           \
     TRACER_I_BITS(type),                                                                        \
     (uint32_t)(count),                                                                          \
     NULL,                                                                                       \
     0,                                                                                          \
     0},
#define TRACER_I_DESC_TRACER_I_SEQUENCE(type, name, var, len, expr, len_type, len_expr, flags,   \
                                        swap)                                                    \
    {name,                                                                                       \
     TRACER_FIELD_SEQUENCE,                                                                      \
     TRACER_I_ELEM_FLAGS(type, flags),                                                           \
     TRACER_I_BITS(type),                                                                        \
     TRACER_I_BITS(len_type),                                                                    \
     NULL,                                                                                       \
     0,                                                                                          \
     0},
#define TRACER_I_DESC_TRACER_I_ENUM(entries, type, name, var, expr)                              \
    {name,                                                                                       \
     TRACER_FIELD_ENUM,                                                                          \
     TRACER_I_SIGNED(type),                                                                      \
     TRACER_I_BITS(type),                                                                        \
     0,                                                                                          \
     entries,                                                                                    \
     TRACER_I_NENTRIES(entries),                                                                 \
     0},
#define TRACER_I_FIELDS_END {NULL, 0, 0, 0, 0, NULL, 0, 0}

#define TRACER_I_ENUMV_A(kind, ...) TRACER_I_ENUMV_##kind(__VA_ARGS__) TRACER_I_ENUMV_B
#define TRACER_I_ENUMV_B(kind, ...) TRACER_I_ENUMV_##kind(__VA_ARGS__) TRACER_I_ENUMV_A
#define TRACER_I_ENUMV_A_END
#define TRACER_I_ENUMV_B_END
#define TRACER_I_ENUMV_TRACER_I_VALUE(label, value) {label, (int64_t)(value), (int64_t)(value)},
#define TRACER_I_ENUMV_TRACER_I_RANGE(label, start, end) {label, (int64_t)(start), (int64_t)(end)},
#define TRACER_I_ENUMV_TRACER_I_AUTO(label) {label, TRACER_I_AUTO_START, TRACER_I_AUTO_END},

/* ---- Pass: evaluation (each field expression once, into locals) --------------------------- */

#define TRACER_I_EVAL_A(kind, ...) TRACER_I_EVAL_##kind(__VA_ARGS__) TRACER_I_EVAL_B
#define TRACER_I_EVAL_B(kind, ...) TRACER_I_EVAL_##kind(__VA_ARGS__) TRACER_I_EVAL_A
#define TRACER_I_EVAL_A_END
#define TRACER_I_EVAL_B_END
#define TRACER_I_EVAL_TRACER_I_SKIP(...)
#define TRACER_I_EVAL_TRACER_I_INTEGER(type, name, var, expr, flags, swap) type var = (TRACER_I_UNQUAL(type))(expr);
#define TRACER_I_EVAL_TRACER_I_FLOAT(type, name, var, expr) type var = (TRACER_I_UNQUAL(type))(expr);
#define TRACER_I_EVAL_TRACER_I_STRING(name, var, len, expr)                                      \
    const char *var = tracer_i_string(expr);                                                     \
    size_t len = strlen(var);
#define TRACER_I_EVAL_TRACER_I_ARRAY(type, name, var, expr, count, flags, swap)                  \
    const void *var = (const void *)(expr);
#define TRACER_I_EVAL_TRACER_I_SEQUENCE(type, name, var, len, expr, len_type, len_expr, flags,   \
                                        swap)                                                    \
    const void *var = (const void *)(expr);                                                      \
    size_t len = tracer_i_count((uint64_t)(TRACER_I_UNQUAL(len_type))(len_expr),                \
                                TRACER_I_SIGNED(len_type));
#define TRACER_I_EVAL_TRACER_I_ENUM(entries, type, name, var, expr) type var = (TRACER_I_UNQUAL(type))(expr);

/* ---- Pass: payload size ------------------------------------------------------------------- */

#define TRACER_I_SIZE_A(kind, ...) TRACER_I_SIZE_##kind(__VA_ARGS__) TRACER_I_SIZE_B
#define TRACER_I_SIZE_B(kind, ...) TRACER_I_SIZE_##kind(__VA_ARGS__) TRACER_I_SIZE_A
#define TRACER_I_SIZE_A_END
#define TRACER_I_SIZE_B_END
#define TRACER_I_SIZE_TRACER_I_SKIP(...)
#define TRACER_I_SIZE_TRACER_I_INTEGER(type, name, var, expr, flags, swap)                       \
    tracer_i_len = tracer_i_add(tracer_i_len, sizeof(type));
#define TRACER_I_SIZE_TRACER_I_FLOAT(type, name, var, expr)                                      \
    tracer_i_len = tracer_i_add(tracer_i_len, sizeof(type));
#define TRACER_I_SIZE_TRACER_I_STRING(name, var, len, expr)                                      \
    tracer_i_len = tracer_i_add(tracer_i_len, tracer_i_add(len, 1));
#define TRACER_I_SIZE_TRACER_I_ARRAY(type, name, var, expr, count, flags, swap)                  \
    tracer_i_len = tracer_i_add(tracer_i_len, tracer_i_mul((size_t)(count), sizeof(type)));
#define TRACER_I_SIZE_TRACER_I_SEQUENCE(type, name, var, len, expr, len_type, len_expr, flags,   \
                                        swap)                                                    \
    tracer_i_len = tracer_i_add(tracer_i_add(tracer_i_len, sizeof(len_type)),                    \
                                tracer_i_mul(len, sizeof(type)));
#define TRACER_I_SIZE_TRACER_I_ENUM(entries, type, name, var, expr)                              \
    tracer_i_len = tracer_i_add(tracer_i_len, sizeof(type));

/* ---- Pass: write (stops at the first field that does not fit or changed) ------------------ */

#define TRACER_I_WRITE_A(kind, ...) TRACER_I_WRITE_##kind(__VA_ARGS__) TRACER_I_WRITE_B
#define TRACER_I_WRITE_B(kind, ...) TRACER_I_WRITE_##kind(__VA_ARGS__) TRACER_I_WRITE_A
#define TRACER_I_WRITE_A_END
#define TRACER_I_WRITE_B_END
#define TRACER_I_WRITE_TRACER_I_SKIP(...)
#define TRACER_I_WRITE_TRACER_I_INTEGER(type, name, var, expr, flags, swap)                      \
    tracer_i_ok = tracer_i_ok && tracer_i_put(&tracer_i_p, tracer_i_end, &var, sizeof(var), swap);
#define TRACER_I_WRITE_TRACER_I_FLOAT(type, name, var, expr)                                     \
    tracer_i_ok = tracer_i_ok && tracer_i_put(&tracer_i_p, tracer_i_end, &var, sizeof(var), 0);
#define TRACER_I_WRITE_TRACER_I_STRING(name, var, len, expr)                                     \
    tracer_i_ok = tracer_i_ok && tracer_i_put_string(&tracer_i_p, tracer_i_end, var, len);
#define TRACER_I_WRITE_TRACER_I_ARRAY(type, name, var, expr, count, flags, swap)                 \
    tracer_i_ok = tracer_i_ok && tracer_i_put_elems(&tracer_i_p, tracer_i_end, var,              \
                                                    (size_t)(count), sizeof(type), swap);
#define TRACER_I_WRITE_TRACER_I_SEQUENCE(type, name, var, len, expr, len_type, len_expr, flags,  \
                                         swap)                                                   \
    tracer_i_ok = tracer_i_ok && tracer_i_put_uint(&tracer_i_p, tracer_i_end, len,               \
                                                   sizeof(len_type)) &&                          \
                  tracer_i_put_elems(&tracer_i_p, tracer_i_end, var, len, sizeof(type), swap);
#define TRACER_I_WRITE_TRACER_I_ENUM(entries, type, name, var, expr)                             \
    tracer_i_ok = tracer_i_ok && tracer_i_put(&tracer_i_p, tracer_i_end, &var, sizeof(var), 0);

/* ---- Declarations ------------------------------------------------------------------------- */

/* cid: the class's identifier prefix. */
#define TRACER_I_CLASS(cid, args, fields)                                                        \
    static const struct tracer_field TRACER_I_CAT(cid, _fields)[] TRACER_I_UNUSED = {            \
        TRACER_I_EACH(TRACER_I_DESC, fields) TRACER_I_FIELDS_END};                               \
    static TRACER_I_COLD void TRACER_I_CAT(cid, _class)(                                         \
        struct tracer_callsite * tracer_i_site TRACER_I_PARAMS args)                             \
    {                                                                                            \
        uint64_t tracer_i_mask = TRACER_I_LOAD(tracer_i_site);                                   \
        TRACER_I_VOIDS args                                                                      \
        if (tracer_i_mask == 0)                                                                  \
            return;                                                                              \
        {                                                                                        \
            TRACER_I_EACH(TRACER_I_EVAL, fields)                                                 \
            size_t tracer_i_len = 0;                                                             \
            struct tracer_emit tracer_i_e;                                                       \
            TRACER_I_EACH(TRACER_I_SIZE, fields)                                                 \
            if (!tracer_reserve(tracer_i_site, tracer_i_mask, tracer_i_len, &tracer_i_e))        \
                return;                                                                          \
            do {                                                                                 \
                uint8_t *tracer_i_p = tracer_i_e.p;                                              \
                const uint8_t *tracer_i_end = tracer_i_e.end;                                    \
                int tracer_i_ok = 1;                                                             \
                (void)tracer_i_end;                                                              \
                TRACER_I_EACH(TRACER_I_WRITE, fields)                                            \
                tracer_i_e.p = tracer_i_ok ? tracer_i_p : NULL;                                  \
            } while (tracer_commit(&tracer_i_e));                                                \
        }                                                                                        \
    }

/* cid: the class's identifier prefix; id: the event's. */
#define TRACER_I_INSTANCE(cid, id, prov_str, name_str, args)                                     \
    static const char TRACER_I_CAT(id, _provider)[] TRACER_I_UNUSED = prov_str;                  \
    static const char TRACER_I_CAT(id, _event)[] TRACER_I_UNUSED = name_str;                     \
    extern int32_t TRACER_I_CAT(id, _loglevel) __attribute__((weak));                            \
    static inline int TRACER_I_CAT(id, _ready)(struct tracer_callsite * tracer_i_site)           \
    {                                                                                            \
        return tracer_i_ready(tracer_i_site, TRACER_I_CAT(cid, _fields), TRACER_I_NFIELDS(cid),   \
                              &TRACER_I_CAT(id, _loglevel));                                     \
    }                                                                                            \
    static inline void TRACER_I_CAT(id, _probe)(                                                 \
        struct tracer_callsite * tracer_i_site TRACER_I_PARAMS args)                             \
    {                                                                                            \
        TRACER_I_CAT(cid, _class)(tracer_i_site TRACER_I_ARGS args);                             \
    }

/* ---- Call sites --------------------------------------------------------------------------- */

/* Past the first level, provider and event names are expanded: paste them into one identifier
 * (the event name is the first token of __VA_ARGS__; `...` keeps pedantic C99 happy when the
 * event has no argument). */
#define TRACER_I_TP_A(prov, ...) TRACER_I_TP_B(tracer_i_ev_##prov##___##__VA_ARGS__)
#define TRACER_I_TP_B(...) TRACER_I_CAT(TRACER_I_TP_, TRACER_I_ONE_OR_N(__VA_ARGS__))(__VA_ARGS__)
#define TRACER_I_TP_1(id)                                                                        \
    do {                                                                                         \
        static struct tracer_callsite tracer_i_site = TRACER_I_SITE(id);                         \
        if (TRACER_I_HOT(id))                                                                    \
            TRACER_I_CAT(id, _probe)(&tracer_i_site);                                            \
    } while (0)
#define TRACER_I_TP_N(id, ...)                                                                   \
    do {                                                                                         \
        static struct tracer_callsite tracer_i_site = TRACER_I_SITE(id);                         \
        if (TRACER_I_HOT(id))                                                                    \
            TRACER_I_CAT(id, _probe)(&tracer_i_site, __VA_ARGS__);                               \
    } while (0)
#define TRACER_I_ENABLED_(prov, name) TRACER_I_ENABLED(tracer_i_ev_##prov##___##name)
#define TRACER_I_ENABLED(id)                                                                     \
    __extension__({                                                                              \
        static struct tracer_callsite tracer_i_site = TRACER_I_SITE(id);                         \
        TRACER_I_HOT(id);                                                                        \
    })
#define TRACER_I_SITE(id)                                                                        \
    {                                                                                            \
        TRACER_MASK_UNREGISTERED, 0, TRACER_ABI_VERSION, TRACER_I_CAT(id, _provider),            \
            TRACER_I_CAT(id, _event), __FILE__, __func__, __LINE__, 0                            \
    }
/* The fast path: one relaxed load and a branch predicted not taken. */
#define TRACER_I_HOT(id)                                                                         \
    (__builtin_expect(TRACER_I_LOAD(&tracer_i_site) != 0, 0) &&                                  \
     TRACER_I_CAT(id, _ready)(&tracer_i_site))

/* ---- Run-time helpers (slow path only) ---------------------------------------------------- */

static inline size_t tracer_i_add(size_t a, size_t b)
{
    return a + b < a ? SIZE_MAX : a + b; /* saturates: tracer_reserve refuses SIZE_MAX */
}

static inline size_t tracer_i_mul(size_t n, size_t size)
{
    return n > SIZE_MAX / size ? SIZE_MAX : n * size;
}

static inline const char *tracer_i_string(const char *s)
{
    return s ? s : "(null)";
}

/* A sequence length: negative (of a signed len_type) counts 0. */
static inline size_t tracer_i_count(uint64_t n, unsigned is_signed)
{
    if (is_signed && (int64_t)n < 0)
        return 0;
    return n > SIZE_MAX ? SIZE_MAX : (size_t)n;
}

/* Copies n bytes (reversed when swap: network to host order) if they fit before end. */
static inline int tracer_i_put(uint8_t **p, const uint8_t *end, const void *src, size_t n, int swap)
{
    size_t i;
    if ((size_t)(end - *p) < n)
        return 0;
    if (swap) {
        for (i = 0; i < n; i++)
            (*p)[i] = ((const uint8_t *)src)[n - 1 - i];
    } else {
        memcpy(*p, src, n);
    }
    *p += n;
    return 1;
}

/* The low n bytes of v, little-endian (the host's order). */
static inline int tracer_i_put_uint(uint8_t **p, const uint8_t *end, uint64_t v, size_t n)
{
    return tracer_i_put(p, end, &v, n, 0);
}

static inline int tracer_i_put_elems(uint8_t **p, const uint8_t *end, const void *src,
                                     size_t count, size_t size, int swap)
{
    size_t i, n;
    if (count > (size_t)(end - *p) / size)
        return 0;
    n = count * size;
    if (!src) {
        memset(*p, 0, n);
        *p += n;
    } else if (swap && size > 1) {
        for (i = 0; i < count; i++)
            tracer_i_put(p, end, (const uint8_t *)src + i * size, size, 1);
    } else {
        if (n)
            memcpy(*p, src, n);
        *p += n;
    }
    return 1;
}

/*
 * The len bytes measured by the size pass, then a NUL. Fails (the event is then dropped, not
 * corrupted) if the string changed since: a NUL among the copied bytes, or none after them.
 * Short strings are checked byte by byte as they are copied (each byte written is the byte
 * tested): a vector memchr over bytes just stored waits for the stores to retire, since the
 * CPU cannot forward several small stores to one wide load.
 */
static inline int tracer_i_put_string(uint8_t **p, const uint8_t *end, const char *s, size_t len)
{
    size_t i;
    if ((size_t)(end - *p) <= len)
        return 0;
    if (len <= 32) {
        for (i = 0; i < len; i++) {
            char c = s[i];
            if (c == '\0')
                return 0;
            (*p)[i] = (uint8_t)c;
        }
    } else {
        memcpy(*p, s, len);
        if (memchr(*p, 0, len) != NULL)
            return 0;
    }
    if (s[len] != '\0')
        return 0;
    (*p)[len] = 0;
    *p += len + 1;
    return 1;
}

/* Registers with auto-valued enumeration labels resolved (a copy on the stack, see abi.h). */
static TRACER_I_COLD int tracer_i_register(struct tracer_callsite *site,
                                           const struct tracer_field *fields, uint32_t n,
                                           const int32_t *loglevel)
{
    int32_t level = loglevel ? *loglevel : (int32_t)TRACER_LOGLEVEL_DEBUG_LINE;
    size_t pool_len = 0;
    int has_auto = 0;
    uint32_t i, j;
    uint64_t mask;

    for (i = 0; i < n; i++) {
        if (fields[i].kind != TRACER_FIELD_ENUM)
            continue;
        pool_len += fields[i].n_entries;
        for (j = 0; j < fields[i].n_entries; j++)
            has_auto |= fields[i].entries[j].start == TRACER_I_AUTO_START &&
                        fields[i].entries[j].end == TRACER_I_AUTO_END;
    }
    if (!has_auto) {
        tracer_register(site, fields, n, level);
    } else {
        struct tracer_field *copy =
            (struct tracer_field *)__builtin_alloca(n * sizeof(struct tracer_field));
        struct tracer_enum_entry *pool = (struct tracer_enum_entry *)__builtin_alloca(
            pool_len * sizeof(struct tracer_enum_entry));
        memcpy(copy, fields, n * sizeof(struct tracer_field));
        for (i = 0; i < n; i++) {
            int64_t next = 0;
            if (copy[i].kind != TRACER_FIELD_ENUM)
                continue;
            for (j = 0; j < copy[i].n_entries; j++) {
                pool[j] = copy[i].entries[j];
                if (pool[j].start == TRACER_I_AUTO_START && pool[j].end == TRACER_I_AUTO_END)
                    pool[j].start = pool[j].end = next;
                next = (int64_t)((uint64_t)pool[j].end + 1u);
            }
            copy[i].entries = pool;
            pool += copy[i].n_entries;
        }
        tracer_register(site, copy, n, level);
    }
    mask = TRACER_I_LOAD(site);
    return mask != 0 && !(mask & TRACER_MASK_UNREGISTERED);
}

/* Past the fast path: registers the site on its first hit; then 1 if some channel records it. */
static inline int tracer_i_ready(struct tracer_callsite *site, const struct tracer_field *fields,
                                 uint32_t n, const int32_t *loglevel)
{
    return !(TRACER_I_LOAD(site) & TRACER_MASK_UNREGISTERED) ||
           tracer_i_register(site, fields, n, loglevel);
}

#endif /* TRACER_TRACEPOINT_H */
