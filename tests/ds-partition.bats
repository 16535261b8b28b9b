#!/usr/bin/env bats
# ds-partition: a stage spread over copies by the hash of the key, their
# outputs merged batch by batch.
load helper

# Keys and values of the random streams: words, escapes, numbers.
WORDS='a b c the spark 7 -3 12 \\t a\\tb \\\\ \\n \\#h caf\303\251 %z x y z 0'

# gen N SEED: a seeded keyed stream of records of two to four fields.
gen() {
	gen_stream "$1" "$2" 2 "$WORDS"
}

# per_batch FILE: each record prefixed by the index of its batch, sorted,
# then the batch times in order: what a batch-by-batch multiset
# comparison compares.
per_batch() {
	awk '/^%/ { t[++b] = $0; next } !/^#ds1$/ { print b + 0 "\t" $0 }
	    END { for (i = 1; i <= b; i++) print "time\t" t[i] }' "$1" |
	    sort
}

# same_as_stage N STAGE...: ds-partition -n N STAGE on in.ds gives, batch
# by batch, the records STAGE gives alone.
same_as_stage() {
	local n=$1
	shift
	"$@" <in.ds >alone.ds
	ds-partition -n "$n" "$@" <in.ds >parted.ds
	per_batch alone.ds >alone.sorted
	per_batch parted.ds >parted.sorted
	diff -u alone.sorted parted.sorted
	# The stage did something: no test of an empty stream.
	[ "$(grep -vc '^%' alone.ds)" -gt 10 ]
}

# xxh64 [N]: for each line of stdin, a key, XXH64 with seed 0 of its bytes
# in hexadecimal, or with N the key, a TAB and the hash modulo N: computed
# here from the algorithm's specification, independently of libxxhash.
xxh64() {
	/usr/bin/python3 -c '
import sys
M = (1 << 64) - 1
P1, P2, P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
P4, P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5
def rotl(x, r): return ((x << r) | (x >> (64 - r))) & M
def rnd(acc, lane): return rotl((acc + lane * P2) & M, 31) * P1 & M
def u64(b, i): return int.from_bytes(b[i:i + 8], "little")
def xxh64(b):
    n, i = len(b), 0
    if n >= 32:
        v = [(P1 + P2) & M, P2, 0, (-P1) & M]
        while i + 32 <= n:
            for k in range(4):
                v[k] = rnd(v[k], u64(b, i))
                i += 8
        h = (rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) +
            rotl(v[3], 18)) & M
        for k in range(4):
            h = ((h ^ rnd(0, v[k])) * P1 + P4) & M
    else:
        h = P5
    h = (h + n) & M
    while i + 8 <= n:
        h = (rotl(h ^ rnd(0, u64(b, i)), 27) * P1 + P4) & M
        i += 8
    if i + 4 <= n:
        h = (rotl(h ^ (int.from_bytes(b[i:i + 4], "little") * P1 & M),
            23) * P2 + P3) & M
        i += 4
    while i < n:
        h = rotl(h ^ (b[i] * P5 & M), 11) * P1 & M
        i += 1
    h ^= h >> 33
    h = h * P2 & M
    h ^= h >> 29
    h = h * P3 & M
    h ^= h >> 32
    return h
out = sys.stdout.buffer
for key in sys.stdin.buffer.read().split(b"\n")[:-1]:
    h = xxh64(key)
    if len(sys.argv) > 1:
        out.write(key + b"\t" + str(h % int(sys.argv[1])).encode() + b"\n")
    else:
        out.write(b"%016x\n" % h)
' "$@"
}

setup() {
	cd "$BATS_TEST_TMPDIR"
	bg=
}

# A test that fails half-way leaves no stage behind: a second SIGTERM
# ends one that waits for its batch end.
teardown() {
	local i
	[ -n "$bg" ] && kill "$bg" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$bg" 2>/dev/null || return 0
		sleep 0.01
	done
	kill "$bg" 2>/dev/null || true
}

@test "ds-partition: usage errors exit 2" {
	run --separate-stderr ds-partition
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: $(synopsis_of ds-partition)" ]
	run --separate-stderr ds-partition -n 0 ds-map
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-partition: -n 0: too small" ]
	run --separate-stderr ds-partition -n 1025 ds-map
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-partition: -n 1025: too large" ]
	run --separate-stderr ds-partition -k x ds-map
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-partition: -k x: field number is invalid" ]
}

