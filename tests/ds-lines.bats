#!/usr/bin/env bats
# ds-lines.bats: lines into batches, on the clock and by count, and back
# to the same bytes.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	err=$BATS_TEST_TMPDIR/err
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

# on_clock FILE INTERVAL: the batch times in FILE are multiples of INTERVAL
# milliseconds and strictly increase.
on_clock() {
	awk -v iv="$2" '
	/^%/ {
		t = substr($0, 2) + 0
		if (t % iv != 0 || (n++ > 0 && t <= last)) {
			print "bad batch time at line " NR ": " $0
			bad = 1
		}
		last = t
	}
	END { exit bad }' "$1"
}

# now_ms: the wall clock in milliseconds.
now_ms() {
	date +%s%3N
}

# gone PID: the process has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

@test "ds-lines: -n 2 -i 1s -T 0 closes batches at 1000, 2000 and 3000" {
	seq 5 >"$in"
	golden "$in" ds-lines -n 2 -i 1s -T 0 <<'EOF'
#ds1
1
2
%1000
3
4
%2000
5
%3000
EOF
}

@test "ds-lines: no empty batch follows a full one" {
	seq 4 >"$in"
	golden "$in" ds-lines -n 2 -i 1s -T 0 <<'EOF'
#ds1
1
2
%1000
3
4
%2000
EOF
}

@test "ds-lines: lines are text, escaped on the way out" {
	printf '#ds1\na\tb\\c\n%%1000\n#x\n\n\t\ncr\r\nlast' >"$in"
	golden "$in" ds-lines -n 3 -i 1ms -T 0 <<'EOF'
#ds1
\#ds1
a	b\\c
\%1000
%1
\#x

	
%2
cr\r
last
%3
EOF
}

@test "ds-lines: -T takes ISO 8601 times" {
	printf 'a\nb\nc\n' >"$in"
	golden "$in" ds-lines -n 2 -i 1s -T 2022-05-24T13:51:24Z <<'EOF'
#ds1
a
b
%1653400285000
c
%1653400286000
EOF
	golden "$in" ds-lines -n 3 -i 1s -T 2022-05-24T15:51:24+02:00 <<'EOF'
#ds1
a
b
c
%1653400285000
EOF
	golden "$in" ds-lines -n 3 -i 500ms -T '2022-05-24 13:51:24.25' <<'EOF'
#ds1
a
b
c
%1653400284750
EOF
	TZ=JST-9 golden "$in" ds-lines -n 3 -i 1s -T 2022-05-24T22:51 <<'EOF'
#ds1
a
b
c
%1653400261000
EOF
}

