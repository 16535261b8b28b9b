#!/usr/bin/env bats
# ds-session.bats: session windows against a reference over seeded
# streams, gaps exactly equal to -g, -m, sessions closed at the end, the
# aggregates, checkpoints, and records passed through intact.
load helper

setup() {
	T=$BATS_TEST_TMPDIR
	ck=$T/ck
}

AWK=$(command -v mawk || command -v awk)

# gen SEED: batches one second apart with gaps of up to 6 s, each with 0
# to 4 records of a key k0 to k4 and an integer value.
gen() {
	"$AWK" -v seed="$1" 'BEGIN {
		srand(seed)
		print "#ds1"
		t = 1000
		for (b = 0; b < 120; b++) {
			for (n = int(rand() * 5); n > 0; n--)
				printf "k%d\t%d\n", int(rand() * 5), \
				    int(rand() * 21) - 10
			print "%" t
			t += 1000 * (rand() < 0.2 ? 1 + int(rand() * 6) : 1)
		}
	}'
}

# reference GAP: from a stream, the sessions as "closing-batch key start
# end count sum", sorted: a key's batches with values split where two are
# GAP or more apart; a session closes in the first batch at or after its
# last batch plus GAP, or in the last batch, at the newest open session's
# last plus GAP, at the end.
reference() {
	"$AWK" -F '\t' -v gap="$1" '
	/^#/ { next }
	/^%/ {
		t = substr($0, 2) + 0
		times[++nt] = t
		for (k in inb) {
			if (k in last && t - last[k] >= gap)
				close_(k)
			if (!(k in last)) {
				start[k] = t
				cnt[k] = 0
				sum[k] = 0
			}
			cnt[k] += inb[k]
			sum[k] += vb[k]
			last[k] = t
		}
		for (k in inb)
			delete inb[k]
		next
	}
	{ inb[$1]++; vb[$1] = ($1 in inb) && inb[$1] > 1 ? vb[$1] + $2 : $2 }
	function close_(k) {
		out[++no] = k "\t" start[k] "\t" (last[k] + gap) "\t" cnt[k] \
		    "\t" sum[k] "\t" last[k] + gap
		delete last[k]
	}
	END {
		for (k in last)
			close_(k)
		fin = 0
		for (i = 1; i <= no; i++) {
			split(out[i], f, "\t")
			due = f[6]
			at = -1
			for (j = 1; j <= nt; j++)
				if (times[j] >= due) {
					at = times[j]
					break
				}
			lines[i] = f[1] "\t" f[2] "\t" f[3] "\t" f[4] "\t" f[5]
			when[i] = at
			if (at == -1 && due > fin)
				fin = due
		}
		for (i = 1; i <= no; i++)
			print (when[i] == -1 ? fin : when[i]) "\t" lines[i]
	}' | sort
}

@test "ds-session: seeded streams give the reference's sessions, in their batches" {
	local seed gap

	for seed in 1 2 3 4 5 6; do
		gen "$seed" >"$T/in"
		for gap in 1s 2s 3s 7s; do
			reference $((${gap%s} * 1000)) <"$T/in" >"$T/want"
			ds-session -g "$gap" <"$T/in" | ds-cat -t | sort >"$T/got"
			diff -u "$T/want" "$T/got" ||
			    { echo "seed $seed, -g $gap"; return 1; }
		done
	done
}

@test "ds-session: a gap exactly -g apart starts a new session, 1 ms less does not" {
	printf '#ds1\na\t1\n%%1000\na\t2\n%%2999\na\t4\n%%4999\n' >"$T/in"
	golden "$T/in" ds-session -g 2s <<-'EOF'
	#ds1
	%1000
	%2999
	a	1000	4999	2	3
	%4999
	a	4999	6999	1	4
	%6999
	EOF
}

@test "ds-session: a session spans batch boundaries and closes after a gap in batch times" {
	printf '#ds1\na\t1\n%%1000\na\t1\nb\t5\n%%2000\na\t1\n%%3000\n%%90000\nb\t1\n%%91000\n' >"$T/in"
	golden "$T/in" ds-session -g 10s <<-'EOF'
	#ds1
	%1000
	%2000
	%3000
	b	2000	12000	1	5
	a	1000	13000	3	3
	%90000
	%91000
	b	91000	101000	1	1
	%101000
	EOF
}

@test "ds-session: keys that never go silent close at the end of the input" {
	printf '#ds1\na\t1\nb\t2\n%%1000\na\t3\n%%2000\nc\t1\n%%3000\n' >"$T/in"
	# Oldest last batch first, in a batch at the newest one's close.
	golden "$T/in" ds-session -g 1m <<-'EOF'
	#ds1
	%1000
	%2000
	%3000
	b	1000	61000	1	2
	a	1000	62000	2	4
	c	3000	63000	1	1
	%63000
	EOF
}

@test "ds-session: -m cuts a session that runs longer" {
	printf '#ds1\na\t1\n%%1000\na\t1\n%%2000\na\t1\n%%3000\na\t1\n%%4000\n' >"$T/in"
	golden "$T/in" ds-session -g 5s -m 2s <<-'EOF'
	#ds1
	%1000
	%2000
	a	1000	7000	2	2
	%3000
	%4000
	a	3000	9000	2	2
	%9000
	EOF
}

