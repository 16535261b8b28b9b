#!/usr/bin/env bats
# ds-save.bats: a file a batch, named as Spark names it, written whole or
# not at all, replaced on replay; the stream passes through.
load helper

setup() {
	d=$BATS_TEST_TMPDIR/d
	s=$BATS_TEST_TMPDIR/s
	mkdir "$d"
	# Three batches, the second empty, as the ds programs write them.
	printf '#ds1\na\tb\nc\\\\d\n\\#e\n%%1000\n%%2000\n\n\\%%f\n%%3000\n' >"$s"
	pid=
	mnt=
}

teardown() {
	if [ -n "$pid" ]; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	exec 5>&- || true
	if [ -n "$mnt" ]; then
		umount "$mnt" 2>/dev/null || true
	fi
}

# gone PID: the process has ended.
gone() {
	! kill -0 "$1" 2>/dev/null
}

@test "ds-save: a file a batch, records as ds-cat writes them" {
	run -0 --separate-stderr ds-save -q "$d/p" <"$s"
	assert_output ''
	[ -z "$stderr" ]
	run ls -A "$d"
	assert_output "$(printf 'p-1000\np-2000\np-3000\n')"
	printf 'a\tb\nc\\d\n#e\n' | cmp - "$d/p-1000"
	# An empty batch writes an empty file, as Spark writes one.
	[ -f "$d/p-2000" ] && [ ! -s "$d/p-2000" ]
	printf '\n%%f\n' | cmp - "$d/p-3000"
}

@test "ds-save: the stream passes through unchanged" {
	ds-save "$d/p" <"$s" | cmp - "$s"
	ds-lines -n 4 -i 1s -T 0 "$DATA/demo.txt" >"$s.2"
	ds-save "$d/q" <"$s.2" | cmp - "$s.2"
	ds-cat <"$s.2" >"$s.cat"
	(cd "$d" && ls q-* | sort -t- -k2n | xargs cat) | cmp - "$s.cat"
}

@test "ds-save: SUFFIX, and an empty PREFIX or SUFFIX, as Spark names them" {
	ds-save -q "$d/p" txt <"$s"
	ds-save -q "$d/" <"$s"
	(cd "$d" && ds-save -q "" csv) <"$s"
	(cd "$d" && ds-save -q r "") <"$s"
	run ls -A "$d"
	assert_output - <<'EOF'
-1000
-2000
-3000
1000.csv
2000.csv
3000.csv
p-1000.txt
p-2000.txt
p-3000.txt
r-1000
r-2000
r-3000
EOF
}

@test "ds-save: a replay gives the same files, replacing those there" {
	echo stale >"$d/p-1000"
	echo other >"$d/p-4000"
	ds-save -q "$d/p" <"$s"
	(cd "$d" && cksum p-*) >"$BATS_TEST_TMPDIR/first"
	ds-save -q "$d/p" <"$s"
	(cd "$d" && cksum p-*) | diff -u "$BATS_TEST_TMPDIR/first" -
	printf 'a\tb\nc\\d\n#e\n' | cmp - "$d/p-1000"
	echo other | cmp - "$d/p-4000"
}

@test "ds-save: a reader sees no file until its batch ends" {
	mkfifo "$BATS_TEST_TMPDIR/fifo"
	ds-save -q "$d/p" txt <"$BATS_TEST_TMPDIR/fifo" &
	pid=$!
	exec 5>"$BATS_TEST_TMPDIR/fifo"
	printf '#ds1\none\ntwo\n' >&5
	# The records are in a hidden file while the batch is open.
	wait_until 10 test -e "$d/.p-tmp.txt"
	run ls "$d"
	assert_output ''
	printf '%%1000\n' >&5
	wait_until 10 test -e "$d/p-1000.txt"
	printf 'one\ntwo\n' | cmp - "$d/p-1000.txt"
	run ls -A "$d"
	assert_output p-1000.txt
	exec 5>&-
	wait_until 10 gone "$pid"
	wait "$pid"
}

