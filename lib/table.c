/*
 * table.c: the keyed programs' hash table: XXH3-64, open addressing with
 * linear probing, entries kept in insertion order so that output order
 * never depends on the hash.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Inlined, XXH3 hashes a short key in a few instructions. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ds.h"

/*
 * A slot holds an entry's index + 1 in its low 32 bits and the high 32
 * bits of the key's hash above them, so that a probe passes the slots of
 * other keys without reading their entries.
 */
#define SLOT_EMPTY	0
#define SLOT_DELETED	UINT32_MAX
#define SLOT_INDEX(s)	((uint32_t)(s))
#define SLOT_TAG(h)	((h) & 0xffffffff00000000ULL)
#define DEAD		SIZE_MAX	/* keylen of a removed entry */

struct entry {
	uint64_t	hash;
	size_t		keyoff;
	size_t		keylen;
	/* the value follows, 8-aligned */
};

static struct entry	*entry_at(const struct ds_table *, size_t);
static uint64_t		*lookup(struct ds_table *, const void *, size_t,
			    uint64_t, uint64_t **);
static int		 rebuild(struct ds_table *, size_t);
static void		*insert(struct ds_table *, const void *, size_t,
			    uint64_t, uint64_t *) __attribute__((__noinline__));

int
ds_table_init(struct ds_table *t, size_t valsize)
{
	memset(t, 0, sizeof(*t));
	t->valsize = valsize;
	t->entsize = (sizeof(struct entry) + valsize + 7) & ~(size_t)7;
	t->nslot = 16;
	if ((t->slot = calloc(t->nslot, sizeof(*t->slot))) == NULL)
		return -1;
	/* Keys are never at NULL, even all empty: memcmp(NULL, p, 0) is UB. */
	if (ds_buf_reserve(&t->keys, 1) == -1) {
		free(t->slot);
		t->slot = NULL;
		return -1;
	}
	return 0;
}

void
ds_table_free(struct ds_table *t)
{
	free(t->ent);
	free(t->slot);
	ds_buf_free(&t->keys);
	t->ent = NULL;
	t->slot = NULL;
}

void
ds_table_clear(struct ds_table *t)
{
	memset(t->slot, 0, t->nslot * sizeof(*t->slot));
	t->nent = t->nlive = t->nused = 0;
	t->keys.len = 0;
}

static struct entry *
entry_at(const struct ds_table *t, size_t i)
{
	return (struct entry *)(t->ent + i * t->entsize);
}

/*
 * The slot holding key, or NULL when absent; then *freeslot is where it
 * would go (the first deleted slot on its probe path, else the empty one).
 */
static inline uint64_t *
lookup(struct ds_table *t, const void *key, size_t len, uint64_t h,
    uint64_t **freeslot)
{
	size_t mask = t->nslot - 1, i = h & mask;
	uint64_t *s, *deleted = NULL, tag = SLOT_TAG(h);
	struct entry *e;

	for (;; i = (i + 1) & mask) {
		s = &t->slot[i];
		/* A slot of this tag first: the hit of a key already there. */
		if (SLOT_TAG(*s) == tag && *s != SLOT_EMPTY &&
		    *s != SLOT_DELETED) {
			e = entry_at(t, SLOT_INDEX(*s) - 1);
			if (e->keylen == len &&
			    ds_equal(t->keys.data + e->keyoff, key, len))
				return s;
		} else if (*s == SLOT_EMPTY) {
			*freeslot = deleted != NULL ? deleted : s;
			return NULL;
		} else if (*s == SLOT_DELETED && deleted == NULL)
			deleted = s;
	}
}

/*
 * Drop removed entries (keeping the order of the others) and rehash into
 * nslot slots.
 */
static int
rebuild(struct ds_table *t, size_t nslot)
{
	uint64_t *slot;
	struct entry *e, *to;
	size_t i, j, n = 0, koff = 0;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < t->nent; i++) {
		e = entry_at(t, i);
		if (e->keylen == DEAD)
			continue;
		to = entry_at(t, n);
		memmove(t->keys.data + koff, t->keys.data + e->keyoff,
		    e->keylen);
		e->keyoff = koff;
		koff += e->keylen;
		if (to != e)
			memmove(to, e, t->entsize);
		for (j = to->hash & (nslot - 1); slot[j] != SLOT_EMPTY;
		    j = (j + 1) & (nslot - 1))
			;
		slot[j] = SLOT_TAG(to->hash) | ++n;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	t->nent = t->nlive = t->nused = n;
	t->keys.len = koff;
	return 0;
}

