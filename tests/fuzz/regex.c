/*
 * regex.c: fuzz PCRE2 as ds-filter -e uses it (bytes, JIT when it
 * compiles, the default match limits): the first line of the input is
 * the pattern, the rest the subject.
 */

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "ds.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pcre2_code *re;
	pcre2_match_data *md;
	const uint8_t *nl;
	PCRE2_SIZE off;
	size_t plen;
	int errcode;

	nl = memchr(data, '\n', size);
	plen = nl != NULL ? (size_t)(nl - data) : size;
	re = pcre2_compile(data, plen, 0, &errcode, &off, NULL);
	if (re == NULL)
		return 0;
	(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
	if ((md = pcre2_match_data_create_from_pattern(re, NULL)) == NULL)
		abort();
	if (nl != NULL)
		(void)pcre2_match(re, nl + 1, size - plen - 1, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}
