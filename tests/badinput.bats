#!/usr/bin/env bats
# badinput.bats: the bad-input table: every program that reads a stream,
# fed each kind of bad or extreme input, must give its documented outcome
# (a clear error and exit status, or correct output), never a crash and
# never silent loss.
load helper

setup() {
	t=$BATS_TEST_TMPDIR
	printf 'a\tx\n' >"$t/table"
	mkdir -p "$t/saved"
	# Every program that reads a ds stream on stdin, as one would run it.
	programs=(
		"ds-cat"
		"ds-count"
		"ds-countbyvalue"
		"ds-filter -F a"
		"ds-flatmap -d ,"
		"ds-groupbykey"
		"ds-join -t $t/table"
		"ds-map -f 1"
		"ds-print"
		"ds-reduce -o count"
		"ds-reducebykey -o count"
		"ds-save $t/saved/p"
		"ds-state -o count"
		"ds-transform cat"
		"ds-union -"
		"ds-window 1s"
		"ds-words"
	)
}

# each INPUT STATUS STDERR-PATTERN: run every program on INPUT; each must
# exit STATUS with a stderr equal to the pattern, where NAME stands for the
# program's name.
each() {
	local input=$1 status=$2 want=$3 p name got rc failed=0
	for p in "${programs[@]}"; do
		name=${p%% *}
		rc=0
		got=$($p <"$input" 2>&1 >/dev/null) || rc=$?
		if [ "$rc" -ne "$status" ] || [ "$got" != "${want//NAME/$name}" ]; then
			echo "$p: exit $rc, stderr: $got" >&2
			failed=1
		fi
	done
	return "$failed"
}

@test "bad input: a stream torn mid-batch closes a final batch, nothing lost" {
	printf '#ds1\na,b\t1\n%%1000\nc,d\t2\ne,f\t' >"$t/in"
	each "$t/in" 0 ""
	run -0 sh -c 'ds-cat -t <"$1" | cut -f 2-' sh "$t/in"
	assert_output "$(printf 'a,b\t1\nc,d\t2\ne,f\t')"
}

@test "bad input: an invalid escape names the line" {
	printf '#ds1\nok\t1\na\\q\n' >"$t/in"
	each "$t/in" 1 'NAME: stdin:3: invalid escape "\q"'
}

@test "bad input: a batch time going backwards names the line" {
	printf '#ds1\na\t1\n%%2000\n%%1000\n' >"$t/in"
	each "$t/in" 1 'NAME: stdin:4: batch time 1000 does not follow 2000'
}

@test "bad input: a malformed batch end names the line" {
	printf '#ds1\n%%12x\n' >"$t/in"
	each "$t/in" 1 'NAME: stdin:2: malformed batch end'
}

@test "bad input: NUL bytes are data" {
	printf '#ds1\na\0b,c\t1\n%%1000\n' >"$t/in"
	each "$t/in" 0 ""
	run -0 sh -c 'ds-map -f 1 <"$1" | ds-cat | od -c | head -n 1' sh "$t/in"
	assert_output --partial 'a  \0   b   ,   c'
}

@test "bad input: invalid UTF-8 is data" {
	printf '#ds1\n\377\376,a\t\300\n%%1000\n' >"$t/in"
	each "$t/in" 0 ""
	run -0 sh -c 'ds-map -f 2,1 <"$1" | ds-cat | od -An -c' sh "$t/in"
	assert_output --partial '300  \t 377 376   ,   a'
}

