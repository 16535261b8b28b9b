#!/usr/bin/env bats
# ds-window.bats: Spark's window() on its clock (partial windows, slides,
# gaps, the learned interval, the durations' rules), and the property that
# every windowed aggregate (-w) is the aggregate of ds-window's window.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	out=$BATS_TEST_TMPDIR/out
	# Six one-second batches, one record each.
	six=$BATS_TEST_TMPDIR/six
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n%%3000\nd\n%%4000\ne\n%%5000\nf\n%%6000\n' >"$six"
}

teardown() {
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
	fi
}

AWK=$(command -v mawk || command -v awk)

# random: the path of a random stream, made once a run: twelve random
# streams one after the other, 200 s apart (longer than any window here),
# each of 40 to 80 batches on a one-second grid, with gaps of up to 7 s
# after one batch in five (not the first, so that a learned interval is
# 1 s), and 0 to 8 records a batch of a key k0 to k5 and an integer value
# -10 to 10.
random() {
	local r=$BATS_RUN_TMPDIR/window-random

	if [ ! -e "$r" ]; then
		"$AWK" -v nstream=12 'BEGIN {
			print "#ds1"
			t = 1000
			for (s = 1; s <= nstream; s++) {
				srand(s)
				t += 1000 * int(rand() * 5)
				nb = 40 + int(rand() * 41)
				for (b = 0; b < nb; b++) {
					n = int(rand() * 9)
					for (i = 0; i < n; i++)
						printf "k%d\t%d\n", int(rand() * 6),
						    int(rand() * 21) - 10
					printf "%%%d\n", t
					gap = b > 0 && rand() < 0.2
					t += 1000 * (gap ? 2 + int(rand() * 6) : 1)
				}
				t += 200000
			}
		}' >"$r.$$"
		mv "$r.$$" "$r"
	fi
	echo "$r"
}

# The windows of the property tests, "LENGTH [SLIDE]": the interval alone,
# slides equal to, shorter and longer than the length, and a window longer
# than any of the streams.
PAIRS=("1s" "3s" "5s 2s" "4s 4s" "10s 3s" "2s 5s" "7s 7s" "100s 1s")

# same_as_window PROGRAM [OPTION...]: for the random stream and each of
# PAIRS, PROGRAM -i 1s -w LENGTH [-s SLIDE] OPTION... must write byte for
# byte what ds-window -i 1s LENGTH [SLIDE] | PROGRAM OPTION... writes.
# With IOPT set empty, PROGRAM learns the interval instead of taking -i.
IOPT="-i 1s"
same_as_window() {
	local prog=$1 r pair length slide s w
	shift

	r=$(random)
	for pair in "${PAIRS[@]}"; do
		read -r length slide <<<"$pair"
		s=()
		[ -z "$slide" ] || s=(-s "$slide")
		w=$BATS_RUN_TMPDIR/window-${pair/ /-}
		if [ ! -e "$w" ]; then
			ds-window -i 1s $pair <"$r" >"$w.$$"
			mv "$w.$$" "$w"
		fi
		"$prog" $IOPT -w "$length" "${s[@]}" "$@" <"$r" >"$out.w"
		"$prog" "$@" <"$w" >"$out.r"
		if ! cmp -s "$out.w" "$out.r"; then
			echo "$prog $IOPT -w $length ${s[*]} $* !=" \
			    "ds-window -i 1s $pair | $prog $*"
			diff -u "$out.r" "$out.w" | head -n 30
			return 1
		fi
	done
}

@test "ds-window: -h prints the usage on stdout and exits 0" {
	run -0 --separate-stderr ds-window -h
	assert_output "usage: ds-window [-a] [-i interval] length [slide]"
	assert_equal "$stderr" ""
}

@test "ds-window: no length, an extra operand or a bad duration is a usage error" {
	local usage="usage: ds-window [-a] [-i interval] length [slide]"
	run -2 --separate-stderr ds-window </dev/null
	assert_output ""
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-window 1s 1s 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-window 0 </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-window: length 0: not a positive duration"
	run -2 --separate-stderr ds-window 2s 1x </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-window: slide 1x: not a positive duration"
	run -2 --separate-stderr ds-window -i 2x 1s </dev/null
	assert_output ""
	assert_equal "$stderr" "ds-window: -i 2x: not a positive duration"
}

@test "ds-window: the first windows are partial, then each holds LENGTH" {
	golden "$six" ds-window 3s <<'EOF'
#ds1
a
%1000
a
b
%2000
a
b
c
%3000
b
c
d
%4000
c
d
e
%5000
d
e
f
%6000
EOF
}

@test "ds-window: a window of one interval is the stream itself" {
	run -0 --separate-stderr ds-window 1s <"$six"
	assert_output "$(cat "$six")"
	assert_equal "$stderr" ""
}

