/*
 * merge.c: reads several streams side by side with poll(2) and hands
 * their batches over in time order.
 */

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

enum {
	READING,	/* in its current batch, time not known yet */
	HELD,		/* its batch ended at slot.time, not handed over */
	ENDED		/* at the end of its stream */
};

struct ds_merge_slot {
	int		 state;
	int64_t		 time;
	struct ds_buf	 kept;	/* ds_merge_keep's record lines */
};

int
ds_merge_init(struct ds_merge *m, struct ds_reader *in, size_t n)
{
	size_t i;

	memset(m, 0, sizeof(*m));
	m->in = in;
	m->nin = n;
	if ((m->slot = calloc(n, sizeof(*m->slot))) == NULL)
		return -1;
	if ((m->pfd = calloc(n, sizeof(*m->pfd))) == NULL) {
		free(m->slot);
		m->slot = NULL;
		return -1;
	}
	for (i = 0; i < n; i++) {
		m->slot[i].state = READING;
		in[i].nowait = 1;
	}
	return 0;
}

void
ds_merge_free(struct ds_merge *m)
{
	size_t i;

	for (i = 0; m->slot != NULL && i < m->nin; i++)
		ds_buf_free(&m->slot[i].kept);
	free(m->slot);
	free(m->pfd);
	m->slot = NULL;
	m->pfd = NULL;
}

int
ds_merge_next(struct ds_merge *m, size_t *which)
{
	struct ds_merge_slot *s;
	size_t i, k, npoll;
	int64_t first = 0;
	int rc, held;

	if (m->handed) {
		for (i = 0; i < m->nin; i++)
			if (m->slot[i].state == HELD &&
			    m->slot[i].time == m->time)
				m->slot[i].state = READING;
		m->handed = 0;
	}
	for (;;) {
		/*
		 * One sweep, starting with the input read last so that a
		 * batch is read in runs: afterwards every input still
		 * reading has nothing complete to give.
		 */
		for (k = 0; k < m->nin; k++) {
			i = (m->cur + k) % m->nin;
			s = &m->slot[i];
			if (s->state != READING)
				continue;
			rc = ds_read(&m->in[i]);
			if (rc == DS_RECORD) {
				m->cur = *which = i;
				return DS_RECORD;
			}
			if (rc == DS_BATCH) {
				s->state = HELD;
				s->time = m->in[i].time;
			} else if (rc == DS_EOF)
				s->state = ENDED;
			else if (errno != EAGAIN) {
				m->failed = *which = i;
				return -1;
			}
		}
		npoll = 0;
		held = 0;
		for (i = 0; i < m->nin; i++) {
			s = &m->slot[i];
			if (s->state == READING) {
				m->pfd[npoll].fd = m->in[i].fd;
				m->pfd[npoll].events = POLLIN;
				m->pfd[npoll].revents = 0;
				npoll++;
			} else if (s->state == HELD && (!held ||
			    s->time < first)) {
				first = s->time;
				held = 1;
			}
		}
		if (npoll == 0) {
			if (!held)
				return DS_EOF;
			m->time = first;
			m->handed = 1;
			return DS_BATCH;
		}
		m->npoll = npoll;
		if (m->nowait) {
			errno = EAGAIN;
			return -1;
		}
		if (m->flush != NULL && ds_writer_flush(m->flush) == -1) {
			m->failed = SIZE_MAX;
			return -1;
		}
		while (poll(m->pfd, npoll, -1) == -1) {
			if (errno != EINTR) {
				m->failed = SIZE_MAX;
				return -1;
			}
			/* Asked to stop: inputs between batches end now. */
			if (ds_interrupted)
				break;
		}
	}
}

int
ds_merge_at(const struct ds_merge *m, size_t i)
{
	return m->slot[i].state == HELD && m->slot[i].time == m->time;
}

int
ds_merge_keep(struct ds_merge *m, size_t i)
{
	return ds_reader_line(&m->in[i], &m->slot[i].kept);
}

int
ds_merge_write(struct ds_merge *m, struct ds_writer *w)
{
	struct ds_merge_slot *s;
	size_t i;

	for (i = 0; i < m->nin; i++) {
		s = &m->slot[i];
		if (!ds_merge_at(m, i) || s->kept.len == 0)
			continue;
		if (ds_write_bytes(w, s->kept.data, s->kept.len) == -1)
			return -1;
		s->kept.len = 0;
	}
	return ds_write_batch(w, m->time);
}
