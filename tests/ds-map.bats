#!/usr/bin/env bats
# ds-map.bats: fields picked and added, Lua expressions and their values,
# the two agreeing on the same input, and every error.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	printf '#ds1\na\t1\tx\nb\t2\n%%1000\n%%2000\nc\n%%3000\n' >"$in"
}

# gen N: this file's seeded stream (helper.bash's gen_stream).
gen() {
	gen_stream "$1" 11 1 'a b 7 -3 2.5 1e3 x,y , \\t a\\tb \\\\ \\n \\#h caf\303\251 word,,with,commas 0 %z'
}

@test "ds-map: -f picks and reorders fields; batches pass through" {
	golden "$in" ds-map -f 2,1 <<'EOF'
#ds1
1	a
2	b
%1000
%2000
c
%3000
EOF
}

@test "ds-map: -f takes ranges as cut does, and repeats" {
	golden "$in" ds-map -f 2-,1,1 <<'EOF'
#ds1
1	x	a	a
2	b	b
%1000
%2000
c	c
%3000
EOF
	golden "$in" ds-map -f -2 <<'EOF'
#ds1
a	1
b	2
%1000
%2000
c
%3000
EOF
	golden "$in" ds-map -f 2-3 <<'EOF'
#ds1
1	x
2
%1000
%2000

%3000
EOF
}

@test "ds-map: a field the record lacks is left out" {
	golden "$in" ds-map -f 3,1 <<'EOF'
#ds1
x	a
b
%1000
%2000
c
%3000
EOF
}

@test "ds-map: -a adds constant fields, after -f's or all of them" {
	golden "$in" ds-map -a 1 -a '#z' <<'EOF'
#ds1
a	1	x	1	#z
b	2	1	#z
%1000
%2000
c	1	#z
%3000
EOF
	golden "$in" ds-map -f 1 -a one <<'EOF'
#ds1
a	one
b	one
%1000
%2000
c	one
%3000
EOF
}

@test "ds-map: escaped fields keep their bytes" {
	printf '#ds1\n\\#a\\tb\tc\\\\d\\n\n%%5\n' >"$in"
	golden "$in" ds-map -f 2,1 <<'EOF'
#ds1
c\\d\n	#a\tb
%5
EOF
	golden "$in" ds-map 'v, k' <<'EOF'
#ds1
c\\d\n	#a\tb
%5
EOF
}

@test "ds-map: Lua sees f, k, v and r" {
	golden "$in" ds-map 'k, v, #f, r' <<'EOF'
#ds1
a	1	3	a\t1\tx
b	2	2	b\t2
%1000
%2000
c	1	c
%3000
EOF
}

@test "ds-map: Lua values are written as Lua writes them" {
	printf 'x\n' >"$in"
	ds-map '3, 3.0, 7 / 2, 7 // 2, 2^63, 1e100, -0.0, true, false, "s"' \
	    <"$in" | ds-cat >"$out"
	printf '3\t3.0\t3.5\t3\t9.2233720368548e+18\t1e+100\t-0.0\ttrue\tfalse\ts\n' |
	    diff -u - "$out"
}

@test "ds-map: nil is no field, a table its elements" {
	golden "$in" ds-map 'nil, f[3], {v, k}, {}, "e"' <<'EOF'
#ds1
x	1	a	e
2	b	e
%1000
%2000
c	e
%3000
EOF
	golden "$in" ds-map 'f' <<'EOF'
#ds1
a	1	x
b	2
%1000
%2000
c
%3000
EOF
}

@test "ds-map: no value at all is a record of one empty field" {
	printf '#ds1\na\n%%5\n' >"$in"
	golden "$in" ds-map 'nil' <<'EOF'
#ds1

%5
EOF
}

@test "ds-map: arithmetic converts numeric strings" {
	golden "$in" ds-map 'k, v and v * 10' <<'EOF'
#ds1
a	10
b	20
%1000
%2000
c
%3000
EOF
}

@test "ds-map: globals live from one record to the next" {
	golden "$in" ds-map '(function () n = (n or 0) + 1 return n end)(), k' <<'EOF'
#ds1
1	a
2	b
%1000
%2000
3	c
%3000
EOF
}

@test "ds-map: print writes to stderr" {
	printf 'x\n' >"$in"
	run -0 --separate-stderr sh -c 'ds-map "print(k, 1) or k" <"$1" | ds-cat' sh "$in"
	assert_equal "$output" "x"
	assert_equal "$stderr" "$(printf 'x\t1')"
}

@test "ds-map: -f and Lua agree on generated input" {
	gen 20000 >"$in"
	ds-map -f 2,1 <"$in" >"$out"
	ds-map 'f[2], f[1]' <"$in" | diff -u "$out" -
	ds-map -f 2- <"$in" >"$out"
	ds-map 'table.unpack(f, 2)' <"$in" | diff -u "$out" -
	ds-map -f 3,1-2 -a 'c' -a '' <"$in" >"$out"
	ds-map 'f[3], k, v, "c", ""' <"$in" | diff -u "$out" -
	ds-map -a x <"$in" >"$out"
	ds-map 'f, "x"' <"$in" | diff -u "$out" -
	[ "$(grep -c '^%' "$out")" -gt 500 ]
	[ "$(grep -vc '^[%#]' "$out")" -gt 15000 ]
}