@test "ds-save: text that is not a stream is one batch, saved at its end" {
	printf 'x\ty\n#z\n' | ds-save -q "$d/p"
	run ls -A "$d"
	assert_output --regexp '^p-[0-9]{13}$'
	printf 'x\ty\n#z\n' | cmp - "$d"/p-*
}

@test "ds-save: a stream cut in a batch: the last batch is saved" {
	printf '#ds1\na\n%%1000\nb\n' | ds-save -q "$d/p"
	run ls -A "$d"
	assert_line -n 0 p-1000
	assert_line -n 1 --regexp '^p-[0-9]{13}$'
	echo b | cmp - "$d/${lines[1]}"
}

@test "ds-save: a malformed stream exits 1 and leaves no file behind" {
	run -1 --separate-stderr ds-save -q "$d/p" \
	    < <(printf '#ds1\na\n%%1000\nb\nc\\q\n')
	[ "$stderr" = 'ds-save: stdin:5: invalid escape "\q"' ]
	run ls -A "$d"
	assert_output p-1000
}

@test "ds-save: a full disk exits 1 and leaves no partial file behind" {
	mnt=$d/full
	mkdir "$mnt"
	mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null ||
	    skip "cannot mount a tmpfs (needs root)"
	{
		printf '#ds1\nsmall\n%%1000\n'
		# 40 KB fits; then 96 KB fails at the batch end, in one write.
		head -c 40000 /dev/zero | tr '\0' x
		printf '\n%%2000\n'
		head -c 96000 /dev/zero | tr '\0' y
		printf '\n%%3000\n'
	} >"$s.full"
	run -1 --separate-stderr ds-save "$mnt/p" <"$s.full"
	[ "$stderr" = "ds-save: $mnt/p-3000: No space left on device" ]
	# The two saved batches passed through; the third did not end.
	assert_line -n 0 '#ds1'
	assert_line -n 2 '%1000'
	assert_line -n 4 '%2000'
	[ "${#lines[@]}" -eq 6 ]
	run ls -A "$mnt"
	assert_output "$(printf 'p-1000\np-2000\n')"
}

@test "ds-save: a full disk in the middle of a big batch" {
	mnt=$d/full
	mkdir "$mnt"
	mount -t tmpfs -o size=64k tmpfs "$mnt" 2>/dev/null ||
	    skip "cannot mount a tmpfs (needs root)"
	{
		printf '#ds1\n'
		# Past the 128 KiB buffer: the write fails before the batch end.
		seq 100000
		printf '%%1000\n'
	} >"$s.full"
	run -1 --separate-stderr ds-save -q "$mnt/p" txt <"$s.full"
	[ "$stderr" = "ds-save: $mnt/p-1000.txt: No space left on device" ]
	run ls -A "$mnt"
	assert_output ''
}

@test "ds-save: a write error on stdout exits 1" {
	run -1 --separate-stderr sh -c 'ds-save "$1" <"$2" >/dev/full' sh \
	    "$d/p" "$s"
	[ "$stderr" = "ds-save: stdout: No space left on device" ]
	run -0 sh -c 'ds-save -q "$1" <"$2" >/dev/full' sh "$d/q" "$s"
}

@test "ds-save: a directory that does not exist" {
	run -1 --separate-stderr ds-save "$d/nosuch/p" <"$s"
	assert_output ''
	[ "$stderr" = "ds-save: $d/nosuch: No such file or directory" ]
}

@test "ds-save: a batch file that cannot be replaced exits 1" {
	mkdir "$d/p-2000"
	touch "$d/p-2000/x"
	run -1 --separate-stderr ds-save -q "$d/p" <"$s"
	[ "$stderr" = "ds-save: $d/p-2000: Is a directory" ]
	run ls -A "$d"
	assert_output "$(printf 'p-1000\np-2000\n')"
}

