# helper.bash: loaded by every bats file: a fixed locale and zone, the
# programs under test first on PATH, and polling with a deadline.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

export LC_ALL=C
export TZ=UTC
PATH="$BATS_TEST_DIRNAME/../cmd:$PATH"
DATA="$BATS_TEST_DIRNAME/data"

# wait_until SECONDS COMMAND...: run COMMAND every 10 ms until it succeeds;
# fail if it has not within SECONDS.
wait_until() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			echo "timed out waiting for: $*" >&2
			return 1
		fi
		sleep 0.01
	done
}

# usage_of PROGRAM: the SYNOPSIS of its man page, as one line.
synopsis_of() {
	mandoc -Tascii "$BATS_TEST_DIRNAME/../man/$1.1" | col -bx |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' |
	    tr -s ' \n' '  ' | sed 's/^ //; s/ $//'
}

# golden INPUT COMMAND...: run COMMAND with the file INPUT on stdin; it must
# exit 0, write nothing on stderr, and write exactly the bytes that golden
# reads on its own stdin (the expected output, as a here-document).
golden() {
	local input=$1 status=0
	local out=$BATS_TEST_TMPDIR/golden.out err=$BATS_TEST_TMPDIR/golden.err
	shift
	"$@" <"$input" >"$out" 2>"$err" || status=$?
	diff -u - "$out"
	diff -u /dev/null "$err"
	[ "$status" -eq 0 ]
}

# gen_stream N SEED MIN WORDS: a seeded stream of about N records of MIN
# to four fields, each a word of WORDS (space-separated, as ds(5) fields,
# escapes included) or empty, in batches, some of them empty.
gen_stream() {
	awk -v n="$1" -v seed="$2" -v min="$3" -v words="$4" 'BEGIN {
		srand(seed)
		m = split(words, w, " ")
		w[++m] = ""
		print "#ds1"
		t = 1000
		for (i = 0; i < n; i++) {
			if (rand() < 0.05) {
				do {
					print "%" t
					t += 1000
				} while (rand() < 0.3)
				continue
			}
			line = ""
			j = 0
			for (k = min + int(rand() * (5 - min)); k > 0; k--)
				line = line (j++ ? "\t" : "") \
				    w[1 + int(rand() * m)]
			# A record line may not begin with a bare % or #.
			if (line ~ /^[%#]/)
				line = "\\" line
			print line
		}
		print "%" t
	}'
}

# reseal FILE: give a checkpoint of ds-checkpoint(5) that a test edited
# the length and checksum of its payload again, by xxhsum(1), so that
# what the edit made of it is read past the store.
reseal() {
	local name len sum
	name=$(head -n 1 "$1" | cut -d' ' -f3)
	tail -n +2 "$1" >"$1.payload"
	len=$(wc -c <"$1.payload")
	sum=$(xxhsum -H1 "$1.payload" | cut -d' ' -f1)
	{ printf 'ds-checkpoint 1 %s %020d %s\n' "$name" "$len" "$sum"
	  cat "$1.payload"; } >"$1"
	rm "$1.payload"
}