@test "ds-map: man page examples" {
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'a\\t1\\nb\\t2\\n' | ds-lines -n 2 -T 0 | ds-map -f 2,1"
	assert_equal "$output" "$(printf '#ds1\n1\ta\n2\tb\n%%1000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'a\\t1\\nb\\t2\\n' | ds-lines -n 2 -T 0 | ds-map 'v * 10, k' | ds-cat"
	assert_equal "$output" "$(printf '10\ta\n20\tb')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'x\\nx\\ty\\n' | ds-lines -n 2 -T 0 | ds-map -a 1 | ds-map -f 2- | ds-cat"
	assert_equal "$output" "$(printf '1\ny\t1')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'a\\nb\\nc\\n' | ds-lines -n 2 -T 0 | ds-map '(function () n = (n or 0) + 1 return n end)(), r' | ds-cat -t"
	assert_equal "$output" "$(printf '1000\t1\ta\n1000\t2\tb\n2000\t3\tc')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'spark\\n' | ds-lines -n 1 -T 0 | ds-map 'r:upper(), #r, #r / 2, #r > 3' | ds-cat"
	assert_equal "$output" "$(printf 'SPARK\t5\t2.5\ttrue')"
}

@test "ds-map: an expression that does not compile exits 2" {
	run -2 --separate-stderr ds-map 'k +'
	assert_equal "$stderr" "ds-map: lua: [string \"k +\"]:1: unexpected symbol near <eof>"
	assert_equal "$output" ""
	run -2 --separate-stderr ds-map ' '
	assert_equal "$stderr" "ds-map: lua: empty expression"
}

@test "ds-map: a Lua error names the line and exits 1" {
	run -1 --separate-stderr ds-map 'k, v + 1' <"$in"
	assert_equal "$stderr" "ds-map: stdin:6: lua: [string \"k, v + 1\"]:1: attempt to perform arithmetic on a nil value (local 'v')"
	assert_equal "$output" "$(printf '#ds1\na\t2\nb\t3\n%%1000\n%%2000')"
	run -1 --separate-stderr ds-map 'print' <"$in"
	assert_equal "$stderr" "ds-map: stdin:2: lua: value 1 is a function"
	run -1 --separate-stderr ds-map '{k, {}}' <"$in"
	assert_equal "$stderr" "ds-map: stdin:2: lua: value 1, element 2 is a table"
}

@test "ds-map: -W drops the record, warns, counts and goes on" {
	run -0 --separate-stderr ds-map -W 'k, error("no " .. k, 0)' <"$in"
	assert_equal "$stderr" "ds-map: stdin:2: lua: no a
ds-map: stdin:3: lua: no b
ds-map: stdin:6: lua: no c
ds-map: records dropped after Lua errors: 3"
	assert_equal "$output" "$(printf '#ds1\n%%1000\n%%2000\n%%3000')"
}

@test "ds-map: usage errors exit 2" {
	local usage="usage: ds-map [-W] [-a text] [-f list] [expr]"

	run -2 --separate-stderr ds-map
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-map -f 1 k
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-map k v
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-map -W
	assert_equal "$stderr" "$usage"
	run -0 --separate-stderr ds-map -h
	assert_equal "$output" "$usage"
	run -2 --separate-stderr ds-map -f 0
	assert_equal "$stderr" "ds-map: -f 0: field number 0 is too small"
	run -2 --separate-stderr ds-map -f 3-1
	assert_equal "$stderr" "ds-map: -f 3-1: decreasing range"
	run -2 --separate-stderr ds-map -f 1,,2
	assert_equal "$stderr" "ds-map: -f 1,,2: not a list of fields"
	run -2 --separate-stderr ds-map -f -
	assert_equal "$stderr" "ds-map: -f -: not a list of fields"
	run -2 --separate-stderr ds-map -f a
	assert_equal "$stderr" "ds-map: -f a: field number a is invalid"
}

@test "ds-map: an empty input is the header alone" {
	golden /dev/null ds-map -f 1 <<'EOF'
#ds1
EOF
	golden /dev/null ds-map 'k' <<'EOF'
#ds1
EOF
}

@test "ds-map: a malformed stream is an error naming the line" {
	printf '#ds1\na\n%%x\n' >"$in"
	run -1 --separate-stderr ds-map k <"$in"
	assert_equal "$stderr" "ds-map: stdin:3: malformed batch end"
}

@test "ds-map: a write error exits 1" {
	run -1 --separate-stderr sh -c 'ds-map -f 1 <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-map: stdout: No space left on device"
	run -1 --separate-stderr sh -c 'ds-map k <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-map: stdout: No space left on device"
}

@test "ds-map: ends when its reader goes away" {
	run -0 timeout 20 bash -c 'yes "a	b" | ds-map -f 2,1 | head -1'
	assert_equal "$output" "#ds1"
	run -0 timeout 20 bash -c 'yes "a	b" | ds-map "v, k" | head -1'
	assert_equal "$output" "#ds1"
}
