# zipf.awk: a corpus of words for the keyed programs' acceptance tests.
#	awk -v seed=N -v size=BYTES -f zipf.awk
# writes about BYTES bytes of lines of 1 to 15 words separated by one
# space.  Words come from a vocabulary of V made-up words, the word of rank
# r drawn with a probability close to 1/r, a Zipf law: r = exp(u ln(V+1))
# for a uniform u is log-uniform, which costs no table.  A few words are
# ones a ds stream must escape, or is tempted to take for a header.
BEGIN {
	srand(seed)
	V = 3000
	lnv = log(V + 1)
	split("a b c d e f g h i j k l m n o p q r s t u v w x y z", letter, " ")
	for (r = 1; r <= V; r++) {
		w = ""
		n = 2 + int(rand() * 10)
		for (i = 0; i < n; i++)
			w = w letter[1 + int(rand() * 26)]
		word[r] = w
	}
	word[7] = "#hash"
	word[11] = "%pct"
	word[13] = "back\\slash"
	word[17] = "caf\303\251"
	word[19] = "#ds1"
	word[23] = "\\t"
	for (r = 1; r <= V; r++)
		len[r] = length(word[r]) + 1
	for (bytes = 0; bytes < size; bytes += len[r]) {
		for (n = int(rand() * 15); n > 0; n--) {
			r = int(exp(rand() * lnv))
			printf "%s ", word[r]
			bytes += len[r]
		}
		r = int(exp(rand() * lnv))
		print word[r]
	}
}
