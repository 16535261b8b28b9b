#!/usr/bin/env bats
# ds-dir.bats: files arriving in a directory, by rename and by slow write,
# in batches on the clock; dotfiles, -a, and restarts with -c that neither
# read a file twice nor skip one.
load helper

setup() {
	in=$BATS_TEST_TMPDIR/in
	stage=$BATS_TEST_TMPDIR/stage
	st=$BATS_TEST_TMPDIR/state
	out=$BATS_TEST_TMPDIR/out
	err=$BATS_TEST_TMPDIR/err
	mkdir "$in" "$stage"
	pids=
}

teardown() {
	local p
	exec 5>&- || true
	for p in $pids; do
		kill -9 "$p" 2>/dev/null || true
	done
}

# run_dir OUT ARGS...: start ds-dir ARGS in the background, stdout to OUT,
# and wait until it watches: with -i 100ms, until its first batch end.
run_dir() {
	local o=$1
	shift
	ds-dir "$@" >"$o" 2>>"$err" &
	pid=$!
	pids="$pids $pid"
	wait_until 10 grep -q '^%' "$o"
}

# gone PID: the process has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# stop PID: SIGTERM; it must end within 10 s, with status 0.
stop() {
	kill -TERM "$1"
	wait_until 10 gone "$1"
	wait "$1"
}

# arrive NAME LINES...: write a file in the stage and move it in whole.
arrive() {
	local name=$1
	shift
	printf '%s\n' "$@" >"$stage/$name"
	mv "$stage/$name" "$in/$name"
}

# seen FILE LINE: LINE is a record of the stream in FILE.
seen() {
	grep -qxF -- "$2" "$1"
}

# records FILE: the records of a stream, without header and batch ends.
records() {
	grep -v '^[#%]' "$1" || true
}

# batch_ends FILE: how many batch ends the stream in FILE holds.
batch_ends() {
	grep -c '^%' "$1" || true
}

# at_least N FILE: the stream in FILE holds at least N batch ends.
at_least() {
	[ "$(batch_ends "$2")" -ge "$1" ]
}

# one_batch FILE LINE...: the LINEs are records of FILE in this order, with
# no batch end between them.
one_batch() {
	local f=$1
	shift
	want=$(printf '%s\n' "$@") awk '
	BEGIN { n = split(ENVIRON["want"], w, "\n") }
	{ line[NR] = $0 }
	END {
		for (i = 1; i <= NR; i++) {
			if (line[i] != w[1])
				continue
			for (j = 1; j <= n && line[i + j - 1] == w[j]; j++)
				;
			if (j > n)
				exit 0
		}
		exit 1
	}' "$f"
}

# recorded NAME: the state's journal records NAME, as escaped there, and
# after it a batch written.
recorded() {
	name=$1 awk '
	index($0, "\t") && substr($0, index($0, "\t") + 1) == ENVIRON["name"] {
		f = 1
	}
	f && /^%/ { ok = 1 }
	END { exit !ok }' "$st/ds-dir.state.journal"
}

# on_clock FILE INTERVAL: batch times are multiples of INTERVAL ms and
# strictly increase.
on_clock() {
	awk -v iv="$2" '
	/^%/ {
		t = substr($0, 2) + 0
		if (t % iv != 0 || (n++ > 0 && t <= last))
			bad = 1
		last = t
	}
	END { exit bad }' "$1"
}

@test "ds-dir: files moved in are read whole, each in one batch" {
	run_dir "$out" -i 100ms "$in"
	arrive f1 one two three
	arrive f2 "a	b" 'back\slash' '#hash' '%pct' ''
	wait_until 10 seen "$out" '\%pct'
	stop "$pid"
	one_batch "$out" one two three
	one_batch "$out" 'a	b' 'back\\slash' '\#hash' '\%pct' ''
	run records "$out"
	assert_output "$(printf 'one\ntwo\nthree\na\tb\nback\\\\slash\n\\#hash\n\\%%pct\n\n')"
	on_clock "$out" 100
	[ ! -s "$err" ]
}

