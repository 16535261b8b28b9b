#!/usr/bin/env bats
# ds-transform.bats: a command per batch, empty batches included; its
# input and output as text; failures; large batches in both directions.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	printf '#ds1\nb\t2\na\t10\nc\t1\n%%1000\n%%2000\nx\t5\n%%3000\n' >"$in"
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

@test "ds-transform: the command's output is the batch; times kept" {
	golden "$in" ds-transform sort <<'EOF'
#ds1
a	10
b	2
c	1
%1000
%2000
x	5
%3000
EOF
}

@test "ds-transform: the command's options are its own" {
	golden "$in" ds-transform sort -t "$(printf '\t')" -k2,2nr <<'EOF'
#ds1
a	10
b	2
c	1
%1000
%2000
x	5
%3000
EOF
	golden "$in" ds-transform head -1 <<'EOF'
#ds1
b	2
%1000
%2000
x	5
%3000
EOF
}

@test "ds-transform: the command runs for an empty batch too" {
	golden "$in" ds-transform wc -l <<'EOF'
#ds1
3
%1000
0
%2000
1
%3000
EOF
	golden "$in" ds-transform echo hi <<'EOF'
#ds1
hi
%1000
hi
%2000
hi
%3000
EOF
}

@test "ds-transform: an empty input runs nothing" {
	golden /dev/null ds-transform false <<'EOF'
#ds1
EOF
}

@test "ds-transform: records go in as lines of ds(5) and come out as records" {
	# Records go in escaped; the output's lines are read as record
	# lines, TABs splitting fields, escapes undone, and what needs
	# escaping is escaped on the way out (a raw CR too).
	printf '#ds1\n\\#a\\\\b\tc\n\\%%d\n%%5\n' >"$in"
	golden "$in" ds-transform sh -c 'cat; printf "%s\\tz\\r\\n" "x\\\\y"' <<'EOF'
#ds1
\#a\\b	c
\%d
x\\y	z\r
%5
EOF
	golden "$in" ds-transform awk -F '\t' '{ print NF ":" $1 }' <<'EOF'
#ds1
2:#a\\b
1:%d
%5
EOF
}

@test "ds-transform: a field holding a TAB or an LF goes in escaped, one line a record" {
	printf '#ds1\na\\nb\tc\\td\n\\#x\t\\\\y\nz\n%%5\n' >"$in"
	golden "$in" ds-transform cat <<'EOF'
#ds1
a\nb	c\td
\#x	\\y
z
%5
EOF
	# The command sees the escapes: head -1 takes one record, whole.
	golden "$in" ds-transform head -1 <<'EOF'
#ds1
a\nb	c\td
%5
EOF
	run -0 sh -c 'ds-transform cat <"$1" | ds-cat -j' sh "$in"
	assert_line -n 0 '["a\nb","c\td"]'
}

@test "ds-transform: every line the command prints is a record, # and % too" {
	golden "$in" ds-transform printf '#x\n%%y\na\\tb\n' <<'EOF'
#ds1
\#x
\%y
a\tb
%1000
\#x
\%y
a\tb
%2000
\#x
\%y
a\tb
%3000
EOF
}

@test "ds-transform: a bad escape in the command's output is an error" {
	run -1 --separate-stderr ds-transform printf 'c:\\x\n' <"$in"
	[ "$stderr" = 'ds-transform: printf: output line 1: invalid escape "\x"' ]
	assert_output '#ds1'
}

@test "ds-transform: a last line without LF is a record" {
	golden "$in" ds-transform printf 'a\nb' <<'EOF'
#ds1
a
b
%1000
a
b
%2000
a
b
%3000
EOF
}

@test "ds-transform: a command that writes a stream is read as one" {
	# ds-words reads the lines as text and writes a stream, whose own
	# batch end is not the batch's.
	printf '#ds1\na b\n%%7000\nc d\n%%8000\n' >"$in"
	golden "$in" ds-transform ds-words <<'EOF'
#ds1
a	1
b	1
%7000
c	1
d	1
%8000
EOF
}