@test "ds-partition: the hash test vectors of the man page, computed here" {
	local key hex n2 n3 n4 n16 k n got rows=0

	# The table's rows: key, XXH64, then the copy for -n 2, 3, 4, 16.
	sed -n '/^\.Bl -column "hello world"/,/^\.El/p' \
	    "$BATS_TEST_DIRNAME/../man/ds-partition.1" |
	    sed -n 's/^\.It //p' | sed 1d |
	    sed 's/^(empty)//; s/^Ql //; s/^40 bytes x/xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/' |
	    sed 's/ Ta /|/g' >vectors
	[ "$(wc -l <vectors)" -eq 6 ]
	while IFS='|' read -r key hex n2 n3 n4 n16; do
		rows=$((rows + 1))
		[ "$(printf '%s\n' "$key" | xxh64)" = "$hex" ]
		for k in 2:$n2 3:$n3 4:$n4 16:$n16; do
			n=${k%:*}
			[ "$(printf '%s\n' "$key" | xxh64 "$n" | cut -f 2)" = \
			    "${k#*:}" ]
			got=$(printf '%s\n' "$key" | ds-lines -n 1 -i 1s -T 0 |
			    ds-partition -n "$n" sh -c \
			    'exec ds-map -f 2 -a "$DS_PARTITION"' | sed -n 2p)
			[ "$got" = "${k#*:}" ] || {
				echo "key '$key' -n $n: copy $got, not ${k#*:}"
				return 1
			}
		done
	done <vectors
	[ "$rows" -eq 6 ]
}

@test "ds-partition: each key goes to the copy its hash says, on any field" {
	gen_stream 600 3 2 'a b c the spark 7 -3 12 x y z 0 caf\303\251 %z' \
	    >in.ds
	ds-partition -n 5 -k 2 sh -c 'exec ds-map -f 2 -a "$DS_PARTITION"' \
	    <in.ds | ds-cat | sort -u >got
	ds-map -f 2 <in.ds | ds-cat | sort -u | xxh64 5 | sort >want
	[ "$(wc -l <want)" -ge 14 ]
	diff -u want got
}

@test "ds-partition: ds-reducebykey over copies, the same per batch" {
	local seed
	for seed in 1 2 3; do
		gen 3000 "$seed" >in.ds
		same_as_stage 3 ds-reducebykey -o count
		gen_stream 3000 "$seed" 3 "$WORDS" >in.ds
		same_as_stage 4 ds-reducebykey -o max -f 3 -I
	done
	gen 3000 4 >in.ds
	ds-map -f 2,1 <in.ds >swapped.ds
	mv swapped.ds in.ds
	"$BATS_TEST_DIRNAME/../cmd/ds-reducebykey" -k 2 -o count <in.ds >alone.ds
	ds-partition -n 3 -k 2 ds-reducebykey -k 2 -o count <in.ds >parted.ds
	diff -u <(per_batch alone.ds) <(per_batch parted.ds)
}

@test "ds-partition: windowed ds-reducebykey over copies, the same per batch" {
	gen 3000 5 >in.ds
	same_as_stage 3 ds-reducebykey -o count -w 3s -s 2s -i 1s
}

@test "ds-partition: ds-countbyvalue over copies, the same per batch" {
	local seed
	for seed in 6 7; do
		gen 3000 "$seed" >in.ds
		same_as_stage 3 ds-countbyvalue
		same_as_stage 2 ds-countbyvalue -w 2s -i 1s
	done
}

@test "ds-partition: ds-countbyvalue, keyed on another field, the same" {
	gen 3000 8 >in.ds
	ds-countbyvalue <in.ds >alone.ds
	ds-partition -n 3 -k 2 ds-countbyvalue <in.ds >parted.ds
	diff -u <(per_batch alone.ds) <(per_batch parted.ds)
}

@test "ds-partition: ds-groupbykey over copies, the same per batch" {
	local seed
	for seed in 9 10; do
		gen 3000 "$seed" >in.ds
		same_as_stage 3 ds-groupbykey
	done
}

@test "ds-partition: ds-state over copies, the same per batch" {
	gen 3000 11 >in.ds
	same_as_stage 3 ds-state -o count
	same_as_stage 2 ds-state -o count -e changed -t 3s
}

@test "ds-partition: ds-join with a table over copies, the same per batch" {
	printf 'a\tA\nthe\tT1\nthe\tT2\n7\tseven\nx\tX\n\\\\\tbs\n' >table
	gen 3000 12 >in.ds
	same_as_stage 3 ds-join -t table
	same_as_stage 3 ds-join -l -t table
}

