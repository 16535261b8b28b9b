#!/usr/bin/env bats
# ds-state.bats: state across batches, timeouts, and checkpoints that
# survive SIGKILL at any moment.
load helper

setup() {
	s=$BATS_TEST_TMPDIR/s.ds
	printf '#ds1\na\t1\nb\t2\na\t3\n%%1000\n%%2000\nb\t5\n%%3000\n%%4000\n%%5000\n' >"$s"
	ck=$BATS_TEST_TMPDIR/ck
	mnt=
}

teardown() {
	if [ -n "$mnt" ]; then
		umount "$mnt" 2>/dev/null || true
	fi
}

@test "ds-state: -e all writes the whole state with every batch" {
	golden "$s" sh -c 'ds-state | ds-cat -t' <<'EOF'
1000	a	4
1000	b	2
2000	a	4
2000	b	2
3000	a	4
3000	b	7
4000	a	4
4000	b	7
5000	a	4
5000	b	7
EOF
}

@test "ds-state: -e changed writes only the keys the batch updated" {
	golden "$s" sh -c 'ds-state -e changed | ds-cat -t' <<'EOF'
1000	a	4
1000	b	2
3000	b	7
EOF
}

@test "ds-state: a key times out at the first batch more than -t after its update" {
	# a: updated at 1000, gone at 4000 (4000 - 1000 > 2000); b: at 3000.
	golden "$s" sh -c 'ds-state -t 2s -e changed,expired | ds-cat -t' <<'EOF'
1000	a	4
1000	b	2
3000	b	7
4000	a	4	expired
EOF
}

@test "ds-state: a value in the timeout batch refreshes the key" {
	printf '#ds1\na\t1\n%%1000\na\t1\n%%3000\n%%5000\n%%5001\n' >"$BATS_TEST_TMPDIR/r"
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -t 2s -e all,expired | ds-cat -t' <<'EOF'
1000	a	1
3000	a	2
5000	a	2
5001	a	2	expired
EOF
}

@test "ds-state: an expired key starts again from nothing" {
	printf '#ds1\na\t5\n%%1000\n%%3000\na\t1\n%%4000\n' >"$BATS_TEST_TMPDIR/r"
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -t 1s -e all,expired | ds-cat -t' <<'EOF'
1000	a	5
3000	a	5	expired
4000	a	1
EOF
}

@test "ds-state: the ops of ds-reducebykey accumulate across batches" {
	printf '#ds1\nk\t4\nk\tx\n%%1000\nk\t2.5\nk\ty\n%%2000\n' >"$BATS_TEST_TMPDIR/r"
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -o mean -e changed -I 2>/dev/null | ds-cat -t' <<'EOF'
1000	k	4.0
2000	k	3.25
EOF
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -o last -e changed | ds-cat -t' <<'EOF'
1000	k	x
2000	k	y
EOF
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -o count -e changed | ds-cat -t' <<'EOF'
1000	k	2
2000	k	4
EOF
}

@test "ds-state: -k and -f pick the key and the value" {
	printf 'x\tk\t3\ny\tk\t4\n' >"$BATS_TEST_TMPDIR/r"
	run -0 sh -c 'ds-state -k 2 -f 3 <"$1" | ds-cat' sh "$BATS_TEST_TMPDIR/r"
	assert_output "k	7"
}

@test "ds-state: keys with escapes survive a checkpoint" {
	printf '#ds1\n\\#a\\tb\t1\n\\\\\t2\n%%1000\n' >"$BATS_TEST_TMPDIR/r"
	ds-state -c "$ck" <"$BATS_TEST_TMPDIR/r" >/dev/null
	printf '#ds1\n\\#a\\tb\t1\n%%2000\n' >"$BATS_TEST_TMPDIR/r2"
	golden "$BATS_TEST_TMPDIR/r2" sh -c 'ds-state -c "$0" | ds-cat -j' "$ck" <<'EOF'
["#a\tb","2"]
["\\","2"]
EOF
}

@test "ds-state: the checkpoint is plain text a person can read" {
	ds-state -t 1h -c "$ck" <"$s" >/dev/null
	# Past the store's header line (ds-checkpoint(5), checked by xxhsum).
	run -0 tail -n +2 "$ck/state"
	assert_output "$(printf '#ds1\n#ds-state 1 sum\na\t4\t2\t1000\t1\nb\t7\t2\t3000\t3\n%%5000')"
	tail -n +2 "$ck/state" >"$BATS_TEST_TMPDIR/payload"
	run -0 head -n 1 "$ck/state"
	assert_output "ds-checkpoint 1 state 00000000000000000053 $(xxhsum -H1 "$BATS_TEST_TMPDIR/payload" | cut -d' ' -f1)"
}

