#!/usr/bin/env bats
# intact.bats: records come through every program intact.  Seeded streams
# whose fields hold every escape of ds(5) go through each program that
# passes records on or re-emits them; what comes out, decoded field by
# field by tests/intact (which shares no code with lib/), must be what an
# awk computes from the decoded input.  To cover a new program, add a test
# calling intact with its command and the awk of what it should write.
load helper

INTACT=$BATS_TEST_DIRNAME/intact
SEEDS=${INTACT_SEEDS:-"1 2 3 4 5"}
RECORDS=${INTACT_RECORDS:-1500}

# The awk functions the expected outputs are written with.  A transcript
# line is "R F1 F2 ..." (each field in hexadecimal, "-" when empty) or
# "B TIME".  f(i) is field i's hex, "" when empty or missing; nf() the
# number of fields; join(i) fields i.. joined by TAB; has(s, n) whether
# the bytes of n occur in s; drop(s, b) s without the bytes of b.
# Compare fields as strings (f(i) ""): awk takes "0061" and "61" for the
# same number.
LIB='
function f(i) { return i + 1 <= NF && $(i + 1) != "-" ? $(i + 1) : "" }
function nf() { return NF - 1 }
function join(i,   s, j) {
	s = f(i)
	for (j = i + 1; j <= nf(); j++)
		s = s "09" f(j)
	return s
}
function has(s, n,   i) {
	for (i = 1; i + length(n) - 1 <= length(s); i += 2)
		if (substr(s, i, length(n)) == n)
			return 1
	return 0
}
function hexlen(s) { return length(s) / 2 }
function drop(s, b,   i, t) {
	t = ""
	for (i = 1; i <= length(s); i += 2)
		if (index(b, substr(s, i, 2)) % 2 != 1)
			t = t substr(s, i, 2)
	return t
}
function show(s) { return s == "" ? "-" : s }
# At a batch end, the keys order[1..nk], each with v[key] (a count when
# num), then the batch end; with clear, the next batch starts afresh.
function keyed(v, num, clear,   i) {
	for (i = 1; i <= nk; i++)
		print "R", show(order[i]), num ? hexnum(v[order[i]]) : \
		    show(v[order[i]])
	print
	if (clear) {
		split("", v)
		nk = 0
	}
}
function hexnum(n,   s, d) {
	s = sprintf("%d", n)
	d = ""
	while (s != "") {
		d = d sprintf("%x", 48 + substr(s, 1, 1))
		s = substr(s, 2)
	}
	return d
}
'

# stream SEED [KEYS [MINFIELDS]]: set $stream to the path of the seeded
# stream, made once for the file, beside its transcript $stream.t.
stream() {
	stream=$BATS_FILE_TMPDIR/s-$1-${2:-0}-${3:-1}
	[ -e "$stream.t" ] && return
	"$INTACT" gen "$1" "$RECORDS" "${2:-0}" "${3:-1}" >"$stream"
	"$INTACT" decode <"$stream" >"$stream.t"
}

# intact COMMAND AWK [KEYS [MINFIELDS]]: for every seed, take the streams
# $in and $in2 (another seed), run COMMAND (a shell command) with $in on
# its standard input, and compare its output, decoded, with what AWK
# writes reading the transcripts of $in and $in2 (ARGV[1] and ARGV[2]).
# COMMAND must exit 0 and write nothing on stderr.
intact() {
	local cmd=$1 ref=$2 seed
	local out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	for seed in $SEEDS; do
		stream "$seed" "${3:-0}" "${4:-1}"
		in=$stream
		stream "$((seed + 1000))" "${3:-0}" "${4:-1}"
		in2=$stream
		awk "$LIB$ref" "$in.t" "$in2.t" >"$BATS_TEST_TMPDIR/want"
		in=$in in2=$in2 INTACT=$INTACT bash -o pipefail -c "$cmd" \
		    <"$in" >"$out" 2>"$err" || {
			echo "seed $seed: $cmd: exit $?"
			cat "$err"
			return 1
		}
		diff -u /dev/null "$err"
		"$INTACT" decode <"$out" >"$out.t"
		diff -u "$BATS_TEST_TMPDIR/want" "$out.t" ||
		    { echo "seed $seed: $cmd"; return 1; }
		# The comparison sees records, and not only batch ends.
		[ "$(grep -c '^R' "$out.t")" -gt 0 ]
	done
}

