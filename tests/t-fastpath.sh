#!/bin/sh
# The fast ways of scoring give the scores of the slow ones, end to end:
# a number read by the short way (plain decimals) or through strtod
# (long or odd spellings) scores the same; rows scored in batches of any
# size (a file, a pipe, one row at a time) score the same; and so for the
# three ways a forest is walked: breakpoints (one feature), complete trees
# (a few features) and the flat layout (trees too deep for that).  The
# unit tests compare each with the plain walk bit for bit; here the
# programs are checked whole.  Prints one line per failure; exits
# non-zero if any.
. "$(dirname "$0")/tools/setup.sh"
in_tmp

# The score fields (the next to last) of a scored file, header dropped.
scores() {
	awk -F, 'NR > 1 { print $(NF - 1) }' "$1"
}

# Rows of NF features (Park-Miller, exact in awk's doubles): values with
# 0 to 3 decimals, repeats, a constant column, and a few far out.  With
# SPELL=1 each value is written another way that means the same number:
# a sign, leading zeros, an exponent, or more digits than the short way
# takes (so strtod reads it).
gen() {
	awk -v rows="$1" -v nf="$2" -v spell="$3" 'BEGIN {
		x = 7
		printf "time"
		for (j = 0; j < nf; j++)
			printf ",f%d", j
		printf "\n"
		for (i = 0; i < rows; i++) {
			printf "%d", i
			for (j = 0; j < nf; j++) {
				x = x * 16807 % 2147483647
				d = x % 4
				v = (x % 20000 - 10000) / 100
				if (j == 3)
					v = 5
				if (i % 97 == 5)
					v = v * 1000
				if (i % 13 == 0)
					v = 12.5
				printf ",%s", text(v, d, spell ? x % 5 : -1)
			}
			printf "\n"
		}
	}
	function text(v, d, how,   s) {
		s = sprintf("%." d "f", v)
		if (how == 0)
			return (v >= 0 ? "+" : "") s
		if (how == 1)
			return (v < 0 ? "-000" substr(s, 2) : "000" s)
		if (how == 2)
			return sprintf("%.0fe-%d", v * 10 ^ d, d)
		if (how == 3 && d == 0)
			return s ".0000000000000000000"
		if (how == 3)
			return s "0000000000000000000"
		return s
	}'
}

gen 3000 1 0 >a1.csv
gen 3000 1 1 >b1.csv
gen 3000 5 0 >a5.csv
gen 3000 5 1 >b5.csv
cmp -s a5.csv b5.csv && fail "the spellings are not different"

iforest-train -r 3 -o m1 a1.csv || fail "train, one feature"
iforest-train -r 3 -o m5 a5.csv || fail "train, five features"
# 131072 rows per tree: depth 17, too deep for complete trees.
gen 140000 5 0 >big.csv
iforest-train -n 3 -s 131072 -r 3 -o mdeep big.csv ||
    fail "train, deep trees"

for m in m1 m5 mdeep; do
	case $m in
	m1)	a=a1.csv b=b1.csv ;;
	*)	a=a5.csv b=b5.csv ;;
	esac
	iforest-score -m $m $a >sa.csv || fail "$m: score $a"
	iforest-score -m $m $b >sb.csv || fail "$m: score $b"
	[ "$(wc -l <sa.csv)" -eq 3001 ] || fail "$m: $(wc -l <sa.csv) lines"
	scores sa.csv >ka
	scores sb.csv >kb
	cmp -s ka kb || fail "$m: the spelling of a number changes its score"
	# At least two distinct scores, or the comparisons say little.
	[ "$(sort -u ka | wc -l)" -gt 2 ] || fail "$m: scores all alike"

	# A pipe: the batches end where the reads do.
	cat $a | iforest-score -m $m | cmp -s - sa.csv ||
	    fail "$m: a pipe scores differently"

	# One row at a time: batches of one, and every score's text made
	# afresh, where in the whole file most are copied from the memo.
	head -n 1 $a >one.csv
	sed -n '2,21p' $a | while IFS= read -r line; do
		printf '%s\n%s\n' "$(head -n 1 $a)" "$line" |
		    iforest-score -m $m | sed 1d
	done >rows.csv
	sed -n '2,21p' sa.csv | cmp -s - rows.csv ||
	    fail "$m: rows scored alone score differently"

	# -a writes the same rows as the lines flagged 1.
	iforest-score -a -T 0.55 -m $m $a >an.csv || fail "$m: -a"
	iforest-score -T 0.55 -m $m $a | awk -F, 'NR == 1 || $NF == 1' |
	    cmp -s - an.csv || fail "$m: -a differs from the flags"
done

exit $rc
