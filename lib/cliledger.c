/*
 * cliledger.c: main()'s words for a ledger's errors, the same for every
 * source that keeps one; these exit 1.
 */

#include <err.h>
#include <errno.h>
#include <stdlib.h>

#include "ds.h"

void
ds_ledger_open_or_die(struct ds_ledger *l, const char *dir, const char *name)
{
	if (ds_ledger_open(l, dir, name) == -1) {
		if (errno == EWOULDBLOCK)
			errx(1, "%s: in use by another %s", dir,
			    getprogname());
		err(1, "%s", dir);
	}
}

int
ds_ledger_load_or_die(struct ds_ledger *l, struct ds_table *done)
{
	int existed;

	if ((existed = ds_ledger_load(l, done)) == -1) {
		if (errno == EBADMSG && l->lineno == 0)
			errx(1, "%s/%s: %s", l->dir, l->where, l->why);
		if (errno == EBADMSG)
			errx(1, "%s/%s:%llu: malformed state line", l->dir,
			    l->where, (unsigned long long)l->lineno);
		ds_ledger_die(l);
	}
	if (l->previous)
		warnx("%s/%s: %s; using its previous", l->dir, l->name,
		    l->why);
	return existed;
}

void
ds_ledger_die(const struct ds_ledger *l)
{
	err(1, "%s/%s", l->dir, l->where);
}
