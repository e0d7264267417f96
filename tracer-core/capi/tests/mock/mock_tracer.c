/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * The mock library: every payload buffer is malloc'd to exactly the bytes handed out, so a
 * write past e->end is a heap overflow that AddressSanitizer reports.
 */
#include "mock_tracer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct mock_config mock_config = {1, 0, 0, NULL};
struct mock_registration mock_regs[MOCK_MAX_REGS];
unsigned mock_n_regs;
struct mock_commit mock_commits[MOCK_MAX_COMMITS];
unsigned mock_n_commits;
unsigned mock_n_reserves;
unsigned mock_n_lost;
static unsigned next_id = 1;

/* priv slots of struct tracer_emit */
enum { PRIV_BUF, PRIV_MASK, PRIV_CHANNEL, PRIV_LEN, PRIV_SITE };

void mock_reset(void)
{
    struct mock_config defaults = {1, 0, 0, NULL};
    mock_config = defaults;
    mock_n_regs = mock_n_commits = mock_n_reserves = mock_n_lost = 0;
}

const struct mock_registration *mock_find(const char *event, unsigned line)
{
    const struct mock_registration *found = NULL;
    unsigned i;
    for (i = 0; i < mock_n_regs; i++)
        if (strcmp(mock_regs[i].site->event, event) == 0 &&
            (line == 0 || mock_regs[i].site->line == line))
            found = &mock_regs[i];
    return found;
}

void mock_set_mask(uint64_t mask)
{
    unsigned i;
    for (i = 0; i < mock_n_regs; i++)
        __atomic_store_n(&mock_regs[i].site->mask, mask, __ATOMIC_RELAXED);
}

/* Called by every unit's destructor at exit: the mock keeps no call sites to forget. */
void tracer_unregister_module(const void *module)
{
    (void)module;
}

static void fail(const char *what)
{
    fprintf(stderr, "mock libtracer: %s\n", what);
    abort();
}

void tracer_register(struct tracer_callsite *site, const struct tracer_field *fields,
                     uint32_t n_fields, int32_t loglevel)
{
    struct mock_registration *r;
    uint32_t i;
    if (mock_n_regs == MOCK_MAX_REGS || n_fields > MOCK_MAX_FIELDS)
        fail("too many registrations or fields");
    if (site->mask != TRACER_MASK_UNREGISTERED || site->abi != TRACER_ABI_VERSION)
        fail("registering a site that is registered, or of another ABI");
    r = &mock_regs[mock_n_regs++];
    memset(r, 0, sizeof(*r));
    r->site = site;
    r->fields_ptr = fields;
    r->n_fields = n_fields;
    r->loglevel = loglevel;
    /* Deep copy: the caller's descriptors may be on its stack (abi.h). */
    for (i = 0; i < n_fields; i++) {
        r->fields[i] = fields[i];
        if (fields[i].n_entries > MOCK_MAX_ENTRIES)
            fail("too many enum entries");
        if (fields[i].n_entries) {
            memcpy(r->entries[i], fields[i].entries,
                   fields[i].n_entries * sizeof(struct tracer_enum_entry));
            r->fields[i].entries = r->entries[i];
        }
    }
    site->id = next_id++;
    __atomic_store_n(&site->mask, mock_config.mask_on_register, __ATOMIC_RELAXED);
}

/* Hands out a fresh buffer for the lowest channel of `channels` at or after `from`. */
static int open_channel(struct tracer_emit *e, uint64_t channels, unsigned from)
{
    size_t len = (size_t)e->priv[PRIV_LEN];
    size_t room = (size_t)((long)len + mock_config.room_delta);
    uint8_t *buf;
    unsigned ch = from;
    while (ch < 63 && !(channels & (UINT64_C(1) << ch)))
        ch++;
    if (ch >= 63)
        return 0;
    buf = (uint8_t *)malloc(room ? room : 1);
    if (!buf)
        fail("out of memory");
    e->p = buf;
    e->end = buf + room;
    e->priv[PRIV_BUF] = (uint64_t)(uintptr_t)buf;
    e->priv[PRIV_CHANNEL] = ch;
    return 1;
}

int tracer_reserve(struct tracer_callsite *site, uint64_t mask, size_t len, struct tracer_emit *e)
{
    mock_n_reserves++;
    if (mask & TRACER_MASK_UNREGISTERED)
        fail("reserve with an unregistered mask");
    if (mock_config.on_reserve)
        mock_config.on_reserve();
    if (mock_config.drop || len > MOCK_MAX_PAYLOAD) {
        mock_n_lost++;
        return 0;
    }
    memset(e, 0, sizeof(*e));
    e->priv[PRIV_MASK] = mask;
    e->priv[PRIV_LEN] = len;
    e->priv[PRIV_SITE] = (uint64_t)(uintptr_t)site;
    return open_channel(e, mask, 0);
}

int tracer_commit(struct tracer_emit *e)
{
    uint8_t *buf = (uint8_t *)(uintptr_t)e->priv[PRIV_BUF];
    struct mock_commit *c;
    if (mock_n_commits == MOCK_MAX_COMMITS)
        fail("too many commits");
    c = &mock_commits[mock_n_commits++];
    c->site = (struct tracer_callsite *)(uintptr_t)e->priv[PRIV_SITE];
    c->channel = (unsigned)e->priv[PRIV_CHANNEL];
    c->accepted = e->p == e->end;
    c->len = (size_t)e->priv[PRIV_LEN];
    memcpy(c->bytes, buf, c->accepted ? c->len : 0);
    if (!c->accepted)
        mock_n_lost++;
    free(buf);
    return open_channel(e, e->priv[PRIV_MASK], c->channel + 1);
}

/* For programs that only link the mock (the hello-world test): what reached it, at exit. */
__attribute__((destructor)) static void summary(void)
{
    unsigned i, accepted = 0;
    for (i = 0; i < mock_n_commits; i++)
        accepted += (unsigned)mock_commits[i].accepted;
    if (getenv("TRACER_MOCK_SUMMARY"))
        printf("mock libtracer: %u call sites registered, %u events committed, %u lost\n",
               mock_n_regs, accepted, mock_n_lost);
}
