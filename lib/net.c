/*
 * net.c: the sockets of the sources: a listener bound to the first
 * address that takes, its clients accepted, a connect that tries each
 * address in turn without blocking, and addresses spelled for messages.
 */

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

int
ds_nonblock(int fd)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl | O_NONBLOCK) == -1 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) == -1)
		return -1;
	return 0;
}

void
ds_addr_format(const struct sockaddr *sa, socklen_t len, char *buf,
    size_t size)
{
	char h[NI_MAXHOST], s[NI_MAXSERV];

	if (getnameinfo(sa, len, h, sizeof(h), s, sizeof(s),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(buf, size, "unknown address");
	else if (strchr(h, ':') != NULL)
		snprintf(buf, size, "[%s]:%s", h, s);
	else
		snprintf(buf, size, "%s:%s", h, s);
}

int
ds_listen(const char *host, const char *port, int socktype, int *gaierr)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, on = 1, saved = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((*gaierr = getaddrinfo(host, port, &hints, &res)) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		if ((socktype != SOCK_STREAM || setsockopt(fd, SOL_SOCKET,
		    SO_REUSEADDR, &on, sizeof(on)) == 0) &&
		    bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    (socktype != SOCK_STREAM || listen(fd, SOMAXCONN) == 0) &&
		    ds_nonblock(fd) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1)
		errno = saved;
	return fd;
}

int
ds_accept(int lfd, char *name, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, saved;

	len = sizeof(ss);
	if ((fd = accept(lfd, (struct sockaddr *)&ss, &len)) == -1) {
		/* One that gave up while it waited is none. */
		if (errno == EWOULDBLOCK || errno == EINTR ||
		    errno == ECONNABORTED)
			errno = EAGAIN;
		return -1;
	}
	if (ds_nonblock(fd) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	ds_addr_format((struct sockaddr *)&ss, len, name, size);
	return fd;
}

/*
 * Keep the error worth reporting: the ::1 of localhost failing for want
 * of IPv6 says less than 127.0.0.1 refusing.
 */
static void
failed(struct ds_connect *c, int e)
{
	if (c->err == 0 || (e != EAFNOSUPPORT && e != EADDRNOTAVAIL &&
	    e != ENETUNREACH))
		c->err = e;
}

/* Start a connect to the next address, or give up when none is left. */
static int
next(struct ds_connect *c)
{
	struct addrinfo *a;

	for (; (a = c->addr) != NULL; c->addr = a->ai_next) {
		if ((c->fd = socket(a->ai_family, a->ai_socktype,
		    a->ai_protocol)) == -1) {
			failed(c, errno);
			continue;
		}
		if (ds_nonblock(c->fd) == -1) {
			failed(c, errno);
		} else if (connect(c->fd, a->ai_addr, a->ai_addrlen) == 0) {
			ds_connect_free(c);
			return 1;
		} else if (errno == EINPROGRESS || errno == EINTR)
			return 0;
		else
			failed(c, errno);
		close(c->fd);
		c->fd = -1;
	}
	ds_connect_free(c);
	errno = c->err;
	return -1;
}

int
ds_connect_start(struct ds_connect *c, const char *host, const char *port)
{
	struct addrinfo hints;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((c->gaierr = getaddrinfo(host, port, &hints, &c->addrs)) != 0) {
		c->addrs = NULL;
		return -1;
	}
	c->addr = c->addrs;
	return next(c);
}

int
ds_connect_check(struct ds_connect *c)
{
	socklen_t len;
	int e = 0;

	len = sizeof(e);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len) == -1)
		e = errno;
	if (e == 0) {
		ds_connect_free(c);
		return 1;
	}
	failed(c, e);
	close(c->fd);
	c->fd = -1;
	c->addr = c->addr->ai_next;
	return next(c);
}

void
ds_connect_free(struct ds_connect *c)
{
	if (c->addrs != NULL)
		freeaddrinfo(c->addrs);
	c->addrs = c->addr = NULL;
}
