/*
 * lib/core/names.h: a table from names (deployment ids, group names) to
 * indexes, by open addressing on a keyed hash (SipHash-2-4), so that loading
 * n deployments and finding a group cost O(1) per name, and names chosen by
 * a caller cannot force collisions without the table's key.
 *
 * The table borrows its names: each must stay valid and unchanged while it
 * is in the table. It never removes. Lookups do not write, so any number of
 * threads may look up while none inserts (the gateway: under gw->lock).
 */
#ifndef LLMGW_CORE_NAMES_H
#define LLMGW_CORE_NAMES_H

#include "common.h"

#define LLMGW_NAMES_KEY_LEN 16

typedef struct llmgw__names_slot {
    const char *name;            /* NULL: empty */
    uint64_t    hash;
    size_t      value;
} llmgw__names_slot;

typedef struct llmgw__names {
    llmgw__names_slot *slot;
    size_t             cap;      /* 0 or a power of two, at least twice n */
    size_t             n;
    unsigned char      key[LLMGW_NAMES_KEY_LEN];
} llmgw__names;

/* SipHash-2-4 (Aumasson and Bernstein, 2012) of data under a 128-bit key. */
uint64_t llmgw__siphash24(const unsigned char key[LLMGW_NAMES_KEY_LEN], const void *data, size_t len);

/* An empty table hashing under key (copied). Allocates nothing. */
void llmgw__names_init(llmgw__names *t, const unsigned char key[LLMGW_NAMES_KEY_LEN]);
void llmgw__names_dispose(llmgw__names *t);
/* Room for n names in all, so that as many puts cannot fail: 0, or LLMGW_ENOMEM (error set, table unchanged). */
int  llmgw__names_reserve(llmgw__names *t, size_t n);
/* Add a name that is not in the table yet, after reserving room for it. */
void llmgw__names_put(llmgw__names *t, const char *name, size_t value);
/* The value of name: true and *value_out set, or false. */
bool llmgw__names_get(const llmgw__names *t, const char *name, size_t *value_out);

#endif
