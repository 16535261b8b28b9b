/*
 * swag.c: sliding-window aggregation by key with two stacks.  The back
 * stack is the newer batches, kept only as one merged table; the front
 * stack is the older batches, each with a suffix table (itself merged
 * with every newer front batch).  Evicting from an empty front flips the
 * back over, building the suffixes once: O(1) amortized per batch.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

struct ds_swag_item {
	int64_t		 time;
	struct ds_table	 own;		/* the batch's aggregates */
	struct ds_table	 suffix;	/* front only: own merged with every
					   newer front batch */
	int		 hassuffix;
};

static struct ds_swag_item *at(struct ds_swag *, size_t);
static int	merge_table(struct ds_table *, struct ds_table *, int);
static int	flip(struct ds_swag *);

int
ds_swag_init(struct ds_swag *s, int op)
{
	memset(s, 0, sizeof(*s));
	s->op = op;
	return ds_table_init(&s->back, sizeof(struct ds_agg));
}

void
ds_agg_table_clear(struct ds_table *t)
{
	struct ds_agg *a;
	size_t i;

	for (i = 0; i < ds_table_end(t); i++)
		if ((a = ds_table_value(t, i)) != NULL)
			ds_agg_free(a);
	ds_table_clear(t);
}

static struct ds_swag_item *
at(struct ds_swag *s, size_t i)
{
	return &s->item[(s->head + i) % s->cap];
}

void
ds_swag_free(struct ds_swag *s)
{
	struct ds_swag_item *it;
	size_t i;

	for (i = 0; i < s->n; i++) {
		it = at(s, i);
		ds_agg_table_clear(&it->own);
		ds_table_free(&it->own);
		if (it->hassuffix) {
			ds_agg_table_clear(&it->suffix);
			ds_table_free(&it->suffix);
		}
	}
	free(s->item);
	ds_agg_table_clear(&s->back);
	ds_table_free(&s->back);
}

/* Merge every aggregate of from into into, from being the later. */
static int
merge_table(struct ds_table *into, struct ds_table *from, int op)
{
	struct ds_agg *a, *b;
	const char *k;
	size_t i, klen;
	int isnew;

	for (i = 0; i < ds_table_end(from); i++) {
		if ((b = ds_table_value(from, i)) == NULL)
			continue;
		k = ds_table_key(from, i, &klen);
		if ((a = ds_table_upsert(into, k, klen, &isnew)) == NULL ||
		    ds_agg_merge(a, b, op) == -1)
			return -1;
	}
	return 0;
}

int
ds_swag_push(struct ds_swag *s, int64_t t, struct ds_table *own)
{
	struct ds_swag_item *p, *it;
	size_t i, ncap;

	if (s->n == s->cap) {
		ncap = s->cap != 0 ? s->cap * 2 : 16;
		if ((p = reallocarray(NULL, ncap, sizeof(*p))) == NULL)
			return -1;
		for (i = 0; i < s->n; i++)
			p[i] = *at(s, i);
		free(s->item);
		s->item = p;
		s->cap = ncap;
		s->head = 0;
	}
	it = at(s, s->n);
	memset(it, 0, sizeof(*it));
	it->time = t;
	it->own = *own;
	s->n++;
	if (ds_table_init(own, sizeof(struct ds_agg)) == -1)
		return -1;
	return merge_table(&s->back, &it->own, s->op);
}

/*
 * Every item is in the back: give each its suffix, newest first, so that
 * a suffix lists its own keys first and then the newer ones.
 */
static int
flip(struct ds_swag *s)
{
	struct ds_swag_item *it, *newer = NULL;
	size_t i;

	for (i = s->n; i-- > 0; newer = it) {
		it = at(s, i);
		if (ds_table_init(&it->suffix, sizeof(struct ds_agg)) == -1)
			return -1;
		it->hassuffix = 1;
		if (merge_table(&it->suffix, &it->own, s->op) == -1 ||
		    (newer != NULL &&
		    merge_table(&it->suffix, &newer->suffix, s->op) == -1))
			return -1;
	}
	s->nfront = s->n;
	ds_agg_table_clear(&s->back);
	return 0;
}

int
ds_swag_evict(struct ds_swag *s, int64_t until)
{
	struct ds_swag_item *it;

	while (s->n > 0 && at(s, 0)->time <= until) {
		if (s->nfront == 0 && flip(s) == -1)
			return -1;
		it = at(s, 0);
		ds_agg_table_clear(&it->own);
		ds_table_free(&it->own);
		ds_agg_table_clear(&it->suffix);
		ds_table_free(&it->suffix);
		s->head = (s->head + 1) % s->cap;
		s->n--;
		s->nfront--;
	}
	return 0;
}

int
ds_swag_each(struct ds_swag *s,
    int (*fn)(void *, const char *, size_t, const struct ds_agg *), void *arg)
{
	struct ds_table *front = s->nfront > 0 ? &at(s, 0)->suffix : NULL;
	struct ds_agg sum, *f, *b;
	const char *k;
	size_t i, klen;
	int rc;

	if (front != NULL) {
		for (i = 0; i < ds_table_end(front); i++) {
			if ((f = ds_table_value(front, i)) == NULL)
				continue;
			k = ds_table_key(front, i, &klen);
			if ((b = ds_table_find(&s->back, k, klen)) == NULL) {
				if (fn(arg, k, klen, f) == -1)
					return -1;
				continue;
			}
			memset(&sum, 0, sizeof(sum));
			rc = ds_agg_merge(&sum, f, s->op) == -1 ||
			    ds_agg_merge(&sum, b, s->op) == -1 ||
			    fn(arg, k, klen, &sum) == -1 ? -1 : 0;
			ds_agg_free(&sum);
			if (rc == -1)
				return -1;
		}
	}
	for (i = 0; i < ds_table_end(&s->back); i++) {
		if ((b = ds_table_value(&s->back, i)) == NULL)
			continue;
		k = ds_table_key(&s->back, i, &klen);
		if (front != NULL && ds_table_find(front, k, klen) != NULL)
			continue;
		if (fn(arg, k, klen, b) == -1)
			return -1;
	}
	return 0;
}