@test "ds-save: usage errors exit 2" {
	run -2 --separate-stderr ds-save
	[ "$stderr" = "usage: ds-save [-q] prefix [suffix]" ]
	run -2 --separate-stderr ds-save a b c
	[ "$stderr" = "usage: ds-save [-q] prefix [suffix]" ]
	run -2 --separate-stderr ds-save "$d/p" x/y
	[ "$stderr" = "ds-save: suffix x/y: holds a slash" ]
	run -0 ds-save -h
	assert_output "usage: ds-save [-q] prefix [suffix]"
}

@test "ds-save: the files of ds-save are whole when ds-dir reads them" {
	mkdir "$d/in"
	ds-dir -i 100ms "$d/in" >"$BATS_TEST_TMPDIR/out" &
	pid=$!
	wait_until 10 grep -q '^%' "$BATS_TEST_TMPDIR/out"
	seq 50000 | ds-lines -n 10000 -i 1s -T 0 | ds-save -q "$d/in/p"
	wait_until 10 grep -qx 50000 "$BATS_TEST_TMPDIR/out"
	kill "$pid"
	wait_until 10 gone "$pid"
	grep -v '^[#%]' "$BATS_TEST_TMPDIR/out" | sort -n | cmp - <(seq 50000)
}

@test "ds-save: with DS_CHECKPOINT, each batch saved is committed, never backwards" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	ds-save -q "$d/p" <"$s"
	run -0 cat "$DS_CHECKPOINT/ds-save.commit"
	assert_line -n 0 --regexp '^ds-checkpoint 1 ds-save.commit 0{19}5 [0-9a-f]{16}$'
	assert_line -n 1 3000
	# A replay of older batches rewrites their files, not the commit.
	printf '#ds1\nnew\n%%1000\n' | ds-save -q "$d/p"
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 3000
	echo new | cmp - "$d/p-1000"
	printf '#ds1\n%%4000\n' | ds-save -q "$d/p"
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 4000
}

@test "ds-save: with DS_CHECKPOINT, a batch the stream ends inside is left to the replay" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	run -0 --separate-stderr ds-save -q "$d/p" < <(printf '#ds1\na\n%%1000\nb\n')
	assert_equal "$stderr" "ds-save: stdin: the stream ends inside a batch: not saved, left to the replay"
	run ls -A "$d"
	assert_output p-1000
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 1000
}

@test "ds-save: with DS_CHECKPOINT, a last line without LF is torn: a batch end cut short saves nothing" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	# Killed while writing "%20000", the stage before left "%2000"; or
	# "%4" of an empty batch's end, or "%" alone.
	for cut in '#ds1\na\n%%1000\nb\n%%2000' '#ds1\n%%3000\n%%4' '#ds1\n%%'; do
		run -0 --separate-stderr ds-save -q "$d/p" < <(printf "$cut")
		assert_equal "$stderr" "ds-save: stdin: the stream ends inside a batch: not saved, left to the replay"
	done
	run ls -A "$d"
	assert_output "$(printf 'p-1000\np-3000')"
	run -0 tail -n 1 "$DS_CHECKPOINT/ds-save.commit"
	assert_output 3000
	# Without it, the last line is a whole one, as ds(5) says.
	unset DS_CHECKPOINT
	run -0 --separate-stderr ds-save -q "$d/p" < <(printf '#ds1\nb\n%%5000')
	assert_equal "$stderr" ""
	echo b | cmp - "$d/p-5000"
}

@test "ds-save: a commit record that is not one is an error, left as it is" {
	export DS_CHECKPOINT=$BATS_TEST_TMPDIR/pipe
	mkdir "$DS_CHECKPOINT"
	echo 3000 >"$DS_CHECKPOINT/ds-save.commit"
	run -1 --separate-stderr ds-save -q "$d/p" <"$s"
	assert_equal "$stderr" "ds-save: $DS_CHECKPOINT/ds-save.commit: not a checkpoint"
	run -0 cat "$DS_CHECKPOINT/ds-save.commit"
	assert_output 3000
	run ls -A "$d"
	assert_output ''
}
