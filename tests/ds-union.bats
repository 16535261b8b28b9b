#!/usr/bin/env bats
# ds-union.bats: several streams merged batch by batch on batch time, read
# side by side so that neither a slow nor an ended input stalls the rest.
load helper

setup() {
	t=$BATS_TEST_TMPDIR
	cd "$t"
	printf '#ds1\na1\na2\n%%1000\na3\n%%2000\n%%4000\n' >a.ds
	printf '#ds1\nb1\n%%1000\nb2\n%%3000\nb3\n%%4000\n' >b.ds
}

teardown() {
	local p

	for p in ${pids-}; do
		kill "$p" 2>/dev/null || true
	done
}

@test "ds-union: same times on both sides, records input by input" {
	golden /dev/null ds-union a.ds b.ds <<'EOF'
#ds1
a1
a2
b1
%1000
a3
%2000
b2
%3000
b3
%4000
EOF
}

@test "ds-union: the order of the operands is the order of the records" {
	golden /dev/null ds-union b.ds a.ds <<'EOF'
#ds1
b1
a1
a2
%1000
a3
%2000
b2
%3000
b3
%4000
EOF
}

@test "ds-union: a time on one side only is a batch of its own" {
	printf '#ds1\nc1\n%%500\nc2\n%%2500\n%%9000\n' >c.ds
	golden /dev/null ds-union a.ds c.ds <<'EOF'
#ds1
c1
%500
a1
a2
%1000
a3
%2000
c2
%2500
%4000
%9000
EOF
}

@test "ds-union: - reads the standard input, in its place" {
	printf '#ds1\ns1\n%%1000\n%%3000\n' >s.ds
	golden s.ds ds-union a.ds - b.ds <<'EOF'
#ds1
a1
a2
s1
b1
%1000
a3
%2000
b2
%3000
b3
%4000
EOF
}

@test "ds-union: one stream is a copy, escapes and all" {
	printf '#ds1\n\\#x\ty\\tz\n\\%%p\t\\\\\n\n%%5\n' >e.ds
	golden /dev/null ds-union e.ds <<'EOF'
#ds1
\#x	y\tz
\%p	\\

%5
EOF
}

@test "ds-union: a record holding NUL bytes goes through" {
	printf '#ds1\na\0b\tc\n%%1\n' >n.ds
	ds-union n.ds a.ds >out
	printf '#ds1\na\0b\tc\n%%1\na1\na2\n%%1000\na3\n%%2000\n%%4000\n' |
	    cmp - out
}

@test "ds-union: empty batches and empty inputs" {
	printf '#ds1\n%%1000\n%%1500\n' >e.ds
	: >empty
	golden /dev/null ds-union empty e.ds a.ds empty <<'EOF'
#ds1
a1
a2
%1000
%1500
a3
%2000
%4000
EOF
	golden /dev/null ds-union empty <<'EOF'
#ds1
EOF
}

