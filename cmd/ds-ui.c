/*
 * ds-ui: the web UI of running pipelines, Spark's Streaming tab: listens
 * for the stages' metrics and serves pages, Spark's REST API for
 * streaming and Prometheus metrics over HTTP, in one thread.
 */

#include <sys/select.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ds.h"
#include "ui.h"

static const char synopsis[] =
    "ds-ui [-v] [-b batches] [-k keep] [[host]:port]";

static struct ds_mon	mon;

static int	listen_on(char *, int);
static enum MHD_Result answer(void *, struct MHD_Connection *, const char *,
		    const char *, const char *, const char *, size_t *,
		    void **);
static enum MHD_Result reply(struct MHD_Connection *, unsigned, char *,
		    const char *);
static char	*route(struct MHD_Connection *, const char *, const char **,
		    unsigned *);

int
main(int argc, char *argv[])
{
	struct MHD_Daemon *d;
	fd_set rs, ws, es;
	struct timeval tv;
	MHD_UNSIGNED_LONG_LONG mt;
	MHD_socket max;
	const char *errstr;
	char path[sizeof(mon.path)], where[] = "127.0.0.1:4040", *operand;
	int64_t now, expired = 0;
	int ch, vflag = 0, lfd, isdefault;

	mon.ringcap = 1000;
	mon.keep = 10 * 60 * 1000;
	while ((ch = getopt(argc, argv, "b:hk:v")) != -1) {
		switch (ch) {
		case 'b':
			mon.ringcap = strtonum(optarg, 1, 1000000, &errstr);
			if (errstr != NULL)
				errx(2, "-b %s: %s", optarg, errstr);
			break;
		case 'k':
			if (ds_duration_parse(optarg, &mon.keep) == -1)
				errx(2, "-k %s: not a duration", optarg);
			break;
		case 'v':
			vflag = 1;
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		ds_usage_exit(synopsis, 0);
	operand = argc == 1 ? argv[0] : where;

	isdefault = ds_mon_path_or_die(path, sizeof(path));
	lfd = listen_on(operand, vflag);
	ds_mon_open_or_die(&mon, path, isdefault);
	if ((d = MHD_start_daemon(0, 0, NULL, NULL,
	    answer, NULL, MHD_OPTION_LISTEN_SOCKET, lfd,
	    MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_END)) == NULL) {
		ds_mon_close(&mon);
		errx(1, "cannot start the HTTP server");
	}

	/* A stop is a flag; select(2) gives up at the signal. */
	if (ds_wake_on(SIGINT, DS_WAKE_STOP) == -1 ||
	    ds_wake_on(SIGTERM, DS_WAKE_STOP) == -1)
		err(1, "signals");
	signal(SIGPIPE, SIG_IGN);

	while (!ds_wake_stop) {
		FD_ZERO(&rs);
		FD_ZERO(&ws);
		FD_ZERO(&es);
		max = 0;
		if (MHD_get_fdset(d, &rs, &ws, &es, &max) != MHD_YES)
			errx(1, "HTTP server: too many connections");
		FD_SET(mon.fd, &rs);
		if (mon.fd > max)
			max = mon.fd;
		tv.tv_sec = 1;
		tv.tv_usec = 0;
		if (MHD_get_timeout(d, &mt) == MHD_YES && mt < 1000) {
			tv.tv_sec = 0;
			tv.tv_usec = mt * 1000;
		}
		if (select(max + 1, &rs, &ws, &es, &tv) == -1) {
			if (errno == EINTR)
				continue;
			err(1, "select");
		}
		now = ds_now_ms();
		if (FD_ISSET(mon.fd, &rs) && ds_mon_receive(&mon, now) == -1)
			warn("%s", mon.path);
		MHD_run_from_select(d, &rs, &ws, &es);
		if (now - expired >= 1000) {
			ds_mon_expire(&mon, now);
			expired = now;
		}
	}
	MHD_stop_daemon(d);
	ds_mon_close(&mon);
	exit(0);
}

/*
 * Bind [host]:port, loopback unless a host is given; with -v the real
 * port is reported, for port 0.
 */
static int
listen_on(char *operand, int vflag)
{
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char *host, *port, *colon, hbuf[NI_MAXHOST], pbuf[NI_MAXSERV];
	int fd = -1, e, on = 1, saved = 0;

	if ((colon = strrchr(operand, ':')) == NULL)
		ds_usage_exit(synopsis, 0);
	*colon = '\0';
	host = operand;
	port = colon + 1;
	if (*host == '[' && host[strlen(host) - 1] == ']') {
		host++;
		host[strlen(host) - 1] = '\0';
	}
	if (*host == '\0')
		host = "127.0.0.1";
	if (*port == '\0')
		errx(2, "%s:: no port", host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0)
		errx(1, "%s:%s: %s", host, port, gai_strerror(e));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol)) == -1) {
			saved = errno;
			continue;
		}
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = saved;
		err(1, "%s:%s", host, port);
	}
	if (vflag && getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, hbuf, sizeof(hbuf), pbuf,
	    sizeof(pbuf), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		warnx("listening on http://%s%s%s:%s/",
		    strchr(hbuf, ':') != NULL ? "[" : "", hbuf,
		    strchr(hbuf, ':') != NULL ? "]" : "", pbuf);
	return fd;
}

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned status, char *body,
    const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static const char json[] = "application/json";

