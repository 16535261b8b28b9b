#!/usr/bin/env bats
# ds-join.bats: the four joins of two streams batch by batch, and the join
# with a table file that is read again when it changes.
load helper

setup() {
	t=$BATS_TEST_TMPDIR
	cd "$t"
	# Key k twice on each side in batch 1000; m only left, z only right;
	# 2000 only left, 3000 only right, 4000 empty on both.
	printf '#ds1\nk\tL1\nm\tLm\nk\tL2\n%%1000\nk\tL3\n%%2000\n%%4000\n' >l.ds
	printf '#ds1\nz\tRz\nk\tR1\nk\tR2\tx\n%%1000\nw\tRw\n%%3000\n%%4000\n' >r.ds
	printf 'k\tT1\nq\tTq\tx\nk\tT2\n' >t.tsv
}

teardown() {
	local p

	for p in ${pids-}; do
		kill "$p" 2>/dev/null || true
	done
}

@test "ds-join: join: every pair of a key's records, left order first" {
	golden l.ds ds-join r.ds <<'EOF'
#ds1
k	L1	R1
k	L1	R2	x
k	L2	R1
k	L2	R2	x
%1000
%2000
%3000
%4000
EOF
}

@test "ds-join: -l: unmatched left records in place, with None" {
	golden l.ds ds-join -l r.ds <<'EOF'
#ds1
k	L1	R1
k	L1	R2	x
m	Lm	None
k	L2	R1
k	L2	R2	x
%1000
k	L3	None
%2000
%3000
%4000
EOF
}

@test "ds-join: -r: unmatched right records after, first appearance" {
	golden l.ds ds-join -r r.ds <<'EOF'
#ds1
k	L1	R1
k	L1	R2	x
k	L2	R1
k	L2	R2	x
z	None	Rz
%1000
%2000
w	None	Rw
%3000
%4000
EOF
}

@test "ds-join: -F, and -l -r, the full outer join" {
	cat >full <<'EOF'
#ds1
k	L1	R1
k	L1	R2	x
m	Lm	None
k	L2	R1
k	L2	R2	x
z	None	Rz
%1000
k	L3	None
%2000
w	None	Rw
%3000
%4000
EOF
	golden l.ds ds-join -F r.ds <full
	golden l.ds ds-join -l -r r.ds <full
	golden l.ds ds-join -lr r.ds <full
}

@test "ds-join: a key's records on the right gather across the batch" {
	printf '#ds1\na\t1\nb\t2\na\t3\n%%1\n' >l2.ds
	printf '#ds1\nb\tx\na\ty\nc\tz\nb\tw\nc\tv\n%%1\n' >r2.ds
	golden l2.ds ds-join -F r2.ds <<'EOF'
#ds1
a	1	y
b	2	x
b	2	w
a	3	y
c	None	z
c	None	v
%1
EOF
}

@test "ds-join: -e sets the marker, empty or not" {
	golden l.ds ds-join -F -e '-' r.ds <<'EOF'
#ds1
k	L1	R1
k	L1	R2	x
m	Lm	-
k	L2	R1
k	L2	R2	x
z	-	Rz
%1000
k	L3	-
%2000
w	-	Rw
%3000
%4000
EOF
	printf '#ds1\nm\t1\n%%1\n' >l2.ds
	printf '#ds1\n%%1\n' >r2.ds
	golden l2.ds ds-join -l -e '' r2.ds <<'EOF'
#ds1
m	1	
%1
EOF
	printf '#ds1\nm\t1\n%%1\n' >l2.ds
	golden l2.ds ds-join -l -e 'a	b' r2.ds <<'EOF'
#ds1
m	1	a\tb
%1
EOF
}

@test "ds-join: escapes, several value fields and a # key survive" {
	printf '#ds1\n\\#k\\tx\ta\\\\b\tc\n%%1\n' >l2.ds
	printf '#ds1\n\\#k\\tx\t\\%%d\n%%1\n' >r2.ds
	golden l2.ds ds-join r2.ds <<'EOF'
#ds1
\#k\tx	a\\b	c	%d
%1
EOF
}

@test "ds-join: empty batches and an empty side" {
	printf '#ds1\n%%1\n%%2\n' >e.ds
	golden e.ds ds-join -F e.ds <<'EOF'
#ds1
%1
%2
EOF
	: >empty
	golden empty ds-join -F r.ds <<'EOF'
#ds1
z	None	Rz
k	None	R1
k	None	R2	x
%1000
w	None	Rw
%3000
%4000
EOF
	golden l.ds ds-join -F empty <<'EOF'
#ds1
k	L1	None
m	Lm	None
k	L2	None
%1000
k	L3	None
%2000
%4000
EOF
}

