#!/usr/bin/env bats
# calendar.bats: windows aligned to the calendar of TZ (-a) for every
# windowed program, across daylight-saving changes in two zones, checked
# against the zone's midnights as date(1) computes them.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
}

# hourly FROM TO: a stream of one-hour batches, times FROM to TO in
# seconds since the epoch, each of one record "x 1".
hourly() {
	awk -v from="$1" -v to="$2" 'BEGIN {
		print "#ds1"
		for (t = from; t <= to; t += 3600)
			printf "x\t1\n%%%d000\n", t
	}'
}

# midnight ZONE DATE: the local midnight of DATE in ZONE, in ms.
midnight() {
	echo "$(TZ=$1 date -d "$2 00:00" +%s)000"
}

# berlin_spring: Berlin's midnights of 2026-03-28 to 31 in m28 to m31,
# and in $T/in the hourly batches after the first up to the last.
berlin_spring() {
	z=Europe/Berlin
	m28=$(midnight $z 2026-03-28)
	m29=$(midnight $z 2026-03-29)
	m30=$(midnight $z 2026-03-30)
	m31=$(midnight $z 2026-03-31)
	hourly $((m28 / 1000 + 3600)) $((m31 / 1000)) >"$T/in"
}

@test "calendar: -w 1d -a closes at local midnight; Berlin's spring day is 23 hours" {
	berlin_spring
	[ $((m30 - m29)) -eq $((23 * 3600000)) ]
	TZ=$z run -0 ds-count -w 1d -a <"$T/in"
	assert_output "$(printf '#ds1\n24\n%%%s\n23\n%%%s\n24\n%%%s' \
	    "$m29" "$m30" "$m31")"
	# The sums of ds-reducebykey, and the records of ds-window, agree.
	TZ=$z run -0 sh -c "ds-reducebykey -w 1d -a <'$T/in' | ds-cat -t"
	assert_output "$(printf '%s\tx\t24\n%s\tx\t23\n%s\tx\t24' \
	    "$m29" "$m30" "$m31")"
	TZ=$z run -0 sh -c "ds-window -a 1d <'$T/in' | ds-count"
	assert_output "$(printf '#ds1\n24\n%%%s\n23\n%%%s\n24\n%%%s' \
	    "$m29" "$m30" "$m31")"
}

@test "calendar: New York's autumn day is 25 hours, and its spring day 23" {
	local z=America/New_York a b c d

	a=$(midnight $z 2026-10-31)
	b=$(midnight $z 2026-11-01)
	c=$(midnight $z 2026-11-02)
	d=$(midnight $z 2026-11-03)
	hourly $((a / 1000 + 3600)) $((d / 1000)) >"$T/in"
	TZ=$z run -0 sh -c "ds-reduce -o count -w 1d -a <'$T/in' | ds-cat -t"
	assert_output "$(printf '%s\t24\n%s\t25\n%s\t24' "$b" "$c" "$d")"
	a=$(midnight $z 2026-03-08)
	b=$(midnight $z 2026-03-09)
	hourly $((a / 1000 + 3600)) $((b / 1000)) >"$T/in"
	TZ=$z run -0 sh -c "ds-countbyvalue -w 1d -a <'$T/in' | ds-cat -t"
	assert_output "$(printf '%s\tx\t1\t23' "$b")"
}

@test "calendar: a partial first day, and batches on no hour grid" {
	local z=Europe/Berlin m29 m30

	m29=$(midnight $z 2026-03-29)
	m30=$(midnight $z 2026-03-30)
	# Batches every 7 minutes from 22:00 the day before.
	awk -v from=$((m29 / 1000 - 7200)) -v to=$((m30 / 1000 + 600)) 'BEGIN {
		print "#ds1"
		for (t = from; t <= to; t += 420)
			printf "x\t1\n%%%d000\n", t
	}' >"$T/in"
	TZ=$z run -0 sh -c "ds-count -w 1d -a <'$T/in' | ds-cat -t"
	# (22:00, 00:00]: 18 batches of 7 minutes; the 23-hour day: 197.
	assert_output "$(printf '%s\t%s\n%s\t%s' "$m29" \
	    "$(( (m29 / 1000 - (m29 / 1000 - 7200)) / 420 + 1 ))" "$m30" \
	    "$(awk -v a=$((m29 / 1000)) -v b=$((m30 / 1000)) \
	    -v f=$((m29 / 1000 - 7200)) 'BEGIN { for (t = f; t <= b; t += 420)
	    if (t > a) n++; print n }')")"
}

@test "calendar: two-day windows sliding by a day go back two calendar days" {
	berlin_spring
	TZ=$z run -0 sh -c "ds-count -w 2d -s 1d -a <'$T/in' | ds-cat -t"
	assert_output "$(printf '%s\t24\n%s\t47\n%s\t47' "$m29" "$m30" "$m31")"
}

@test "calendar: hours align to local hours, half an hour off UTC in Kolkata" {
	local z=Asia/Kolkata m

	m=$(midnight $z 2026-03-29)
	[ $((m % 3600000)) -eq 1800000 ]
	# Batches every 10 minutes from local midnight.
	awk -v from=$((m / 1000 + 600)) -v to=$((m / 1000 + 3 * 3600)) 'BEGIN {
		print "#ds1"
		for (t = from; t <= to; t += 600)
			printf "x\t1\n%%%d000\n", t
	}' >"$T/in"
	TZ=$z run -0 sh -c "ds-count -w 1h -a <'$T/in' | ds-cat -t"
	assert_output "$(printf '%s\t6\n%s\t6\n%s\t6' $((m + 3600000)) \
	    $((m + 7200000)) $((m + 10800000)))"
}

@test "calendar: durations the calendar cannot step by, and -a without -w" {
	run --separate-stderr ds-count -w 7h -a
	assert_failure 2
	assert_equal "$stderr" "ds-count: -a: the window's length and slide must be whole days or divide a day"
	run --separate-stderr ds-reducebykey -w 1d -s 7m -a
	assert_failure 2
	run --separate-stderr ds-window -a 36h
	assert_failure 2
	assert_equal "$stderr" "ds-window: -a: the window's length and slide must be whole days or divide a day"
	run --separate-stderr ds-reduce -a
	assert_failure 2
	assert_equal "$stderr" "ds-reduce: -a needs -w"
}
