/*
 * join.c: the join of pair records on their key, Spark's join and its
 * outer forms: what a batch of each side holds, the right side's values
 * chained by key, and the joined records written out.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

#define NONE	SIZE_MAX	/* the end of a key's chain of values */

/* A key's values on the right, and whether a left record had the key. */
struct chain {
	size_t	 first;			/* in val */
	size_t	 last;
	int	 matched;		/* joined since the last ds_join_rest */
};

struct ds_join_value {
	size_t	 off;			/* in bytes */
	size_t	 len;
	size_t	 next;			/* the key's next value, or NONE */
};

struct ds_join_rec {
	size_t	 keyoff;
	size_t	 keylen;
	size_t	 valoff;
	size_t	 vallen;
};

static int	put(const struct ds_join *, const char *, size_t,
		    const char *, size_t, const char *, size_t);

/* Room for one more of size bytes in *v, of which *n are used of *cap. */
static int
grow(void **v, size_t n, size_t *cap, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 64;
	if ((p = reallocarray(*v, ncap, size)) == NULL)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

int
ds_join_side_init(struct ds_join_side *s)
{
	memset(s, 0, sizeof(*s));
	return ds_table_init(&s->keys, sizeof(struct chain));
}

void
ds_join_side_clear(struct ds_join_side *s)
{
	ds_table_clear(&s->keys);
	s->bytes.len = 0;
	s->nval = 0;
}

void
ds_join_side_free(struct ds_join_side *s)
{
	ds_table_free(&s->keys);
	ds_buf_free(&s->bytes);
	free(s->val);
	s->val = NULL;
	s->nval = s->valcap = 0;
}

int
ds_join_side_add(struct ds_join_side *s, const struct ds_field *k,
    const struct ds_field *f, size_t n)
{
	struct ds_join_value *v;
	struct chain *c;
	int isnew;

	if (grow((void **)&s->val, s->nval, &s->valcap, sizeof(*v)) == -1)
		return -1;
	v = &s->val[s->nval];
	v->off = s->bytes.len;
	if (ds_escape_record(&s->bytes, f, n) == -1)
		return -1;
	v->len = s->bytes.len - v->off;
	v->next = NONE;
	if ((c = ds_table_upsert(&s->keys, k->data, k->len, &isnew)) == NULL)
		return -1;
	if (isnew)
		c->first = s->nval;
	else
		s->val[c->last].next = s->nval;
	c->last = s->nval++;
	return 0;
}

int
ds_join_load(struct ds_join_side *s, struct ds_reader *r)
{
	int rc;

	while ((rc = ds_read(r)) != DS_EOF) {
		if (rc == -1)
			return -1;
		if (rc != DS_RECORD)
			continue;
		if (r->nfield < 2) {
			errno = EDOM;
			return -1;
		}
		if (ds_join_side_add(s, &r->field[0], &r->field[1],
		    r->nfield - 1) == -1)
			return -1;
	}
	return 0;
}

int
ds_join_changed(const char *path, const struct stat *id)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return -1;
	return st.st_dev != id->st_dev || st.st_ino != id->st_ino ||
	    st.st_size != id->st_size ||
	    st.st_mtim.tv_sec != id->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != id->st_mtim.tv_nsec;
}

int
ds_join_left_add(struct ds_join_left *l, const struct ds_field *k,
    const struct ds_field *f, size_t n)
{
	struct ds_join_rec *p;

	if (grow((void **)&l->rec, l->nrec, &l->reccap, sizeof(*p)) == -1)
		return -1;
	p = &l->rec[l->nrec];
	p->keyoff = l->bytes.len;
	p->keylen = k->len;
	if (ds_buf_append(&l->bytes, k->data, k->len) == -1)
		return -1;
	p->valoff = l->bytes.len;
	if (ds_escape_record(&l->bytes, f, n) == -1)
		return -1;
	p->vallen = l->bytes.len - p->valoff;
	l->nrec++;
	return 0;
}

void
ds_join_left_clear(struct ds_join_left *l)
{
	l->bytes.len = 0;
	l->nrec = 0;
}

void
ds_join_left_free(struct ds_join_left *l)
{
	ds_buf_free(&l->bytes);
	free(l->rec);
	l->rec = NULL;
	l->nrec = l->reccap = 0;
}

int
ds_join_one(const struct ds_join *j, const char *k, size_t klen,
    const char *lv, size_t lvlen, struct ds_join_side *right)
{
	const struct ds_join_value *v;
	struct chain *c = NULL;
	size_t i;

	if (right != NULL)
		c = ds_table_find(&right->keys, k, klen);
	if (c == NULL)
		return (j->outer & DS_JOIN_LEFT) ?
		    put(j, k, klen, lv, lvlen, NULL, 0) : 0;
	c->matched = 1;
	for (i = c->first; i != NONE; i = v->next) {
		v = &right->val[i];
		if (put(j, k, klen, lv, lvlen, right->bytes.data + v->off,
		    v->len) == -1)
			return -1;
	}
	return 0;
}

int
ds_join_batch(const struct ds_join *j, const struct ds_join_left *l,
    struct ds_join_side *right)
{
	const struct ds_join_rec *p;
	size_t i;

	for (i = 0; i < l->nrec; i++) {
		p = &l->rec[i];
		if (ds_join_one(j, l->bytes.data + p->keyoff, p->keylen,
		    l->bytes.data + p->valoff, p->vallen, right) == -1)
			return -1;
	}
	return 0;
}

int
ds_join_rest(const struct ds_join *j, struct ds_join_side *right)
{
	const struct ds_join_value *v;
	struct chain *c;
	const char *k;
	size_t i, n, klen;

	if (!(j->outer & DS_JOIN_RIGHT))
		return 0;
	for (i = 0; i < ds_table_end(&right->keys); i++) {
		if ((c = ds_table_value(&right->keys, i)) == NULL)
			continue;
		if (c->matched) {
			c->matched = 0;
			continue;
		}
		k = ds_table_key(&right->keys, i, &klen);
		for (n = c->first; n != NONE; n = v->next) {
			v = &right->val[n];
			if (put(j, k, klen, NULL, 0,
			    right->bytes.data + v->off, v->len) == -1)
				return -1;
		}
	}
	return 0;
}

/* Write key, left value, right value; a NULL side is the marker. */
static int
put(const struct ds_join *j, const char *k, size_t klen, const char *lv,
    size_t lvlen, const char *rv, size_t rvlen)
{
	struct ds_writer *w = j->out;

	if (ds_write_field(w, k, klen) == -1 ||
	    (lv != NULL ? ds_write_escaped(w, lv, lvlen) :
	    ds_write_field(w, j->marker, j->markerlen)) == -1 ||
	    (rv != NULL ? ds_write_escaped(w, rv, rvlen) :
	    ds_write_field(w, j->marker, j->markerlen)) == -1 ||
	    ds_write_end(w) == -1)
		return -1;
	return 0;
}
