#!/usr/bin/env bats
# metrics.bats: the reports every program sends of its batches (ds-ui(1),
# REPORTS), caught by a listener of the test's own (tests/metrics-listen),
# from real pipelines: what they count adds up to what the stream held.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
	export DS_METRICS=$T/m.sock
}

teardown() {
	local p

	exec 4>&- 2>/dev/null || true
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# listen [PATH]: the listener on PATH ($DS_METRICS), its datagrams in
# $T/dgrams.
listen() {
	"$BATS_TEST_DIRNAME/metrics-listen" "${1:-$DS_METRICS}" >"$T/dgrams" &
	pids+=($!)
	wait_until 10 test -S "${1:-$DS_METRICS}"
}

# ends N: at least N stages have sent their last report.
ends() {
	[ "$(grep -c '^dsm1	.*	end	' "$T/dgrams")" -ge "$1" ]
}

# last PROGRAM LINE: the LINE (total, pipe, ...) of PROGRAM's last report,
# without its first field.
last() {
	awk -v prog="$1" -v what="$2" '
	/^dsm1\t/ { end = $0 ~ /\tend\t/; n = 0; hold = "" }
	/^argv\t/ { split($2, a, "/"); name = a[length(a)] }
	$1 == what { line = $0; sub(/^[^\t]*\t/, "", line) }
	/^----$/ && end && name == prog { print line }
	' FS='\t' "$T/dgrams"
}

# batches PROGRAM: the batch lines of all PROGRAM's reports.
batches() {
	awk -v prog="$1" '
	/^argv\t/ { split($2, a, "/"); name = a[length(a)] }
	/^batch\t/ && name == prog { print }
	' FS='\t' "$T/dgrams"
}

@test "metrics: a pipeline's records and batches add up, stage by stage" {
	listen
	seq 1000 | ds-lines -n 100 -T 0 | ds-words | ds-reducebykey |
	    ds-cat >"$T/out"
	[ "$(wc -l <"$T/out")" -eq 1000 ]
	wait_until 10 ends 4
	# total: batches, records and bytes in, records and bytes out.
	[ "$(last ds-lines total | cut -f1-4)" = "10	1000	3893	1000" ]
	[ "$(last ds-words total | cut -f1,2,4)" = "10	1000	1000" ]
	[ "$(last ds-reducebykey total | cut -f1,2,4)" = "10	1000	1000" ]
	[ "$(last ds-cat total | cut -f1,2,4,5)" = "10	1000	1000	5893" ]
	# What one stage wrote, the next read.
	[ "$(last ds-lines total | cut -f5)" = \
	    "$(last ds-words total | cut -f3)" ]
	[ "$(last ds-words total | cut -f5)" = \
	    "$(last ds-reducebykey total | cut -f3)" ]
	# Each batch of the source, listed: 100 records in and out each.
	batches ds-lines | cut -f2,3,5 >"$T/b"
	[ "$(wc -l <"$T/b")" -eq 10 ]
	[ "$(cut -f1 "$T/b" | tr '\n' ' ')" = \
	    "1000 2000 3000 4000 5000 6000 7000 8000 9000 10000 " ]
	[ "$(cut -f2,3 "$T/b" | sort -u)" = "100	100" ]
}

@test "metrics: the stages are chained by their pipes" {
	listen
	seq 10 | ds-lines -n 5 | ds-words | ds-cat >/dev/null
	wait_until 10 ends 3
	lines=$(last ds-lines pipe)
	words=$(last ds-words pipe)
	cat=$(last ds-cat pipe)
	# stdin of ds-lines is a pipe from seq, not a stage's.
	re=$'^[0-9]+:[0-9]+\t[0-9]+:[0-9]+$'
	[[ "$lines" =~ $re ]]
	[ "${lines#*	}" = "${words%	*}" ]
	[ "${words#*	}" = "${cat%	*}" ]
	[ "${cat#*	}" != "${words#*	}" ]
	# stdout of ds-cat is a file.
	[ "${cat#*	}" = "-" ]
	grep -Eq "^argv	(.*/)?ds-lines	-n	5$" "$T/dgrams"
}

@test "metrics: a live pipeline's delays are small and not negative" {
	listen
	mkfifo "$T/in"
	exec 4<>"$T/in"
	ds-lines -i 100ms <"$T/in" 4>&- | ds-words 4>&- |
	    ds-reducebykey 4>&- >/dev/null &
	pids+=($!)
	for i in 1 2 3 4 5 6 7 8; do
		echo "a b a" >&4
		sleep 0.05
	done
	exec 4>&-
	wait_until 20 ends 3
	# The last batch, closed at the end of the input before its time
	# (ds-lines(1)), may have come early.
	batches ds-reducebykey | sed '$d' >"$T/b"
	[ "$(wc -l <"$T/b")" -ge 2 ]
	# sched, proc, total: 0 to 5 s; total at least sched.
	awk -F'\t' '$7 < 0 || $8 < 0 || $9 < 0 || $7 > 5000 ||
	    $9 > 5000 || $9 < $7 { print "bad: " $0; bad = 1 }
	    END { exit bad }' "$T/b"
	# Every word the source read was counted: 24 words in, 2 keys a
	# batch with words out.
	[ "$(last ds-words total | cut -f4)" -eq 24 ]
	[ "$(last ds-lines total | cut -f2)" -eq 8 ]
}

@test "metrics: DS_METRICS=off sends nothing" {
	listen
	seq 10 | DS_METRICS=off ds-lines -n 5 | DS_METRICS=off ds-cat \
	    >/dev/null
	# A marker after them: once it is in, they would be too.
	seq 3 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 ends 2
	[ "$(grep -c '^dsm1' "$T/dgrams")" -eq 4 ]
	! grep -q '^total	2	' "$T/dgrams"
}

@test "metrics: with no listener, a pipeline runs as it would" {
	seq 20 | ds-lines -n 3 -T 0 | ds-words | ds-reducebykey >"$T/on"
	seq 20 | DS_METRICS=off ds-lines -n 3 -T 0 | DS_METRICS=off ds-words |
	    DS_METRICS=off ds-reducebykey >"$T/off"
	cmp "$T/on" "$T/off"
	# A listener that does not read: its socket fills, nothing waits.
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
time.sleep(60)' "$DS_METRICS" &
	pids+=($!)
	wait_until 10 test -S "$DS_METRICS"
	run timeout 20 sh -c 'for i in 1 2 3 4 5 6 7 8 9 10; do
		seq 20000 | ds-lines -n 1 -T 0 | ds-cat >/dev/null || exit 1
	done'
	[ "$status" -eq 0 ]
}

@test "metrics: the default place is used only when it is the user's alone" {
	unset DS_METRICS
	export XDG_RUNTIME_DIR=$T/run
	mkdir -m 700 "$T/run" "$T/run/ds"
	listen "$T/run/ds/metrics"
	seq 3 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 ends 2
	chmod 755 "$T/run/ds"
	seq 3 | ds-lines -n 5 | ds-words >/dev/null
	chmod 700 "$T/run/ds"
	seq 3 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 ends 4
	! grep -q '^argv	ds-words' "$T/dgrams"
	! grep -q '/ds-words$' "$T/dgrams"
}

@test "metrics: ds-socket reports its connections and over-long lines" {
	listen
	printf 'short\n%s\nok\n' "$(head -c 100 /dev/zero | tr '\0' x)" \
	    >"$T/lines"
	ds-socket -v -l -N 2 -m 10 127.0.0.1:0 >/dev/null 2>"$T/ds.err" &
	pids+=($!)
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/ds.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/ds.err")
	nc -N 127.0.0.1 "$port" <"$T/lines"
	wait_until 10 ends 1
	# recv: datagrams, connections, reconnects, over-long lines, late.
	[ "$(last ds-socket recv)" = "0	1	0	1	0" ]
	[ "$(last ds-socket total | cut -f2)" -eq 2 ]
}

@test "metrics: ds-socket reports its datagrams and its reconnections" {
	listen
	ds-socket -v -u -i 50ms 127.0.0.1:0 >"$T/u.out" 2>"$T/u.err" &
	local upid=$!
	pids+=($upid)
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/u.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/u.err")
	local i
	for i in 1 2 3; do
		printf 'a%s\nb%s\n' "$i" "$i" | nc -u -N -w 1 127.0.0.1 "$port"
	done
	wait_until 10 grep -q b3 "$T/u.out"
	kill "$upid"
	wait_until 10 ends 1
	[ "$(last ds-socket recv)" = "3	0	0	0	0" ]

	# A client: the server goes away and comes back, on the same port.
	nc -lkvn 127.0.0.1 0 </dev/null >/dev/null 2>"$T/nc.err" &
	local npid=$!
	wait_until 10 grep -q '^Listening on ' "$T/nc.err"
	port=$(sed -n 's/^Listening on [^ ]* \([0-9]*\)$/\1/p' "$T/nc.err")
	ds-socket -v -r 50ms -i 50ms "127.0.0.1:$port" >/dev/null 2>"$T/c.err" &
	local cpid=$!
	pids+=($cpid)
	wait_until 10 grep -q ': connected$' "$T/c.err"
	kill "$npid"
	wait "$npid" || true
	wait_until 10 grep -q 'connection closed' "$T/c.err"
	nc -lkn 127.0.0.1 "$port" </dev/null >/dev/null 2>&1 &
	pids+=($!)
	wait_until 10 has_connected
	kill "$cpid"
	wait_until 10 ends 2
	[ "$(last ds-socket recv | tail -n 1)" = "0	2	1	0	0" ]
}

has_connected() {
	[ "$(grep -c ': connected$' "$T/c.err")" -ge 2 ]
}

@test "metrics: ds-eventtime reports the records it found late" {
	listen
	printf 'a\t10\nb\t20\nc\t1\nd\t2\n' |
	    ds-eventtime -F s -f 2 >/dev/null 2>"$T/err"
	wait_until 10 ends 1
	[ "$(cat "$T/err")" = "ds-eventtime: late records dropped: 2" ]
	[ "$(last ds-eventtime recv)" = "0	0	0	0	2" ]
}

@test "metrics: ds-transform reports its input, not its command's" {
	listen
	seq 6 | ds-lines -n 3 -T 0 | ds-transform ds-words | ds-cat >/dev/null
	wait_until 10 ends 3
	[ "$(last ds-transform total | cut -f1,2,4)" = "2	6	6" ]
	# The command, a ds program run for each batch, reports nothing.
	[ "$(grep -c '^dsm1' "$T/dgrams")" -eq "$(grep -c '^argv' "$T/dgrams")" ]
	! grep -q '^argv	ds-words' "$T/dgrams"
}
