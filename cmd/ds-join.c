/*
 * ds-join: join pair records on their key, batch by batch: the standard
 * input with another stream, Spark's join, leftOuterJoin, rightOuterJoin
 * and fullOuterJoin, or with a table file, Spark's transform with a join
 * against a static RDD.
 */

#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

#define NONE	SIZE_MAX	/* the end of a key's chain of values */

static const char synopsis[] =
    "ds-join [-Flr] [-e marker] [-t table] [stream]";

/* The right side's values by key: a batch of the stream, or the table. */
struct side {
	struct ds_table	 keys;		/* key -> struct chain */
	struct ds_buf	 bytes;		/* the values, escaped */
	struct value	*val;		/* in arrival order */
	size_t		 nval;
	size_t		 valcap;
};

struct chain {
	size_t	 first;			/* the key's values in val */
	size_t	 last;
	int	 matched;		/* joined in the current batch */
};

struct value {
	size_t	 off;			/* in bytes */
	size_t	 len;
	size_t	 next;			/* the key's next value, or NONE */
};

/* The left side's batch, records in arrival order. */
struct left {
	struct ds_buf	 bytes;		/* raw keys and escaped values */
	struct lrec	*rec;
	size_t		 nrec;
	size_t		 reccap;
};

struct lrec {
	size_t	 keyoff;
	size_t	 keylen;
	size_t	 valoff;
	size_t	 vallen;
};

static void	run_streams(const char *);
static void	run_table(const char *);
static void	need_value(struct ds_reader *);
static void	left_add(struct left *, const struct ds_reader *);
static void	side_init(struct side *);
static void	side_clear(struct side *);
static void	side_free(struct side *);
static void	side_add(struct side *, const struct ds_field *,
		    const struct ds_field *, size_t);
static void	table_load(const char *, struct side *, struct stat *);
static int	table_changed(const char *, const struct stat *);
static void	join_one(const char *, size_t, const char *, size_t,
		    struct side *);
static void	join_rest(struct side *);
static void	put(const char *, size_t, const char *, size_t,
		    const char *, size_t);

static int		 lflag;		/* left outer: unmatched left records */
static int		 rflag;		/* right outer: unmatched right ones */
static const char	*marker = "None";	/* a missing side */
static size_t		 markerlen;
static struct ds_writer	 out;

