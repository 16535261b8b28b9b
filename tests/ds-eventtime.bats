#!/usr/bin/env bats
# ds-eventtime.bats: batches by event time against a reference that
# recomputes them from the sorted input, every lateness case for each -L,
# closing on the wall clock (-I), the time formats, and bad times.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	exec 5>&- 2>/dev/null || true
	if [ -n "${pid-}" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
}

AWK=$(command -v mawk || command -v awk)

# gen SEED N LATENESS STEP: N records "rI<TAB>time" in milliseconds, a
# clock going up by 0 to STEP ms a record and each time up to LATENESS ms
# behind it, so out of order but never later than LATENESS behind the
# newest: none late.
gen() {
	"$AWK" -v seed="$1" -v n="$2" -v l="$3" -v step="$4" 'BEGIN {
		srand(seed)
		clock = 1000000 + int(rand() * 100000)
		for (i = 1; i <= n; i++) {
			clock += int(rand() * step)
			printf "r%d\t%d\n", i, clock - int(rand() * (l + 1))
		}
	}'
}

# reference INTERVAL LATENESS: the batches of the records on stdin, each
# record in batch ceil(t / INTERVAL) * INTERVAL in the order they came,
# every batch from that of the first record's time less LATENESS (not
# below 0) to that of the largest time.
reference() {
	"$AWK" -F '\t' -v iv="$1" -v l="$2" '
	function batch(t,	b) {
		b = int(t / iv) * iv
		return b < t ? b + iv : b
	}
	NR == 1 { first = batch($2 > l ? $2 - l : 0) }
	{
		b = batch($2)
		lines[b] = lines[b] $0 "\n"
		if (b > last)
			last = b
	}
	END {
		print "#ds1"
		if (NR == 0)
			exit
		for (b = first; b <= last; b += iv)
			printf "%s%%%d\n", lines[b], b
	}'
}

@test "ds-eventtime: seeded out-of-order streams give the reference's batches" {
	local seed args

	for seed in 1 2 3 4 5 6 7 8; do
		for args in "1000 5000 700" "1000 0 400" "250 3000 300" \
		    "5000 20000 2000" "1 40 5"; do
			set -- $args
			gen "$seed" 400 "$2" "$3" >"$T/in"
			reference "$1" "$2" <"$T/in" >"$T/want"
			ds-eventtime -F ms -f 2 -i "$1ms" -l "$2ms" \
			    <"$T/in" >"$T/got"
			diff -u "$T/want" "$T/got" ||
			    { echo "seed $seed, -i $1ms -l $2ms"; return 1; }
		done
	done
}

@test "ds-eventtime: the input's own batch ends do not count" {
	printf '#ds1\na\t3\n%%1\nb\t1\n%%2\n%%3\nc\t2\n' >"$T/in"
	golden "$T/in" ds-eventtime -f 2 -l 5s <<-'EOF'
	#ds1
	%0
	b	1
	%1000
	c	2
	%2000
	a	3
	%3000
	EOF
}

# The lateness cases, one second batches, five seconds of lateness: after
# a record at 10001 the watermark is 5001, so batch 5000 has closed.
lateness_input() {
	printf 'new\t10001\non\t5002\nat\t5001\nlate1\t5000\nvery\t1000\n'
	printf 'after\t9000\n'
}

# on_time: what comes out of lateness_input on the standard output when
# the late records are not kept there.
on_time() {
	printf '#ds1\non\t5002\nat\t5001\n%%6000\n%%7000\n%%8000\n'
	printf 'after\t9000\n%%9000\n%%10000\nnew\t10001\n%%11000\n'
}

@test "ds-eventtime: -L drop: on time, at the watermark, 1 ms late, very late" {
	lateness_input >"$T/in"
	run --separate-stderr ds-eventtime -F ms -f 2 -l 5s <"$T/in"
	assert_success
	assert_equal "$stderr" "ds-eventtime: late records dropped: 2"
	diff -u - <(printf '%s\n' "$output") <<<"$(on_time)"
}