@test "ds-partition: ds-count needs one more stage, and gets the count" {
	gen 3000 13 >in.ds
	ds-count <in.ds >alone.ds
	ds-partition -n 3 ds-count <in.ds | ds-reduce -o sum >parted.ds
	diff -u alone.ds parted.ds
	# Without it, a batch has one count for each copy.
	ds-partition -n 3 ds-count <in.ds | ds-cat -t >counts
	[ "$(awk '{ print $1 }' counts | uniq -c | awk '{ print $1 }' |
	    sort -u)" = 3 ]
}

@test "ds-partition: ds-reduce -o max needs one more stage, and gets the max" {
	seq 1000 | awk '{ print ($1 * 7919) % 1000 }' |
	    ds-lines -n 100 -i 1s -T 0 >in.ds
	ds-reduce -o max <in.ds >alone.ds
	ds-partition -n 4 ds-reduce -o max <in.ds | ds-reduce -o max >parted.ds
	diff -u alone.ds parted.ds
}

@test "ds-partition: one copy gives the stage's output byte for byte" {
	gen 2000 14 >in.ds
	ds-reducebykey -o count <in.ds >alone.ds
	ds-partition -n 1 ds-reducebykey -o count <in.ds >parted.ds
	cmp alone.ds parted.ds
}

@test "ds-partition: more copies than keys: the idle copies close every batch" {
	printf '#ds1\na\t1\nthe\t2\n%%1000\n%%2000\na\t3\n%%3000\n' >in.ds
	golden in.ds ds-partition -n 16 ds-reducebykey <<'EOF'
#ds1
the	2
a	1
%1000
%2000
a	3
%3000
EOF
}

@test "ds-partition: empty batches and an empty input" {
	printf '#ds1\n%%1000\n%%2000\n%%5000\n' >in.ds
	golden in.ds ds-partition -n 3 ds-reducebykey <<'EOF'
#ds1
%1000
%2000
%5000
EOF
	: >empty
	golden empty ds-partition -n 3 ds-reducebykey <<'EOF'
#ds1
EOF
}

@test "ds-partition: raw text is one batch, with one time for every copy" {
	printf 'a\nb\nc\nd\ne\na\n' >in.txt
	run --separate-stderr ds-partition -n 3 ds-countbyvalue <in.txt
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	[ "$(printf '%s\n' "$output" | grep -c '^%')" -eq 1 ]
	[ "$(printf '%s\n' "$output" | grep -v '^[#%]' | sort)" = \
	    "$(printf 'a\t2\nb\t1\nc\t1\nd\t1\ne\t1')" ]
}

@test "ds-partition: each copy has DS_PARTITION and DS_PARTITIONS, set anew" {
	printf '#ds1\n%%1000\n' >in.ds
	DS_PARTITION=x DS_PARTITIONS=y run --separate-stderr \
	    ds-partition -n 3 sh -c 'echo "$DS_PARTITION/$DS_PARTITIONS" >&2;
	    exec cat'
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$stderr" | sort)" = "$(printf '0/3\n1/3\n2/3')" ]
}

@test "ds-partition: the checkpoint idiom keeps a state for each copy" {
	gen 2000 15 >in.ds
	mkdir ckpt
	ds-partition -n 2 sh -c 'exec ds-state -o count -c "ckpt/$DS_PARTITION"' \
	    <in.ds >/dev/null
	[ -f ckpt/0/state ]
	[ -f ckpt/1/state ]
	# Restarted, each copy goes on from its own state.
	ds-state -o count <in.ds |
	    awk -F '\t' '$1 == "a" { a = $2 } END { print a + 1 }' >want
	[ "$(cat want)" -gt 10 ]
	printf '#ds1\na\tz\n%%999999999\n' >more.ds
	ds-partition -n 2 sh -c 'exec ds-state -o count -c "ckpt/$DS_PARTITION"' \
	    <more.ds | awk -F '\t' '$1 == "a" { print $2 }' >got
	diff -u want got
}

@test "ds-partition: a copy that exits 1 ends the stage with exit 1" {
	gen 500 16 >in.ds
	run --separate-stderr ds-partition -n 3 sh -c \
	    '[ "$DS_PARTITION" = 1 ] && exit 1; exec cat' <in.ds
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-partition: copy 1 (sh) exited with status 1" ]
}

