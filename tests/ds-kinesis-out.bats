#!/usr/bin/env bats
# ds-kinesis-out against kinesalite, and against tests/awspeer.py where a
# peer must misbehave or check the signature.

load helper
load kinesis

teardown() {
	peer_stop
	kinesalite_stop
}

# records SHARD: the data of every record of the shard, base64 undone,
# one a line, by curl and jq (independent of ds-kinesis).
records() {
	local it resp
	it=$(kin GetShardIterator "{\"StreamName\":\"${2:-s}\",\"ShardId\":\"$1\",\"ShardIteratorType\":\"TRIM_HORIZON\"}" |
	    jq -r .ShardIterator)
	while :; do
		resp=$(kin GetRecords "{\"ShardIterator\":\"$it\"}")
		[ "$(jq '.Records | length' <<<"$resp")" -gt 0 ] || break
		jq -r '.Records[] | .PartitionKey + " " + (.Data | @base64d)' \
		    <<<"$resp"
		it=$(jq -r .NextShardIterator <<<"$resp")
	done
}

@test "ds-kinesis-out: usage" {
	run -2 ds-kinesis-out
	[ "$output" = "usage: $(synopsis_of ds-kinesis-out)" ]
	run -2 ds-kinesis-out -k 0 s
	[[ "$output" == *"-k"* ]]
	# The region is -R: -r is the sources' retry delay in ds(7).
	run -2 ds-kinesis-out -r eu-west-2 s
	run -0 ds-kinesis-out -h
	[ "$output" = "usage: $(synopsis_of ds-kinesis-out)" ]
}

@test "ds-kinesis-out: each record put, keyed by field 1, the stream passed on" {
	kinesalite_start
	create_stream s 2
	printf '#ds1\na\tone\nb\ttwo\n%%1000\n%%2000\nc\tthree\n%%3000\n' \
	    >"$BATS_TEST_TMPDIR/in"
	run -0 --separate-stderr ds-kinesis-out -e "$KURL" s \
	    <"$BATS_TEST_TMPDIR/in"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/in")" ]
	[ -z "$stderr" ]
	{ records shardId-000000000000; records shardId-000000000001; } |
	    sort >"$BATS_TEST_TMPDIR/got"
	diff -u - "$BATS_TEST_TMPDIR/got" <<-'EOF2'
	a a	one
	b b	two
	c c	three
	EOF2
}

@test "ds-kinesis-out: -k 2 keys by field 2; the data is the whole record" {
	kinesalite_start
	create_stream s 1
	printf '#ds1\nx\tk1\ty\n%%1000\n' | ds-kinesis-out -k 2 -e "$KURL" s \
	    >/dev/null
	run -0 records shardId-000000000000
	[ "$output" = "k1 x	k1	y" ]
}

@test "ds-kinesis-out: 1200 records and 9 MB in calls of at most 500 records and 5 MB" {
	kinesalite_start
	create_stream s 1
	peer_start proxy "$KURL"
	{
		echo '#ds1'
		seq 1200 | sed 's/^/k/'
		echo '%1000'
		awk 'BEGIN { s = sprintf("%900000s", ""); gsub(/ /, "x", s)
			for (i = 1; i <= 10; i++) print "big" i "\t" s
			print "%2000" }'
	} >"$BATS_TEST_TMPDIR/in"
	ds-kinesis-out -e "http://127.0.0.1:$PPORT" s <"$BATS_TEST_TMPDIR/in" \
	    >/dev/null
	run -0 grep -c PutRecords "$PLOG"
	[ "$output" -eq 5 ]	# 500, 500, 200; then 5 and 5 (4.5 MB each)
	run -0 records shardId-000000000000
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 1210 ]
	[ "$(printf '%s\n' "$output" | awk '/^k/' | sort -u | wc -l)" -eq 1200 ]
}