@test "ds-window: a slide of two intervals writes every other window" {
	# Zero time is 0: windows at 2000, 4000 and 6000.
	golden "$six" ds-window -i 1s 3s 2s <<'EOF'
#ds1
a
b
%2000
b
c
d
%4000
d
e
f
%6000
EOF
}

@test "ds-window: a slide longer than the length skips batches" {
	golden "$six" ds-window -i 1s 1s 3s <<'EOF'
#ds1
c
%3000
f
%6000
EOF
}

@test "ds-window: durations in other units, and a bare integer is seconds" {
	golden "$six" ds-window -i 1000ms 2 4000ms <<'EOF'
#ds1
c
d
%4000
EOF
}

@test "ds-window: a gap is empty batches: its windows are written, empty once the data has left" {
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n%%6000\nd\n%%7000\n' >"$in"
	golden "$in" ds-window -i 1s 2s <<'EOF'
#ds1
a
%1000
a
b
%2000
b
%3000
%4000
%5000
c
%6000
c
d
%7000
EOF
	# With a slide of 2 s the window of 4000 falls in the gap, and none
	# is due at 7000, the last batch.
	golden "$in" ds-window -i 1s 3s 2s <<'EOF'
#ds1
a
b
%2000
b
%4000
c
%6000
EOF
}

@test "ds-window: a window is written when the batch ending the gap arrives, no sooner" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-window -i 1s 1s <"$BATS_TEST_TMPDIR/fifo" >"$out" &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\n%%1000\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	printf 'b\n%%4000\n' >&"$w"
	wait_until 5 grep -q '^%4000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
a
%1000
%2000
%3000
b
%4000"
	exec {w}>&-
	wait "$pid"
}

@test "ds-window: a length that is not a multiple of -i exits 2 with Spark's message" {
	run -2 --separate-stderr ds-window -i 1s 2500ms <"$six"
	assert_output ""
	assert_equal "$stderr" "ds-window: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	run -2 --separate-stderr ds-window -i 2s 3s 2s <"$six"
	assert_output ""
	assert_equal "$stderr" "ds-window: The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
}

@test "ds-window: a slide that is not a multiple of -i exits 2 with Spark's message" {
	run -2 --separate-stderr ds-window -i 1s 2s 1500ms <"$six"
	assert_output ""
	assert_equal "$stderr" "ds-window: The slide duration of windowed DStream (1500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
	# The length is checked first.
	run -2 --separate-stderr ds-window -i 1s 2500ms 1500ms <"$six"
	assert_output ""
	assert_equal "$stderr" "ds-window: The window duration of windowed DStream (2500 ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
}

@test "ds-window: a learned interval breaking the rules exits 2 at the second batch" {
	printf '#ds1\na\n%%2000\nb\n%%4000\nc\n%%6000\n' >"$in"
	run -2 --separate-stderr ds-window 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-window: The window duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
	run -2 --separate-stderr ds-window 4s 3s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-window: The slide duration of windowed DStream (3000 ms) must be a multiple of the slide duration of parent DStream (2000 ms)"
	# The same stream with lengths that are multiples of 2 s is fine.
	golden "$in" ds-window 4s <<'EOF'
#ds1
a
%2000
a
b
%4000
b
c
%6000
EOF
}

@test "ds-window: a batch time off the grid of -i is an error, exit 1" {
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n%%2500\nd\n%%3000\n' >"$in"
	run -1 --separate-stderr ds-window -i 1s 2s <"$in"
	assert_output "#ds1
a
%1000
a
b
%2000"
	assert_equal "$stderr" "ds-window: stdin:7: batch time 2500 is not on the grid of the 1000 ms interval"
	# Zero time is 1000 - 2000: 2000 is off the grid of 2 s.
	run -1 --separate-stderr ds-window -i 2s 2s <"$six"
	assert_output "#ds1
a
%1000"
	assert_equal "$stderr" "ds-window: stdin:5: batch time 2000 is not on the grid of the 2000 ms interval"
}

@test "ds-window: a batch time off the grid of a learned interval is an error, exit 1" {
	printf '#ds1\na\n%%1000\nb\n%%3000\nc\n%%4000\n' >"$in"
	run -1 --separate-stderr ds-window 4s <"$in"
	assert_output "#ds1
a
%1000
a
b
%3000"
	assert_equal "$stderr" "ds-window: stdin:7: batch time 4000 is not on the grid of the 2000 ms interval"
}