@test "ds-partition: a copy's own error, then its status" {
	printf '#ds1\na\t1\n%%1000\nb\tnope\n%%2000\n' >in.ds
	run --separate-stderr ds-partition -n 2 ds-reducebykey <in.ds
	[ "$status" -eq 1 ]
	[ "$output" = "$(printf '#ds1\na\t1\n%%1000')" ]
	[ "$stderr" = "$(printf '%s\n%s' \
	    'ds-reducebykey: stdin:4: field 2: not a number: "nope"' \
	    'ds-partition: copy 1 (ds-reducebykey) exited with status 1')" ]
}

@test "ds-partition: a copy killed by a signal ends the stage" {
	printf '#ds1\na\n%%1000\n' >in.ds
	run --separate-stderr ds-partition -n 2 sh -c \
	    '[ "$DS_PARTITION" = 0 ] && kill -9 $$; exec cat' <in.ds
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-partition: copy 0 (sh) killed by signal 9" ]
}

@test "ds-partition: a copy that dies ends the others" {
	local pid
	mkfifo feed
	ds-partition -n 3 sh -c 'echo $$ >>pids; [ "$DS_PARTITION" = 2 ] &&
	    exec false; exec cat' <feed >out 2>err &
	pid=$!
	bg=$pid
	exec 7>feed
	printf '#ds1\na\n%%1000\n' >&7
	wait_until 10 test ! -d "/proc/$pid"
	exec 7>&-
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 1 ]
	grep -qx 'ds-partition: copy 2 (sh) exited with status 1' err
	for pid in $(cat pids); do
		wait_until 10 test ! -d "/proc/$pid"
	done
}

@test "ds-partition: a command not found exits 127, one that cannot run 126" {
	printf '#ds1\na\n%%1000\n' >in.ds
	run -127 --separate-stderr ds-partition -n 2 no-such-command-here <in.ds
	[ "$status" -eq 127 ]
	[ "$output" = "" ]
	[ "$stderr" = "ds-partition: no-such-command-here: No such file or directory" ]
	printf '#!/bin/sh\n' >noexec
	chmod 644 noexec
	run -126 --separate-stderr ds-partition -n 2 ./noexec <in.ds
	[ "$status" -eq 126 ]
	[ "$stderr" = "ds-partition: ./noexec: Permission denied" ]
}

@test "ds-partition: a copy's output that is not a ds stream is an error" {
	printf '#ds1\na\n%%1000\n' >in.ds
	run --separate-stderr ds-partition -n 1 sh -c 'cat >/dev/null; echo hi' \
	    <in.ds
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-partition: copy 0 (sh): output is not a ds stream" ]
	run --separate-stderr ds-partition -n 1 sh -c \
	    'cat >/dev/null; printf "#ds1\nx\\\\q\n%%1000\n"' <in.ds
	[ "$status" -eq 1 ]
	[ "$stderr" = 'ds-partition: copy 0 (sh): output line 2: invalid escape "\q"' ]
}

@test "ds-partition: a malformed input names its line" {
	printf '#ds1\na\n%%1000\nb\\q\n%%2000\n' >in.ds
	run --separate-stderr ds-partition -n 2 cat <in.ds
	[ "$status" -eq 1 ]
	# The batch before it still goes out.
	[ "$output" = "$(printf '#ds1\na\n%%1000')" ]
	[ "$stderr" = 'ds-partition: stdin:4: invalid escape "\q"' ]
}

@test "ds-partition: | head -1 ends the copies and the stage quietly" {
	local pid
	run --separate-stderr timeout 20 bash -c 'trap - PIPE
	    yes | ds-lines -n 10 -i 1s -T 0 |
	    ds-partition -n 2 sh -c "echo \$\$ >>pids; exec ds-map -f 1" |
	    head -1; echo "${PIPESTATUS[2]}" >status'
	[ "$status" -eq 0 ]
	[ "$output" = "#ds1" ]
	[ -z "$stderr" ]
	[ "$(cat status)" -eq 141 ]
	[ "$(wc -l <pids)" -eq 2 ]
	for pid in $(cat pids); do
		wait_until 10 test ! -d "/proc/$pid"
	done
}

@test "ds-partition: with SIGPIPE ignored, a closed stdout exits 1" {
	run --separate-stderr timeout 20 bash -c 'trap "" PIPE
	    yes | ds-lines -n 10 -i 1s -T 0 | ds-partition -n 2 ds-map -f 1 |
	    head -1; echo "${PIPESTATUS[2]}" >status'
	[ "$output" = "#ds1" ]
	[ "$(cat status)" -eq 1 ]
	[[ "$stderr" == *"ds-partition: stdout: Broken pipe"* ]]
}

