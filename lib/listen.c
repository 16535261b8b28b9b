/*
 * listen.c: main()'s way to the listening socket of a server source, from
 * its [host]:port operand; it exits as cli.c's helpers do.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int
ds_listen_or_die(char *arg, int socktype, int verbose, char *place,
    size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	const char *errstr, *host;
	char *colon, port[8], name[NI_MAXHOST + NI_MAXSERV + 4];
	int fd, gaierr, n;

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
	n = strtonum(colon + 1, 0, 65535, &errstr);
	if (errstr != NULL)
		errx(2, "port %s: %s", colon + 1, errstr);
	snprintf(port, sizeof(port), "%d", n);
	if (*host == '\0')
		host = "127.0.0.1";
	snprintf(place, size, strchr(host, ':') != NULL ? "[%s]:%s" :
	    "%s:%s", host, port);

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