# needs PROGRAM: skip a test of a program that this tree does not have
# yet (one written on another branch).
needs() {
	[ -x "$BATS_TEST_DIRNAME/../cmd/$1" ] || skip "no $1 here"
}

# The input, as it is: the first transcript.
SAME='FILENAME == ARGV[1]'

# keep COND: the input's batch ends, and the records for which the awk
# expression COND holds.
keep() {
	echo "$SAME && (\$1 == \"B\" || ($1))"
}

@test "intact: the generator's streams hold every escape, in every form" {
	stream 1
	# Every byte that has an escape, bare CRs and escaped ones, '#' and
	# '%' escaped inside fields, long lines, metadata, NUL, high bytes.
	for b in '\\t' '\\n' '\\r' '\\\\' '^\\#' '^\\%' '.\\#' '.\\%' \
	    "$(printf '\r')" "$(printf '\377')" '^# ' '^#ds1$' \
	    '^%[0-9]*$' '^$' '	$' '^.\{300\}'; do
		grep -aq -e "$b" "$stream" ||
		    { echo "no $b"; return 1; }
	done
	[ "$(tr -cd '\000' <"$stream" | wc -c)" -gt 10 ]
	# The decoder sees a TAB inside a field, and empty fields.
	grep -q '^R.* [0-9a-f]*09' "$stream.t"
	grep -q '^R.* -' "$stream.t"
	# Each seed gives its stream, always the same one.
	"$INTACT" gen 1 "$RECORDS" | cmp - "$stream"
	! "$INTACT" gen 2 "$RECORDS" | cmp -s - "$stream"
}

@test "intact: the decoder rejects what is not ds(5)" {
	run -1 --separate-stderr "$INTACT" decode < <(printf '#ds1\na\\q\n')
	run -1 --separate-stderr "$INTACT" decode < <(printf '#ds1\na\\\n')
	run -1 --separate-stderr "$INTACT" decode < <(printf 'a\n')
	run -0 "$INTACT" decode < <(printf '#ds1\na\\tb\t\\#\n%%5\n')
	assert_output "$(printf 'R 610962 23\nB 5')"
}

@test "intact: ds-filter passes what it keeps intact, in every mode" {
	# Keep all: every mode's pass-through.
	intact 'ds-filter true' "$SAME"
	intact 'ds-filter -v false' "$SAME"
	intact "ds-filter -e ''" "$SAME"
	intact "ds-filter -F ''" "$SAME"
	intact 'ds-filter -v -F "$(printf "\001")"' "$SAME"
	# A TAB in the record: a separator or a field's own.
	intact 'ds-filter -F "$(printf "\t")"' "$(keep 'has(join(1), "09")')"
	intact 'ds-filter -v -e "\t"' "$(keep '!has(join(1), "09")')"
	intact 'ds-filter "r:find(\"\\t\")"' "$(keep 'has(join(1), "09")')"
	intact 'ds-filter -F "$(printf "\t")" -f 1' \
	    "$(keep 'has(f(1), "09")')"
	# The other escaped bytes, and bytes that are not ASCII.
	intact 'ds-filter -e "\\\\"' "$(keep 'has(join(1), "5c")')"
	intact 'ds-filter -e "\r" -f 2' "$(keep 'has(f(2), "0d")')"
	intact 'ds-filter -v -e "\n"' "$(keep '!has(join(1), "0a")')"
	intact 'ds-filter -e "^#"' "$(keep 'substr(f(1), 1, 2) == "23"')"
	intact 'ds-filter -F %' "$(keep 'has(join(1), "25")')"
	intact 'ds-filter -e "[\x80-\xff]"' \
	    "$(keep '(has(join(1), "80") || has(join(1), "ff") ||
	    has(join(1), "c3"))')"
	intact 'ds-filter "v and #v % 2 == 0"' \
	    "$(keep 'nf() >= 2 && hexlen(f(2)) % 2 == 0')"
	intact 'ds-filter -v "#r > 6"' "$(keep 'hexlen(join(1)) <= 6')"
	intact 'ds-filter "f[3] and f[3]:find(\"\\0\", 1, true)"' \
	    "$(keep 'nf() >= 3 && has(f(3), "00")')"
}

