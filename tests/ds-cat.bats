#!/usr/bin/env bats
# ds-cat.bats: streams back to lines of text and JSON, and the reader's
# errors as every program reports them.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	stream=$BATS_TEST_TMPDIR/stream
	# Three batches, the second empty, with metadata, a repeated header at
	# a batch boundary, an empty record and text after a batch time.
	{
		printf '#ds1\nhi\t1\nyou\t2\n%%1000\n'
		printf '#meta\n#ds1\n%%2000\n'
		printf '\none\n%%3000 later\n'
	} >"$stream"
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

@test "ds-cat: records as lines, fields joined by TAB" {
	golden "$stream" ds-cat <<'EOF'
hi	1
you	2

one
EOF
}

@test "ds-cat: -t puts the batch time first" {
	golden "$stream" ds-cat -t <<'EOF'
1000	hi	1
1000	you	2
3000	
3000	one
EOF
}

@test "ds-cat: -j writes each record as a JSON array of strings" {
	golden "$stream" ds-cat -j <<'EOF'
["hi","1"]
["you","2"]
[""]
["one"]
EOF
}

@test "ds-cat: -jt makes the batch time the first element, a number" {
	golden "$stream" ds-cat -jt <<'EOF'
[1000,"hi","1"]
[1000,"you","2"]
[3000,""]
[3000,"one"]
EOF
}

@test "ds-cat: -t holds a batch's records until its end" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-cat -t <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\n%%1000\nb\n' >&"$w"
	wait_until 5 grep -q '^1000	a$' "$BATS_TEST_TMPDIR/out"
	# b waits for its batch end: ds-cat has flushed all it will.
	sleep 0.1
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "1000	a"
	printf '%%2000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$BATS_TEST_TMPDIR/out")" "1000	a
2000	b"
}

@test "ds-cat: escapes are undone" {
	printf '#ds1\n\\#a\\\\b\\tc\\nd\\re\t\\%%\\#f\n\\%%g\n%%1\n' >"$in"
	printf '#a\\b\tc\nd\re\t%%#f\n%%g\n' | golden "$in" ds-cat
	golden "$in" ds-cat -j <<'EOF'
["#a\\b\tc\nd\re","%#f"]
["%g"]
EOF
}

@test "ds-cat: NUL and bytes that are not UTF-8 pass through" {
	printf '#ds1\na\000b\t\377\n%%1\n' >"$in"
	printf 'a\000b\t\377\n' | golden "$in" ds-cat
}

@test "ds-cat: -j escapes as JSON needs and replaces bytes that are not UTF-8" {
	{
		printf '#ds1\n'
		printf 'q"b\\\\\t\001\037\177\n'
		printf 'caf\303\251\t\342\202\254\360\237\230\200\n'
		printf '\377\t\303\t\355\240\200\t\300\257\tx\351y\n'
		printf '%%1\n'
	} >"$in"
	# DEL is no control character to JSON; each bad byte is one U+FFFD.
	r=$'\357\277\275'
	{
		printf '["q\\"b\\\\","\\u0001\\u001f\177"]\n'
		printf '["caf\303\251","\342\202\254\360\237\230\200"]\n'
		printf '["%s","%s","%s","%s","x%sy"]\n' \
		    "$r" "$r" "$r$r$r" "$r$r" "$r"
	} | golden "$in" ds-cat -j
}

@test "ds-cat: raw input comes out as it went in" {
	printf 'a\\q\tb\n#x\n%%y\n\nlast' >"$in"
	printf 'a\\q\tb\n#x\n%%y\n\nlast\n' | golden "$in" ds-cat
	golden "$in" ds-cat -j <<'EOF'
["a\\q","b"]
["#x"]
["%y"]
[""]
["last"]
EOF
}

@test "ds-cat: a last line without LF is still a line" {
	printf '#ds1\na\n%%7' >"$in"
	golden "$in" ds-cat -t <<'EOF'
7	a
EOF
}

@test "ds-cat: a stream cut short ends with a batch after the last one" {
	printf '#ds1\na\n%%32503680000000\nb\n' >"$in"
	golden "$in" ds-cat -t <<'EOF'
32503680000000	a
32503680000001	b
EOF
}

@test "ds-cat: two streams one after the other make a stream" {
	printf '#ds1\na\n%%1000\n' >"$BATS_TEST_TMPDIR/a.ds"
	printf '#ds1\nb\n%%2000\n' >"$BATS_TEST_TMPDIR/b.ds"
	cat "$BATS_TEST_TMPDIR/a.ds" "$BATS_TEST_TMPDIR/b.ds" >"$in"
	golden "$in" ds-cat -t <<'EOF'
1000	a
2000	b
EOF
}

@test "ds-cat: an empty input, or a header alone, writes nothing" {
	: >"$in"
	golden "$in" ds-cat </dev/null
	printf '#ds1\n' >"$in"
	golden "$in" ds-cat -jt </dev/null
}

