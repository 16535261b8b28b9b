/*
 * ds-save: saveAsTextFiles: each batch to a file named by its time,
 * written under a hidden name and renamed whole, while the stream passes
 * through as tee(1) passes its input.
 */

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

static const char synopsis[] = "ds-save [-q] prefix [suffix]";

static struct ds_writer	out;	/* the stream passed through */
static int		qflag;

static const char	*prefix;
static const char	*suffix;	/* NULL: none */
static size_t		 dirlen;	/* prefix[0..dirlen) is its directory
					   part, slash included */
static int		 outdirfd;	/* where the files go */
static char		*tmpname;	/* the open batch's file, in outdirfd */

static const char	*pipedir;	/* $DS_CHECKPOINT: commit there */
static int64_t		 committed = -1;

static struct ds_writer	file;	/* the open batch's file */
static int		fileopen;	/* file.fd is the temporary file */
static int		failed;		/* errno of a failure on it, or 0 */

static void	start_file(void);
static void	put_record(const struct ds_reader *);
static void	save(int64_t);
static void	discard(void);
static char	*name_of(const char *, int);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_ckpt ck;
	char *dir;
	int ch, rc;

	while ((ch = getopt(argc, argv, "hq")) != -1) {
		switch (ch) {
		case 'q':
			qflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc > 2)
		ds_usage_exit(synopsis, 0);
	prefix = argv[0];
	if (argc == 2 && argv[1][0] != '\0')
		suffix = argv[1];
	if (suffix != NULL && strchr(suffix, '/') != NULL)
		errx(2, "suffix %s: holds a slash", suffix);

	/* The files go beside the prefix, so that a rename moves them. */
	if ((dir = strrchr(prefix, '/')) != NULL)
		dirlen = dir - prefix + 1;
	if (dirlen == 0)
		dir = strdup(".");
	else
		dir = strndup(prefix, dirlen > 1 ? dirlen - 1 : dirlen);
	if (dir == NULL)
		err(1, NULL);
	if ((outdirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		err(1, "%s", dir);
	free(dir);
	if ((tmpname = name_of("tmp", 1)) == NULL)
		err(1, NULL);
	if ((pipedir = ds_pipeline_dir()) != NULL &&
	    ds_commit_load(pipedir, "ds-save", &committed, &ck) == -1) {
		if (errno == EBADMSG)
			errx(1, "%s/%s: %s", pipedir, ck.name, ck.why);
		err(1, "%s/%s", pipedir, ck.name);
	}
	if (pipedir != NULL && ck.status == DS_CKPT_PREVIOUS)
		warnx("%s/%s: %s; using its previous", pipedir, ck.name, ck.why);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1)
		err(1, NULL);
	if (!qflag) {
		if (ds_writer_init(&out, STDOUT_FILENO) == -1)
			err(1, NULL);
		if (ds_write_header(&out) == -1)
			ds_write_failed_die(&out);
		r.flush = &out;
	}
	ds_catch_interrupt();
	while ((rc = ds_read(&r)) != DS_EOF) {
		if (rc == -1) {
			discard();
			ds_reader_die(&r);
		}
		if (rc == DS_RECORD) {
			put_record(&r);
			continue;
		}
		if (r.synthetic && pipedir != NULL) {
			/* Its end, and its true time, come with the replay. */
			discard();
			warnx("stdin: the stream ends inside a batch: "
			    "not saved, left to the replay");
			break;
		}
		save(r.time);
		if (pipedir != NULL && r.time > committed) {
			if (ds_commit_save(pipedir, "ds-save", r.time) == -1)
				err(1, "%s/ds-save.commit", pipedir);
			committed = r.time;
		}
		if (!qflag && ds_write_batch(&out, r.time) == -1)
			ds_write_failed_die(&out);
	}
	if (r.torn) {
		discard();
		warnx("stdin: the stream ends inside a batch: "
		    "not saved, left to the replay");
	}
	ds_reader_free(&r);
	if (!qflag)
		ds_writer_close_or_die(&out);
	exit(0);
}

/*
 * The base name of the file of batch time, Spark's PREFIX-TIME.SUFFIX;
 * hidden, with a leading dot, for the temporary file, whose time reads
 * "tmp", so that ds-dir and ls pass it by.  NULL when out of memory.
 */
static char *
name_of(const char *time, int hidden)
{
	const char *base = prefix + dirlen;
	char *s;
	int n;

	n = snprintf(NULL, 0, "%s%s%s%s%s%s", hidden ? "." : "", base,
	    prefix[0] != '\0' ? "-" : "", time, suffix != NULL ? "." : "",
	    suffix != NULL ? suffix : "");
	if ((s = malloc(n + 1)) == NULL)
		return NULL;
	snprintf(s, n + 1, "%s%s%s%s%s%s", hidden ? "." : "", base,
	    prefix[0] != '\0' ? "-" : "", time, suffix != NULL ? "." : "",
	    suffix != NULL ? suffix : "");
	return s;
}

/* Open the batch's temporary file, unless a failure is waiting. */
static void
start_file(void)
{
	int fd;

	if (fileopen || failed != 0)
		return;
	if ((fd = openat(outdirfd, tmpname, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0666)) == -1) {
		failed = errno;
		return;
	}
	if (ds_writer_init(&file, fd) == -1)
		err(1, NULL);
	fileopen = 1;
}

/* A record goes to the file as ds-cat writes it, and passes through. */
static void
put_record(const struct ds_reader *r)
{
	start_file();
	if (fileopen && (ds_write_bytes(&file, r->rec, r->reclen) == -1 ||
	    ds_write_bytes(&file, "\n", 1) == -1)) {
		/* Free the space now; the batch end reports it by name. */
		failed = errno;
		discard();
	}
	if (!qflag && ds_write_record(&out, r->field, r->nfield) == -1)
		ds_write_failed_die(&out);
}

/*
 * Make the batch's file durable under its final name, replacing any file
 * of the same time, or report the first failure, naming that file, and
 * exit 1 with no partial file left.
 */
static void
save(int64_t time)
{
	char t[24], *name;

	snprintf(t, sizeof(t), "%lld", (long long)time);
	if ((name = name_of(t, 0)) == NULL)
		err(1, NULL);
	start_file();
	if (fileopen) {
		if (ds_writer_flush(&file) == -1 || fsync(file.fd) == -1)
			failed = errno;
		fileopen = 0;
		(void)ds_writer_close(&file);
		if (close(file.fd) == -1 && failed == 0)
			failed = errno;
		if (failed == 0 &&
		    renameat(outdirfd, tmpname, outdirfd, name) == -1)
			failed = errno;
		if (failed != 0)
			(void)unlinkat(outdirfd, tmpname, 0);
		/* Some file systems cannot sync a directory: EINVAL. */
		else if (fsync(outdirfd) == -1 && errno != EINVAL)
			failed = errno;
	}
	if (failed != 0) {
		if (!qflag)
			(void)ds_writer_flush(&out);
		errno = failed;
		err(1, "%.*s%s", (int)dirlen, prefix, name);
	}
	free(name);
}

/* Drop the open batch's file, if any. */
static void
discard(void)
{
	if (!fileopen)
		return;
	fileopen = 0;
	(void)ds_writer_close(&file);
	(void)close(file.fd);
	(void)unlinkat(outdirfd, tmpname, 0);
}
