#!/usr/bin/env bats
# ds-reducebykey.bats: Spark's reduceByKey per batch, every operation to the
# byte, its errors, and the word count of a large corpus against awk.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	# Two batches with the same keys and an empty one between them;
	# an integer sum of exactly INT64_MAX, a float among integers, and
	# an integer and a float that are equal.
	nums=$BATS_TEST_TMPDIR/nums
	printf '#ds1\na\t1\nb\t-2.5\na\t9223372036854775800\nb\t1e3\na\t6\nc\t-4\nc\t-4.0\n%%1000\n%%2000\na\t2\nb\t-1\n%%3000\n' >"$nums"
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

@test "ds-reducebykey: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-reducebykey -h
	assert_output --regexp '^usage: ds-reducebykey \[-aI\] \[-f field\] .*\[-k field\] \[-o op\]'
	assert_equal "$stderr" ""
}

@test "ds-reducebykey: an unknown option, extra operands or a missing argument is a usage error" {
	local usage
	usage=$(ds-reducebykey -h)
	run -2 --separate-stderr ds-reducebykey -x
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: invalid option -- 'x'
$usage"
	run -2 --separate-stderr ds-reducebykey a b
	assert_output ""
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-reducebykey -o
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: option requires an argument -- 'o'
$usage"
}

@test "ds-reducebykey: an unknown operation exits 2" {
	run -2 --separate-stderr ds-reducebykey -o median </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: -o median: unknown operation"
	run -2 --separate-stderr ds-reducebykey -o SUM </dev/null
	assert_equal "$stderr" "ds-reducebykey: -o SUM: unknown operation"
}

@test "ds-reducebykey: a bad field number exits 2" {
	run -2 --separate-stderr ds-reducebykey -k 0 </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: -k 0: field number is too small"
	run -2 --separate-stderr ds-reducebykey -k abc </dev/null
	assert_equal "$stderr" "ds-reducebykey: -k abc: field number is invalid"
	run -2 --separate-stderr ds-reducebykey -f 0 </dev/null
	assert_equal "$stderr" "ds-reducebykey: -f 0: field number is too small"
	run -2 --separate-stderr ds-reducebykey -f 2x </dev/null
	assert_equal "$stderr" "ds-reducebykey: -f 2x: field number is invalid"
	run -2 --separate-stderr ds-reducebykey -f -1 </dev/null
	assert_equal "$stderr" "ds-reducebykey: -f -1: field number is too small"
	run -2 --separate-stderr ds-reducebykey -k 2147483648 </dev/null
	assert_equal "$stderr" "ds-reducebykey: -k 2147483648: field number is too large"
}

@test "ds-reducebykey: sum by default: exact integers, a float among them makes a float" {
	golden "$nums" ds-reducebykey <<'EOF'
#ds1
a	9223372036854775807
b	997.5
c	-8.0
%1000
%2000
a	2
b	-1
%3000
EOF
	printf '#ds1\nx\t1\nx\t2.0\ny\t0.1\ny\t0.2\nz\t1\nz\t2\nz\t.5\ni\t1e308\ni\t1e308\n%%5\n' >"$in"
	golden "$in" ds-reducebykey -o sum <<'EOF'
#ds1
x	3.0
y	0.30000000000000004
z	3.5
i	inf
%5
EOF
}

@test "ds-reducebykey: -o count counts records, without reading the values" {
	golden "$nums" ds-reducebykey -o count <<'EOF'
#ds1
a	3
b	2
c	2
%1000
%2000
a	1
b	1
%3000
EOF
	printf '#ds1\nk\tnot a number\nk\nj\t\nk\t5\n%%9\n' >"$in"
	golden "$in" ds-reducebykey -o count <<'EOF'
#ds1
k	3
j	1
%9
EOF
}

@test "ds-reducebykey: -o min and -o max keep the winner as it was, integer or float" {
	golden "$nums" ds-reducebykey -o min <<'EOF'
#ds1
a	1
b	-2.5
c	-4
%1000
%2000
a	2
b	-1
%3000
EOF
	golden "$nums" ds-reducebykey -o max <<'EOF'
#ds1
a	9223372036854775800
b	1000.0
c	-4
%1000
%2000
a	2
b	-1
%3000
EOF
	# Compared exactly: 2^53 + 1 is above the double 2^53.
	printf '#ds1\nn\t9007199254740992.0\nn\t9007199254740993\nm\t-0.5\nm\t-1\nm\t-1e-300\n%%1\n' >"$in"
	golden "$in" ds-reducebykey -o max <<'EOF'
#ds1
n	9007199254740993
m	-1e-300
%1
EOF
	golden "$in" ds-reducebykey -o min <<'EOF'
#ds1
n	9007199254740992.0
m	-1
%1
EOF
}