# malformed INPUT MESSAGE: ds-cat exits 1 on the printf format INPUT,
# saying MESSAGE.
malformed() {
	printf "$1" >"$in"
	run -1 --separate-stderr ds-cat <"$in"
	assert_equal "$stderr" "$2"
}

@test "ds-cat: a bad escape is an error naming the line" {
	malformed '#ds1\na\\q\n' 'ds-cat: stdin:2: invalid escape "\q"'
	assert_equal "$output" ""
	malformed '#ds1\n#m\nok\na\tb\\\n' \
	    'ds-cat: stdin:4: backslash at end of field'
	assert_equal "$output" "ok"
	malformed '#ds1\na\\ b\n' \
	    'ds-cat: stdin:2: invalid escape: backslash and byte 0x20'
	malformed '#ds1\na\\"b\n' \
	    'ds-cat: stdin:2: invalid escape: backslash and byte 0x22'
	malformed '#ds1\na\\\001\n' \
	    'ds-cat: stdin:2: invalid escape: backslash and byte 0x01'
	malformed '#ds1\na\\\351\n' \
	    'ds-cat: stdin:2: invalid escape: backslash and byte 0xe9'
}

@test "ds-cat: a bad batch end is an error naming the line" {
	malformed '#ds1\n%%\n' 'ds-cat: stdin:2: malformed batch end'
	malformed '#ds1\n%%12x\n' 'ds-cat: stdin:2: malformed batch end'
	malformed '#ds1\n%%-1\n' 'ds-cat: stdin:2: malformed batch end'
	malformed '#ds1\n%%12\tx\n' 'ds-cat: stdin:2: malformed batch end'
	malformed '#ds1\n%%9223372036854775808\n' \
	    'ds-cat: stdin:2: batch time out of range'
}

@test "ds-cat: a batch time that does not increase is an error" {
	malformed '#ds1\na\n%%5\nb\n%%4\n' \
	    'ds-cat: stdin:5: batch time 4 does not follow 5'
	malformed '#ds1\n%%5\n%%5\n' \
	    'ds-cat: stdin:3: batch time 5 does not follow 5'
}

@test "ds-cat: a header inside a batch is an error" {
	malformed '#ds1\na\n#ds1\n' \
	    'ds-cat: stdin:3: stream header inside a batch'
	assert_equal "$output" "a"
}

@test "ds-cat: what came before the bad line still comes out" {
	malformed '#ds1\na\n%%1\nb\nc\n%%0\n' \
	    'ds-cat: stdin:6: batch time 0 does not follow 1'
	assert_output - <<'EOF'
a
b
c
EOF
	printf '#ds1\na\n%%1\nb\n%%0\n' >"$in"
	run -1 --separate-stderr ds-cat -t <"$in"
	assert_equal "$stderr" 'ds-cat: stdin:5: batch time 0 does not follow 1'
	assert_equal "$output" "1	a"
}

@test "ds-cat: a failed write exits 1" {
	run -1 --separate-stderr bash -c 'ds-cat <"$1" >/dev/full' _ "$stream"
	assert_equal "$stderr" "ds-cat: stdout: No space left on device"
	run -1 --separate-stderr bash -c 'ds-cat <"$1" >&-' _ "$stream"
	assert_equal "$stderr" "ds-cat: stdout: Bad file descriptor"
}

@test "ds-cat: a reader that goes away ends it" {
	seq 1000000 | ds-lines -n 1000 -T 0 >"$in"
	run -0 --separate-stderr bash -c \
	    'ds-cat <"$1" | head -n 1; echo "${PIPESTATUS[0]}"' _ "$in"
	assert_equal "${lines[0]}" "1"
	case ${lines[1]} in
	141)	assert_equal "$stderr" "" ;;
	1)	assert_equal "$stderr" "ds-cat: stdout: Broken pipe" ;;
	*)	fail "ds-cat exited ${lines[1]}" ;;
	esac
}

@test "ds-cat: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-cat -h
	assert_equal "$output" "usage: ds-cat [-jt]"
	assert_equal "$stderr" ""
}

@test "ds-cat: an unknown option prints the usage on stderr and exits 2" {
	run -2 --separate-stderr ds-cat -x
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-cat: invalid option -- 'x'
usage: ds-cat [-jt]"
}

@test "ds-cat: an operand is a usage error" {
	run -2 --separate-stderr ds-cat file
	assert_equal "$output" ""
	assert_equal "$stderr" "usage: ds-cat [-jt]"
}

@test "ds-cat: records after a batch at the last time there is are an error" {
	printf '#ds1\n%%9223372036854775807\nx\n' >"$BATS_TEST_TMPDIR/in"
	run -1 --separate-stderr ds-cat <"$BATS_TEST_TMPDIR/in"
	assert_equal "$stderr" "ds-cat: stdin:3: no batch time after 9223372036854775807 for the last records"
}