@test "ds-session: the ops and a Lua reducer of ds-reducebykey, -k and -f" {
	printf '#ds1\nx\tu\t3\nx\tu\t1.5\nx\tv\t7\n%%1000\n' >"$T/in"
	golden "$T/in" ds-session -g 1s -k 2 -f 3 -o mean <<-'EOF'
	#ds1
	%1000
	u	1000	2000	2	2.25
	v	1000	2000	1	7.0
	%2000
	EOF
	golden "$T/in" sh -c 'ds-session -g 1s -k 2 -f 3 -o last | ds-cat' <<-'EOF'
	u	1000	2000	2	1.5
	v	1000	2000	1	7
	EOF
	golden "$T/in" sh -c 'ds-session -g 1s -k 2 -f 3 -o count | ds-cat' <<-'EOF'
	u	1000	2000	2	2
	v	1000	2000	1	1
	EOF
	golden "$T/in" sh -c "ds-session -g 1s -k 2 -f 3 'a .. \"+\" .. b' |
	    ds-cat" <<-'EOF'
	u	1000	2000	2	3+1.5
	v	1000	2000	1	7
	EOF
}

@test "ds-session: keys pass through intact: escapes, NUL, a leading #" {
	printf '#ds1\n\\#a\\tb\\n\\\\\t1\n\000\t2\n%%1000\n' >"$T/in"
	ds-session -g 1s <"$T/in" >"$T/got"
	printf '#ds1\n%%1000\n\\#a\\tb\\n\\\\\t1000\t2000\t1\t1\n\000\t1000\t2000\t1\t2\n%%2000\n' |
	    cmp - "$T/got"
}

@test "ds-session: a value that is not a number, with and without -I" {
	printf '#ds1\na\t1\na\tx\n%%1000\n' >"$T/in"
	run --separate-stderr ds-session -g 1s <"$T/in"
	assert_failure 1
	assert_equal "$stderr" 'ds-session: stdin:3: field 2: not a number: "x"'
	run --separate-stderr ds-session -I -g 1s <"$T/in"
	assert_success
	assert_equal "$stderr" "ds-session: values skipped, not numbers: 1"
	assert_line --index 2 'a	1000	2000	1	1'
}

@test "ds-session: a restart after any batch goes on from the checkpoint, every op and Lua" {
	local cut op t

	gen 9 >"$T/in"
	for op in "-o sum" "-o mean" "-o first" "-o max" "'a .. \",\" .. b'"; do
		for cut in 1 7 30 61 119; do
			rm -rf "$ck"
			eval "set -- $op"
			ds-session -g 3s "$@" <"$T/in" >"$T/want"
			# The first cut batches, then the whole input again: its
			# batches up to the checkpoint are dropped.
			"$AWK" -v n="$cut" '/^%/ { b++ } { print } b == n { exit }' \
			    "$T/in" >"$T/part"
			ds-session -g 3s -c "$ck" "$@" <"$T/part" >"$T/out1"
			t=$(tail -1 "$T/part")
			ds-session -g 3s -c "$ck" "$@" <"$T/in" >"$T/out2"
			# The first run's batches up to the checkpoint, then the
			# second's.
			{ "$AWK" -v t="$t" '{ print } $0 == t { exit }' "$T/out1"
			  sed 1d "$T/out2"; } >"$T/got"
			diff -u "$T/want" "$T/got" ||
			    { echo "$op, cut after $cut batches"; return 1; }
		done
	done
	head -2 "$ck/sessions" | diff -u - <(printf '#ds1\n#ds-session 1 lua\n')
}

@test "ds-session: a checkpoint of another op, or garbled, is an error" {
	printf '#ds1\na\t1\n%%1000\n' >"$T/in"
	ds-session -g 5s -c "$ck" <"$T/in" >/dev/null
	run --separate-stderr ds-session -g 5s -o max -c "$ck" <"$T/in"
	assert_failure 1
	assert_equal "$stderr" \
	    "ds-session: $ck/sessions: not a ds-session checkpoint for -o max"
	printf '#ds1\n#ds-session 1 sum\nx\t1\n%%5\n' >"$ck/sessions"
	run --separate-stderr ds-session -g 5s -c "$ck" <"$T/in"
	assert_failure 1
	assert_equal "$stderr" \
	    "ds-session: $ck/sessions:3: not a checkpoint record"
	printf '#ds1\n#ds-session 1 sum\n' >"$ck/sessions"
	run --separate-stderr ds-session -g 5s -c "$ck" <"$T/in"
	assert_failure 1
	assert_equal "$stderr" "ds-session: $ck/sessions: truncated"
}

@test "ds-session: usage errors exit 2" {
	run --separate-stderr ds-session
	assert_failure 2
	assert_equal "$stderr" "usage: $(synopsis_of ds-session)"
	run --separate-stderr ds-session -g 0
	assert_failure 2
	assert_equal "$stderr" "ds-session: -g 0: not a positive duration"
	run --separate-stderr ds-session -g 1s -o sum 'a + b'
	assert_failure 2
	assert_equal "$stderr" \
	    "ds-session: -o and a Lua reducer exclude each other"
	run --separate-stderr ds-session -g 1s -o nope
	assert_failure 2
}

@test "ds-session: an end past the last batch time an int64 holds" {
	printf '#ds1\na\t1\n%%9223372036854775806\n' >"$T/in"
	golden "$T/in" ds-session -g 1s <<-'EOF'
	#ds1
	%9223372036854775806
	a	9223372036854775806	9223372036854775807	1	1
	%9223372036854775807
	EOF
	printf '#ds1\na\t1\n%%9223372036854775807\n' >"$T/in"
	run --separate-stderr ds-session -g 1s <"$T/in"
	assert_failure 1
	assert_equal "$stderr" "ds-session: no batch time after 9223372036854775807 for the sessions still open"
	assert_output "$(printf '#ds1\n%%9223372036854775807')"
}
