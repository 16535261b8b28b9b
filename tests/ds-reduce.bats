#!/usr/bin/env bats
# ds-reduce.bats: Spark's reduce per batch: one record a batch, none for an
# empty batch, every operation to the byte, and its errors.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	# Three batches, the second empty; the first sums to exactly
	# INT64_MAX, with an integer and a float that are equal.
	nums=$BATS_TEST_TMPDIR/nums
	printf '#ds1\n1\n-2.5\n9223372036854775800\n1e3\n6\n-1000\n%%1000\n%%2000\n-4\n-4.0\n%%3000\n' >"$nums"
	ints=$BATS_TEST_TMPDIR/ints
	printf '#ds1\n9223372036854775800\n1\n6\n%%1000\n%%2000\n-4\n3\n%%3000\n' >"$ints"
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

@test "ds-reduce: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-reduce -h
	assert_output --regexp '^usage: ds-reduce \[-aI\] \[-f field\] .*\[-o op\]'
	assert_equal "$stderr" ""
}

@test "ds-reduce: an unknown option, extra operands or a missing argument is a usage error" {
	local usage
	usage=$(ds-reduce -h)
	run -2 --separate-stderr ds-reduce -k 1
	assert_output ""
	assert_equal "$stderr" "ds-reduce: invalid option -- 'k'
$usage"
	run -2 --separate-stderr ds-reduce -o sum a b
	assert_output ""
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-reduce -f
	assert_equal "$stderr" "ds-reduce: option requires an argument -- 'f'
$usage"
}

@test "ds-reduce: an unknown operation or a bad field number exits 2" {
	run -2 --separate-stderr ds-reduce -o avg </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reduce: -o avg: unknown operation"
	run -2 --separate-stderr ds-reduce -f 0 </dev/null
	assert_equal "$stderr" "ds-reduce: -f 0: field number is too small"
	run -2 --separate-stderr ds-reduce -f abc </dev/null
	assert_equal "$stderr" "ds-reduce: -f abc: field number is invalid"
	run -2 --separate-stderr ds-reduce -f 99999999999 </dev/null
	assert_equal "$stderr" "ds-reduce: -f 99999999999: field number is too large"
}

@test "ds-reduce: sum by default, one record a batch, none for an empty batch" {
	golden "$ints" ds-reduce <<'EOF'
#ds1
9223372036854775807
%1000
%2000
-1
%3000
EOF
	golden "$nums" ds-reduce -o sum <<'EOF'
#ds1
9.223372036854775e+18
%1000
%2000
-8.0
%3000
EOF
	printf '#ds1\n0.1\n0.2\n%%1\n1\n2.0\n%%2\n1\n2\n.5\n%%3\n' >"$in"
	golden "$in" ds-reduce <<'EOF'
#ds1
0.30000000000000004
%1
3.0
%2
3.5
%3
EOF
}

@test "ds-reduce: -o count counts records, and writes nothing for an empty batch" {
	printf '#ds1\na\t1\nb\n\n%%1000\n%%2000\nc\n%%3000\n' >"$in"
	golden "$in" ds-reduce -o count <<'EOF'
#ds1
3
%1000
%2000
1
%3000
EOF
	golden "$in" ds-reduce -o count -f 2 <<'EOF'
#ds1
3
%1000
%2000
1
%3000
EOF
}

@test "ds-reduce: -o min and -o max keep the winner as it was, integer or float" {
	golden "$nums" ds-reduce -o min <<'EOF'
#ds1
-1000
%1000
%2000
-4
%3000
EOF
	golden "$nums" ds-reduce -o max <<'EOF'
#ds1
9223372036854775800
%1000
%2000
-4
%3000
EOF
	printf '#ds1\n-0.5\n-1\n-1e-300\n%%1\n2.5\n1e1\n%%2\n' >"$in"
	golden "$in" ds-reduce -o max <<'EOF'
#ds1
-1e-300
%1
10.0
%2
EOF
	golden "$in" ds-reduce -o min <<'EOF'
#ds1
-1
%1
2.5
%2
EOF
}

@test "ds-reduce: -o mean is always a float" {
	golden "$ints" ds-reduce -o mean <<'EOF'
#ds1
3.0744573456182584e+18
%1000
%2000
-0.5
%3000
EOF
	printf '#ds1\n1\n2\n4\n%%1\n3\n%%2\n' >"$in"
	golden "$in" ds-reduce -o mean <<'EOF'
#ds1
2.3333333333333335
%1
3.0
%2
EOF
}

