#!/usr/bin/env bats
# ds-kafka-out.bats: records into a topic of the mock cluster
# (tests/kafka-mock), read back by kcat: keys, values, partitions as
# Java's partitioner puts them, the stream passed on, each failure, and
# the exactly-once protocol of ds(7): headers, replays, torn batches,
# transactions, and a pipeline killed at random moments.
load helper
load kafka

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
	kafka_start -n 3 t6:6 t1:1 totals:3
}

teardown() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	kafka_stop
}

@test "ds-kafka-out: keys and values as kcat reads them, the stream passed on" {
	printf '#ds1\na\t1\nb\t2\n%%1000\n%%2000\nc\t3\n%%3000\n' >"$T/in"
	run -0 --separate-stderr ds-kafka-out -b "$B" t1 <"$T/in"
	assert_output "$(cat "$T/in")"
	[ -z "$stderr" ]
	run -0 kcat_read t1
	assert_output "$(printf '0\ta\t1\n0\tb\t2\n0\tc\t3')"
}

# Kafka's own test vectors of Utils.murmur2 (UtilsTest), as Java's
# default partitioner uses them: (hash & 0x7fffffff) % partitions.
@test "ds-kafka-out: keys go to the partitions Java's partitioner gives" {
	local k h want=

	for k in 21:-973932308 foobar:-790332482 abc:479470107 \
	    a-little-bit-long-string:-985981536 \
	    a-little-bit-longer-string:-1486304829 \
	    lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8:-58897971; do
		h=${k#*:}
		k=${k%%:*}
		printf '%s\tv\n' "$k"
		want+="$(( (h & 0x7fffffff) % 6 ))	$k"$'\n'
	done >"$T/in"
	run -0 ds-kafka-out -b "$B" t6 <"$T/in"
	kcat_read t6 -f '%p\t%k\n' | sort >"$T/got"
	printf '%s' "$want" | sort | diff -u - "$T/got"
}

@test "ds-kafka-out: -k 0 sends no key, -f 0 the whole record" {
	printf 'a\tb\tc\nd\n' | ds-kafka-out -b "$B" -k 0 -f 0 t1 >/dev/null
	run -0 kcat_read t1 -f '%K|%s\n'
	assert_output "$(printf -- '-1|a\tb\tc\n-1|d')"
}

@test "ds-kafka-out: keys and values of any bytes arrive byte for byte" {
	printf '#ds1\nk\\t\001\tv\\n\000\377\\\\x\n%%1000\n' |
	    ds-kafka-out -b "$B" t1 >/dev/null
	kcat_read t1 -f '%k|%s' >"$T/got"
	printf 'k\t\001|v\n\000\377\\x' | cmp - "$T/got"
}

@test "ds-kafka-out: a 10 MB message, once the producer's limit allows it" {
	head -c 7500000 /dev/urandom | base64 -w 0 |
	    awk '{ print "k\t" $0 }' >"$T/in"
	run -1 --separate-stderr ds-kafka-out -b "$B" t1 <"$T/in"
	assert_equal "$stderr" \
	    "ds-kafka-out: stdin:1: topic t1: Broker: Message size too large"
	run -0 ds-kafka-out -b "$B" -X message.max.bytes=20000000 t1 <"$T/in"
	kcat_read t1 -f '%k\t%s\n' -X fetch.message.max.bytes=20000000 \
	    >"$T/got"
	cmp "$T/in" "$T/got"
}

@test "ds-kafka-out: a bad -X is a usage error naming the property" {
	run -2 --separate-stderr ds-kafka-out -b "$B" -X no.such=1 t1 </dev/null
	assert_equal "$stderr" \
	    'ds-kafka-out: -X no.such: No such configuration property: "no.such"'
	run -2 --separate-stderr ds-kafka-out -X linger.ms t1 </dev/null
	assert_equal "$stderr" 'ds-kafka-out: -X linger.ms: not property=value'
	# The value may be a password: it is never printed.
	run -2 --separate-stderr ds-kafka-out -X linger.ms=s3cret t1 </dev/null
	refute_output --partial s3cret
	[[ "$stderr" != *s3cret* ]]
	[[ "$stderr" == 'ds-kafka-out: -X linger.ms: '* ]]
}

@test "ds-kafka-out: usage errors" {
	run -2 ds-kafka-out
	run -2 ds-kafka-out -k x t1
	run -0 ds-kafka-out -h
	assert_output "usage: $(synopsis_of ds-kafka-out)"
}

@test "ds-kafka-out: a record without the key or value field names its line" {
	run -1 --separate-stderr ds-kafka-out -b "$B" t1 < <(printf 'a\tb\nc\n')
	assert_equal "$stderr" 'ds-kafka-out: stdin:2: no field 2'
}

@test "ds-kafka-out: an unknown topic fails the batch, the broker's error named" {
	kafka_cmd unknown nope
	run -1 --separate-stderr ds-kafka-out -b "$B" \
	    -X topic.metadata.propagation.max.ms=500 nope \
	    < <(printf '#ds1\na\t1\n%%1000\n')
	assert_output '#ds1
a	1'
	assert_equal "$stderr" 'ds-kafka-out: topic nope: batch 1000: stdin:2: Broker: Unknown topic or partition'
}

@test "ds-kafka-out: the brokers down: said once, then the batch fails" {
	kafka_cmd down -1
	run -1 --separate-stderr ds-kafka-out -b "$B" \
	    -X message.timeout.ms=1500 t1 < <(printf '#ds1\na\t1\n%%1000\n')
	[[ "$stderr" == "ds-kafka-out: $B: "*"
ds-kafka-out: topic t1: batch 1000: stdin:2: Local: Message timed out" ]]
}

# sent_read TOPIC: the messages of TOPIC as "batch<TAB>index<TAB>key<TAB>
# value", from their headers, sorted by batch and index.
sent_read() {
	kcat_read "$1" -f '%h\t%k\t%s\n' |
	    sed 's/^ds\.writer=[0-9a-f]\{16\},ds\.batch=\([0-9]*\),ds\.index=\([0-9]*\)\t/\1\t\2\t/' |
	    sort -t '	' -k1,1n -k2,2n
}

@test "ds-kafka-out: under DS_CHECKPOINT each message carries its writer, batch time and index" {
	export DS_CHECKPOINT=$T/pipe
	printf '#ds1\na\t1\nb\t2\n%%1000\n%%2000\nc\t3\n%%3000\n' >"$T/in"
	run -0 --separate-stderr ds-kafka-out -b "$B" t1 <"$T/in"
	assert_output "$(cat "$T/in")"
	[ -z "$stderr" ]
	kcat_read t1 -f '%k=%s %h\n' >"$T/got"
	w=$(sed -n '1s/.*ds\.writer=\([0-9a-f]*\),.*/\1/p' "$T/got")
	[ "${#w}" -eq 16 ]
	diff -u - "$T/got" <<-EOF
	a=1 ds.writer=$w,ds.batch=1000,ds.index=0
	b=2 ds.writer=$w,ds.batch=1000,ds.index=1
	c=3 ds.writer=$w,ds.batch=3000,ds.index=0
	EOF
	# The batch committed, for the source to replay what follows it.
	[ "$(tail -n 1 "$T/pipe/ds-kafka-out.commit")" = 3000 ]
	# Without it, no header.
	unset DS_CHECKPOINT
	printf 'd\t4\n' | ds-kafka-out -b "$B" t1 >/dev/null
	[ "$(kcat_read t1 -f '%k %h\n' | tail -n 1)" = 'd ' ]
}

@test "ds-kafka-out: a replay of committed batches passes them on and sends nothing again" {
	export DS_CHECKPOINT=$T/pipe
	printf '#ds1\na\t1\nb\t2\n%%1000\nc\t3\n%%3000\n' >"$T/in"
	ds-kafka-out -b "$B" t6 <"$T/in" >/dev/null
	sent_read t6 >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 3 ]
	printf 'd\t4\n%%4000\n' >>"$T/in"
	run -0 --separate-stderr ds-kafka-out -b "$B" t6 <"$T/in"
	assert_output "$(cat "$T/in")"
	[ -z "$stderr" ]
	printf '4000\t0\td\t4\n' >>"$T/want"
	sent_read t6 | diff -u "$T/want" -
}

# A batch torn by a crash: the writer had sent messages 0 and 2 of batch
# 2000 (the idempotent producer keeps a partition's order, not the
# batch's) when it died, before its checkpoint.
@test "ds-kafka-out: a torn batch is completed, nothing sent twice" {
	export DS_CHECKPOINT=$T/pipe
	printf '#ds1\nk0\tv0\n%%1000\n' | ds-kafka-out -b "$B" t6 >/dev/null
	w=$(kcat_read t6 -f '%h\n' | sed 's/^ds\.writer=\([0-9a-f]*\),.*/\1/')
	for i in 0 2; do
		printf 'k%s:v%s\n' $((i + 1)) $((i + 1)) |
		    kcat -b "$B" -P -t t6 -K : -H ds.writer="$w" \
		    -H ds.batch=2000 -H ds.index=$i
	done
	# Another writer's messages of the same batch time are not ours.
	printf 'k2:other\n' | kcat -b "$B" -P -t t6 -K : \
	    -H ds.writer=0123456789abcdef -H ds.batch=2000 -H ds.index=1
	printf '#ds1\nk0\tv0\n%%1000\nk1\tv1\nk2\tv2\nk3\tv3\nk4\tv4\n%%2000\n' \
	    >"$T/in"
	run -0 --separate-stderr ds-kafka-out -b "$B" t6 <"$T/in"
	assert_output "$(cat "$T/in")"
	[ -z "$stderr" ]
	sent_read t6 | grep -v other >"$T/got"
	diff -u - "$T/got" <<-EOF
	1000	0	k0	v0
	2000	0	k1	v1
	2000	1	k2	v2
	2000	2	k3	v3
	2000	3	k4	v4
	EOF
}

@test "ds-kafka-out: under DS_CHECKPOINT a stream torn inside a batch sends nothing of it" {
	export DS_CHECKPOINT=$T/pipe
	run -0 --separate-stderr ds-kafka-out -b "$B" t1 \
	    < <(printf '#ds1\na\t1\n%%1000\nb\t2\n')
	assert_output "$(printf '#ds1\na\t1\n%%1000\nb\t2')"
	assert_equal "$stderr" 'ds-kafka-out: stdin: the stream ends inside a batch: not sent, left to the replay'
	run -0 kcat_read t1
	assert_output "$(printf '0\ta\t1')"
}

@test "ds-kafka-out: a checkpoint of another topic, or not one, is an error naming it" {
	export DS_CHECKPOINT=$T/pipe
	printf '#ds1\na\t1\n%%1000\n' | ds-kafka-out -b "$B" t6 >/dev/null
	run -1 --separate-stderr ds-kafka-out -b "$B" t1 </dev/null
	assert_equal "$stderr" \
	    "ds-kafka-out: $T/pipe/ds-kafka-out.sent: of topic t6, not t1"
	printf 'garbage\n' >"$T/pipe/ds-kafka-out.sent"
	rm "$T/pipe/ds-kafka-out.sent.prev"
	run -1 --separate-stderr ds-kafka-out -b "$B" t6 </dev/null
	[[ "$stderr" == "ds-kafka-out: $T/pipe/ds-kafka-out.sent: "* ]]
}

@test "ds-kafka-out: -X transactional.id: each batch a transaction, the same messages" {
	printf '#ds1\na\t1\nb\t2\n%%1000\n%%2000\nc\t3\n%%3000\n' >"$T/in"
	run -0 --separate-stderr ds-kafka-out -b "$B" -X transactional.id=ds1 \
	    t1 <"$T/in"
	assert_output "$(cat "$T/in")"
	[ -z "$stderr" ]
	run -0 kcat_read t1 -X isolation.level=read_committed
	assert_output "$(printf '0\ta\t1\n0\tb\t2\n0\tc\t3')"
	# In the protocol too: a replay sends nothing again.
	export DS_CHECKPOINT=$T/pipe
	for i in 1 2; do
		ds-kafka-out -b "$B" -X transactional.id=ds2 t6 <"$T/in" \
		    >/dev/null
	done
	sent_read t6 | cut -f 1,3,4 >"$T/got"
	printf '1000\ta\t1\n1000\tb\t2\n3000\tc\t3\n' | diff -u - "$T/got"
}

# The mock does not fence a second producer of the same transactional.id
# itself; it answers as a broker answers the one fenced (AddPartitionsToTxn,
# API 24, error 90: PRODUCER_FENCED).
@test "ds-kafka-out: a producer fenced by a newer one exits 1, the broker's error named" {
	kafka_cmd error 24 90 1
	run -1 --separate-stderr ds-kafka-out -b "$B" -X transactional.id=ds1 \
	    t1 < <(printf '#ds1\na\t1\n%%1000\n')
	assert_output '#ds1
a	1'
	[[ "$stderr" == *"Broker: There is a newer producer with the same transactionalId which fences the current one"* ]]
	[[ "$(tail -n 1 <<<"$stderr")" == "ds-kafka-out: $B: "*"This instance has been fenced by a newer instance" ]]
}

# batches FILE: the complete batches of a stream appended to FILE run
# after run (a run killed leaves a torn tail, and the next one's header
# follows it), as "batch<TAB>key<TAB>value", once each.
batches() {
	awk -F '\t' '
	index($0, "#ds1") { n = 0; next }
	/^%/ { t = substr($0, 2); for (i = 0; i < n; i++) print t "\t" r[i]
	    n = 0; next }
	{ r[n++] = $0 }' "$1" | sort -u
}

# The per-key totals of inputs 1..600 (w0..w16, a 1 each).
totals() {
	seq 1 600 | awk '{ n["w" ($1 % 17)]++ }
	    END { for (w in n) print w "\t" n[w] }' | sort
}

# latest_total WANT: the newest batch ds-kafka-out passed on holds WANT's
# totals in the topic (a newer one may be on its way there).
latest_total() {
	local t

	t=$(grep -a '^%' "$T/passed" | tail -n 1 | cut -c 2-)
	[ -n "$t" ] || return 1
	sent_read totals >"$T/topic"
	awk -F '\t' -v t="$t" '$1 == t { print $3 "\t" $4 }' "$T/topic" |
	    sort >"$T/latest"
	cmp -s "$T/latest" "$1"
}

# The issue's pipeline, each stage killed with SIGKILL at a random moment
# KILLS times (2 by default, 20 for the issue's run), and restarted; tee
# keeps what ds-state gave ds-kafka-out (what it wrote to the pipe it
# wrote to the file), the stream the topic must hold.
@test "ds-kafka-out: SIGKILL of any stage of ds-kafka | ds-reducebykey | ds-state | ds-kafka-out, restarted: each batch in the topic once" {
	local kills=${KILLS:-2} stage i n=0 job pids_run

	RANDOM=16
	totals >"$T/want"
	# Brokers slow to answer, each its own way: a kill of ds-kafka-out
	# often comes while some of a batch's messages are in and others not.
	kafka_cmd rtt 2 20
	kafka_cmd rtt 3 40
	for i in $(seq 1 300); do
		echo "w$((i % 17)):1"
	done | kcat -b "$B" -P -t t6 -K :
	export DS_CHECKPOINT=$T/pipe
	for stage in $(for i in $(seq 1 "$kills"); do echo 0 1 2 3; done |
	    tr ' ' '\n' | shuf --random-source=<(yes)) last; do
		rm -f "$T"/p?
		{ stage 0 ds-kafka -b "$B" -c "$T/c1" -m -o earliest -i 200ms \
		    -R 50 t6 |
		    stage 1 ds-reducebykey |
		    stage 2 ds-state -c "$T/c2" -o sum | tee -a "$T/state" |
		    stage 3 ds-kafka-out -b "$B" totals >>"$T/passed"; } \
		    2>>"$T/err" &
		job=$!
		stages_up
		if [ "$n" -eq $((kills * 4 / 2)) ]; then
			for i in $(seq 301 600); do
				echo "w$((i % 17)):1"
			done | kcat -b "$B" -P -t t6 -K :
		fi
		n=$((n + 1))
		if [ "$stage" = last ]; then
			# The kills done, kcat reads faster.
			kafka_cmd rtt 2 0
			kafka_cmd rtt 3 0
			wait_until 60 latest_total "$T/want" || {
				diff "$T/want" "$T/latest" >&3
				cat "$T/err" >&3; false; }
			kill -TERM "${pids_run[0]}"
		else
			sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
			kill -9 "${pids_run[$stage]}" || { cat "$T/err" >&3; false; }
		fi
		wait "$job" || true
		pids=()
	done
	# Nothing but the kills' own words on stderr.
	! grep -v 'Broken pipe\|Killed\|the previous one is used\|left to the replay' \
	    "$T/err"
	sent_read totals >"$T/topic"
	# No (batch, key) twice, and the last totals the input's.
	[ -z "$(cut -f 1,3 "$T/topic" | sort | uniq -d)" ]
	latest_total "$T/want"
	# Every batch ds-state gave is in the topic as it gave it, and
	# nothing else is; every batch ds-kafka-out passed on is there.
	cut -f 1,3,4 "$T/topic" | sort -u >"$T/got"
	batches "$T/state" | diff -u - "$T/got"
	batches "$T/passed" | comm -23 - "$T/got" | diff -u /dev/null -
}
