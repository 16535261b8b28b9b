/*
 * wcfloor: the plain single-process C word count that the ds pipeline is
 * measured against: getline, split on blanks, an open-addressing table,
 * the counts of every batch of N lines written at its end.
 */

#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct slot {
	char	*word;
	size_t	 len;
	long	 count;
	size_t	 order;		/* first appearance, for the output */
};

static struct slot	*slot;
static size_t		 nslot = 1 << 16, nused;
static struct slot	**seen;

static uint64_t	hash(const char *, size_t);
static void	count(const char *, size_t);
static void	grow(void);
static void	flush_batch(long);

static uint64_t
hash(const char *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ULL;
	return h;
}

static void
grow(void)
{
	struct slot *old = slot;
	size_t i, j, n = nslot;

	nslot *= 2;
	if ((slot = calloc(nslot, sizeof(*slot))) == NULL ||
	    (seen = reallocarray(seen, nslot, sizeof(*seen))) == NULL)
		err(1, NULL);
	for (i = 0; i < n; i++) {
		if (old[i].word == NULL)
			continue;
		for (j = hash(old[i].word, old[i].len) & (nslot - 1);
		    slot[j].word != NULL; j = (j + 1) & (nslot - 1))
			;
		slot[j] = old[i];
		seen[slot[j].order] = &slot[j];
	}
	free(old);
}

static void
count(const char *w, size_t len)
{
	size_t i;

	for (i = hash(w, len) & (nslot - 1); slot[i].word != NULL;
	    i = (i + 1) & (nslot - 1))
		if (slot[i].len == len && memcmp(slot[i].word, w, len) == 0) {
			slot[i].count++;
			return;
		}
	if ((slot[i].word = malloc(len)) == NULL)
		err(1, NULL);
	memcpy(slot[i].word, w, len);
	slot[i].len = len;
	slot[i].count = 1;
	slot[i].order = nused;
	seen[nused++] = &slot[i];
	if (nused * 2 > nslot)
		grow();
}

static void
flush_batch(long batch)
{
	size_t i;

	for (i = 0; i < nused; i++) {
		printf("%ld\t%.*s\t%ld\n", batch, (int)seen[i]->len,
		    seen[i]->word, seen[i]->count);
		free(seen[i]->word);
		seen[i]->word = NULL;
	}
	nused = 0;
}

int
main(int argc, char *argv[])
{
	char *line = NULL, *p, *end, *w;
	size_t cap = 0;
	ssize_t len;
	long n, lines = 0, batch = 1;

	if (argc != 2 || (n = strtol(argv[1], NULL, 10)) <= 0)
		errx(2, "usage: wcfloor lines-per-batch");
	if ((slot = calloc(nslot, sizeof(*slot))) == NULL ||
	    (seen = reallocarray(NULL, nslot, sizeof(*seen))) == NULL)
		err(1, NULL);
	while ((len = getline(&line, &cap, stdin)) != -1) {
		for (p = line, end = line + len; p < end; ) {
			while (p < end && (*p == ' ' || *p == '\t' ||
			    *p == '\n'))
				p++;
			for (w = p; p < end && *p != ' ' && *p != '\t' &&
			    *p != '\n'; p++)
				;
			if (p > w)
				count(w, p - w);
		}
		if (++lines % n == 0)
			flush_batch(batch++);
	}
	if (lines % n != 0)
		flush_batch(batch);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