@test "ds-state: a restart skips the batches the checkpoint holds" {
	ds-state -c "$ck" <"$s" >/dev/null
	printf '#ds1\na\t100\n%%5000\na\t1\n%%6000\n' >"$BATS_TEST_TMPDIR/more"
	golden "$BATS_TEST_TMPDIR/more" sh -c 'ds-state -c "$0" | ds-cat -t' "$ck" <<'EOF'
6000	a	5
6000	b	7
EOF
}

@test "ds-state: -C checkpoints only every interval" {
	ds-state -c "$ck" -C 3s <"$s" >/dev/null
	run -0 tail -n 1 "$ck/state"
	assert_output "%4000"
}

# merge FILE...: the outputs of runs killed and restarted, as one stream:
# a run's torn tail (records with no batch end) is dropped, and a batch
# that came out twice must have come out the same.
merge() {
	awk '
	FNR == 1 { cur = "" }
	/^#/ { next }
	/^%/ {
		t = substr($0, 2) + 0
		if (t in got) {
			if (got[t] != cur) { print "batch " t " differs" > "/dev/stderr"; bad = 1 }
		} else { got[t] = cur; order[++n] = t }
		cur = ""
		next
	}
	{ cur = cur $0 "\n" }
	END {
		print "#ds1"
		for (i = 1; i <= n; i++) { printf "%s", got[order[i]]; print "%" order[i] }
		exit bad
	}' "$@"
}

# batches SEED N RECORDS KEYS: N batches a second apart, each of fewer
# than RECORDS records of a key kI (I below KEYS) and a number.
batches() {
	awk -v seed="$1" -v n="$2" -v m="$3" -v k="$4" 'BEGIN {
		srand(seed); print "#ds1"
		for (b = 1; b <= n; b++) {
			r = int(rand() * m)
			for (i = 0; i < r; i++)
				printf "k%d\t%d\n", int(rand() * k), int(rand() * 100)
			print "%" b * 1000
		} }'
}

@test "ds-state: SIGKILL at random moments loses and repeats nothing" {
	in=$BATS_TEST_TMPDIR/in.ds
	batches 7 1500 5 50 >"$in"
	ds-state -t 20s -e changed,expired <"$in" >"$BATS_TEST_TMPDIR/whole"
	kills=0 n=0
	while :; do
		ds-state -c "$ck" -t 20s -e changed,expired <"$in" \
		    >"$BATS_TEST_TMPDIR/part.$n" &
		pid=$!
		# A random moment: mid-batch, mid-write or mid-checkpoint.
		sleep "0.0$((RANDOM % 30))"
		if kill -9 "$pid" 2>/dev/null; then
			wait "$pid" || true
			kills=$((kills + 1))
		else
			wait "$pid"
			break
		fi
		n=$((n + 1))
		[ "$n" -lt 2000 ]
	done
	echo "# killed $kills times" >&3
	[ "$kills" -gt 5 ]
	merge $(ls "$BATS_TEST_TMPDIR"/part.* | sort -t. -k2,2n) \
	    >"$BATS_TEST_TMPDIR/merged"
	cmp "$BATS_TEST_TMPDIR/merged" "$BATS_TEST_TMPDIR/whole"
}