@test "ds-lines: -n without -T starts at the next interval boundary" {
	seq 3 >"$in"
	before=$(now_ms)
	run -0 --separate-stderr ds-lines -n 2 -i 1s <"$in"
	after=$(now_ms)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 6
	first=${lines[3]#%}
	assert_equal "${lines[5]}" "%$((first + 1000))"
	assert_equal "$((first % 1000))" 0
	[ "$first" -gt "$((before + 1000))" ]
	[ "$first" -le "$((after + 2000))" ]
}

@test "ds-lines: a batch time past what int64 holds is an error, no wrap" {
	printf 'a\nb\n' >"$in"
	run -1 --separate-stderr ds-lines -n 1 -i 5000000000000000000ms -T 0 \
	    <"$in"
	assert_equal "$stderr" "ds-lines: batch time out of range"
	assert_output - <<'EOF'
#ds1
a
%5000000000000000000
b
EOF
	golden "$in" ds-lines -n 2 -i 1ms -T 9223372036854775806 <<'EOF'
#ds1
a
b
%9223372036854775807
EOF
}

@test "ds-lines: -T without -n is a usage error" {
	run -2 --separate-stderr ds-lines -T 0 </dev/null
	assert_equal "$stderr" "ds-lines: -T needs -n"
	assert_equal "$output" ""
}

@test "ds-lines: a bad -T is a usage error" {
	run -2 --separate-stderr ds-lines -n 1 -T yesterday </dev/null
	assert_equal "$stderr" "ds-lines: -T yesterday: not a time"
	assert_equal "$output" ""
	run -2 --separate-stderr ds-lines -n 1 -T 1969-12-31T23:59:59Z \
	    </dev/null
	assert_equal "$stderr" \
	    "ds-lines: -T 1969-12-31T23:59:59Z: not a time"
	run -2 --separate-stderr ds-lines -n 1 -T 2022-13-01 </dev/null
	assert_equal "$stderr" "ds-lines: -T 2022-13-01: not a time"
}

@test "ds-lines: a bad -i is a usage error" {
	local iv

	# (run has an i of its own.)
	for iv in 0 0ms 1x -1s 1.5s '' s 99999999999999999999 \
	    9223372036854775807s; do
		run -2 --separate-stderr ds-lines -i "$iv" </dev/null
		assert_equal "$stderr" \
		    "ds-lines: -i $iv: not a positive duration"
		assert_equal "$output" ""
	done
}

@test "ds-lines: a bad -n is a usage error" {
	run -2 --separate-stderr ds-lines -n 0 </dev/null
	assert_equal "$stderr" "ds-lines: -n 0: too small"
	assert_equal "$output" ""
	run -2 --separate-stderr ds-lines -n -1 </dev/null
	assert_equal "$stderr" "ds-lines: -n -1: too small"
	run -2 --separate-stderr ds-lines -n x </dev/null
	assert_equal "$stderr" "ds-lines: -n x: invalid"
	run -2 --separate-stderr ds-lines -n 99999999999999999999 </dev/null
	assert_equal "$stderr" "ds-lines: -n 99999999999999999999: too large"
}

@test "ds-lines: an empty input writes only the header" {
	: >"$in"
	golden "$in" ds-lines -n 2 -T 0 <<'EOF'
#ds1
EOF
	golden "$in" ds-lines -i 100ms <<'EOF'
#ds1
EOF
}

@test "ds-lines: files are read in turn, - is stdin" {
	printf 'a\nb\nc\n' >"$BATS_TEST_TMPDIR/1"
	printf 'e\n' >"$BATS_TEST_TMPDIR/2"
	printf 'd\n' >"$in"
	golden "$in" ds-lines -n 2 -i 1s -T 0 "$BATS_TEST_TMPDIR/1" - \
	    "$BATS_TEST_TMPDIR/2" <<'EOF'
#ds1
a
b
%1000
c
d
%2000
e
%3000
EOF
}

@test "ds-lines: a file that cannot be opened is reported, the others read" {
	printf 'a\nb\nc\n' >"$in"
	cd "$BATS_TEST_TMPDIR"
	run -1 --separate-stderr ds-lines -n 2 -i 1s -T 0 nosuch in nosuch2
	assert_equal "$stderr" "ds-lines: nosuch: No such file or directory
ds-lines: nosuch2: No such file or directory"
	assert_output - <<'EOF'
#ds1
a
b
%1000
c
%2000
EOF
}

@test "ds-lines: ds-cat gives back the bytes of any text" {
	local i f=$BATS_TEST_TMPDIR/bytes

	{
		# A file that starts like a stream is still text.
		printf '#ds1\n'
		for i in $(seq 0 255); do
			printf "\\$(printf %03o "$i")"
		done
		printf '\n\\\\\n\\t\\n\\\n%%1000\n%%\n#\n\\#x\t\\%%y\n'
		printf '\n\n\t\n\t\t\n\tx\t\ncr\r\n\r\nnul\000\000\n\000\n'
		yes 'abcdefghijklmnopqrstuvwxyz\0123456789#%ABCDEFGHIJKL	' |
		    tr -d '\n' | head -c 50000000
		printf '\nend\n'
	} >"$f"
	[ "$(wc -c <"$f")" -gt 50000000 ]
	run -0 --separate-stderr bash -o pipefail -c \
	    'ds-lines -n 3 "$1" | ds-cat >"$2"' _ "$f" "$out"
	assert_equal "$stderr" ""
	cmp "$f" "$out"
}

# The batches ended before the input came (the printf is late under load)
# are empty, and dropped here: a and b must share the first batch not empty.
@test "ds-lines: on the clock, input at once is one batch on the interval" {
	run -0 --separate-stderr bash -o pipefail -c "printf 'a\nb\n' |
	    ds-lines -i 100ms | awk '!/^%/ || prev !~ /^(%|#ds1)/; { prev = \$0 }'"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "a"
	assert_equal "${lines[2]}" "b"
	assert_regex "${lines[3]}" '^%[0-9]+00$'
}

@test "ds-lines: on the clock, the first batch is the next interval boundary" {
	before=$(now_ms)
	run -0 --separate-stderr bash -c "printf 'a\n' | ds-lines"
	after=$(now_ms)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 3
	first=${lines[2]#%}
	assert_equal "$((first % 1000))" 0
	[ "$first" -gt "$before" ]
	[ "$first" -le "$((after + 1000))" ]
}

@test "ds-lines: on the clock, an idle input gets empty batches" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-lines -i 100ms <"$BATS_TEST_TMPDIR/fifo" >"$out" 2>"$err" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	echo a >&"$w"
	# a's batch end and two empty batches after it.
	wait_until 10 sh -c \
	    '[ "$(sed "1,/^a\$/d" "$1" | grep -c "^%")" -ge 3 ]' _ "$out"
	echo b >&"$w"
	exec {w}>&-
	wait_until 10 gone "$pid"
	wait "$pid"
	[ ! -s "$err" ]
	on_clock "$out" 100
	# Empty batches may come before a, and after b's batch if the
	# clock is quicker than the end of the input.
	assert_regex "$(sed 's/^%[0-9]*$/%/' "$out" | tr '\n' ' ')" \
	    '^#ds1 (% )*a % % %( %)* b %( %)* $'
}

@test "ds-lines: on the clock, times are multiples of the interval" {
	run -0 --separate-stderr bash -c \
	    '(echo a; sleep 0.3; echo b; sleep 0.3) | ds-lines -i 70ms >"$1"' \
	    _ "$out"
	assert_equal "$stderr" ""
	on_clock "$out" 70
	[ "$(grep -c '^%' "$out")" -ge 6 ]
}

@test "ds-lines: -n writes a full batch while the input waits" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-lines -n 2 -i 1s -T 0 <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf 'a\nb\nc\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$out")" "#ds1
a
b
%1000
c
%2000"
}