@test "ds-reduce: -o first and -o last take the values as they are" {
	golden "$nums" ds-reduce -o first <<'EOF'
#ds1
1
%1000
%2000
-4
%3000
EOF
	golden "$nums" ds-reduce -o last <<'EOF'
#ds1
-1000
%1000
%2000
-4.0
%3000
EOF
	printf '#ds1\nhello world\t1\n\\#x\\ty\n\n%%1\n%%2\n007\n%%3\n' >"$in"
	golden "$in" ds-reduce -o first <<'EOF'
#ds1
hello world
%1
%2
007
%3
EOF
	golden "$in" ds-reduce -o last <<'EOF'
#ds1

%1
%2
007
%3
EOF
}

@test "ds-reduce: values with escapes and NUL bytes come out as they went in" {
	printf '#ds1\n\\#a\\tb\\\\c\\nd\n%%1\n\\%%e\n%%2\n' >"$in"
	golden "$in" ds-reduce -o first <<'EOF'
#ds1
\#a\tb\\c\nd
%1
\%e
%2
EOF
	printf '#ds1\na\0b\nc\0d\n%%1\n' >"$in"
	printf '#ds1\nc\0d\n%%1\n' | golden "$in" ds-reduce -o last
}

@test "ds-reduce: -f chooses the field" {
	printf '#ds1\na\tx\t3\nb\ty\t-7\nc\tz\t12\n%%1\n' >"$in"
	golden "$in" ds-reduce -f 3 -o max <<'EOF'
#ds1
12
%1
EOF
	golden "$in" ds-reduce -f 3 <<'EOF'
#ds1
8
%1
EOF
}

@test "ds-reduce: raw input is one batch, closed at its end" {
	printf '1\n2\n#3\n' >"$in"
	run -0 --separate-stderr ds-reduce -o last <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "\\#3"
	assert_regex "${lines[2]}" '^%[0-9]+$'
	printf '1\n2\n3' >"$in"
	run -0 --separate-stderr ds-reduce <"$in"
	assert_equal "${lines[1]}" "6"
	assert_regex "${lines[2]}" '^%[0-9]+$'
}

@test "ds-reduce: an empty input writes only the header" {
	: >"$in"
	golden "$in" ds-reduce <<'EOF'
#ds1
EOF
	printf '#ds1\n%%5\n%%6 text\n' >"$in"
	golden "$in" ds-reduce <<'EOF'
#ds1
%5
%6
EOF
}

@test "ds-reduce: a value that is not a number is an error, after what came before" {
	printf '#ds1\n1\n%%1000\n2\nabc\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-reduce <"$in"
	assert_output "#ds1
1
%1000"
	assert_equal "$stderr" 'ds-reduce: stdin:5: field 1: not a number: "abc"'
	printf '#ds1\n1\t\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reduce -f 2 -o min <"$in"
	assert_equal "$stderr" 'ds-reduce: stdin:2: field 2: not a number: ""'
}

@test "ds-reduce: an integer sum past INT64_MAX is an error, never a wrap" {
	printf '#ds1\n9223372036854775807\n1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reduce <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" 'ds-reduce: stdin:3: field 1: the sum overflows at "1"'
	printf '#ds1\n-9223372036854775807\n-1\n-1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reduce -o mean <"$in"
	assert_equal "$stderr" 'ds-reduce: stdin:4: field 1: the sum overflows at "-1"'
	printf '#ds1\n9223372036854775808\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reduce <"$in"
	assert_equal "$stderr" 'ds-reduce: stdin:2: field 1: number out of range: "9223372036854775808"'
}

@test "ds-reduce: a missing value field is an error" {
	printf '#ds1\na\t1\nb\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reduce -f 2 <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-reduce: stdin:3: no field 2"
	run -1 --separate-stderr ds-reduce -f 2 -o first <"$in"
	assert_equal "$stderr" "ds-reduce: stdin:3: no field 2"
}

