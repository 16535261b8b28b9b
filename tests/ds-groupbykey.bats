#!/usr/bin/env bats
# ds-groupbykey.bats: Spark's groupByKey per batch: each key, then the
# other fields of its records in arrival order; and its errors.
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

@test "ds-groupbykey: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-groupbykey -h
	assert_output "usage: ds-groupbykey [-k field]"
	assert_equal "$stderr" ""
}

@test "ds-groupbykey: an unknown option, an operand or a missing argument is a usage error" {
	local usage="usage: ds-groupbykey [-k field]"
	run -2 --separate-stderr ds-groupbykey -f 2
	assert_output ""
	assert_equal "$stderr" "ds-groupbykey: invalid option -- 'f'
$usage"
	run -2 --separate-stderr ds-groupbykey file
	assert_output ""
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-groupbykey -k
	assert_equal "$stderr" "ds-groupbykey: option requires an argument -- 'k'
$usage"
}

@test "ds-groupbykey: a bad field number exits 2" {
	run -2 --separate-stderr ds-groupbykey -k 0 </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-groupbykey: -k 0: field number is too small"
	run -2 --separate-stderr ds-groupbykey -k abc </dev/null
	assert_equal "$stderr" "ds-groupbykey: -k abc: field number is invalid"
	run -2 --separate-stderr ds-groupbykey -k 2147483648 </dev/null
	assert_equal "$stderr" "ds-groupbykey: -k 2147483648: field number is too large"
}

@test "ds-groupbykey: pairs give the key and its values in arrival order" {
	printf '#ds1\na\t1\nb\t2\na\t3\nc\t4\na\t1\n%%1000\nb\t5\n%%2000\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
a	1	3	1
b	2
c	4
%1000
b	5
%2000
EOF
}

@test "ds-groupbykey: every other field of each record, a key alone adds nothing" {
	printf '#ds1\nk\t1\tA\nj\t2\nk\nk\t3\nk\t\nl\nj\t\t\n%%7\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
k	1	A	3	
j	2		
l
%7
EOF
	ds-groupbykey <"$in" >"$out"
	golden "$out" ds-cat -j <<'EOF'
["k","1","A","3",""]
["j","2","",""]
["l"]
EOF
}

@test "ds-groupbykey: -k chooses the key; the fields around it stay in order" {
	printf '#ds1\nann\tstaff\t1\nbob\twheel\t2\ncyd\tstaff\t3\n%%1\n' >"$in"
	golden "$in" ds-groupbykey -k 2 <<'EOF'
#ds1
staff	ann	1	cyd	3
wheel	bob	2
%1
EOF
	golden "$in" ds-groupbykey -k 3 <<'EOF'
#ds1
1	ann	staff
2	bob	wheel
3	cyd	staff
%1
EOF
}

@test "ds-groupbykey: groups do not leak from one batch to the next" {
	printf '#ds1\nw\t1\nw\t2\n%%1000\nw\t3\n%%2000\n%%3000\nv\t4\nw\t5\n%%4000\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
w	1	2
%1000
w	3
%2000
%3000
v	4
w	5
%4000
EOF
}

@test "ds-groupbykey: an empty batch writes only its batch end; an empty input only the header" {
	printf '#ds1\n%%1000\n%%2000 text\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
%1000
%2000
EOF
	: >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
EOF
}

@test "ds-groupbykey: keys come in order of first appearance" {
	printf '#ds1\nz\t1\na\t2\nm\t3\na\t4\nz\t5\n%%1000\nm\t6\nb\t7\nz\t8\n%%2000\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
z	1	5
a	2	4
m	3
%1000
m	6
b	7
z	8
%2000
EOF
}

