/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The binary interface between instrumented C/C++ code and libtracer.so.
 *
 * Everything a tracepoint needs from the library is here: the call-site record the macros of
 * <tracer/tracepoint.h> put in the caller, the field descriptors they register, and four
 * functions. The library implements exactly this; the macros are only one way to call it.
 *
 * Protocol of one tracepoint() call:
 *
 *   1. Fast path: one relaxed load of site->mask. Zero: nothing else happens (the arguments are
 *      not evaluated).
 *   2. First hit: site->mask is TRACER_MASK_UNREGISTERED. The caller describes the payload with
 *      tracer_register(), which assigns site->id and writes the real mask (0 when no channel
 *      records the event). The caller reloads the mask and stops if it is 0.
 *   3. The caller computes the exact payload length and calls tracer_reserve(). On 1 it fills
 *      e->p .. e->end, never writing past e->end, and calls tracer_commit(); while commit
 *      returns 1 (the event goes to several channels) it fills the same payload again into the
 *      fresh e->p .. e->end and commits again.
 *
 * Payload wire format (the library declares it so in the CTF metadata): fields in declaration
 * order, byte-aligned (no padding), little-endian. Integers and enumerations take elem_bits/8
 * bytes, floats 4 or 8 bytes (IEEE 754), strings their bytes plus a NUL, arrays `length`
 * elements, sequences an unsigned length prefix of `length` bits then that many elements.
 */
#ifndef TRACER_ABI_H
#define TRACER_ABI_H

#include <stddef.h>
#include <stdint.h>

#if defined(__BYTE_ORDER__) && defined(__ORDER_LITTLE_ENDIAN__) && \
    __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tracer: payloads are written in host byte order and declared little-endian; this host is not"
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change of the structures or functions below. */
#define TRACER_ABI_VERSION 1

/* The initial mask of every call site: non-zero, so the first hit leaves the fast path. */
#define TRACER_MASK_UNREGISTERED (UINT64_C(1) << 63)

/*
 * One per tracepoint() call: a static object in the caller, zero-cost until the first hit.
 * The caller initializes every member; the library writes `mask` (atomically: callers read it
 * with __atomic_load_n(&mask, __ATOMIC_RELAXED)) and `id`, and never writes anything else.
 *
 * Size 56, alignment 8 on LP64.
 */
struct tracer_callsite {
    uint64_t mask;        /* TRACER_MASK_UNREGISTERED until registered; then one bit per channel
                             recording this site (0: disabled) */
    uint32_t id;          /* event-class id, written by tracer_register() */
    uint32_t abi;         /* TRACER_ABI_VERSION the caller was compiled against */
    const char *provider; /* provider name, e.g. "hello_world" */
    const char *event;    /* event name within the provider, e.g. "my_first_tracepoint" */
    const char *file;     /* __FILE__ of the call */
    const char *function; /* __func__ of the call */
    uint32_t line;        /* __LINE__ of the call */
    uint32_t reserved;    /* 0 */
};

/* What one payload field is. Members of struct tracer_field a kind does not use are 0. */
enum tracer_field_kind {
    TRACER_FIELD_INTEGER = 1,  /* elem_bits 8/16/32/64; flags SIGNED, HEX */
    TRACER_FIELD_FLOAT = 2,    /* elem_bits 32/64 */
    TRACER_FIELD_STRING = 3,   /* NUL-terminated UTF-8 */
    TRACER_FIELD_ARRAY = 4,    /* `length` elements of elem_bits (integers, or floats with
                                  ELEM_FLOAT); TEXT for char arrays */
    TRACER_FIELD_SEQUENCE = 5, /* unsigned length prefix of `length` bits (8/16/32/64), then that
                                  many elements of elem_bits (flags as for arrays) */
    TRACER_FIELD_ENUM = 6      /* integer of elem_bits (flag SIGNED); labels in entries */
};

#define TRACER_FLAG_SIGNED 1u     /* two's complement integer (elements) */
#define TRACER_FLAG_HEX 2u        /* display base 16 */
#define TRACER_FLAG_TEXT 4u       /* 8-bit elements that are text (not NUL-terminated) */
#define TRACER_FLAG_ELEM_FLOAT 8u /* array/sequence elements are IEEE 754 floats */