@test "ds-dir: a file written slowly is read whole once it is closed" {
	run_dir "$out" -i 100ms "$in"
	exec 5>"$in/slow"
	echo part1 >&5
	# Two batch ends go by with the file still open: nothing is read.
	wait_until 10 at_least "$(($(batch_ends "$out") + 2))" "$out"
	run -1 seen "$out" part1
	echo part2 >&5
	exec 5>&-
	wait_until 10 seen "$out" part2
	# Appends after the first close are updates, ignored as Spark does.
	echo part3 >>"$in/slow"
	arrive after marker
	wait_until 10 seen "$out" marker
	stop "$pid"
	one_batch "$out" part1 part2
	run records "$out"
	assert_output "$(printf 'part1\npart2\nmarker\n')"
}

@test "ds-dir: dotfiles are ignored, moved in or written" {
	run_dir "$out" -i 100ms "$in"
	arrive .moved hidden1
	echo hidden2 >"$in/.written"
	arrive visible shown
	wait_until 10 seen "$out" shown
	stop "$pid"
	run records "$out"
	assert_output shown
}

@test "ds-dir: files there at the start are ignored without -a" {
	echo old >"$in/old"
	run_dir "$out" -i 100ms "$in"
	arrive new new
	wait_until 10 seen "$out" new
	stop "$pid"
	run records "$out"
	assert_output new
}

@test "ds-dir: -a reads the files there at the start, by name, first" {
	echo b >"$in/b"
	echo a >"$in/a"
	echo c >"$in/.c"
	mkdir "$in/sub"
	echo s >"$in/sub/s"
	run_dir "$out" -a -i 100ms "$in"
	stop "$pid"
	run grep -v '^#' "$out"
	assert_line -n 0 a
	assert_line -n 1 b
	assert_line -n 2 --regexp '^%[0-9]+$'
	run records "$out"
	assert_output "$(printf 'a\nb\n')"
}

@test "ds-dir: a restart with -c neither reads a file twice nor skips one" {
	echo before >"$in/before"
	run_dir "$out" -c "$st" -i 100ms "$in"
	arrive f1 one
	wait_until 10 seen "$out" one
	stop "$pid"
	# While it is down: one new file, and the others stay.
	arrive f2 two
	run_dir "$out.2" -c "$st" -i 100ms "$in"
	wait_until 10 seen "$out.2" two
	arrive f3 three
	wait_until 10 seen "$out.2" three
	stop "$pid"
	run records "$out"
	assert_output one
	run records "$out.2"
	assert_output "$(printf 'two\nthree\n')"
	[ ! -s "$err" ]
}

@test "ds-dir: a restart never repeats a batch time" {
	# A long interval: SIGTERM closes the open batch at a future time.
	ds-dir -c "$st" -i 1h "$in" >"$out" &
	pid=$!
	pids="$pids $pid"
	wait_until 10 test -s "$st/ds-dir.state"
	arrive f1 one
	wait_until 10 grep -q "	f1\$" "$st/ds-dir.state.journal"
	stop "$pid"
	t1=$(sed -n 's/^%//p' "$out")
	ds-dir -c "$st" -i 1h "$in" >"$out.2" &
	pid=$!
	pids="$pids $pid"
	# Started: the state is rewritten.
	wait_until 10 grep -q "^0	f1\$" "$st/ds-dir.state"
	arrive f2 two
	wait_until 10 grep -q "	f2\$" "$st/ds-dir.state.journal"
	stop "$pid"
	run grep -v '^#' "$out.2"
	assert_output "$(printf 'two\n%%%s\n' $((t1 + 3600000)))"
}

@test "ds-dir: killed in a batch, it writes that batch again with its time" {
	ds-dir -c "$st" -i 1h "$in" >"$out" &
	pid=$!
	pids="$pids $pid"
	wait_until 10 test -s "$st/ds-dir.state"
	arrive f1 one two
	wait_until 10 grep -q "	f1\$" "$st/ds-dir.state.journal"
	kill -9 "$pid"
	wait_until 10 gone "$pid"
	t=$(sed -n 's/	f1$//p' "$st/ds-dir.state.journal")
	[ $((t % 3600000)) -eq 0 ]
	# Nothing went out: the batch had not ended.
	[ ! -s "$out" ]
	arrive f2 three
	ds-dir -c "$st" -i 1h "$in" >"$out.2" &
	pid=$!
	pids="$pids $pid"
	wait_until 10 grep -q "	f2\$" "$st/ds-dir.state.journal"
	stop "$pid"
	run cat "$out.2"
	assert_output "$(printf '#ds1\none\ntwo\n%%%s\nthree\n%%%s\n' "$t" \
	    $((t + 3600000)))"
}