@test "ds-groupbykey: escaped keys and values round-trip through ds-cat" {
	printf '#ds1\na\\tb\t\\#v\n\\#h\t\\\\\n\\%%p\tx\\ny\na\\tb\t\\%%w\\r\n\\#h\t#\n\t\\t\n%%1000\n' >"$in"
	golden "$in" ds-groupbykey <<'EOF'
#ds1
a\tb	#v	%w\r
\#h	\\	#
\%p	x\ny
	\t
%1000
EOF
	ds-groupbykey <"$in" >"$out"
	golden "$out" ds-cat -j <<'EOF'
["a\tb","#v","%w\r"]
["#h","\\","#"]
["%p","x\ny"]
["","\t"]
EOF
}

@test "ds-groupbykey: keys and values may hold NUL bytes" {
	printf '#ds1\na\0b\t1\na\0c\t\0\na\0b\tx\0y\n%%1\n' >"$in"
	printf '#ds1\na\0b\t1\tx\0y\na\0c\t\0\n%%1\n' | golden "$in" ds-groupbykey
}

@test "ds-groupbykey: raw input is one batch, closed at its end" {
	printf 'b\t1\n#a\t2\nb\t3\n%%c\t\\4\n#a' >"$in"
	run -0 --separate-stderr ds-groupbykey <"$in"
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 5
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "b	1	3"
	assert_equal "${lines[2]}" "\\#a	2"
	assert_equal "${lines[3]}" "\\%c	\\\\4"
	assert_regex "${lines[4]}" '^%[0-9]+$'
}

@test "ds-groupbykey: a missing key field is an error, after what came before" {
	printf '#ds1\na\tb\n%%1000\nc\td\ne\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-groupbykey -k 2 <"$in"
	assert_output "#ds1
b	a
%1000"
	assert_equal "$stderr" "ds-groupbykey: stdin:5: no field 2"
}

@test "ds-groupbykey: a malformed stream is an error naming the line" {
	printf '#ds1\na\t1\n%%1000\nb\t\\x\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-groupbykey <"$in"
	assert_output "#ds1
a	1
%1000"
	assert_equal "$stderr" 'ds-groupbykey: stdin:4: invalid escape "\x"'
	printf '#ds1\na\t1\n%%2000\nb\t1\n%%1000\n' >"$in"
	run -1 --separate-stderr ds-groupbykey <"$in"
	assert_equal "$stderr" "ds-groupbykey: stdin:5: batch time 1000 does not follow 2000"
	printf '#ds1\na\t1\n%%-1\n' >"$in"
	run -1 --separate-stderr ds-groupbykey <"$in"
	assert_equal "$stderr" "ds-groupbykey: stdin:3: malformed batch end"
}

@test "ds-groupbykey: a write error is reported" {
	printf '#ds1\na\t1\n%%1\n' >"$in"
	run -1 --separate-stderr sh -c 'ds-groupbykey <"$1" >/dev/full' sh "$in"
	assert_output ""
	assert_equal "$stderr" "ds-groupbykey: stdout: No space left on device"
}

@test "ds-groupbykey: a finished batch is written while the input stays open" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-groupbykey <"$BATS_TEST_TMPDIR/fifo" >"$out" 3>&- &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\t1\na\t2\n%%1000\nb\t1\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
a	1	2
%1000"
	printf '%%2000\n' >&"$w"
	exec {w}>&-
	wait "$pid"
	assert_equal "$(cat "$out")" "#ds1
a	1	2
%1000
b	1
%2000"
}

@test "ds-groupbykey: a large batch groups as awk does" {
	awk 'BEGIN { for (i = 1; i <= 50000; i++) print "k" (i * 7919 % 613) "\t" i }' >"$in"
	ds-lines -n 20000 -T 0 "$in" | ds-groupbykey | ds-cat -t >"$out"
	awk -F '\t' '
	function flush(	i) {
		for (i = 1; i <= n; i++)
			print t "\t" key[i] vals[key[i]]
		n = 0
		split("", vals)
	}
	(NR - 1) % 20000 == 0 {
		flush()
		t += 1000
	}
	{
		if (!($1 in vals))
			key[++n] = $1
		vals[$1] = vals[$1] "\t" $2
	}
	END { flush() }' "$in" | diff -u - "$out"
}
