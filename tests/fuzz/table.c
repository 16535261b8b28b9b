/*
 * table.c: fuzz the hash table against a model of it: the input is a
 * sequence of upserts (plain and padded), finds, removes and clears on
 * keys of 0 to 40 bytes, and after each the table must answer as the
 * model does and hold exactly its live keys, in insertion order, with
 * their values.
 *
 * The input's first byte picks the value size; then each operation is a
 * byte (low four bits: what; high four: the key's offset in its buffer)
 * and, but for a clear or a find of every key, a key.  A key's byte
 * names it by its top two bits: 0, one of a pool of keys that differ only
 * in length or past their 16th byte; 1 or 2, a prefix of 40 zeros or of
 * "a" and 39 zeros; 3, the input's next bytes (fewer at its end).  Its
 * low six bits are the index in the pool, modulo the pool's size, or the
 * length, modulo 41.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

#define MAXKEY		40
#define NOTFOUND	SIZE_MAX
#define KEY(s)		{ s, sizeof(s) - 1 }

struct key {
	unsigned char	 data[MAXKEY];
	size_t		 len;
	int64_t		 val;
};

/* What the table should hold: its live keys, in insertion order. */
struct model {
	struct key	*key;
	size_t		 n;
	size_t		 cap;
	size_t		 valsize;
};

struct input {
	const uint8_t	*data;
	size_t		 size;
	size_t		 off;
};

/* An operation is the range from its number to the next one's. */
#define OP_UPSERT	0
#define OP_PADDED	5
#define OP_FIND		10
#define OP_REMOVE	12
#define OP_CLEAR	14
#define OP_FINDALL	15

static const struct {
	const char	*data;
	size_t		 len;
} pool[] = {
	KEY(""),
	KEY("\0"),
	KEY("a"),
	KEY("a\0"),
	KEY("ab"),
	KEY("abc\0"),
	KEY("0123456789abcde"),
	KEY("0123456789abcde\0"),
	KEY("0123456789abcdef"),
	KEY("0123456789abcdef\0"),
	KEY("0123456789abcdefg"),
	KEY("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	KEY("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"),
	KEY("0123456789abcdefghijklmnopqrstuvwxyzABC"),
	KEY("0123456789abcdefghijklmnopqrstuvwxyzABCD"),
	KEY("0123456789abcdefghijklmnopqrstuvwxyzABCE")
};

static const size_t valsizes[] = { 8, 40, 16, 13 };

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int	next_key(struct input *, struct key *);
static char	*key_copy(const struct input *, const struct key *, size_t,
		    size_t, char **);
static size_t	model_find(const struct model *, const struct key *);
static size_t	model_add(struct model *, const struct key *);
static void	value_put(void *, size_t, int64_t);
static int	value_is(const void *, size_t, int64_t);
static void	check_table(struct ds_table *, const struct model *);
static void	check_find(struct ds_table *, const struct model *,
		    const struct input *);

/* The next key the input names, in k; 0, or -1 at the input's end. */
static int
next_key(struct input *in, struct key *k)
{
	uint8_t b;
	size_t i;

	if (in->off >= in->size)
		return -1;
	b = in->data[in->off++];
	k->len = (b & 63) % (MAXKEY + 1);
	memset(k->data, 0, sizeof(k->data));
	switch (b >> 6) {
	case 0:
		i = (b & 63) % (sizeof(pool) / sizeof(pool[0]));
		k->len = pool[i].len;
		memcpy(k->data, pool[i].data, k->len);
		break;
	case 1:
		break;
	case 2:
		k->data[0] = 'a';
		break;
	default:
		if (k->len > in->size - in->off)
			k->len = in->size - in->off;
		memcpy(k->data, in->data + in->off, k->len);
		in->off += k->len;
		break;
	}
	return 0;
}

/*
 * Copy k shift + 1 bytes into a buffer that ends pad bytes past it, so
 * that ASan catches a read beyond them (never empty: ASan lets the byte
 * of a malloc(0) be read); the pad is the input's bytes from where it
 * stands, not zeros.  *buf is the buffer to free.
 */
static char *
key_copy(const struct input *in, const struct key *k, size_t pad,
    size_t shift, char **buf)
{
	char *key;
	size_t i;

	if ((*buf = malloc(shift + 1 + k->len + pad)) == NULL)
		abort();
	memset(*buf, 0xa5, shift + 1);
	key = *buf + shift + 1;
	memcpy(key, k->data, k->len);
	for (i = 0; i < pad; i++)
		key[k->len + i] = (char)in->data[(in->off + i) % in->size];
	return key;
}

static size_t
model_find(const struct model *m, const struct key *k)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->key[i].len == k->len &&
		    memcmp(m->key[i].data, k->data, k->len) == 0)
			return i;
	return NOTFOUND;
}