@test "ds-eventtime: -L drop is the default, and says nothing when none is late" {
	lateness_input | grep -v 'late1\|very' >"$T/in"
	on_time | golden "$T/in" ds-eventtime -F ms -f 2 -l 5s -L drop
}

@test "ds-eventtime: -L emit: late records go into the next batch to close" {
	lateness_input >"$T/in"
	golden "$T/in" ds-eventtime -F ms -f 2 -l 5s -L emit <<-'EOF'
	#ds1
	on	5002
	at	5001
	late1	5000
	very	1000
	%6000
	%7000
	%8000
	after	9000
	%9000
	%10000
	new	10001
	%11000
	EOF
}

@test "ds-eventtime: -L file: late records appended to a ds stream" {
	lateness_input >"$T/in"
	on_time | golden "$T/in" ds-eventtime -F ms -f 2 -l 5s -L "$T/late"
	diff -u - "$T/late" <<-'EOF'
	#ds1
	late1	5000
	very	1000
	%6000
	EOF
	# Appended again, the file stays one valid stream.
	printf 'x\t20000\ny\t1\n' | ds-eventtime -F ms -f 2 -L "$T/late" >/dev/null
	run ds-cat -t <"$T/late"
	assert_success
	assert_output "$(printf '6000\tlate1\t5000\n6000\tvery\t1000\n20000\ty\t1')"
}

@test "ds-eventtime: lateness 0: records in order, any behind its batch is late" {
	printf 'a\t1500\nb\t1000\nc\t2000\nd\t2000\ne\t1999\nf\t2001\ng\t2000\n' >"$T/in"
	run --separate-stderr ds-eventtime -F ms -f 2 -l 0 <"$T/in"
	assert_success
	assert_equal "$stderr" "ds-eventtime: late records dropped: 2"
	assert_equal "$output" "$(printf '#ds1\na\t1500\nc\t2000\nd\t2000\ne\t1999\n%%2000\nf\t2001\n%%3000')"
}

@test "ds-eventtime: records pass through intact: escapes, NUL, a leading # or %" {
	printf '#ds1\n\\#a\\tb\t1\tx\\\\y\n\000z\t1\t\n\\%%p\\nq\t2\n%%5\n' >"$T/in"
	ds-eventtime -f 2 <"$T/in" >"$T/got"
	printf '#ds1\n\\#a\\tb\t1\tx\\\\y\n\000z\t1\t\n%%1000\n\\%%p\\nq\t2\n%%2000\n' |
	    cmp - "$T/got"
	ds-eventtime -f 2 <"$T/in" | ds-cat >"$T/got"
	printf '#a\tb\t1\tx\\y\n\000z\t1\t\n%%p\nq\t2\n' | cmp - "$T/got"
}

@test "ds-eventtime: -I closes batches by the wall clock while the source is quiet" {
	mkfifo "$T/fifo"
	ds-eventtime -F ms -f 2 -i 100ms -l 1s -I 200ms <"$T/fifo" \
	    >"$T/out" 2>"$T/err" &
	pid=$!
	exec 5>"$T/fifo"
	printf 'a\t1000\n' >&5
	# The open batches close after 200 ms of silence, then one every
	# 100 ms.
	wait_until 10 grep -q '^%1200$' "$T/out"
	printf 'late\t1050\nb\t5000\n' >&5
	exec 5>&-
	wait "$pid"
	pid=
	run cat "$T/out"
	assert_line --index 0 '#ds1'
	assert_line --index 1 '%0'
	assert_line --index 11 'a	1000'
	assert_line --index 12 '%1000'
	assert_line --index 13 '%1100'
	assert_line --index 14 '%1200'
	assert_line --index -2 'b	5000'
	assert_line --index -1 '%5000'
	refute_line 'late	1050'
	assert_equal "$(cat "$T/err")" "ds-eventtime: late records dropped: 1"
}

