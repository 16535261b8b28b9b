#!/usr/bin/env bats
# man.bats: the man pages agree with the programs: each usage message is
# its page's SYNOPSIS, each page lints clean, and each example that shows
# its output gives that output.
load helper

top=$BATS_TEST_DIRNAME/..

# examples PAGE DIR: write the examples of PAGE's EXAMPLES section into DIR,
# DIR/N.cmd the command after "$ " (and the lines that continue it after a
# trailing |, && or backslash) and DIR/N.out the lines shown after it, with
# the roff escapes of literal displays undone.
examples() {
	awk -v dir="$2" '
	function unroff(s,	out, i, c) {
		out = ""
		while ((i = index(s, "\\")) > 0) {
			out = out substr(s, 1, i - 1)
			c = substr(s, i + 1, 1)
			if (c == "e")
				out = out "\\"
			else if (c != "&") {
				printf "%s:%d: unknown escape \\%s\n",
				    FILENAME, FNR, c > "/dev/stderr"
				exit 1
			}
			s = substr(s, i + 2)
		}
		return out s
	}
	/^\.Sh / { inex = $2 == "EXAMPLES"; next }
	!inex { next }
	/^\.Bd -literal/ { inbd = 1; cur = more = 0; next }
	/^\.Ed/ { inbd = 0; next }
	!inbd { next }
	/^\$ / {
		cur = ++n
		line = unroff(substr($0, 3))
		print line > (dir "/" cur ".cmd")
		printf "" > (dir "/" cur ".out")
		more = line ~ /(\||&&|\\)[ \t]*$/
		next
	}
	more {
		# The command goes on, as after a shell prompt.
		line = unroff($0)
		print line > (dir "/" cur ".cmd")
		more = line ~ /(\||&&|\\)[ \t]*$/
		next
	}
	cur { print unroff($0) > (dir "/" cur ".out") }
	' "$1"
}

# Each test goes through every page and reports every disagreement
# before it fails.

@test "man: each program's usage message is its page's SYNOPSIS" {
	local c name want n=0 bad=0

	for c in "$top"/cmd/ds-*.c; do
		name=$(basename "$c" .c)
		[ -f "$top/man/$name.1" ] || continue
		want="usage: $(synopsis_of "$name")"
		run --separate-stderr "$name" -h
		if [ "$status" -ne 0 ] || [ "$output" != "$want" ] ||
		    [ -n "$stderr" ]; then
			printf '%s -h exits %d\n' "$name" "$status"
			printf '  says:     %s\n' "$output$stderr"
			printf '  SYNOPSIS: %s\n' "$want"
			bad=1
		fi
		n=$((n + 1))
	done
	[ "$bad" -eq 0 ]
	[ "$n" -ge 3 ]
}

@test "man: every page is clean under mandoc -Tlint -Wwarning" {
	local m bad=0

	for m in "$top"/man/*.[157]; do
		mandoc -Tlint -Wwarning "$m" || bad=1
	done
	[ "$bad" -eq 0 ]
}

@test "man: every example that shows its output gives that output" {
	local m c dir n=0 bad=0

	for m in "$top"/man/*.[157]; do
		dir=$BATS_TEST_TMPDIR/${m##*/}
		mkdir "$dir"
		examples "$m" "$dir"
		for c in "$dir"/*.cmd; do
			[ -e "$c" ] || continue
			# An example shown without output (a live source, a file
			# the reader has) is not run.
			[ -s "${c%.cmd}.out" ] || continue
			n=$((n + 1))
			run --separate-stderr timeout 20 \
			    bash -o pipefail -c "$(cat "$c")"
			if [ "$status" -eq 0 ] && [ -z "$stderr" ] &&
			    [ "$output" = "$(cat "${c%.cmd}.out")" ]; then
				continue
			fi
			printf '%s: $ %s\n' "${m##*/}" "$(cat "$c")"
			printf '  exits %d%s\n' "$status" \
			    "${stderr:+, says: $stderr}"
			diff -u "${c%.cmd}.out" - <<<"$output" || true
			bad=1
		done
	done
	[ "$bad" -eq 0 ]
	[ "$n" -ge 7 ]
}