@test "ds-transform: a failing command is an error naming the batch" {
	run -1 --separate-stderr ds-transform sh -c 'n=$(wc -l); echo "$n"; [ "$n" -gt 0 ] || { echo oops >&2; exit 3; }' <"$in"
	assert_equal "$stderr" "oops
ds-transform: batch 2000: sh exited with status 3"
	# The batch before it goes out; nothing of the failed one does.
	assert_equal "$output" "$(printf '#ds1\n3\n%%1000')"
}

@test "ds-transform: a command killed by a signal is an error" {
	run -1 --separate-stderr ds-transform sh -c 'kill -9 $$' <"$in"
	assert_equal "$stderr" "ds-transform: batch 1000: sh killed by signal 9"
	assert_equal "$output" "#ds1"
}

@test "ds-transform: a command that cannot run is an error" {
	run -1 --separate-stderr ds-transform ds-no-such-command <"$in"
	assert_equal "$stderr" "ds-transform: ds-no-such-command: No such file or directory"
	assert_equal "$output" "#ds1"
}

@test "ds-transform: a command that stops reading early is no error" {
	seq 1 300000 | ds-lines -n 200000 -T 0 >"$in"
	golden "$in" ds-transform head -2 <<'EOF'
#ds1
1
2
%1000
200001
200002
%2000
EOF
}

@test "ds-transform: a large batch through cat, both ways at once" {
	seq 1 500000 | ds-lines -n 400000 -T 0 >"$in"
	ds-transform cat <"$in" >"$out"
	cmp "$in" "$out"
}

@test "ds-transform: a finished batch goes out before the next arrives" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-transform sort <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\nb\na\n%%1000\nc\n' >&"$w"
	wait_until 10 grep -q '^%1000$' "$out"
	assert_equal "$(cat "$out")" "$(printf '#ds1\na\nb\n%%1000')"
	printf '%%2000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	pid=
	assert_equal "$(cat "$out")" "$(printf '#ds1\na\nb\n%%1000\nc\n%%2000')"
}

@test "ds-transform: man page examples" {
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'b\\t2\\na\\t10\\nc\\t1\\n' | ds-lines -n 3 -T 0 | ds-transform sort -t \"\$(printf '\\t')\" -k2,2nr"
	assert_equal "$output" "$(printf '#ds1\na\t10\nb\t2\nc\t1\n%%1000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf '#ds1\\na\\n%%1000\\n%%2000\\n' | ds-transform wc -l"
	assert_equal "$output" "$(printf '#ds1\n1\n%%1000\n0\n%%2000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'b\\na\\nb\\n' | ds-lines -n 3 -T 0 | ds-transform sh -c 'sort | uniq -c' | ds-cat"
	assert_equal "$output" "$(printf '      1 a\n      2 b')"
}

@test "ds-transform: usage errors exit 2" {
	run -2 --separate-stderr ds-transform
	assert_equal "$stderr" "usage: ds-transform command [argument ...]"
	run -2 --separate-stderr ds-transform -x sort
	assert_equal "${stderr##*$'\n'}" "usage: ds-transform command [argument ...]"
	run -0 --separate-stderr ds-transform -h
	assert_equal "$output" "usage: ds-transform command [argument ...]"
}

@test "ds-transform: a malformed stream is an error naming the line" {
	printf '#ds1\na\n%%1000\nb\n%%x\n' >"$in"
	run -1 --separate-stderr ds-transform cat <"$in"
	assert_equal "$stderr" "ds-transform: stdin:5: malformed batch end"
	assert_equal "$output" "$(printf '#ds1\na\n%%1000')"
}

@test "ds-transform: a write error exits 1" {
	run -1 --separate-stderr sh -c 'ds-transform cat <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-transform: stdout: No space left on device"
}

@test "ds-transform: ends when its reader goes away" {
	run -0 timeout 20 bash -c 'yes a | ds-lines -n 1000 -T 0 | ds-transform cat | head -1'
	assert_equal "$output" "#ds1"
}