@test "ds-reducebykey: -o mean is always a float" {
	golden "$nums" ds-reducebykey -o mean <<'EOF'
#ds1
a	3.0744573456182584e+18
b	498.75
c	-4.0
%1000
%2000
a	2.0
b	-1.0
%3000
EOF
	printf '#ds1\nx\t1\nx\t2\ny\t1\ny\t2\ny\t4\nz\t-3\n%%1\n' >"$in"
	golden "$in" ds-reducebykey -o mean <<'EOF'
#ds1
x	1.5
y	2.3333333333333335
z	-3.0
%1
EOF
}

@test "ds-reducebykey: -o first and -o last take the values as they are" {
	golden "$nums" ds-reducebykey -o first <<'EOF'
#ds1
a	1
b	-2.5
c	-4
%1000
%2000
a	2
b	-1
%3000
EOF
	golden "$nums" ds-reducebykey -o last <<'EOF'
#ds1
a	6
b	1e3
c	-4.0
%1000
%2000
a	2
b	-1
%3000
EOF
	printf '#ds1\nk\thello world\nj\t\nk\t\\#x\\ty\nj\tonly\nk\tlast one\n%%1\nk\t007\n%%2\n' >"$in"
	golden "$in" ds-reducebykey -o first <<'EOF'
#ds1
k	hello world
j	
%1
k	007
%2
EOF
	golden "$in" ds-reducebykey -o last <<'EOF'
#ds1
k	last one
j	only
%1
k	007
%2
EOF
}

