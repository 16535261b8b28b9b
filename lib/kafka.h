/*
 * kafka.h: what ds-kafka and ds-kafka-out share over librdkafka; lib/kafka.o
 * is linked into those two programs only.  As everywhere in lib/, nothing
 * here prints or exits: messages go to the program's say() function.
 */
#ifndef DS_KAFKA_H
#define DS_KAFKA_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/*
 * A configuration with bootstrap.servers set to brokers and librdkafka's
 * log lines routed to say(), which gets a line to print (a program
 * passes a function that calls warnx).  Only warnings and worse reach
 * say(), and not the broker connection failures, which the outage report
 * of struct ds_kafka_link says once.  NULL with errno ENOMEM or EINVAL
 * (why says what).
 */
rd_kafka_conf_t *ds_kafka_conf_new(const char *brokers,
	    void (*say)(const char *), char *why, size_t whysize);

/*
 * Set property=value, the argument of an -X option.  0, or -1 with errno
 * EINVAL and why naming the property and librdkafka's complaint, never
 * the value (it may be a password).
 */
int	ds_kafka_conf_set(rd_kafka_conf_t *, const char *arg, char *why,
	    size_t whysize);

/*
 * The state of the link to the cluster, for reporting an outage once and
 * its end once.  A program feeds it librdkafka's error events and its
 * statistics (statistics.interval.ms is set by ds_kafka_conf_new); each
 * function returns 1 when the program should say so now.
 */
struct ds_kafka_link {
	int	 down;		/* reported down, not yet reported up */
	int	 up;		/* a broker connection is up */
	int	 failing;	/* a connection failed since the last
				   statistics */
	char	 why[256];	/* the outage's first error, librdkafka's */
};

/*
 * An error event (err, and librdkafka's reason): 1 when it begins an
 * outage (every broker down), 0 when not or not yet.
 */
int	ds_kafka_link_error(struct ds_kafka_link *, rd_kafka_resp_err_t,
	    const char *reason);
/*
 * A statistics event: 1 when it ends an outage (a broker is up again),
 * -1 when it begins one (connections failed and no broker is up: brokers
 * that never came up raise no error of their own), else 0.
 */
int	ds_kafka_link_stats(struct ds_kafka_link *, const char *json,
	    size_t len);

#endif /* DS_KAFKA_H */
