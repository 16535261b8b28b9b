#!/bin/sh
# bench/flume.sh [EVENTS [SIZE [CALLS]]]: the CPU time ds-flume spends on
# CALLS appendBatch calls of EVENTS bodies of SIZE bytes, beside ds-socket
# -l taking the same bodies as lines, in the same run; the clients are
# not counted.  Prints each server's CPU seconds and events a CPU second.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/cmd:$PATH
n=${1:-100000} size=${2:-100} calls=${3:-20}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cpu PID: its user + system time so far, in clock ticks.
cpu() {
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# port FILE: the port that -v reported in FILE.
port() {
	while ! grep -qs "listening on" "$1"; do sleep 0.01; done
	sed -n 's/.*listening on .*:\([0-9]*\)$/\1/p' "$1"
}

ds-flume -v -M 1G -i 100ms 127.0.0.1:0 >/dev/null 2>"$tmp/fl.err" &
fl=$!
/usr/bin/python3 "$top/bench/flume-send.py" "$(port "$tmp/fl.err")" \
    "$n" "$size" "$calls"
flcpu=$(cpu "$fl")
kill "$fl"

awk -v n="$n" -v size="$size" 'BEGIN {
	b = "abcdefghij"; while (length(b) < size) b = b b
	b = substr(b, 1, size); for (i = 0; i < n; i++) print b }' >"$tmp/lines"
ds-socket -l -v -i 100ms 127.0.0.1:0 >"$tmp/so.out" 2>"$tmp/so.err" &
so=$!
sp=$(port "$tmp/so.err")
i=0
while [ "$i" -lt "$calls" ]; do
	nc -N 127.0.0.1 "$sp" <"$tmp/lines"
	i=$((i + 1))
done
# Until every line is out (a batch end after the last).
while [ "$(grep -c '^[^#%]' "$tmp/so.out")" -lt $((n * calls)) ]; do
	sleep 0.1
done
socpu=$(cpu "$so")
kill "$so"

hz=$(getconf CLK_TCK)
awk -v a="$flcpu" -v b="$socpu" -v hz="$hz" -v ev=$((n * calls)) 'BEGIN {
	printf "ds-flume   %.2f CPU s  %.0f events/CPU s\n", a / hz, ev * hz / a
	printf "ds-socket  %.2f CPU s  %.0f lines/CPU s\n", b / hz, ev * hz / b
	printf "ratio ds-flume / ds-socket CPU: %.2f\n", a / b
}'
