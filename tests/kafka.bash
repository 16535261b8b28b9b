# kafka.bash: a mock Kafka cluster for the bats files of the Kafka
# programs (tests/kafka-mock, librdkafka's mock brokers in a process of
# their own) and kcat as the independent client.  Load after helper.

# kafka_start [-n BROKERS] [TOPIC:PARTITIONS]...: start the cluster; its
# bootstrap list in $B, its PID in $kpid.  Commands go to it through
# kafka_cmd; teardown must call kafka_stop.
kafka_start() {
	local d=$BATS_TEST_TMPDIR

	mkfifo "$d/kafka.in"
	# Held open read-write, so that the helper never sees its end.
	exec 7<>"$d/kafka.in"
	"$BATS_TEST_DIRNAME/kafka-mock" "$@" <&7 >"$d/kafka.out" \
	    2>"$d/kafka.err" 8>&- &
	kpid=$!
	wait_until 10 test -s "$d/kafka.out"
	B=$(head -n 1 "$d/kafka.out")
	[ -n "$B" ]
	kreplies=1
}

# kafka_cmd COMMAND...: one command of tests/kafka-mock.c, waiting for its
# "ok".
kafka_cmd() {
	local d=$BATS_TEST_TMPDIR

	echo "$*" >&7
	kreplies=$((kreplies + 1))
	wait_until 10 kafka_replied "$d/kafka.out" "$kreplies"
	[ "$(sed -n "${kreplies}p" "$d/kafka.out")" = ok ]
}

kafka_replied() {
	[ "$(wc -l <"$1")" -ge "$2" ]
}

kafka_stop() {
	if [ -n "${kpid:-}" ]; then
		kill "$kpid" 2>/dev/null || true
		wait "$kpid" 2>/dev/null || true
		kpid=
	fi
	exec 7>&- 2>/dev/null || true
}

# kcat_read TOPIC [KCAT-ARGS...]: every message of TOPIC, as kcat -f
# formats them (by default "partition<TAB>key<TAB>value"), partitions in
# order.
kcat_read() {
	local t=$1 fmt='%p\t%k\t%s\n'

	shift
	kcat -b "$B" -C -q -e -t "$t" -o beginning -f "$fmt" "$@"
}

# stage N COMMAND...: COMMAND as a stage of a kill test's pipeline, its pid
# in $T/pN, so that any one stage can be killed.
stage() {
	local n=$1

	shift
	exec sh -c 'echo $$ >"$0"; exec "$@"' "$T/p$n" "$@"
}

# stages_up: the pids of stages 0 to 3, once all are written, in pids_run
# and (only the live run's: a dead stage's pid may be another's) in pids.
stages_up() {
	wait_until 10 test -s "$T/p0" -a -s "$T/p1" -a -s "$T/p2" \
	    -a -s "$T/p3"
	pids_run=($(cat "$T/p0") $(cat "$T/p1") $(cat "$T/p2") $(cat "$T/p3"))
	pids=("${pids_run[@]}")
}