@test "intact: ds-lines takes every byte of a text line as data" {
	# Text lines holding backslashes, CRs, NULs, a leading # or %.
	intact '"$INTACT" text | ds-lines -n 100 -T 0' "$SAME"' {
		if ($1 == "B") next
		s = "R"
		for (i = 1; i <= nf(); i++)
			s = s " " show(drop(f(i), "090a"))
		print s
		if (++n % 100 == 0) print "B", n / 100 * 1000
	}
	END { if (n % 100 != 0) print "B", (int(n / 100) + 1) * 1000 }'
}

@test "intact: ds-map -f and -a keep fields intact" {
	intact 'ds-map -f 1-' "$SAME"
	intact 'ds-map -f -5' "$SAME"
	intact 'ds-map -f 2,1' "$SAME"' {
		if ($1 == "B") { print; next }
		if (nf() == 1) print "R", show(f(1))
		else print "R", show(f(2)), show(f(1))
	}'
	intact 'ds-map -f 3-,1 -a "$(printf "a\tb\\\\")"' "$SAME"' {
		if ($1 == "B") { print; next }
		s = "R"
		for (i = 3; i <= nf(); i++)
			s = s " " show(f(i))
		print s, show(f(1)), "6109625c"
	}'
	intact "ds-map f" "$SAME"
	intact "ds-map 'k, v'" "$SAME"' {
		if ($1 == "B") { print; next }
		if (nf() == 1) print "R", show(f(1))
		else print "R", show(f(1)), show(f(2))
	}'
}

@test "intact: ds-flatmap re-emits records and fields intact" {
	intact "ds-flatmap '{f}'" "$SAME"
	intact "ds-flatmap 'f'" "$SAME"' {
		if ($1 == "B") { print; next }
		for (i = 1; i <= nf(); i++)
			print "R", show(f(i))
	}'
}

@test "intact: ds-transform with cat passes every batch intact" {
	intact 'ds-transform cat' "$SAME"
}

@test "intact: ds-window re-emits the records of its batches intact" {
	# A window of one interval is the stream itself.
	intact 'ds-window -i 1s 1s' "$SAME"
	# Three seconds sliding every two: the batches in (t - 3000, t] at
	# each t two seconds apart from one second after the first batch.
	intact 'ds-window 3s 2s' "$SAME"' {
		b += 0
		if ($1 == "R") { n[b]++; r[b, n[b]] = $0; next }
		if (first == "") first = $2
		t[b] = $2
		if (($2 - first + 1000) % 2000 == 0) {
			for (i = 0; i <= b; i++) {
				if (t[i] <= $2 - 3000)
					continue
				for (j = 1; j <= n[i]; j++)
					print r[i, j]
			}
			print
		}
		b++
	}'
}

@test "intact: ds-union merges its inputs intact" {
	intact 'ds-union -' "$SAME"
	intact 'ds-union - "$in2"' '
	{ b[FILENAME] += 0 }
	$1 == "R" { i = ++n[FILENAME, b[FILENAME]]
		r[FILENAME, b[FILENAME], i] = $0; next }
	{ t = $2 / 1000; at[FILENAME, t] = b[FILENAME]++; there[t] = 1
	  if (t > max) max = t }
	END {
		for (t = 1; t <= max; t++) {
			if (!(t in there))
				continue
			for (k = 1; k <= 2; k++) {
				file = ARGV[k]
				if (!((file, t) in at))
					continue
				i = at[file, t]
				for (j = 1; j <= n[file, i]; j++)
					print r[file, i, j]
			}
			print "B", t * 1000
		}
	}'
}

# The expected output of ds-join with options $1 (l, r), the left side
# the first transcript and the right the second, the marker None.
JOIN='
{ b[FILENAME] += 0 }
$1 == "R" { k = f(1) ""; v = $0; sub(/^R [^ ]* ?/, "", v)
	i = ++n[FILENAME, b[FILENAME]]
	key[FILENAME, b[FILENAME], i] = k; val[FILENAME, b[FILENAME], i] = v
	next }
{ t = $2 / 1000; at[FILENAME, t] = b[FILENAME]++; there[t] = 1
  if (t > max) max = t }
