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
