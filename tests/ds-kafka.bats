#!/usr/bin/env bats
# ds-kafka.bats: topics of the mock cluster (tests/kafka-mock) into
# batches, kcat producing: the clock, values and metadata byte for byte,
# groups and their commits, outages, -R, stopping, and each failure.
load helper
load kafka

# Short group timeouts: the mock's rejoin waits session.timeout.ms.
G="-X session.timeout.ms=3000 -X heartbeat.interval.ms=500"

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
	kafka_start -n 3 t1:1 t6:6 lines:1
}

teardown() {
	local p

	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	kafka_stop
}

# consume NAME ARGS...: ds-kafka -b $B ARGS in the background, its output
# in $T/NAME.out and .err, its PID in $pid.
consume() {
	local name=$1

	shift
	ds-kafka -b "$B" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	pid=$!
	pids+=("$pid")
}

records() {
	grep -av '^[#%]' "$1" || true
}

has_records() {
	[ "$(records "$1" | wc -l)" -ge "$2" ]
}

has_batches() {
	[ "$(grep -c '^%' "$1")" -ge "$2" ]
}

has_line() {
	grep -q -- "$2" "$1"
}

# stop PID: SIGTERM, and its exit status must be 0.
stop() {
	kill -TERM "$1"
	wait "$1"
}

@test "ds-kafka: an empty topic gives empty batches on the clock" {
	consume a -i 200ms t1
	wait_until 10 has_batches "$T/a.out" 5
	stop "$pid"
	[ "$(head -n 1 "$T/a.out")" = '#ds1' ]
	[ -z "$(records "$T/a.out")" ]
	# Consecutive multiples of the interval.
	sed 1d "$T/a.out" | tr -d % | awk 'NR > 1 && $1 != prev + 200 { exit 1 }
	    $1 % 200 != 0 { exit 1 } { prev = $1 }'
	[ ! -s "$T/a.err" ]
}

@test "ds-kafka: values as records, -o earliest, in each partition's order" {
	seq 1 100 | kcat -b "$B" -P -t t6
	consume a -o earliest -i 200ms t6
	wait_until 20 has_records "$T/a.out" 100
	stop "$pid"
	[ "$(records "$T/a.out" | sort -n)" = "$(seq 1 100)" ]
	[ ! -s "$T/a.err" ]
}

@test "ds-kafka: -m writes key, value, topic, partition, offset, timestamp" {
	printf 'k1:v1\nk2:v2\n' | kcat -b "$B" -P -t t1 -K :
	printf 'nokey\n' | kcat -b "$B" -P -t t1
	consume a -m -o earliest t1
	wait_until 20 has_records "$T/a.out" 3
	stop "$pid"
	records "$T/a.out" | cut -f 1-5 >"$T/got"
	printf 'k1\tv1\tt1\t0\t0\nk2\tv2\tt1\t0\t1\n\tnokey\tt1\t0\t2\n' |
	    diff -u - "$T/got"
	# A timestamp of now, in milliseconds.
	records "$T/a.out" | cut -f 6 | awk -v now="$(date +%s)" '
	    $1 / 1000 < now - 60 || $1 / 1000 > now + 60 { exit 1 }'
}

@test "ds-kafka: keys and values of any bytes come escaped, byte for byte" {
	printf 'k\t\001\\|a\tb\nc\r\000\377@@' |
	    kcat -b "$B" -P -t t1 -K '|' -D '@@'
	consume a -m -o earliest t1
	wait_until 20 has_records "$T/a.out" 1
	stop "$pid"
	records "$T/a.out" | cut -f 1,2 >"$T/got"
	printf 'k\\t\001\\\\\ta\\tb\\nc\\r\000\377\n' | cmp - "$T/got"
	# ds-cat undoes the escapes.
	records "$T/a.out" | cut -f 1,2 | sed '1s/^/#ds1\n/' | ds-cat >"$T/raw"
	printf 'k\t\001\\\ta\tb\nc\r\000\377\n' | cmp - "$T/raw"
}

@test "ds-kafka: partitions assigned by hand, and -o latest" {
	printf 'a\nb\nc\nd\ne\nf\n' | kcat -b "$B" -P -t t6 -p 0
	printf 'x\n' | kcat -b "$B" -P -t t6 -p 3
	consume a -o earliest t6:0,2
	wait_until 20 has_records "$T/a.out" 6
	consume b t6:3
	wait_until 10 has_batches "$T/b.out" 2
	printf 'y\n' | kcat -b "$B" -P -t t6 -p 3
	wait_until 20 has_records "$T/b.out" 1
	stop "${pids[0]}"
	stop "${pids[1]}"
	[ "$(records "$T/a.out" | tr -d '\n')" = abcdef ]
	[ "$(records "$T/b.out")" = y ]
}