END {
	L = ARGV[1]; R = ARGV[2]
	for (t = 1; t <= max; t++) {
		if (!(t in there))
			continue
		nl = (L, t) in at ? n[L, at[L, t]] : 0
		nr = (R, t) in at ? n[R, at[R, t]] : 0
		bl = at[L, t]; br = at[R, t]
		split("", seen)
		for (i = 1; i <= nl; i++) {
			k = key[L, bl, i]; seen[k] = 1; m = 0
			for (j = 1; j <= nr; j++)
				if (key[R, br, j] == k) {
					print "R", show(k), val[L, bl, i],
					    val[R, br, j]
					m++
				}
			if (m == 0 && opt ~ /l/)
				print "R", show(k), val[L, bl, i], "4e6f6e65"
		}
		if (opt ~ /r/) {
			split("", done)
			for (j = 1; j <= nr; j++) {
				k = key[R, br, j]
				if ((k in seen) || (k in done))
					continue
				done[k] = 1
				for (jj = j; jj <= nr; jj++)
					if (key[R, br, jj] == k)
						print "R", show(k), "4e6f6e65",
						    val[R, br, jj]
			}
		}
		print "B", t * 1000
	}
}'

# by_batch: a transcript with the records of each batch sorted, so that
# two transcripts compare as multisets of records, batch by batch.
by_batch() {
	awk -v OFS='\t' '{ print n + 0, $1 == "B", $0 } $1 == "B" { n++ }' "$1" |
	    LC_ALL=C sort -t "$(printf '\t')" -k1,1n -k2,2n -k3 | cut -f3-
}

@test "intact: ds-partition routes records to its copies and back intact" {
	needs ds-partition
	intact 'ds-partition -n 1 ds-map -f 1-' "$SAME"
	intact 'ds-partition -n 1 ds-transform cat' "$SAME"
	# Over three copies a batch's records come back copy by copy: the
	# same records, in another order.
	local seed out=$BATS_TEST_TMPDIR/out
	for seed in $SEEDS; do
		stream "$seed"
		ds-partition -n 3 ds-map -f 1- <"$stream" >"$out"
		"$INTACT" decode <"$out" >"$out.t"
		diff -u <(by_batch "$stream.t") <(by_batch "$out.t") ||
		    { echo "seed $seed"; return 1; }
		[ "$(grep -c '^R' "$out.t")" -gt 0 ]
	done
}

@test "intact: ds-join joins keys and values intact" {
	intact 'ds-join "$in2"' "BEGIN { opt = \"\" } $JOIN" 6 2
	intact 'ds-join -l "$in2"' "BEGIN { opt = \"l\" } $JOIN" 6 2
	intact 'ds-join -F "$in2"' "BEGIN { opt = \"lr\" } $JOIN" 6 2
}

@test "intact: ds-groupbykey groups keys and values intact" {
	intact 'ds-groupbykey' "$SAME"' {
		if ($1 == "B") {
			for (i = 1; i <= nk; i++)
				print "R", show(order[i]) g[order[i]]
			print
			split("", g); split("", seen); nk = 0
			next
		}
		if (!(f(1) in seen)) { seen[f(1)] = 1; order[++nk] = f(1) }
		for (i = 2; i <= nf(); i++)
			g[f(1)] = g[f(1)] " " show(f(i))
	}' 8
}

@test "intact: ds-countbyvalue and ds-reducebykey keep keys intact" {
	# A record is its value: all of its fields.
	intact 'ds-countbyvalue' "$SAME"' {
		if ($1 == "B") {
			for (i = 1; i <= nk; i++)
				print order[i], hexnum(c[order[i]])
			print
			split("", c); nk = 0
			next
		}
		if (!c[$0]++) order[++nk] = $0
	}' 5
	intact 'ds-reducebykey -o count' "$SAME"' {
		if ($1 == "B") { keyed(c, 1, 1); next }
		if (!c[f(1)]++) order[++nk] = f(1)
	}' 8
	intact 'ds-reducebykey -o last' "$SAME"' {
		if ($1 == "B") { keyed(v, 0, 1); next }
		if (!(f(1) in v)) order[++nk] = f(1)
		v[f(1)] = f(2)
	}' 8 2
	intact 'ds-reducebykey -o first -w 2s' "$SAME"' {
		b += 0
		if ($1 == "B") {
			split("", v); nk = 0
			for (bb = b - 1; bb <= b; bb++)
				for (i = 1; i <= nr[bb]; i++) {
					k = key[bb, i]
					if (!(k in v)) {
						order[++nk] = k
						v[k] = val[bb, i]
					}
				}
			keyed(v, 0)
			b++
			next
		}
		i = ++nr[b]; key[b, i] = f(1); val[b, i] = f(2)
	}' 8 2
}