static size_t
model_add(struct model *m, const struct key *k)
{
	struct key *key;
	size_t cap;

	if (m->n == m->cap) {
		cap = m->cap != 0 ? m->cap * 2 : 16;
		if ((key = reallocarray(m->key, cap, sizeof(*key))) == NULL)
			abort();
		m->key = key;
		m->cap = cap;
	}
	m->key[m->n] = *k;
	m->key[m->n].val = 0;
	return m->n++;
}

/*
 * A value holds n in its first 8 bytes and n's low byte in every other,
 * so that entries that overlap, or a value cut short, show.
 */
static void
value_put(void *v, size_t valsize, int64_t n)
{
	memcpy(v, &n, sizeof(n));
	memset((char *)v + sizeof(n), (int)(n & 0xff), valsize - sizeof(n));
}

static int
value_is(const void *v, size_t valsize, int64_t n)
{
	const unsigned char *p = v;
	int64_t got;
	size_t i;

	memcpy(&got, p, sizeof(got));
	if (got != n)
		return 0;
	for (i = sizeof(n); i < valsize; i++)
		if (p[i] != (unsigned char)(n & 0xff))
			return 0;
	return 1;
}

/* The entries, walked in order, are the model's keys and values. */
static void
check_table(struct ds_table *t, const struct model *m)
{
	const struct key *k;
	const char *key;
	size_t i, j, len, end;
	void *v;

	if (ds_table_count(t) != m->n)
		abort();
	end = ds_table_end(t);
	for (i = 0, j = 0; i < end; i++) {
		if ((v = ds_table_value(t, i)) == NULL)
			continue;
		if (j >= m->n)
			abort();
		k = &m->key[j++];
		key = ds_table_key(t, i, &len);
		if (len != k->len || memcmp(key, k->data, len) != 0 ||
		    !value_is(v, m->valsize, k->val))
			abort();
	}
	if (j != m->n)
		abort();
}

/* Every key of the model is found, with its value: the slots agree. */
static void
check_find(struct ds_table *t, const struct model *m,
    const struct input *in)
{
	size_t i;
	char *buf, *key;
	void *v;

	for (i = 0; i < m->n; i++) {
		key = key_copy(in, &m->key[i], 0, 0, &buf);
		v = ds_table_find(t, key, m->key[i].len);
		if (v == NULL || !value_is(v, m->valsize, m->key[i].val))
			abort();
		free(buf);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size, 0 };
	struct model m = { NULL, 0, 0, 0 };
	struct ds_table t;
	struct key k;
	int64_t counter = 0;
	size_t i, shift;
	char *buf, *key;
	void *v;
	int isnew, op;

	if (size == 0)
		return 0;
	m.valsize = valsizes[data[in.off++] %
	    (sizeof(valsizes) / sizeof(valsizes[0]))];
	if (ds_table_init(&t, m.valsize) == -1)
		abort();
	while (in.off < size) {
		op = data[in.off] & 15;
		shift = data[in.off++] >> 4;
		if (op == OP_CLEAR) {
			ds_table_clear(&t);
			m.n = 0;
			check_table(&t, &m);
			continue;
		}
		if (op == OP_FINDALL) {
			check_find(&t, &m, &in);
			continue;
		}
		if (next_key(&in, &k) == -1)
			break;
		i = model_find(&m, &k);
		if (op < OP_FIND) {
			if (op >= OP_PADDED) {
				key = key_copy(&in, &k, DS_READ_PAD, shift,
				    &buf);
				v = ds_table_upsert_padded(&t, key, k.len,
				    &isnew);
			} else {
				key = key_copy(&in, &k, 0, shift, &buf);
				v = ds_table_upsert(&t, key, k.len, &isnew);
			}
			if (v == NULL || isnew != (i == NOTFOUND) ||
			    !value_is(v, m.valsize, isnew ? 0 : m.key[i].val))
				abort();
			if (isnew)
				i = model_add(&m, &k);
			m.key[i].val = ++counter;
			value_put(v, m.valsize, counter);
		} else if (op < OP_REMOVE) {
			key = key_copy(&in, &k, 0, shift, &buf);
			v = ds_table_find(&t, key, k.len);
			if (i == NOTFOUND ? v != NULL : (v == NULL ||
			    !value_is(v, m.valsize, m.key[i].val)))
				abort();
		} else {
			key = key_copy(&in, &k, 0, shift, &buf);
			errno = 0;
			if (ds_table_remove(&t, key, k.len) == -1) {
				if (i != NOTFOUND || errno != ENOENT)
					abort();
			} else {
				if (i == NOTFOUND)
					abort();
				memmove(&m.key[i], &m.key[i + 1],
				    (m.n - i - 1) * sizeof(m.key[0]));
				m.n--;
			}
		}
		free(buf);
		check_table(&t, &m);
	}
	check_find(&t, &m, &in);
	ds_table_free(&t);
	free(m.key);
	return 0;
}
