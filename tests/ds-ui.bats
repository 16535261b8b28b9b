#!/usr/bin/env bats
# ds-ui.bats: ds-ui against real pipelines, asked by curl (every endpoint,
# the errors), checked by promtool, and its page loaded in headless
# Chromium.  It binds 127.0.0.1 on a port the kernel picks.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	pids=()
	export DS_METRICS=$T/m.sock
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
}

# ui [ARGS]: ds-ui -v ARGS 127.0.0.1:0 in the background; its port in
# $port, its URL in $url.
ui() {
	ds-ui -v "$@" 127.0.0.1:0 2>"$T/ui.err" &
	uipid=$!
	pids+=($uipid)
	wait_until 20 grep -q '^ds-ui: listening on ' "$T/ui.err" ||
	    { cat "$T/ui.err"; ps -o pid,stat,wchan:20,args -p "$uipid"; false; }
	port=$(sed -n 's|^ds-ui: listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' \
	    "$T/ui.err")
	[ -n "$port" ]
	url=http://127.0.0.1:$port
}

# get PATH: the body of GET PATH, which must answer 200.
get() {
	curl -sS --fail "$url$1"
}

# completed N: the first pipeline has ended with N batches.
completed() {
	[ "$(get /api/v1/applications | jq -r '.[0].attempts[0].completed')" = \
	    true ] &&
	    id=$(get /api/v1/applications | jq -r '.[0].id') &&
	    [ "$(get "/api/v1/applications/$id/streaming/statistics" |
	    jq .numTotalCompletedBatches)" -eq "$1" ] &&
	    [ "$(get "/api/v1/applications/$id/streaming/pipeline" |
	    jq '[.stages[] | select(.running)] | length')" -eq 0 ]
}

# jqis PATH FILTER VALUE: jq FILTER of GET PATH is VALUE (for wait_until).
jqis() {
	[ "$(get "$1" | jq -c "$2")" = "$3" ]
}

# jqge PATH FILTER N: jq FILTER of GET PATH is at least N.
jqge() {
	[ "$(get "$1" | jq -c "$2")" -ge "$3" ]
}

@test "ds-ui: the REST API in Spark's shape, from a real pipeline" {
	ui
	seq 1000 | ds-lines -n 100 -i 1s -T 0 | ds-words | ds-reducebykey |
	    ds-cat >/dev/null
	wait_until 10 completed 10
	get /api/v1/applications >"$T/apps"
	[ "$(jq length "$T/apps")" -eq 1 ]
	[ "$(jq -r '.[0].name' "$T/apps")" = \
	    "ds-lines -n 100 -i 1s -T 0 | ds-words | ds-reducebykey | ds-cat" ]
	[ "$(jq -r '.[0].attempts[0].startTime' "$T/apps")" != null ]
	[[ "$(jq -r '.[0].attempts[0].startTime' "$T/apps")" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}GMT$ ]]
	[ "$(get "/api/v1/applications/$id" | jq -c .)" = \
	    "$(jq -c '.[0]' "$T/apps")" ]
	s=/api/v1/applications/$id/streaming
	get "$s/statistics" >"$T/stats"
	[ "$(jq -c '[.batchDuration, .numTotalCompletedBatches,
	    .numRetainedCompletedBatches, .numReceivedRecords, .avgInputRate,
	    .numActiveBatches]' "$T/stats")" = "[1000,10,10,1000,100,0]" ]
	get "$s/batches" >"$T/batches"
	[ "$(jq -c '[.[].batchId]' "$T/batches")" = \
	    "[10000,9000,8000,7000,6000,5000,4000,3000,2000,1000]" ]
	[ "$(jq -c '[.[] | .inputSize] | unique' "$T/batches")" = "[100]" ]
	[ "$(jq -r '.[0] | .batchTime, .status' "$T/batches")" = \
	    "1970-01-01T00:00:10.000GMT
COMPLETED" ]
	# Total delay is scheduling delay plus processing time.
	[ "$(jq '[.[] | select(.totalDelay !=
	    .schedulingDelay + .processingTime)] | length' "$T/batches")" -eq 0 ]
	[ "$(get "$s/batches?status=COMPLETED" | jq length)" -eq 10 ]
	[ "$(get "$s/batches?status=PROCESSING" | jq length)" -eq 0 ]
	get "$s/batches/3000" >"$T/one"
	[ "$(jq -c '[.batchId, .inputSize, [.stages[].program],
	    [.stages[].recordsIn]]' "$T/one")" = \
	    '[3000,100,["ds-lines","ds-words","ds-reducebykey","ds-cat"],[100,100,100,100]]' ]
	get "$s/pipeline" >"$T/p"
	[ "$(jq -c '[.stages[] | [.index, .program, .batches, .recordsIn,
	    .recordsOut]]' "$T/p")" = \
	    '[[0,"ds-lines",10,1000,1000],[1,"ds-words",10,1000,1000],[2,"ds-reducebykey",10,1000,1000],[3,"ds-cat",10,1000,1000]]' ]
}