@test "ds-state: a restart after any batch continues as if never stopped, every op and Lua" {
	local op k n
	in=$BATS_TEST_TMPDIR/in.ds
	# 20 batches with gaps (for -t), ints, floats, and keys that come back.
	awk 'BEGIN { srand(11); print "#ds1"; t = 0
		for (b = 1; b <= 20; b++) {
			n = int(rand() * 4)
			for (i = 0; i < n; i++)
				printf "k%d\t%s\n", int(rand() * 5),
				    rand() < 0.5 ? int(rand() * 20) - 10 :
				    sprintf("%.1f", rand() * 10)
			t += rand() < 0.2 ? 4000 : 1000
			print "%" t
		} }' >"$in"
	n=$(grep -c '^%' "$in")
	# A Lua state that is a string reading as a number must stay a
	# string ("007", not 7), and a float state must stay a float.
	for op in "-o sum" "-o count" "-o min" "-o max" "-o mean" "-o first" \
	    "-o last" 'string.format("%03d", #values + (state and tonumber(state) or 0))' \
	    '(state or 0.5) + #values'; do
		if [ "${op#-o }" != "$op" ]; then
			set -- $op
		else
			set -- "$op"
		fi
		ds-state -t 3s -e all,expired "$@" <"$in" >"$BATS_TEST_TMPDIR/whole"
		for k in $(seq 1 "$n"); do
			rm -rf "$ck"
			awk -v k="$k" '{ print } /^%/ && ++b == k { exit }' "$in" |
			    ds-state -c "$ck" -t 3s -e all,expired "$@" \
			    >"$BATS_TEST_TMPDIR/before"
			ds-state -c "$ck" -t 3s -e all,expired "$@" <"$in" |
			    sed 1d >"$BATS_TEST_TMPDIR/after"
			cat "$BATS_TEST_TMPDIR/before" "$BATS_TEST_TMPDIR/after" |
			    diff -u "$BATS_TEST_TMPDIR/whole" - ||
			    { echo "$op, restarted after batch $k" >&2; false; }
		done
	done
}

@test "ds-state: a checkpoint that does not parse is an error, never replaced" {
	mkdir "$ck"
	printf 'garbage\n' >"$ck/state"
	run -1 --separate-stderr ds-state -c "$ck" <"$s"
	assert_equal "$stderr" "ds-state: $ck/state: not a ds-state checkpoint for -o sum"
	run -0 cat "$ck/state"
	assert_output garbage
}

@test "ds-state: a checkpoint of another op is refused" {
	ds-state -c "$ck" <"$s" >/dev/null
	run -1 --separate-stderr ds-state -o max -c "$ck" <"$s"
	assert_equal "$stderr" "ds-state: $ck/state: not a ds-state checkpoint for -o max"
}

@test "ds-state: a truncated checkpoint gives way to the previous, else is an error" {
	ds-state -c "$ck" <"$s" >/dev/null
	head -n 3 "$ck/state" >"$ck/cut" && mv "$ck/cut" "$ck/state"
	# The previous checkpoint is of batch 4000: 5000 is done again.
	run -0 --separate-stderr sh -c 'ds-state -c "$0" <"$1" | ds-cat -t' "$ck" "$s"
	assert_output "$(printf '5000\ta\t4\n5000\tb\t7')"
	assert_equal "$stderr" "ds-state: $ck/state: torn: 21 bytes of 53; using $ck/state.prev"
	head -n 3 "$ck/state" >"$ck/cut" && mv "$ck/cut" "$ck/state"
	head -n 3 "$ck/state.prev" >"$ck/cut" && mv "$ck/cut" "$ck/state.prev"
	run -1 --separate-stderr ds-state -c "$ck" <"$s"
	assert_equal "$stderr" "ds-state: $ck/state: torn: 21 bytes of 53 (and state.prev: torn: 21 bytes of 53)"
	# A checkpoint whole but for its last batch end.
	ds-state -c "$ck.2" <"$s" >/dev/null
	sed -i '$d' "$ck.2/state" && reseal "$ck.2/state"
	run -1 --separate-stderr ds-state -c "$ck.2" <"$s"
	assert_equal "$stderr" "ds-state: $ck.2/state: truncated"
}

@test "ds-state: a checkpoint that fails its checksum gives way to the previous" {
	ds-state -c "$ck" <"$s" >/dev/null
	sed -i '4s/	2	/	x	/' "$ck/state"
	run -0 --separate-stderr ds-state -c "$ck" <"$s"
	assert_equal "$stderr" "ds-state: $ck/state: checksum mismatch; using $ck/state.prev"
}

@test "ds-state: a bad checkpoint record names its line" {
	ds-state -c "$ck" <"$s" >/dev/null
	sed -i '4s/	2	/	x	/' "$ck/state" && reseal "$ck/state"
	run -1 --separate-stderr ds-state -c "$ck" <"$s"
	assert_equal "$stderr" "ds-state: $ck/state:4: not a checkpoint record"
}

@test "ds-state: a value that is not a number is an error unless -I" {
	printf 'a\tx\n' >"$BATS_TEST_TMPDIR/r"
	run -1 --separate-stderr ds-state <"$BATS_TEST_TMPDIR/r"
	assert_equal "$stderr" 'ds-state: stdin:1: field 2: not a number: "x"'
	run -0 --separate-stderr ds-state -I <"$BATS_TEST_TMPDIR/r"
	assert_equal "$stderr" 'ds-state: values skipped, not numbers: 1'
}

