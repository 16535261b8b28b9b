/*
 * recent.c: keyed entries in a table and in the order of their last
 * update, oldest first, so that what times out is found at the head.
 */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int
ds_recent_init(struct ds_recent *rc, size_t size)
{
	memset(rc, 0, sizeof(*rc));
	rc->size = size;
	return ds_table_init(&rc->table, sizeof(struct ds_recent_entry *));
}

void *
ds_recent_find(struct ds_recent *rc, const void *key, size_t len)
{
	struct ds_recent_entry **slot;

	slot = ds_table_find(&rc->table, key, len);
	return slot != NULL ? *slot : NULL;
}

/*
 * The key's bytes follow the program's part of the entry.  rc->run, when
 * not NULL, is the oldest of the entries last updated at the newest's
 * time, so that the updates of a batch are found without a walk through
 * them (which costs a cache miss an entry).
 */
void *
ds_recent_get(struct ds_recent *rc, const void *key, size_t len, int *isnew)
{
	struct ds_recent_entry **slot, *e;

	if ((slot = ds_table_upsert(&rc->table, key, len, isnew)) == NULL)
		return NULL;
	if (!*isnew)
		return *slot;
	if (len > SIZE_MAX - rc->size ||
	    (e = calloc(1, rc->size + len)) == NULL) {
		ds_table_remove(&rc->table, key, len);
		errno = ENOMEM;
		return NULL;
	}
	e->key = (char *)e + rc->size;
	e->len = len;
	memcpy(e->key, key, len);
	return *slot = e;
}

static void
unlink_entry(struct ds_recent *rc, struct ds_recent_entry *e)
{
	if (rc->run == e)
		rc->run = e->next;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else if (rc->oldest == e)
		rc->oldest = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else if (rc->newest == e)
		rc->newest = e->prev;
	e->prev = e->next = NULL;
}

void
ds_recent_touch(struct ds_recent *rc, void *entry, int64_t t)
{
	struct ds_recent_entry *e = entry;

	e->t = t;
	e->seq = ++rc->lastseq;
	unlink_entry(rc, e);
	e->prev = rc->newest;
	if (rc->newest != NULL)
		rc->newest->next = e;
	else
		rc->oldest = e;
	rc->newest = e;
	if (e->prev == NULL || e->prev->t < t)
		rc->run = e;
}

void *
ds_recent_idle(struct ds_recent *rc, int64_t t, int64_t idle)
{
	return rc->oldest != NULL && t - rc->oldest->t > idle ?
	    rc->oldest : NULL;
}

void *
ds_recent_since(struct ds_recent *rc, int64_t t)
{
	struct ds_recent_entry *e;

	if (rc->newest == NULL || rc->newest->t < t)
		return NULL;
	e = rc->run != NULL ? rc->run : rc->newest;
	while (e->prev != NULL && e->prev->t >= t)
		e = e->prev;
	return e;
}

void
ds_recent_remove(struct ds_recent *rc, void *entry)
{
	struct ds_recent_entry *e = entry;

	unlink_entry(rc, e);
	ds_table_remove(&rc->table, e->key, e->len);
}

void *
ds_recent_at(struct ds_recent *rc, size_t i)
{
	struct ds_recent_entry **slot;

	slot = ds_table_value(&rc->table, i);
	return slot != NULL ? *slot : NULL;
}

static int
by_seq(const void *a, const void *b)
{
	const struct ds_recent_entry *x = *(struct ds_recent_entry *const *)a;
	const struct ds_recent_entry *y = *(struct ds_recent_entry *const *)b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

int
ds_recent_sort(struct ds_recent *rc)
{
	struct ds_recent_entry **all, *e;
	size_t i, n = 0, end = ds_table_end(&rc->table);

	if ((all = reallocarray(NULL, end + 1, sizeof(*all))) == NULL)
		return -1;
	for (i = 0; i < end; i++)
		if ((e = ds_recent_at(rc, i)) != NULL)
			all[n++] = e;
	qsort(all, n, sizeof(*all), by_seq);
	rc->oldest = rc->newest = rc->run = NULL;
	for (i = 0; i < n; i++) {
		all[i]->prev = rc->newest;
		all[i]->next = NULL;
		if (rc->newest != NULL)
			rc->newest->next = all[i];
		else
			rc->oldest = all[i];
		rc->newest = all[i];
		if (all[i]->seq > rc->lastseq)
			rc->lastseq = all[i]->seq;
	}
	free(all);
	return 0;
}
