/*
 * intact.c: the property test's own view of ds(5), written apart from
 * lib/ so that a bug there cannot hide itself: it makes seeded streams
 * whose fields hold every escape, and turns a stream into a transcript
 * in which each field is hexadecimal, for awk to compute what a program
 * should have written.
 *
 *	intact gen SEED RECORDS [KEYS [MINFIELDS]]
 *	intact decode
 *	intact text
 *	intact unhex
 *
 * gen writes a stream of about RECORDS records in batches a second
 * apart, from time 1000, some of them empty; with KEYS, field 1 is one
 * of that many keys, the same for every seed, so that keyed programs
 * see them again and two streams share them.  Every
 * record has MINFIELDS (default 1) to five fields.  Fields hold TAB, LF,
 * CR, backslash, a leading '#' or '%', NUL and bytes of 0x80 and above,
 * or nothing, some long enough to pass any short-line path; they are
 * written in each of the forms a reader accepts (a CR bare or escaped,
 * '#' and '%' escaped inside a field too), with metadata lines and
 * repeated headers between batches.
 *
 * decode reads a stream and writes "R F1 F2 ..." for each record, each
 * field in hexadecimal, "-" for an empty one, and "B TIME" for each
 * batch end; a malformed stream exits 1.  text writes each record as a
 * line of text instead, its fields joined by TAB, without the TABs and
 * LFs inside them.  unhex writes the bytes of the hexadecimal it reads,
 * ignoring LFs.
 */

#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed;

/* A small seeded generator (xorshift64*), the same on every machine. */
static unsigned
rnd(unsigned n)
{
	seed ^= seed >> 12;
	seed ^= seed << 25;
	seed ^= seed >> 27;
	return (unsigned)((seed * 2685821657736338717ULL) >> 33) % n;
}

/* Append a random field's bytes to f, returning the new length. */
static size_t
make_field(unsigned char *f)
{
	static const char *const atoms[] = {
		"\t", "\n", "\r", "\\", "#", "%", "a", "b", "xy", " ",
		"\\t", "\\n", "7", "-3", "\303\251", "\0", "\377", "\200",
		"\t\t", "\\\\",
	};
	const char *a;
	size_t len = 0, alen, i;
	unsigned n;

	/* Empty fields, one-atom fields and longer ones. */
	n = rnd(4) == 0 ? 0 : 1 + rnd(rnd(3) == 0 ? 8 : 2);
	while (n-- > 0) {
		a = atoms[rnd(sizeof(atoms) / sizeof(atoms[0]))];
		/* The NUL atom is the one whose length strlen misses. */
		alen = *a == '\0' ? 1 : strlen(a);
		memcpy(f + len, a, alen);
		len += alen;
	}
	/* Now and then a field past any short-line fast path. */
	if (rnd(40) == 0)
		for (i = 0; i < 300; i++)
			f[len++] = "abc\t\\\n"[rnd(6)];
	return len;
}

/* Write a field in one of the forms a reader takes. */
static void
put_field(const unsigned char *f, size_t len, int first)
{
	size_t i;

	for (i = 0; i < len; i++) {
		switch (f[i]) {
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs(rnd(2) ? "\\r" : "\r", stdout);
			break;
		case '#':
		case '%':
			if ((first && i == 0) || rnd(4) == 0)
				putchar('\\');
			putchar(f[i]);
			break;
		default:
			putchar(f[i]);
		}
	}
}

static void
gen(unsigned long long s, long nrec, unsigned nkeys, unsigned minfields)
{
	static unsigned char f[4096];
	unsigned char (*key)[64] = NULL;
	size_t *keylen = NULL, len;
	long t = 1000, i;
	unsigned j, k, nfield;

	/* The keys are the same for every seed, so that streams meet. */
	seed = 0x9e3779b97f4a7c15ULL;
	if (nkeys > 0) {
		if ((key = calloc(nkeys, sizeof(*key))) == NULL ||
		    (keylen = calloc(nkeys, sizeof(*keylen))) == NULL)
			err(1, NULL);
		for (k = 0; k < nkeys; k++) {
			do
				len = make_field(f);
			while (len >= sizeof(key[0]));
			memcpy(key[k], f, len);
			keylen[k] = len;
		}
	}
	seed = s * 0x9e3779b97f4a7c15ULL + 1;
	printf("#ds1\n");
	for (i = 0; i < nrec; i++) {
		if (rnd(12) == 0) {
			do {
				printf("%%%ld\n", t);
				t += 1000;
			} while (rnd(3) == 0);
			if (rnd(8) == 0)
				printf(rnd(2) ? "#ds1\n" : "# a comment\n");
			continue;
		}
		nfield = minfields + rnd(6 - minfields);
		for (j = 0; j < nfield; j++) {
			if (j > 0)
				putchar('\t');
			if (j == 0 && nkeys > 0) {
				k = rnd(nkeys);
				put_field(key[k], keylen[k], 1);
			} else {
				len = make_field(f);
				put_field(f, len, j == 0);
			}
		}
		putchar('\n');
	}
	printf("%%%ld\n", t);
	free(key);
	free(keylen);
}