@test "ds-union: raw input is one batch at the clock's time, after the rest" {
	printf 'r1\tx\\y\nr2\n' >raw
	before=$(date +%s%3N)
	run -0 --separate-stderr ds-union raw a.ds
	after=$(date +%s%3N)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 10
	printf '%s\n' "${lines[@]:0:9}" | diff -u /dev/fd/3 - 3<<'EOF'
#ds1
a1
a2
%1000
a3
%2000
%4000
r1	x\\y
r2
EOF
	now=${lines[9]#%}
	[ "$now" -ge "$before" ] && [ "$now" -le "$after" ]
}

@test "ds-union: a malformed input is named with its line" {
	printf '#ds1\nb1\n\\q\n%%1000\n' >bad.ds
	run -1 --separate-stderr ds-union a.ds bad.ds
	assert_equal "$output" "#ds1"
	assert_equal "$stderr" 'ds-union: bad.ds:3: invalid escape "\q"'
}

@test "ds-union: batches written before a bad input still go out" {
	printf '#ds1\nb1\n%%1000\n%%3000\n%%2000\n' >bad.ds
	run -1 --separate-stderr ds-union a.ds bad.ds
	assert_equal "$output" "#ds1
a1
a2
b1
%1000
a3
%2000
%3000"
	assert_equal "$stderr" 'ds-union: bad.ds:5: batch time 2000 does not follow 3000'
}

@test "ds-union: a malformed standard input is named stdin" {
	printf '#ds1\n%%x\n' >bad.ds
	run -1 --separate-stderr ds-union a.ds - <bad.ds
	assert_equal "$output" "#ds1"
	assert_equal "$stderr" 'ds-union: stdin:2: malformed batch end'
}

@test "ds-union: an input that cannot be opened" {
	run -1 --separate-stderr ds-union a.ds nope.ds
	assert_equal "$output" ""
	assert_equal "$stderr" 'ds-union: nope.ds: No such file or directory'
}

@test "ds-union: usage errors exit 2" {
	run -2 --separate-stderr ds-union
	assert_equal "$output" ""
	assert_equal "$stderr" "usage: ds-union stream ..."
	run -2 --separate-stderr ds-union -x a.ds
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-union: invalid option -- 'x'
usage: ds-union stream ..."
	run -2 --separate-stderr ds-union - a.ds -
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-union: -: stdin given twice"
	run -0 --separate-stderr ds-union -h
	assert_equal "$output" "usage: ds-union stream ..."
	assert_equal "$stderr" ""
}

@test "ds-union: an input that ends early does not hold the other back" {
	mkfifo live
	ds-union a.ds live >out 2>err &
	pids=$!
	exec {w}>live
	printf '#ds1\nl1\n%%1000\n%%2000\nl3\n%%3000\n' >&"$w"
	# a.ds ended at 4000: batch 3000 needs nothing more from it.
	wait_until 5 grep -qx '%3000' out
	printf 'l5\n%%5000\n' >&"$w"
	wait_until 5 grep -qx '%5000' out
	exec {w}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
a1
a2
l1
%1000
a3
%2000
l3
%3000
%4000
l5
%5000
EOF
	diff -u /dev/null err
}

@test "ds-union: two live FIFOs, one slow, do not deadlock" {
	mkfifo fa fb
	ds-union fa fb >out 2>err &
	pids=$!
	exec {a}>fa
	exec {b}>fb
	# fa runs ahead, its writer staying open; fb's batch 1000 comes after.
	printf '#ds1\nx1\n%%1000\nx2\n%%2000\nx3\n%%3000\n' >&"$a"
	printf '#ds1\ny1\n%%1000\n' >&"$b"
	wait_until 5 grep -qx '%1000' out
	assert_equal "$(cat out)" "#ds1
x1
y1
%1000"
	# Now fb runs ahead while fa says nothing, then fb ends.
	printf '%%3000\ny5\n%%5000\n' >&"$b"
	wait_until 5 grep -qx '%3000' out
	exec {b}>&-
	printf 'x4\n%%4000\n' >&"$a"
	wait_until 5 grep -qx '%4000' out
	# fa, still open, may yet have a batch before 5000.
	exec {a}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
x1
y1
%1000
x2
%2000
x3
%3000
x4
%4000
y5
%5000
EOF
	diff -u /dev/null err
}

@test "ds-union: a batch arriving late on the first input still comes first" {
	mkfifo fa fb
	ds-union fa fb >out 2>err &
	pids=$!
	exec {a}>fa
	exec {b}>fb
	printf '#ds1\ny1\ny2\n%%1000\n' >&"$b"
	exec {b}>&-
	printf '#ds1\nx1\n%%1000\n' >&"$a"
	exec {a}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
x1
y1
y2
%1000
EOF
	diff -u /dev/null err
}

@test "ds-union: a write error is reported" {
	run -1 --separate-stderr sh -c 'ds-union a.ds b.ds >/dev/full'
	assert_equal "$stderr" "ds-union: stdout: No space left on device"
}

@test "ds-union: ends quietly when its reader goes away" {
	awk 'BEGIN { print "#ds1"; for (i = 1; i <= 200000; i++) {
	    print "record " i; if (i % 1000 == 0) print "%" i } }' >big.ds
	run -0 --separate-stderr bash -c \
	    'ds-union big.ds a.ds | head -1; echo "${PIPESTATUS[0]}"'
	assert_equal "${lines[0]}" "#ds1"
	[[ "${lines[1]}" == 141 || "${lines[1]}" == 1 ]]
}
