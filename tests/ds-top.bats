#!/usr/bin/env bats
# ds-top.bats: ds-top in a terminal of tmux's, run by a tmux server of the
# test's own: a line per stage of a live pipeline, q to quit.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
	export DS_METRICS=$T/m.sock
	tm=(tmux -S "$T/tmux.sock" -f /dev/null)
}

teardown() {
	local p

	exec 4>&- 2>/dev/null || true
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	"${tm[@]}" kill-server 2>/dev/null || true
}

# top [ARGS]: ds-top ARGS in a 160x30 tmux window.
top() {
	"${tm[@]}" new-session -d -s top -x 160 -y 30 \
	    "env DS_METRICS='$DS_METRICS' PATH='$PATH' ds-top $*; echo exited \$?; sleep 30"
	wait_until 10 screen_has 'ds-top - '
}

# screen_has REGEX: the window shows a line matching REGEX.
screen_has() {
	"${tm[@]}" capture-pane -p -t top >"$T/screen"
	grep -q -- "$1" "$T/screen"
}

# batches_of PROGRAM: the batches the screen shows of PROGRAM.
batches_of() {
	awk -v p="$1" '$2 == p { print $3 }' "$T/screen"
}

# batches_above PROGRAM N: the screen shows more than N batches of it.
batches_above() {
	screen_has . && [ "$(batches_of "$1")" -gt "$2" ]
}

# window_has WINDOW REGEX: as screen_has, in another window.
window_has() {
	"${tm[@]}" capture-pane -p -t "top:$1" | grep -q -- "$2"
}

@test "ds-top: a line per stage of a live pipeline, q quits" {
	top
	screen_has 'no pipeline has reported yet'
	mkfifo "$T/in"
	exec 4<>"$T/in"
	ds-lines -i 100ms <"$T/in" 4>&- | ds-words 4>&- |
	    ds-reducebykey 4>&- >/dev/null &
	pids+=($!)
	echo "to be or not to be" >&4
	wait_until 10 screen_has ' ds-reducebykey .* run  *ds-reducebykey$'
	screen_has 'pipeline [0-9]* (running, 3 stages)'
	# In the data's order, under the header.
	grep -A 4 '^ *PID PROGRAM' "$T/screen" | awk 'NR > 2 { print $2 }' |
	    tr '\n' ' ' >"$T/order"
	[ "$(cat "$T/order")" = "ds-lines ds-words ds-reducebykey " ]
	# A line in, six words out, four distinct; the batches keep coming.
	wait_until 10 screen_has ' ds-words  *[0-9]*  *1  *6 '
	screen_has ' ds-reducebykey  *[0-9]*  *6  *4 '
	b1=$(batches_of ds-lines)
	wait_until 10 batches_above ds-lines "$b1"
	exec 4>&-
	wait_until 10 screen_has 'pipeline [0-9]* (ended, 3 stages)'
	"${tm[@]}" send-keys -t top q
	wait_until 10 screen_has '^exited 0$'
}

@test "ds-top: errors: no terminal, the socket taken, usage" {
	run --separate-stderr ds-top </dev/null
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-top: needs a terminal" ]
	run --separate-stderr ds-top -d 0
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-top: -d 0: not a positive duration" ]
	run --separate-stderr ds-top x
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: $(synopsis_of ds-top)" ]
	top
	"${tm[@]}" new-window -t top -n two \
	    "env DS_METRICS='$DS_METRICS' PATH='$PATH' ds-top; echo exited \$?; sleep 30"
	wait_until 10 window_has two '^exited 1$'
	window_has two "^ds-top: $DS_METRICS: another listener has it"
	# The first quits as asked, not by the hangup of the teardown.
	"${tm[@]}" send-keys -t top:0 q
	wait_until 10 window_has 0 '^exited 0$'
}
