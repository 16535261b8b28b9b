#!/bin/sh
# bench/socket.sh FILE ds|nc: one TCP client sends FILE to a server that
# writes what it reads into a pipe: ds-socket -l (ds), or nc -l (nc, the
# peer).  Prints the wall time in seconds from the connect to the server
# having read it all.
set -eu
file=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/err"
mkfifo "$tmp/pipe"
cat "$tmp/pipe" >/dev/null &
if [ "$2" = ds ]; then
	ds-socket -v -l 127.0.0.1:0 >"$tmp/pipe" 2>"$tmp/err" &
	pattern='s/^ds-socket: listening on .*:\([0-9]*\)$/\1/p'
else
	nc -lvn 127.0.0.1 0 >"$tmp/pipe" 2>"$tmp/err" &
	pattern='s/^Listening on [^ ]* \([0-9]*\)$/\1/p'
fi
server=$!
i=0
while [ -z "$(sed -n "$pattern" "$tmp/err")" ] && [ "$i" -lt 500 ]; do
	sleep 0.01
	i=$((i + 1))
done
port=$(sed -n "$pattern" "$tmp/err")
t0=$(date +%s%N)
nc -N 127.0.0.1 "$port" <"$file"
if [ "$2" = ds ]; then
	# Read all once ds-socket has seen the client close.
	while ! grep -q ': closed$' "$tmp/err"; do
		sleep 0.001
	done
	t1=$(date +%s%N)
	kill -TERM "$server"
else
	wait "$server"
	t1=$(date +%s%N)
fi
wait
echo "$t0 $t1" | awk '{ printf "%.3f\n", ($2 - $1) / 1e9 }'