@test "ds-dir: the state lists names escaped, and is rewritten at start" {
	run_dir "$out" -c "$st" -i 100ms "$in"
	arrive "$(printf 'tab\there')" x
	wait_until 10 recorded 'tab\there'
	arrive 'back\slash' y
	wait_until 10 recorded 'back\\slash'
	rm "$in/back\\slash"
	arrive z z
	wait_until 10 recorded z
	stop "$pid"
	run sed 's/^[0-9][0-9]*	/T	/; s/^%[0-9]*$/%T/' \
	    "$st/ds-dir.state.journal"
	assert_output - <<'EOF'
#gen 1
T	tab\there
%T
T	back\\slash
%T
-	back\\slash
T	z
%T
EOF
	rm "$in/z"
	run_dir "$out.2" -c "$st" -i 100ms "$in"
	stop "$pid"
	# The snapshot, a checkpoint of ds-checkpoint(5), and its journal.
	last=$(tail -n 1 "$st/ds-dir.state")
	run tail -n +2 "$st/ds-dir.state"
	assert_output "$(printf '#gen 2\n0\ttab\\there\n%s\n' "$last")"
	run cat "$st/ds-dir.state.journal"
	assert_output "#gen 2"
}

@test "ds-dir: the state is rewritten once it has grown past twice its need" {
	run_dir "$out" -c "$st" -i 100ms "$in"
	(cd "$stage" && seq 600 | xargs touch && seq 600 | xargs mv -t "$in")
	wait_until 10 recorded 600
	(cd "$in" && seq 600 | xargs rm)
	wait_until 10 grep -q '^-	600$' "$st/ds-dir.state.journal"
	arrive last line
	wait_until 10 seen "$out" line
	stop "$pid"
	run tail -n +3 "$st/ds-dir.state"
	assert_line -n 0 '0	last'
	assert_line -n 1 --regexp '^%[0-9]+$'
	[ "${#lines[@]}" -eq 2 ]
}

@test "ds-dir: a file removed and moved in again is new" {
	run_dir "$out" -c "$st" -i 100ms "$in"
	arrive f first
	wait_until 10 seen "$out" first
	rm "$in/f"
	arrive f second
	wait_until 10 seen "$out" second
	# Moved over a file already read, it is an update, ignored.
	arrive f third
	arrive g marker
	wait_until 10 seen "$out" marker
	stop "$pid"
	run records "$out"
	assert_output "$(printf 'first\nsecond\nmarker\n')"
}

@test "ds-dir: with -c, the first start ignores the files there unless -a" {
	echo old >"$in/old"
	run_dir "$out" -c "$st" -i 100ms "$in"
	stop "$pid"
	run_dir "$out.2" -c "$st" -i 100ms "$in"
	stop "$pid"
	run records "$out"
	assert_output ''
	run records "$out.2"
	assert_output ''
	run_dir "$out.3" -a -c "$st.a" -i 100ms "$in"
	stop "$pid"
	run records "$out.3"
	assert_output old
}

@test "ds-dir: empty batches keep coming on the clock" {
	run_dir "$out" -i 100ms "$in"
	wait_until 10 at_least 3 "$out"
	stop "$pid"
	on_clock "$out" 100
	run records "$out"
	assert_output ''
}

@test "ds-dir: a long line and a last line without LF" {
	head -c 300000 /dev/zero | tr '\0' x >"$stage/long"
	printf '\nend' >>"$stage/long"
	run_dir "$out" -i 100ms "$in"
	mv "$stage/long" "$in/long"
	wait_until 10 seen "$out" end
	stop "$pid"
	records "$out" >"$out.rec"
	printf '\n' >>"$in/long"
	cmp "$in/long" "$out.rec"
}