static int textmode;

static void
put_hex(const char *p, size_t len, int first)
{
	size_t i;

	if (textmode) {
		/* A text line: TAB between fields, none inside one. */
		if (!first)
			putchar('\t');
		for (i = 0; i < len; i++)
			if (p[i] != '\t' && p[i] != '\n')
				putchar(p[i]);
		return;
	}
	if (len == 0)
		fputs(" -", stdout);
	else
		putchar(' ');
	for (i = 0; i < len; i++)
		printf("%02x", (unsigned char)p[i]);
}

/* The record line, unescaped field by field, in hexadecimal. */
static void
decode_record(char *line, size_t len, unsigned long long lineno)
{
	char *f, *end = line + len;
	size_t n;

	int first = 1;

	if (!textmode)
		fputs("R", stdout);
	for (f = line, n = 0; line <= end; line++) {
		if (line == end || *line == '\t') {
			put_hex(f, n, first);
			first = 0;
			f = line + 1;
			n = 0;
			continue;
		}
		if (*line != '\\') {
			f[n++] = *line;
			continue;
		}
		if (++line == end || *line == '\t')
			errx(1, "line %llu: backslash at end of field", lineno);
		switch (*line) {
		case '\\':
		case '#':
		case '%':
			f[n++] = *line;
			break;
		case 't':
			f[n++] = '\t';
			break;
		case 'n':
			f[n++] = '\n';
			break;
		case 'r':
			f[n++] = '\r';
			break;
		default:
			errx(1, "line %llu: invalid escape", lineno);
		}
	}
	putchar('\n');
}

static void
decode(void)
{
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t n;
	unsigned long long lineno = 0;

	while ((n = getline(&line, &cap, stdin)) != -1) {
		len = n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (lineno++ == 0 && (len != 4 || memcmp(line, "#ds1", 4)))
			errx(1, "line 1: no stream header");
		if (len > 0 && line[0] == '#')
			continue;
		if (len > 0 && line[0] == '%') {
			if (!textmode)
				printf("B %.*s\n", (int)len - 1, line + 1);
			continue;
		}
		decode_record(line, len, lineno);
	}
	if (lineno == 0)
		errx(1, "empty input");
	free(line);
}

static void
unhex(void)
{
	int c, hi = -1, v;

	while ((c = getchar()) != EOF) {
		if (c == '\n')
			continue;
		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			errx(1, "not hexadecimal: %c", c);
		if (hi == -1)
			hi = v;
		else {
			putchar(hi << 4 | v);
			hi = -1;
		}
	}
}

int
main(int argc, char *argv[])
{
	if (argc >= 4 && argc <= 6 && strcmp(argv[1], "gen") == 0)
		gen(strtoull(argv[2], NULL, 10), strtol(argv[3], NULL, 10),
		    argc > 4 ? (unsigned)strtoul(argv[4], NULL, 10) : 0,
		    argc > 5 ? (unsigned)strtoul(argv[5], NULL, 10) : 1);
	else if (argc == 2 && strcmp(argv[1], "decode") == 0)
		decode();
	else if (argc == 2 && strcmp(argv[1], "text") == 0) {
		textmode = 1;
		decode();
	}
	else if (argc == 2 && strcmp(argv[1], "unhex") == 0)
		unhex();
	else {
		fprintf(stderr, "usage: intact gen seed records [keys "
		    "[minfields]] | decode | text | unhex\n");
		exit(2);
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}
