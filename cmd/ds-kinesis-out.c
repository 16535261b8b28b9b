/*
 * ds-kinesis-out: put each record of a stream into a Kinesis stream,
 * batch by batch with PutRecords, and pass the stream on: Spark's
 * foreachRDD with the AWS SDK's putRecords, as Kinesis's writers do.
 */

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ds.h"
#include "kinesis.h"

static const char synopsis[] = "ds-kinesis-out [-e endpoint] [-k field] "
    "[-R region] stream";

/* PutRecords's limits: records a call, bytes a call, bytes a record. */
#define CALL_RECORDS	500
#define CALL_BYTES	(5 * 1024 * 1024)
#define RECORD_BYTES	(1024 * 1024)
#define KEY_MAX		256

static struct ds_kinesis kin;
static const char	*stream;
static size_t		 kfield = 1;

/* The call being filled: its records, their lines and their bytes. */
static json_t		*recs;
static int64_t		*lines;
static size_t		 nrec, bytes;

static void	add(struct ds_reader *);
static void	put(void);
static void	batch(int64_t);
static void	pause_ms(int64_t);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	struct ds_writer out;
	const char *endpoint = NULL, *region = NULL;
	char why[512];
	int ch;

	while ((ch = getopt(argc, argv, "e:hk:R:")) != -1) {
		switch (ch) {
		case 'e':
			endpoint = optarg;
			break;
		case 'k':
			kfield = ds_field_arg_or_die("-k", optarg);
			break;
		case 'R':
			region = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || argv[0][0] == '\0')
		ds_usage_exit(synopsis, 0);
	stream = argv[0];
	if (ds_kinesis_open(&kin, endpoint, region, 30000, why,
	    sizeof(why)) == -1)
		errx(1, "%s", why);
	if ((recs = json_array()) == NULL ||
	    (lines = calloc(CALL_RECORDS, sizeof(*lines))) == NULL)
		err(1, NULL);

	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	/* A batch goes on only once Kinesis has all of it. */
	ds_sink_or_die(&r, &out, add, batch);
	put();
	json_decref(recs);
	free(lines);
	ds_kinesis_close(&kin);
	ds_reader_free(&r);
	ds_writer_close_or_die(&out);
	return 0;
}

/* The record as an entry of the call, the call made first when full. */
static void
add(struct ds_reader *r)
{
	struct ds_buf b = { NULL, 0, 0 };
	const struct ds_field *key;
	json_t *e;
	size_t size;

	if (kfield > r->nfield)
		ds_record_die(r, "no field %zu for the partition key", kfield);
	key = &r->field[kfield - 1];
	if (key->len == 0 || key->len > KEY_MAX)
		ds_record_die(r, "partition key of %zu bytes: Kinesis takes "
		    "1 to %d", key->len, KEY_MAX);
	size = key->len + r->reclen;
	if (size > RECORD_BYTES)
		ds_record_die(r, "record of %zu bytes with its key: Kinesis "
		    "takes at most %d", size, RECORD_BYTES);
	if (nrec == CALL_RECORDS || bytes + size > CALL_BYTES)
		put();
	if (ds_kinesis_b64_encode(&b, r->rec, r->reclen) == -1)
		err(1, NULL);
	if ((e = json_pack("{s:s, s:s%}", "Data", b.data, "PartitionKey",
	    key->data, key->len)) == NULL)
		ds_record_die(r, "partition key: not UTF-8");
	ds_buf_free(&b);
	if (json_array_append_new(recs, e) == -1)
		err(1, NULL);
	lines[nrec++] = (int64_t)r->lineno;
	bytes += size;
}

/*
 * Put the call's records, then again those that failed, until none has
 * or DS_KINESIS_TRIES calls have been made; a failed call counts as one.
 */
static void
put(void)
{
	json_t *req, *resp, *res, *left, *e;
	int64_t first = nrec > 0 ? lines[0] : 0;
	char why[512];
	size_t i, j;
	int tries;

	for (tries = 0; nrec > 0; tries++) {
		if (tries == DS_KINESIS_TRIES)
			errx(1, "stream %s: stdin:%lld: %s; gave up after %d "
			    "tries", stream, (long long)lines[0], why, tries);
		if (tries > 0)
			pause_ms(ds_kinesis_backoff(tries - 1, 100, 5000));
		if ((req = json_pack("{s:s, s:O}", "StreamName", stream,
		    "Records", recs)) == NULL)
			err(1, NULL);
		if (ds_kinesis_call(&kin, "PutRecords", req, &resp, why,
		    sizeof(why)) == -1) {
			json_decref(req);
			if (errno == EAGAIN)
				continue;
			if (errno == ENOENT)
				errx(1, "stream %s: no such stream (%s)",
				    stream, why);
			errx(1, "stream %s: stdin:%lld: %s", stream,
			    (long long)first, why);
		}
		json_decref(req);
		res = json_object_get(resp, "Records");
		if (!json_is_array(res) || json_array_size(res) != nrec)
			errx(1, "stream %s: PutRecords answered %zu records "
			    "for %zu", stream, json_array_size(res), nrec);
		/* Those with an ErrorCode failed; the others are in. */
		if ((left = json_array()) == NULL)
			err(1, NULL);
		for (i = j = 0; i < nrec; i++) {
			e = json_array_get(res, i);
			if (json_object_get(e, "ErrorCode") == NULL)
				continue;
			snprintf(why, sizeof(why), "%s: %s",
			    json_string_value(json_object_get(e,
			    "ErrorCode")), json_string_value(json_object_get(e,
			    "ErrorMessage")) != NULL ?
			    json_string_value(json_object_get(e,
			    "ErrorMessage")) : "");
			json_array_append(left, json_array_get(recs, i));
			lines[j++] = lines[i];
		}
		json_decref(resp);
		json_decref(recs);
		recs = left;
		nrec = j;
	}
	bytes = 0;
}

static void
batch(int64_t t)
{
	(void)t;
	put();
}

static void
pause_ms(int64_t ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
