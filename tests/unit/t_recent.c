/*
 * t_recent.c: tests the recency table of lib/recent.c: keys found again,
 * the list in the order of the last touch, what is idle or recent,
 * removal from both, and the order a checkpoint's seqs give back.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"
#include "check.h"

struct ent {
	struct ds_recent_entry e;
	int	 v;
};

static int	order(struct ds_recent *, const char *);

/* The keys oldest first, each one byte, as a string. */
static int
order(struct ds_recent *rc, const char *want)
{
	struct ds_recent_entry *e, *prev = NULL;
	char got[64];
	size_t n = 0;

	for (e = rc->oldest; e != NULL && n < sizeof(got) - 1; e = e->next) {
		if (e->prev != prev || e->len != 1)
			return 0;
		got[n++] = e->key[0];
		prev = e;
	}
	got[n] = '\0';
	return rc->newest == prev && strcmp(got, want) == 0;
}

int
main(void)
{
	struct ds_recent rc;
	struct ent *a, *b, *c, *x;
	int isnew;

	CHECK(ds_recent_init(&rc, sizeof(struct ent)) == 0);
	CHECK(ds_recent_find(&rc, "a", 1) == NULL);
	/* Created zeroed, its key after it, and in no place of the list. */
	a = ds_recent_get(&rc, "a", 1, &isnew);
	CHECK(a != NULL && isnew && a->v == 0 && a->e.len == 1 &&
	    a->e.key == (char *)a + sizeof(*a) && a->e.key[0] == 'a');
	CHECK(order(&rc, ""));
	a->v = 7;
	x = ds_recent_get(&rc, "a", 1, &isnew);
	CHECK(x == a && !isnew && ds_recent_find(&rc, "a", 1) == a);
	b = ds_recent_get(&rc, "b", 1, &isnew);
	c = ds_recent_get(&rc, "c", 1, &isnew);
	CHECK(b != NULL && c != NULL);

	/* Each touch makes the newest. */
	ds_recent_touch(&rc, a, 0);
	ds_recent_touch(&rc, b, 0);
	ds_recent_touch(&rc, c, 0);
	CHECK(order(&rc, "abc"));
	ds_recent_touch(&rc, a, 0);
	CHECK(order(&rc, "bca") && a->e.seq == 4 && rc.lastseq == 4);
	ds_recent_touch(&rc, a, 0);
	CHECK(order(&rc, "bca"));
	ds_recent_touch(&rc, c, 0);
	CHECK(order(&rc, "bac"));
	/* Idle: the oldest, once more than idle has passed since its time. */
	ds_recent_touch(&rc, b, 1000);
	ds_recent_touch(&rc, a, 3000);
	ds_recent_touch(&rc, c, 3000);
	CHECK(ds_recent_idle(&rc, 6000, 5000) == NULL);
	CHECK(ds_recent_idle(&rc, 6000, 4999) == b);
	CHECK(ds_recent_idle(&rc, 6000, 2999) == b && order(&rc, "bac"));
	/* Since: the updates of a batch are the newest, in their order. */
	CHECK(ds_recent_since(&rc, 3000) == a && a->e.next == &c->e);
	CHECK(ds_recent_since(&rc, 1) == b);
	CHECK(ds_recent_since(&rc, 3001) == NULL);
	/* The first of a batch's updated again, or gone: the next is. */
	ds_recent_touch(&rc, a, 3000);
	CHECK(order(&rc, "bca") && ds_recent_since(&rc, 3000) == c);
	ds_recent_touch(&rc, c, 3000);
	ds_recent_touch(&rc, a, 3000);
	CHECK(order(&rc, "bca") && ds_recent_since(&rc, 3000) == c);
	ds_recent_touch(&rc, b, 4000);
	CHECK(ds_recent_since(&rc, 4000) == b &&
	    ds_recent_since(&rc, 3000) == c);
	ds_recent_touch(&rc, b, 4000);
	CHECK(ds_recent_since(&rc, 4000) == b);
	x = ds_recent_get(&rc, "d", 1, &isnew);
	ds_recent_touch(&rc, x, 5000);
	ds_recent_remove(&rc, x);
	CHECK(order(&rc, "cab") && ds_recent_since(&rc, 4000) == b &&
	    ds_recent_since(&rc, 4001) == NULL);
	ds_recent_touch(&rc, x, 5000);
	ds_recent_touch(&rc, c, 5000);
	ds_recent_remove(&rc, x);
	free(x);
	CHECK(order(&rc, "abc") && ds_recent_since(&rc, 5000) == c &&
	    ds_recent_since(&rc, 0) == a);
	ds_recent_touch(&rc, a, 6000);
	ds_recent_touch(&rc, c, 6000);
	CHECK(order(&rc, "bac") && ds_recent_since(&rc, 6000) == a);

	/* Removed from the list and the table; the table keeps its order. */
	ds_recent_remove(&rc, a);
	free(a);
	CHECK(order(&rc, "bc") && ds_recent_find(&rc, "a", 1) == NULL);
	CHECK(ds_recent_at(&rc, 0) == NULL && ds_recent_at(&rc, 1) == b &&
	    ds_recent_at(&rc, 2) == c);
	ds_recent_remove(&rc, b);
	ds_recent_remove(&rc, c);
	free(b);
	free(c);
	CHECK(order(&rc, "") && rc.oldest == NULL);
	/* A key of any bytes. */
	x = ds_recent_get(&rc, "\0\n", 2, &isnew);
	CHECK(x != NULL && isnew && memcmp(x->e.key, "\0\n", 2) == 0 &&
	    ds_recent_find(&rc, "\0", 1) == NULL);
	ds_recent_remove(&rc, x);
	free(x);

	/* Seqs as a checkpoint gives them back: the list in their order. */
	a = ds_recent_get(&rc, "a", 1, &isnew);
	b = ds_recent_get(&rc, "b", 1, &isnew);
	c = ds_recent_get(&rc, "c", 1, &isnew);
	a->e.seq = 30;
	b->e.seq = 10;
	c->e.seq = 20;
	rc.lastseq = 0;
	CHECK(ds_recent_sort(&rc) == 0);
	CHECK(order(&rc, "bca") && rc.lastseq == 30);
	ds_recent_touch(&rc, b, 0);
	CHECK(order(&rc, "cab") && b->e.seq == 31);
	free(a);
	free(b);
	free(c);
	ds_table_free(&rc.table);
	return done();
}
