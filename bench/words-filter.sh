#!/bin/bash
# words-filter.sh: the throughput of ds-words and ds-filter -F next to
# mawk and grep -F on the same generated text, in MB/s of input by the
# wall clock and by CPU time (user + system), each the median of three
# runs, and their ratios.  Output goes to a file, as grep stops at the
# first match when it writes to /dev/null.
# Usage: bench/words-filter.sh [megabytes]
set -eu
LC_ALL=C
export LC_ALL
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/cmd:$PATH
mb=${1:-50}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# corpus MEGABYTES: lines of 1 to 20 words drawn from 5000 made-up ones,
# the frequent ones far more often (as words in text are), separated by a
# space, now and then by two or by a TAB; seeded, so the same every time.
corpus() {
	awk -v bytes="$(($1 * 1000000))" 'BEGIN {
		srand(42)
		split("ka lo mi ne ru sa ti vo be da fe gu hi jo", syl, " ")
		for (i = 1; i <= 5000; i++) {
			w = ""
			for (n = 1 + i % 4; n > 0; n--)
				w = w syl[1 + int(rand() * 14)]
			if (i % 97 == 0)
				w = "#" w
			else if (i % 89 == 0)
				w = w "%"
			word[i] = w
		}
		while (total < bytes) {
			line = ""
			for (n = 1 + int(rand() * 20); n > 0; n--) {
				r = rand()
				sep = r < 0.9 ? " " : r < 0.95 ? "  " : "\t"
				line = line (line == "" ? "" : sep) \
				    word[int(5000 ^ rand())]
			}
			print line
			total += length(line) + 1
		}
	}'
}

# rate COMMAND...: "WALL CPU", the MB/s of COMMAND on the corpus by the
# wall clock and by CPU time, each the median of 3 runs.
rate() {
	local i t TIMEFORMAT='%R %U %S'

	for i in 1 2 3; do
		t=$( { time "$@" <"$tmp/corpus" >"$tmp/out" 2>/dev/null; } 2>&1)
		echo "$t"
	done | awk -v b="$bytes" '{
		wall[NR] = $1; cpu[NR] = $2 + $3
	}
	function median(a,	x, y, z) {
		x = a[1]; y = a[2]; z = a[3]
		if (x > y) { t = x; x = y; y = t }
		if (y > z) { t = y; y = z; z = t }
		if (x > y) { t = x; x = y; y = t }
		return y
	}
	END { printf "%.1f %.1f\n", b / median(wall) / 1e6,
	    b / median(cpu) / 1e6 }'
}

corpus "$mb" >"$tmp/corpus"
bytes=$(wc -c <"$tmp/corpus")
word=rusa
lines=$(wc -l <"$tmp/corpus")
hits=$(grep -c -F "$word" "$tmp/corpus" || true)

words=$(rate ds-words)
awkwords=$(rate mawk '{ for (i = 1; i <= NF; i++) print $i "\t1" }')
filter=$(rate ds-filter -F "$word")
grep=$(rate grep -F "$word")

printf 'corpus: %d bytes, %d lines; "%s" in %d of them\n' \
    "$bytes" "$lines" "$word" "$hits"
printf '%-24s %12s %12s\n' "MB/s" "wall clock" "CPU time"
printf '%-24s %12s %12s\n' "ds-words" $words
printf '%-24s %12s %12s\n' "mawk (words, 1)" $awkwords
printf '%-24s %12s %12s\n' "ds-filter -F $word" $filter
printf '%-24s %12s %12s\n' "grep -F $word" $grep
echo "$words $awkwords $filter $grep" | awk '{
	printf "%-24s %12.2f %12.2f\n", "ds-words / mawk", $1 / $3, $2 / $4
	printf "%-24s %12.2f %12.2f\n", "ds-filter -F / grep -F", \
	    $5 / $7, $6 / $8
}'