@test "ds-state: usage errors exit 2" {
	run -2 --separate-stderr ds-state -e some
	assert_equal "$stderr" "ds-state: -e some: not a list of all, changed and expired"
	run -2 --separate-stderr ds-state -t 0
	assert_equal "$stderr" "ds-state: -t 0: not a positive duration"
	run -2 --separate-stderr ds-state -C 1s
	assert_equal "$stderr" "ds-state: -C needs -c"
	run -2 --separate-stderr ds-state -o median
	assert_equal "$stderr" "ds-state: -o median: unknown operation"
	run -2 --separate-stderr ds-state one two
	assert_equal "$stderr" "usage: $(synopsis_of ds-state)"
}

@test "ds-state: -h prints the usage on stdout" {
	run -0 --separate-stderr ds-state -h
	assert_output "usage: $(synopsis_of ds-state)"
}

@test "ds-state: a write error is reported" {
	run -1 --separate-stderr sh -c 'ds-state <"$1" >/dev/full' sh "$s"
	assert_equal "$stderr" "ds-state: stdout: No space left on device"
}

@test "ds-state: a Lua update gets the batch's values and the state" {
	printf '#ds1\na\t1\nb\t2\na\t3\n%%1000\na\t10\nb\tx\n%%2000\nb\t1\n%%3000\n' >"$BATS_TEST_TMPDIR/r"
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state -e changed "(state or 0) + #values" | ds-cat -t' <<'EOF'
1000	a	2
1000	b	1
2000	a	3
2000	b	2
3000	b	3
EOF
}

@test "ds-state: a Lua update returning nil removes the key" {
	printf '#ds1\na\t1\nb\t2\n%%1000\na\tstop\nb\t3\n%%2000\na\t5\n%%3000\n' >"$BATS_TEST_TMPDIR/r"
	golden "$BATS_TEST_TMPDIR/r" sh -c 'ds-state "values[1] ~= \"stop\" and (state or 0) + values[1] or nil" | ds-cat -t' <<'EOF'
1000	a	1
1000	b	2
2000	b	5
3000	b	5
3000	a	5
EOF
}

@test "ds-state: a Lua state survives a checkpoint, strings and numbers alike" {
	printf '#ds1\na\t1\nb\tx\n%%1000\n' >"$BATS_TEST_TMPDIR/r"
	ds-state -c "$ck" 'state and state .. values[1] or values[1]' <"$BATS_TEST_TMPDIR/r" >/dev/null
	printf '#ds1\na\t2\nb\ty\n%%2000\n' >"$BATS_TEST_TMPDIR/r2"
	golden "$BATS_TEST_TMPDIR/r2" sh -c 'ds-state -c "$0" "state and state .. values[1] or values[1]" | ds-cat' "$ck" <<'EOF'
a	12
b	xy
EOF
}

@test "ds-state: Lua errors" {
	printf 'a\t1\n' >"$BATS_TEST_TMPDIR/r"
	run -1 --separate-stderr ds-state 'values + 1' <"$BATS_TEST_TMPDIR/r"
	assert_equal "$stderr" "ds-state: stdin:1: lua: [string \"values + 1\"]:1: attempt to perform arithmetic on a table value (local 'values')"
	run -2 --separate-stderr ds-state 'values +' <"$BATS_TEST_TMPDIR/r"
	assert_equal "$stderr" "ds-state: lua: [string \"values +\"]:1: unexpected symbol near <eof>"
	run -2 --separate-stderr ds-state -o sum 'state' <"$BATS_TEST_TMPDIR/r"
	assert_equal "$stderr" "ds-state: -o and a Lua update exclude each other"
}

@test "ds-state: with DS_CHECKPOINT, a replay gives again the batches downstream has not committed" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	mkdir "$BATS_TEST_TMPDIR/out"
	ds-state -c "$ck" <"$s" | ds-cat -t >"$BATS_TEST_TMPDIR/first"
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-state.commit"
	assert_output 5000
	# The sink has made batches up to 2000 durable.
	printf '#ds1\n%%1000\n%%2000\n' | ds-save -q "$BATS_TEST_TMPDIR/out/b"
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 2000
	# Replayed from the start: the state is not folded twice, and what
	# the sink lacks comes out as it did.
	golden "$s" sh -c 'ds-state -c "$0" | ds-cat -t' "$ck" <<'EOF2'