/*
 * The answer to GET url: its body, and its type in *type; NULL with
 * errno ENOENT for no such page.
 */
static char *
route(struct MHD_Connection *c, const char *url, const char **type,
    unsigned *status)
{
	static const char api[] = "/api/v1/applications";
	char id[32], rest[64];
	const char *p, *slash, *errstr;
	size_t n;
	int64_t t;

	*type = "text/html; charset=utf-8";
	*status = MHD_HTTP_OK;
	if (strcmp(url, "/") == 0)
		return ui_index_html(&mon);
	if (strncmp(url, "/pipeline/", 10) == 0 && strlen(url + 10) <
	    sizeof(id) && strchr(url + 10, '/') == NULL)
		return ui_pipeline_html(&mon, url + 10);
	if (strcmp(url, "/metrics") == 0) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return ui_prometheus(&mon);
	}
	*type = json;
	if (strcmp(url, api) == 0 || strcmp(url, "/api/v1/applications/") ==
	    0)
		return ui_applications(&mon);
	if (strncmp(url, api, sizeof(api) - 1) != 0 ||
	    url[sizeof(api) - 1] != '/')
		return NULL;
	p = url + sizeof(api);
	if ((slash = strchr(p, '/')) == NULL && strlen(p) < sizeof(id))
		return ui_application(&mon, p);
	if (slash == NULL || (n = slash - p) == 0 || n >= sizeof(id) ||
	    strlcpy(rest, slash, sizeof(rest)) >= sizeof(rest))
		return NULL;
	memcpy(id, p, n);
	id[n] = '\0';
	if (strcmp(rest, "/streaming/statistics") == 0)
		return ui_statistics(&mon, id);
	if (strcmp(rest, "/streaming/batches") == 0)
		return ui_batches(&mon, id, MHD_lookup_connection_value(c,
		    MHD_GET_ARGUMENT_KIND, "status"));
	if (strcmp(rest, "/streaming/pipeline") == 0)
		return ui_pipeline(&mon, id);
	if (strncmp(rest, "/streaming/batches/", 19) == 0) {
		t = strtonum(rest + 19, 0, LLONG_MAX, &errstr);
		return errstr != NULL ? NULL : ui_batch(&mon, id, t);
	}
	return NULL;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *uplen, void **state)
{
	const char *type;
	unsigned status;
	char *body;

	(void)cls;
	(void)version;
	(void)upload;
	(void)uplen;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		if ((body = strdup("{\"error\":\"method not allowed\"}")) ==
		    NULL)
			return MHD_NO;
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, body, json);
	}
	errno = 0;
	if ((body = route(c, url, &type, &status)) != NULL)
		return reply(c, status, body, type);
	if (errno == ENOMEM)
		return MHD_NO;
	if ((body = strdup(type == json ? "{\"error\":\"no such resource\"}" :
	    "<!DOCTYPE html>\n<title>ds-ui: not found</title>"
	    "<p>No such page.</p>\n")) == NULL)
		return MHD_NO;
	return reply(c, MHD_HTTP_NOT_FOUND, body, type);
}