@test "ds-eventtime: -I: nothing closes before the first record" {
	mkfifo "$T/fifo"
	ds-eventtime -f 2 -I 1ms <"$T/fifo" >"$T/out" &
	pid=$!
	exec 5>"$T/fifo"
	printf 'x\t1\n' >&5
	wait_until 10 grep -q '^%1000$' "$T/out"
	exec 5>&-
	wait "$pid"
	pid=
	# Batch 0 never opened: the first watermark is the first record's.
	assert_equal "$(head -3 "$T/out")" "$(printf '#ds1\nx\t1\n%%1000')"
}

@test "ds-eventtime: epoch seconds, milliseconds and fractions, by magnitude or -F" {
	printf 'a\t1700000000\nb\t1700000000500\nc\t1700000001.25\n' >"$T/in"
	golden "$T/in" sh -c 'ds-eventtime -f 2 -i 250ms | ds-cat -t' <<-'EOF'
	1700000000000	a	1700000000
	1700000000500	b	1700000000500
	1700000001250	c	1700000001.25
	EOF
	printf 'a\t5\nb\t5.5\n' >"$T/in"
	run --separate-stderr sh -c "ds-eventtime -F ms -S -f 2 <'$T/in' | ds-cat -t"
	assert_success
	assert_output "1000	a	5"
	assert_equal "$stderr" "ds-eventtime: records skipped, time unreadable: 1"
	printf 'a\t99999999999\n' >"$T/in"
	golden "$T/in" sh -c 'ds-eventtime -F s -f 2 | ds-cat -t' <<-'EOF'
	99999999999000	a	99999999999
	EOF
}

@test "ds-eventtime: ISO 8601 with a zone, and without one in TZ" {
	printf 'a\t2026-03-29T00:59:59.5Z\nb\t2026-03-29T03:00:00+02:00\n' >"$T/in"
	printf 'c\t2026-03-29 03:00:01\nd\t2026-03-29\n' >>"$T/in"
	TZ=Europe/Berlin run --separate-stderr \
	    sh -c "ds-eventtime -F iso -f 2 -l 1d <'$T/in' | ds-cat -t"
	assert_success
	# 03:00 CEST is 01:00 UTC; d is local midnight, 23:00 UTC the day
	# before.
	assert_equal "$output" "$(printf '%s\n' \
	    "1774738800000	d	2026-03-29" \
	    "1774746000000	a	2026-03-29T00:59:59.5Z" \
	    "1774746000000	b	2026-03-29T03:00:00+02:00" \
	    "1774746001000	c	2026-03-29 03:00:01")"
	TZ=America/New_York run sh -c "printf 'd\t2026-03-29\n' |
	    ds-eventtime -f 2 | ds-cat -t"
	assert_output "1774756800000	d	2026-03-29"
}

@test "ds-eventtime: -F strptime formats, with %z and in TZ" {
	printf 'a\t06/Dec/2026:21:00:00 +0100\nb\t06/Dec/2026:20:00:01 +0000\n' >"$T/in"
	golden "$T/in" sh -c "ds-eventtime -F '%d/%b/%Y:%H:%M:%S %z' -f 2 -l 5s |
	    ds-cat -t" <<-'EOF'
	1796587200000	a	06/Dec/2026:21:00:00 +0100
	1796587201000	b	06/Dec/2026:20:00:01 +0000
	EOF
	printf 'a\t2026-07-01 12:00\n' >"$T/in"
	TZ=America/New_York run sh -c "ds-eventtime -F '%Y-%m-%d %H:%M' -f 2 \
	    <'$T/in' | ds-cat -t"
	assert_output "1782921600000	a	2026-07-01 12:00"
}

# fails_with INPUT MESSAGE ARGS...: ds-eventtime ARGS on the bytes INPUT
# (printf's) exits 1 with MESSAGE.
fails_with() {
	printf "$1" >"$T/bad"
	run --separate-stderr ds-eventtime "${@:3}" <"$T/bad"
	assert_failure 1
	assert_equal "$stderr" "ds-eventtime: $2"
}

