#!/bin/sh
# bench/partition.sh: ds-partition against the stage it spreads, in one
# run: wall time, CPU time (user + system of every process) and CPU time
# per record, the partitioned and the plain command alternating, medians
# of BENCH_RUNS.  Then what the figures predict for 16 cores.  Run by
# bench/run, which has made the corpus.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/bench/out
PATH=$top/cmd:$PATH
export LC_ALL=C PATH
runs=${BENCH_RUNS:-3}
mb=${BENCH_MB:-100}
corpus=$out/words-$mb.txt
cores=$(nproc)
[ -s "$corpus" ] || { echo "no $corpus: run bench/run" >&2; exit 1; }

ds-lines -n 100000 -T 0 "$corpus" >"$out/corpus.ds"
ds-lines -n 100000 -T 0 "$corpus" | ds-words >"$out/words.ds"
sync
lines=$(grep -vc '^[#%]' "$out/corpus.ds")
words=$(grep -vc '^[#%]' "$out/words.ds")

# pair A B: run the shell commands A and B alternately, $runs times each;
# set $wa $ca $wb $cb, the median wall and CPU seconds of each.
pair() {
	: >"$out/pa"
	: >"$out/pb"
	i=0
	while [ "$i" -lt "$runs" ]; do
		one "$1" >>"$out/pa"
		one "$2" >>"$out/pb"
		i=$((i + 1))
	done
	wa=$(med 1 "$out/pa")
	ca=$(med 2 "$out/pa")
	wb=$(med 1 "$out/pb")
	cb=$(med 2 "$out/pb")
}

# one CMD: "wall cpu" of one run, output down a pipe.
one() {
	t0=$(date +%s%N)
	/usr/bin/time -f '%U %S' -o "$out/cpu" sh -c "$1" | cat >/dev/null
	t1=$(date +%s%N)
	awk -v w="$(((t1 - t0) / 1000000))" '{ printf "%.3f %.3f\n",
	    w / 1000, $1 + $2 }' "$out/cpu"
}

# med COLUMN FILE: the median of a column.
med() {
	sort -n -k "$1,$1" "$2" | awk -v c="$1" -v n="$runs" \
	    'NR == int((n + 1) / 2) { print $c }'
}

# row NAME WALL CPU RECORDS [MB]: a line of the table.
row() {
	awk -v name="$1" -v w="$2" -v c="$3" -v n="$4" -v mb="${5:-}" \
	    -v cores="$cores" 'BEGIN {
		printf "  %-46s %7.3f s  cpu %7.3f s  %6.3f us/record", name,
		    w, c, c / n * 1e6
		if (mb != "")
			printf "  %7.1f MB/s", mb / w
		printf "  (%d cores)\n", cores
	}'
}

echo "ds-partition on $cores cores: $words words, $lines lines; $runs runs each, alternating, medians"
echo "load average before: $(cut -d ' ' -f 1-3 /proc/loadavg)"

# compare NAME CMD NAME CMD RECORDS [MB]: the pair's rows and their ratio.
compare() {
	pair "$2" "$4"
	row "$1" "$wa" "$ca" "$5" "${6:-}"
	row "$3" "$wb" "$cb" "$5" "${6:-}"
	awk -v a="$wa" -v b="$wb" \
	    'BEGIN { printf "  ratio partitioned / plain, wall: %.2f\n", b / a }'
}

compare "ds-lines | ds-words | ds-reducebykey | ds-cat" \
    "ds-lines -n 100000 -T 0 '$corpus' | ds-words | ds-reducebykey | ds-cat" \
    "the same, ds-partition -n 2 ds-reducebykey" \
    "ds-lines -n 100000 -T 0 '$corpus' | ds-words | ds-partition -n 2 ds-reducebykey | ds-cat" \
    "$words"
compare "ds-reducebykey alone, on the word stream" \
    "ds-reducebykey <'$out/words.ds'" \
    "ds-partition -n 2 ds-reducebykey" \
    "ds-partition -n 2 ds-reducebykey <'$out/words.ds'" "$words"
stage=$ca
stagepart=$cb
compare "ds-map -f 1" "ds-map -f 1 <'$out/corpus.ds'" \
    "ds-partition -n 2 ds-map -f 1" \
    "ds-partition -n 2 ds-map -f 1 <'$out/corpus.ds'" "$lines" "$mb"
# A stage that costs more a record: a Lua reducer.
compare "ds-reducebykey 'a + b' (Lua), on the word stream" \
    "ds-reducebykey 'a + b' <'$out/words.ds'" \
    "ds-partition -n 2 ds-reducebykey 'a + b'" \
    "ds-partition -n 2 ds-reducebykey 'a + b' <'$out/words.ds'" "$words"
lua=$ca
luapart=$cb

# What ds-partition costs a record of a stage: the CPU of the partitioned
# stage less that of the stage alone (the copies do the stage's work and
# the partitioner the rest).  The partitioner is one process, on a core
# of its own; the copies share the others.  So with C cores the stage
# takes max(partitioner, stage / (C - 1)) a record, when what feeds it
# keeps up.
awk -v n="$words" -v s1="$stage" -v p1="$stagepart" -v s2="$lua" \
    -v p2="$luapart" 'BEGIN {
	predict("ds-reducebykey", s1 / n * 1e6, (p1 - s1) / n * 1e6)
	predict("ds-reducebykey a + b", s2 / n * 1e6, (p2 - s2) / n * 1e6)
}
function predict(name, s, p,	c, t) {
	printf "  %s: %.3f us/record alone, ds-partition %.3f us/record more\n", name, s, p
	for (c = 2; c <= 16; c *= 2) {
		t = (p > s / (c - 1) ? p : s / (c - 1))
		printf "    predicted for %2d cores: %.3f us/record, %.1fx the stage alone\n", c, t, s / t
	}
}'
