#!/usr/bin/env bats
# readme.bats: the examples of README.md, run as they are written (the
# demo, README's first command, runs in ds-socket.bats).
load helper

@test "README: a file is one batch: the ten most frequent words" {
	cd "$BATS_TEST_TMPDIR"
	printf 'the cat and the hat\nthe end\nand so on\n' >book.txt
	run -0 sh -c 'ds-words < book.txt | ds-reducebykey | ds-cat | sort -k2,2nr | head'
	assert_output "$(tr -s ' ' '\n' <book.txt | sort | uniq -c |
	    awk '{ print $2 "\t" $1 }' | sort -k2,2nr | head)"
}