@test "ds-eventtime: an unreadable time is an error naming line and field" {
	fails_with '#ds1\na\t1\nb\tabc\n%%5\n' \
	    'stdin:3: field 2: not a time: "abc"' -f 2
	assert_equal "$output" "#ds1"
	fails_with 'a\t1\nb\n' 'stdin:2: no field 2' -f 2
	fails_with 'a\t1969-12-31T23:59:59Z\n' \
	    'stdin:1: field 2: time out of range: "1969-12-31T23:59:59Z"' -f 2
	fails_with 'a\t4611686018427387904\n' \
	    'stdin:1: field 2: time out of range: "4611686018427387904"' \
	    -F ms -f 2
	fails_with 'a\t1\000\n' 'stdin:1: field 2: not a time: "1\x00"' -f 2
	fails_with 'a\t2026-02-30\n' \
	    'stdin:1: field 2: not a time: "2026-02-30"' -F iso -f 2
	fails_with 'a\t1700000000\n' \
	    'stdin:1: field 2: not a time: "1700000000"' -F iso -f 2
	fails_with 'a\t2026-12-06 10:00\n' \
	    'stdin:1: field 2: not a time: "2026-12-06 10:00"' -F '%Y-%m-%d' -f 2
}

@test "ds-eventtime: a malformed stream is an error naming the line" {
	fails_with '#ds1\na\t1\n%%5\nb\t5000\nc\\x\t9\n' \
	    'stdin:5: invalid escape "\x"' -F ms -f 2
	# The batches closed before it have come out.
	assert_equal "$output" "$(printf '#ds1\na\t1\n%%1000\n%%2000\n%%3000\n%%4000')"
}

@test "ds-eventtime: -S skips unreadable times and counts them" {
	printf 'a\t1\nb\tabc\nc\t\nd\t2\n' >"$T/in"
	run --separate-stderr ds-eventtime -S -f 2 <"$T/in"
	assert_success
	assert_equal "$stderr" \
	    "ds-eventtime: records skipped, time unreadable: 2"
	assert_equal "$output" "$(printf '#ds1\na\t1\n%%1000\nd\t2\n%%2000')"
}

@test "ds-eventtime: usage errors exit 2" {
	run --separate-stderr ds-eventtime
	assert_failure 2
	assert_equal "$stderr" "usage: $(synopsis_of ds-eventtime)"
	run --separate-stderr ds-eventtime -f 2 -F nope
	assert_failure 2
	assert_equal "$stderr" \
	    "ds-eventtime: -F nope: not s, ms, iso, auto or a strptime format"
	run --separate-stderr ds-eventtime -f 2 -l 5x
	assert_failure 2
	assert_equal "$stderr" "ds-eventtime: -l 5x: not a duration"
	run --separate-stderr ds-eventtime -f 0
	assert_failure 2
	run --separate-stderr ds-eventtime -f 2 -i 0
	assert_failure 2
	assert_equal "$stderr" "ds-eventtime: -i 0: not a positive duration"
	run --separate-stderr ds-eventtime -f 2 x
	assert_failure 2
}

@test "ds-eventtime: a late file that cannot be opened is an error" {
	run --separate-stderr ds-eventtime -f 2 -L "$T/no/such" </dev/null
	assert_failure 1
	assert_equal "$stderr" \
	    "ds-eventtime: $T/no/such: No such file or directory"
}

@test "ds-eventtime: an empty input writes the header alone" {
	golden /dev/null ds-eventtime -f 1 <<-'EOF'
	#ds1
	EOF
}

# -- the issue's pipeline, live over UDP ----------------------------------

