/*
 * cli.c: what every main() would otherwise repeat; these functions print
 * with err(3) and exit 1, as their names say.
 */

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

static void
on_interrupt(int sig)
{
	if (ds_interrupted) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
	ds_interrupted = 1;
}

void
ds_catch_interrupt(void)
{
	static int caught;
	struct sigaction sa;

	if (caught)
		return;
	caught = 1;
	/* An interrupt a shell has us ignore stays ignored. */
	if (sigaction(SIGINT, NULL, &sa) == -1 || sa.sa_handler == SIG_IGN)
		return;
	/* No SA_RESTART: a read from a raw input must give up. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
}

void
ds_reader_die(struct ds_reader *r)
{
	int saved = errno;
	char msg[PATH_MAX + 256];

	/* What was written before the bad input still goes out. */
	if (r->flush != NULL)
		(void)ds_writer_flush(r->flush);
	errx(1, "%s", ds_reader_error(r, saved, msg, sizeof(msg)));
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

struct ds_agg *
ds_batch_agg_or_die(struct ds_table *batch, struct ds_reader *r,
    size_t kfield, int *isnew)
{
	const struct ds_field *k;
	struct ds_agg *a;

	if (kfield > r->nfield)
		ds_record_die(r, "no field %zu", kfield);
	k = &r->field[kfield - 1];
	if ((a = ds_table_upsert_padded(batch, k->data, k->len,
	    isnew)) == NULL)
		err(1, NULL);
	return a;
}

int
ds_batch_add_or_die(struct ds_table *batch, struct ds_reader *r, int op,
    size_t kfield, size_t vfield, int skip)
{
	const struct ds_field *k;
	struct ds_agg *a;
	int isnew;

	a = ds_batch_agg_or_die(batch, r, kfield, &isnew);
	if (ds_agg_add_or_die(r, a, op, vfield, skip) == 0)
		return 0;
	/* A key seen with no value is not one of the batch's. */
	if (isnew) {
		k = &r->field[kfield - 1];
		ds_table_remove(batch, k->data, k->len);
	}
	return -1;
}

void
ds_statefile_open_or_die(struct ds_reader *r, int fd, const char *name,
    const char *program, const char *op)
{
	if (ds_statefile_open(r, fd, name, program, op) == -1) {
		if (errno == EBADMSG)
			errx(1, "%s: not a %s checkpoint for -o %s", name,
			    program, op);
		err(1, "%s", name);
	}
}

int64_t
ds_statefile_int_or_die(struct ds_reader *r, const struct ds_field *f,
    int64_t min)
{
	struct ds_num n;

	if (ds_num_parse(f->data, f->len, &n) == -1 || n.isfloat || n.i < min)
		ds_record_die(r, "not a checkpoint record");
	return n.i;
}

void
ds_statefile_agg_or_die(struct ds_reader *r, struct ds_agg *a, int op,
    const struct ds_field *value, const struct ds_field *kind)
{
	if (ds_statefile_agg(a, op, value, kind) == -1) {
		if (errno == ENOMEM)
			err(1, NULL);
		ds_record_die(r, "not a checkpoint record");
	}
}

int
ds_names_arg_or_die(const char *opt, const char *arg,
    const char *const names[])
{
	struct ds_buf all = { 0 };
	const char *s = arg, *sep;
	size_t i, len;
	int set = 0;

	for (;;) {
		len = strcspn(s, ",");
		for (i = 0; names[i] != NULL; i++)
			if (strlen(names[i]) == len &&
			    strncmp(s, names[i], len) == 0)
				break;
		if (names[i] == NULL)
			break;
		set |= 1 << i;
		if (s[len] == '\0')
			return set;
		s += len + 1;
	}
	for (i = 0; names[i] != NULL; i++) {
		sep = i == 0 ? "" : names[i + 1] == NULL ? " and " : ", ";
		if (ds_buf_append(&all, sep, strlen(sep)) == -1 ||
		    ds_buf_append(&all, names[i], strlen(names[i])) == -1)
			err(1, NULL);
	}
	if (ds_buf_append(&all, "", 1) == -1)
		err(1, NULL);
	errx(2, "%s %s: not a list of %s", opt, arg, all.data);
}

int
ds_statefile_read_or_die(struct ds_reader *r)
{
	int rc;

	if ((rc = ds_statefile_read(r)) == -1) {
		if (errno == ENODATA)
			errx(1, "%s: truncated", r->name);
		ds_reader_die(r);
	}
	return rc;
}

size_t
ds_field_arg_or_die(const char *opt, const char *s)
{
	const char *errstr;
	size_t n;

	n = strtonum(s, 1, INT_MAX, &errstr);
	if (errstr != NULL)
		errx(2, "%s %s: field number is %s", opt, s, errstr);
	return n;
}

int
ds_agg_add_failed(struct ds_reader *r, size_t fieldno, int skip)
{
	const struct ds_field *v;
	char q[64];

	if (fieldno > r->nfield)
		ds_record_die(r, "no field %zu", fieldno);
	if (errno == EINVAL && skip)
		return -1;
	v = &r->field[fieldno - 1];
	ds_quote(q, sizeof(q), v->data, v->len);
	if (errno == EINVAL)
		ds_record_die(r, "field %zu: not a number: \"%s\"", fieldno, q);
	if (errno == ERANGE)
		ds_record_die(r, "field %zu: number out of range: \"%s\"",
		    fieldno, q);
	if (errno == EOVERFLOW)
		ds_record_die(r, "field %zu: the sum overflows at \"%s\"",
		    fieldno, q);
	if (errno == ECANCELED)
		ds_record_die(r, "lua: %s", ds_agg_reducer()->why);
	err(1, NULL);
}

int64_t
ds_duration_arg_or_die(const char *opt, const char *s)
{
	int64_t ms;

	if (ds_duration_parse(s, &ms) == -1 || ms == 0)
		errx(2, "%s %s: not a positive duration", opt, s);
	return ms;
}

void
ds_window_opt_or_die(struct ds_window_opts *o, int ch, const char *arg)
{
	char opt[3] = { '-', ch, '\0' };
	int64_t ms;

	if (ch == 'a') {
		o->align = 1;
		return;
	}
	ms = ds_duration_arg_or_die(opt, arg);
	if (ch == 'i')
		o->interval = ms;
	else if (ch == 's')
		o->slide = ms;
	else
		o->length = ms;
}

void
ds_keyed_init_or_die(struct ds_keyed *k, int op, int keymode,
    struct ds_writer *out, const struct ds_window_opts *o)
{
	if (o->length == 0 && (o->slide != 0 || o->interval != 0))
		errx(2, "-s and -i need -w");
	if (o->length == 0 && o->align)
		errx(2, "-a needs -w");
	if (ds_keyed_init(k, op, keymode, out, o->length, o->slide,
	    o->align ? 0 : o->interval) == 0 && (!o->align ||
	    ds_window_init_calendar(&k->win, o->length, o->slide,
	    o->interval) == 0))
		return;
	if (errno == EINVAL)
		errx(2, "%s", k->win.why);
	err(1, NULL);
}

void
ds_keyed_batch_or_die(struct ds_keyed *k, struct ds_reader *r)
{
	int64_t t;

	t = r->synthetic && k->windowed ?
	    ds_window_unclosed(&k->win, r->time) : r->time;
	if (ds_keyed_batch(k, t) == 0) {
		if (k->out->error != 0)
			ds_write_failed_die(k->out);
		return;
	}
	if (errno == EINVAL) {
		(void)ds_writer_flush(k->out);
		errx(2, "%s", k->win.why);
	}
	if (errno == EDOM)
		ds_record_die(r, "%s", k->win.why);
	if (errno == EOVERFLOW)
		ds_record_die(r, "the window's sum overflows");
	if (errno == ECANCELED)
		ds_record_die(r, "lua: %s", ds_agg_reducer()->why);
	err(1, NULL);
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
ds_sink_or_die(struct ds_reader *r, struct ds_writer *out,
    void (*record)(struct ds_reader *), void (*batch)(int64_t))
{
	int rc;

	r->flush = out;
	if (ds_write_header(out) == -1)
		ds_write_failed_die(out);
	while ((rc = ds_read_or_die(r)) != DS_EOF) {
		if (rc == DS_RECORD) {
			record(r);
			if (ds_write_record(out, r->field, r->nfield) == -1)
				ds_write_failed_die(out);
			continue;
		}
		/* What came before is on its way while batch() waits. */
		if (ds_writer_flush(out) == -1)
			ds_write_failed_die(out);
		batch(r->time);
		if (ds_write_batch(out, r->time) == -1)
			ds_write_failed_die(out);
		ds_writer_mark(out);
	}
}

static int	pipe_ignored;	/* SIGPIPE was ignored when we started */

void
ds_ignore_sigpipe(void)
{
	struct sigaction sa;

	pipe_ignored = sigaction(SIGPIPE, NULL, &sa) == 0 &&
	    sa.sa_handler == SIG_IGN;
	signal(SIGPIPE, SIG_IGN);
}

void
ds_write_failed_pipe_die(const struct ds_writer *w)
{
	if (w->error == EPIPE && !pipe_ignored) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	ds_write_failed_die(w);
}

void
ds_usage_exit(const char *synopsis, int help)
{
	fprintf(help ? stdout : stderr, "usage: %s\n", synopsis);
	exit(help ? 0 : 2);
}

void
ds_source_opts_init(struct ds_source_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->interval = 1000;
	o->delay = 2000;	/* Spark's receiverRestartDelay */
}

int
ds_source_opt_or_die(struct ds_source_opts *o, const char *letters, int ch,
    const char *arg)
{
	const char *errstr;

	if (ch == ':' || strchr(letters, ch) == NULL)
		return 0;
	switch (ch) {
	case 'c':
		o->checkpoint = arg;
		break;
	case 'i':
		if (ds_duration_parse(arg, &o->interval) == -1 ||
		    o->interval == 0)
			errx(2, "-i %s: not a positive duration", arg);
		break;
	case 'N':
		o->maxbatches = strtonum(arg, 1, LLONG_MAX, &errstr);
		if (errstr != NULL)
			errx(2, "-N %s: %s", arg, errstr);
		break;
	case 'r':
		if (ds_duration_parse(arg, &o->delay) == -1 || o->delay == 0)
			errx(2, "-r %s: not a positive duration", arg);
		break;
	case 'v':
		o->verbose = 1;
		break;
	case 'W':
		o->wal = arg;
		break;
	default:
		return 0;
	}
	return 1;
}

void
ds_recv_run_or_die(struct ds_recv *rv)
{
	if (ds_recv_run(rv) == 0) {
		if (rv->why == DS_RECV_GONE)
			exit(0);
		return;
	}
	if (rv->out->error != 0)
		ds_source_write_failed_die(rv->out);
	err(1, NULL);
}

void
ds_source_write_failed_die(const struct ds_writer *w)
{
	if (w->error == EPIPE)
		exit(0);
	ds_write_failed_die(w);
}

void
ds_line_warn(const char *line)
{
	warnx("%s", line);
}

void
ds_line_die(const char *line)
{
	errx(1, "%s", line);
}

void
ds_ranges_die(const struct ds_ranges *lg)
{
	if (errno == EBADMSG)
		errx(1, "%s", lg->why);
	err(1, "%s", lg->why);
}

/* Exit 1 naming the commit record of dir refused, or the failure. */
static __dead void
commit_die(const char *dir, const struct ds_ckpt *c)
{
	if (errno == EBADMSG)
		errx(1, "%s/%s: %s", dir, c->name, c->why);
	err(1, "%s", dir);
}

/* What ds_commit_oldest returned, rc, said in words. */
static void
commit_check(int rc, const char *dir, const struct ds_ckpt *c)
{
	if (rc == -1)
		commit_die(dir, c);
	if (rc == DS_CKPT_PREVIOUS)
		warnx("%s/%s: %s; using its previous", dir, c->name, c->why);
}

int64_t
ds_committed_or_die(void)
{
	struct ds_ckpt c;
	const char *dir;
	int64_t t;

	if ((dir = ds_pipeline_dir()) == NULL)
		return INT64_MAX;
	commit_check(ds_commit_oldest(dir, NULL, &t, &c), dir, &c);
	return t;
}

void
ds_stateful_join_or_die(struct ds_stateful *s, const char *stage)
{
	commit_check(ds_stateful_join(s, stage), s->dir, &s->ck);
}

void
ds_stateful_trim_or_die(struct ds_stateful *s)
{
	if (ds_stateful_trim(s) == -1)
		commit_die(s->dir, &s->ck);
}

void
ds_stateful_commit_or_die(struct ds_stateful *s, int64_t t)
{
	if (ds_stateful_commit(s, t) == -1)
		err(1, "%s/%s.commit", s->dir, s->stage);
}