@test "ds-kafka: -R caps the records of a batch per partition" {
	seq 1 30 | kcat -b "$B" -P -t t1
	consume a -o earliest -R 20 -i 500ms t1
	wait_until 30 has_records "$T/a.out" 30
	stop "$pid"
	[ "$(records "$T/a.out")" = "$(seq 1 30)" ]
	# At most 10 a batch: 20 a second times 500ms.
	awk '/^%/ { if (n > 10) exit 1; n = 0; next } !/^#/ { n++ }
	    END { if (n > 10) exit 1 }' "$T/a.out"
}

@test "ds-kafka: a group commits what it wrote; SIGTERM mid-batch closes the batch" {
	seq 1 5 | kcat -b "$B" -P -t t1
	consume a -g g -o earliest -i 1h $G t1
	wait_until 30 has_records "$T/a.out" 5
	stop "$pid"
	# The open batch was closed at its time, the next hour.
	[ "$(tail -n 1 "$T/a.out")" = "%$(( ($(date +%s) / 3600 + 1) * 3600000 ))" ]
	[ "$(records "$T/a.out")" = "$(seq 1 5)" ]
	seq 6 8 | kcat -b "$B" -P -t t1
	# The group resumes after what was written.
	consume b -g g -o earliest -i 200ms $G t1
	wait_until 30 has_records "$T/b.out" 3
	stop "$pid"
	[ "$(records "$T/b.out")" = "$(seq 6 8)" ]
}

@test "ds-kafka: | head -1 ends quietly" {
	seq 1 10 | kcat -b "$B" -P -t t1
	run -0 --separate-stderr timeout 20 \
	    bash -o pipefail -c "ds-kafka -b '$B' -o earliest t1 | head -n 1"
	assert_output '#ds1'
	[ -z "$stderr" ]
	run -0 --separate-stderr timeout 20 bash -c \
	    "ds-kafka -b '$B' -o earliest t1 | grep -m 1 -v '^[#%]'"
	assert_output 1
	[ -z "$stderr" ]
}

@test "ds-kafka: brokers down at start: empty batches, said once, then connected" {
	kafka_cmd down -1
	consume a -o earliest -i 200ms t1
	wait_until 10 has_batches "$T/a.out" 5
	wait_until 10 has_line "$T/a.err" 'batches go on empty'
	kafka_cmd up -1
	wait_until 20 has_line "$T/a.err" connected
	printf 'hello\n' | kcat -b "$B" -P -t t1
	wait_until 20 has_records "$T/a.out" 1
	stop "$pid"
	[ "$(records "$T/a.out")" = hello ]
	[ "$(wc -l <"$T/a.err")" -eq 2 ]
	[[ "$(sed -n 1p "$T/a.err")" == "ds-kafka: $B: "*"; batches go on empty until they are back" ]]
	[ "$(sed -n 2p "$T/a.err")" = "ds-kafka: $B: connected" ]
}

@test "ds-kafka: brokers down mid-stream: batches go on, nothing lost" {
	consume a -o earliest -i 200ms t6
	seq 1 10 | kcat -b "$B" -P -t t6
	wait_until 20 has_records "$T/a.out" 10
	kafka_cmd down -1
	wait_until 10 has_line "$T/a.err" 'brokers are down'
	n=$(grep -c '^%' "$T/a.out" || true)	# none yet: grep -c says 0 and fails
	wait_until 10 has_batches "$T/a.out" $((n + 5))
	kafka_cmd up -1
	wait_until 20 has_line "$T/a.err" connected
	seq 11 20 | kcat -b "$B" -P -t t6
	wait_until 20 has_records "$T/a.out" 20
	stop "$pid"
	[ "$(records "$T/a.out" | sort -n)" = "$(seq 1 20)" ]
}

@test "ds-kafka: an unknown topic is an error naming it" {
	run -1 --separate-stderr timeout 20 ds-kafka -b "$B" nope
	assert_equal "$stderr" \
	    'ds-kafka: topic nope: Broker: Unknown topic or partition'
	assert_output '#ds1'
}

@test "ds-kafka: usage errors and a bad -X" {
	run -2 ds-kafka
	run -2 ds-kafka -o middle t1
	run -2 ds-kafka -R 0 t1
	run -2 ds-kafka t1:x
	run -2 ds-kafka -g g t1 t6:1
	run -2 --separate-stderr ds-kafka -X no.such=1 t1
	assert_equal "$stderr" \
	    'ds-kafka: -X no.such: No such configuration property: "no.such"'
	run -0 ds-kafka -h
	assert_output "usage: $(synopsis_of ds-kafka)"
}