@test "ds-lines: SIGINT closes the open batch with the lines read" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# A shell starts a background job with SIGINT ignored.
	env --default-signal=INT ds-lines -n 2 -i 1s -T 0 \
	    <"$BATS_TEST_TMPDIR/fifo" >"$out" 2>"$err" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	# One write: c is read with a and b, and waits in the open batch.
	printf 'a\nb\nc\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	kill -INT "$pid"
	wait_until 5 gone "$pid"
	wait "$pid"
	exec {w}>&-
	[ ! -s "$err" ]
	assert_equal "$(cat "$out")" "#ds1
a
b
%1000
c
%2000"
}

@test "ds-lines: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-lines -h
	assert_equal "$output" \
	    "usage: ds-lines [-P] [-i interval] [-n count] [-T start] [file ...]"
	assert_equal "$stderr" ""
}

@test "ds-lines: an unknown option prints the usage on stderr and exits 2" {
	run -2 --separate-stderr ds-lines -x
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-lines: invalid option -- 'x'
usage: ds-lines [-P] [-i interval] [-n count] [-T start] [file ...]"
}

@test "ds-lines: a failed write exits 1" {
	seq 3 >"$in"
	run -1 --separate-stderr bash -c 'ds-lines -n 2 <"$1" >/dev/full' \
	    _ "$in"
	assert_equal "$stderr" "ds-lines: stdout: No space left on device"
	run -1 --separate-stderr bash -c 'ds-lines -i 10ms <"$1" >&-' _ "$in"
	assert_equal "$stderr" "ds-lines: stdout: Bad file descriptor"
}

@test "ds-lines: -P keeps a progress line on stderr, as pv does" {
	printf 'a\nb\nc\n' >"$BATS_TEST_TMPDIR/f"
	ds-lines -P -n 2 -T 0 "$BATS_TEST_TMPDIR/f" \
	    >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err"
	diff -u - "$BATS_TEST_TMPDIR/out" <<-EOF
	#ds1
	a
	b
	%1000
	c
	%2000
	EOF
	# The last drawing, then an LF.
	tr '\r' '\n' <"$BATS_TEST_TMPDIR/err" | sed 's/  *$//' |
	    tail -n 2 >"$BATS_TEST_TMPDIR/last"
	run cat "$BATS_TEST_TMPDIR/last"
	assert_line --index 0 --regexp '^6B of 6B \(100%\), 3 lines, [0-9.]+[KMG]?i?B/s, 0:00:00 left$'
	assert_line --index 1 ''
	# Of unknown size, the standard input: what was read, how fast.
	run --separate-stderr sh -c 'printf "a\nb\n" | ds-lines -P -n 5'
	[[ "$stderr" =~ 4B,\ 2\ lines,\ [0-9.]+[KMG]?i?B/s ]]
	! [[ "$stderr" =~ " of " ]]
}

@test "ds-lines: a terminal shows the progress of files, not of stdin" {
	command -v script >/dev/null || skip "no script(1)"
	printf 'a\nb\nc\n' >"$BATS_TEST_TMPDIR/f"
	script -qec "ds-lines -n 2 '$BATS_TEST_TMPDIR/f' >/dev/null" \
	    /dev/null >"$BATS_TEST_TMPDIR/tty" </dev/null
	grep -q '6B of 6B (100%), 3 lines' "$BATS_TEST_TMPDIR/tty"
	script -qec "printf 'a\n' | ds-lines -n 2 >/dev/null" \
	    /dev/null >"$BATS_TEST_TMPDIR/tty" </dev/null
	! grep -q 'lines' "$BATS_TEST_TMPDIR/tty"
	# Not a terminal: nothing.
	run --separate-stderr ds-lines -n 2 "$BATS_TEST_TMPDIR/f"
	[ -z "$stderr" ]
}
