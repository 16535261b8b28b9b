/*
 * listen.c: main()'s way from a source's [host]:port operand to its host,
 * port and, for a server, its listening socket; it exits as cli.c's
 * helpers do.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

const char *
ds_hostport_or_die(char *arg, int server, char *port, char *place,
    size_t size)
{
	const char *errstr, *host;
	char *colon;
	int n;

	if (arg[0] == '[') {
		if ((colon = strchr(arg, ']')) == NULL || colon[1] != ':')
			errx(2, "%s: not [host]:port", arg);
		*colon++ = '\0';
		host = arg + 1;
	} else {
		if ((colon = strrchr(arg, ':')) == NULL)
			errx(2, "%s: not [host]:port", arg);
		*colon = '\0';
		host = arg;
	}
	n = strtonum(colon + 1, server ? 0 : 1, 65535, &errstr);
	if (errstr != NULL)
		errx(2, "port %s: %s", colon + 1, errstr);
	snprintf(port, DS_PORT_MAX, "%d", n);
	if (*host == '\0')
		host = server ? "127.0.0.1" : "localhost";
	snprintf(place, size, strchr(host, ':') != NULL ? "[%s]:%s" :
	    "%s:%s", host, port);
	return host;
}

int
ds_bind_or_die(const char *host, const char *port, int socktype,
    int verbose, const char *place)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char name[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, gaierr;

	if ((fd = ds_listen(host, port, socktype, &gaierr)) == -1) {
		if (gaierr != 0)
			errx(1, "%s: %s", place, gai_strerror(gaierr));
		err(1, "%s", place);
	}
	if (verbose) {
		len = sizeof(ss);
		if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			err(1, "getsockname");
		ds_addr_format((struct sockaddr *)&ss, len, name,
		    sizeof(name));
		warnx("listening on %s", name);
	}
	return fd;
}

int
ds_listen_or_die(char *arg, int socktype, int verbose, char *place,
    size_t size)
{
	const char *host;
	char port[DS_PORT_MAX];

	host = ds_hostport_or_die(arg, 1, port, place, size);
	return ds_bind_or_die(host, port, socktype, verbose, place);
}