@test "ds-reducebykey: counts do not leak from one batch to the next" {
	printf '#ds1\nw\t1\nw\t1\n%%1000\nw\t1\n%%2000\n%%3000\nv\t1\nw\t1\nw\t1\nw\t1\n%%4000\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
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

@test "ds-reducebykey: an empty batch writes only its batch end; an empty input only the header" {
	printf '#ds1\n%%1000\n%%2000 reserved\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
%1000
%2000
EOF
	: >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
EOF
	printf '#ds1\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
EOF
}

@test "ds-reducebykey: keys come in order of first appearance, batch by batch" {
	printf '#ds1\nz\t1\na\t1\nm\t1\na\t1\nz\t1\n%%1000\nm\t1\nb\t1\nz\t1\n%%2000\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
z	2
a	2
m	1
%1000
m	1
b	1
z	1
%2000
EOF
}

@test "ds-reducebykey: raw input is one batch, closed at its end" {
	printf 'b\t1\na\t2\nb\t3\n#x\t4\n%%y\t5\n\\\t6' >"$in"
	run -0 --separate-stderr ds-reducebykey <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 7
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "b	4"
	assert_equal "${lines[2]}" "a	2"
	assert_equal "${lines[3]}" "\\#x	4"
	assert_equal "${lines[4]}" "\\%y	5"
	assert_equal "${lines[5]}" "\\\\	6"
	assert_regex "${lines[6]}" '^%[0-9]+$'
}

@test "ds-reducebykey: escaped keys round-trip through ds-cat" {
	printf '#ds1\na\\tb\t1\n\\#h\t2\n\\%%p\t3\nc\\\\d\t4\na\\tb\t5\nl\\nf\\r\t6\n\\#h\t7\n\t8\n%%1000\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
a\tb	6
\#h	9
\%p	3
c\\d	4
l\nf\r	6
	8
%1000
EOF
	ds-reducebykey <"$in" >"$out"
	golden "$out" ds-cat -j <<'EOF'
["a\tb","6"]
["#h","9"]
["%p","3"]
["c\\d","4"]
["l\nf\r","6"]
["","8"]
EOF
}

@test "ds-reducebykey: a key may hold NUL bytes" {
	printf '#ds1\na\0b\t1\na\0c\t2\na\0b\t3\na\t4\n%%1\n' >"$in"
	printf '#ds1\na\0b\t4\na\0c\t2\na\t4\n%%1\n' | golden "$in" ds-reducebykey
}

@test "ds-reducebykey: -k and -f choose the key and the value" {
	printf '#ds1\nGET\t/a\t120\nGET\t/b\t80\nPOST\t/a\t200\n%%1\n' >"$in"
	golden "$in" ds-reducebykey -k 2 -f 3 -o max <<'EOF'
#ds1
/a	200
/b	80
%1
EOF
	golden "$in" ds-reducebykey -k 1 -f 3 <<'EOF'
#ds1
GET	200
POST	200
%1
EOF
	printf '#ds1\n3\n3\n5\n%%1\n' >"$in"
	golden "$in" ds-reducebykey -f 1 <<'EOF'
#ds1
3	6
5	5
%1
EOF
}

@test "ds-reducebykey: a value that is not a number is an error, after what came before" {
	printf '#ds1\na\t1\n%%1000\na\t2\nb\tabc\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_output "#ds1
a	1
%1000"
	assert_equal "$stderr" 'ds-reducebykey: stdin:5: field 2: not a number: "abc"'
	for v in '' ' 1' '1 ' 0x10 inf nan 1e . - 1,5; do
		printf '#ds1\na\t%s\n%%1\n' "$v" >"$in"
		run -1 --separate-stderr ds-reducebykey -o mean <"$in"
		assert_equal "$stderr" "ds-reducebykey: stdin:2: field 2: not a number: \"$v\""
	done
	printf 'k\tx\0y\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -o min <"$in"
	assert_equal "$stderr" 'ds-reducebykey: stdin:1: field 2: not a number: "x\x00y"'
}

@test "ds-reducebykey: an integer sum past INT64_MAX is an error, never a wrap" {
	printf '#ds1\na\t9223372036854775807\nb\t1\na\t1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" 'ds-reducebykey: stdin:4: field 2: the sum overflows at "1"'
	printf '#ds1\na\t-9223372036854775808\na\t-1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_equal "$stderr" 'ds-reducebykey: stdin:3: field 2: the sum overflows at "-1"'
	printf '#ds1\na\t9223372036854775807\na\t1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -o mean <"$in"
	assert_equal "$stderr" 'ds-reducebykey: stdin:3: field 2: the sum overflows at "1"'
	# The extremes themselves are fine, and so is a float past them.
	printf '#ds1\na\t-9223372036854775808\nb\t9223372036854775807\nb\t1.0\n%%1\n' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
a	-9223372036854775808
b	9.223372036854776e+18
%1
EOF
}

@test "ds-reducebykey: a number out of range is an error" {
	printf '#ds1\na\t9223372036854775808\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -o max <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" 'ds-reducebykey: stdin:2: field 2: number out of range: "9223372036854775808"'
	printf '#ds1\na\t-1e309\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -I <"$in"
	assert_equal "$stderr" 'ds-reducebykey: stdin:2: field 2: number out of range: "-1e309"'
}

@test "ds-reducebykey: a missing key or value field is an error" {
	printf '#ds1\na\t1\nb\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: no field 2"
	printf '#ds1\na\t1\t2\na\t3\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -f 3 <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: no field 3"
	run -1 --separate-stderr ds-reducebykey -k 3 -o count <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: no field 3"
	run -1 --separate-stderr ds-reducebykey -I -f 3 <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: no field 3"
	golden "$in" ds-reducebykey -f 3 -o count <<'EOF'
#ds1
a	2
%1
EOF
}

@test "ds-reducebykey: -I skips what is not a number and reports the count at exit" {
	printf '#ds1\na\t1\nb\tx\na\ty\nc\t2\nb\tz\n%%1000\nb\t-\nb\t4\n%%2000\n' >"$in"
	run -0 --separate-stderr ds-reducebykey -I <"$in"
	assert_output "#ds1
a	1
c	2
%1000
b	4
%2000"
	assert_equal "$stderr" "ds-reducebykey: values skipped, not numbers: 4"
	run -0 --separate-stderr ds-reducebykey -I -o mean <"$in"
	assert_equal "$stderr" "ds-reducebykey: values skipped, not numbers: 4"
	# Nothing skipped, nothing said; first does not read numbers.
	run -0 --separate-stderr ds-reducebykey -I -o first <"$in"
	assert_output "#ds1
a	1
b	x
c	2
%1000
b	-
%2000"
	assert_equal "$stderr" ""
}

@test "ds-reducebykey: a malformed stream is an error naming the line" {
	printf '#ds1\na\t1\n%%1000\nb\\q\t1\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_output "#ds1
a	1
%1000"
	assert_equal "$stderr" 'ds-reducebykey: stdin:4: invalid escape "\q"'
	printf '#ds1\na\t1\n%%2000\nb\t1\n%%1000\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_output "#ds1
a	1
%2000"
	assert_equal "$stderr" "ds-reducebykey: stdin:5: batch time 1000 does not follow 2000"
	printf '#ds1\na\t1\n%%x\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: malformed batch end"
	printf '#ds1\na\t1\\\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:2: backslash at end of field"
	printf '#ds1\na\t1\n#ds1\n%%1\n' >"$in"
	run -1 --separate-stderr ds-reducebykey <"$in"
	assert_equal "$stderr" "ds-reducebykey: stdin:3: stream header inside a batch"
}

@test "ds-reducebykey: a stream header at a batch boundary and a last line without LF" {
	printf '#ds1\na\t1\n%%1\n#ds1\na\t2\n%%2' >"$in"
	golden "$in" ds-reducebykey <<'EOF'
#ds1
a	1
%1
a	2
%2
EOF
}

@test "ds-reducebykey: a write error is reported" {
	run -1 --separate-stderr sh -c 'ds-reducebykey <"$1" >/dev/full' sh "$nums"
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: stdout: No space left on device"
	run -1 --separate-stderr sh -c 'ds-reducebykey <"$1" >&-' sh "$nums"
	assert_equal "$stderr" "ds-reducebykey: stdout: Bad file descriptor"
}

@test "ds-reducebykey: a finished batch is written while the input stays open" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-reducebykey <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\t1\na\t2\n%%1000\nb\t1\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
a	3
%1000"
	printf '%%2000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$out")" "#ds1
a	3
%1000
b	1
%2000"
}

