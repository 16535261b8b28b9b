#!/usr/bin/env bats
# ds-filter.bats: regular expressions, fixed strings and Lua tests, on the
# record or one field, inverted; the forms agreeing; every error.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	printf '#ds1\napple\t3\nbanana\t12\n%%1000\n%%2000\ncherry\t7\nkiwi\n%%3000\n' \
	    >"$in"
}

# gen N: this file's seeded stream (helper.bash's gen_stream).
gen() {
	gen_stream "$1" 13 1 'x ax xa a b 7 -3 2.5 \\t a\\tb \\\\ \\n x\\ny \\#h caf\303\251 0 %z XX'
}

@test "ds-filter: -e keeps the records a regex matches; batches pass" {
	golden "$in" ds-filter -e 'an|rr' <<'EOF'
#ds1
banana	12
%1000
%2000
cherry	7
%3000
EOF
}

@test "ds-filter: -e sees the record, its fields joined by TAB" {
	golden "$in" ds-filter -e '^[a-z]+\t\d$' <<'EOF'
#ds1
apple	3
%1000
%2000
cherry	7
%3000
EOF
}

@test "ds-filter: -f looks at one field; a record without it fails" {
	golden "$in" ds-filter -e '^1' -f 2 <<'EOF'
#ds1
banana	12
%1000
%2000
%3000
EOF
	golden "$in" ds-filter -v -e '^1' -f 2 <<'EOF'
#ds1
apple	3
%1000
%2000
cherry	7
kiwi
%3000
EOF
}

