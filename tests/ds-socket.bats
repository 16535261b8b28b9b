#!/usr/bin/env bats
# ds-socket.bats: the client against a real nc -lk, the -l server against
# nc clients, UDP, the batch clock, stopping and flow control.  Everything
# binds 127.0.0.1, ports come from the kernel, and waits have deadlines.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
}

teardown() {
	local p

	exec 4>&- 5>&- 6>&-
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}

# start NAME COMMAND...: run COMMAND in the background, its output in
# $T/NAME.out and $T/NAME.err; its PID in $pid, killed at teardown.
start() {
	local name=$1

	shift
	"$@" <&0 >"$T/$name.out" 2>"$T/$name.err" 3>&- 4>&- 5>&- 6>&- &
	pid=$!
	pids+=("$pid")
}

# listen NAME ARGS...: ds-socket -v ARGS in the background, its PID in
# $dspid and the port it is bound to in $port.
listen() {
	local name=$1

	shift
	start "$name" ds-socket -v "$@"
	dspid=$pid
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/$name.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/$name.err")
	[ -n "$port" ]
}

# nc_server NAME PORT: nc -lk at 127.0.0.1:PORT, 0 for the kernel's pick,
# sending what is written to fd 4; its PID in $ncpid, its port in $port.
nc_server() {
	[ -p "$T/server" ] || { mkfifo "$T/server" && exec 4<>"$T/server"; }
	start "$1" nc -lkvn 127.0.0.1 "$2" <"$T/server"
	ncpid=$pid
	wait_until 10 grep -q '^Listening on ' "$T/$1.err"
	port=$(sed -n 's/^Listening on [^ ]* \([0-9]*\)$/\1/p' "$T/$1.err")
	[ -n "$port" ]
}

# free_port: a port nothing listens on, in $port.
free_port() {
	nc_server probe 0
	kill "$ncpid"
	wait "$ncpid" || true
}

records() {
	grep -v '^[#%]' "$1" || true
}

nbatches() {
	grep -c '^%' "$1" || true
}

has_records() {
	[ "$(records "$1" | wc -l)" -ge "$2" ]
}

has_batches() {
	[ "$(nbatches "$1")" -ge "$2" ]
}

# has_lines FILE REGEX N: FILE has N lines that match REGEX.
has_lines() {
	[ "$(grep -c "$2" "$1")" -eq "$3" ]
}

# -- usage ----------------------------------------------------------------

@test "ds-socket: -h prints the usage on stdout" {
	run -0 --separate-stderr ds-socket -h
	assert_equal "$output" "usage: $(synopsis_of ds-socket)"
	assert_equal "$stderr" ""
}

@test "ds-socket: a missing or extra operand is a usage error" {
	local usage="usage: $(synopsis_of ds-socket)"

	run -2 --separate-stderr ds-socket
	assert_equal "$stderr" "$usage"
	assert_equal "$output" ""
	run -2 --separate-stderr ds-socket :1 :2
	assert_equal "$stderr" "$usage"
	run -2 --separate-stderr ds-socket -x :1
	assert_equal "${stderr##*$'\n'}" "$usage"
}

@test "ds-socket: bad operands and option values exit 2" {
	run -2 --separate-stderr ds-socket 9898
	assert_equal "$stderr" "ds-socket: 9898: not [host]:port"
	run -2 --separate-stderr ds-socket '[::1:9898'
	assert_equal "$stderr" "ds-socket: [::1:9898: not [host]:port"
	run -2 --separate-stderr ds-socket localhost:99999
	assert_equal "$stderr" "ds-socket: port 99999: too large"
	run -2 --separate-stderr ds-socket :http
	assert_equal "$stderr" "ds-socket: port http: invalid"
	run -2 --separate-stderr ds-socket :
	assert_equal "$stderr" "ds-socket: port : invalid"
	run -2 --separate-stderr ds-socket :0
	assert_equal "$stderr" "ds-socket: port 0: too small"
	run -2 --separate-stderr ds-socket -i 0 :9898
	assert_equal "$stderr" "ds-socket: -i 0: not a positive duration"
	run -2 --separate-stderr ds-socket -i 1x :9898
	assert_equal "$stderr" "ds-socket: -i 1x: not a positive duration"
	run -2 --separate-stderr ds-socket -r 0 :9898
	assert_equal "$stderr" "ds-socket: -r 0: not a positive duration"
	run -2 --separate-stderr ds-socket -N 0 :9898
	assert_equal "$stderr" "ds-socket: -N 0: too small"
	run -2 --separate-stderr ds-socket -m 0 :9898
	assert_equal "$stderr" "ds-socket: -m 0: not a positive size"
	run -2 --separate-stderr ds-socket -m 1q :9898
	assert_equal "$stderr" "ds-socket: -m 1q: not a positive size"
	assert_equal "$output" ""
}

