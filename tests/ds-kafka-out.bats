#!/usr/bin/env bats
# ds-kafka-out.bats: records into a topic of the mock cluster
# (tests/kafka-mock), read back by kcat: keys, values, partitions as
# Java's partitioner puts them, the stream passed on, and each failure.
load helper
load kafka

setup() {
	T=$BATS_TEST_TMPDIR
	kafka_start -n 3 t6:6 t1:1
}

teardown() {
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