3000	a	4
3000	b	7
4000	a	4
4000	b	7
5000	a	4
5000	b	7
EOF2
	# A new batch: the kept output the sink has committed is dropped.
	printf '#ds1\n%%3000\n' | ds-save -q "$BATS_TEST_TMPDIR/out/b"
	printf '#ds1\na\t1\n%%6000\n' | ds-state -c "$ck" | ds-cat -t >/dev/null
	# The keys, then each kept batch: its time and its escaped lines.
	run -0 tail -n +4 "$ck/state"
	assert_output - <<'EOF2'
a	5	3	6000	4
b	7	2	3000	3
4000	a\t4\nb\t7\n
5000	a\t4\nb\t7\n
6000	a\t5\nb\t7\n
%6000
EOF2
}

@test "ds-state: without DS_CHECKPOINT nothing is kept and no commit is written" {
	ds-state -c "$ck" <"$s" >/dev/null
	run -0 sh -c 'tail -n +2 "$0/state" | ds-cat' "$ck"
	assert_output "$(printf 'a\t4\t2\t1000\t1\nb\t7\t2\t3000\t3')"
	run -0 ls -A "$ck"
	assert_output "$(printf 'state\nstate.prev')"
}

@test "ds-state: with -c, an input that ends inside a batch leaves it to the replay" {
	printf '#ds1\na\t1\n%%1000\na\t2\n' >"$BATS_TEST_TMPDIR/cut"
	run -0 --separate-stderr sh -c 'ds-state -c "$0" <"$1" | ds-cat -t' "$ck" "$BATS_TEST_TMPDIR/cut"
	assert_output "$(printf '1000\ta\t1')"
	assert_equal "$stderr" "ds-state: stdin: the input ends inside a batch: left to the replay"
	run -0 tail -n 1 "$ck/state"
	assert_output %1000
}

@test "ds-state: with DS_CHECKPOINT, a last line without LF is torn: a batch end cut short is not folded in" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	# Killed while writing "%20000", the stage before left "%2000"; or
	# a record cut short, alone in its batch, that batch's start.
	for cut in '#ds1\na\t1\n%%1000\na\t2\n%%2000' '#ds1\na\t1\n%%1000\na\t2'; do
		run -0 --separate-stderr sh -c 'printf "$1" |
		    ds-state -c "$0" | ds-cat -t' "$ck" "$cut"
		assert_output "$(printf '1000\ta\t1')"
		assert_equal "$stderr" "ds-state: stdin: the input ends inside a batch: left to the replay"
	done
	run -0 tail -n 1 "$ck/state"
	assert_output %1000
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-state.commit"
	assert_output 1000
	# The replay brings the whole batch, with its true time (and batch
	# 1000's kept output again: no sink has committed it).
	run -0 --separate-stderr sh -c 'printf "#ds1\na\t1\n%%1000\na\t2\n%%20000\n" |
	    ds-state -c "$0" | ds-cat -t' "$ck"
	assert_output "$(printf '1000\ta\t1\n20000\ta\t3')"
	assert_equal "$stderr" ""
}

@test "ds-state: with DS_CHECKPOINT, a stage between passes on no batch whose end was cut short" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	run -0 --separate-stderr sh -c 'printf "#ds1\na b\n%%1000\nc d\n%%2000" |
	    ds-words | ds-cat -t'
	assert_output "$(printf '1000\ta\t1\n1000\tb\t1')"
	assert_equal "$stderr" ""
	# Without it, the last line is a whole one.
	unset DS_CHECKPOINT
	run -0 sh -c 'printf "#ds1\na b\n%%1000\nc d\n%%2000" | ds-words | ds-cat -t'
	assert_output "$(printf '1000\ta\t1\n1000\tb\t1\n2000\tc\t1\n2000\td\t1')"
}

@test "ds-state: a full disk fails the checkpoint, naming it, and leaves the last one whole" {
	mnt=$BATS_TEST_TMPDIR/full
	mkdir "$mnt"
	mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null ||
	    skip "cannot mount a tmpfs (needs root)"
	# A first checkpoint that fits, then one of 40 KB that cannot sit
	# beside it and its previous.
	printf '#ds1\na\t1\n%%1000\na\t2\n%%2000\n' >"$BATS_TEST_TMPDIR/small"
	ds-state -c "$mnt/ck" <"$BATS_TEST_TMPDIR/small" >/dev/null
	{
		printf '#ds1\n'
		awk 'BEGIN { for (i = 0; i < 4000; i++) printf "key%06d\t1\n", i }'
		printf '%%3000\n'
	} >"$BATS_TEST_TMPDIR/big"
	head -c 20000 /dev/zero >"$mnt/filler"
	run -1 --separate-stderr ds-state -c "$mnt/ck" <"$BATS_TEST_TMPDIR/big"
	assert_equal "$stderr" "ds-state: $mnt/ck/state: No space left on device"
	run -0 ls -A "$mnt/ck"
	assert_output "$(printf 'state\nstate.prev')"
}

