#!/usr/bin/env bats
# ds-print.bats: PySpark's pprint() and Scala's print(), to the byte.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

@test "ds-print: a pair record prints as PySpark's pprint prints it" {
	printf '#ds1\nhi\t1\n%%1653400284000\n' >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 2022-05-24 13:51:24
-------------------------------------------
('hi', 1)

EOF
}

@test "ds-print: -S prints as Scala's print prints it" {
	printf '#ds1\nhi\t1\none\n%%1653400284000\n' >"$in"
	golden "$in" ds-print -S <<'EOF'
-------------------------------------------
Time: 1653400284000 ms
-------------------------------------------
(hi,1)
one

EOF
}

@test "ds-print: -S prints fields as they are, joined by commas" {
	printf '#ds1\nit'\''s\t1.50\ta\\tb\n%%1653400284500\n' >"$in"
	golden "$in" ds-print -S <<'EOF'
-------------------------------------------
Time: 1653400284500 ms
-------------------------------------------
(it's,1.50,a	b)

EOF
}

@test "ds-print: a time that is not a whole second shows microseconds" {
	printf '#ds1\na\n%%1653400284500\nb\n%%1653400284501\n' >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 2022-05-24 13:51:24.500000
-------------------------------------------
a

-------------------------------------------
Time: 2022-05-24 13:51:24.501000
-------------------------------------------
b

EOF
}

@test "ds-print: times are local times, in TZ" {
	printf '#ds1\na\n%%1653400284000\n' >"$in"
	TZ=JST-9 golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 2022-05-24 22:51:24
-------------------------------------------
a

EOF
	TZ=EST5 golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 2022-05-24 08:51:24
-------------------------------------------
a

EOF
}

@test "ds-print: -n 2 prints two records of three, then ..." {
	printf '#ds1\na\nb\nc\n%%1000\nd\ne\n%%2000\n' >"$in"
	golden "$in" ds-print -n 2 <<'EOF'
-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
a
b
...

-------------------------------------------
Time: 1970-01-01 00:00:02
-------------------------------------------
d
e

EOF
}

@test "ds-print: ten records by default" {
	seq 11 | ds-lines -n 10 -T 0 >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
1
2
3
4
5
6
7
8
9
10

-------------------------------------------
Time: 1970-01-01 00:00:02
-------------------------------------------
11

EOF
}

@test "ds-print: -n 0 prints headers, and ... for a batch with records" {
	printf '#ds1\na\n%%1000\n%%2000\n' >"$in"
	golden "$in" ds-print -n 0 <<'EOF'
-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
...

-------------------------------------------
Time: 1970-01-01 00:00:02
-------------------------------------------

EOF
}

@test "ds-print: an empty batch prints the header and an empty line" {
	printf '#ds1\n%%1653400284000\n' >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 2022-05-24 13:51:24
-------------------------------------------

EOF
}

@test "ds-print: an empty input, or a header alone, prints nothing" {
	: >"$in"
	golden "$in" ds-print </dev/null
	printf '#ds1\n' >"$in"
	golden "$in" ds-print </dev/null
}

@test "ds-print: raw input prints as one batch at the end of the input" {
	printf 'a b\nc\td\n#x\n%%y\n' >"$in"
	run -0 --separate-stderr ds-print <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 7
	assert_equal "${lines[0]}" "-------------------------------------------"
	d='[0-9]{4}-[0-9]{2}-[0-9]{2}' t='[0-9]{2}:[0-9]{2}:[0-9]{2}'
	assert_regex "${lines[1]}" "^Time: $d $t(\\.[0-9]{3}000)?\$"
	assert_equal "${lines[2]}" "-------------------------------------------"
	assert_equal "${lines[3]}" "a b"
	assert_equal "${lines[4]}" "('c', 'd')"
	assert_equal "${lines[5]}" "#x"
	assert_equal "${lines[6]}" "%y"
}

@test "ds-print: a stream cut short ends with a batch after the last one" {
	printf '#ds1\na\n%%32503680000000\nb' >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 3000-01-01 00:00:00
-------------------------------------------
a

-------------------------------------------
Time: 3000-01-01 00:00:00.001000
-------------------------------------------
b

EOF
}

@test "ds-print: fields print as Python's repr prints strings" {
	{
		printf '#ds1\n'
		printf 'it'\''s\t1\n'
		printf 'say "hi" it'\''s\t-3\n'
		printf 'say "hi"\tx\n'
		printf 'a\\\\b\t1.50\n'
		printf 'x\\ty\\nz\\rw\tq\n'
		printf 'caf\303\251\tna\303\257ve \342\202\254\n'
		printf '\377\303\t\351t\303\251\n'
		printf '\001\177\t\302\240\342\200\213'
		printf '\356\200\200\363\260\200\200\n'
		printf '\ta\tb\n'
		printf 'one field, "quoted", it'\''s\n'
		printf '\\#x\t\\%%y\n'
	} >"$in"
	printf '%%1653400284000\n' >>"$in"
	golden "$in" ds-print -n 20 <<'EOF'
-------------------------------------------
Time: 2022-05-24 13:51:24
-------------------------------------------
("it's", 1)
('say "hi" it\'s', -3)
('say "hi"', 'x')
('a\\b', 1.50)
('x\ty\nz\rw', 'q')
('café', 'naïve €')
('\xff\xc3', '\xe9té')
('\x01\x7f', '\xa0\u200b\ue000\U000f0000')
('', 'a', 'b')
one field, "quoted", it's
('#x', '%y')

EOF
}

@test "ds-print: numeric fields print unquoted, as written" {
	{
		printf '#ds1\n1.50\t-3\t+7\t1e3\t.5\t5.\t-2.5E-3\n'
		printf '1.2.3\t1e\t--1\tinf\tnan\t 1\t1 \t.\n%%1000\n'
	} >"$in"
	golden "$in" ds-print <<'EOF'
-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
(1.50, -3, +7, 1e3, .5, 5., -2.5E-3)
('1.2.3', '1e', '--1', 'inf', 'nan', ' 1', '1 ', '.')

EOF
}

@test "ds-print: a finished batch comes out while the input waits" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-print -S <"$BATS_TEST_TMPDIR/fifo" >"$BATS_TEST_TMPDIR/out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\n%%1000\nb\n' >&"$w"
	wait_until 5 grep -q '^a$' "$BATS_TEST_TMPDIR/out"
	exec {w}>&-
	wait "$pid"
}