@test "ds-join: raw input is one batch at the clock's time" {
	printf 'k\tX\nk\tY\n' >raw
	before=$(date +%s%3N)
	run -0 --separate-stderr ds-join -F r.ds <raw
	after=$(date +%s%3N)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 11
	printf '%s\n' "${lines[@]:0:10}" | diff -u /dev/fd/3 - 3<<'EOF'
#ds1
z	None	Rz
k	None	R1
k	None	R2	x
%1000
w	None	Rw
%3000
%4000
k	X	None
k	Y	None
EOF
	now=${lines[10]#%}
	[ "$now" -ge "$before" ] && [ "$now" -le "$after" ]
}

@test "ds-join: -t joins every batch with the table, duplicates kept" {
	golden l.ds ds-join -t t.tsv <<'EOF'
#ds1
k	L1	T1
k	L1	T2
k	L2	T1
k	L2	T2
%1000
k	L3	T1
k	L3	T2
%2000
%4000
EOF
}

@test "ds-join: -t -l and -t -r; -r writes the unmatched lines each batch" {
	golden l.ds ds-join -l -t t.tsv <<'EOF'
#ds1
k	L1	T1
k	L1	T2
m	Lm	None
k	L2	T1
k	L2	T2
%1000
k	L3	T1
k	L3	T2
%2000
%4000
EOF
	golden l.ds ds-join -r -t t.tsv <<'EOF'
#ds1
k	L1	T1
k	L1	T2
k	L2	T1
k	L2	T2
q	None	Tq	x
%1000
k	L3	T1
k	L3	T2
q	None	Tq	x
%2000
k	None	T1
k	None	T2
q	None	Tq	x
%4000
EOF
}

@test "ds-join: -t takes the table literally, on a raw left side too" {
	printf '#ds1\tk\t\\q\nlast\tno LF' >lit.tsv
	printf '#ds1\tleft\nlast\t1\n' >raw
	run -0 --separate-stderr ds-join -t lit.tsv <raw
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 4
	printf '%s\n' "${lines[@]:0:3}" | diff -u /dev/fd/3 - 3<<'EOF'
#ds1
\#ds1	left	k	\\q
last	1	no LF
EOF
	[[ "${lines[3]}" =~ ^%[0-9]+$ ]]
}

@test "ds-join: -t reads the table again when it changes between batches" {
	mkfifo in
	ds-join -l -t t.tsv <in >out 2>err &
	pids=$!
	exec {w}>in
	printf '#ds1\nk\t1\nq\t2\n%%1000\n' >&"$w"
	wait_until 5 grep -qx '%1000' out
	# The same size and inode: only the modification time tells.
	printf 'k\tU1\nq\tUq\tx\nk\tU2\n' >t.tsv
	touch -d '2001-01-01 00:00:00' t.tsv
	printf 'k\t3\n%%2000\n' >&"$w"
	wait_until 5 grep -qx '%2000' out
	# A new file moved over the old one.
	printf 'q\tV\n' >new.tsv
	mv new.tsv t.tsv
	printf 'k\t4\nq\t5\n%%3000\n' >&"$w"
	exec {w}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
k	1	T1
k	1	T2
q	2	Tq	x
%1000
k	3	U1
k	3	U2
%2000
k	4	None
q	5	V
%3000
EOF
	diff -u /dev/null err
}

@test "ds-join: -t: a table that goes away is an error at the next batch" {
	mkfifo in
	ds-join -t t.tsv <in >out 2>err &
	pids=$!
	exec {w}>in
	printf '#ds1\nk\t1\n%%1000\n' >&"$w"
	wait_until 5 grep -qx '%1000' out
	rm t.tsv
	# One line: ds-join exits at it, and bash writes a line at a time.
	printf 'k\t2\n' >&"$w"
	exec {w}>&-
	rc=0
	wait "$pids" || rc=$?
	pids=
	assert_equal "$rc" 1
	assert_equal "$(cat err)" "ds-join: t.tsv: No such file or directory"
	assert_equal "$(cat out)" "#ds1
k	1	T1
k	1	T2
%1000"
}

@test "ds-join: -t: table errors name the file and the line" {
	printf 'a\t1\nb\n' >bad.tsv
	run -1 --separate-stderr ds-join -t bad.tsv <l.ds
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-join: bad.tsv:2: no field 2 (the value)"
	printf 'a\t1\n\n' >bad.tsv
	run -1 --separate-stderr ds-join -t bad.tsv <l.ds
	assert_equal "$stderr" "ds-join: bad.tsv:2: no field 2 (the value)"
	run -1 --separate-stderr ds-join -t nope.tsv <l.ds
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-join: nope.tsv: No such file or directory"
	run -1 --separate-stderr ds-join -t . <l.ds
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-join: .: Is a directory"
}

@test "ds-join: malformed inputs are named with their line" {
	printf '#ds1\na\t1\nb\n%%1\n' >bad.ds
	run -1 --separate-stderr ds-join r.ds <bad.ds
	assert_equal "$output" "#ds1"
	assert_equal "$stderr" "ds-join: stdin:3: no field 2 (the value)"
	run -1 --separate-stderr ds-join -t t.tsv <bad.ds
	assert_equal "$output" "#ds1"
	assert_equal "$stderr" "ds-join: stdin:3: no field 2 (the value)"
	printf '#ds1\nk\tR\n%%1000\nk\t\\q\n' >bad.ds
	run -1 --separate-stderr ds-join bad.ds <l.ds
	assert_equal "$output" "#ds1
k	L1	R
k	L2	R
%1000"
	assert_equal "$stderr" 'ds-join: bad.ds:4: invalid escape "\q"'
	run -1 --separate-stderr ds-join nope.ds <l.ds
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-join: nope.ds: No such file or directory"
}

@test "ds-join: usage errors exit 2" {
	local u="usage: ds-join [-Flr] [-e marker] [-t table] [stream]"

	run -2 --separate-stderr ds-join
	assert_equal "$output" ""
	assert_equal "$stderr" "$u"
	run -2 --separate-stderr ds-join -t t.tsv r.ds
	assert_equal "$stderr" "$u"
	run -2 --separate-stderr ds-join r.ds l.ds
	assert_equal "$stderr" "$u"
	run -2 --separate-stderr ds-join -x r.ds
	assert_equal "$stderr" "ds-join: invalid option -- 'x'
$u"
	run -2 --separate-stderr ds-join -
	assert_equal "$output" ""
	assert_equal "$stderr" "ds-join: -: stdin is the left stream already"
	run -0 --separate-stderr ds-join -h
	assert_equal "$output" "$u"
	assert_equal "$stderr" ""
}

@test "ds-join: a side that ends early does not hold the other back" {
	mkfifo in
	ds-join -l r.ds <in >out 2>err &
	pids=$!
	exec {w}>in
	printf '#ds1\nw\t1\n%%3000\n%%5000\nk\t2\n%%6000\n' >&"$w"
	# r.ds ended at 4000: 5000 and 6000 wait only for the left side.
	wait_until 5 grep -qx '%6000' out
	exec {w}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
%1000
w	1	Rw
%3000
%4000
%5000
k	2	None
%6000
EOF
	diff -u /dev/null err
}

@test "ds-join: two live FIFOs, one slow, do not deadlock" {
	mkfifo fl fr
	ds-join -F fr <fl >out 2>err &
	pids=$!
	exec {l}>fl
	exec {r}>fr
	# The left runs ahead, its writer staying open; the right's batch
	# 1000 comes after.
	printf '#ds1\na\t1\n%%1000\nb\t2\n%%2000\nc\t3\n%%3000\n' >&"$l"
	printf '#ds1\na\tx\n%%1000\n' >&"$r"
	wait_until 5 grep -qx '%1000' out
	assert_equal "$(cat out)" "#ds1
a	1	x
%1000"
	printf 'c\ty\n%%3000\n' >&"$r"
	wait_until 5 grep -qx '%3000' out
	exec {r}>&-
	exec {l}>&-
	wait "$pids"
	pids=
	diff -u - out <<'EOF'
#ds1
a	1	x
%1000
b	2	None
%2000
c	3	y
%3000
EOF
	diff -u /dev/null err
}

@test "ds-join: a write error is reported" {
	run -1 --separate-stderr sh -c 'ds-join r.ds <l.ds >/dev/full'
	assert_equal "$stderr" "ds-join: stdout: No space left on device"
	run -1 --separate-stderr sh -c 'ds-join -t t.tsv <l.ds >/dev/full'
	assert_equal "$stderr" "ds-join: stdout: No space left on device"
}

@test "ds-join: ends quietly when its reader goes away" {
	awk 'BEGIN { print "#ds1"; for (i = 1; i <= 200000; i++) {
	    print "k\t" i; if (i % 1000 == 0) print "%" i } }' >big.ds
	run -0 --separate-stderr bash -c \
	    'ds-join -t t.tsv <big.ds | head -1; echo "${PIPESTATUS[0]}"'
	assert_equal "${lines[0]}" "#ds1"
	[[ "${lines[1]}" == 141 || "${lines[1]}" == 1 ]]
	run -0 --separate-stderr bash -c \
	    'ds-join -l r.ds <big.ds | head -1; echo "${PIPESTATUS[0]}"'
	assert_equal "${lines[0]}" "#ds1"
	[[ "${lines[1]}" == 141 || "${lines[1]}" == 1 ]]
}
