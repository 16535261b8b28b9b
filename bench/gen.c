/*
 * gen: deterministic corpora for the benchmarks: Zipf-distributed words,
 * or access-log lines, of a given size, from a given seed.  -V sets the
 * vocabulary's size and -W the range of words a line, so that a corpus
 * of many distinct keys a batch can be made as well as the default.
 */

#include <err.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t	rng;
static size_t	nwords = 50000;

static uint64_t	next_random(void);
static double	uniform(void);
static void	make_vocabulary(char **);
static size_t	zipf(const double *);
static __attribute__((__noreturn__)) void usage(void);

/* splitmix64: small, fast, the same everywhere. */
static uint64_t
next_random(void)
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static double
uniform(void)
{
	return (next_random() >> 11) * (1.0 / 9007199254740992.0);
}

/* Pronounceable words of 2 to 12 letters, all distinct enough. */
static void
make_vocabulary(char **word)
{
	static const char cons[] = "bcdfghjklmnprstvwz", vow[] = "aeiou";
	size_t i, j, len;
	char buf[32];

	for (i = 0; i < nwords; i++) {
		len = 2 + next_random() % 11;
		for (j = 0; j < len; j++)
			buf[j] = j % 2 == 0 ? cons[next_random() % 18] :
			    vow[next_random() % 5];
		buf[len] = '\0';
		if ((word[i] = strdup(buf)) == NULL)
			err(1, NULL);
	}
}

/* A rank drawn from Zipf's law with exponent 1, by the cumulative table. */
static size_t
zipf(const double *cdf)
{
	double u = uniform();
	size_t lo = 0, hi = nwords - 1, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void
usage(void)
{
	fprintf(stderr, "usage: gen [-V vocabulary] [-W min,max] words|log "
	    "bytes [seed]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const char *const method[] = { "GET", "GET", "GET", "POST",
	    "PUT", "DELETE" };
	static const int status[] = { 200, 200, 200, 200, 304, 404, 500 };
	char **word;
	double *cdf, sum = 0;
	long long size, written = 0;
	size_t i, n, wmin = 1, wmax = 15;
	int ch, len;

	while ((ch = getopt(argc, argv, "V:W:")) != -1) {
		switch (ch) {
		case 'V':
			nwords = strtoul(optarg, NULL, 10);
			break;
		case 'W':
			if (sscanf(optarg, "%zu,%zu", &wmin, &wmax) != 2)
				usage();
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 2 || argc > 3 || nwords < 200 || wmin < 1 || wmax < wmin)
		usage();
	size = strtoll(argv[1], NULL, 10);
	rng = argc == 3 ? strtoull(argv[2], NULL, 10) : 1;
	if ((word = calloc(nwords, sizeof(*word))) == NULL)
		err(1, NULL);
	make_vocabulary(word);
	if ((cdf = calloc(nwords, sizeof(*cdf))) == NULL)
		err(1, NULL);
	for (i = 0; i < nwords; i++)
		sum += 1.0 / (i + 1);
	for (i = 0, cdf[0] = 1.0 / sum; i + 1 < nwords; i++)
		cdf[i + 1] = cdf[i] + 1.0 / (i + 2) / sum;
	if (strcmp(argv[0], "words") == 0) {
		while (written < size) {
			n = wmin + next_random() % (wmax - wmin + 1);
			for (i = 0; i < n; i++) {
				len = printf("%s%s", i > 0 ? " " : "",
				    word[zipf(cdf)]);
				written += len;
			}
			putchar('\n');
			written++;
		}
	} else if (strcmp(argv[0], "log") == 0) {
		while (written < size) {
			len = printf("10.%u.%u.%u - - [25/Nov/2026:17:%02u:%02u "
			    "+0000] \"%s /%s/%s HTTP/1.1\" %d %u\n",
			    (unsigned)(next_random() % 256),
			    (unsigned)(next_random() % 256),
			    (unsigned)(next_random() % 256),
			    (unsigned)(next_random() % 60),
			    (unsigned)(next_random() % 60),
			    method[next_random() % 6], word[zipf(cdf) % 200],
			    word[zipf(cdf)], status[next_random() % 7],
			    (unsigned)(next_random() % 50000));
			written += len;
		}
	} else
		usage();
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
