#!/usr/bin/env bats
# ds-countbyvalue.bats: Spark's countByValue per batch, records compared by
# all their fields, and the words of a large corpus against sort | uniq -c.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

# corpus: the path of a ~20 MB Zipf-like corpus of words, made once a run.
corpus() {
	local c=$BATS_RUN_TMPDIR/zipf.txt

	if [ ! -e "$c" ]; then
		"$AWK" -v seed=42 -v size=20000000 -f "$DATA/zipf.awk" >"$c.$$"
		mv "$c.$$" "$c"
	fi
	echo "$c"
}
AWK=$(command -v mawk || command -v awk)

@test "ds-countbyvalue: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-countbyvalue -h
	assert_output --regexp '^usage: ds-countbyvalue( |$)'
	assert_equal "$stderr" ""
}

@test "ds-countbyvalue: an unknown option or an operand is a usage error" {
	local usage
	usage=$(ds-countbyvalue -h)
	run -2 --separate-stderr ds-countbyvalue -k 1
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: invalid option -- 'k'
$usage"
	run -2 --separate-stderr ds-countbyvalue -- -x
	assert_output ""
	assert_equal "$stderr" "$usage"
}

@test "ds-countbyvalue: each distinct record once, then its count, in order of first appearance" {
	printf '#ds1\nto\nbe\nor\nnot\nto\nbe\n%%1000\nto\ndo\n%%2000\n' >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
to	2
be	2
or	1
not	1
%1000
to	1
do	1
%2000
EOF
}

@test "ds-countbyvalue: a record is all its fields" {
	printf '#ds1\na\tb\na\\tb\na\tb\ta\na\tb\na\nb\ta\n\n\t\n\n%%1\n' >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
a	b	2
a\tb	1
a	b	a	1
a	1
b	a	1
	2
		1
%1
EOF
}

@test "ds-countbyvalue: counts do not leak from one batch to the next" {
	printf '#ds1\nw\nw\n%%1000\nw\n%%2000\n%%3000\nv\nw\nw\nw\n%%4000\n' >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
w	2
%1000
w	1
%2000
%3000
v	1
w	3
%4000
EOF
}

@test "ds-countbyvalue: an empty batch writes only its batch end; an empty input only the header" {
	printf '#ds1\n%%1000\n#meta\n%%2000 text\n' >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
%1000
%2000
EOF
	: >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
EOF
}

@test "ds-countbyvalue: escaped values round-trip through ds-cat" {
	printf '#ds1\n\\#h\n\\%%p\tq\nc\\\\d\nl\\nf\\r\n\\#h\nc\\\\d\t\\#\n\\%%p\tq\n%%1000\n' >"$in"
	golden "$in" ds-countbyvalue <<'EOF'
#ds1
\#h	2
\%p	q	2
c\\d	1
l\nf\r	1
c\\d	#	1
%1000
EOF
	ds-countbyvalue <"$in" >"$out"
	golden "$out" ds-cat -j <<'EOF'
["#h","2"]
["%p","q","2"]
["c\\d","1"]
["l\nf\r","1"]
["c\\d","#","1"]
EOF
}

@test "ds-countbyvalue: a value may hold NUL bytes" {
	printf '#ds1\na\0b\na\0c\na\0b\na\n%%1\n' >"$in"
	printf '#ds1\na\0b\t2\na\0c\t1\na\t1\n%%1\n' | golden "$in" ds-countbyvalue
}

@test "ds-countbyvalue: raw input is one batch: sort | uniq -c in order of first appearance" {
	printf 'GET\t/a\nGET\t/b\nGET\t/a\n#x\n%%y\n\\z\n#x\nPUT\t/a' >"$in"
	run -0 --separate-stderr ds-countbyvalue <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 8
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "GET	/a	2"
	assert_equal "${lines[2]}" "GET	/b	1"
	assert_equal "${lines[3]}" "\\#x	2"
	assert_equal "${lines[4]}" "\\%y	1"
	assert_equal "${lines[5]}" "\\\\z	1"
	assert_equal "${lines[6]}" "PUT	/a	1"
	assert_regex "${lines[7]}" '^%[0-9]+$'
}

