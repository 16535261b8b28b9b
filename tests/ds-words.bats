#!/usr/bin/env bats
# ds-words.bats: words as Python's split() finds them, escaped on the way
# out, batches untouched; and tr(1)'s words on a large generated text.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	# Two batches and an empty one between them.
	printf '#ds1\nto be\tor\n  NOT to be  \n%%1000\n%%2000\n\nx\n%%3000\n' \
	    >"$in"
}

@test "ds-words: each word a pair with 1; empty batches and times kept" {
	golden "$in" ds-words <<'EOF'
#ds1
to	1
be	1
or	1
NOT	1
to	1
be	1
%1000
%2000
x	1
%3000
EOF
}

@test "ds-words: -1 writes the words alone, -l lowercases" {
	golden "$in" ds-words -1l <<'EOF'
#ds1
to
be
or
not
to
be
%1000
%2000
x
%3000
EOF
}

@test "ds-words: the separators are ASCII whitespace, runs count once" {
	printf 'a\vb\fc\rd \t e\n\n \t \n' >"$in"
	ds-words -1 <"$in" | ds-cat >"$out"
	printf 'a\nb\nc\nd\ne\n' | diff -u - "$out"
}

@test "ds-words: -d sets the separators" {
	printf '#ds1\na,b,,c d\n%%5\n' >"$in"
	golden "$in" ds-words -1 -d ', ' <<'EOF'
#ds1
a
b
c
d
%5
EOF
	golden "$in" ds-words -1 -d , <<'EOF'
#ds1
a
b
c d
%5
EOF
}

@test "ds-words: -l lowercases ASCII letters only" {
	printf '#ds1\n\xc3\x89T\xc3\x89 Zoo\n%%5\n' >"$in"
	printf '#ds1\n\xc3\x89t\xc3\x89\t1\nzoo\t1\n%%5\n' >"$BATS_TEST_TMPDIR/want"
	ds-words -l <"$in" >"$out"
	cmp "$BATS_TEST_TMPDIR/want" "$out"
}

@test "ds-words: words are escaped as ds(5) says" {
	# \#a, a backslash word, %b, and an escaped LF and CR as separators.
	printf '#ds1\n\\#a x\\\\y %%b\\nc\\rd\n%%9\n' >"$in"
	golden "$in" ds-words <<'EOF'
#ds1
\#a	1
x\\y	1
\%b	1
c	1
d	1
%9
EOF
	# With other separators, TAB, LF and CR are part of words.
	printf '#ds1\na\\tb\\nc,d\\re\n%%9\n' >"$in"
	golden "$in" ds-words -1 -d , <<'EOF'
#ds1
a\tb\nc
d\re
%9
EOF
}

@test "ds-words: a NUL byte is part of a word" {
	printf '#ds1\na\0b c\n%%1\n' >"$in"
	printf '#ds1\na\0b\t1\nc\t1\n%%1\n' >"$BATS_TEST_TMPDIR/want"
	ds-words <"$in" >"$out"
	cmp "$BATS_TEST_TMPDIR/want" "$out"
}

@test "ds-words: an empty input is the header alone" {
	golden /dev/null ds-words <<'EOF'
#ds1
EOF
}

@test "ds-words: a record of separators makes nothing" {
	printf '#ds1\n \t \n\n%%7\n' >"$in"
	golden "$in" ds-words <<'EOF'
#ds1
%7
EOF
}

@test "ds-words: splits a generated 5 MB text as tr -s ' \\t' does" {
	# Words from a seeded generator: some begin with # or %, some hold a
	# backslash or UTF-8; runs of spaces and TABs between them, lines
	# that begin or end with one, and empty lines.
	awk 'BEGIN {
		srand(7)
		n = split("the a of # % \\ x\\y #tag 50% caf\303\251 \342\202\254 " \
		    "data stream batch spark unix pipe RDD Key", w, " ")
		while (size < 5000000) {
			line = ""
			for (k = int(rand() * 14); k > 0; k--) {
				r = rand()
				sep = r < 0.7 ? " " : r < 0.8 ? "\t" : \
				    r < 0.9 ? "  " : " \t "
				line = line sep w[1 + int(rand() * n)] \
				    (rand() < 0.2 ? int(rand() * 1000) : "")
			}
			if (rand() < 0.5)
				line = substr(line, 2)
			print line
			size += length(line) + 1
		}
	}' >"$in"
	[ "$(wc -c <"$in")" -ge 5000000 ]
	ds-words -1 <"$in" | ds-cat >"$out"
	tr -s ' \t' '\n\n' <"$in" | grep -v '^$' >"$BATS_TEST_TMPDIR/tr"
	cmp "$BATS_TEST_TMPDIR/tr" "$out"
	[ "$(wc -l <"$out")" -gt 500000 ]
}

@test "ds-words: the pairs of the same text are the words and 1" {
	printf 'x  y\tz\n' >"$in"
	ds-words <"$in" | ds-cat >"$out"
	printf 'x\t1\ny\t1\nz\t1\n' | diff -u - "$out"
}

@test "ds-words: man page examples" {
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'to be or\\n NOT to  be\\n' | ds-lines -n 2 -T 0 | ds-words -l"
	assert_equal "$output" "$(printf '#ds1\nto\t1\nbe\t1\nor\t1\nnot\t1\nto\t1\nbe\t1\n%%1000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'to be or\\nNOT to be\\n' | ds-lines -n 2 -T 0 | ds-words -l | ds-reducebykey | ds-cat"
	assert_equal "$output" "$(printf 'to\t2\nbe\t2\nor\t1\nnot\t1')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'a,b,,c\\n' | ds-lines -n 1 -T 0 | ds-words -1 -d , | ds-cat"
	assert_equal "$output" "$(printf 'a\nb\nc')"
}

@test "ds-words: usage errors exit 2" {
	run -2 --separate-stderr ds-words -d ''
	assert_equal "$stderr" "ds-words: -d: no separator characters"
	run -2 --separate-stderr ds-words -x
	assert_equal "${stderr##*$'\n'}" "usage: ds-words [-1l] [-d chars]"
	run -2 --separate-stderr ds-words file
	assert_equal "$stderr" "usage: ds-words [-1l] [-d chars]"
	run -0 --separate-stderr ds-words -h
	assert_equal "$output" "usage: ds-words [-1l] [-d chars]"
}

@test "ds-words: a malformed stream is an error naming the line" {
	printf '#ds1\na b\n%%12x\n' >"$in"
	run -1 --separate-stderr ds-words <"$in"
	assert_equal "$stderr" "ds-words: stdin:3: malformed batch end"
	assert_equal "$output" "$(printf '#ds1\na\t1\nb\t1')"
}

@test "ds-words: a write error exits 1" {
	run -1 --separate-stderr sh -c 'ds-words <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-words: stdout: No space left on device"
}

@test "ds-words: ends when its reader goes away" {
	# Endless input: only the end of ds-words ends yes.
	run -0 timeout 20 bash -c 'yes "a b c d e f" | ds-words | head -1'
	assert_equal "$output" "#ds1"
}
