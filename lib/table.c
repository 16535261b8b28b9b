/*
 * table.c: the keyed programs' hash table: open addressing with linear
 * probing, entries kept in insertion order so that output order never
 * depends on the hash.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Inlined, XXH3 hashes a long key in a few instructions a byte. */
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

/*
 * A key of up to SHORT_KEY bytes is two words, zero past its end: it is
 * hashed, compared and kept in its entry as such, with no branch on its
 * length (word lengths vary from key to key, and such branches are
 * mispredicted).  Longer keys are hashed by XXH3 and kept in t->keys.
 */
#define SHORT_KEY	16

struct entry {
	size_t		keylen;
	union {
		uint64_t w[2];	/* keylen <= SHORT_KEY */
		size_t	 off;	/* else, in t->keys */
	}		key;
	/* the value follows, 8-aligned */
};

/*
 * The hash's secret, drawn at the first table of a process: keys that
 * collide (in a stream from a socket, say, anyone's to write) cannot be
 * made without it.  Output order never depends on the hash, so runs do
 * not differ by it.
 */
static uint64_t	secret[2];
static int	has_secret;

/* A key being looked up: its bytes, its words if short, its hash. */
struct probe {
	const char	*key;
	size_t		 len;
	uint64_t	 w[2];
	uint64_t	 h;
};

static struct entry	*entry_at(const struct ds_table *, size_t);
static const char	*entry_key(const struct ds_table *,
			    const struct entry *);
static void		 load_padded(struct probe *);
static void		 load_exact(struct probe *);
static uint64_t		 hash_key(const uint64_t *, const char *, size_t);
static void		 prepare(struct probe *, const void *, size_t, int);
static uint64_t		 hash_short(const uint64_t *, size_t);
static uint64_t		*lookup(struct ds_table *, const struct probe *,
			    uint64_t **);
static void		*upsert(struct ds_table *, const struct probe *, int *);
static int		 rebuild(struct ds_table *, size_t);
static void		*insert(struct ds_table *, const struct probe *,
			    uint64_t *) __attribute__((__noinline__));

int
ds_table_init(struct ds_table *t, size_t valsize)
{
	if (!has_secret) {
		arc4random_buf(secret, sizeof(secret));
		has_secret = 1;
	}
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

static inline const char *
entry_key(const struct ds_table *t, const struct entry *e)
{
	return e->keylen <= SHORT_KEY ? (const char *)e->key.w :
	    t->keys.data + e->key.off;
}

/*
 * The words of p->key, short, whose 16 bytes from p->key may be read:
 * the bytes past its end are cleared.
 */
static inline void
load_padded(struct probe *p)
{
#if defined(__SSE2__) && defined(__x86_64__)
	const __m128i at = _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	    11, 12, 13, 14, 15);
	__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p->key);

	x = _mm_and_si128(x, _mm_cmpgt_epi8(_mm_set1_epi8((char)p->len), at));
	p->w[0] = (uint64_t)_mm_cvtsi128_si64(x);
	p->w[1] = (uint64_t)_mm_cvtsi128_si64(_mm_unpackhi_epi64(x, x));
#else
	load_exact(p);
#endif
}

/*
 * Multiply the words, each first mixed with the secret, fold the 128-bit
 * product and spread its bits; the words themselves go in too, so that a
 * zero factor does not make keys collide.
 */
static inline uint64_t
hash_short(const uint64_t *w, size_t len)
{
	uint64_t a = w[0] ^ secret[0];
	uint64_t b = w[1] ^ secret[1];
	uint64_t h;
#ifdef __SIZEOF_INT128__
	__extension__ typedef unsigned __int128 u128;
	u128 m = (u128)a * b;

	h = (uint64_t)m ^ (uint64_t)(m >> 64);
#else
	h = a * b;
#endif
	h ^= w[0] ^ (w[1] << 29 | w[1] >> 35) ^ len;
	h ^= h >> 37;
	h *= 0x165667919e3779f9ULL;
	return h ^ h >> 32;
}

/*
 * The words of a short key that may be all there is to read, by loads
 * that overlap as XXH3's do: a memcpy of a variable length is a call,
 * and cost the windowed programs (which look up keys of one table in
 * another) 12%.
 */
static inline void
load_exact(struct probe *p)
{
	const unsigned char *k = (const unsigned char *)p->key;
	size_t len = p->len;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x, y;
	uint32_t u, v;

	p->w[1] = 0;
	if (len >= 8) {
		memcpy(&x, k, 8);
		memcpy(&y, k + len - 8, 8);
		p->w[0] = x;
		/* y's first 16 - len bytes are x's last ones. */
		if (len > 8)
			p->w[1] = y >> (16 - len) * 8;
	} else if (len >= 4) {
		memcpy(&u, k, 4);
		memcpy(&v, k + len - 4, 4);
		p->w[0] = u | (uint64_t)v << (len - 4) * 8;
	} else if (len > 0)
		p->w[0] = k[0] | (uint64_t)k[len / 2] << len / 2 * 8 |
		    (uint64_t)k[len - 1] << (len - 1) * 8;
	else
		p->w[0] = 0;
#else
	p->w[0] = p->w[1] = 0;
	memcpy(p->w, k, len);
#endif
}

/* The hash of a key: its words if short, else its bytes. */
static inline uint64_t
hash_key(const uint64_t *w, const char *key, size_t len)
{
	return len <= SHORT_KEY ? hash_short(w, len) :
	    XXH3_64bits_withSeed(key, len, secret[0]);
}

