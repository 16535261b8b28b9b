/*
 * spawn.c: starts a command with pipes to its standard input and from its
 * standard output, for the programs that run commands.
 */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ds.h"

extern char **environ;

static int
pipe_ends(int p[2])
{
	if (pipe(p) == -1)
		return -1;
	if (fcntl(p[0], F_SETFD, FD_CLOEXEC) == -1 ||
	    fcntl(p[1], F_SETFD, FD_CLOEXEC) == -1) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	return 0;
}

int
ds_spawn(struct ds_child *c, char *const argv[], char *const envp[],
    int flags)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	struct sigaction ign, oldint;
	sigset_t none, dfl;
	int in[2], out[2], e;

	if (pipe_ends(in) == -1)
		return -1;
	if (pipe_ends(out) == -1) {
		e = errno;
		goto closein;
	}
	/* Ours are non-blocking: a program waits on them with poll(2). */
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(out[0], F_SETFL, O_NONBLOCK) == -1) {
		e = errno;
		goto closeout;
	}
	/* The command gets SIGPIPE as a shell would give it. */
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if ((e = posix_spawn_file_actions_init(&fa)) != 0)
		goto closeout;
	if ((e = posix_spawnattr_init(&attr)) != 0)
		goto destroyfa;
	if ((e = posix_spawn_file_actions_adddup2(&fa, in[0], 0)) != 0 ||
	    (e = posix_spawn_file_actions_adddup2(&fa, out[1], 1)) != 0 ||
	    (e = posix_spawnattr_setflags(&attr,
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)) != 0 ||
	    (e = posix_spawnattr_setsigdefault(&attr, &dfl)) != 0 ||
	    (e = posix_spawnattr_setsigmask(&attr, &none)) != 0)
		goto destroy;
	/* Only an ignored signal stays so across exec. */
	if (flags & DS_SPAWN_NOINT) {
		ign.sa_handler = SIG_IGN;
		ign.sa_flags = 0;
		sigemptyset(&ign.sa_mask);
		sigaction(SIGINT, &ign, &oldint);
	}
	e = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv,
	    envp != NULL ? envp : environ);
	if (flags & DS_SPAWN_NOINT)
		sigaction(SIGINT, &oldint, NULL);
destroy:
	posix_spawnattr_destroy(&attr);
destroyfa:
	posix_spawn_file_actions_destroy(&fa);
	if (e == 0) {
		close(in[0]);
		close(out[1]);
		c->in = in[1];
		c->out = out[0];
		return 0;
	}
closeout:
	close(out[0]);
	close(out[1]);
closein:
	close(in[0]);
	close(in[1]);
	errno = e;
	return -1;
}

/* The length of the name of "NAME=value", the '=' included. */
static size_t
name_len(const char *s)
{
	const char *eq = strchr(s, '=');

	return eq != NULL ? (size_t)(eq - s) + 1 : strlen(s);
}

char **
ds_env_set(char *const env[], char *const set[])
{
	char **e;
	size_t n = 0, nset = 0, i, k, j;

	while (env[n] != NULL)
		n++;
	while (set[nset] != NULL)
		nset++;
	if ((e = reallocarray(NULL, n + nset + 1, sizeof(*e))) == NULL)
		return NULL;
	for (i = k = 0; i < n; i++) {
		for (j = 0; j < nset; j++)
			if (name_len(set[j]) == name_len(env[i]) &&
			    memcmp(set[j], env[i], name_len(set[j])) == 0)
				break;
		if (j == nset)
			e[k++] = env[i];
	}
	for (j = 0; j < nset; j++)
		e[k++] = set[j];
	e[k] = NULL;
	return e;
}

char *
ds_status_text(char *buf, size_t size, int status)
{
	if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(buf, size, "exited with status %d",
		    WEXITSTATUS(status));
	return buf;
}

int
ds_pool_start(struct ds_pool *p, char *const argv[], size_t n, int flags)
{
	char part[48], total[48], *set[] = { part, total, NULL }, **env;
	int rc;

	memset(p, 0, sizeof(*p));
	if ((p->child = calloc(n, sizeof(*p->child))) == NULL ||
	    (p->done = calloc(n, sizeof(*p->done))) == NULL)
		return -1;
	snprintf(total, sizeof(total), "DS_PARTITIONS=%zu", n);
	for (; p->n < n; p->n++) {
		snprintf(part, sizeof(part), "DS_PARTITION=%zu", p->n);
		if ((env = ds_env_set(environ, set)) == NULL)
			return -1;
		rc = ds_spawn(&p->child[p->n], argv, env, flags);
		free(env);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
ds_pool_reap(struct ds_pool *p, size_t i, int block, int *status)
{
	pid_t pid;

	if (p->done[i])
		return 0;
	while ((pid = waitpid(p->child[i].pid, status, block ? 0 :
	    WNOHANG)) == -1 && errno == EINTR)
		continue;
	if (pid <= 0)
		return pid;
	p->done[i] = 1;
	return 1;
}

void
ds_pool_free(struct ds_pool *p)
{
	free(p->child);
	free(p->done);
	p->child = NULL;
	p->done = NULL;
}

int
ds_spawn_status(int e)
{
	/* As env(1) and the shell say it. */
	return e == ENOENT ? 127 : e == EACCES || e == ENOEXEC ? 126 : 1;
}

void
ds_pool_kill(struct ds_pool *p, int sig)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (!p->done[i])
			(void)kill(p->child[i].pid, sig);
}

int
ds_pool_streams(struct ds_pool *p, struct ds_reader *out,
    struct ds_fanout *in, const char *name)
{
	size_t i, nout;
	int *fd, rc = -1;

	memset(in, 0, sizeof(*in));
	if ((fd = calloc(p->n, sizeof(*fd))) == NULL)
		return -1;
	for (nout = 0; nout < p->n; nout++) {
		fd[nout] = p->child[nout].in;
		if (ds_reader_init(&out[nout], p->child[nout].out, name,
		    DS_AUTO) == -1)
			goto out;
	}
	if (ds_fanout_init(in, fd, p->n) == -1)
		goto out;
	/* Every copy reads a ds stream, whatever ours turns out to be. */
	for (i = 0; i < p->n; i++)
		if (ds_fanout_bytes(in, i, "#ds1\n", 5) == -1)
			goto out;
	rc = 0;
out:
	free(fd);
	if (rc == -1) {
		ds_fanout_free(in);
		for (i = 0; i < nout; i++)
			ds_reader_free(&out[i]);
	}
	return rc;
}