@test "ds-reduce: -I skips what is not a number and reports the count at exit" {
	printf '#ds1\n1\nx\n2\n%%1000\ny\n%%2000\n%%3000\n' >"$in"
	run -0 --separate-stderr ds-reduce -I <"$in"
	# The second batch, all skipped, is written as an empty one.
	assert_output "#ds1
3
%1000
%2000
%3000"
	assert_equal "$stderr" "ds-reduce: values skipped, not numbers: 2"
	run -0 --separate-stderr ds-reduce -I -o last <"$in"
	assert_output "#ds1
2
%1000
y
%2000
%3000"
	assert_equal "$stderr" ""
}

@test "ds-reduce: a malformed stream is an error naming the line" {
	printf '#ds1\n1\n%%1000\n\\q\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-reduce -o first <"$in"
	assert_output "#ds1
1
%1000"
	assert_equal "$stderr" 'ds-reduce: stdin:4: invalid escape "\q"'
	printf '#ds1\n1\n%%1000\n2\n%%1000\n' >"$in"
	run -1 --separate-stderr ds-reduce <"$in"
	assert_equal "$stderr" "ds-reduce: stdin:5: batch time 1000 does not follow 1000"
	printf '#ds1\n1\n%%99999999999999999999\n' >"$in"
	run -1 --separate-stderr ds-reduce <"$in"
	assert_equal "$stderr" "ds-reduce: stdin:3: batch time out of range"
}

@test "ds-reduce: a write error is reported" {
	run -1 --separate-stderr sh -c 'ds-reduce <"$1" >/dev/full' sh "$ints"
	assert_output ""
	assert_equal "$stderr" "ds-reduce: stdout: No space left on device"
}

@test "ds-reduce: a finished batch is written while the input stays open" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-reduce <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\n1\n2\n%%1000\n5\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
3
%1000"
	exec {w}>&-
	wait "$pid"
	run -0 cat "$out"
	assert_equal "${lines[3]}" "5"
	assert_regex "${lines[4]}" '^%[0-9]+$'
}

# reduceByWindow: -w, -s and -i.  tests/ds-window.bats checks every
# operation against ds-window | ds-reduce on random streams.

@test "ds-reduce: -w reduces over a sliding window, nothing for an empty window" {
	printf '#ds1\n1\n2\n%%1000\n3\n%%2000\n5\n%%3000\n%%4000\n1\n%%5000\n2\n%%8000\n' >"$in"
	golden "$in" ds-reduce -w 2s <<'EOF'
#ds1
3
%1000
6
%2000
8
%3000
5
%4000
1
%5000
1
%6000
%7000
2
%8000
EOF
	# Zero time is 0: windows of 4 s at 2000, 4000, 6000 and 8000.
	golden "$in" ds-reduce -o mean -i 1s -w 4s -s 2s <<'EOF'
#ds1
2.0
%2000
2.75
%4000
3.0
%6000
1.5
%8000
EOF
}

@test "ds-reduce: -s or -i without -w exits 2" {
	run -2 --separate-stderr ds-reduce -s 2s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reduce: -s and -i need -w"
	run -2 --separate-stderr ds-reduce -i 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reduce: -s and -i need -w"
}

@test "ds-reduce: -w or -s not a multiple of the interval exits 2 with Spark's message" {
	run -2 --separate-stderr ds-reduce -i 1s -w 2500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reduce: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	run -2 --separate-stderr ds-reduce -i 1s -w 2s -s 1500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reduce: The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	printf '#ds1\n1\n%%2000\n2\n%%4000\n' >"$in"
	run -2 --separate-stderr ds-reduce -w 4s -s 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-reduce: The slide duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
}

@test "ds-reduce: -w with a batch time off the grid exits 1" {
	printf '#ds1\n1\n%%1000\n2\n%%2000\n3\n%%2500\n' >"$in"
	run -1 --separate-stderr ds-reduce -i 1s -w 3s <"$in"
	assert_output "#ds1
1
%1000
3
%2000"
	assert_equal "$stderr" "ds-reduce: stdin:7: batch time 2500 is not on the grid of the 1000 ms interval"
}

@test "ds-reduce: a Lua reducer, as reduce(lambda a, b: ...)" {
	printf '2\n3\n4\n' >"$BATS_TEST_TMPDIR/in"
	golden "$BATS_TEST_TMPDIR/in" sh -c 'ds-reduce "a * b" | ds-cat' <<'EOF'
24
EOF
}
