/*
 * stateful.c: a stateful stage's part in the exactly-once protocol of
 * ds(7): its commit, and the output it keeps until the stages after it
 * have committed it.
 */

#include <errno.h>
#include <string.h>

#include "ds.h"

int
ds_stateful_join(struct ds_stateful *s, const char *stage)
{
	memset(s, 0, sizeof(*s));
	s->stage = stage;
	s->committed = -1;
	s->ck.fd = -1;
	if ((s->dir = ds_pipeline_dir()) == NULL)
		return DS_CKPT_NONE;
	return ds_commit_oldest(s->dir, stage, &s->committed, &s->ck);
}

int
ds_stateful_commit(struct ds_stateful *s, int64_t t)
{
	if (s->dir == NULL)
		return 0;
	return ds_commit_save(s->dir, s->stage, t);
}

int
ds_stateful_replay(struct ds_stateful *s, int64_t t, struct ds_writer *w)
{
	if (s->dir == NULL || t <= s->committed)
		return 0;
	return ds_kept_replay(&s->kept, t, w);
}

int
ds_stateful_open(struct ds_stateful *s)
{
	return s->dir != NULL ? ds_kept_open(&s->kept) : 0;
}

int
ds_stateful_keep(struct ds_stateful *s, int64_t t, const char *lines,
    size_t len)
{
	return s->dir != NULL ? ds_kept_add(&s->kept, t, lines, len) : 0;
}

int
ds_stateful_trim(struct ds_stateful *s)
{
	int64_t t;

	if (s->dir == NULL)
		return 0;
	if (ds_commit_oldest(s->dir, s->stage, &t, &s->ck) == -1)
		return -1;
	ds_kept_trim(&s->kept, t);
	return 0;
}
