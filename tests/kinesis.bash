# kinesis.bash: kinesalite started and stopped by the tests, and the calls
# the tests make to it with curl (an independent peer).

export AWS_ACCESS_KEY_ID=AKIDTESTS
export AWS_SECRET_ACCESS_KEY=tests-secret-not-real
export AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL

# kinesalite_start [PORT [LEVELDB-DIR]]: start kinesalite on 127.0.0.1,
# setting KPID and KPORT and KURL.
kinesalite_start() {
	local out=$BATS_TEST_TMPDIR/kinesalite.out
	[ -d "$BATS_TEST_DIRNAME/node_modules/kinesalite" ] ||
	    skip "kinesalite not installed (npm install in tests/)"
	: >"$out"
	node "$BATS_TEST_DIRNAME/kinesalite.js" "${1:-0}" ${2:+"$2"} \
	    >"$out" 2>&1 &
	KPID=$!
	wait_until 20 grep -q '^port ' "$out"
	KPORT=$(sed -n 's/^port //p' "$out")
	KURL=http://127.0.0.1:$KPORT
}

kinesalite_stop() {
	if [ -n "${KPID:-}" ]; then
		kill "$KPID" 2>/dev/null || true
		wait "$KPID" 2>/dev/null || true
		KPID=
	fi
}

# kin ACTION JSON: call kinesalite; the body on stdout, fails on an error.
kin() {
	curl -sS --fail-with-body --aws-sigv4 "aws:amz:us-east-1:kinesis" \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "X-Amz-Target: Kinesis_20131202.$1" \
	    -H 'Content-Type: application/x-amz-json-1.1' \
	    --data-binary "$2" "$KURL/"
}

stream_active() {
	kin DescribeStreamSummary "{\"StreamName\":\"$1\"}" |
	    grep -q '"StreamStatus":"ACTIVE"'
}

# create_stream NAME SHARDS
create_stream() {
	kin CreateStream "{\"StreamName\":\"$1\",\"ShardCount\":$2}" >/dev/null
	wait_until 10 stream_active "$1"
}

# put KEY DATA STREAM: one record, its data given as bytes.
put() {
	kin PutRecord "{\"StreamName\":\"$3\",\"PartitionKey\":\"$1\",\"Data\":\"$(printf %s "$2" | base64 -w0)\"}" >/dev/null
}

# peer_start MODE ARGS...: tests/awspeer.py on 127.0.0.1 (see it), with
# PPID_ its pid, PPORT its port and PLOG its log.
peer_start() {
	local mode=$1
	shift
	PLOG=$BATS_TEST_TMPDIR/peer.log
	rm -f "$BATS_TEST_TMPDIR/peer.port" "$PLOG"
	/usr/bin/python3 "$BATS_TEST_DIRNAME/awspeer.py" "$mode" \
	    "$BATS_TEST_TMPDIR/peer.port" "$PLOG" "$@" &
	PEERPID=$!
	wait_until 20 test -s "$BATS_TEST_TMPDIR/peer.port"
	PPORT=$(cat "$BATS_TEST_TMPDIR/peer.port")
}

peer_stop() {
	if [ -n "${PEERPID:-}" ]; then
		kill "$PEERPID" 2>/dev/null || true
		wait "$PEERPID" 2>/dev/null || true
		PEERPID=
	fi
}

# has_batches N FILE: FILE holds at least N batch ends.
has_batches() {
	[ "$(grep -c '^%' "$2")" -ge "$1" ]
}