@test "ds-socket: an address in use exits 1" {
	listen first -l 127.0.0.1:0
	run -1 --separate-stderr ds-socket -l "127.0.0.1:$port"
	assert_equal "$stderr" \
	    "ds-socket: 127.0.0.1:$port: Address already in use"
	assert_equal "$output" ""
}

@test "ds-socket: a write error is reported" {
	run -1 --separate-stderr \
	    sh -c 'ds-socket -N 1 -l 127.0.0.1:0 >/dev/full'
	assert_equal "$stderr" "ds-socket: stdout: No space left on device"
}

# -- the clock ------------------------------------------------------------

@test "ds-socket: -N; batch times are multiples of -i, one apart" {
	run -0 --separate-stderr ds-socket -N 5 -i 50ms -l 127.0.0.1:0
	assert_equal "$stderr" ""
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${#lines[@]}" 6
	run awk 'NR > 1 {
		t = substr($0, 2) + 0
		if ($0 !~ /^%[0-9]+$/ || t % 50 != 0 ||
		    (NR > 2 && t != last + 50))
			bad = 1
		last = t
	} END { exit bad }' <<<"$output"
	assert_success
}

@test "ds-socket: the first batch is the first multiple of -i after the start" {
	local before after first

	before=$(date +%s%3N)
	run -0 --separate-stderr ds-socket -N 1 -i 100ms -l 127.0.0.1:0
	after=$(date +%s%3N)
	first=${lines[1]#%}
	[ "$first" -gt "$before" ]
	[ "$first" -le $((after + 100)) ]
	[ $((first % 100)) -eq 0 ]
}

# -- the client, against nc -lk ------------------------------------------

@test "ds-socket: client: lines from nc -lk in batches, CR dropped, TAB split" {
	nc_server server 0
	start ds ds-socket -v -i 100ms ":$port"
	wait_until 10 grep -q ": connected$" "$T/ds.err"
	printf 'hi\r\none\ttwo\nback\\slash\n#hash\n\n' >&4
	wait_until 10 has_records "$T/ds.out" 5
	kill -TERM "$pid"
	wait "$pid"
	records "$T/ds.out" >"$T/got"
	diff -u - "$T/got" <<-'EOF'
	hi
	one	two
	back\\slash
	\#hash
	
	EOF
	assert_equal "$(cat "$T/ds.err")" \
	    "ds-socket: localhost:$port: connected"
}

@test "ds-socket: client: a server down at start, then up" {
	free_port
	start ds ds-socket -r 100ms -i 50ms ":$port"
	wait_until 10 grep -q 'retrying' "$T/ds.err"
	wait_until 10 has_batches "$T/ds.out" 4
	nc_server server "$port"
	wait_until 10 grep -q ': connected$' "$T/ds.err"
	echo hello >&4
	wait_until 10 has_records "$T/ds.out" 1
	kill -0 "$pid"
	assert_equal "$(records "$T/ds.out")" "hello"
	assert_equal "$(cat "$T/ds.err")" \
"ds-socket: localhost:$port: Connection refused; retrying every 100ms
ds-socket: localhost:$port: connected"
}

@test "ds-socket: client: reconnects after the server restarts" {
	nc_server server 0
	start ds ds-socket -v -r 100ms -i 50ms "127.0.0.1:$port"
	wait_until 10 grep -q ': connected$' "$T/ds.err"
	echo before >&4
	wait_until 10 has_records "$T/ds.out" 1
	kill "$ncpid"
	wait "$ncpid" || true
	wait_until 10 grep -q 'connection closed' "$T/ds.err"
	local n
	n=$(nbatches "$T/ds.out")
	wait_until 10 has_batches "$T/ds.out" $((n + 3))
	nc_server server2 "$port"
	wait_until 10 has_lines "$T/ds.err" ": connected$" 2
	echo after >&4
	wait_until 10 has_records "$T/ds.out" 2
	kill -0 "$pid"
	assert_equal "$(records "$T/ds.out")" "before
after"
	assert_equal "$(cat "$T/ds.err")" \
"ds-socket: 127.0.0.1:$port: connected
ds-socket: 127.0.0.1:$port: connection closed; retrying every 100ms
ds-socket: 127.0.0.1:$port: connected"
}

@test "ds-socket: client: batches keep coming with no server, and -N ends it" {
	free_port
	run -0 --separate-stderr ds-socket -N 3 -i 50ms -r 1m "127.0.0.1:$port"
	assert_equal "${#lines[@]}" 4
	assert_equal "$stderr" \
	    "ds-socket: 127.0.0.1:$port: Connection refused; retrying every 60s"
}

@test "ds-socket: IPv6: a client of nc -lk at [::1], and -l at [::1]" {
	grep -q '^0\{31\}1 ' /proc/net/if_inet6 2>/dev/null ||
	    skip "no IPv6 loopback"
	mkfifo "$T/server"
	exec 4<>"$T/server"
	start server nc -lkvn ::1 0 <"$T/server"
	wait_until 10 grep -q '^Listening on ' "$T/server.err"
	port=$(sed -n 's/^Listening on [^ ]* \([0-9]*\)$/\1/p' "$T/server.err")
	start ds ds-socket -v -i 50ms "[::1]:$port"
	wait_until 10 grep -q ': connected$' "$T/ds.err"
	echo six >&4
	wait_until 10 has_records "$T/ds.out" 1
	assert_equal "$(records "$T/ds.out")" "six"
	assert_equal "$(cat "$T/ds.err")" "ds-socket: [::1]:$port: connected"

	listen l6 -l -i 50ms '[::1]:0'
	assert_equal "$(head -n 1 "$T/l6.err")" \
	    "ds-socket: listening on [::1]:$port"
	echo seven | nc -N ::1 "$port"
	wait_until 10 has_records "$T/l6.out" 1
	assert_equal "$(records "$T/l6.out")" "seven"
}

# -- the server (-l) ------------------------------------------------------

@test "ds-socket: -l and -u bind the loopback address unless the host says" {
	listen tcp -l :0
	assert_equal "$(cat "$T/tcp.err")" \
	    "ds-socket: listening on 127.0.0.1:$port"
	listen udp -u :0
	assert_equal "$(cat "$T/udp.err")" \
	    "ds-socket: listening on 127.0.0.1:$port"
}

@test "ds-socket: -l: 20 clients at once, every line once and whole" {
	local i

	listen ds -l -i 100ms 127.0.0.1:0
	for i in $(seq 1 20); do
		seq 1 100 | sed "s/^/client $i line /" >"$T/in$i"
		start "c$i" nc -N 127.0.0.1 "$port" <"$T/in$i"
	done
	wait_until 20 has_records "$T/ds.out" 2000
	cat "$T"/in* | sort >"$T/want"
	records "$T/ds.out" | sort >"$T/got"
	diff -u "$T/want" "$T/got"
}

# connected FILE: how many clients ds-socket -v has accepted.
connected() {
	grep -c '^ds-socket: 127\.0\.0\.1:[0-9]*: connected$' "$1" || true
}

has_connected() {
	[ "$(connected "$1")" -eq "$2" ]
}

# accept_failed N: ds-socket has said N times that it had no descriptor.
accept_failed() {
	[ "$(grep -c ': accept: Too many open files$' "$T/ds.err")" -ge "$1" ]
}

@test "ds-socket: -l: out of descriptors, clients wait, each batch retries" {
	local i n

	start ds bash -c 'ulimit -Sn 10 &&
	    exec ds-socket -v -l -i 100ms 127.0.0.1:0'
	dspid=$pid
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/ds.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/ds.err")
	# Clients that send a line and stay connected.
	for i in 1 2 3 4 5 6; do
		echo "client $i" >"$T/in$i"
		start "c$i" nc 127.0.0.1 "$port" <"$T/in$i"
		cpid[$i]=$pid
	done
	# Paused, then tried again at each batch, while nobody leaves.
	wait_until 10 accept_failed 3
	n=$(connected "$T/ds.err")
	[ "$n" -lt 6 ]
	# One leaving lets one in; all leaving, every line comes.
	kill "${cpid[1]}"
	wait_until 10 has_connected "$T/ds.err" $((n + 1))
	for i in 2 3 4 5 6; do
		kill "${cpid[$i]}"
	done
	wait_until 10 has_records "$T/ds.out" 6
	cat "$T"/in* | sort >"$T/want"
	records "$T/ds.out" | sort >"$T/got"
	diff -u "$T/want" "$T/got"
	kill -TERM "$dspid"
	wait "$dspid"
}

@test "ds-socket: -l: a line split across a batch boundary comes whole, later" {
	local n

	listen ds -l -i 50ms 127.0.0.1:0
	mkfifo "$T/client"
	exec 5<>"$T/client"
	start client nc -N 127.0.0.1 "$port" <"$T/client"
	wait_until 10 grep -q ': connected$' "$T/ds.err"
	printf 'first half, ' >&5
	n=$(nbatches "$T/ds.out")
	wait_until 10 has_batches "$T/ds.out" $((n + 2))
	printf 'second half\nnext\n' >&5
	exec 5>&-
	wait_until 10 has_records "$T/ds.out" 2
	assert_equal "$(records "$T/ds.out")" "first half, second half
next"
	# The line is in a batch that ended after the two that passed.
	run awk -v n="$n" '/^%/ { b++ } /^first/ { print (b >= n + 2) }' \
	    "$T/ds.out"
	assert_output 1
}

@test "ds-socket: -l: a line of 32 MiB comes whole" {
	listen ds -l -i 100ms 127.0.0.1:0
	head -c 33554432 /dev/zero | tr '\0' x >"$T/big"
	echo >>"$T/big"
	echo after >>"$T/big"
	start client nc -N 127.0.0.1 "$port" <"$T/big"
	wait_until 30 grep -q ': closed$' "$T/ds.err"
	wait_until 10 has_records "$T/ds.out" 2
	records "$T/ds.out" | cmp - "$T/big"
}

@test "ds-socket: -l: a client's last line without LF counts" {
	listen ds -l -i 50ms 127.0.0.1:0
	printf 'one\ntwo' | nc -N 127.0.0.1 "$port"
	wait_until 10 has_records "$T/ds.out" 2
	assert_equal "$(records "$T/ds.out")" "one
two"
}

@test "ds-socket: -l: lines over -m are reported, counted and skipped" {
	listen ds -l -m 1k -i 50ms 127.0.0.1:0
	{
		echo short
		head -c 2000 /dev/zero | tr '\0' x; echo
		head -c 1024 /dev/zero | tr '\0' y; echo
		head -c 300000 /dev/zero | tr '\0' z; echo
		echo last
	} >"$T/in"
	start client nc -N 127.0.0.1 "$port" <"$T/in"
	wait_until 10 grep -q ': closed$' "$T/ds.err"
	wait_until 10 has_records "$T/ds.out" 3
	kill -TERM "$dspid"
	status=0
	wait "$dspid" || status=$?
	assert_equal "$status" 1
	sed -n '1p;3p;5p' "$T/in" >"$T/want"
	records "$T/ds.out" | diff -u "$T/want" -
	grep -v 'connected$\|closed$\|listening on' "$T/ds.err" |
	    sed 's/127\.0\.0\.1:[0-9]*:/CLIENT:/' >"$T/err"
	diff -u - "$T/err" <<-'EOF'
	ds-socket: CLIENT:2: line longer than 1024 bytes, skipped
	ds-socket: CLIENT:4: line longer than 1024 bytes, skipped
	ds-socket: over-long lines skipped: 2
	EOF
}

# -- UDP ------------------------------------------------------------------

@test "ds-socket: -u: each datagram's lines, the last without LF" {
	listen ds -u -i 50ms 127.0.0.1:0
	printf 'a\nb\nc' | nc -u -q0 127.0.0.1 "$port"
	wait_until 10 has_records "$T/ds.out" 3
	printf 'd\r\ne\r' | nc -u -q0 127.0.0.1 "$port"
	printf 'f\n' | nc -u -q0 127.0.0.1 "$port"
	wait_until 10 has_records "$T/ds.out" 6
	assert_equal "$(records "$T/ds.out" | tr '\n' ' ')" "a b c d e f "
}

# -- stopping -------------------------------------------------------------

@test "ds-socket: SIGTERM closes the open batch with what came and exits 0" {
	listen ds -l -i 1d 127.0.0.1:0
	printf 'one\ntwo\n' | nc -N 127.0.0.1 "$port"
	wait_until 10 grep -q ': closed$' "$T/ds.err"
	mkfifo "$T/client"
	exec 5<>"$T/client"
	start client nc 127.0.0.1 "$port" <"$T/client"
	printf 'partial' >&5
	wait_until 10 has_lines "$T/ds.err" ": connected$" 2
	kill -TERM "$dspid"
	wait "$dspid"
	run cat "$T/ds.out"
	assert_equal "${#lines[@]}" 4
	assert_equal "${lines[0]}" "#ds1"
	assert_equal "${lines[1]}" "one"
	assert_equal "${lines[2]}" "two"
	[[ ${lines[3]} =~ ^%[0-9]+000$ ]]
	[ $((${lines[3]#%} % 86400000)) -eq 0 ]
}

@test "ds-socket: SIGINT stops a client that is down, exit 0" {
	free_port
	start ds ds-socket -r 1m -i 1d "127.0.0.1:$port"
	wait_until 10 grep -q retrying "$T/ds.err"
	kill -INT "$pid"
	wait "$pid"
	assert_equal "$(nbatches "$T/ds.out")" 1
}

@test "ds-socket: | head -1 ends quietly" {
	run -0 --separate-stderr timeout 10 bash -o pipefail -c \
	    'ds-socket -i 50ms -l 127.0.0.1:0 | head -1'
	assert_equal "$output" "#ds1"
	assert_equal "$stderr" ""
}

# -- the demo -------------------------------------------------------------

# The issue's "done when": with nc -lk in one terminal and the seed's job
# in another, typing hi shows ('hi', 1) under the next second's header.
@test "ds-socket: the seed's session: hi into nc -lk is ('hi', 1) next second" {
	local sent seen time t

	nc_server server 0
	mkfifo "$T/pipe"
	ds-socket -v ":$port" >"$T/pipe" 2>"$T/ds.err" 3>&- 4>&- 5>&- 6>&- &
	pids+=("$!")
	ds-words <"$T/pipe" | ds-reducebykey | ds-print >"$T/job.out" \
	    2>"$T/job.err" 3>&- 4>&- 5>&- 6>&- &
	pids+=("$!")
	wait_until 10 grep -q ': connected$' "$T/ds.err"
	sent=$(date +%s%3N)
	echo hi >&4
	wait_until 10 grep -qx "('hi', 1)" "$T/job.out"
	seen=$(date +%s%3N)
	time=$(grep -B 2 -x "('hi', 1)" "$T/job.out" | sed -n 's/^Time: //p')
	grep -B 3 -A 1 -x "('hi', 1)" "$T/job.out" >"$T/block"
	diff -u - "$T/block" <<-EOF
	-------------------------------------------
	Time: $time
	-------------------------------------------
	('hi', 1)
	
	EOF
	t=$(date -d "$time" +%s%3N)
	# The first whole second at or after the line came, shown at once.
	[ "$t" -ge "$sent" ]
	[ "$t" -lt $((sent + 2000)) ]
	[ "$seen" -lt $((t + 1000)) ]
	assert_equal "$(grep -c "^('hi'" "$T/job.out")" 1
	assert_equal "$(cat "$T/job.err")" ""
}

@test "ds-socket: make demo's script runs the seed's job, no stdin needed" {
	DEMO_UI=127.0.0.1:0 DS_METRICS=$T/m.sock \
	    run -0 --separate-stderr sh "$BATS_TEST_DIRNAME/demo.sh" <&-
	assert_equal "$stderr" ""
	assert_equal "$(grep -c '^Time: ' <<<"$output")" 5
	grep -q "^('[a-zA-Z]*', [0-9]*)$" <<<"$output"
}

# -- flow control ---------------------------------------------------------

# blocked_stdout: ds-socket -l writing to a FIFO that nobody reads (fd 6
# holds it open), and a client sending 50 MB; returns when ds-socket is
# blocked in its write, with its PID in $dspid and the client's in $pid.
blocked_stdout() {
	case $(cat /proc/$$/wchan 2>/dev/null) in
	''|0)	skip "no /proc/PID/wchan to see a blocked write" ;;
	esac
	mkfifo "$T/stdout"
	exec 6<>"$T/stdout"
	ds-socket -v -l -i 50ms 127.0.0.1:0 >"$T/stdout" 2>"$T/ds.err" \
	    3>&- 4>&- 5>&- 6>&- &
	dspid=$!
	pids+=("$dspid")
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/ds.err"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/ds.err")
	head -c 50000000 /dev/zero | tr '\0' y | fold -w 99 >"$T/in"
	start client nc -N 127.0.0.1 "$port" <"$T/in"
	wait_until 20 grep -q pipe "/proc/$dspid/wchan"
}

# handled_term PID: PID has taken a SIGTERM, and SA_RESETHAND has left
# it no handler for the next: bit 15 of its SigCgt is clear.
handled_term() {
	local mask

	mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status")
	(( (0x$mask & 0x4000) == 0 ))
}

@test "ds-socket: a blocked stdout stops the reading, and TCP the sender" {
	local rchar

	blocked_stdout
	rchar=$(sed -n 's/^rchar: //p' "/proc/$dspid/io")
	[ "$rchar" -lt 8000000 ]
	kill -0 "$pid"
	# SIGPIPE is ignored: EPIPE on the blocked write ends it quietly.
	exec 6<&-
	wait "$dspid"
}

@test "ds-socket: while stdout blocks, a second SIGTERM ends it" {
	local status=0

	blocked_stdout
	kill -TERM "$dspid"
	wait_until 10 handled_term "$dspid"
	kill -0 "$dspid"
	kill -TERM "$dspid"
	wait "$dspid" || status=$?
	assert_equal "$status" 143
}

# -- the write-ahead log --------------------------------------------------

# segments DIR: the names of the log's segments, one a line.
segments() {
	ls "$1" | grep -E '^[0-9]{20}\.ds$' || true
}

@test "ds-socket: -W: the log holds the stream as it went out" {
	local seg

	listen ds -W "$T/w" -l -i 100ms 127.0.0.1:0
	printf 'one\ntwo\tfields\n\\x\n' | nc -N 127.0.0.1 "$port"
	wait_until 10 has_records "$T/ds.out" 3
	n=$(nbatches "$T/ds.out")
	wait_until 10 has_batches "$T/ds.out" $((n + 1))
	kill -TERM "$dspid"
	wait "$dspid"
	seg=$(segments "$T/w")
	# One segment, named by the time of its first batch.
	assert_equal "$(wc -l <<<"$seg")" 1
	assert_equal "$(grep -m 1 '^%' "$T/ds.out")" "%$((10#${seg%.ds}))"
	diff -u "$T/ds.out" "$T/w/$seg"
}

@test "ds-socket: -W: killed in a batch, that batch comes again with its time" {
	local seg t

	listen ds -W "$T/w" -l -i 1h 127.0.0.1:0
	printf 'one\ntwo\n' | nc -N 127.0.0.1 "$port"
	wait_until 10 grep -q ': closed$' "$T/ds.err"
	seg=$(segments "$T/w")
	wait_until 10 grep -qx two "$T/w/$seg"
	kill -9 "$dspid"
	wait "$dspid" || true
	t=$((10#${seg%.ds}))
	[ $((t % 3600000)) -eq 0 ]
	# Before anything new, and the new after it.
	listen ds2 -W "$T/w" -l -i 1h 127.0.0.1:0
	printf 'three\n' | nc -N 127.0.0.1 "$port"
	wait_until 10 grep -q ': closed$' "$T/ds2.err"
	kill -TERM "$dspid"
	wait "$dspid"
	run cat "$T/ds2.out"
	assert_output "$(printf '#ds1\none\ntwo\n%%%s\nthree\n%%%s\n' "$t" \
	    $((t + 3600000)))"
	# Without DS_CHECKPOINT what went out was taken: the old segment
	# has gone, the new one holds the new run.
	run segments "$T/w"
	assert_output "$(printf '%020d.ds' $((t + 3600000)))"
	assert_equal "$(grep -v '^#' "$T/w/$output" | tr '\n' ' ')" \
	    "three %$((t + 3600000)) "
}

@test "ds-socket: -W: with DS_CHECKPOINT and no commit, every batch again" {
	mkdir "$T/w"
	printf '#ds1\na\n%%1000\n%%1100\nb\\tc\td\n%%1200\n' \
	    >"$T/w/00000000000000001000.ds"
	DS_CHECKPOINT=$T/ck run -0 --separate-stderr \
	    ds-socket -W "$T/w" -N 1 -i 100ms -u 127.0.0.1:0
	assert_equal "$stderr" ""
	assert_equal "$(head -n 6 <<<"$output")" \
	    "$(printf '#ds1\na\n%%1000\n%%1100\nb\\tc\td\n%%1200')"
	[[ ${lines[6]} =~ ^%[0-9]+00$ ]]
	[ "${#lines[@]}" -eq 7 ]
	assert_equal "$(segments "$T/w" | wc -l)" 2
	# Without it, what went out was taken: nothing again, the old gone.
	run -0 --separate-stderr ds-socket -W "$T/w" -N 1 -i 100ms \
	    -u 127.0.0.1:0
	assert_equal "$(grep -c . <<<"$output")" 2
	assert_equal "$(segments "$T/w" | wc -l)" 1
}

@test "ds-socket: -W: a torn last line is cut, the open batch ended" {
	mkdir "$T/w"
	printf '#ds1\na\n%%1000\nb\nhalf a li' >"$T/w/00000000000000001000.ds"
	run -0 --separate-stderr ds-socket -W "$T/w:sync=none" -N 1 \
	    -i 100ms -u 127.0.0.1:0
	assert_equal "$(head -n 3 <<<"$output")" "$(printf '#ds1\nb\n%%1100')"
}

@test "ds-socket: -W: bad values, a log in use, a segment not a stream" {
	run -2 --separate-stderr ds-socket -W "$T/w:sync=often" -u :0
	assert_equal "$stderr" "ds-socket: -W $T/w:sync=often: sync=often: not batch, none or a positive duration"
	run -2 --separate-stderr ds-socket -W ":sync=1s" -u :0
	assert_equal "$stderr" "ds-socket: -W :sync=1s: no directory"
	listen ds -W "$T/w:sync=1s" -u 127.0.0.1:0
	run -1 --separate-stderr ds-socket -W "$T/w" -u 127.0.0.1:0
	assert_equal "$stderr" "ds-socket: $T/w: in use by another ds-socket"
	mkdir "$T/bad"
	echo junk >"$T/bad/00000000000000001000.ds"
	run -1 --separate-stderr ds-socket -W "$T/bad" -u 127.0.0.1:0
	assert_equal "$stderr" "ds-socket: $T/bad/00000000000000001000.ds:1: not a ds stream"
}

# up: the pipeline of the issue, each stage's PID known: ds-socket -W,
# ds-reducebykey, ds-state -c, ds-save, joined by FIFOs; a tee keeps what
# the source wrote in $T/src.$run, and is never killed.
up() {
	ds-socket -v -W "$T/w" -l -i 100ms 127.0.0.1:0 >"$T/f0" \
	    2>"$T/sock.$run" &
	stages=($!)
	tee "$T/src.$run" <"$T/f0" >"$T/f1" 2>/dev/null &
	teepid=$!
	ds-reducebykey <"$T/f1" >"$T/f2" 2>>"$T/err" &
	stages+=($!)
	ds-state -c "$T/s" <"$T/f2" >"$T/f3" 2>>"$T/err" &
	stages+=($!)
	ds-save -q "$T/out/b" <"$T/f3" 2>>"$T/err" &
	stages+=($!)
	pids+=("${stages[@]}" "$teepid")
	wait_until 10 joined
}

# joined: every process of the pipeline has its FIFOs open, so that a
# kill cannot leave another waiting forever in an open(2).
joined() {
	local p n=0

	for p in "${stages[@]}" "$teepid"; do
		n=$((n + $(ls -l "/proc/$p/fd" 2>/dev/null | grep -c "$T/f[0-3]")))
	done
	[ "$n" -eq 8 ]
}

# down: wait for every process of the pipeline to end.
down() {
	local p

	for p in "${stages[@]}" "$teepid"; do
		wait "$p" || true
	done
}

# logged N: the log holds N records.
logged() {
	[ "$(cat "$T/w"/*.ds | grep -vc '^[#%]')" -ge "$1" ]
}

# batches_of FILES...: the batches the source wrote over its runs, each
# once, by time: records count only once their batch end is there, a
# batch written again must hold what it held, and a run's unfinished end
# is dropped.
batches_of() {
	awk '
	FNR == 1 { n = 0 }
	/^#/ { next }
	/^%/ {
		t = substr($0, 2) + 0
		b = ""
		for (i = 0; i < n; i++)
			b = b rec[i] "\n"
		n = 0
		if (t in seen && seen[t] != b) {
			print "batch " t " differs on replay" >"/dev/stderr"
			bad = 1
		}
		seen[t] = b
		next
	}
	{ rec[n++] = $0 }
	END {
		print "#ds1"
		for (t in seen)
			printf "%020d\t%s\n", t, "x" | "sort >'"$T"'/times"
		close("sort >'"$T"'/times")
		while ((getline line <"'"$T"'/times") > 0) {
			split(line, a, "\t")
			t = a[1] + 0
			printf "%s%%%d\n", seen[t], t
		}
		exit bad
	}' "$@"
}

@test "ds-socket -W | ds-reducebykey | ds-state -c | ds-save: kill -9 of any stage at random moments, then a restart, gives the files of a run never killed" {
	local run=0 kills=0 port first

	export DS_CHECKPOINT=$T/pipe
	mkfifo "$T/f0" "$T/f1" "$T/f2" "$T/f3"
	mkdir "$T/out" "$T/whole"
	awk 'BEGIN { srand(5); for (i = 0; i < 3000; i++)
	    printf "k%d\t%d\n", int(rand() * 40), int(rand() * 100) }' \
	    >"$T/lines"
	up
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/sock.0"
	port=$(sed -n 's/^ds-socket: listening on .*:\([0-9]*\)$/\1/p' \
	    "$T/sock.0")
	# What a receiver never logged is lost in Spark too: the source is
	# killed only once it has logged everything the client sent.
	nc -N 127.0.0.1 "$port" <"$T/lines"
	wait_until 10 grep -q ': closed$' "$T/sock.0"
	wait_until 10 logged 3000
	while [ "$kills" -lt "${KILLS:-50}" ]; do
		sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
		# A stage that has ended by itself has said why in err.
		kill -9 "${stages[RANDOM % 4]}" 2>/dev/null || true
		kills=$((kills + 1))
		down
		run=$((run + 1))
		up
	done
	# The last run catches up: its own batches reach ds-save.
	wait_until 10 grep -q '^ds-socket: listening on ' "$T/sock.$run"
	first=$(ls "$T/w" | tail -n 1)
	first=$((10#${first%.ds}))
	wait_until 20 test -e "$T/out/b-$((first + 300))"
	kill -TERM "${stages[0]}"
	down
	# The run never killed: the same batches, through the same stages.
	batches_of $(for ((i = 0; i <= run; i++)); do echo "$T/src.$i"; done) \
	    >"$T/ref.ds"
	[ "$(grep -vc '^[#%]' "$T/ref.ds")" -eq 3000 ]
	DS_CHECKPOINT=$T/pipe0 ds-reducebykey <"$T/ref.ds" |
	    DS_CHECKPOINT=$T/pipe0 ds-state -c "$T/s0" |
	    DS_CHECKPOINT=$T/pipe0 ds-save -q "$T/whole/b"
	diff -r -x '.*' "$T/whole" "$T/out"
	[ ! -s "$T/err" ]
	run grep -hv -e ' listening on ' -e ': closed$' -e ': connected$' \
	    "$T"/sock.*
	assert_output ""
}