# owns I: the partitions of t6 that c$I holds after the assignments and
# revocations -v said, one a line.
owns() {
	sed -n 's/^ds-kafka: \(assigned\|revoked\) t6:/\1 /p' "$T/c$1.err" |
	    awk '{ n = split($2, p, ","); for (i = 1; i <= n; i++)
	    if ($1 == "assigned") own[p[i]] = 1; else delete own[p[i]] }
	    END { for (q in own) print q }' | sort
}

# settled I...: the members named hold the six partitions between them,
# each partition once.
settled() {
	local i

	for i; do
		owns "$i"
	done | sort | tr -d '\n' | grep -qx 012345
}

# quiet: no member has said a change of its partitions for 3 seconds.
quiet() {
	[ $(($(date +%s) - $(stat -c %Y "$T"/c?.err | sort -n |
	    tail -n 1))) -ge 3 ]
}

# all_have N: the consumers c1..c3 have written N records between them.
all_have() {
	[ "$(cat "$T"/c?.out | grep -avc '^[#%]')" -ge "$1" ]
}

# key_totals FILE...: each key's count over the -m records of FILEs.
key_totals() {
	cat "$@" | grep -av '^[#%]' | cut -f 1 | sort | uniq -c |
	    awk '{ print $2 "\t" $1 }'
}

# covers: every key of the input read at least as often as it was sent,
# over c1..c3.
covers() {
	key_totals "$T"/c?.out | awk 'NR == FNR { want[$1] = $2; next }
	    { got[$1] = $2 } END { for (w in want) if (got[w] < want[w])
	    exit 1 }' "$T/want" -
}

# One member stops (SIGTERM) while its partitions still hold messages
# (-R keeps them from being read at once): it commits what it wrote and
# leaves; under the cooperative protocol the others keep theirs through
# the rebalance and take its partitions from its commit.  Over the three
# outputs each key comes exactly as often as it was sent.
@test "ds-kafka: three of a group share six partitions; one stops mid-stream, the others take its share, totals exact" {
	local i

	expect_totals >"$T/want"
	for i in 1 2 3; do
		consume c$i -v -m -g counters -o earliest -i 200ms -R 20 $G t6
	done
	wait_until 60 settled 1 2 3
	wait_until 30 quiet
	settled 1 2 3
	# Each member has partitions of its own.
	for i in 1 2 3; do
		[ -n "$(owns $i)" ]
	done
	owns 1 >"$T/c1.parts"
	for i in $(seq 1 600); do
		echo "w$((i % 17)):w$((i % 17))"
	done | kcat -b "$B" -P -t t6 -K :
	wait_until 60 has_records "$T/c1.out" 10
	stop "${pids[0]}"
	wait_until 40 covers
	wait_until 30 settled 2 3
	stop "${pids[1]}"
	stop "${pids[2]}"
	key_totals "$T"/c?.out | diff -u "$T/want" - || {
		grep -H . "$T"/c?.err | sed 's/^/# /' >&3; false; }
	# It stopped mid-stream: the others read some of its partitions.
	[ "$(records "$T/c1.out" | wc -l)" -lt "$(cat "$T"/c?.out |
	    grep -av '^[#%]' | cut -f 4 | grep -cxF -f "$T/c1.parts")" ]
	# Nothing but -v's lines on stderr: no refused commit.
	! grep -hv 'ds-kafka: \(assigned\|revoked\) ' "$T"/c?.err
}

@test "ds-kafka: README's example, kcat producing into the word count" {
	consume a -o earliest -i 500ms lines
	printf 'the cat\nthe hat\n' | kcat -b "$B" -P -t lines
	wait_until 30 has_records "$T/a.out" 2
	stop "$pid"
	run -0 sh -c "ds-words <'$T/a.out' | ds-reducebykey | ds-cat | sort"
	assert_output "$(printf 'cat\t1\nhat\t1\nthe\t2')"
}

# expect_totals: the count of each word of inputs 1..600 (w0..w16).
expect_totals() {
	seq 1 600 | awk '{ n["w" ($1 % 17)]++ }
	    END { for (w in n) print w "\t" n[w] }' | sort
}

# latest_is FILE: the newest batch file ds-save wrote holds FILE's lines.
latest_is() {
	local f

	f=$(ls "$T/out" | sort | tail -n 1)
	[ -n "$f" ] && sort "$T/out/$f" | cmp -s - "$1"
}

