/*
 * ds-kafka-out: write each record of a stream to a Kafka topic as a
 * message, batch by batch, and pass the stream on: Spark's foreachRDD
 * with a KafkaProducer, which Kafka's own writers do the same way.
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"
#include "kafka.h"

static const char synopsis[] = "ds-kafka-out [-b brokers] [-k field] "
    "[-f field] [-X property=value]... topic";

static struct ds_kafka_sink sink;
static struct ds_kafka_voice voice;
static struct ds_writer out;
static size_t		 kfield = 1;	/* 0: no key */
static size_t		 vfield = 2;	/* 0: the whole record */

static void	say(const char *);
static __dead void die(const char *);
static __dead void sink_die(const char *);
static void	record(struct ds_reader *);
static void	batch(int64_t);
static size_t	field_opt(const char *, const char *);

int
main(int argc, char *argv[])
{
	struct ds_reader r;
	rd_kafka_conf_t *conf;
	const char *brokers = "localhost:9092", *dir;
	char why[512];
	char **xopt;
	size_t nx = 0, i;
	int ch;

	if ((xopt = calloc(argc, sizeof(*xopt))) == NULL)
		err(1, NULL);
	while ((ch = getopt(argc, argv, "b:f:hk:X:")) != -1) {
		switch (ch) {
		case 'b':
			brokers = optarg;
			break;
		case 'f':
			vfield = field_opt("-f", optarg);
			break;
		case 'k':
			kfield = field_opt("-k", optarg);
			break;
		case 'X':
			xopt[nx++] = optarg;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1 || argv[0][0] == '\0')
		ds_usage_exit(synopsis, 0);

	/*
	 * Java's partitioner (murmur2 of the key; no key, any partition),
	 * and no duplicate or reordering on a retry; -X may say otherwise.
	 */
	voice.brokers = brokers;
	voice.say = say;
	voice.fatal = die;
	if ((conf = ds_kafka_conf_new(&voice, why, sizeof(why))) == NULL ||
	    ds_kafka_conf_set(conf, "partitioner=murmur2_random", why,
	    sizeof(why)) == -1 ||
	    ds_kafka_conf_set(conf, "enable.idempotence=true", why,
	    sizeof(why)) == -1)
		errx(1, "%s", why);
	for (i = 0; i < nx; i++)
		if (ds_kafka_conf_set(conf, xopt[i], why, sizeof(why)) == -1)
			errx(2, "-X %s", why);
	if (ds_reader_init(&r, STDIN_FILENO, "stdin", DS_AUTO) == -1 ||
	    ds_writer_init(&out, STDOUT_FILENO) == -1)
		err(1, NULL);
	if (ds_kafka_sink_open(&sink, conf, argv[0], "stdin", why,
	    sizeof(why)) == -1)
		errx(sink.rk == NULL ? 2 : 1, "%s", why);
	sink.voice = &voice;
	sink.flush = &out;
	if ((dir = ds_pipeline_dir()) != NULL &&
	    ds_kafka_sink_start(&sink, dir, xopt, nx, why, sizeof(why)) == -1)
		errx(1, "%s", why);
	free(xopt);

	/* A batch goes on only once Kafka has all of it. */
	ds_sink_or_die(&r, &out, record, batch);
	/* A torn batch was held, never sent: the replay has it whole. */
	if (r.torn)
		warnx("stdin: the stream ends inside a batch: not sent, "
		    "left to the replay");
	if (ds_kafka_sink_end(&sink, why, sizeof(why)) == -1)
		sink_die(why);
	ds_kafka_sink_close(&sink);
	ds_reader_free(&r);
	ds_writer_close_or_die(&out);
	return 0;
}

static void
say(const char *line)
{
	warnx("%s", line);
}

static __dead void
die(const char *line)
{
	errx(1, "%s", line);
}

/* The records passed on go out before the words of a failure. */
static __dead void
sink_die(const char *why)
{
	if (why[0] == '\0')
		ds_write_failed_die(&out);
	(void)ds_writer_flush(&out);
	errx(1, "%s", why);
}

/* Send the record read, or hold it for its batch end. */
static void
record(struct ds_reader *r)
{
	struct ds_kafka_msg m = { r->lineno, NULL, 0, r->rec, r->reclen };
	char why[512];

	if (kfield > r->nfield || vfield > r->nfield)
		ds_record_die(r, "no field %zu",
		    kfield > r->nfield ? kfield : vfield);
	if (kfield != 0) {
		m.key = r->field[kfield - 1].data;
		m.klen = r->field[kfield - 1].len;
	}
	if (vfield != 0) {
		m.val = r->field[vfield - 1].data;
		m.vlen = r->field[vfield - 1].len;
	}
	if (ds_kafka_sink_record(&sink, &m, why, sizeof(why)) == -1)
		sink_die(why);
}

static void
batch(int64_t t)
{
	char why[512];

	if (ds_kafka_sink_batch(&sink, t, why, sizeof(why)) == -1)
		sink_die(why);
}

/* A field number, or 0. */
static size_t
field_opt(const char *opt, const char *s)
{
	if (strcmp(s, "0") == 0)
		return 0;
	return ds_field_arg_or_die(opt, s);
}
