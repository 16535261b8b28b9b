/*
 * kafka-mock: a Kafka cluster for the tests, librdkafka's mock brokers
 * on loopback in a process of their own, driven by commands on stdin and
 * by signals, so that kcat and the ds programs talk to it over TCP.
 *
 *	kafka-mock [-n brokers] [topic:partitions]...
 *
 * prints the bootstrap list on stdout and then, for each command line
 * on stdin, "ok" or "error: ..." once it is done:
 *
 *	down ID		take broker ID (1..n, or -1 for all) down
 *	up ID		bring it up again
 *	topic NAME N	create topic NAME with N partitions
 *	unknown NAME	make NAME an unknown topic to metadata requests,
 *			as a broker that does not auto-create topics
 *	error KEY ERR N	fail the next N requests of API KEY with ERR
 *	rtt ID MS	delay broker ID's responses by MS
 *
 * SIGUSR1 takes every broker down, SIGUSR2 brings them up; SIGTERM or
 * SIGINT stops it.  The end of stdin does not.
 */

#define _GNU_SOURCE

#include <sys/signalfd.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static rd_kafka_mock_cluster_t *mc;

static void	command(char *);
static long	number(const char *, long, long);

int
main(int argc, char *argv[])
{
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	sigset_t set;
	char errstr[512], nb[16], *colon, *line = NULL;
	size_t cap = 0;
	long nbrokers = 3;
	int ch, i, sfd, instdin = 1;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		switch (ch) {
		case 'n':
			nbrokers = number(optarg, 1, 100);
			break;
		default:
			fprintf(stderr, "usage: kafka-mock [-n brokers] "
			    "[topic:partitions]...\n");
			exit(2);
		}
	}

	/* Blocked before librdkafka's threads start, which inherit it. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1 ||
	    (sfd = signalfd(-1, &set, 0)) == -1)
		err(1, "signalfd");
	signal(SIGPIPE, SIG_IGN);

	conf = rd_kafka_conf_new();
	snprintf(nb, sizeof(nb), "%ld", nbrokers);
	if (rd_kafka_conf_set(conf, "test.mock.num.brokers", nb, errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK ||
	    rd_kafka_conf_set(conf, "log_level", "3", errstr,
	    sizeof(errstr)) != RD_KAFKA_CONF_OK)
		errx(1, "%s", errstr);
	if ((rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
	    sizeof(errstr))) == NULL)
		errx(1, "%s", errstr);
	if ((mc = rd_kafka_handle_mock_cluster(rk)) == NULL)
		errx(1, "no mock cluster");
	for (i = optind; i < argc; i++) {
		if ((colon = strrchr(argv[i], ':')) == NULL)
			errx(2, "%s: not topic:partitions", argv[i]);
		*colon = '\0';
		if (rd_kafka_mock_topic_create(mc, argv[i],
		    number(colon + 1, 1, 10000), 1) != 0)
			errx(1, "%s: cannot create", argv[i]);
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	for (;;) {
		pfd[0].fd = sfd;
		pfd[0].events = POLLIN;
		pfd[1].fd = instdin ? STDIN_FILENO : -1;
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "poll");
		}
		if (pfd[0].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				err(1, "signalfd");
			if (si.ssi_signo == SIGUSR1)
				rd_kafka_mock_broker_set_down(mc, -1);
			else if (si.ssi_signo == SIGUSR2)
				rd_kafka_mock_broker_set_up(mc, -1);
			else
				break;
		}
		if (pfd[1].revents != 0) {
			if (getline(&line, &cap, stdin) == -1) {
				instdin = 0;
				continue;
			}
			line[strcspn(line, "\n")] = '\0';
			command(line);
			fflush(stdout);
		}
	}
	rd_kafka_destroy(rk);
	return 0;
}

static void
command(char *line)
{
	char *w[5];
	int n = 0;
	rd_kafka_resp_err_t e = 0;

	while (n < 5 && (w[n] = strsep(&line, " ")) != NULL)
		if (*w[n] != '\0')
			n++;
	if (n == 2 && strcmp(w[0], "down") == 0)
		e = rd_kafka_mock_broker_set_down(mc, number(w[1], -1, 100));
	else if (n == 2 && strcmp(w[0], "up") == 0)
		e = rd_kafka_mock_broker_set_up(mc, number(w[1], -1, 100));
	else if (n == 3 && strcmp(w[0], "topic") == 0)
		e = rd_kafka_mock_topic_create(mc, w[1],
		    number(w[2], 1, 10000), 1);
	else if (n == 2 && strcmp(w[0], "unknown") == 0)
		rd_kafka_mock_topic_set_error(mc, w[1],
		    RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	else if (n == 4 && strcmp(w[0], "error") == 0) {
		rd_kafka_resp_err_t *errs;
		long i, cnt = number(w[3], 1, 1000);

		if ((errs = calloc(cnt, sizeof(*errs))) == NULL)
			err(1, NULL);
		for (i = 0; i < cnt; i++)
			errs[i] = number(w[2], -200, 1000);
		rd_kafka_mock_push_request_errors_array(mc,
		    number(w[1], 0, 1000), cnt, errs);
		free(errs);
	} else if (n == 3 && strcmp(w[0], "rtt") == 0)
		e = rd_kafka_mock_broker_set_rtt(mc, number(w[1], -1, 100),
		    number(w[2], 0, INT_MAX));
	else {
		printf("error: unknown command\n");
		return;
	}
	if (e != 0)
		printf("error: %s\n", rd_kafka_err2str(e));
	else
		printf("ok\n");
}

static long
number(const char *s, long min, long max)
{
	const char *errstr;
	long n;

	n = strtonum(s, min, max, &errstr);
	if (errstr != NULL)
		errx(2, "%s: %s", s, errstr);
	return n;
}
