#!/usr/bin/env bats
# faults.bats: what happens when the world misbehaves: servers that drop
# a connection mid-line, accept and never send, or send a 64 MiB line;
# one stage of a pipeline killed with SIGKILL.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
}

teardown() {
	local p

	for p in "${pids[@]}"; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# serve NAME: nc at 127.0.0.1 on a port of the kernel's choice, sending
# its stdin to the first client; the port in $port.
serve() {
	# A background job's stdin is /dev/null unless given.
	nc -lvn -N 127.0.0.1 0 <&0 >/dev/null 2>"$T/$1.err" &
	pids+=($!)
	wait_until 10 grep -q '^Listening on ' "$T/$1.err"
	port=$(sed -n 's/^Listening on [^ ]* \([0-9]*\)$/\1/p' "$T/$1.err")
	[ -n "$port" ]
}

# has_batches FILE N: FILE holds at least N batch ends.
has_batches() {
	[ "$(grep -c '^%' "$1")" -ge "$2" ]
}

# socket NAME ARGS...: ds-socket ARGS in the background, its output in
# $T/NAME.out and $T/NAME.err, its PID in $sockpid.
socket() {
	local name=$1

	shift
	ds-socket "$@" >"$T/$name.out" 2>"$T/$name.err" &
	sockpid=$!
	pids+=($sockpid)
}

@test "faults: a server that drops the connection mid-line" {
	printf 'whole\npartial' >"$T/data"
	serve drop <"$T/data"
	socket s -i 50ms ":$port"
	wait_until 10 grep -q 'connection closed; retrying every 2s' "$T/s.err"
	# A last line without LF is still a line, as readLine returns it.
	wait_until 10 grep -qx partial "$T/s.out"
	run -0 grep -cx whole "$T/s.out"
	assert_output 1
	# It keeps its clock running while it retries.
	n=$(grep -c '^%' "$T/s.out")
	wait_until 10 has_batches "$T/s.out" "$((n + 5))"
	kill -TERM "$sockpid"
	wait "$sockpid"
}

@test "faults: a server that accepts and never sends" {
	mkfifo "$T/never"
	exec 7<>"$T/never"
	serve never <"$T/never"
	socket s -v -i 20ms ":$port"
	wait_until 10 grep -q 'connected' "$T/s.err"
	wait_until 10 has_batches "$T/s.out" 10
	# No record, only empty batches.
	run -1 grep -vc '^[#%]' "$T/s.out"
	assert_output 0
	kill -INT "$sockpid"
	wait "$sockpid"
	exec 7>&-
}

@test "faults: a server that sends a 64 MiB line" {
	{ head -c 67108864 /dev/zero | tr '\0' x; printf '\nafter\n'; } >"$T/data"
	serve big <"$T/data"
	socket s -i 100ms ":$port"
	wait_until 60 grep -qx after "$T/s.out"
	kill -TERM "$sockpid"
	wait "$sockpid"
	run -0 sh -c 'ds-cat <"$1" | head -n 1 | wc -c' sh "$T/s.out"
	assert_output 67108865
}

@test "faults: SIGKILL of a middle stage ends the others cleanly" {
	mkfifo "$T/in" "$T/p1" "$T/p2"
	exec 7<>"$T/in"
	ds-lines -i 50ms <"$T/in" >"$T/p1" 2>"$T/lines.err" &
	lpid=$!
	ds-words <"$T/p1" >"$T/p2" &
	wpid=$!
	ds-reducebykey <"$T/p2" >"$T/out" 2>"$T/reduce.err" &
	rpid=$!
	pids+=($lpid $wpid $rpid)
	printf 'to be or not to be\n' >&7
	wait_until 10 grep -q '^be	2$' "$T/out"
	kill -9 "$wpid"
	# Downstream sees its input end: it closes what it holds and ends
	# with status 0; upstream dies of SIGPIPE at its next batch, quietly.
	rc=0
	wait "$rpid" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/reduce.err" ]
	run -0 tail -n 1 "$T/out"
	assert_output --regexp '^%[0-9]+$'
	rc=0
	wait "$lpid" || rc=$?
	[ "$rc" -eq 141 ]
	[ ! -s "$T/lines.err" ]
	exec 7>&-
}

@test "faults: SIGKILL of the first stage: the rest write what they hold and end" {
	mkfifo "$T/in" "$T/p1"
	exec 7<>"$T/in"
	ds-lines -i 1h <"$T/in" >"$T/p1" &
	lpid=$!
	pids+=($lpid)
	ds-words <"$T/p1" >"$T/out" 2>"$T/words.err" &
	wpid=$!
	pids+=($wpid)
	printf 'cut short\n' >&7
	# ds-lines holds the line until its hour ends; killed, it loses it
	# (it was never written), and ds-words ends with an empty stream.
	wait_until 10 grep -q pipe_read /proc/$wpid/wchan
	kill -9 "$lpid"
	rc=0
	wait "$wpid" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -s "$T/words.err" ]
	run -0 cat "$T/out"
	assert_output "#ds1"
	exec 7>&-
}
