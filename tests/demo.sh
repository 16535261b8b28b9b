#!/bin/sh
# demo.sh: the seed notebook's job end to end.  A line server (nc -lk on a
# port the kernel picks) sends tests/data/demo.txt a line at a time, and
#	ds-socket :PORT | ds-words | ds-reducebykey | ds-print
# counts its words in one-second batches for DEMO_BATCHES batches (5);
# meanwhile ds-ui serves the job's Streaming page at DEMO_UI
# (127.0.0.1:4040).  Then everything the script started is stopped.  Needs
# no terminal and no stdin.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH="$top/cmd:$PATH"
export PATH
pace=${DEMO_PACE:-0.12}		# seconds between lines
batches=${DEMO_BATCHES:-5}
ui=${DEMO_UI:-127.0.0.1:4040}
tmp=$(mktemp -d)
pids=

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# poll_for FILE REGEX: wait until FILE has a line matching REGEX, for at
# most 10 seconds.
poll_for() {
	i=0
	until grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		if [ "$i" -gt 200 ]; then
			echo "demo: timed out waiting for $2 in $1:" >&2
			cat "$1" >&2
			exit 1
		fi
		sleep 0.05
	done
}

command -v nc >/dev/null || {
	echo "demo: needs nc (netcat-openbsd): run make deps" >&2
	exit 1
}

# The server reads the lines it sends from a FIFO that this script holds
# open, so it never sees an end and sends only what the pacer has written.
mkfifo "$tmp/lines"
exec 3<>"$tmp/lines"
nc -lkvn 127.0.0.1 0 <"$tmp/lines" 2>"$tmp/nc.err" >/dev/null &
pids="$pids $!"
poll_for "$tmp/nc.err" '^Listening on '
port=$(sed -n 's/^Listening on [^ ]* \([0-9][0-9]*\)$/\1/p' "$tmp/nc.err")

while IFS= read -r line; do
	printf '%s\n' "$line"
	sleep "$pace"
done <"$top/tests/data/demo.txt" >&3 &
pids="$pids $!"

# The UI, unless one is running already (its socket is taken) or the
# port is: the job reports to whichever listens.
if [ -x "$top/cmd/ds-ui" ]; then
	ds-ui -v "$ui" 2>"$tmp/ui.err" &
	uipid=$!
	pids="$pids $uipid"
	i=0
	while ! grep -q 'listening on\|^ds-ui: .*: ' "$tmp/ui.err" 2>/dev/null &&
	    kill -0 "$uipid" 2>/dev/null && [ "$i" -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	url=$(sed -n 's/^ds-ui: listening on //p' "$tmp/ui.err")
	if [ -n "$url" ]; then
		echo "# open $url to watch the job, stage by stage (ds-ui)"
	else
		echo "# ds-ui: $(sed 's/^ds-ui: //' "$tmp/ui.err")"
	fi
fi

echo "# nc -lk 127.0.0.1 $port sends tests/data/demo.txt, a line every ${pace}s"
if [ -x "$top/cmd/ds-words" ] && [ -x "$top/cmd/ds-reducebykey" ]; then
	echo "\$ ds-socket -N $batches :$port | ds-words | ds-reducebykey | ds-print"
	ds-socket -N "$batches" ":$port" </dev/null | ds-words |
	    ds-reducebykey | ds-print
else
	echo "\$ ds-socket -N 5 :$port | ds-print"
	ds-socket -N 5 ":$port" </dev/null | ds-print
fi
