#!/usr/bin/env bats
# ds-kinesis against kinesalite, and through tests/awspeer.py's proxy
# where the peer must throttle, fail or go down.

load helper
load kinesis

teardown() {
	[ -z "${DSPID:-}" ] || kill -9 "$DSPID" 2>/dev/null || true
	peer_stop
	kinesalite_stop
}

# start_reader OUT ARGS...: ds-kinesis ARGS in the background, its
# stdout to OUT, its stderr to OUT.err; DSPID its pid.
start_reader() {
	local o=$1
	shift
	ds-kinesis "$@" >"$o" 2>"$o.err" &
	DSPID=$!
}

# has N FILE: FILE holds at least N records (lines not # or %).
has() {
	[ "$(grep -vc '^[#%]' "$2")" -ge "$1" ]
}

# puts FROM TO STREAM: records kFROM..kTO, each keyed by itself mod 3.
puts() {
	local i
	for i in $(seq "$1" "$2"); do
		put "key$((i % 3))" "v$i" "$3"
	done
}

@test "ds-kinesis: usage" {
	run -2 ds-kinesis
	[ "$output" = "usage: $(synopsis_of ds-kinesis)" ]
	run -2 ds-kinesis -p earliest s
	[ "$output" = "ds-kinesis: -p earliest: not trim-horizon, latest or at-timestamp:TIME" ]
	run -2 ds-kinesis -i 0 s
	run -0 ds-kinesis -h
	[ "$output" = "usage: $(synopsis_of ds-kinesis)" ]
}

@test "ds-kinesis: two shards, -m: key, data, shard, sequence number, arrival time" {
	kinesalite_start
	create_stream s 2
	put a one s
	put b two s
	run -0 --separate-stderr ds-kinesis -m -p trim-horizon -i 100ms -N 3 \
	    -e "$KURL" s
	[ -z "$stderr" ]
	[ "${lines[0]}" = "#ds1" ]
	printf '%s\n' "${lines[@]}" | grep -v '^[#%]' |
	    awk -F '\t' '{ print $1, $2, $3, ($4 ~ /^[0-9]+$/),
		($5 > 1700000000000) }' | sort >"$BATS_TEST_TMPDIR/got"
	diff -u - "$BATS_TEST_TMPDIR/got" <<-'EOF2'
	a one shardId-000000000000 1 1
	b two shardId-000000000001 1 1
	EOF2
	# Three batch ends on the multiples of 100 ms, in order.
	[ "$(printf '%s\n' "${lines[@]}" | grep -c '^%')" -eq 3 ]
	printf '%s\n' "${lines[@]}" | sed -n 's/^%//p' |
	    awk 'NR > 1 && $1 != p + 100 { exit 1 } $1 % 100 { exit 1 }
		{ p = $1 }'
}

@test "ds-kinesis: no records: empty batches on time" {
	kinesalite_start
	create_stream s 1
	run -0 --separate-stderr ds-kinesis -i 200ms -N 3 -e "$KURL" s
	[ "${#lines[@]}" -eq 4 ]
	[ -z "$stderr" ]
	printf '%s\n' "${lines[@]:1}" | sed 's/^%//' |
	    awk '$1 % 200 { exit 1 }'
}

@test "ds-kinesis: -p latest skips what was there; at-timestamp starts there" {
	kinesalite_start
	create_stream s 1
	put k old s
	peer_start proxy "$KURL"
	start_reader "$BATS_TEST_TMPDIR/o" -m -i 100ms \
	    -e "http://127.0.0.1:$PPORT" s
	# Its iterator is taken once it has called GetRecords.
	wait_until 10 grep -q GetRecords "$PLOG"
	put k new s
	wait_until 10 has 1 "$BATS_TEST_TMPDIR/o"
	kill "$DSPID"
	wait "$DSPID"
	[ "$(grep -v '^[#%]' "$BATS_TEST_TMPDIR/o" | cut -f 2)" = new ]
	# From just after new's arrival: newest only.
	at=$(grep -v '^[#%]' "$BATS_TEST_TMPDIR/o" | cut -f 5)
	put k newest s
	run -0 ds-kinesis -p "at-timestamp:$((at + 1))" -i 100ms -N 5 \
	    -e "$KURL" s
	[ "$(printf '%s\n' "${lines[@]}" | grep -v '^[#%]')" = newest ]
	run -0 ds-kinesis -p "at-timestamp:$at" -i 100ms -N 5 -e "$KURL" s
	[ "$(printf '%s\n' "${lines[@]}" | grep -v '^[#%]')" = $'new\nnewest' ]
}