@test "intact: ds-state keeps keys and states intact, checkpoint included" {
	local all='{
		if ($1 == "B") {
			keyed(v, 0)
			next
		}
		if (!(f(1) in v)) order[++nk] = f(1)
		v[f(1)] = f(2)
	}'
	intact 'ds-state -o last' "$SAME$all" 8 2
	intact 'ds-state -o first -e changed' "$SAME"' {
		if ($1 == "B") {
			keyed(v, 0)
			split("", seen); nk = 0
			next
		}
		if (!(f(1) in seen)) { seen[f(1)] = 1; order[++nk] = f(1) }
		if (!(f(1) in v)) v[f(1)] = f(2)
	}' 8 2
	# Stopped after its first half and resumed from its checkpoint, it
	# writes what it writes in one run.
	intact 'half=$(grep -an "^%" "$in" | sed -n "20{s/:.*//;p}")
	    rm -rf "$in.ckpt"
	    head -n "$half" "$in" | ds-state -o last -c "$in.ckpt" &&
	    { echo "#ds1"; tail -n +"$((half + 1))" "$in"; } |
	    ds-state -o last -c "$in.ckpt"' "$SAME$all" 8 2
}

@test "intact: ds-save passes records intact and saves them as ds-cat writes" {
	local seed t save=$BATS_TEST_TMPDIR/save
	intact 'ds-save "${in}-b" txt' "$SAME" 8 2
	# Each batch's file holds its records as text: fields unescaped and
	# joined by TAB, a line each.
	for seed in $SEEDS; do
		stream "$seed"
		rm -rf "$save"
		mkdir "$save"
		ds-save -q "$save/b" txt <"$stream" >/dev/null
		awk "$LIB"'
		$1 == "R" { s = s join(1) "0a"; next }
		{ w = dir "/want-" $2; print s >w; close(w); s = "" }' \
		    dir="$save" "$stream.t"
		for t in $(grep -a "^%" "$stream" | tr -d %); do
			"$INTACT" unhex <"$save/want-$t" |
			    cmp - "$save/b-$t.txt"
		done
		[ "$(find "$save" -name 'b-*.txt' | wc -l)" -gt 50 ]
	done
}

@test "intact: ds-eventtime re-batches records intact" {
	needs ds-eventtime
	# Each record gets an event time, 7 ms after the one before, as a
	# first field; batch T holds the times in (T - 1000, T].
	intact "ds-map 'tostring(1000 + 7 * (function() n = (n or 0) + 1
	    return n end)()), f' | ds-eventtime -F ms -f 1 -i 1s" "$SAME"' {
		if ($1 == "B") next
		t = 1000 + 7 * ++n
		T = int((t + 999) / 1000) * 1000
		if (last != "" && T != last) print "B", last
		last = T
		s = "R " hexnum(t)
		for (i = 1; i <= nf(); i++)
			s = s " " show(f(i))
		print s
	}
	END { print "B", last }'
}

@test "intact: ds-session keeps keys intact" {
	needs ds-session
	# A gap longer than the stream: one session a key, all closed at
	# the end: key, start, end, count, the last value.
	intact 'ds-session -g 1000s -o last' "$SAME"' {
		if ($1 == "R") {
			k = f(1) ""
			if (!(k in c)) order[++nk] = k
			if (!(k in new)) seq[k] = ++nseq
			c[k]++; v[k] = f(2); new[k] = 1
			next
		}
		for (k in new) {
			if (!(k in st)) st[k] = $2
			lb[k] = $2
			if ($2 > max) max = $2
		}
		split("", new)
		print
	}
	END {
		# Oldest first: by the last batch, then by first appearance
		# in it.
		for (i = 2; i <= nk; i++)
			for (j = i; j > 1; j--) {
				a = order[j - 1]; b = order[j]
				if (lb[a] < lb[b] ||
				    (lb[a] == lb[b] && seq[a] < seq[b]))
					break
				order[j - 1] = b; order[j] = a
			}
		for (i = 1; i <= nk; i++) {
			k = order[i]
			print "R", show(k), hexnum(st[k]),
			    hexnum(lb[k] + 1000000), hexnum(c[k]), show(v[k])
		}
		print "B", max + 1000000
	}' 8 2
}