@test "ds-print: a bad -n is a usage error" {
	run -2 --separate-stderr ds-print -n x
	assert_equal "$stderr" "ds-print: -n x: invalid"
	assert_equal "$output" ""
	run -2 --separate-stderr ds-print -n -1
	assert_equal "$stderr" "ds-print: -n -1: too small"
	assert_equal "$output" ""
}

@test "ds-print: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-print -h
	assert_equal "$output" "usage: ds-print [-S] [-n num]"
	assert_equal "$stderr" ""
}

@test "ds-print: an unknown option prints the usage on stderr and exits 2" {
	run -2 --separate-stderr ds-print -x
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-print: invalid option -- 'x'
usage: ds-print [-S] [-n num]"
}

@test "ds-print: an operand is a usage error" {
	run -2 --separate-stderr ds-print file
	assert_equal "$output" ""
	assert_equal "$stderr" "usage: ds-print [-S] [-n num]"
}

@test "ds-print: a malformed stream exits 1, after the batches before it" {
	printf '#ds1\na\n%%1000\nb\\q\n' >"$in"
	run -1 --separate-stderr ds-print <"$in"
	assert_equal "$stderr" 'ds-print: stdin:4: invalid escape "\q"'
	assert_output - <<'EOF'
-------------------------------------------
Time: 1970-01-01 00:00:01
-------------------------------------------
a
EOF
}

@test "ds-print: a failed write exits 1" {
	printf '#ds1\na\n%%1000\n' >"$in"
	run -1 --separate-stderr bash -c 'ds-print <"$1" >/dev/full' _ "$in"
	assert_equal "$stderr" "ds-print: stdout: No space left on device"
	run -1 --separate-stderr bash -c 'ds-print <"$1" >&-' _ "$in"
	assert_equal "$stderr" "ds-print: stdout: Bad file descriptor"
}