/*
 * Flattened, so that XXH3 is inlined: for a short key its call costs
 * about as much as the hash.
 */
__attribute__((__flatten__)) void *
ds_table_upsert(struct ds_table *t, const void *key, size_t len, int *isnew)
{
	uint64_t *s, *freeslot;
	uint64_t h;

	h = XXH3_64bits(key, len);
	if ((s = lookup(t, key, len, h, &freeslot)) != NULL) {
		*isnew = 0;
		return entry_at(t, SLOT_INDEX(*s) - 1) + 1;
	}
	*isnew = 1;
	return insert(t, key, len, h, freeslot);
}

/*
 * Add key, absent, whose slot would be freeslot.  Out of line, so that
 * the lookups of keys already there need no stack frame.
 */
static void *
insert(struct ds_table *t, const void *key, size_t len, uint64_t h,
    uint64_t *freeslot)
{
	struct entry *e;
	size_t ncap;
	char *p;

	/* Keep the load, deleted slots included, under 3/4. */
	if ((t->nused + 1) * 4 > t->nslot * 3) {
		ncap = t->nslot;
		while ((t->nlive + 1) * 2 > ncap)
			ncap *= 2;
		if (rebuild(t, ncap) == -1)
			return NULL;
		lookup(t, key, len, h, &freeslot);
	}
	if (t->nent >= UINT32_MAX - 2) {
		errno = E2BIG;
		return NULL;
	}
	/* Reinsertions reuse deleted slots: compact before growing. */
	if (t->nent == t->entcap && t->nent - t->nlive >= t->nent / 2 &&
	    t->nent > 0) {
		if (rebuild(t, t->nslot) == -1)
			return NULL;
		lookup(t, key, len, h, &freeslot);
	}
	if (t->nent == t->entcap) {
		ncap = t->entcap != 0 ? t->entcap * 2 : 16;
		if ((p = reallocarray(t->ent, ncap, t->entsize)) == NULL)
			return NULL;
		t->ent = p;
		t->entcap = ncap;
	}
	e = entry_at(t, t->nent);
	e->hash = h;
	e->keyoff = t->keys.len;
	e->keylen = len;
	if (ds_buf_append(&t->keys, key, len) == -1)
		return NULL;
	if (*freeslot == SLOT_EMPTY)
		t->nused++;
	*freeslot = SLOT_TAG(h) | ++t->nent;
	t->nlive++;
	memset(e + 1, 0, t->entsize - sizeof(*e));
	return e + 1;
}

void *
ds_table_find(struct ds_table *t, const void *key, size_t len)
{
	uint64_t *s, *freeslot;

	s = lookup(t, key, len, XXH3_64bits(key, len), &freeslot);
	if (s == NULL)
		return NULL;
	return entry_at(t, SLOT_INDEX(*s) - 1) + 1;
}

int
ds_table_remove(struct ds_table *t, const void *key, size_t len)
{
	uint64_t *s, *freeslot;

	s = lookup(t, key, len, XXH3_64bits(key, len), &freeslot);
	if (s == NULL) {
		errno = ENOENT;
		return -1;
	}
	entry_at(t, SLOT_INDEX(*s) - 1)->keylen = DEAD;
	*s = SLOT_DELETED;
	t->nlive--;
	return 0;
}

size_t
ds_table_count(const struct ds_table *t)
{
	return t->nlive;
}

size_t
ds_table_end(const struct ds_table *t)
{
	return t->nent;
}

void *
ds_table_value(struct ds_table *t, size_t i)
{
	struct entry *e = entry_at(t, i);

	return e->keylen == DEAD ? NULL : e + 1;
}

const char *
ds_table_key(const struct ds_table *t, size_t i, size_t *len)
{
	struct entry *e = entry_at(t, i);

	*len = e->keylen;
	return t->keys.data + e->keyoff;
}
