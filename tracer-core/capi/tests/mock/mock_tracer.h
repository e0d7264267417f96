/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * A stand-in for libtracer.so that implements <tracer/abi.h> and remembers everything: each
 * registration (a deep copy of its descriptors) and each committed payload's bytes. Tests of
 * the headers link it instead of the Rust library and steer it through mock_config.
 */
#ifndef MOCK_TRACER_H
#define MOCK_TRACER_H

#include <tracer/abi.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MOCK_MAX_FIELDS 32
#define MOCK_MAX_ENTRIES 16
#define MOCK_MAX_REGS 128
#define MOCK_MAX_COMMITS 256
#define MOCK_MAX_PAYLOAD 256

struct mock_config {
    uint64_t mask_on_register; /* what tracer_register writes in site->mask (default 1) */
    int drop;                  /* tracer_reserve drops every event */
    long room_delta;           /* tracer_reserve hands out len + room_delta bytes */
    void (*on_reserve)(void);  /* runs inside tracer_reserve, after sizing, before the write */
};

struct mock_registration {
    struct tracer_callsite *site;
    const struct tracer_field *fields_ptr; /* as passed (may be a stack copy) */
    uint32_t n_fields;
    int32_t loglevel;
    struct tracer_field fields[MOCK_MAX_FIELDS];
    struct tracer_enum_entry entries[MOCK_MAX_FIELDS][MOCK_MAX_ENTRIES];
};

struct mock_commit {
    struct tracer_callsite *site;
    unsigned channel; /* bit index in the mask */
    int accepted;     /* e->p == e->end */
    size_t len;
    uint8_t bytes[MOCK_MAX_PAYLOAD];
};

extern struct mock_config mock_config;
extern struct mock_registration mock_regs[MOCK_MAX_REGS];
extern unsigned mock_n_regs;
extern struct mock_commit mock_commits[MOCK_MAX_COMMITS];
extern unsigned mock_n_commits;
extern unsigned mock_n_reserves; /* calls to tracer_reserve */
extern unsigned mock_n_lost;     /* commits that did not count */

/* Forgets every registration and event and restores the default configuration. Sites stay
 * registered with the mask they have; use mock_set_mask() to change it. */
void mock_reset(void);
/* The registration of the call site of `event` on `line` (line 0: the last one of event). */
const struct mock_registration *mock_find(const char *event, unsigned line);
/* Writes mask into every site registered since the last reset (a session starting). */
void mock_set_mask(uint64_t mask);

#ifdef __cplusplus
}
#endif

#endif /* MOCK_TRACER_H */
