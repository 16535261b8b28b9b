#!/usr/bin/env bats
# ds-flatmap.bats: str.split on a field, Lua tables and iterators of
# records, the two agreeing on the same input, and every error.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	printf '#ds1\nk\ta,b,,c\nm\t\n%%1000\n%%2000\nn\tx,\ty\n%%3000\n' >"$in"
}

# The Lua form of -d , -f 2: a copy of the record for each piece.
split2='(function ()
	local t = {}
	for p in (v .. ","):gmatch("(.-),") do
		local c = {table.unpack(f)}
		c[2] = p
		t[#t + 1] = c
	end
	return t
end)()'

# gen N: this file's seeded stream (helper.bash's gen_stream).
gen() {
	gen_stream "$1" 17 2 'a a,b ,, x,,y , \\t,\\n \\\\,\\# 7 caf\303\251,1 ,lead trail, %z'
}

@test "ds-flatmap: -d splits a field as str.split does" {
	golden "$in" ds-flatmap -d , -f 2 <<'EOF'
#ds1
k	a
k	b
k	
k	c
m	
%1000
%2000
n	x	y
n		y
%3000
EOF
}

@test "ds-flatmap: -d splits field 1 by default; delimiters of many bytes" {
	printf '#ds1\na::b:c::\tz\n%%5\n' >"$in"
	golden "$in" ds-flatmap -d :: <<'EOF'
#ds1
a	z
b:c	z
	z
%5
EOF
}

@test "ds-flatmap: a record without the field is an error" {
	run -1 --separate-stderr ds-flatmap -d , -f 3 <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: no field 3"
	assert_equal "$output" "#ds1"
}

@test "ds-flatmap: escaped pieces keep their bytes" {
	printf '#ds1\n\\#a,b\\tc,\\\\\tx\n%%5\n' >"$in"
	golden "$in" ds-flatmap -d , <<'EOF'
#ds1
\#a	x
b\tc	x
\\	x
%5
EOF
}

@test "ds-flatmap: a Lua table of records, tables or scalars" {
	golden "$in" ds-flatmap '{k, {k, #f}, nil, 3.5, false}' <<'EOF'
#ds1
k
k	2
3.5
false
m
m	2
3.5
false
%1000
%2000
n
n	3
3.5
false
%3000
EOF
}

@test "ds-flatmap: a string record is one field; f copies the record" {
	golden "$in" ds-flatmap '{r, f}' <<'EOF'
#ds1
k\ta,b,,c
k	a,b,,c
m\t
m	
%1000
%2000
n\tx,\ty
n	x,	y
%3000
EOF
}

@test "ds-flatmap: an iterator's values make records" {
	golden "$in" ds-flatmap 'r:gmatch("%a")' <<'EOF'
#ds1
k
a
b
c
m
%1000
%2000
n
x
y
%3000
EOF
	golden "$in" ds-flatmap 'ipairs({k, k})' <<'EOF'
#ds1
1	k
2	k
1	m
2	m
%1000
%2000
1	n
2	n
%3000
EOF
}

@test "ds-flatmap: nil and empty tables make no record" {
	golden "$in" ds-flatmap 'k == "m" and {{k}} or nil' <<'EOF'
#ds1
m
%1000
%2000
%3000
EOF
	golden "$in" ds-flatmap '{}' <<'EOF'
#ds1
%1000
%2000
%3000
EOF
}

@test "ds-flatmap: -d and Lua agree on generated input" {
	gen 20000 >"$in"
	ds-flatmap -d , -f 2 <"$in" >"$out"
	ds-flatmap "$split2" <"$in" | diff -u "$out" -
	[ "$(grep -c '^%' "$out")" -gt 500 ]
	[ "$(grep -vc '^[%#]' "$out")" -gt 25000 ]
}

