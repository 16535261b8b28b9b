#!/usr/bin/env bats
# ds-flume.bats: ds-flume against a Flume avro sink's side of the protocol
# written apart from it (tests/flumeclient.py, on Debian's python3-avro):
# every answer and every record is checked.  Everything binds 127.0.0.1,
# ports come from the kernel, and waits have deadlines.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
}

teardown() {
	local p

	exec 5>&- 5<&-
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# The client runs on Debian's python3, where python3-avro is, not on
# whatever python3 comes first on PATH.
client() {
	/usr/bin/python3 "$BATS_TEST_DIRNAME/flumeclient.py" "$@"
}

# start NAME COMMAND...: run COMMAND in the background, its output in
# $T/NAME.out and $T/NAME.err; its PID in $pid, killed at teardown.
start() {
	local name=$1

	shift
	"$@" >"$T/$name.out" 2>"$T/$name.err" 5>&- &
	pid=$!
	pids+=("$pid")
}

# flume ARGS...: ds-flume -v ARGS 127.0.0.1:0 in the background, writing
# $T/fl.out; its PID in $flpid, its port in $port.
flume() {
	start fl ds-flume -v "$@" 127.0.0.1:0
	flpid=$pid
	wait_until 10 grep -qs '^ds-flume: listening on ' "$T/fl.err"
	port=$(sed -n 's/^ds-flume: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/fl.err")
	[ -n "$port" ]
}

# read_all: ds-flume has read all that its clients sent (its sockets'
# receive queues are empty): what it read is in its open batch.
read_all() {
	[ -n "$(ss -Htn state established "( sport = :$port )")" ] &&
	    ! ss -Htn state established "( sport = :$port )" |
	    awk '$1 != 0 { bad = 1 } END { exit !bad }'
}

records() {
	grep -av '^[#%]' "$1" || true
}

has_records() {
	[ "$(records "$1" | wc -l)" -ge "$2" ]
}

# The lines of stderr but for -v's own (listening, connected, closed).
warnings() {
	grep -v -e ': listening on ' -e ': connected$' -e ': closed$' \
	    "$T/fl.err" || true
}

# stop: SIGTERM to ds-flume, which must exit 0.
stop() {
	kill -TERM "$flpid"
	wait "$flpid"
}

# -- usage ----------------------------------------------------------------

@test "ds-flume: -h prints the usage on stdout" {
	run -0 --separate-stderr ds-flume -h
	assert_equal "$output" "usage: $(synopsis_of ds-flume)"
	assert_equal "$stderr" ""
}

@test "ds-flume: bad operands and option values exit 2" {
	local usage="usage: $(synopsis_of ds-flume)"

	run -2 --separate-stderr ds-flume
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-flume :1 :2
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-flume 41414
	assert_equal "$stderr" "ds-flume: 41414: not [host]:port"
	run -2 --separate-stderr ds-flume :99999
	assert_equal "$stderr" "ds-flume: port 99999: too large"
	run -2 --separate-stderr ds-flume -i 0 :0
	assert_equal "$stderr" "ds-flume: -i 0: not a positive duration"
	run -2 --separate-stderr ds-flume -M 1q :0
	assert_equal "$stderr" "ds-flume: -M 1q: not a size from 16 to 4G"
	run -2 --separate-stderr ds-flume -M 5G :0
	assert_equal "$stderr" "ds-flume: -M 5G: not a size from 16 to 4G"
	assert_equal "$output" ""
}

@test "ds-flume: an address in use exits 1" {
	flume
	run -1 --separate-stderr ds-flume "127.0.0.1:$port"
	assert_equal "$stderr" \
	    "ds-flume: 127.0.0.1:$port: Address already in use"
}

# -- calls ----------------------------------------------------------------

@test "ds-flume: append and appendBatch, each answered once its batch is out" {
	flume -i 200ms
	run -0 --separate-stderr client --check "$T/fl.out" "$port" \
	    append:one batch:3:b append:two
	# Python's text of the protocol is not Flume's: it is asked for.
	assert_equal "$output" "$(printf '%s\n' 'handshake NONE' \
	    'handshake BOTH' 'append OK' 'batch 3 OK' 'append OK')"
	assert_equal "$stderr" ""
	stop
	assert_equal "$(records "$T/fl.out")" \
	    "$(printf '%s\n' one b0 b1 b2 two)"
	assert_equal "$(head -1 "$T/fl.out")" "#ds1"
	[ -z "$(warnings)" ]
}

@test "ds-flume: Flume's own text of the protocol matches at once" {
	flume
	run -0 --separate-stderr client --text compact "$port" append:x
	assert_equal "$output" "$(printf '%s\n' 'handshake BOTH' 'append OK')"
	# A client that sends its text first, another of the same hash.
	run -0 --separate-stderr client --send-protocol "$port" append:y
	assert_equal "$output" "$(printf '%s\n' 'handshake CLIENT' \
	    'append OK')"
	stop
	assert_equal "$(records "$T/fl.out")" "$(printf '%s\n' x y)"
}

@test "ds-flume: binary bodies are records of one field, escaped" {
	flume
	run -0 --separate-stderr client "$port" \
	    'append:#hash' 'append:%pct' 'append:tab\there' 'append:nl\nx' \
	    'append:cr\rx' 'append:back\\slash' 'append:nul\x00x' \
	    'append:\xff\xfe' 'append:' 'append:\x01 spaces  '
	stop
	records "$T/fl.out" >"$T/got"
	printf '%s\n' '\#hash' '\%pct' 'tab\there' 'nl\nx' 'cr\rx' \
	    'back\\slash' >"$T/want"
	printf 'nul\0x\n\377\376\n\n\001 spaces  \n' >>"$T/want"
	cmp "$T/want" "$T/got"
	# They read back as the bytes sent.
	printf '#hash\n%%pct\ntab\there\nnl\nx\ncr\rx\nback\\slash\nnul\0x\n' \
	    >"$T/bytes"
	printf '\377\376\n\n\001 spaces  \n' >>"$T/bytes"
	ds-cat <"$T/fl.out" | cmp "$T/bytes" -
}

@test "ds-flume: -H adds the headers as JSON, -m the client's address" {
	flume -H -m
	run -0 --separate-stderr client -H host=web1 -H 'q="x"' \
	    -H 'caf\xc3\xa9=\\t' "$port" append:a batch:2:b
	client --text compact "$port" append:c >/dev/null
	stop
	records "$T/fl.out" >"$T/got"
	[ "$(wc -l <"$T/got")" -eq 4 ]
	# Field 2 is JSON for jq; field 3 the address the client had.
	ds-cat <"$T/fl.out" | cut -f2 | head -3 | jq -c . >"$T/json"
	assert_equal "$(cat "$T/json")" "$(printf '%s\n' \
	    '{"host":"web1","q":"\"x\"","café":"\\t"}' \
	    '{"host":"web1","q":"\"x\"","café":"\\t"}' \
	    '{"host":"web1","q":"\"x\"","café":"\\t"}')"
	assert_equal "$(sed -n 4p "$T/got" | cut -f2)" "{}"
	cut -f3 "$T/got" | grep -c '^127\.0\.0\.1:[0-9][0-9]*$' | grep -qx 4
	[ "$(cut -f3 "$T/got" | sort -u | wc -l)" -eq 2 ]
}

@test "ds-flume: 10 000 events of one appendBatch land in one batch" {
	flume -i 300ms
	run -0 --separate-stderr client --check "$T/fl.out" "$port" \
	    batch:10000:event
	assert_equal "${lines[-1]}" "batch 10000 OK"
	stop
	# Batch by batch: the records lie between two batch ends, in order.
	awk '/^%/ { if (n) print n; n = 0; next } !/^#/ { n++ }' \
	    "$T/fl.out" >"$T/sizes"
	assert_equal "$(cat "$T/sizes")" 10000
	records "$T/fl.out" >"$T/got"
	seq 0 9999 | sed 's/^/event/' | cmp - "$T/got"
}

@test "ds-flume: a call split across TCP segments and Netty buffers" {
	flume
	run -0 --separate-stderr client --text compact --split 3 --buffer 5 \
	    "$port" 'append:a body in many pieces' batch:2:z
	assert_equal "$output" "$(printf '%s\n' 'handshake BOTH' \
	    'append OK' 'batch 2 OK')"
	stop
	assert_equal "$(records "$T/fl.out")" \
	    "$(printf '%s\n' 'a body in many pieces' z0 z1)"
}

@test "ds-flume: two clients at once, each answered, nothing mixed up" {
	flume -m
	start a client --split 40 "$port" batch:200:a batch:200:aa
	local apid=$pid
	start b client --split 40 "$port" batch:300:b append:bb
	local bpid=$pid
	wait "$apid"
	wait "$bpid"
	assert_equal "$(tail -2 "$T/a.out")" "$(printf '%s\n' \
	    'batch 200 OK' 'batch 200 OK')"
	assert_equal "$(tail -2 "$T/b.out")" "$(printf '%s\n' \
	    'batch 300 OK' 'append OK')"
	stop
	records "$T/fl.out" >"$T/got"
	# Each client's events in its order, under its own address.
	[ "$(cut -f2 "$T/got" | sort -u | wc -l)" -eq 2 ]
	grep '^a' "$T/got" | cut -f1 >"$T/a"
	{ seq 0 199 | sed 's/^/a/'; seq 0 199 | sed 's/^/aa/'; } | cmp - "$T/a"
	grep '^b' "$T/got" | cut -f1 >"$T/b"
	{ seq 0 299 | sed 's/^/b/'; echo bb; } | cmp - "$T/b"
	[ -z "$(warnings)" ]
}

@test "ds-flume: twenty clients at once, three calls each" {
	local i cpids=()

	flume -i 100ms
	for i in $(seq 1 20); do
		start "c$i" client --text compact "$port" "batch:50:c$i." \
		    "append:c$i.x" "batch:7:c$i.y"
		cpids+=("$pid")
	done
	for i in "${cpids[@]}"; do
		wait "$i"
	done
	for i in $(seq 1 20); do
		assert_equal "$(cat "$T/c$i.out")" "$(printf '%s\n' \
		    'handshake BOTH' 'batch 50 OK' 'append OK' 'batch 7 OK')"
	done
	stop
	records "$T/fl.out" >"$T/got"
	[ "$(wc -l <"$T/got")" -eq $((20 * 58)) ]
	for i in $(seq 1 20); do
		{ seq 0 49 | sed "s/^/c$i./"; echo "c$i.x"
		    seq 0 6 | sed "s/^/c$i.y/"; } >"$T/want"
		grep "^c$i\." "$T/got" | cmp "$T/want" -
	done
	[ -z "$(warnings)" ]
}

# -- bad clients ----------------------------------------------------------

@test "ds-flume: garbage drops that client with one line, the others go on" {
	flume
	start good client --text compact --split 1 "$port" append:before \
	    append:after
	local gpid=$pid
	printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n' | nc -N 127.0.0.1 "$port" \
	    >"$T/nc.out"
	wait_until 10 grep -q 'buffers' "$T/fl.err"
	wait "$gpid" || { cat "$T/good.out" "$T/good.err" "$T/fl.err"; false; }
	assert_equal "$(cat "$T/good.out")" "$(printf '%s\n' \
	    'handshake BOTH' 'append OK' 'append OK')"
	[ ! -s "$T/nc.out" ]
	run -0 warnings
	assert_output --regexp '^ds-flume: 127\.0\.0\.1:[0-9]+: a frame of 790644820 buffers is over the limit of 67108864 bytes$'
	[ "${#lines[@]}" -eq 1 ]
	stop
	assert_equal "$(records "$T/fl.out")" "$(printf '%s\n' before after)"
}

@test "ds-flume: a frame of garbage inside drops the client with one line" {
	flume
	printf '\0\0\0\1\0\0\0\1\0\0\0\6junk!!' | nc -N 127.0.0.1 "$port" \
	    >"$T/nc.out"
	wait_until 10 grep -q 'handshake' "$T/fl.err"
	run -0 warnings
	assert_output --regexp '^ds-flume: 127\.0\.0\.1:[0-9]+: the handshake: .+$'
	[ "${#lines[@]}" -eq 1 ]
	client --text compact "$port" append:fine
	stop
	assert_equal "$(records "$T/fl.out")" fine
}

@test "ds-flume: a frame over -M drops the client with one line" {
	flume -M 1k
	run -1 --separate-stderr client --text compact "$port" batch:200:big
	assert_equal "$stderr" \
	    "flumeclient: the server closed the connection"
	run -0 warnings
	assert_output --regexp '^ds-flume: 127\.0\.0\.1:[0-9]+: a frame of more than 1024 bytes is over the limit$'
	run -0 client --text compact "$port" batch:10:small
	assert_equal "${lines[-1]}" "batch 10 OK"
	stop
	assert_equal "$(records "$T/fl.out" | wc -l)" 10
}

@test "ds-flume: a torn frame drops the client with one line, nothing taken" {
	flume
	printf '\0\0\0\1\0\0\0\1\0\0\1\0partial' | nc -N 127.0.0.1 "$port"
	wait_until 10 grep -q 'middle' "$T/fl.err"
	run -0 warnings
	assert_output --regexp '^ds-flume: 127\.0\.0\.1:[0-9]+: closed in the middle of a frame$'
	[ "${#lines[@]}" -eq 1 ]
	stop
	assert_equal "$(records "$T/fl.out")" ""
}

# -- the clock, downstream, signals -------------------------------------------

@test "ds-flume: empty batches leave on the clock, -N ends after them" {
	run -0 --separate-stderr ds-flume -i 100ms -N 4 127.0.0.1:0
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${#lines[@]}" 5
	local a=${lines[1]#%} b=${lines[4]#%}
	[ $((a % 100)) -eq 0 ]
	[ $((b - a)) -eq 300 ]
}

@test "ds-flume: SIGTERM and SIGINT close the batch, answer it and exit 0" {
	local sig
	for sig in TERM INT; do
		: >"$T/fl.err"
		flume -i 1h
		start c client --text compact --say-sent "$port" append:last
		local cpid=$pid
		wait_until 10 grep -q sent "$T/c.out"
		wait_until 10 read_all
		# An hour's batch: the answer waits for the signal.
		assert_equal "$(cat "$T/c.out")" sent
		kill -"$sig" "$flpid"
		wait "$flpid"
		wait "$cpid"
		assert_equal "$(cat "$T/c.out")" "$(printf '%s\n' sent \
		    'handshake BOTH' 'append OK')"
		assert_equal "$(tail -1 "$T/fl.out" | cut -c1)" "%"
		assert_equal "$(records "$T/fl.out")" last
	done
}

@test "ds-flume: a downstream that blocks holds the answer until it reads" {
	mkfifo "$T/pipe"
	# Writing into a pipe that nobody reads yet.
	ds-flume -v -i 100ms 127.0.0.1:0 >"$T/pipe" 2>"$T/fl.err" 5>&- &
	flpid=$!
	pids+=("$flpid")
	exec 5<"$T/pipe"
	wait_until 10 grep -q '^ds-flume: listening on ' "$T/fl.err"
	port=$(sed -n 's/^ds-flume: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/fl.err")
	# 2000 bodies of 1 KB: far more than a pipe holds.
	awk 'BEGIN { for (i = 0; i < 2000; i++) printf "%04d%01020d\n", i, 0 }' \
	    >"$T/bodies"
	start c client --text compact --timeout 2 --expect-timeout "$port" \
	    "batchfile:$T/bodies"
	local cpid=$pid
	wait_until 20 grep -q 'no answer' "$T/c.out"
	cat <&5 >"$T/got" &
	pids+=($!)
	exec 5<&-
	wait "$cpid"
	assert_equal "$(tail -1 "$T/c.out")" "batch 2000 OK"
	stop
	records "$T/got" | cmp - "$T/bodies"
}

# -- README ---------------------------------------------------------------

@test "ds-flume: README's Flume example runs as written" {
	local cmd got
	cmd=$(sed -n '/^## Flume/,/^## /s/^    \(ds-flume .*\)$/\1/p' \
	    "$BATS_TEST_DIRNAME/../README.md")
	[ -n "$cmd" ]
	# The port of the example, for one the kernel says is free.
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket();
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cmd=${cmd//41414/$port}
	printf '%s\n' 'to be or not to be' 'be' >"$T/lines"
	start job bash -c "$cmd"
	wait_until 10 client --text compact --timeout 1 "$port" \
	    "batchfile:$T/lines"
	wait "$pid"
	grep -qx "('be', 3)" "$T/job.out"
	grep -qx "('to', 2)" "$T/job.out"
	grep -qx "('or', 1)" "$T/job.out"
	grep -qx "('not', 1)" "$T/job.out"
}