@test "ds-kinesis: binary data and a 1 MB record, through ds-kinesis-out" {
	kinesalite_start
	create_stream s 1
	/usr/bin/python3 -c '
import sys
esc = {9: b"\\t", 10: b"\\n", 13: b"\\r", 92: b"\\\\"}
f = b"".join(esc.get(b, bytes([b])) for b in range(256))
sys.stdout.buffer.write(b"#ds1\nk1\t" + f + b"\nk2\t" +
    b"x" * (1024 * 1024 - 8) + b"\n%1000\n")' >"$BATS_TEST_TMPDIR/in"
	ds-kinesis-out -e "$KURL" s <"$BATS_TEST_TMPDIR/in" >/dev/null
	ds-kinesis -p trim-horizon -i 200ms -N 3 -e "$KURL" s \
	    >"$BATS_TEST_TMPDIR/out"
	grep -av '^%' "$BATS_TEST_TMPDIR/out" >"$BATS_TEST_TMPDIR/got"
	# The data is the record, its fields joined by a TAB (escaped).
	grep -av '^%' "$BATS_TEST_TMPDIR/in" | sed 's/\t/\\t/' |
	    cmp - "$BATS_TEST_TMPDIR/got"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/got")" -gt 1048576 ]
}

@test "ds-kinesis: round trip: ds-kinesis-out then ds-kinesis gives the input" {
	kinesalite_start
	create_stream s 3
	gen_stream 300 7 1 'a b c\\td e\\\\f' |
	    awk -F '\t' '/^[#%]/ || $1 != ""' >"$BATS_TEST_TMPDIR/in"
	ds-kinesis-out -e "$KURL" s <"$BATS_TEST_TMPDIR/in" >/dev/null
	ds-kinesis -m -p trim-horizon -i 200ms -N 3 -e "$KURL" s |
	    cut -f 2 | grep -v '^[#%]' | sort >"$BATS_TEST_TMPDIR/got"
	# -m's field 2 is the data: the record, its fields joined by TAB.
	grep -v '^[#%]' "$BATS_TEST_TMPDIR/in" | sed 's/\t/\\t/g' | sort |
	    diff -u - "$BATS_TEST_TMPDIR/got"
	[ -s "$BATS_TEST_TMPDIR/got" ]
}

@test "ds-kinesis: a split and a merge mid-stream: every record once, each key in order" {
	kinesalite_start
	create_stream s 1
	start_reader "$BATS_TEST_TMPDIR/o" -m -p trim-horizon -i 100ms \
	    -e "$KURL" s
	puts 1 30 s
	kin SplitShard '{"StreamName":"s","ShardToSplit":"shardId-000000000000","NewStartingHashKey":"170141183460469231731687303715884105728"}'
	wait_until 10 stream_active s
	puts 31 60 s
	kin MergeShards '{"StreamName":"s","ShardToMerge":"shardId-000000000001","AdjacentShardToMerge":"shardId-000000000002"}'
	wait_until 10 stream_active s
	puts 61 90 s
	wait_until 40 has 90 "$BATS_TEST_TMPDIR/o"
	kill "$DSPID"
	wait "$DSPID"
	grep -v '^[#%]' "$BATS_TEST_TMPDIR/o" >"$BATS_TEST_TMPDIR/got"
	# Every record once; four shards read.
	[ "$(cut -f 2 "$BATS_TEST_TMPDIR/got" | sort -u | wc -l)" -eq 90 ]
	[ "$(wc -l <"$BATS_TEST_TMPDIR/got")" -eq 90 ]
	[ "$(cut -f 3 "$BATS_TEST_TMPDIR/got" | sort -u | wc -l)" -eq 4 ]
	# Per key, the values in the order they were put.
	for k in key0 key1 key2; do
		awk -F '\t' -v k=$k '$1 == k { print substr($2, 2) }' \
		    "$BATS_TEST_TMPDIR/got" >"$BATS_TEST_TMPDIR/k"
		sort -n "$BATS_TEST_TMPDIR/k" | diff -u - "$BATS_TEST_TMPDIR/k"
	done
	[ ! -s "$BATS_TEST_TMPDIR/o.err" ]
}

