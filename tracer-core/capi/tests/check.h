/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Assertions shared by the header tests (C99 and C++). */
#ifndef CHECK_H
#define CHECK_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mock/mock_tracer.h"

#ifdef __cplusplus
extern "C" {
#endif
extern int check_failures;
/* The test functions of the other files (C linkage: run.sh mixes C and C++ files). */
void other_request_end(int id, const char *path);
void test_api_version_1(void);
void test_native_api(void);
#ifdef __cplusplus
}
#endif

#define CHECK(cond)                                                                              \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);             \
            check_failures++;                                                                    \
        }                                                                                        \
    } while (0)

/* The expected payload, built field by field. */
struct want {
    uint8_t bytes[MOCK_MAX_PAYLOAD];
    size_t len;
};

static inline void want_le(struct want *w, uint64_t v, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        w->bytes[w->len++] = (uint8_t)(v >> (8 * i));
}

static inline void want_zeros(struct want *w, size_t n)
{
    memset(w->bytes + w->len, 0, n);
    w->len += n;
}

static inline void want_raw(struct want *w, const char *bytes, size_t n)
{
    memcpy(w->bytes + w->len, bytes, n);
    w->len += n;
}

static inline void want_str(struct want *w, const char *s)
{
    want_raw(w, s, strlen(s) + 1);
}

#define CHECK_PAYLOAD(commit, want) check_payload(commit, want, __FILE__, __LINE__)
static inline void check_payload(const struct mock_commit *c, const struct want *w,
                                 const char *file, int line)
{
    size_t i;
    if (c && c->accepted && c->len == w->len && memcmp(c->bytes, w->bytes, w->len) == 0)
        return;
    check_failures++;
    fprintf(stderr, "%s:%d: payload mismatch\n  want %zu:", file, line, w->len);
    for (i = 0; i < w->len; i++)
        fprintf(stderr, " %02x", w->bytes[i]);
    if (!c) {
        fprintf(stderr, "\n  got no commit\n");
        return;
    }
    fprintf(stderr, "\n  got  %zu%s:", c->len, c->accepted ? "" : " (dropped)");
    for (i = 0; i < c->len && i < MOCK_MAX_PAYLOAD; i++)
        fprintf(stderr, " %02x", c->bytes[i]);
    fprintf(stderr, "\n");
}

/* The descriptor of field i of a registration, or NULL. */
static inline const struct tracer_field *reg_field(const struct mock_registration *r, uint32_t i)
{
    return r && i < r->n_fields ? &r->fields[i] : NULL;
}

#define CHECK_FIELD(reg, i, name_, kind_, flags_, bits_, length_)                                \
    do {                                                                                         \
        const struct tracer_field *f_ = reg_field(reg, i);                                       \
        CHECK(f_ != NULL);                                                                       \
        if (f_) {                                                                                \
            CHECK(strcmp(f_->name, name_) == 0);                                                 \
            CHECK(f_->kind == (uint32_t)(kind_));                                                \
            CHECK(f_->flags == (uint32_t)(flags_));                                              \
            CHECK(f_->elem_bits == (uint32_t)(bits_));                                           \
            CHECK(f_->length == (uint32_t)(length_));                                            \
            CHECK(f_->reserved == 0);                                                            \
        }                                                                                        \
    } while (0)

#endif /* CHECK_H */