@test "bad input: a 100 MB record goes through whole" {
	{ printf '#ds1\n'; head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\tv\n%%1000\n'; } >"$t/in"
	each "$t/in" 0 ""
	run -0 sh -c 'ds-map -f 1 <"$1" | ds-cat | wc -c' sh "$t/in"
	assert_output 100000001
}

@test "bad input: a million distinct keys in one batch" {
	{ echo '#ds1'; seq 1000000 | sed 's/$/	1/'; echo '%1000'; } >"$t/in"
	each "$t/in" 0 ""
	run -0 sh -c 'ds-reducebykey <"$1" | ds-cat | wc -l' sh "$t/in"
	assert_output 1000000
	run -0 sh -c 'ds-countbyvalue <"$1" | ds-cat | wc -l' sh "$t/in"
	assert_output 1000000
}

@test "bad input: a value that is not a number, where a sum needs one" {
	printf '#ds1\nk\t1\nk\tabc\n%%1000\n' >"$t/in"
	for p in ds-reducebykey "ds-reduce -f 2" ds-state; do
		run -1 --separate-stderr $p <"$t/in"
		assert_equal "$stderr" "${p%% *}: stdin:3: field 2: not a number: \"abc\""
	done
}

@test "bad input: a closed stdout is an error" {
	printf '#ds1\na\t1\n%%1000\n' >"$t/in"
	for p in "${programs[@]}"; do
		run -1 --separate-stderr sh -c "$p <\"\$1\" >&-" sh "$t/in"
		assert_equal "$stderr" "${p%% *}: stdout: Bad file descriptor"
	done
	# ds-save -q writes nothing on stdout, so it needs none.
	rm -f "$t/saved"/*
	run -0 --separate-stderr sh -c "ds-save -q $t/saved/p <\"\$1\" >&-" sh "$t/in"
	assert_equal "$stderr" ""
	run -0 cat "$t/saved/p-1000"
	assert_output "$(printf 'a\t1')"
}

@test "bad input: a full disk is an error" {
	printf '#ds1\na\t1\n%%1000\n' >"$t/in"
	for p in "${programs[@]}"; do
		run -1 --separate-stderr sh -c "$p <\"\$1\" >/dev/full" sh "$t/in"
		assert_equal "$stderr" "${p%% *}: stdout: No space left on device"
	done
}

@test "bad input: a downstream that exits early ends the pipeline" {
	{ echo '#ds1'; seq 300000 | sed 's/$/,a	1/'; echo '%1000'; } >"$t/in"
	for p in "${programs[@]}"; do
		run -0 timeout 20 bash -c "$p <\"\$1\" | head -c 1 >/dev/null; echo \${PIPESTATUS[0]}" bash "$t/in"
		# Killed by SIGPIPE (141), or done before head left (0).
		[[ "$output" =~ ^(0|141)$ ]] || { echo "$p: $output" >&2; false; }
	done
}

@test "bad input: SIGINT mid-batch finishes the batch and ends cleanly" {
	for p in "${programs[@]}"; do
		rm -f "$t/fifo"
		mkfifo "$t/fifo"
		# A shell starts background jobs with SIGINT ignored: undo that.
		# (File descriptor 3 is bats's own.)
		env --default-signal=INT $p <"$t/fifo" >"$t/out" 2>"$t/err" &
		pid=$!
		exec 7>"$t/fifo"
		printf '#ds1\na,b\t1\n' >&7
		# Waiting for input: in read(2), or in poll(2) for some.
		wait_until 5 grep -Eq 'pipe_read|poll' /proc/$pid/wchan ||
		    { echo "$p: not waiting" >&2; false; }
		kill -INT "$pid"
		printf 'c,d\t2\n%%1000\n' >&7
		# It ends at the batch end, though its input is still open.
		wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || {
			echo "$p: still running" >&2
			exec 7>&-
			false
		}
		exec 7>&-
		rc=0
		wait "$pid" || rc=$?
		[ "$rc" -eq 0 ] || { echo "$p: exit $rc: $(cat "$t/err")" >&2; false; }
		[ ! -s "$t/err" ] || { echo "$p: $(cat "$t/err")" >&2; false; }
	done
	run -0 cat "$t/out"
}

# ds-lines reads text, not a stream: what of the table applies to it.
# (ds-lines.bats has its NUL bytes, bytes that are not UTF-8, closed
# stdout, full disk and SIGINT; ds-socket.bats, ds-dir.bats and
# faults.bats those of the programs that read a socket or a directory.)
@test "bad input: ds-lines: a 100 MB line whole, and a downstream that exits early" {
	{ head -c 100000000 /dev/zero | tr '\0' 'x'; printf '\nend\n'; } >"$t/in"
	run -0 bash -o pipefail -c 'ds-lines -n 1 -T 0 <"$1" | ds-cat | wc -c' bash "$t/in"
	assert_output 100000005
	seq 300000 >"$t/in"
	run -0 timeout 20 bash -c 'ds-lines -n 1000 -T 0 <"$1" | head -c 1 >/dev/null; echo ${PIPESTATUS[0]}' bash "$t/in"
	[[ "$output" =~ ^(0|141)$ ]]
}
