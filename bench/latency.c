/*
 * latency: the two ends of the latency benchmark.  "latency serve RATE
 * SECONDS" listens on a loopback port (printed on stdout), and sends the
 * connecting ds-socket a line RATE times a second; "latency sink" reads
 * `ds-cat -t` lines and reports how long after its batch time each record
 * left the pipeline: median, 99th percentile and maximum.
 */

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double	now_ms(void);
static int	by_value(const void *, const void *);
static int	serve(double, double);
static int	sink(void);

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
serve(double rate, double seconds)
{
	struct sockaddr_in sin;
	struct timespec ts;
	socklen_t len = sizeof(sin);
	double start, next;
	char line[64];
	long i, n;
	int s, c, one = 1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(s, 1) == -1 ||
	    getsockname(s, (struct sockaddr *)&sin, &len) == -1)
		err(1, "bind");
	printf("%d\n", ntohs(sin.sin_port));
	fflush(stdout);
	if ((c = accept(s, NULL, NULL)) == -1)
		err(1, "accept");
	n = rate * seconds;
	start = now_ms();
	for (i = 0; i < n; i++) {
		next = start + i * 1000.0 / rate;
		while (now_ms() < next) {
			ts.tv_sec = 0;
			ts.tv_nsec = 50000;
			nanosleep(&ts, NULL);
		}
		len = snprintf(line, sizeof(line), "record %ld\n", i);
		if (write(c, line, len) != (ssize_t)len)
			err(1, "write");
	}
	close(c);
	return 0;
}

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int
sink(void)
{
	char *line = NULL;
	size_t cap = 0, n = 0, max = 0;
	double *lat = NULL, t;

	while (getline(&line, &cap, stdin) != -1) {
		t = now_ms() - strtod(line, NULL);
		if (n == max) {
			max = max != 0 ? max * 2 : 1024;
			if ((lat = reallocarray(lat, max, sizeof(*lat))) == NULL)
				err(1, NULL);
		}
		lat[n++] = t;
	}
	if (n == 0)
		errx(1, "no records");
	qsort(lat, n, sizeof(*lat), by_value);
	printf("%zu records: median %.3f ms, p99 %.3f ms, max %.3f ms\n", n,
	    lat[n / 2], lat[n * 99 / 100], lat[n - 1]);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc == 4 && strcmp(argv[1], "serve") == 0)
		return serve(atof(argv[2]), atof(argv[3]));
	if (argc == 2 && strcmp(argv[1], "sink") == 0)
		return sink();
	fprintf(stderr, "usage: latency serve rate seconds | latency sink\n");
	return 2;
}