@test "ds-kinesis: throttled GetRecords and 5xx: backed off and retried, nothing lost, only the outage reported" {
	kinesalite_start
	create_stream s 1
	puts 1 5 s
	peer_start proxy "$KURL" fail5xx=2 throttle=6
	start_reader "$BATS_TEST_TMPDIR/o" -p trim-horizon -i 100ms \
	    -e "http://127.0.0.1:$PPORT" s
	wait_until 30 has 5 "$BATS_TEST_TMPDIR/o"
	kill "$DSPID"
	wait "$DSPID"
	[ "$(grep -c throttled "$PLOG")" -eq 6 ]
	[ "$(grep -c ' 500' "$PLOG")" -eq 2 ]
	[ "$(grep -v '^[#%]' "$BATS_TEST_TMPDIR/o")" = "$(seq 5 | sed 's/^/v/')" ]
	run -0 cat "$BATS_TEST_TMPDIR/o.err"
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "ds-kinesis: stream s: http://127.0.0.1:$PPORT: InternalFailure (HTTP 500); batches go on empty, retrying" ]
	[ "${lines[1]}" = "ds-kinesis: stream s: http://127.0.0.1:$PPORT: reachable again" ]
}

@test "ds-kinesis: the endpoint down at the start and mid-stream: reported once each, batches on time, reading resumes" {
	kinesalite_start
	create_stream s 2
	touch "$BATS_TEST_TMPDIR/down"
	peer_start proxy "$KURL" "down=$BATS_TEST_TMPDIR/down"
	start_reader "$BATS_TEST_TMPDIR/o" -p trim-horizon -i 100ms \
	    -e "http://127.0.0.1:$PPORT" s
	wait_until 10 has_batches 5 "$BATS_TEST_TMPDIR/o"
	puts 1 10 s
	rm "$BATS_TEST_TMPDIR/down"
	wait_until 20 has 10 "$BATS_TEST_TMPDIR/o"
	touch "$BATS_TEST_TMPDIR/down"
	n=$(grep -c '^%' "$BATS_TEST_TMPDIR/o")
	wait_until 10 has_batches $((n + 5)) "$BATS_TEST_TMPDIR/o"
	puts 11 20 s
	rm "$BATS_TEST_TMPDIR/down"
	wait_until 20 has 20 "$BATS_TEST_TMPDIR/o"
	kill "$DSPID"
	wait "$DSPID"
	grep -v '^[#%]' "$BATS_TEST_TMPDIR/o" | sort >"$BATS_TEST_TMPDIR/got"
	seq 20 | sed 's/^/v/' | sort | diff -u - "$BATS_TEST_TMPDIR/got"
	run -0 cat "$BATS_TEST_TMPDIR/o.err"
	[ "${#lines[@]}" -eq 4 ]
	[[ "${lines[0]}" == "ds-kinesis: stream s: http://127.0.0.1:$PPORT: "*"; batches go on empty, retrying" ]]
	[ "${lines[1]}" = "ds-kinesis: stream s: http://127.0.0.1:$PPORT: reachable again" ]
	[[ "${lines[2]}" == *"; batches go on empty, retrying" ]]
	[ "${lines[3]}" = "${lines[1]}" ]
	# Batch ends kept on the multiples of 100 ms, none skipped.
	sed -n 's/^%//p' "$BATS_TEST_TMPDIR/o" |
	    awk 'NR > 1 && $1 != p + 100 { exit 1 } { p = $1 }'
}

@test "ds-kinesis: a missing stream, a refused request: named, exit 1" {
	kinesalite_start
	run -1 ds-kinesis -N 2 -e "$KURL" nosuch
	[[ "${lines[-1]}" == "ds-kinesis: stream nosuch: no such stream ("*ResourceNotFoundException* ]]
	run -1 env -u AWS_SECRET_ACCESS_KEY HOME="$BATS_TEST_TMPDIR" \
	    ds-kinesis -e "$KURL" s
	[[ "$output" == "ds-kinesis: no credentials: "* ]]
}