/*
 * Set p up for key; padded says that 16 bytes from key may be read.  The
 * callers pass a constant, so that each is compiled with one load.
 */
static inline void
prepare(struct probe *p, const void *key, size_t len, int padded)
{
	p->key = key;
	p->len = len;
	if (len <= SHORT_KEY) {
		if (padded)
			load_padded(p);
		else
			load_exact(p);
	}
	p->h = hash_key(p->w, key, len);
}

/*
 * The slot holding p's key, or NULL when absent; then *freeslot is where
 * it would go (the first deleted slot on its probe path, else the empty
 * one).
 */
static inline uint64_t *
lookup(struct ds_table *t, const struct probe *p, uint64_t **freeslot)
{
	size_t mask = t->nslot - 1, i = p->h & mask;
	uint64_t *s, *deleted = NULL, tag = SLOT_TAG(p->h);
	struct entry *e;

	for (;; i = (i + 1) & mask) {
		s = &t->slot[i];
		/* A slot of this tag first: the hit of a key already there. */
		if (SLOT_TAG(*s) == tag && *s != SLOT_EMPTY &&
		    *s != SLOT_DELETED) {
			e = entry_at(t, SLOT_INDEX(*s) - 1);
			if (e->keylen != p->len)
				continue;
			if (p->len <= SHORT_KEY ?
			    ((e->key.w[0] ^ p->w[0]) |
			    (e->key.w[1] ^ p->w[1])) == 0 :
			    memcmp(t->keys.data + e->key.off, p->key,
			    p->len) == 0)
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
	uint64_t h;
	size_t i, j, n = 0, koff = 0;

	if ((slot = calloc(nslot, sizeof(*slot))) == NULL)
		return -1;
	for (i = 0; i < t->nent; i++) {
		e = entry_at(t, i);
		if (e->keylen == DEAD)
			continue;
		to = entry_at(t, n);
		if (e->keylen > SHORT_KEY) {
			memmove(t->keys.data + koff, t->keys.data + e->key.off,
			    e->keylen);
			e->key.off = koff;
			koff += e->keylen;
		}
		if (to != e)
			memmove(to, e, t->entsize);
		h = hash_key(to->key.w, entry_key(t, to), to->keylen);
		for (j = h & (nslot - 1); slot[j] != SLOT_EMPTY;
		    j = (j + 1) & (nslot - 1))
			;
		slot[j] = SLOT_TAG(h) | ++n;
	}
	free(t->slot);
	t->slot = slot;
	t->nslot = nslot;
	t->nent = t->nlive = t->nused = n;
	t->keys.len = koff;
	return 0;
}

static inline void *
upsert(struct ds_table *t, const struct probe *p, int *isnew)
{
	uint64_t *s, *freeslot;

	if ((s = lookup(t, p, &freeslot)) != NULL) {
		*isnew = 0;
		return entry_at(t, SLOT_INDEX(*s) - 1) + 1;
	}
	*isnew = 1;
	return insert(t, p, freeslot);
}

void *
ds_table_upsert(struct ds_table *t, const void *key, size_t len, int *isnew)
{
	struct probe p;

	prepare(&p, key, len, 0);
	return upsert(t, &p, isnew);
}

void *
ds_table_upsert_padded(struct ds_table *t, const void *key, size_t len,
    int *isnew)
{
	struct probe p;

	prepare(&p, key, len, 1);
	return upsert(t, &p, isnew);
}

/*
 * Add key, absent, whose slot would be freeslot.  Out of line, so that
 * the lookups of keys already there need no stack frame.
 */
static void *
insert(struct ds_table *t, const struct probe *p, uint64_t *freeslot)
{
	struct entry *e;
	size_t ncap;
	char *ent;

	/* Keep the load, deleted slots included, under 3/4. */
	if ((t->nused + 1) * 4 > t->nslot * 3) {
		ncap = t->nslot;
		while ((t->nlive + 1) * 2 > ncap)
			ncap *= 2;
		if (rebuild(t, ncap) == -1)
			return NULL;
		lookup(t, p, &freeslot);
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
		lookup(t, p, &freeslot);
	}
	if (t->nent == t->entcap) {
		ncap = t->entcap != 0 ? t->entcap * 2 : 16;
		if ((ent = reallocarray(t->ent, ncap, t->entsize)) == NULL)
			return NULL;
		t->ent = ent;
		t->entcap = ncap;
	}
	e = entry_at(t, t->nent);
	e->keylen = p->len;
	if (p->len <= SHORT_KEY) {
		e->key.w[0] = p->w[0];
		e->key.w[1] = p->w[1];
	} else {
		e->key.off = t->keys.len;
		if (ds_buf_append(&t->keys, p->key, p->len) == -1)
			return NULL;
	}
	if (*freeslot == SLOT_EMPTY)
		t->nused++;
	*freeslot = SLOT_TAG(p->h) | ++t->nent;
	t->nlive++;
	memset(e + 1, 0, t->entsize - sizeof(*e));
	return e + 1;
}

void *
ds_table_find(struct ds_table *t, const void *key, size_t len)
{
	struct probe p;
	uint64_t *s, *freeslot;

	prepare(&p, key, len, 0);
	if ((s = lookup(t, &p, &freeslot)) == NULL)
		return NULL;
	return entry_at(t, SLOT_INDEX(*s) - 1) + 1;
}

int
ds_table_remove(struct ds_table *t, const void *key, size_t len)
{
	struct probe p;
	uint64_t *s, *freeslot;

	prepare(&p, key, len, 0);
	if ((s = lookup(t, &p, &freeslot)) == NULL) {
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
	return entry_key(t, e);
}