# prefixes TOPIC FILE...: each saved state FILE counts, for each
# partition of the topic, exactly the keys of a prefix of the partition's
# messages (TOPIC: kcat's "partition<TAB>key" lines, each partition in
# order): nothing skipped, nothing counted twice, at every batch.
prefixes() {
	awk -F '\t' 'FNR == 1 { nf++ }
	    nf == 1 { n[$1]++; seq[$1, n[$1]] = $2; part[$2] = $1; next }
	    { got[FILENAME, $1] = $2; files[FILENAME] = 1 }
	    END { for (f in files) for (p in n) {
	        m = 0
	        for (k in part) if (part[k] == p) m += got[f, k]
	        if (m > n[p]) { print f ": partition " p ": " m " > " n[p]; exit 1 }
	        split("", c)
	        for (i = 1; i <= m; i++) c[seq[p, i]]++
	        for (k in part) if (part[k] == p && c[k] + 0 != got[f, k] + 0) {
	            print f ": partition " p ": key " k ": " got[f, k] + 0 \
	                " not the first " m " messages'\'' " c[k] + 0; exit 1 }
	    } }' "$@"
}

# KAFKA_KILLS (4 by default, to keep make test short; 20 for the issue's
# run) kills of each stage of the issue's pipeline, in a random order,
# each at a random moment, and a restart after each.  The output is the same as a run never killed
# whatever the moments: the final state is the input's totals, each batch
# file ever saved keeps its bytes (a replayed batch rewrites it the same),
# and each is the state after whole prefixes of the partitions.  The
# stateless stage between ds-kafka and ds-state must leave a batch that a
# killed ds-kafka left torn to the replay, as every reader does under
# DS_CHECKPOINT (ds(5)).
@test "ds-kafka -c: SIGKILL of any stage at random moments, then a restart: every message counted once" {
	local kills=${KAFKA_KILLS:-4} stage i n=0 job pids_run rate

	RANDOM=16
	# Slow enough that messages flow through most of the kills, fast
	# enough that they are all in by the last.
	rate=$(((200 + kills - 1) / kills))
	expect_totals >"$T/want"
	for i in $(seq 1 300); do
		echo "w$((i % 17)):w$((i % 17))"
	done | kcat -b "$B" -P -t t6 -K :
	export DS_CHECKPOINT=$T/pipe
	mkdir "$T/out"
	: >"$T/sums"
	for stage in $(for i in $(seq 1 "$kills"); do echo 0 1 2 3; done |
	    tr ' ' '\n' | shuf --random-source=<(yes)) last; do
		rm -f "$T"/p?
		{ stage 0 ds-kafka -b "$B" -c "$T/c1" -m -o earliest -i 200ms \
		    -R "$rate" t6 |
		    stage 1 ds-reducebykey -o count |
		    stage 2 ds-state -c "$T/c2" -o sum |
		    stage 3 ds-save -q "$T/out/b"; } 2>>"$T/err" &
		job=$!
		stages_up
		if [ "$n" -eq $((kills * 4 / 2)) ]; then
			for i in $(seq 301 600); do
				echo "w$((i % 17)):w$((i % 17))"
			done | kcat -b "$B" -P -t t6 -K :
		fi
		n=$((n + 1))
		if [ "$stage" = last ]; then
			wait_until 60 latest_is "$T/want" || {
				f=$(ls "$T/out" | sort | tail -n 1)
				sort "$T/out/$f" | diff "$T/want" - >&3
				cat "$T/err" >&3; cat "$T/c1/kafka-ranges.ds" >&3
				false; }
			kill -TERM "${pids_run[0]}"
		else
			# Half a second is two batches and a half: any phase.
			sleep "0.$((RANDOM % 5))$((RANDOM % 10))"
			kill -9 "${pids_run[$stage]}"
		fi
		wait "$job" || true
		pids=()
		# What was saved so far, to hold the later runs to it.
		(cd "$T/out" && ls | grep -v '^\.' | xargs -r md5sum) >>"$T/sums"
	done
	# Nothing but the kills' own words on stderr.
	! grep -v 'Broken pipe\|Killed\|using its previous' "$T/err"
	latest_is "$T/want"
	(cd "$T/out" && sort -u "$T/sums" | md5sum -c --quiet)
	kcat_read t6 -f '%p\t%k\n' >"$T/topic"
	[ "$(wc -l <"$T/topic")" -eq 600 ]
	(cd "$T/out" && prefixes "$T/topic" b*)
}