@test "ds-dir: lost events: the directory is listed again" {
	local n
	n=$(($(cat /proc/sys/fs/inotify/max_queued_events) + 100))
	run_dir "$out" -i 100ms "$in"
	kill -STOP "$pid"
	(cd "$stage" && seq "$n" | xargs touch && seq "$n" | xargs mv -t "$in")
	arrive zz last
	kill -CONT "$pid"
	wait_until 60 seen "$out" last
	stop "$pid"
	run cat "$err"
	assert_output "ds-dir: $in: events lost, listing the directory"
}

@test "ds-dir: a directory removed or moved ends it with status 1" {
	mkdir "$in/d"
	run_dir "$out" -i 100ms "$in/d"
	rmdir "$in/d"
	wait_until 10 gone "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ]
	run cat "$err"
	assert_output "ds-dir: $in/d: directory gone"
}

@test "ds-dir: a directory that does not exist" {
	run -1 --separate-stderr ds-dir "$BATS_TEST_TMPDIR/nosuch"
	assert_output ''
	[ "$stderr" = "ds-dir: $BATS_TEST_TMPDIR/nosuch: No such file or directory" ]
}

@test "ds-dir: a file is not a directory" {
	touch "$BATS_TEST_TMPDIR/file"
	run -1 --separate-stderr ds-dir "$BATS_TEST_TMPDIR/file"
	[ "$stderr" = "ds-dir: $BATS_TEST_TMPDIR/file: Not a directory" ]
}

@test "ds-dir: usage errors exit 2" {
	run -2 --separate-stderr ds-dir
	[ "$stderr" = "usage: ds-dir [-a] [-c dir] [-i interval] directory" ]
	run -2 --separate-stderr ds-dir "$in" "$in"
	[ "$stderr" = "usage: ds-dir [-a] [-c dir] [-i interval] directory" ]
	run -2 --separate-stderr ds-dir -x "$in"
	[ "${stderr_lines[1]}" = "usage: ds-dir [-a] [-c dir] [-i interval] directory" ]
	run -2 --separate-stderr ds-dir -i 0 "$in"
	[ "$stderr" = "ds-dir: -i 0: not a positive duration" ]
	run -2 --separate-stderr ds-dir -c "$in" "$in"
	[ "$stderr" = "ds-dir: -c $in: the directory watched" ]
	run -0 ds-dir -h
	assert_output "usage: ds-dir [-a] [-c dir] [-i interval] directory"
}

@test "ds-dir: one state directory serves one ds-dir at a time" {
	run_dir "$out" -c "$st" -i 100ms "$in"
	run -1 --separate-stderr ds-dir -c "$st" "$in"
	[ "$stderr" = "ds-dir: $st: in use by another ds-dir" ]
	stop "$pid"
}

@test "ds-dir: a malformed state is an error naming its line" {
	mkdir "$st"
	printf 'ds-checkpoint 1 ds-dir.state\n#gen 1\n0\tok\n%%0\n' \
	    >"$st/ds-dir.state"
	reseal "$st/ds-dir.state"
	printf '#gen 1\n0\tnext\nbad line\n' >"$st/ds-dir.state.journal"
	run -1 --separate-stderr ds-dir -c "$st" "$in"
	[ "$stderr" = "ds-dir: $st/ds-dir.state.journal:3: malformed state line" ]
	printf 'ds-checkpoint 1 ds-dir.state\n#gen 1\n0\tok\nbad\n' \
	    >"$st/ds-dir.state"
	reseal "$st/ds-dir.state"
	run -1 --separate-stderr ds-dir -c "$st" "$in"
	[ "$stderr" = "ds-dir: $st/ds-dir.state:4: malformed state line" ]
	# A state that is not a checkpoint is refused, never taken for none.
	printf '0\tok\n%%0\n' >"$st/ds-dir.state"
	run -1 --separate-stderr ds-dir -c "$st" "$in"
	[[ $stderr == "ds-dir: $st/ds-dir.state: "* ]]
	# A journal of an older snapshot is what a stop left: ignored, so
	# that ok stays done and is not read again.
	printf 'ds-checkpoint 1 ds-dir.state\n#gen 2\n0\tok\n%%0\n' \
	    >"$st/ds-dir.state"
	reseal "$st/ds-dir.state"
	printf "#gen 1\n-\tok\n" >"$st/ds-dir.state.journal"
	echo x >"$in/ok"
	run_dir "$out" -c "$st" -i 100ms "$in"
	stop "$pid"
	run records "$out"
	assert_output ""
	[ ! -s "$err" ]
}