@test "ds-kinesis -c: kill -9 and a restart: nothing lost, nothing twice" {
	kinesalite_start
	create_stream s 2
	start_reader "$BATS_TEST_TMPDIR/o1" -c "$BATS_TEST_TMPDIR/ck" \
	    -p trim-horizon -i 100ms -e "$KURL" s
	puts 1 40 s
	wait_until 20 has 20 "$BATS_TEST_TMPDIR/o1"
	kill -9 "$DSPID"
	wait "$DSPID" || true
	puts 41 80 s
	start_reader "$BATS_TEST_TMPDIR/o2" -c "$BATS_TEST_TMPDIR/ck" \
	    -p trim-horizon -i 100ms -e "$KURL" s
	wait_until 20 has 1 "$BATS_TEST_TMPDIR/o2"
	puts 81 100 s
	# The first run's batches that ended; the second run's.
	wait_until 20 eval "{ sed -n '/^%/=' '$BATS_TEST_TMPDIR/o1' | tail -1 |
	    xargs -I@ head -n @ '$BATS_TEST_TMPDIR/o1'; cat '$BATS_TEST_TMPDIR/o2'; } |
	    grep -v '^[#%]' | sort >'$BATS_TEST_TMPDIR/got';
	    [ \$(wc -l <'$BATS_TEST_TMPDIR/got') -ge 100 ]"
	kill "$DSPID"
	wait "$DSPID"
	seq 100 | sed 's/^/v/' | sort | diff -u - "$BATS_TEST_TMPDIR/got"
	# The second run's batches come after the first run's last.
	last1=$(sed -n 's/^%//p' "$BATS_TEST_TMPDIR/o1" | tail -1)
	first2=$(sed -n 's/^%//p' "$BATS_TEST_TMPDIR/o2" | head -1)
	[ "$first2" -gt "$last1" ]
}

@test "ds-kinesis -c with DS_CHECKPOINT: the batches after the pipeline's commit come again, as they were" {
	kinesalite_start
	create_stream s 2
	start_reader "$BATS_TEST_TMPDIR/a" -c "$BATS_TEST_TMPDIR/ck" \
	    -p trim-horizon -i 200ms -N 8 -e "$KURL" s
	puts 1 5 s
	wait_until 10 has_batches 3 "$BATS_TEST_TMPDIR/a"
	puts 6 15 s
	wait_until 10 has_batches 5 "$BATS_TEST_TMPDIR/a"
	puts 16 25 s
	wait "$DSPID"
	DSPID=
	# A sink that made the first three batches durable.
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	mkdir "$BATS_TEST_TMPDIR/saved"
	awk '/^%/ { n++ } { print } n == 3 { exit }' "$BATS_TEST_TMPDIR/a" |
	    ds-save -q "$BATS_TEST_TMPDIR/saved/b"
	ds-kinesis -c "$BATS_TEST_TMPDIR/ck" -p trim-horizon -i 200ms -N 5 \
	    -e "$KURL" s >"$BATS_TEST_TMPDIR/b"
	# Batches 4 to 8 of the first run again, records and times, then
	# the new ones.
	awk '/^%/ { n++; if (n > 3) print; next } n >= 3' "$BATS_TEST_TMPDIR/a" \
	    >"$BATS_TEST_TMPDIR/want"
	n=$(wc -l <"$BATS_TEST_TMPDIR/want")
	[ "$(grep -vc '^[#%]' "$BATS_TEST_TMPDIR/want")" -ge 10 ]
	awk 'NR > 1' "$BATS_TEST_TMPDIR/b" | head -n "$n" |
	    diff -u "$BATS_TEST_TMPDIR/want" -
	# Nothing lost, nothing twice: the first run, then what is new.
	{ cat "$BATS_TEST_TMPDIR/a"; awk -v n="$n" 'NR > n + 1' \
	    "$BATS_TEST_TMPDIR/b"; } | grep -v '^[#%]' | sort |
	    diff -u <(seq 25 | sed 's/^/v/' | sort) -
	[ "$(tail -n 1 "$BATS_TEST_TMPDIR/b" | grep -c '^%')" -eq 1 ]
}