@test "ds-filter: -F matches bytes, regex characters included" {
	printf '#ds1\na.b\naxb\n(c\n%%5\n' >"$in"
	golden "$in" ds-filter -F . <<'EOF'
#ds1
a.b
%5
EOF
	golden "$in" ds-filter -F '(' <<'EOF'
#ds1
(c
%5
EOF
	golden "$in" ds-filter -F '' <<'EOF'
#ds1
a.b
axb
(c
%5
EOF
}

@test "ds-filter: -v inverts" {
	golden "$in" ds-filter -v -F a <<'EOF'
#ds1
%1000
%2000
cherry	7
kiwi
%3000
EOF
}

@test "ds-filter: regexes match bytes unless the pattern asks for UTF" {
	printf '#ds1\nh\303\251\nhx\n%%5\n' >"$in"
	golden "$in" ds-filter -e '^h.$' <<'EOF'
#ds1
hx
%5
EOF
	printf '#ds1\nh\303\251\nhx\n%%5\n' >"$BATS_TEST_TMPDIR/want"
	ds-filter -e '(*UTF)^h.$' <"$in" >"$out"
	cmp "$BATS_TEST_TMPDIR/want" "$out"
	printf '#ds1\nh\351\n%%5\n' >"$in"
	run -1 --separate-stderr ds-filter -e '(*UTF)^h.$' <"$in"
	assert_equal "$stderr" "ds-filter: stdin:2: -e: UTF-8 error: 2 bytes missing at end"
}

@test "ds-filter: kept records keep their escapes" {
	printf '#ds1\n\\#a\\tb\tc\\\\d\\re\nx\n\\%%y\n%%5\n' >"$in"
	golden "$in" ds-filter -v -F x <<'EOF'
#ds1
\#a\tb	c\\d\re
\%y
%5
EOF
	golden "$in" ds-filter -e 'a\tb\tc\\d\r' <<'EOF'
#ds1
\#a\tb	c\\d\re
%5
EOF
}

@test "ds-filter: a field holding an escaped TAB keeps it, in every mode" {
	# The lines' only escapes are \t and \#: undone, they leave records
	# whose TABs do not all separate fields, and no backslash.
	printf '#ds1\ntab\\there\t-261\n\\#\\t\t\\t\n%%1000\n' >"$in"
	tab=$(printf '\t')
	local IFS=" "
	for test in "-F$tab" '-e\t' '-e261|#' 'true' '-v -Fnope' '-v -e^$' \
	    '-v false' "-F$tab -f1" '-e^ -f2' 'k:find("\t")'; do
		# shellcheck disable=SC2086
		ds-filter $test <"$in" >"$out"
		cmp "$in" "$out"
	done
	golden "$in" ds-filter -F 261 <<'EOF'
#ds1
tab\there	-261
%1000
EOF
}

@test "ds-filter: Lua keeps what is true to Lua: 0 and \"\" too" {
	golden "$in" ds-filter 'tonumber(v) and tonumber(v) > 5' <<'EOF'
#ds1
banana	12
%1000
%2000
cherry	7
%3000
EOF
	golden "$in" ds-filter '#k == 4 and 0' <<'EOF'
#ds1
%1000
%2000
kiwi
%3000
EOF
	golden "$in" ds-filter 'v == nil or ""' <<'EOF'
#ds1
apple	3
banana	12
%1000
%2000
cherry	7
kiwi
%3000
EOF
	golden "$in" ds-filter 'nil' <<'EOF'
#ds1
%1000
%2000
%3000
EOF
}

@test "ds-filter: -v inverts Lua's verdict" {
	golden "$in" ds-filter -v 'v' <<'EOF'
#ds1
%1000
%2000
kiwi
%3000
EOF
}

@test "ds-filter: the built-in tests and Lua agree on generated input" {
	gen 20000 >"$in"
	ds-filter -F x <"$in" >"$out"
	ds-filter 'r:find("x", 1, true) ~= nil' <"$in" | diff -u "$out" -
	ds-filter -F x -f 2 <"$in" >"$out"
	ds-filter 'v and v:find("x", 1, true)' <"$in" | diff -u "$out" -
	ds-filter -v -e '^\d' <"$in" >"$out"
	ds-filter 'not r:find("^%d")' <"$in" | diff -u "$out" -
	# A TAB in the record: between fields, or escaped inside one.
	ds-filter -e '\t' <"$in" >"$out"
	ds-filter 'r:find("\t")' <"$in" | diff -u "$out" -
	ds-filter -e '^a\tb$' -f 1 <"$in" >"$out"
	ds-filter 'k == "a\tb"' <"$in" | diff -u "$out" -
	[ "$(grep -c '^%' "$out")" -gt 500 ]
	[ "$(grep -vc '^[%#]' "$out")" -gt 500 ]
}

@test "ds-filter: -F agrees with grep -F on text" {
	gen 20000 | ds-cat | grep -v '^$' >"$in"
	grep -F x "$in" >"$BATS_TEST_TMPDIR/grep"
	ds-filter -F x <"$in" | ds-cat >"$out"
	cmp "$BATS_TEST_TMPDIR/grep" "$out"
	grep -vF xa "$in" >"$BATS_TEST_TMPDIR/grep"
	ds-filter -v -F xa <"$in" | ds-cat >"$out"
	cmp "$BATS_TEST_TMPDIR/grep" "$out"
}

@test "ds-filter: man page examples" {
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'an apple a day\\n' | ds-lines -n 1 -T 0 | ds-words | ds-filter -e '^[aeiou]' -f 1"
	assert_equal "$output" "$(printf '#ds1\nan\t1\napple\t1\na\t1\n%%1000')"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'DEBUG x\\nERROR y\\n' | ds-lines -n 2 -T 0 | ds-filter -v -F DEBUG | ds-cat"
	assert_equal "$output" "ERROR y"
	run -0 --separate-stderr bash -o pipefail -c \
	    "printf 'a\\t7\\nb\\t3\\nc\\t10\\n' | ds-lines -n 3 -T 0 | ds-filter 'tonumber(v) > 5' | ds-cat"
	assert_equal "$output" "$(printf 'a\t7\nc\t10')"
}

@test "ds-filter: a bad regex exits 2 with PCRE2's message" {
	run -2 --separate-stderr ds-filter -e 'a(b'
	assert_equal "$stderr" "ds-filter: -e a(b: at offset 3: missing closing parenthesis"
	run -2 --separate-stderr ds-filter -e '*'
	assert_equal "$stderr" "ds-filter: -e *: at offset 0: quantifier does not follow a repeatable item"
}

@test "ds-filter: an expression that does not compile exits 2" {
	run -2 --separate-stderr ds-filter 'v >'
	assert_equal "$stderr" "ds-filter: lua: [string \"v >\"]:1: unexpected symbol near <eof>"
}

@test "ds-filter: a Lua error names the line and exits 1" {
	run -1 --separate-stderr ds-filter 'tonumber(v) > 5' <"$in"
	assert_equal "$stderr" "ds-filter: stdin:7: lua: [string \"tonumber(v) > 5\"]:1: attempt to compare number with nil"
	assert_equal "$output" "$(printf '#ds1\nbanana\t12\n%%1000\n%%2000\ncherry\t7')"
}

@test "ds-filter: a match past PCRE2's limits is an error naming the line" {
	{
		printf '#ds1\nc\n%%1000\n'
		head -c 1000000 /dev/zero | tr '\0' a
		printf '\n%%2000\n'
	} >"$in"
	run -1 --separate-stderr ds-filter -e '(a|b)*c' <"$in"
	assert_output "$(printf '#ds1\nc\n%%1000')"
	assert_equal "$stderr" "ds-filter: stdin:4: -e: JIT stack limit reached"
}

@test "ds-filter: -W drops the record, warns, counts and goes on" {
	run -0 --separate-stderr ds-filter -W -v 'tonumber(v) > 5' <"$in"
	assert_equal "$stderr" "ds-filter: stdin:7: lua: [string \"tonumber(v) > 5\"]:1: attempt to compare number with nil
ds-filter: records dropped after Lua errors: 1"
	assert_equal "$output" "$(printf '#ds1\napple\t3\n%%1000\n%%2000\n%%3000')"
}

@test "ds-filter: usage errors exit 2" {
	local usage="usage: ds-filter [-vW] [-e regex] [-F string] [-f field] [expr]"

	run -2 --separate-stderr ds-filter
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-filter -e a -F b
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-filter -e a k
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-filter -f 2 k
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-filter -v
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-filter k v
	assert_equal "$stderr" "$usage"
	run -0 --separate-stderr ds-filter -h
	assert_equal "$output" "$usage"
	run -2 --separate-stderr ds-filter -F a -f 0
	assert_equal "$stderr" "ds-filter: -f 0: field number is too small"
}

@test "ds-filter: an empty input is the header alone" {
	golden /dev/null ds-filter -F x <<'EOF'
#ds1
EOF
}

@test "ds-filter: a malformed stream is an error naming the line" {
	printf '#ds1\na\n%%2\n%%1\n' >"$in"
	run -1 --separate-stderr ds-filter -F a <"$in"
	assert_equal "$stderr" "ds-filter: stdin:4: batch time 1 does not follow 2"
	assert_equal "$output" "$(printf '#ds1\na\n%%2')"
}

@test "ds-filter: a write error exits 1" {
	run -1 --separate-stderr sh -c 'ds-filter -e . <"$1" >/dev/full' sh "$in"
	assert_equal "$stderr" "ds-filter: stdout: No space left on device"
}

@test "ds-filter: ends when its reader goes away" {
	run -0 timeout 20 bash -c 'yes abc | ds-filter -F b | head -1'
	assert_equal "$output" "#ds1"
	run -0 timeout 20 bash -c 'yes abc | ds-filter "k" | head -1'
	assert_equal "$output" "#ds1"
}