# Each program writes its pid, so that either can be killed alone; the
# pipe is the shell's, so that no end of it waits to be opened.
@test "ds-state | ds-save: SIGKILL of either or both at random moments, then a restart, gives the files of a run never killed" {
	local p=$BATS_TEST_TMPDIR
	in=$p/in.ds
	batches 5 300 4 20 >"$in"
	mkdir "$p/whole" "$p/out"
	DS_CHECKPOINT=$p/p0 ds-state -c "$p/c0" -t 5s -e changed,expired \
	    <"$in" | DS_CHECKPOINT=$p/p0 ds-save -q "$p/whole/b"
	export DS_CHECKPOINT=$p/pipe
	kills=0 n=0
	while :; do
		rm -f "$p"/sp "$p"/vp "$p"/sp.rc "$p"/vp.rc
		{ ds-state -c "$ck" -t 5s -e changed,expired <"$in" 2>>"$p/err" &
		  echo $! >"$p/sp"; wait $!; echo $? >"$p/sp.rc"; } |
		    { ds-save -q "$p/out/b" 2>>"$p/err" &
		      echo $! >"$p/vp"; wait $!; echo $? >"$p/vp.rc"; } &
		job=$!
		wait_until 20 test -s "$p/sp" -a -s "$p/vp"
		sp=$(cat "$p/sp") vp=$(cat "$p/vp")
		# A random moment: mid-batch, mid-write or mid-checkpoint.
		sleep "$(printf '0.%03d' $((RANDOM % 40)))"
		if kill -0 "$sp" 2>/dev/null || kill -0 "$vp" 2>/dev/null; then
			case $((RANDOM % 3)) in
			0) kill -9 "$sp" 2>/dev/null || true ;;
			1) kill -9 "$vp" 2>/dev/null || true ;;
			2) kill -9 "$sp" "$vp" 2>/dev/null || true ;;
			esac
			wait "$job" || true
			kills=$((kills + 1))
		else
			wait "$job"
			[ "$(cat "$p/sp.rc" "$p/vp.rc")" = "$(printf '0\n0')" ]
			break
		fi
		n=$((n + 1))
		[ "$n" -lt 1000 ]
	done
	echo "# killed $kills times" >&3
	# A quick machine may finish a run between kills: a few suffice.
	[ "$kills" -ge 5 ]
	diff -r -x '.*' "$p/whole" "$p/out"
	[ "$(ls "$p/out" | wc -l)" -eq 300 ]
}

@test "ds-state: with DS_CHECKPOINT, a batch torn upstream reaches no stage after the one that read it" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	mkdir -p "$DS_CHECKPOINT" "$BATS_TEST_TMPDIR/out"
	# The source died inside batch 2000: its records went on, its end
	# never came.  A stateless stage between must not close it by the
	# clock, or ds-state would fold in, and ds-save keep, a batch that
	# the replay then sends again whole.
	printf '#ds1\na b\n%%1000\na c\n' |
	    ds-words | ds-reducebykey >"$BATS_TEST_TMPDIR/mid"
	diff -u - "$BATS_TEST_TMPDIR/mid" <<-'EOS'
	#ds1
	a	1
	b	1
	%1000
	EOS
	run -0 --separate-stderr sh -c 'printf "#ds1\na b\n%%1000\na c\n" |
	    ds-words | ds-reducebykey | ds-state -c "$0" | ds-save "$1/b" |
	    ds-cat -t' "$ck" "$BATS_TEST_TMPDIR/out"
	assert_output "$(printf '1000\ta\t1\n1000\tb\t1')"
	assert_equal "$stderr" ""
	run -0 ls -A "$BATS_TEST_TMPDIR/out"
	assert_output b-1000
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 1000
	# Without it, the end of the input still closes the last batch.
	unset DS_CHECKPOINT
	run -0 sh -c 'printf "#ds1\na\n%%1000\nc\n" | ds-words | ds-cat -t'
	[ "${#lines[@]}" -eq 2 ]
}