# readings SEED: sensor readings "sN<TAB>seconds.mmm<TAB>value", one each
# 300 ms for three minutes, in $T/readings in time order and in
# $T/sent in the order they are sent: each up to 4 s behind the newest,
# so out of order but none later than ds-eventtime's 5 s.
readings() {
	"$AWK" -v seed="$1" 'BEGIN {
		srand(seed)
		t = 1700000000000 + int(rand() * 1000)
		for (i = 0; i < 600; i++) {
			t += 300
			# %.0f: some awks print %d within 32 bits only.
			printf "%.0f\ts%d\t%.0f.%03d\t%d\n",
			    t + int(rand() * 4000), 1 + int(rand() * 3),
			    int(t / 1000), t % 1000, 1 + int(rand() * 100)
		}
	}' >"$T/keyed"
	cut -f2- "$T/keyed" >"$T/readings"
	sort -n -k1,1 "$T/keyed" | cut -f2- >"$T/sent"
}

# window_sums OUT: the windows of ds-reducebykey's output, each record as
# "time key sum", sorted; the key end is the test's, left out.
window_sums() {
	"$AWK" -F '\t' '/^#/ { next } /^%/ { t = substr($0, 2);
	    for (i = 1; i <= n; i++) print t "\t" r[i]; n = 0; next }
	    $1 != "end" { r[++n] = $1 "\t" $2 }' "$1" | sort
}

# reference_sums OUT: for each window time of OUT, each sensor's sum of
# the readings whose time is in (t - 60 s, t], from the sorted input.
reference_sums() {
	sed -n 's/^%//p' "$1" >"$T/times"
	sort -t "$(printf '\t')" -k2,2 "$T/readings" | "$AWK" -F '\t' '
	NR == FNR { times[++nt] = $1; next }
	{
		split($2, p, ".")
		ms = p[1] * 1000 + p[2]
		for (i = 1; i <= nt; i++)
			if (ms > times[i] - 60000 && ms <= times[i])
				sum[times[i] "\t" $1] += $3
	}
	END { for (k in sum) print k "\t" sum[k] }' "$T/times" - | sort
}

has_window_after() {
	grep '^%' "$T/out" | cut -c2- | "$AWK" -v t="$1" '$1 >= t { f = 1 }
	    END { exit !f }'
}

@test "ds-eventtime: ds-socket -u | ds-eventtime -l 5s | ds-reducebykey -w 1m -s 10s gives each minute's sums" {
	local port sockpid i n last

	readings 42
	mkfifo "$T/p"
	ds-socket -v -u 127.0.0.1:0 >"$T/p" 2>"$T/sock.err" &
	sockpid=$!
	pid=$sockpid
	ds-eventtime -f 2 -l 5s <"$T/p" 2>"$T/et.err" |
	    ds-reducebykey -f 3 -w 1m -s 10s >"$T/out" 2>"$T/rk.err" &
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/sock.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/sock.err")
	# Datagrams of ten readings each, sent out of order.
	n=$(wc -l <"$T/sent")
	for ((i = 1; i <= n; i += 10)); do
		sed -n "$i,$((i + 9))p" "$T/sent" | nc -u -q0 127.0.0.1 "$port"
	done
	# A reading two minutes on moves the watermark past every window.
	last=$(tail -1 "$T/readings" | cut -f2 | cut -d. -f1)
	printf 'end\t%d\t0\n' $((last + 120)) | nc -u -q0 127.0.0.1 "$port"
	wait_until 20 has_window_after $(((last + 61) * 1000))
	kill -TERM "$sockpid"
	wait
	pid=
	window_sums "$T/out" >"$T/got"
	reference_sums "$T/out" >"$T/want"
	diff -u "$T/want" "$T/got"
	# Three minutes of three sensors: 18 windows or more with each, and
	# no reading late.
	[ "$(wc -l <"$T/want")" -ge 54 ]
	[ ! -s "$T/et.err" ] && [ ! -s "$T/rk.err" ]
	# The windows are every 10 s, from the first reading's on.
	grep '^%' "$T/out" | cut -c2- | "$AWK" -v first="$(head -1 \
	    "$T/readings" | cut -f2 | cut -d. -f1)" 'NR == 1 &&
	    $1 > (first + 10) * 1000 { exit 1 }
	    NR > 1 && $1 - prev != 10000 { exit 1 } { prev = $1 }'
}
