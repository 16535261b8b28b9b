#!/bin/sh
# bench/kafka.sh: topic to topic on the mock cluster (tests/kafka-mock):
# ds-kafka | ds-kafka-out beside kcat -C | kcat -P copying the same
# messages, BENCH_KAFKA_N of them (default 80000: the mock keeps 5 MB of
# a partition), runs alternated, medians of BENCH_RUNS (default 3).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/cmd:$PATH
n=${BENCH_KAFKA_N:-80000}
runs=${BENCH_RUNS:-3}
tmp=$(mktemp -d)
mock=

cleanup() {
	[ -z "$mock" ] || kill "$mock" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

mkfifo "$tmp/in"
exec 3<>"$tmp/in"
"$top/tests/kafka-mock" -n 1 src:1 <&3 >"$tmp/boot" 2>/dev/null &
mock=$!
i=0
until [ -s "$tmp/boot" ]; do
	i=$((i + 1))
	[ "$i" -lt 500 ] || { echo "kafka.sh: no mock cluster" >&2; exit 1; }
	sleep 0.01
done
b=$(head -n 1 "$tmp/boot")
awk -v n="$n" 'BEGIN { for (i = 1; i <= n; i++)
    printf "message %08d of the benchmark, some forty bytes\n", i }' |
    kcat -b "$b" -P -t src

# now_ms: the wall clock in milliseconds.
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# ds: the stream passes ds-kafka-out, which lets a batch end go only once
# Kafka has all of it; the reader leaves after the batch end that follows
# the last message.
run_ds() {
	timeout 300 ds-kafka -b "$b" -o earliest -i 100ms src 2>/dev/null |
	    ds-kafka-out -b "$b" -k 0 -f 1 "dst$1" 2>/dev/null |
	    awk -v n="$n" '/^%/ { if (c >= n) exit; next } !/^#/ { c++ }'
}

run_kcat() {
	kcat -b "$b" -C -q -e -o beginning -t src |
	    kcat -b "$b" -P -t "kdst$1"
}

: >"$tmp/ds"
: >"$tmp/kcat"
r=0
while [ "$r" -lt "$runs" ]; do
	t0=$(now_ms)
	run_ds "$r"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$tmp/ds"
	t0=$(now_ms)
	run_kcat "$r"
	t1=$(now_ms)
	echo $((t1 - t0)) >>"$tmp/kcat"
	r=$((r + 1))
done
median() {
	sort -n "$1" | awk -v n="$runs" 'NR == int((n + 1) / 2) { print }'
}
ds=$(median "$tmp/ds")
kc=$(median "$tmp/kcat")
awk -v n="$n" -v ds="$ds" -v kc="$kc" 'BEGIN {
	printf "ds-kafka | ds-kafka-out   %7.3f s %9.0f msg/s\n", ds / 1000, n / (ds / 1000)
	printf "kcat -C | kcat -P         %7.3f s %9.0f msg/s\n", kc / 1000, n / (kc / 1000)
	printf "ratio ds / kcat (time)    %7.2f\n", ds / kc
}'