/* One label of an enumeration: the values start..=end (start == end for a single value). */
struct tracer_enum_entry {
    const char *label;
    int64_t start;
    int64_t end;
}; /* size 24 on LP64 */

/* One payload field. Size 40 on LP64. */
struct tracer_field {
    const char *name;
    uint32_t kind;      /* enum tracer_field_kind */
    uint32_t flags;     /* TRACER_FLAG_* */
    uint32_t elem_bits; /* integer/enum size, float size, or array/sequence element size */
    uint32_t length;    /* array: element count; sequence: bits of the length prefix */
    const struct tracer_enum_entry *entries; /* enum only */
    uint32_t n_entries;
    uint32_t reserved; /* 0 */
};

/*
 * First hit of a call site: describes its payload (n_fields fields, in wire order) and its log
 * level, assigns site->id and sets site->mask to the channels that record it (0 if none; never
 * TRACER_MASK_UNREGISTERED again). Several call sites may register the same provider:event,
 * with the same fields; each is its own event class (its own line in the editor).
 *
 * Lifetime: `fields` and the entries they point to may live on the caller's stack; the library
 * copies what it keeps before returning. The strings (names, labels, and the call site's
 * provider/event/file/function) are string literals that live as long as the module that
 * holds the call site.
 *
 * loglevel: LTTng numbering, 0 (EMERG) .. 14 (DEBUG); 13 (DEBUG_LINE) when none was declared.
 *
 * Thread-safe; may run concurrently for the same site (both calls must leave the same id and
 * mask). Called from any context a tracepoint is (including signal handlers): it must not
 * deadlock when the calling thread is inside the library.
 */
void tracer_register(struct tracer_callsite *site, const struct tracer_field *fields,
                     uint32_t n_fields, int32_t loglevel);

/* One event being written. p..end is the payload space; priv is the library's. 64 bytes. */
struct tracer_emit {
    uint8_t *p;
    uint8_t *end;
    uint64_t priv[6];
};

/*
 * Reserves `len` payload bytes for one event of `site` in the channels of `mask` (the mask the
 * caller loaded). Returns 1 with e->p and e->end set (non-NULL, end - p == len): the caller
 * fills them and commits. Returns 0 when there is nothing to write: the event was dropped and
 * counted (full buffer, len too large, re-entrance) or no channel of mask records it.
 */
int tracer_reserve(struct tracer_callsite *site, uint64_t mask, size_t len, struct tracer_emit *e);

/*
 * Commits the payload written since the reserve (or since the previous commit returned 1). It
 * counts only if exactly filled, e->p == e->end; any other e->p (callers set NULL when a field
 * changed under them) drops the event and counts it lost. Returns 1 when the same payload must
 * be written again for the next channel (e->p and e->end reset to fresh space of the same
 * length), 0 when done. A successful reserve must be followed by commits until one returns 0,
 * on the same thread, with the same struct tracer_emit.
 */
int tracer_commit(struct tracer_emit *e);

/*
 * The module (the program or a shared object) holding `module` is being unloaded, or the
 * program ends: the library forgets every call site inside it and never writes to them again
 * (a rule change, a fork). Their event classes stay described in the trace. <tracer/tracepoint.h>
 * calls it from a destructor in every translation unit, with the unit's __dso_handle; any
 * address inside the module does. NULL is ignored. Not from a signal handler.
 */
void tracer_unregister_module(const void *module);

/* The layout the library's #[repr(C)] mirrors assume (LP64). */
#if defined(__SIZEOF_POINTER__) && __SIZEOF_POINTER__ == 8
typedef char tracer_abi_layout_check[(sizeof(struct tracer_callsite) == 56 &&
                                      sizeof(struct tracer_field) == 40 &&
                                      sizeof(struct tracer_enum_entry) == 24 &&
                                      sizeof(struct tracer_emit) == 64) ? 1 : -1];
#endif

#ifdef __cplusplus
}
#endif

#endif /* TRACER_ABI_H */