@test "ds-partition: SIGTERM mid-batch closes that batch, then exits 0" {
	local pid
	mkfifo feed
	ds-partition -n 3 ds-reducebykey -o count <feed >out 2>err &
	pid=$!
	bg=$pid
	exec 7>feed
	printf '#ds1\na\nb\nc\n%%1000\nd\ne\n' >&7
	wait_until 10 grep -q '^%1000$' out
	kill -TERM "$pid"
	# It waits for the batch end, which is still to come.
	# What follows it may find the input closed: a subshell takes the
	# SIGPIPE.
	(printf 'a\nf\n%%2000\ng\n%%3000\n' >&7) || true
	exec 7>&-
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	[ ! -s err ]
	[ "$(tail -n 1 out)" = "%2000" ]
	[ "$(sed -n '/^%1000$/,/^%2000$/p' out | grep -v '^%' | sort |
	    tr '\n' ' ')" = "$(printf 'a\t1 d\t1 e\t1 f\t1 ')" ]
}

@test "ds-partition: SIGINT to the whole job stops it at a batch boundary" {
	local pid
	mkfifo feed
	# A job of its own, with SIGINT as an interactive shell leaves it.
	env --default-signal=INT setsid ds-partition -n 2 cat \
	    <feed >out 2>err &
	pid=$!
	bg=$pid
	exec 7>feed
	printf '#ds1\na\n%%1000\nb\nc\n' >&7
	wait_until 10 grep -q '^%1000$' out
	# The copies get it too, and ignore it.
	kill -INT -- "-$pid"
	(printf 'd\n%%2000\ne\n%%3000\n' >&7) || true
	exec 7>&-
	st=0
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	[ ! -s err ]
	# d goes to copy 0, b and c to copy 1.
	[ "$(grep -v '^#' out | tr '\n' ' ')" = "a %1000 d b c %2000 " ]
}

# read_so_far PID: how far PID has read its stdin, a file.
read_so_far() {
	awk '/^pos:/ { print $2 }' "/proc/$1/fdinfo/0"
}

# has_read PID: PID has read some of its stdin.
has_read() {
	[ "$(read_so_far "$1")" -gt 0 ]
}

# stalled PID: PID's reading of stdin has stopped: no move in 0.2 s.
stalled() {
	local at i
	at=$(read_so_far "$1")
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		sleep 0.01
		[ "$(read_so_far "$1")" = "$at" ] || return 1
	done
}

@test "ds-partition: a slow copy slows the input, memory stays bounded" {
	local pid at st=0
	# About 17 MB of distinct keys; copy 0 reads nothing until told to.
	seq 1 2500000 | ds-lines -n 10000 -i 1s -T 0 >in.ds
	ds-partition -n 2 sh -c '[ "$DS_PARTITION" = 0 ] &&
	    while [ ! -e go ]; do sleep 0.01; done; exec cat' \
	    <in.ds >parted.ds &
	pid=$!
	bg=$pid
	wait_until 10 has_read "$pid"
	wait_until 20 stalled "$pid"
	at=$(read_so_far "$pid")
	echo "read $at bytes of $(wc -c <in.ds) while copy 0 waits"
	# What the copies' queues, pipes and buffers hold, and no more.
	[ "$at" -lt 2000000 ]
	touch go
	wait "$pid" || st=$?
	[ "$st" -eq 0 ]
	[ "$(grep -vc '^[#%]' parted.ds)" -eq 2500000 ]
	[ "$(grep -c '^%' parted.ds)" -eq "$(grep -c '^%' in.ds)" ]
}

@test "ds-partition: a big batch both ways at once does not deadlock" {
	# One batch of 4 MB through two copies that each write more than
	# they read: the copies' input and output pipes fill together.
	seq 1 600000 | ds-lines -n 1000000 -i 1s -T 0 >in.ds
	run timeout 60 sh -c 'ds-partition -n 2 ds-flatmap "{ {f[1]}, {f[1]} }" \
	    <in.ds | grep -vc "^[#%]"'
	[ "$status" -eq 0 ]
	[ "$output" -eq 1200000 ]
}

@test "ds-partition: the pipeline of the word count over copies" {
	printf 'to be or not to be\nthat is the question\nto be\n' >text
	ds-lines -n 2 -i 1s -T 0 <text | ds-words | ds-reducebykey >alone.ds
	ds-lines -n 2 -i 1s -T 0 <text | ds-words |
	    ds-partition -n 2 ds-reducebykey >parted.ds
	diff -u <(per_batch alone.ds) <(per_batch parted.ds)
}