@test "ds-flatmap: man page examples" {
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'k\\ta,b,,c\\n' | ds-lines -n 1 -T 0 | ds-flatmap -d , -f 2"
	assert_equal "$output" "$(printf '#ds1\nk\ta\nk\tb\nk\t\nk\tc\n%%1000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'k\\ta,b,,c\\n' | ds-lines -n 1 -T 0 | ds-flatmap '(function () local t = {} for p in (v .. \",\"):gmatch(\"(.-),\") do t[#t + 1] = {k, p} end return t end)()' | ds-cat"
	assert_equal "$output" "$(printf 'k\ta\nk\tb\nk\t\nk\tc')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'to be\\n or not\\n' | ds-lines -n 2 -T 0 | ds-flatmap 'r:gmatch(\"%S+\")' | ds-cat"
	assert_equal "$output" "$(printf 'to\nbe\nor\nnot')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'ab\\n' | ds-lines -n 1 -T 0 | ds-flatmap '{{r, #r}, {r, #r * 2}}' | ds-cat"
	assert_equal "$output" "$(printf 'ab\t2\nab\t4')"
}

@test "ds-flatmap: an expression that does not compile exits 2" {
	run -2 --separate-stderr ds-flatmap '{k'
	assert_equal "$stderr" "ds-flatmap: lua: [string \"{k\"]:1: '}' expected near <eof>"
}

@test "ds-flatmap: a Lua error names the line and exits 1" {
	run -1 --separate-stderr ds-flatmap 'r' <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: lua: the value is a string, not a table or a function"
	run -1 --separate-stderr ds-flatmap '{k, print}' <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: lua: record 2 is a function"
	assert_equal "$output" "#ds1"
	run -1 --separate-stderr ds-flatmap '{{k, {}}}' <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: lua: record 1, element 2 is a table"
}

@test "ds-flatmap: -W drops all of a record's records, warns and counts" {
	# The error comes after the first record of m: neither goes out.
	run -0 --separate-stderr ds-flatmap -W '{k, k == "m" and {} + 1 or k}' <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:3: lua: [string \"{k, k == \"m\" and {} + 1 or k}\"]:1: attempt to perform arithmetic on a table value
ds-flatmap: records dropped after Lua errors: 1"
	assert_equal "$output" "$(printf '#ds1\nk\nk\n%%1000\n%%2000\nn\nn\n%%3000')"
	run -0 --separate-stderr ds-flatmap -W 'function (_, i) if i then error("late", 0) end return k end' <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: lua: late
ds-flatmap: stdin:3: lua: late
ds-flatmap: stdin:6: lua: late
ds-flatmap: records dropped after Lua errors: 3"
	assert_equal "$output" "$(printf '#ds1\n%%1000\n%%2000\n%%3000')"
}

@test "ds-flatmap: usage errors exit 2" {
	local usage="usage: ds-flatmap [-W] [-d delim] [-f field] [expr]"

	run -2 --separate-stderr ds-flatmap
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-flatmap -d , k
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-flatmap -f 2 k
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-flatmap k v
	assert_equal "$stderr" "$usage"
	run -0 --separate-stderr ds-flatmap -h
	assert_equal "$output" "$usage"
	run -2 --separate-stderr ds-flatmap -d ''
	assert_equal "$stderr" "ds-flatmap: -d: empty delimiter"
	run -2 --separate-stderr ds-flatmap -d , -f x
	assert_equal "$stderr" "ds-flatmap: -f x: field number is invalid"
}

@test "ds-flatmap: an empty input is the header alone" {
	golden /dev/null ds-flatmap -d , <<'EOF'
#ds1
EOF
}

@test "ds-flatmap: a malformed stream is an error naming the line" {
	printf '#ds1\na\\q\n' >"$in"
	run -1 --separate-stderr ds-flatmap -d , <"$in"
	assert_equal "$stderr" "ds-flatmap: stdin:2: invalid escape \"\\q\""
}

@test "ds-flatmap: a write error exits 1" {
	run -1 --separate-stderr sh -c 'ds-flatmap -d , <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-flatmap: stdout: No space left on device"
	run -1 --separate-stderr sh -c 'ds-flatmap "{f}" <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-flatmap: stdout: No space left on device"
}

@test "ds-flatmap: ends when its reader goes away" {
	run -0 timeout 20 bash -c 'yes a,b | ds-flatmap -d , | head -1'
	assert_equal "$output" "#ds1"
	run -0 timeout 20 bash -c 'yes a,b | ds-flatmap "{k, k}" | head -1'
	assert_equal "$output" "#ds1"
}