@test "ds-kinesis-out: the records a call failed, and only those, are put again" {
	kinesalite_start
	create_stream s 1
	peer_start proxy "$KURL" partial=2
	{ echo '#ds1'; seq 10 | sed 's/^/k/'; echo '%1000'; } |
	    ds-kinesis-out -e "http://127.0.0.1:$PPORT" s >/dev/null
	run -0 cat "$PLOG"
	[ "$output" = "PutRecords 5 of 10 failed
PutRecords 2 of 5 failed
PutRecords" ]
	run -0 records shardId-000000000000
	[ "$(printf '%s\n' "$output" | sort)" = "$(seq 10 | sed 's/.*/k& k&/' | sort)" ]
}

@test "ds-kinesis-out: a peer failing every call: gives up after 10 tries, naming the stream and the line" {
	kinesalite_start
	create_stream s 1
	peer_start proxy "$KURL" fail5xx=1000
	run -1 --separate-stderr ds-kinesis-out -e "http://127.0.0.1:$PPORT" s \
	    <<<$'#ds1\nk1\nk2\n%1000'
	[ "$stderr" = "ds-kinesis-out: stream s: stdin:2: InternalFailure (HTTP 500); gave up after 10 tries" ]
	[ "$(grep -c PutRecords "$PLOG")" -eq 10 ]
	# What went on before the batch end, not the batch end.
	[ "$output" = $'#ds1\nk1\nk2' ]
}

@test "ds-kinesis-out: a missing stream is named" {
	kinesalite_start
	run -1 --separate-stderr ds-kinesis-out -e "$KURL" nosuch <<<$'#ds1\na\n%1'
	[[ "$stderr" == "ds-kinesis-out: stream nosuch: no such stream ("*ResourceNotFoundException* ]]
}

@test "ds-kinesis-out: no credentials, or no region: a clear error, no secret" {
	run -1 env -u AWS_ACCESS_KEY_ID HOME="$BATS_TEST_TMPDIR" \
	    ds-kinesis-out -e http://127.0.0.1:9 s </dev/null
	[ "$output" = "ds-kinesis-out: no credentials: neither AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY nor profile default in ~/.aws/credentials" ]
	run -1 env -u AWS_REGION HOME="$BATS_TEST_TMPDIR" \
	    ds-kinesis-out -e http://127.0.0.1:9 s </dev/null
	[[ "$output" == "ds-kinesis-out: no region: "* ]]
	[[ "$output" != *"$AWS_SECRET_ACCESS_KEY"* ]]
}

@test "ds-kinesis-out: bad records: no key field, an empty or long key" {
	kinesalite_start
	create_stream s 1
	run -1 ds-kinesis-out -k 3 -e "$KURL" s <<<$'#ds1\na\tb'
	[ "${lines[-1]}" = "ds-kinesis-out: stdin:2: no field 3 for the partition key" ]
	run -1 ds-kinesis-out -e "$KURL" s <<<$'#ds1\n\tb'
	[ "${lines[-1]}" = "ds-kinesis-out: stdin:2: partition key of 0 bytes: Kinesis takes 1 to 256" ]
	run -1 ds-kinesis-out -e "$KURL" s < <(printf '#ds1\n%0300d\n' 0)
	[ "${lines[-1]}" = "ds-kinesis-out: stdin:2: partition key of 300 bytes: Kinesis takes 1 to 256" ]
}

@test "ds-kinesis-out: the SigV4 signature, computed independently, matches; a wrong region does not" {
	peer_start sigv4 eu-west-2
	run -0 ds-kinesis-out -R eu-west-2 -e "http://127.0.0.1:$PPORT" s \
	    <<<$'#ds1\na\tb\n%1000'
	run -0 cat "$PLOG"
	[ "$output" = ok ]
	: >"$PLOG"
	run -0 ds-kinesis-out -e "http://127.0.0.1:$PPORT" s <<<$'#ds1\na\n%1'
	run -0 cat "$PLOG"
	[ "$output" = "bad scope us-east-1/kinesis/aws4_request" ]
}

@test "ds-kinesis-out: a profile of ~/.aws/credentials, its region from ~/.aws/config, the session token signed" {
	mkdir "$BATS_TEST_TMPDIR/.aws"
	cat >"$BATS_TEST_TMPDIR/.aws/credentials" <<-EOF2
	[default]
	aws_access_key_id = AKIDDEFAULT
	aws_secret_access_key = wrong
	[p]
	aws_access_key_id = $AWS_ACCESS_KEY_ID
	aws_secret_access_key = $AWS_SECRET_ACCESS_KEY
	aws_session_token = token-of-p
	EOF2
	printf '[profile p]\nregion = ap-south-1\n' >"$BATS_TEST_TMPDIR/.aws/config"
	peer_start sigv4 ap-south-1
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION \
	    HOME="$BATS_TEST_TMPDIR" AWS_PROFILE=p PEER_TOKEN=token-of-p \
	    ds-kinesis-out -e "http://127.0.0.1:$PPORT" s <<<$'#ds1\na\n%1' \
	    >/dev/null
	run -0 cat "$PLOG"
	[ "$output" = ok ]
}
