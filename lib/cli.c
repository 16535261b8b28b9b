/*
 * cli.c: what every main() would otherwise repeat; these functions print
 * with err(3) and exit 1, as their names say.
 */

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "ds.h"

int
ds_read_or_die(struct ds_reader *r)
{
	int rc;

	if ((rc = ds_read(r)) == -1)
		ds_reader_die(r);
	return rc;
}

void
ds_reader_die(struct ds_reader *r)
{
	int saved = errno;

	/* What was written before the bad input still goes out. */
	if (r->flush != NULL)
		(void)ds_writer_flush(r->flush);
	errno = saved;
	if (errno == EBADMSG)
		errx(1, "%s:%llu: %s", r->name, (unsigned long long)r->lineno,
		    r->why);
	if (errno == EMSGSIZE)
		errx(1, "%s:%llu: line longer than %zu bytes", r->name,
		    (unsigned long long)r->lineno, r->maxline);
	err(1, "%s", r->name);
}

void
ds_record_die(struct ds_reader *r, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (r->flush != NULL)
		(void)ds_writer_flush(r->flush);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errx(1, "%s:%llu: %s", r->name, (unsigned long long)r->lineno, msg);
}

void
ds_writer_close_or_die(struct ds_writer *w)
{
	if (ds_writer_close(w) == -1)
		err(1, "stdout");
}

void
ds_write_failed_die(const struct ds_writer *w)
{
	errno = w->error != 0 ? w->error : errno;
	err(1, "stdout");
}

void
ds_usage_exit(const char *synopsis, int help)
{
	fprintf(help ? stdout : stderr, "usage: %s\n", synopsis);
	exit(help ? 0 : 2);
}
