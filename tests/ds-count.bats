#!/usr/bin/env bats
# ds-count.bats: Spark's count per batch: one record a batch, 0 for an
# empty batch, and its errors.
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

@test "ds-count: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-count -h
	assert_output --regexp '^usage: ds-count( |$)'
	assert_equal "$stderr" ""
}

@test "ds-count: an unknown option or an operand is a usage error" {
	local usage
	usage=$(ds-count -h)
	run -2 --separate-stderr ds-count -x
	assert_output ""
	assert_equal "$stderr" "ds-count: invalid option -- 'x'
$usage"
	run -2 --separate-stderr ds-count file
	assert_output ""
	assert_equal "$stderr" "$usage"
}

@test "ds-count: one count a batch, 0 for an empty batch" {
	printf '#ds1\na\t1\nb\n\n%%1000\n%%2000\nc\n%%3000\n%%4000 text\n' >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
3
%1000
0
%2000
1
%3000
0
%4000
EOF
}

@test "ds-count: counts do not leak from one batch to the next" {
	printf '#ds1\nw\nw\n%%1000\nw\n%%2000\n#meta\n%%3000\nw\nw\nw\n%%4000\n' >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
2
%1000
1
%2000
0
%3000
3
%4000
EOF
}

@test "ds-count: records with escapes, NUL bytes, and empty records count alike" {
	printf '#ds1\n\\#a\n\\%%b\na\\tb\tc\n\0\n\n\t\n%%1\n' >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
6
%1
EOF
}

@test "ds-count: raw input is one batch: the count of its lines" {
	printf 'x\n#ds1\n%%1000\n\\q\n\nlast' >"$in"
	run -0 --separate-stderr ds-count <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "6"
	assert_regex "${lines[2]}" '^%[0-9]+$'
}

@test "ds-count: an empty input writes only the header" {
	: >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
EOF
	printf '#ds1\n' >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
EOF
}

@test "ds-count: a stream header at a batch boundary and a last line without LF" {
	printf '#ds1\na\n%%1\n#ds1\nb\nc\n%%2' >"$in"
	golden "$in" ds-count <<'EOF'
#ds1
1
%1
2
%2
EOF
}

@test "ds-count: a malformed stream is an error naming the line" {
	printf '#ds1\na\n%%1000\nb\\q\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-count <"$in"
	assert_output "#ds1
1
%1000"
	assert_equal "$stderr" 'ds-count: stdin:4: invalid escape "\q"'
	printf '#ds1\na\n%%2000\n%%1999\n' >"$in"
	run -1 --separate-stderr ds-count <"$in"
	assert_output "#ds1
1
%2000"
	assert_equal "$stderr" "ds-count: stdin:4: batch time 1999 does not follow 2000"
	printf '#ds1\na\n%%\n' >"$in"
	run -1 --separate-stderr ds-count <"$in"
	assert_equal "$stderr" "ds-count: stdin:3: malformed batch end"
	printf '#ds1\na\\ b\n' >"$in"
	run -1 --separate-stderr ds-count <"$in"
	assert_equal "$stderr" "ds-count: stdin:2: invalid escape: backslash and byte 0x20"
	printf '#ds1\na\n#ds1\n' >"$in"
	run -1 --separate-stderr ds-count <"$in"
	assert_equal "$stderr" "ds-count: stdin:3: stream header inside a batch"
}

@test "ds-count: a read or write error is reported" {
	printf '#ds1\na\n%%1\n' >"$in"
	run -1 --separate-stderr sh -c 'ds-count <"$1" >/dev/full' sh "$in"
	assert_output ""
	assert_equal "$stderr" "ds-count: stdout: No space left on device"
	run -1 --separate-stderr ds-count <"$BATS_TEST_TMPDIR"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-count: stdin: Is a directory"
}

@test "ds-count: a finished batch is written while the input stays open" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-count <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\nb\n%%1000\n%%2000\nc\n' >&"$w"
	wait_until 5 grep -q '^%2000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
2
%1000
0
%2000"
	printf '%%3000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$out")" "#ds1
2
%1000
0
%2000
1
%3000"
}

@test "ds-count: the word count of many batches is wc's" {
	local n
	awk 'BEGIN { for (i = 1; i <= 25000; i++) print i % 7 == 0 ? "" : "w" i " x" }' >"$in"
	ds-lines -n 1000 -T 0 "$in" | ds-words -1 | ds-count | ds-cat -t >"$out"
	for n in $(seq 1 25); do
		sed -n "$(((n - 1) * 1000 + 1)),$((n * 1000))p" "$in" | wc -w |
		    sed "s/^ */$((n * 1000))	/"
	done | diff -u - "$out"
}

# countByWindow: -w, -s and -i.  tests/ds-window.bats checks it against
# ds-window | ds-count on random streams.

@test "ds-count: -w counts over a sliding window, 0 for an empty window" {
	printf '#ds1\na\nb\n%%1000\nc\n%%2000\nd\n%%3000\n%%4000\ne\n%%5000\nf\n%%8000\n' >"$in"
	golden "$in" ds-count -w 2s <<'EOF'
#ds1
2
%1000
3
%2000
2
%3000
1
%4000
1
%5000
1
%6000
0
%7000
1
%8000
EOF
	# Zero time is 0: windows of 3 s at 2000, 4000, 6000 and 8000.
	golden "$in" ds-count -i 1s -w 3s -s 2s <<'EOF'
#ds1
3
%2000
2
%4000
1
%6000
1
%8000
EOF
}

@test "ds-count: -s or -i without -w exits 2" {
	run -2 --separate-stderr ds-count -s 2s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-count: -s and -i need -w"
	run -2 --separate-stderr ds-count -i 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-count: -s and -i need -w"
}

@test "ds-count: -w or -s not a multiple of the interval exits 2 with Spark's message" {
	run -2 --separate-stderr ds-count -i 1s -w 2500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-count: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	run -2 --separate-stderr ds-count -i 1s -w 2s -s 1500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-count: The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	printf '#ds1\na\n%%2000\nb\n%%4000\n' >"$in"
	run -2 --separate-stderr ds-count -w 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-count: The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
}

@test "ds-count: -w with a batch time off the grid exits 1" {
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n%%2500\n' >"$in"
	run -1 --separate-stderr ds-count -i 1s -w 3s <"$in"
	assert_output "#ds1
1
%1000
2
%2000"
	assert_equal "$stderr" "ds-count: stdin:7: batch time 2500 is not on the grid of the 1000 ms interval"
}
