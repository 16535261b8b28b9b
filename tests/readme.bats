#!/usr/bin/env bats
# readme.bats: the examples of README.md, run as they are written (the
# demo, README's first command, runs in ds-socket.bats).
load helper

teardown() {
	! type kinesalite_stop >/dev/null 2>&1 || kinesalite_stop
}

@test "README: a file is one batch: the ten most frequent words" {
	cd "$BATS_TEST_TMPDIR"
	printf 'the cat and the hat\nthe end\nand so on\n' >book.txt
	run -0 sh -c 'ds-words < book.txt | ds-reducebykey | ds-cat | sort -k2,2nr | head'
	assert_output "$(tr -s ' ' '\n' <book.txt | sort | uniq -c |
	    awk '{ print $2 "\t" $1 }' | sort -k2,2nr | head)"
}


# The Kinesis example, run as README.md has it, but against a kinesalite
# on a port from the kernel rather than 4567.
@test "README: Kinesis: words put with ds-kinesis-out, counted from ds-kinesis" {
	load kinesis
	kinesalite_start
	cd "$BATS_TEST_TMPDIR"
	awk '/^## Kinesis/ { k = 1 } k && /^```/ { n++; next }
	    k && n == 1 { print >"example.sh" } k && n == 3 { print >"want" }
	    n == 4 { exit }' "$BATS_TEST_DIRNAME/../README.md"
	[ -s example.sh ] && [ -s want ]
	sed -i "s/:4567/:$KPORT/" example.sh
	run -0 --separate-stderr bash -e example.sh
	[ "$output" = "$(cat want)" ]
}
