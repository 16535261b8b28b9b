/*
 * wake.c: signals as bytes on a self-pipe, so that a poll loop wakes for
 * them and learns which came, in order, with no work in the handler; the
 * one self-pipe of a process, the receiver loop's too.
 */

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ds.h"

volatile sig_atomic_t ds_wake_stop;

static int	wakefd[2] = { -1, -1 };
static volatile sig_atomic_t isstop[NSIG];	/* by DS_WAKE_STOP */

static void
on_signal(int sig)
{
	unsigned char c = sig;
	int saved = errno;

	/* Set before the byte goes: a loop that wakes finds it. */
	if (sig > 0 && sig < NSIG && isstop[sig])
		ds_wake_stop = sig;
	/* A full pipe has enough to wake on already. */
	(void)write(wakefd[1], &c, 1);
	errno = saved;
}

int
ds_wake_on(int sig, int flags)
{
	struct sigaction sa;
	int i;

	if (wakefd[0] == -1) {
		if (pipe(wakefd) == -1)
			return -1;
		for (i = 0; i < 2; i++)
			if (ds_nonblock(wakefd[i]) == -1)
				return -1;
	}
	if (sig <= 0 || sig >= NSIG) {
		errno = EINVAL;
		return -1;
	}
	if ((flags & DS_WAKE_UNIGNORED) &&
	    (sigaction(sig, NULL, &sa) == -1 || sa.sa_handler == SIG_IGN))
		return wakefd[0];
	isstop[sig] = (flags & DS_WAKE_STOP) != 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a blocking call gives up and the loop looks. */
	if (sig == SIGCHLD)
		sa.sa_flags |= SA_NOCLDSTOP;
	if (flags & DS_WAKE_ONCE)
		sa.sa_flags |= SA_RESETHAND;
	if (sigaction(sig, &sa, NULL) == -1)
		return -1;
	return wakefd[0];
}

int
ds_wake_next(void)
{
	unsigned char c;
	ssize_t n;

	while ((n = read(wakefd[0], &c, 1)) == -1 && errno == EINTR)
		continue;
	return n == 1 ? c : 0;
}