int
main(int argc, char *argv[])
{
	const char *table = NULL;
	int ch;

	while ((ch = getopt(argc, argv, "Fe:hlrt:")) != -1) {
		switch (ch) {
		case 'F':
			lflag = rflag = 1;
			break;
		case 'e':
			marker = optarg;
			break;
		case 'l':
			lflag = 1;
			break;
		case 'r':
			rflag = 1;
			break;
		case 't':
			table = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if ((table == NULL) == (argc == 0) || argc > 1)
		ds_usage_exit(synopsis, 0);
	if (table == NULL && strcmp(argv[0], "-") == 0)
		errx(2, "-: stdin is the left stream already");

	markerlen = strlen(marker);

	if (ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (table != NULL)
		run_table(table);
	else
		run_streams(argv[0]);
	ds_writer_close_or_die(&out);
	exit(0);
}

/*
 * Join the standard input with the stream at path, batch by batch: both
 * are read as they come (ds_merge), and batch T is joined once both have
 * passed T or ended; a side with no batch at T is an empty batch.
 */
static void
run_streams(const char *path)
{
	struct ds_reader in[2];
	struct ds_merge m;
	struct left left;
	struct side right;
	const struct lrec *l;
	size_t i;
	int fd, rc, lat, rat;

	if ((fd = open(path, O_RDONLY)) == -1)
		err(1, "%s", path);
	if (ds_reader_init(&in[0], STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_reader_init(&in[1], fd, path, DS_AUTO) == -1 ||
	    ds_merge_init(&m, in, 2) == -1)
		err(1, NULL);
	ds_catch_interrupt();
	in[0].flush = in[1].flush = m.flush = &out;
	memset(&left, 0, sizeof(left));
	side_init(&right);
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_merge_next(&m, &i)) != DS_EOF) {
		if (rc == -1) {
			if (m.failed < 2)
				ds_reader_die(&in[m.failed]);
			if (out.error != 0)
				ds_write_failed_die(&out);
			err(1, "poll");
		}
		if (rc == DS_RECORD) {
			need_value(&in[i]);
			if (i == 0)
				left_add(&left, &in[0]);
			else
				side_add(&right, &in[1].field[0],
				    &in[1].field[1], in[1].nfield - 1);
			continue;
		}
		lat = ds_merge_at(&m, 0);
		rat = ds_merge_at(&m, 1);
		for (i = 0; lat && i < left.nrec; i++) {
			l = &left.rec[i];
			join_one(left.bytes.data + l->keyoff, l->keylen,
			    left.bytes.data + l->valoff, l->vallen,
			    rat ? &right : NULL);
		}
		if (rflag && rat)
			join_rest(&right);
		if (lat) {
			left.bytes.len = 0;
			left.nrec = 0;
		}
		if (rat)
			side_clear(&right);
		if (ds_write_batch(&out, m.time) == -1)
			ds_write_failed_die(&out);
	}
	ds_merge_free(&m);
	ds_reader_free(&in[0]);
	ds_reader_free(&in[1]);
	(void)close(fd);
	ds_buf_free(&left.bytes);
	free(left.rec);
	side_free(&right);
}

/*
 * Join the standard input with the table file at path, record by record,
 * reloading the table at the start of a batch when the file has changed.
 */
static void
run_table(const char *path)
{
	struct ds_reader r;
	struct side table, fresh;
	struct ds_buf lval;
	struct stat id;
	int rc, check = 1;

	side_init(&table);
	table_load(path, &table, &id);
	memset(&lval, 0, sizeof(lval));
	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1)
		err(1, NULL);
	r.flush = &out;
	if (ds_write_header(&out) == -1)
		ds_write_failed_die(&out);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		/* Checked when a batch's first item arrives, not before. */
		if (check && table_changed(path, &id)) {
			side_init(&fresh);
			table_load(path, &fresh, &id);
			side_free(&table);
			table = fresh;
		}
		check = 0;
		if (rc == DS_RECORD) {
			need_value(&r);
			lval.len = 0;
			if (ds_escape_record(&lval, &r.field[1],
			    r.nfield - 1) == -1)
				err(1, NULL);
			join_one(r.field[0].data, r.field[0].len, lval.data,
			    lval.len, &table);
			continue;
		}
		if (rflag)
			join_rest(&table);
		if (ds_write_batch(&out, r.time) == -1)
			ds_write_failed_die(&out);
		check = 1;
	}
	ds_reader_free(&r);
	ds_buf_free(&lval);
	side_free(&table);
}

static void
need_value(struct ds_reader *r)
{
	if (r->nfield < 2)
		ds_record_die(r, "no field 2 (the value)");
}

static void
left_add(struct left *l, const struct ds_reader *r)
{
	struct lrec *p;
	size_t ncap;

	if (l->nrec == l->reccap) {
		ncap = l->reccap != 0 ? l->reccap * 2 : 64;
		if ((p = reallocarray(l->rec, ncap, sizeof(*p))) == NULL)
			err(1, NULL);
		l->rec = p;
		l->reccap = ncap;
	}
	p = &l->rec[l->nrec++];
	p->keyoff = l->bytes.len;
	p->keylen = r->field[0].len;
	if (ds_buf_append(&l->bytes, r->field[0].data, p->keylen) == -1)
		err(1, NULL);
	p->valoff = l->bytes.len;
	if (ds_escape_record(&l->bytes, &r->field[1], r->nfield - 1) == -1)
		err(1, NULL);
	p->vallen = l->bytes.len - p->valoff;
}

static void
side_init(struct side *s)
{
	memset(s, 0, sizeof(*s));
	if (ds_table_init(&s->keys, sizeof(struct chain)) == -1)
		err(1, NULL);
}

static void
side_clear(struct side *s)
{
	ds_table_clear(&s->keys);
	s->bytes.len = 0;
	s->nval = 0;
}

static void
side_free(struct side *s)
{
	ds_table_free(&s->keys);
	ds_buf_free(&s->bytes);
	free(s->val);
}