@test "ds-window: a first batch at time interval - 1 (zero time -1) is on the clock" {
	# Zero time is -1: windows at 1 and 3, and at 1999 and 3999.
	printf '#ds1\na\n%%0\nb\n%%1\nc\n%%2\nd\n%%3\n' >"$in"
	golden "$in" ds-window -i 1ms 2ms 2ms <<'EOF'
#ds1
a
b
%1
c
d
%3
EOF
	golden "$in" ds-window 2ms 2ms <<'EOF'
#ds1
a
b
%1
c
d
%3
EOF
	printf '#ds1\na\n%%999\nb\n%%1999\nc\n%%2999\nd\n%%3999\n' >"$in"
	golden "$in" ds-window -i 1s 2s 2s <<'EOF'
#ds1
a
b
%1999
c
d
%3999
EOF
}

@test "ds-window: a last batch the input did not close comes one interval after the last" {
	# Not at the clock's time: off the grid of 1 s, and a gap of empty
	# windows up to now at 1 ms.
	printf '#ds1\na\n%%1000\nb\n%%2000\nc\n' >"$in"
	golden "$in" ds-window 2s <<'EOF'
#ds1
a
%1000
a
b
%2000
b
c
%3000
EOF
	printf '#ds1\na\t1\n%%1\nb\t2\n' >"$in"
	golden "$in" timeout 10 ds-window -i 1ms 1ms <<'EOF'
#ds1
a	1
%1
b	2
%2
EOF
	golden "$in" timeout 10 ds-reducebykey -i 1ms -w 2ms <<'EOF'
#ds1
a	1
%1
a	1
b	2
%2
EOF
	golden "$in" timeout 10 ds-count -i 1ms -w 1ms <<'EOF'
#ds1
1
%1
1
%2
EOF
}

@test "ds-window: a learned interval gives the output of -i" {
	local pair r

	r=$(random)
	for pair in "1s" "3s" "5s 2s" "2s 4s"; do
		ds-window -i 1s $pair <"$r" >"$out.i"
		ds-window $pair <"$r" >"$out.l"
		diff -u "$out.i" "$out.l"
		[ "$(grep -c '^%' "$out.i")" -gt 100 ]
	done
}

@test "ds-window: a learned interval delays the first window to the second batch" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	# With -i the first window comes with the first batch.
	ds-window -i 1s 2s <"$BATS_TEST_TMPDIR/fifo" >"$out" &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\n%%1000\n' >&"$w"
	wait_until 5 grep -q '^%1000$' "$out"
	exec {w}>&-
	wait "$pid"
	# Learned, it waits for the second batch, then both windows come.
	ds-window 2s <"$BATS_TEST_TMPDIR/fifo" >"$out" &
	pid=$!
	exec {w}>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\na\n%%1000\n' >&"$w"
	sleep 0.1
	run ! grep -q '^%' "$out"
	printf 'b\n%%2000\n' >&"$w"
	wait_until 5 grep -q '^%2000$' "$out"
	assert_equal "$(cat "$out")" "#ds1
a
%1000
a
b
%2000"
	exec {w}>&-
	wait "$pid"
}

@test "ds-window: raw input is one batch, one window at the clock's time" {
	local t0 t1

	printf 'a\tb\n#c\n%%d\nback\\slash\n' >"$in"
	t0=$(date +%s%3N)
	run -0 --separate-stderr ds-window 10s <"$in"
	t1=$(date +%s%3N)
	assert_equal "$stderr" ""
	assert_equal "${#lines[@]}" 6
	assert_equal "$(printf '%s\n' "${lines[@]:0:5}")" '#ds1
a	b
\#c
\%d
back\\slash'
	[[ ${lines[5]} =~ ^%([0-9]+)$ ]]
	[ "${BASH_REMATCH[1]}" -ge "$t0" ] && [ "${BASH_REMATCH[1]}" -le "$t1" ]
	# With -i, the one batch sets zero time, so it is on the grid.
	run -0 --separate-stderr ds-window -i 1s 10s <"$in"
	assert_equal "$stderr" ""
	assert_equal "$(printf '%s\n' "${lines[@]:0:5}")" '#ds1
a	b
\#c
\%d
back\\slash'
	[[ ${lines[5]} =~ ^%[0-9]+$ ]]
}

@test "ds-window: escaped records pass through unchanged" {
	printf '#ds1\n\\#a\\\\b\\tc\tx\n\\%%p\t%%\n\n\\\\\n%%1000\nq\\nr\\rs\t#\t%%\n%%2000\n' >"$in"
	golden "$in" ds-window 2s <<'EOF'
#ds1
\#a\\b\tc	x
\%p	%

\\
%1000
\#a\\b\tc	x
\%p	%

\\
q\nr\rs	#	%
%2000
EOF
	ds-window 2s <"$in" | ds-cat -j >"$out"
	diff -u - "$out" <<'EOF'
["#a\\b\tc","x"]
["%p","%"]
[""]
["\\"]
["#a\\b\tc","x"]
["%p","%"]
[""]
["\\"]
["q\nr\rs","#","%"]
EOF
}

@test "ds-window: a record holding NUL passes through" {
	printf '#ds1\na\000b\n%%1000\n' >"$in"
	ds-window 5s <"$in" >"$out"
	cmp "$in" "$out"
}

