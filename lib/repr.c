/*
 * repr.c: Python's repr() of a str, as PySpark's pprint shows a tuple's
 * text fields.
 */

#include <stdio.h>
#include <string.h>

#include "ds.h"

static int	printable(uint32_t);

/*
 * Whether Python's str.isprintable() holds for a code point above ASCII:
 * false for controls, format characters, separators other than the space,
 * surrogates and private use.  Unassigned code points count as printable.
 */
static int
printable(uint32_t c)
{
	static const uint32_t nonprint[][2] = {
		{ 0x80, 0xa0 }, { 0xad, 0xad }, { 0x600, 0x605 },
		{ 0x61c, 0x61c }, { 0x6dd, 0x6dd }, { 0x70f, 0x70f },
		{ 0x8e2, 0x8e2 }, { 0x1680, 0x1680 }, { 0x180e, 0x180e },
		{ 0x2000, 0x200f }, { 0x2028, 0x202f }, { 0x205f, 0x2064 },
		{ 0x2066, 0x206f }, { 0x3000, 0x3000 }, { 0xd800, 0xf8ff },
		{ 0xfeff, 0xfeff }, { 0xfff9, 0xfffb }, { 0x110bd, 0x110bd },
		{ 0x110cd, 0x110cd }, { 0x13430, 0x1343f },
		{ 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a },
		{ 0xe0001, 0xe0001 }, { 0xe0020, 0xe007f },
		{ 0xf0000, 0x10ffff }
	};
	size_t i;

	for (i = 0; i < sizeof(nonprint) / sizeof(nonprint[0]); i++)
		if (c >= nonprint[i][0] && c <= nonprint[i][1])
			return 0;
	return 1;
}

int
ds_repr(struct ds_buf *b, const char *p, size_t len)
{
	const char *end = p + len, *piece;
	char q, esc[12];
	uint32_t c;
	size_t plen;
	int n;

	q = memchr(p, '\'', len) != NULL && memchr(p, '"', len) == NULL ?
	    '"' : '\'';
	if (ds_buf_append(b, &q, 1) == -1)
		return -1;
	for (; p < end; p += n) {
		piece = esc;
		if ((n = ds_utf8_decode(p, end - p, &c)) == 0) {
			/* Not UTF-8: the byte, as \xNN. */
			n = 1;
			plen = snprintf(esc, sizeof(esc), "\\x%02x",
			    (unsigned char)*p);
		} else if (c == (uint32_t)q || c == '\\') {
			esc[0] = '\\';
			esc[1] = c;
			plen = 2;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\t' ? 't' : c == '\n' ? 'n' : 'r';
			plen = 2;
		} else if (c < 0x20 || c == 0x7f || (c > 0x7f && !printable(c)))
			plen = snprintf(esc, sizeof(esc), c < 0x100 ? "\\x%02x" :
			    c < 0x10000 ? "\\u%04x" : "\\U%08x", c);
		else {
			piece = p;
			plen = n;
		}
		if (ds_buf_append(b, piece, plen) == -1)
			return -1;
	}
	return ds_buf_append(b, &q, 1);
}
