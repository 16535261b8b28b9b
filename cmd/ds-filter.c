/*
 * ds-filter: keep the records that match, Spark's filter(): a PCRE2
 * regular expression, a fixed string, or a Lua boolean expression.
 */

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "ds.h"

static const char synopsis[] =
    "ds-filter [-vW] [-e regex] [-F string] [-f field] [expr]";

static void	compile_regex(const char *);
static int	matches(struct ds_reader *);
static const char *find(const char *, size_t);
static void	put_record(struct ds_writer *, const struct ds_reader *);
static void	lua_failed(struct ds_reader *, struct ds_lua *);

static pcre2_code	 *re;
static pcre2_match_data	 *md;
static pcre2_match_context *mctx;
static int		  jit;		/* pcre2_jit_match will do */
static const char	 *fixed;	/* -F */
static size_t		  fixedlen;
static struct ds_lua	 *lua;
static size_t		  field;	/* -f, or 0 for the whole record */
static int		  Wflag;	/* a Lua error drops the record */
static unsigned long long ndropped;

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer w;
	const char *regex = NULL;
	int ch, rc, m, vflag = 0;

	while ((ch = getopt(argc, argv, "e:F:f:hvW")) != -1) {
		switch (ch) {
		case 'e':
			regex = optarg;
			break;
		case 'F':
			fixed = optarg;
			fixedlen = strlen(optarg);
			break;
		case 'f':
			field = ds_field_arg_or_die("-f", optarg);
			break;
		case 'v':
			vflag = 1;
			break;
		case 'W':
			Wflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	/* One test: -e, -F or an expression; -f goes with the first two. */
	if (argc > 1 || (regex != NULL) + (fixed != NULL) + argc != 1 ||
	    (argc == 1 && field != 0))
		ds_usage_exit(synopsis, 0);
	if (regex != NULL)
		compile_regex(regex);
	if (argc == 1)
		lua = ds_lua_new_or_die(argv[0], NULL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&w, STDOUT_FILENO) == -1)
		err(1, NULL);
	r.flush = &w;
	if (ds_write_header(&w) == -1)
		ds_write_failed_die(&w);
	while ((rc = ds_read_or_die(&r)) != DS_EOF) {
		if (rc == DS_BATCH) {
			if (ds_write_batch(&w, r.time) == -1)
				ds_write_failed_die(&w);
			continue;
		}
		if ((m = matches(&r)) == -1)
			continue;
		if (m != vflag)
			put_record(&w, &r);
	}
	ds_writer_close_or_die(&w);
	ds_reader_free(&r);
	ds_lua_free(lua);
	if (ndropped > 0)
		warnx("records dropped after Lua errors: %llu", ndropped);
	exit(0);
}

static void
compile_regex(const char *regex)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	pcre2_jit_stack *stack;
	uint32_t opts;
	int code;

	re = pcre2_compile((PCRE2_SPTR)regex, PCRE2_ZERO_TERMINATED, 0,
	    &code, &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(code, msg, sizeof(msg));
		errx(2, "-e %s: at offset %zu: %s", regex, (size_t)off,
		    (char *)msg);
	}
	if ((md = pcre2_match_data_create(1, NULL)) == NULL ||
	    (mctx = pcre2_match_context_create(NULL)) == NULL)
		errx(1, "out of memory");
	/*
	 * Without JIT (an unsupported machine) the interpreter does it.
	 * pcre2_jit_match skips the UTF-8 check that a (*UTF) pattern needs
	 * on data that may not be UTF-8, so that one goes by pcre2_match,
	 * which still uses the JIT code.
	 */
	pcre2_pattern_info(re, PCRE2_INFO_ALLOPTIONS, &opts);
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0) {
		jit = (opts & PCRE2_UTF) == 0;
		/* The default 32 KiB stack fails on deep patterns. */
		if ((stack = pcre2_jit_stack_create(32 * 1024, 1024 * 1024,
		    NULL)) == NULL)
			errx(1, "out of memory");
		pcre2_jit_stack_assign(mctx, NULL, stack);
	}
}

/* 1 when the record matches, 0 when not, -1 when it is dropped (-W). */
static int
matches(struct ds_reader *r)
{
	PCRE2_UCHAR msg[256];
	const char *s;
	size_t len;
	int rc;

	if (lua != NULL) {
		ds_lua_set_record(lua, r->field, r->nfield, r->rec, r->reclen);
		if ((rc = ds_lua_bool(lua)) == -1)
			lua_failed(r, lua);
		return rc;
	}
	if (field == 0) {
		s = r->rec;
		len = r->reclen;
	} else if (field <= r->nfield) {
		s = r->field[field - 1].data;
		len = r->field[field - 1].len;
	} else
		return 0;
	if (fixed != NULL)
		return find(s, len) != NULL;
	if (jit)
		rc = pcre2_jit_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mctx);
	else
		rc = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, mctx);
	if (rc >= 0)
		return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
		return 0;
	pcre2_get_error_message(rc, msg, sizeof(msg));
	ds_record_die(r, "-e: %s", (char *)msg);
}

/*
 * The -F string in s: memchr(3) for its first byte, which is vectorized,
 * beats glibc's memmem(3) on records as short as lines.
 */
static const char *
find(const char *s, size_t len)
{
	const char *p, *last;

	if (fixedlen == 0)
		return s;
	if (fixedlen > len)
		return NULL;
	for (last = s + len - fixedlen;
	    (p = memchr(s, fixed[0], last - s + 1)) != NULL; s = p + 1)
		if (memcmp(p + 1, fixed + 1, fixedlen - 1) == 0)
			return p;
	return NULL;
}

/*
 * Write the record as it came: its line in one piece when none of its
 * fields needs an escape, which is the common case, else re-escaped.
 */
static void
put_record(struct ds_writer *w, const struct ds_reader *r)
{
	if (ds_record_clean(r)) {
		if (ds_write_escaped(w, r->rec, r->reclen) == -1 ||
		    ds_write_end(w) == -1)
			ds_write_failed_die(w);
	} else if (ds_write_record(w, r->field, r->nfield) == -1)
		ds_write_failed_die(w);
}

static void
lua_failed(struct ds_reader *r, struct ds_lua *x)
{
	if (errno == ENOMEM)
		err(1, NULL);
	if (!Wflag)
		ds_record_die(r, "lua: %s", ds_lua_error(x));
	warnx("%s:%llu: lua: %s", r->name, (unsigned long long)r->lineno,
	    ds_lua_error(x));
	ndropped++;
}
