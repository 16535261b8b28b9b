#!/bin/sh
# bench/window.sh: the cost of a sliding window by key.  ds-reducebykey -w
# keeps a table of aggregates a batch (lib/swag.c), so its cost per batch
# should not grow with the window, and its memory should follow the keys
# and batches of the window, not its records; recomputing each window from
# its records (ds-window | ds-reducebykey) costs the window's records at
# each slide.
#
# Batches are 1 ms apart, each of 50 records over 1000 keys; windows are
# N = 10, 100, 1000 and 3600 batches.  The cost per batch is the steady
# state's: the time of N + M batches less that of the first N, which fill
# the window, over M, where M is STEADY (default 4000) rounded down to a
# multiple of N, at least N: the two stacks flip every N batches, and M
# holds whole flips.  The least of RUNS runs (default 2).  Memory is the
# peak resident size of the largest process.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/bench/out
PATH=$top/cmd:$PATH
input=
export LC_ALL=C PATH input
steady=${STEADY:-4000}
runs=${RUNS:-2}
mkdir -p "$out"

if ! command -v /usr/bin/time >/dev/null; then
	echo "window.sh: needs GNU time (Debian package time; make deps)" >&2
	exit 1
fi

# stream NBATCH: the path of the first NBATCH batches of the stream.
stream() {
	s=$out/window-$1.ds
	[ -s "$s" ] || awk -v nb="$1" 'BEGIN {
		srand(1)
		print "#ds1"
		for (t = 1; t <= nb; t++) {
			for (i = 0; i < 50; i++)
				printf "k%d\t%d\n", int(rand() * 1000),
				    int(rand() * 100)
			printf "%%%d\n", t
		}
	}' >"$s"
	echo "$s"
}

# run COMMAND: run the shell command $runs times, output to /dev/null; set
# $secs (the least wall time) and $kb (the peak RSS of its largest
# process).
run() {
	i=0
	: >"$out/window-times"
	while [ "$i" -lt "$runs" ]; do
		/usr/bin/time -f '%e %M' -o "$out/window-time" sh -c "$1" \
		    >/dev/null
		cat "$out/window-time" >>"$out/window-times"
		i=$((i + 1))
	done
	secs=$(sort -n "$out/window-times" | awk 'NR == 1 { print $1 }')
	kb=$(sort -k2,2n "$out/window-times" | awk 'END { print $2 }')
}

# steady N COMMAND: run COMMAND, which reads "$input", on N + M batches
# and on N; set $cost (seconds per 1000 batches in the steady state) and
# $mb (memory of the longer run, MB).
steady() {
	m=$((steady / $1 * $1))
	[ "$m" -ge "$1" ] || m=$1
	input=$(stream $(($1 + m)))
	run "$2"
	long=$secs
	mb=$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')
	input=$(stream "$1")
	run "$2"
	cost=$(awk -v a="$long" -v b="$secs" -v n="$m" \
	    'BEGIN { printf "%.3f", (a - b) / n * 1000 }')
}

echo "machine: $(nproc) cores, $(uname -m)," \
    "$(awk '/model name/ { $1 = $2 = $3 = ""; print; exit }' /proc/cpuinfo)"
echo "batches of 1 ms, 50 records each over 1000 keys; windows of N batches"
echo "s/1k: seconds per 1000 input batches once the window is full (least of" \
    "$runs runs)"
echo "MB: peak RSS of the largest process"
echo
printf '%6s %8s | %-17s | %-17s | %-17s | %-17s\n' "" "records" \
    "-w N -s 1" "-w N -s N/10" "recompute -s 1" "recompute -s N/10"
printf '%6s %8s | %8s %8s | %8s %8s | %8s %8s | %8s %8s\n' "N" \
    "in win" "s/1k" "MB" "s/1k" "MB" "s/1k*" "MB" "s/1k" "MB"
for n in 10 100 1000 3600; do
	s=$((n / 10))
	steady "$n" "ds-reducebykey -i 1ms -w ${n}ms -s 1ms <\"\$input\""
	w1=$cost w1mb=$mb
	steady "$n" "ds-reducebykey -i 1ms -w ${n}ms -s ${s}ms <\"\$input\""
	ws=$cost wsmb=$mb
	# At -s 1 each batch brings a full window to recompute, and the
	# first N windows alone are N^2/2 batches: too slow to run.  With
	# -s N every window is full and each batch is in one: a window's
	# cost is the run's time times N over the batches; count one a
	# batch.
	input=$(stream $((n + steady)))
	run "ds-window -i 1ms ${n}ms ${n}ms <\"\$input\" | ds-reducebykey"
	r1=$(awk -v n="$n" -v nb=$((n + steady)) -v s="$secs" \
	    'BEGIN { printf "%.3f", s * n / nb * 1000 }')
	r1mb=$(awk -v kb="$kb" 'BEGIN { printf "%.1f", kb / 1024 }')
	steady "$n" "ds-window -i 1ms ${n}ms ${s}ms <\"\$input\" | ds-reducebykey"
	rs=$cost rsmb=$mb
	printf '%6d %8d | %8s %8s | %8s %8s | %8s %8s | %8s %8s\n' "$n" \
	    $((n * 50)) "$w1" "$w1mb" "$ws" "$wsmb" "$r1" "$r1mb" "$rs" "$rsmb"
done
echo
echo "* recompute -s 1: the time of one full window (runs with -s N)," \
    "one a batch"
echo "records in win: what ds-window holds; ds-reducebykey -w holds a table of"
echo "the keys of each suffix of the window's batches, up to 1000 keys a batch"