@test "ds-reducebykey: a reader that goes away ends the pipeline" {
	run -0 --separate-stderr bash -c 'ds-lines -n 1 -T 0 "$1" | ds-words |
	    ds-reducebykey | head -n 2; echo "${PIPESTATUS[2]}"' sh "$(corpus)"
	assert_equal "${#lines[@]}" 3
	assert_equal "${lines[0]}" "#ds1"
	# Killed by SIGPIPE, or told EPIPE when the runner ignores SIGPIPE.
	if [ "${lines[2]}" = 1 ]; then
		assert_equal "$stderr" "ds-reducebykey: stdout: Broken pipe"
	else
		assert_equal "${lines[2]}" 141
	fi
}

@test "ds-reducebykey: the word count of a 20 MB corpus is awk's, batch by batch" {
	local c n pid
	c=$(corpus)
	set -o pipefail
	(
		for n in 1000 10000 100000; do
			ds-lines -n "$n" -T 0 "$c" | ds-words | ds-reducebykey |
			    ds-cat -t | sort >"$BATS_TEST_TMPDIR/got.$n" || exit
		done
	) &
	pid=$!
	# Line i goes into batch (int((i - 1) / n) + 1) * 1000 for each n;
	# one pass counts the words of each batch for the three sizes.
	"$AWK" -F '[ \t]+' -v dir="$BATS_TEST_TMPDIR" '
	function put(t, w, c, n) {
		print t "\t" w "\t" c >(dir "/want." n)
	}
	(NR - 1) % 1000 == 0 {
		for (w in c1)
			put(t1, w, c1[w], 1000)
		delete c1
		t1 += 1000
	}
	(NR - 1) % 10000 == 0 {
		for (w in c2)
			put(t2, w, c2[w], 10000)
		delete c2
		t2 += 1000
	}
	(NR - 1) % 100000 == 0 {
		for (w in c3)
			put(t3, w, c3[w], 100000)
		delete c3
		t3 += 1000
	}
	{
		for (i = 1; i <= NF; i++) {
			c1[$i]++
			c2[$i]++
			c3[$i]++
		}
	}
	END {
		for (w in c1)
			put(t1, w, c1[w], 1000)
		for (w in c2)
			put(t2, w, c2[w], 10000)
		for (w in c3)
			put(t3, w, c3[w], 100000)
	}' "$c"
	wait "$pid"
	for n in 1000 10000 100000; do
		sort "$BATS_TEST_TMPDIR/want.$n" |
		    diff -u - "$BATS_TEST_TMPDIR/got.$n"
		# Several batches, and many keys in each.
		[ "$(cut -f 1 "$BATS_TEST_TMPDIR/got.$n" | uniq | wc -l)" -ge 3 ]
		[ "$(wc -l <"$BATS_TEST_TMPDIR/got.$n")" -gt 10000 ]
	done
}

# reduceByKeyAndWindow: -w, -s and -i.  tests/ds-window.bats checks every
# operation against ds-window | ds-reducebykey on random streams.