/* Add the value of n fields at f under key k, after the key's others. */
static void
side_add(struct side *s, const struct ds_field *k, const struct ds_field *f,
    size_t n)
{
	struct chain *c;
	struct value *v;
	size_t ncap;
	int isnew;

	if (s->nval == s->valcap) {
		ncap = s->valcap != 0 ? s->valcap * 2 : 64;
		if ((v = reallocarray(s->val, ncap, sizeof(*v))) == NULL)
			err(1, NULL);
		s->val = v;
		s->valcap = ncap;
	}
	v = &s->val[s->nval];
	v->off = s->bytes.len;
	if (ds_escape_record(&s->bytes, f, n) == -1)
		err(1, NULL);
	v->len = s->bytes.len - v->off;
	v->next = NONE;
	if ((c = ds_table_upsert(&s->keys, k->data, k->len, &isnew)) == NULL)
		err(1, NULL);
	if (isnew)
		c->first = s->nval;
	else
		s->val[c->last].next = s->nval;
	c->last = s->nval++;
}

/*
 * Read the table at path into t, each line a key, a TAB and the value's
 * fields, taken literally; id gets what identifies the file's version.
 */
static void
table_load(const char *path, struct side *t, struct stat *id)
{
	struct ds_reader r;
	int fd, rc;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, id) == -1)
		err(1, "%s", path);
	if (ds_reader_init(&r, fd, path, DS_RAW) == -1)
		err(1, NULL);
	r.flush = &out;
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc != DS_RECORD)
			continue;
		need_value(&r);
		side_add(t, &r.field[0], &r.field[1], r.nfield - 1);
	}
	ds_reader_free(&r);
	(void)close(fd);
}

/* A new inode, size or modification time makes a new version. */
static int
table_changed(const char *path, const struct stat *id)
{
	struct stat st;

	if (stat(path, &st) == -1)
		err(1, "%s", path);
	return st.st_dev != id->st_dev || st.st_ino != id->st_ino ||
	    st.st_size != id->st_size ||
	    st.st_mtim.tv_sec != id->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != id->st_mtim.tv_nsec;
}

/*
 * Join one left record (key k, escaped value lv) with the right side's
 * values of k, in their order; right may be NULL, an empty batch.
 */
static void
join_one(const char *k, size_t klen, const char *lv, size_t lvlen,
    struct side *right)
{
	struct chain *c = NULL;
	const struct value *v;
	size_t j;

	if (right != NULL)
		c = ds_table_find(&right->keys, k, klen);
	if (c == NULL) {
		if (lflag)
			put(k, klen, lv, lvlen, NULL, 0);
		return;
	}
	c->matched = 1;
	for (j = c->first; j != NONE; j = v->next) {
		v = &right->val[j];
		put(k, klen, lv, lvlen, right->bytes.data + v->off, v->len);
	}
}

/*
 * The right outer part: the right values whose key no left record had,
 * keys in order of first appearance; the marks are reset for the next
 * batch.
 */
static void
join_rest(struct side *right)
{
	struct chain *c;
	const struct value *v;
	const char *k;
	size_t i, j, klen;

	for (i = 0; i < ds_table_end(&right->keys); i++) {
		if ((c = ds_table_value(&right->keys, i)) == NULL)
			continue;
		if (c->matched) {
			c->matched = 0;
			continue;
		}
		k = ds_table_key(&right->keys, i, &klen);
		for (j = c->first; j != NONE; j = v->next) {
			v = &right->val[j];
			put(k, klen, NULL, 0, right->bytes.data + v->off,
			    v->len);
		}
	}
}

/* Write key, left value, right value; a NULL side is the marker. */
static void
put(const char *k, size_t klen, const char *lv, size_t lvlen,
    const char *rv, size_t rvlen)
{
	if (ds_write_field(&out, k, klen) == -1 ||
	    (lv != NULL ? ds_write_escaped(&out, lv, lvlen) :
	    ds_write_field(&out, marker, markerlen)) == -1 ||
	    (rv != NULL ? ds_write_escaped(&out, rv, rvlen) :
	    ds_write_field(&out, marker, markerlen)) == -1 ||
	    ds_write_end(&out) == -1)
		ds_write_failed_die(&out);
}