@test "ds-ui: /metrics is valid Prometheus text, with the stages' counters" {
	ui
	seq 500 | ds-lines -n 100 -T 0 | ds-words | ds-cat >/dev/null
	wait_until 10 completed 5
	get /metrics >"$T/m"
	promtool check metrics <"$T/m"
	grep -q '^ds_stage_records_in_total{pipeline="[0-9]*",stage="0",pid="[0-9]*",program="ds-lines"} 500$' "$T/m"
	grep -q '^ds_stage_batches_total{.*program="ds-cat"} 5$' "$T/m"
	grep -q '^ds_stage_processing_seconds_bucket{.*program="ds-words",le="+Inf"} 5$' "$T/m"
	grep -q '^ds_ui_refused_total 0$' "$T/m"
	curl -sS -D "$T/h" -o /dev/null "$url/metrics"
	grep -qi '^content-type: text/plain; version=0.0.4' "$T/h"
}

@test "ds-ui: the index lists the pipelines, ended ones too" {
	ui
	get / >"$T/index"
	grep -q 'No pipeline has reported yet' "$T/index"
	seq 5 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 completed 1
	get / >"$T/index"
	grep -q "<a href=\"/pipeline/$id\">$id</a></td><td>ended</td><td>2</td>" \
	    "$T/index"
	grep -q '<code>ds-lines -n 5 | ds-cat</code>' "$T/index"
	get "/pipeline/$id" >"$T/page"
	grep -q '<script id="data" type="application/json">{"application"' \
	    "$T/page"
}

@test "ds-ui: an ended pipeline is forgotten after -k" {
	ui -k 1s
	seq 5 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 completed 1
	wait_until 10 jqis /api/v1/applications . '[]'
}

@test "ds-ui: -b bounds the batches kept a stage" {
	ui -b 3
	seq 10 | ds-lines -n 1 -T 0 | ds-cat >/dev/null
	wait_until 10 completed 10
	[ "$(get "/api/v1/applications/$id/streaming/batches" |
	    jq -c '[.[].batchId]')" = "[10000,9000,8000]" ]
}

@test "ds-ui: 404 for what is not there, 405 for other methods" {
	ui
	for p in /nope /api/v1/nope /api/v1/applications/123/streaming/statistics \
	    /api/v1/applications/123/streaming/batches/5 /pipeline/123 \
	    /metrics/x; do
		run curl -sS -o /dev/null -w '%{http_code}' "$url$p"
		[ "$output" = 404 ] || { echo "$p: $output"; false; }
	done
	seq 5 | ds-lines -n 5 -T 0 | ds-cat >/dev/null
	wait_until 10 completed 1
	run curl -sS -o /dev/null -w '%{http_code}' \
	    "$url/api/v1/applications/$id/streaming/batches/999"
	[ "$output" = 404 ]
	run curl -sS -o /dev/null -w '%{http_code}' \
	    "$url/api/v1/applications/$id/streaming/batches/x"
	[ "$output" = 404 ]
	run curl -sS -D "$T/h" -o /dev/null -w '%{http_code}' -X POST -d x "$url/"
	[ "$output" = 405 ]
	grep -qi '^allow: GET, HEAD' "$T/h"
	run curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$url/metrics"
	[ "$output" = 405 ]
	run curl -sS -I -o /dev/null -w '%{http_code}' "$url/metrics"
	[ "$output" = 200 ]
}

@test "ds-ui: a port in use is an error, exit 1" {
	ui
	run --separate-stderr ds-ui "127.0.0.1:$port"
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-ui: 127.0.0.1:$port: Address already in use" ]
}

@test "ds-ui: a socket another listener has is an error, exit 1" {
	ui
	run --separate-stderr ds-ui 127.0.0.1:0
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-ui: $DS_METRICS: another listener has it (ds-ui or ds-top?)" ]
}

@test "ds-ui: a socket left by a listener gone is taken over" {
	ui
	kill -KILL "$uipid"
	wait "$uipid" || true
	[ -S "$DS_METRICS" ]
	ui
	seq 5 | ds-lines -n 5 | ds-cat >/dev/null
	wait_until 10 completed 1
}

@test "ds-ui: usage errors exit 2" {
	run --separate-stderr ds-ui -b 0
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-ui: -b 0: too small" ]
	run --separate-stderr ds-ui -k soon
	[ "$status" -eq 2 ]
	[ "$stderr" = "ds-ui: -k soon: not a duration" ]
	run --separate-stderr ds-ui :1 :2
	[ "$status" -eq 2 ]
	[ "$stderr" = "usage: $(synopsis_of ds-ui)" ]
	run --separate-stderr ds-ui 4040
	[ "$status" -eq 2 ]
	DS_METRICS=off run --separate-stderr ds-ui
	[ "$status" -eq 1 ]
	[ "$stderr" = "ds-ui: DS_METRICS=off: no reports to listen for" ]
}