@test "ds-window: a stream of one batch is one window, at its time" {
	printf '#ds1\na\nb\n%%5000\n' >"$in"
	golden "$in" ds-window 3s <<'EOF'
#ds1
a
b
%5000
EOF
	golden "$in" ds-window -i 1s 3s <<'EOF'
#ds1
a
b
%5000
EOF
	# Zero time is 4000 and the slide 2 s: no window is due at 5000.
	golden "$in" ds-window -i 1s 3s 2s <<'EOF'
#ds1
EOF
}

@test "ds-window: an empty input, or a header alone, writes only the header" {
	: >"$in"
	golden "$in" ds-window 3s <<'EOF'
#ds1
EOF
	printf '#ds1\n' >"$in"
	golden "$in" ds-window -i 1s 3s <<'EOF'
#ds1
EOF
}

@test "ds-window: empty batches make empty windows" {
	printf '#ds1\n%%1000\n%%2000\n%%3000\n' >"$in"
	golden "$in" ds-window 2s <<'EOF'
#ds1
%1000
%2000
%3000
EOF
}

@test "ds-window: a malformed stream is an error, after what came before" {
	printf '#ds1\na\n%%1000\n\\q\n%%2000\n' >"$in"
	run -1 --separate-stderr ds-window -i 1s 2s <"$in"
	assert_output "#ds1
a
%1000"
	assert_equal "$stderr" 'ds-window: stdin:4: invalid escape "\q"'
	printf '#ds1\na\n%%2000\nb\n%%1000\n' >"$in"
	run -1 --separate-stderr ds-window 2s <"$in"
	assert_output "#ds1"
	assert_equal "$stderr" "ds-window: stdin:5: batch time 1000 does not follow 2000"
}

@test "ds-window: a write error is reported" {
	run -1 --separate-stderr bash -c 'ds-window 2s <"$1" >/dev/full' _ "$six"
	assert_output ""
	assert_equal "$stderr" "ds-window: stdout: No space left on device"
}

@test "ds-window: a reader that goes away ends the pipeline" {
	# 4 MB of output from 400 kB of input.
	"$AWK" 'BEGIN { print "#ds1"
	    for (t = 1; t <= 100000; t++) { print "x"; print "%" t } }' >"$in"
	run bash -c 'ds-window 10ms <"$1" | head -n 2; echo "${PIPESTATUS[0]}"' \
	    sh "$in"
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "x"
	[[ ${lines[2]} =~ ^(141|1)$ ]]
}

@test "ds-window: a long stream through a short window" {
	# 100,000 batches through a window of 3: every window but the first
	# two holds 3 records, each the one of its batch.
	"$AWK" 'BEGIN { print "#ds1"
	    for (t = 1; t <= 100000; t++) { print t; print "%" t } }' >"$in"
	ds-window -i 1ms 3ms <"$in" | "$AWK" '
	    /^%/ { t = substr($0, 2) + 0; w = t < 3 ? t : 3
	        if (n != w || last != t) { print "bad window " t; exit 1 }
	        n = 0; next }
	    !/^#/ { n++; last = $0 + 0 }
	    END { print t }' >"$out"
	assert_equal "$(cat "$out")" 100000
}

# The property of the windowed programs: each result is the window's,
# recomputed from scratch by ds-window and the program without -w.

@test "ds-window: ds-reducebykey -w equals ds-window | ds-reducebykey, every operation" {
	local op
	for op in sum count min max mean first last; do
		same_as_window ds-reducebykey -o "$op"
	done
}

@test "ds-window: ds-reduce -w equals ds-window | ds-reduce, every operation" {
	local op
	for op in sum count min max mean first last; do
		same_as_window ds-reduce -f 2 -o "$op"
	done
}

@test "ds-window: ds-count -w equals ds-window | ds-count" {
	same_as_window ds-count
}

@test "ds-window: ds-countbyvalue -w equals ds-window | ds-countbyvalue" {
	same_as_window ds-countbyvalue
}

@test "ds-window: a Lua reducer over -w equals ds-window | the same reducer" {
	local lua
	# Concatenation is associative but not commutative: the window's
	# batches must be folded in their order.
	for lua in 'a .. "," .. b' 'math.max(a, b)'; do
		same_as_window ds-reducebykey "$lua"
		same_as_window ds-reduce -f 2 "$lua"
	done
}

@test "ds-window: with the interval learned, not given, -w equals ds-window | PROGRAM" {
	# The random stream's first two batches are 1 s apart.
	IOPT=
	same_as_window ds-reducebykey -o sum
	same_as_window ds-reducebykey -o max
	same_as_window ds-reduce -f 2 -o first
	same_as_window ds-count
	same_as_window ds-countbyvalue
}
