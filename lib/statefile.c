/*
 * statefile.c: the checkpoint of a stateful program's keys: a ds stream
 * whose second line names the program, the version and the operation,
 * then a record a key, then one batch end, the time the state is of.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define HEAD_MAX	128

static int	head(char *, const char *, const char *);
static int	field_is(const struct ds_field *, const char *);

static int
head(char *buf, const char *program, const char *op)
{
	int n;

	n = snprintf(buf, HEAD_MAX, "#ds1\n#%s 1 %s\n", program, op);
	if (n < 0 || n >= HEAD_MAX) {
		errno = EINVAL;
		return -1;
	}
	return n;
}

int
ds_statefile_begin(struct ds_writer *w, const char *program, const char *op)
{
	char buf[HEAD_MAX];
	int n;

	if ((n = head(buf, program, op)) == -1)
		return -1;
	return ds_write_bytes(w, buf, n);
}

int
ds_statefile_create(struct ds_writer *w, const char *dir, const char *name,
    const char *program, const char *op)
{
	int fd;

	if ((fd = ds_ckpt_create(dir, name)) == -1)
		return -1;
	if (ds_writer_init(w, fd) == -1 ||
	    ds_statefile_begin(w, program, op) == -1) {
		ds_ckpt_abandon(dir, name, fd);
		return -1;
	}
	return fd;
}

int
ds_statefile_commit(struct ds_writer *w, const char *dir, const char *name,
    int fd, int64_t t)
{
	if (ds_write_batch(w, t) == -1 || ds_writer_close(w) == -1) {
		ds_ckpt_abandon(dir, name, fd);
		return -1;
	}
	return ds_ckpt_commit(dir, name, fd);
}

int
ds_statefile_open(struct ds_reader *r, int fd, const char *name,
    const char *program, const char *op)
{
	char want[HEAD_MAX], got[HEAD_MAX];
	off_t start;
	ssize_t len;
	int n;

	if ((n = head(want, program, op)) == -1 ||
	    (start = lseek(fd, 0, SEEK_CUR)) == -1 ||
	    (len = read(fd, got, n)) == -1)
		return -1;
	if (len != n || memcmp(want, got, n) != 0) {
		errno = EBADMSG;
		return -1;
	}
	if (lseek(fd, start, SEEK_SET) == -1 ||
	    ds_reader_init(r, fd, name, DS_AUTO) == -1)
		return -1;
	r->replayed = 0;	/* a torn state is an error, no replay's */
	return 0;
}

/* A batch end made up at EOF, or none at all: the file was cut. */
int
ds_statefile_read(struct ds_reader *r)
{
	int rc;

	while ((rc = ds_read(r)) == DS_BATCH && !r->synthetic)
		;
	if (rc == -1)
		return -1;
	if (rc == DS_BATCH || (rc == DS_EOF && r->lasttime == -1)) {
		errno = ENODATA;
		return -1;
	}
	if (rc == DS_RECORD && r->lasttime != -1) {
		snprintf(r->why, sizeof(r->why), "not a checkpoint record");
		errno = EBADMSG;
		return -1;
	}
	return rc;
}

int
ds_statefile_value(struct ds_writer *w, const struct ds_agg *a, int op)
{
	char num[DS_NUM_MAX];

	if (op == DS_OP_FIRST || op == DS_OP_LAST || a->isstr)
		return ds_write_field(w, a->str.data != NULL ? a->str.data :
		    "", a->str.len);
	return ds_write_field(w, num, ds_num_format(&a->num, num));
}

static int
field_is(const struct ds_field *f, const char *s)
{
	return f->len == strlen(s) && memcmp(f->data, s, f->len) == 0;
}

/*
 * A number is one of ds(7), or one of the infinities and NaN that Lua
 * arithmetic makes, which ds_num_format writes and ds(7) does not read.
 */
int
ds_statefile_agg(struct ds_agg *a, int op, const struct ds_field *value,
    const struct ds_field *kind)
{
	if (kind != NULL && field_is(kind, "string"))
		a->isstr = 1;
	else if (kind != NULL && !field_is(kind, "number")) {
		errno = EINVAL;
		return -1;
	}
	if (op == DS_OP_FIRST || op == DS_OP_LAST || a->isstr)
		return ds_buf_append(&a->str, value->data, value->len);
	if (ds_num_parse(value->data, value->len, &a->num) == 0)
		return 0;
	a->num.isfloat = 1;
	a->num.i = 0;
	if (field_is(value, "inf"))
		a->num.d = HUGE_VAL;
	else if (field_is(value, "-inf"))
		a->num.d = -HUGE_VAL;
	else if (field_is(value, "nan"))
		a->num.d = NAN;
	else {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