@test "ds-reducebykey: -w aggregates over a sliding window, an empty window is an empty batch" {
	printf '#ds1\na\t1\nb\t2\n%%1000\na\t3\n%%2000\nc\t5\n%%3000\n%%4000\nb\t1\n%%5000\na\t2\n%%8000\n' >"$in"
	# The interval, 1 s, is learned; the gap 6000 to 7000 still has its
	# windows, the second empty.
	golden "$in" ds-reducebykey -w 2s <<'EOF'
#ds1
a	1
b	2
%1000
a	4
b	2
%2000
a	3
c	5
%3000
c	5
%4000
b	1
%5000
b	1
%6000
%7000
a	2
%8000
EOF
	# Zero time is 0: windows of 3 s at 2000, 4000, 6000 and 8000.
	golden "$in" ds-reducebykey -o max -i 1s -w 3s -s 2s <<'EOF'
#ds1
a	3
b	2
%2000
a	3
c	5
%4000
b	1
%6000
a	2
%8000
EOF
}

@test "ds-reducebykey: -w keys come in order of first appearance within the window" {
	printf '#ds1\nb\t1\n%%1000\na\t1\nb\t1\n%%2000\nc\t1\nb\t1\n%%3000\n' >"$in"
	golden "$in" ds-reducebykey -i 1s -w 2s <<'EOF'
#ds1
b	1
%1000
b	2
a	1
%2000
a	1
b	2
c	1
%3000
EOF
}

@test "ds-reducebykey: -w adds a float sum batch by batch, as its page says" {
	# (0.1) + (0.2 + 0.3) is 0.6, where 0.1 + 0.2 + 0.3 is not.
	printf '#ds1\na\t0.1\n%%1000\na\t0.2\na\t0.3\n%%2000\n' >"$in"
	golden "$in" sh -c 'ds-reducebykey -w 2s | ds-cat -t' <<'EOF'
1000	a	0.1
2000	a	0.6
EOF
	golden "$in" sh -c 'ds-window 2s | ds-reducebykey | ds-cat -t' <<'EOF'
1000	a	0.1
2000	a	0.6000000000000001
EOF
}

@test "ds-reducebykey: -s or -i without -w exits 2" {
	run -2 --separate-stderr ds-reducebykey -s 2s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: -s and -i need -w"
	run -2 --separate-stderr ds-reducebykey -i 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: -s and -i need -w"
}

@test "ds-reducebykey: -w or -s not a multiple of the interval exits 2 with Spark's message" {
	run -2 --separate-stderr ds-reducebykey -i 1s -w 2500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	run -2 --separate-stderr ds-reducebykey -i 1s -w 2s -s 1500ms </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-reducebykey: The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	# A learned interval, 2 s, is checked at the second batch.
	printf '#ds1\na\t1\n%%2000\na\t2\n%%4000\n' >"$in"
	run -2 --separate-stderr ds-reducebykey -w 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-reducebykey: The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
}

@test "ds-reducebykey: -w with a batch time off the grid exits 1" {
	printf '#ds1\na\t1\n%%1000\nb\t2\n%%2000\nc\t3\n%%2500\n' >"$in"
	run -1 --separate-stderr ds-reducebykey -w 3s <"$in"
	assert_output "#ds1
a	1
%1000
a	1
b	2
%2000"
	assert_equal "$stderr" "ds-reducebykey: stdin:7: batch time 2500 is not on the grid of the 1000 ms interval"
}

@test "ds-reducebykey: a Lua reducer folds a key's values, numbers as numbers" {
	printf 'a\t1\nb\tx\na\t5\nb\ty\na\t2.5\n' >"$BATS_TEST_TMPDIR/in"
	golden "$BATS_TEST_TMPDIR/in" sh -c 'ds-reducebykey "a .. \",\" .. b" | ds-cat' <<'EOF'
a	1,5,2.5
b	x,y
EOF
}

@test "ds-reducebykey: a Lua reducer over a window" {
	printf '#ds1\na\t1\n%%1000\na\t2\n%%2000\na\t3\n%%3000\n' >"$BATS_TEST_TMPDIR/in"
	golden "$BATS_TEST_TMPDIR/in" sh -c 'ds-reducebykey -w 2s "a * 10 + b" | ds-cat -t' <<'EOF'
1000	a	1
2000	a	12
3000	a	23
EOF
}

@test "ds-reducebykey: a Lua error names the line" {
	printf 'a\tx\na\t1\n' >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr ds-reducebykey 'a + b' <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" "ds-reducebykey: stdin:2: lua: [string \"a + b\"]:1: attempt to add a 'string' with a 'number'"
}

@test "ds-reducebykey: a Lua reducer that does not compile is a usage error" {
	run -2 --separate-stderr ds-reducebykey 'a +' </dev/null
	assert_equal "$stderr" "ds-reducebykey: lua: [string \"a +\"]:1: unexpected symbol near <eof>"
	run -2 --separate-stderr ds-reducebykey -o max 'a + b' </dev/null
	assert_equal "$stderr" "ds-reducebykey: -o and a Lua reducer exclude each other"
}