@test "ds-ui: reports of another user, or garbled, are refused" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to send as another user"
	# A place every user can reach, so that refusing is ds-ui's doing.
	export DS_METRICS=$(mktemp -d)/m.sock
	chmod 755 "${DS_METRICS%/*}"
	ui
	chmod 666 "$DS_METRICS"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"dsm1\t1\t1\t0\trun\t1\t1\nargv\tevil\n", sys.argv[1])' "$DS_METRICS"
	/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b"dsm1\tjunk\n", sys.argv[1])
s.sendto(b"batch\t1\t2\n", sys.argv[1])' "$DS_METRICS"
	wait_until 10 metric_is ds_ui_malformed_total 2
	metric_is ds_ui_refused_total 1
	[ "$(get /api/v1/applications)" = "[]" ]
	kill "$uipid"
	wait "$uipid" || true
	rm -r "${DS_METRICS%/*}"
}

# metric_is NAME VALUE: /metrics has the sample NAME VALUE.
metric_is() {
	get /metrics | grep -qx "$1 $2"
}

# page_batches FILE: the completed batches the page's summary shows.
page_batches() {
	sed -n 's/.*Completed batches: \([0-9]*\);.*/\1/p' "$1"
}

@test "ds-ui: the page of a live pipeline in headless Chromium" {
	command -v chromium >/dev/null || skip "no chromium"
	ui
	mkfifo "$T/in"
	exec 4<>"$T/in"
	ds-lines -i 100ms <"$T/in" 4>&- | ds-words 4>&- |
	    ds-reducebykey 4>&- >/dev/null &
	pids+=($!)
	# Lines for a while, the text three times, the last batches empty.
	cat "$DATA/demo.txt" "$DATA/demo.txt" "$DATA/demo.txt" |
	    while IFS= read -r line; do
		printf '%s\n' "$line"
		sleep 0.03
	done >&4 4>&- &
	pids+=($!)
	wait_until 10 jqis /api/v1/applications length 1
	id=$(get /api/v1/applications | jq -r '.[0].id')
	wait_until 10 jqis "/api/v1/applications/$id/streaming/pipeline" \
	    '.stages | length' 3
	chrome() {
		timeout 60 chromium --headless --no-sandbox --disable-gpu \
		    --disable-background-networking --disable-component-update \
		    --disable-sync --no-first-run --user-data-dir="$T/chrome" \
		    --enable-logging=stderr --v=0 "$@" "$url/pipeline/$id"
	}
	chrome --dump-dom >"$T/dom1" 2>"$T/chrome1.err"
	grep -q '<code id="name">ds-lines -i 100ms | ds-words | ds-reducebykey</code>' \
	    "$T/dom1"
	# The script drew the four timelines and histograms, and the stages.
	[ "$(grep -o '<svg' "$T/dom1" | wc -l)" -eq 8 ]
	grep -q '<polyline' "$T/dom1"
	grep -q '<td class="l cmd">ds-words</td>' "$T/dom1"
	! grep -i 'uncaught\|console.*error' "$T/chrome1.err"
	n1=$(page_batches "$T/dom1")
	[ "$n1" -ge 1 ]
	wait_until 20 jqge "/api/v1/applications/$id/streaming/statistics" \
	    .numTotalCompletedBatches $((n1 + 5))
	chrome --dump-dom >"$T/dom2" 2>"$T/chrome2.err"
	n2=$(page_batches "$T/dom2")
	[ "$n2" -ge $((n1 + 5)) ]
	# For people to look at: the page as it is.
	mkdir -p "$BATS_TEST_DIRNAME/out"
	rm -f "$BATS_TEST_DIRNAME/out/ds-ui.png"
	chrome --window-size=1200,1500 \
	    --screenshot="$BATS_TEST_DIRNAME/out/ds-ui.png" 2>"$T/chrome3.err"
	[ -s "$BATS_TEST_DIRNAME/out/ds-ui.png" ]
}

@test "ds-ui: a command line that is not UTF-8 is shown, and JSON stays valid" {
	ui
	printf 'a\n' | ds-lines -n 1 | ds-filter -F $'caf\xe9' >/dev/null
	wait_until 10 completed 1
	get /api/v1/applications >"$T/apps"
	[ "$(jq -r '.[0].name' "$T/apps")" = $'ds-lines -n 1 | ds-filter -F caf\xef\xbf\xbd' ]
	get "/api/v1/applications/$id/streaming/pipeline" | jq -e .stages >/dev/null
}