@test "ds-dir: a write error on stdout exits 1" {
	run -1 --separate-stderr sh -c 'ds-dir -i 100ms "$1" >/dev/full' sh "$in"
	[ "$stderr" = "ds-dir: stdout: No space left on device" ]
}

@test "ds-dir: ds-dir | ds-save gives back the lines of the files moved in" {
	local i
	mkdir "$BATS_TEST_TMPDIR/saved"
	mkfifo "$BATS_TEST_TMPDIR/pipe"
	ds-save -q "$BATS_TEST_TMPDIR/saved/p" txt <"$BATS_TEST_TMPDIR/pipe" &
	spid=$!
	pids="$pids $spid"
	ds-dir -i 100ms "$in" >"$BATS_TEST_TMPDIR/pipe" 2>"$err" &
	pid=$!
	pids="$pids $pid"
	# Started: the first batch is saved.
	wait_until 10 sh -c 'ls "$1" | grep -q .' sh "$BATS_TEST_TMPDIR/saved"
	for i in $(seq 1 30); do
		seq "$i" $((i * 7)) | sed "s/^/file $i line /" >"$stage/f$i"
		[ $((i % 10)) -ne 0 ] || printf 'tab\there\\n\n#x\n' >>"$stage/f$i"
		mv "$stage/f$i" "$in/f$i"
		cat "$in/f$i" >>"$BATS_TEST_TMPDIR/want"
	done
	wait_until 20 sh -c 'cat "$1"/p-*.txt | grep -q "^file 30 line 210$"' \
	    sh "$BATS_TEST_TMPDIR/saved"
	stop "$pid"
	wait_until 10 gone "$spid"
	wait "$spid"
	# The batch files in time order hold the files in arrival order.
	(cd "$BATS_TEST_TMPDIR/saved" && ls | sort -t- -k2n | xargs cat) \
	    >"$BATS_TEST_TMPDIR/got"
	cmp "$BATS_TEST_TMPDIR/want" "$BATS_TEST_TMPDIR/got"
	run ls -A "$BATS_TEST_TMPDIR/saved"
	refute_output --partial .p-tmp
}

# commit STAGE T: STAGE has committed batch T in $DS_CHECKPOINT.
commit() {
	mkdir -p "$DS_CHECKPOINT"
	printf 'ds-checkpoint 1 %s.commit\n%s\n' "$1" "$2" \
	    >"$DS_CHECKPOINT/$1.commit"
	reseal "$DS_CHECKPOINT/$1.commit"
}

@test "ds-dir: with DS_CHECKPOINT, the batches after the oldest commit come again with their times" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	run_dir "$out" -c "$st" -i 100ms "$in"
	arrive f1 one
	wait_until 10 seen "$out" one
	arrive f2 two
	wait_until 10 seen "$out" two
	stop "$pid"
	t1=$(grep -A1 -x one "$out" | sed -n 's/^%//p')
	t2=$(grep -A1 -x two "$out" | sed -n 's/^%//p')
	[ -n "$t1" ] && [ -n "$t2" ]
	# Nothing committed: both, before anything new.
	run_dir "$out.2" -c "$st" -i 100ms "$in"
	stop "$pid"
	run head -n 5 "$out.2"
	assert_output "$(printf '#ds1\none\n%%%s\ntwo\n%%%s' "$t1" "$t2")"
	# The oldest commit is that of the first batch: the second again.
	commit ds-save "$t2"
	commit ds-state "$t1"
	run_dir "$out.3" -c "$st" -i 100ms "$in"
	stop "$pid"
	run head -n 3 "$out.3"
	assert_output "$(printf '#ds1\ntwo\n%%%s' "$t2")"
	# Both committed: none.
	commit ds-state "$t2"
	run_dir "$out.4" -c "$st" -i 100ms "$in"
	stop "$pid"
	[ "$(records "$out.4")" = "" ]
	[ ! -s "$err" ]
}
