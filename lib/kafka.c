/*
 * kafka.c: the configuration and the outage reports that ds-kafka and
 * ds-kafka-out share.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <jansson.h>

#include "kafka.h"

static void	(*log_say)(const char *);

/*
 * librdkafka logs each failed connection attempt; the outage report says
 * it once instead, and the programs report a failed commit themselves.
 * What else it says at warning level or worse (a
 * configuration property that does not apply, a TLS failure) goes on.
 */
static void
log_line(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	char line[1024];

	if (level > LOG_WARNING || strcmp(fac, "FAIL") == 0 ||
	    strcmp(fac, "ERROR") == 0 || strcmp(fac, "COMMITFAIL") == 0)
		return;
	(void)rk;
	if (log_say == NULL)
		return;
	snprintf(line, sizeof(line), "librdkafka: %s: %s", fac, buf);
	log_say(line);
}

rd_kafka_conf_t *
ds_kafka_conf_new(const char *brokers, void (*say)(const char *),
    char *why, size_t whysize)
{
	rd_kafka_conf_t *conf;

	if ((conf = rd_kafka_conf_new()) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, why,
	    whysize) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "client.id", "ds", why, whysize) !=
	    RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "statistics.interval.ms", "1000", why,
	    whysize) != RD_KAFKA_CONF_OK ||
	    /* Back within 2s of the brokers, Spark's receiverRestartDelay. */
	    rd_kafka_conf_set(conf, "reconnect.backoff.max.ms", "2000", why,
	    whysize) != RD_KAFKA_CONF_OK) {
		rd_kafka_conf_destroy(conf);
		errno = EINVAL;
		return NULL;
	}
	/* One configuration a process: the callback has no argument for it. */
	log_say = say;
	rd_kafka_conf_set_log_cb(conf, log_line);
	return conf;
}

int
ds_kafka_conf_set(rd_kafka_conf_t *conf, const char *arg, char *why,
    size_t whysize)
{
	const char *eq;
	char name[256], msg[512];

	if ((eq = strchr(arg, '=')) == NULL || eq == arg) {
		if (eq == NULL)
			snprintf(why, whysize, "%s: not property=value", arg);
		else
			snprintf(why, whysize, "not property=value");
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "%.*s", (int)(eq - arg), arg);
	if (rd_kafka_conf_set(conf, name, eq + 1, msg, sizeof(msg)) !=
	    RD_KAFKA_CONF_OK) {
		snprintf(why, whysize, "%s: %s", name, msg);
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int
ds_kafka_link_error(struct ds_kafka_link *l, rd_kafka_resp_err_t e,
    const char *reason)
{
	if (e == RD_KAFKA_RESP_ERR__TRANSPORT ||
	    e == RD_KAFKA_RESP_ERR__RESOLVE) {
		if (!l->failing && !l->down)
			snprintf(l->why, sizeof(l->why), "%s", reason);
		l->failing = 1;
		return 0;
	}
	if (e != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN)
		return 0;
	l->up = 0;
	if (l->down)
		return 0;
	snprintf(l->why, sizeof(l->why), "%s", reason);
	l->down = 1;
	return 1;
}

/*
 * The statistics list every broker with its state; a broker the client
 * talks to (not librdkafka's internal one) in state UP is a link.
 */
int
ds_kafka_link_stats(struct ds_kafka_link *l, const char *json, size_t len)
{
	json_t *root, *brokers, *b, *state, *source;
	const char *name;
	int up = 0;

	if ((root = json_loadb(json, len, 0, NULL)) == NULL)
		return 0;
	brokers = json_object_get(root, "brokers");
	json_object_foreach(brokers, name, b) {
		state = json_object_get(b, "state");
		source = json_object_get(b, "source");
		if (json_is_string(state) &&
		    strcmp(json_string_value(state), "UP") == 0 &&
		    !(json_is_string(source) &&
		    strcmp(json_string_value(source), "internal") == 0))
			up = 1;
	}
	json_decref(root);
	l->up = up;
	if (!up && l->failing && !l->down) {
		l->down = 1;
		return -1;
	}
	if (up)
		l->failing = 0;
	if (!up || !l->down)
		return 0;
	l->down = 0;
	return 1;
}
