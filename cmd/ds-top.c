/*
 * ds-top: the running pipelines in a terminal, as top(1) shows
 * processes: a line per stage, refreshed every second, from the stages'
 * own reports, which it listens for itself (no ds-ui needed).
 */

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "ds.h"

static const char synopsis[] = "ds-top [-d delay]";

static struct ds_mon	mon;

/* What the last screen showed of a stage, for its rate. */
struct seen {
	pid_t		 pid;
	int64_t		 start;
	uint64_t	 rin;
};
static struct seen	*seen, *nseen;
static size_t		 nseenv, nnseen;

static void	draw(int64_t, int64_t);
static double	rate_of(const struct ds_mon_stage *, int64_t);
static void	human(char *, size_t, double);

int
main(int argc, char *argv[])
{
	struct pollfd pfd[2];
	char path[sizeof(mon.path)];
	int64_t delay = 1000, now, next = 0, last = 0;
	int ch, isdefault;

	while ((ch = getopt(argc, argv, "d:h")) != -1) {
		switch (ch) {
		case 'd':
			if (ds_duration_parse(optarg, &delay) == -1 ||
			    delay == 0)
				errx(2, "-d %s: not a positive duration",
				    optarg);
			break;
		default:
			ds_usage_exit(synopsis, ch == 'h');
		}
	}
	if (argc != optind)
		ds_usage_exit(synopsis, 0);
	isdefault = ds_mon_path_or_die(path, sizeof(path));
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		errx(1, "needs a terminal");
	mon.ringcap = 10;
	mon.keep = 60 * 1000;
	ds_mon_open_or_die(&mon, path, isdefault);

	/* A stop is a flag; poll(2) gives up at the signal. */
	if (ds_wake_on(SIGINT, DS_WAKE_STOP) == -1 ||
	    ds_wake_on(SIGTERM, DS_WAKE_STOP) == -1 ||
	    ds_wake_on(SIGHUP, DS_WAKE_STOP) == -1)
		err(1, "signals");
	if (initscr() == NULL) {
		ds_mon_close(&mon);
		errx(1, "cannot start curses");
	}
	cbreak();
	noecho();
	curs_set(0);
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);

	pfd[0].fd = mon.fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = STDIN_FILENO;
	pfd[1].events = POLLIN;
	while (!ds_wake_stop) {
		now = ds_now_ms();
		if (now >= next) {
			ds_mon_expire(&mon, now);
			draw(now, now - last);
			last = now;
			next = now + delay;
		}
		if (poll(pfd, 2, ds_ms_until(next, ds_now_ms())) == -1 &&
		    errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN)
			(void)ds_mon_receive(&mon, ds_now_ms());
		if (pfd[1].revents & (POLLIN | POLLHUP)) {
			ch = getch();
			if (ch == 'q' || ch == 'Q')
				break;
			if (ch == KEY_RESIZE || ch == ' ')
				next = 0;
			if (pfd[1].revents & POLLHUP)
				break;
		}
	}
	endwin();
	ds_mon_close(&mon);
	exit(0);
}

/* Records a second a stage read since the last screen. */
static double
rate_of(const struct ds_mon_stage *st, int64_t elapsed)
{
	struct seen *p;
	size_t i;
	double r = 0;

	for (i = 0; i < nseenv; i++)
		if (seen[i].pid == st->pid && seen[i].start == st->start &&
		    elapsed > 0 && st->rin >= seen[i].rin)
			r = (st->rin - seen[i].rin) * 1000.0 / elapsed;
	if ((p = reallocarray(nseen, nnseen + 1, sizeof(*p))) != NULL) {
		nseen = p;
		nseen[nnseen].pid = st->pid;
		nseen[nnseen].start = st->start;
		nseen[nnseen].rin = st->rin;
		nnseen++;
	}
	return r;
}

/* A count in 5 columns: 12345, 123k, 12.3M. */
static void
human(char *s, size_t size, double v)
{
	if (v < 99999.5)
		snprintf(s, size, "%.0f", v);
	else if (v < 9999.5e3)
		snprintf(s, size, "%.0fk", v / 1e3);
	else if (v < 9999.5e6)
		snprintf(s, size, "%.0fM", v / 1e6);
	else
		snprintf(s, size, "%.0fG", v / 1e9);
}

static void
draw(int64_t now, int64_t elapsed)
{
	struct ds_mon_pipe *pipes;
	const struct ds_mon_stage *st;
	const struct ds_mon_batch *b;
	struct seen *t;
	size_t i, j, npipe, nst = 0;
	char when[16], in[16], out[16], rate[16];
	time_t secs = now / 1000;
	struct tm tm;
	int y = 0, rows, cols;

	getmaxyx(stdscr, rows, cols);
	(void)cols;
	erase();
	npipe = ds_mon_pipes(&mon, &pipes);
	for (i = 0; i < npipe; i++)
		nst += pipes[i].n;
	localtime_r(&secs, &tm);
	strftime(when, sizeof(when), "%H:%M:%S", &tm);
	mvprintw(y++, 0, "ds-top - %s  pipelines: %zu  stages: %zu  "
	    "reports: %llu  (q quits)", when, npipe, nst,
	    (unsigned long long)mon.datagrams);
	y++;
	attron(A_REVERSE);
	mvprintw(y++, 0, "%8s %-16s %7s %6s %6s %7s %6s %6s %6s %-5s", "PID",
	    "PROGRAM", "BATCHES", "IN", "OUT", "IN/S", "SCHED", "PROC",
	    "TOTAL", "STATE");
	attroff(A_REVERSE);
	nnseen = 0;
	for (i = 0; i < npipe && y < rows; i++) {
		attron(A_BOLD);
		mvprintw(y++, 0, "pipeline %s (%s, %zu stage%s)",
		    pipes[i].id, pipes[i].ended ? "ended" : "running",
		    pipes[i].n, pipes[i].n == 1 ? "" : "s");
		attroff(A_BOLD);
		for (j = 0; j < pipes[i].n && y < rows; j++) {
			st = pipes[i].stage[j];
			b = st->nring > 0 ? ds_mon_batch_at(st,
			    st->nring - 1) : NULL;
			human(in, sizeof(in), st->rin);
			human(out, sizeof(out), st->rout);
			human(rate, sizeof(rate), rate_of(st, elapsed));
			mvprintw(y++, 0, "%8ld %-16.16s %7llu %6s %6s %7s "
			    "%6lld %6lld %6lld %-5s %s", (long)st->pid,
			    st->prog, (unsigned long long)st->batches, in, out,
			    rate, (long long)(b ? b->sched : 0),
			    (long long)(b ? b->proc : 0),
			    (long long)(b ? b->total : 0),
			    st->ended ? "ended" : "run",
			    st->cmd != NULL ? st->cmd : "");
		}
	}
	if (npipe == 0)
		mvprintw(y, 0, "no pipeline has reported yet (at %s)",
		    mon.path);
	ds_mon_pipes_free(pipes, npipe);
	refresh();
	t = seen;
	seen = nseen;
	nseenv = nnseen;
	nseen = t;
}