@test "ds-countbyvalue: a malformed stream is an error naming the line" {
	printf '#ds1\na\n%%1000\nb\\q\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-countbyvalue <"$in"
	assert_output "#ds1
a	1
%1000"
	assert_equal "$stderr" 'ds-countbyvalue: stdin:4: invalid escape "\q"'
	printf '#ds1\na\n%%2000\nb\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-countbyvalue <"$in"
	assert_equal "$stderr" "ds-countbyvalue: stdin:5: batch time 2000 does not follow 2000"
	printf '#ds1\na\n%%1x\n' >"$in"
	run -1 --separate-stderr ds-countbyvalue <"$in"
	assert_equal "$stderr" "ds-countbyvalue: stdin:3: malformed batch end"
	printf '#ds1\na\\\n' >"$in"
	run -1 --separate-stderr ds-countbyvalue <"$in"
	assert_equal "$stderr" "ds-countbyvalue: stdin:2: backslash at end of field"
}

@test "ds-countbyvalue: a write error is reported" {
	printf '#ds1\na\n%%1\n' >"$in"
	run -1 --separate-stderr sh -c 'ds-countbyvalue <"$1" >/dev/full' sh "$in"
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: stdout: No space left on device"
}

@test "ds-countbyvalue: a finished batch is written while the input stays open" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-countbyvalue <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\na\n%%1000\nb\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
a	2
%1000"
	printf '%%2000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$out")" "#ds1
a	2
%1000
b	1
%2000"
}

@test "ds-countbyvalue: the words of a 20 MB corpus are sort | uniq -c's, batch by batch" {
	local c n=10000 t=0 pid part
	c=$(corpus)
	set -o pipefail
	ds-lines -n "$n" -T 0 "$c" | ds-words -1 | ds-countbyvalue |
	    ds-cat -t | sort >"$out" &
	pid=$!
	mkdir "$BATS_TEST_TMPDIR/part"
	split -l "$n" -a 4 "$c" "$BATS_TEST_TMPDIR/part/"
	for part in "$BATS_TEST_TMPDIR"/part/*; do
		t=$((t + 1000))
		tr -s ' ' '\n' <"$part" | sort | uniq -c |
		    sed "s/^ *\([0-9]*\) \(.*\)/$t	\2	\1/"
	done | sort >"$BATS_TEST_TMPDIR/want"
	wait "$pid"
	diff -u "$BATS_TEST_TMPDIR/want" "$out"
	# Many batches, and many values in each.
	[ "$(cut -f 1 "$out" | uniq | wc -l)" -ge 30 ]
	[ "$(wc -l <"$out")" -gt 10000 ]
}

# countByValueAndWindow: -w, -s and -i.  tests/ds-window.bats checks it
# against ds-window | ds-countbyvalue on random streams.

@test "ds-countbyvalue: -w counts each distinct record over a sliding window" {
	printf '#ds1\nx\nx\\ty\n\\#z\nx\n%%1000\nx\\ty\n%%2000\n%%3000\n\\%%\n%%4000\n' >"$in"
	golden "$in" ds-countbyvalue -w 2s <<'EOF'
#ds1
x	2
x\ty	1
\#z	1
%1000
x	2
x\ty	2
\#z	1
%2000
x\ty	1
%3000
\%	1
%4000
EOF
	# Zero time is 0: windows of 2 s at 2000 and 4000.
	golden "$in" ds-countbyvalue -i 1s -w 2s -s 2s <<'EOF'
#ds1
x	2
x\ty	2
\#z	1
%2000
\%	1
%4000
EOF
}

@test "ds-countbyvalue: -s or -i without -w exits 2" {
	run -2 --separate-stderr ds-countbyvalue -s 2s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: -s and -i need -w"
	run -2 --separate-stderr ds-countbyvalue -i 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: -s and -i need -w"
}

@test "ds-countbyvalue: -w or -s not a multiple of the interval exits 2 with Spark's message" {
	run -2 --separate-stderr ds-countbyvalue -i 1s -w 2500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	run -2 --separate-stderr ds-countbyvalue -i 1s -w 2s -s 1500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-countbyvalue: The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	printf '#ds1\na\n%%2000\nb\n%%4000\n' >"$in"
	run -2 --separate-stderr ds-countbyvalue -w 4s -s 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-countbyvalue: The slide duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
}

@test "ds-countbyvalue: -w with a batch time off the grid exits 1" {
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n%%2500\n' >"$in"
	run -1 --separate-stderr ds-countbyvalue -i 1s -w 3s <"$in"
	assert_output "#ds1
a	1
%1000
a	1
b	1
%2000"
	assert_equal "$stderr" "ds-countbyvalue: stdin:7: batch time 2500 is not on the grid of the 1000 ms interval"
}
