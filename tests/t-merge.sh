#!/bin/sh
# iforest-merge: forests trained apart score, once merged, as one forest
# of all their trees; models that do not fit, or are damaged, are
# refused without touching the output; a fractional contamination puts
# the threshold at the quantile of the sample's scores.
. "$(dirname "$0")/tools/setup.sh"
in_tmp

# data SEED ROWS: time and two correlated features, a few outliers.
data() {
	awk -v seed="$1" -v n="$2" 'BEGIN {
		srand(seed)
		print "time,a,b"
		for (i = 0; i < n; i++) {
			u = rand() * 10
			v = 2 * u + rand()
			if (rand() < 0.01)
				v = 40 * rand()
			printf "%d,%.4f,%.4f\n", i, u, v
		}
	}'
}

data 1 1500 >p1.csv
data 2 1500 >p2.csv
data 3 1500 >p3.csv
data 4 800 >test.csv

iforest-train -n 40 -r 11 -o m1 p1.csv &&
iforest-train -n 40 -r 12 -o m2 p2.csv &&
iforest-train -n 40 -r 13 -o m3 p3.csv &&
iforest-train -n 20 -r 14 -o m4 p3.csv || fail "training the parts"

# The merged model is a model of all the trees and rows.
if iforest-merge -o all m1 m2 m3; then
	grep -qx 'trees 120' all || fail "merged: not 120 trees"
	grep -qx 'rows 4500' all || fail "merged: not 4500 rows"
	grep -qx 'contamination auto' all &&
	    grep -qx 'threshold 0.5' all || fail "merged: not auto, 0.5"
else
	fail "merging three models"
fi

# score MODEL: the score of each row of test.csv, one a line.
score() {
	iforest-score -m "$1" test.csv | awk -F, 'NR > 1 { print $4 }'
}

# With s = 2^(-E[h] / c(psi)), log2 s of the merged forest is the mean of
# the parts' log2 s weighted by their trees.  The scores are printed with
# six decimals, hence the tolerance.
# check_mean MERGED W1 MODEL1 W2 MODEL2 ...: 0 when it holds.
check_mean() {
	m=$1
	shift
	score "$m" >s.merged || return 1
	files= weights=
	while [ $# -gt 0 ]; do
		score "$2" >"s.$2" || return 1
		files="$files s.$2"
		weights="$weights $1"
		shift 2
	done
	# shellcheck disable=SC2086
	paste -d ' ' s.merged $files | awk -v w="$weights" '
		BEGIN { k = split(w, wt, " ") }
		NF != k + 1 { bad = "ragged"; exit }
		{
			t = 0; l = 0
			for (i = 1; i <= k; i++) {
				l += wt[i] * log($(i + 1)) / log(2)
				t += wt[i]
			}
			want = 2 ^ (l / t)
			d = $1 - want
			if (d < 0)
				d = -d
			if (d > 3e-6) {
				bad = sprintf("row %d: %s, want %.6f", NR, $1,
				    want)
				exit
			}
			n++
		}
		END {
			if (bad == "" && n != 800)
				bad = n " rows"
			if (bad != "") {
				print bad
				exit 1
			}
		}'
}
check_mean all 40 m1 40 m2 40 m3 ||
    fail "merged: not the mean path length of the trees"
iforest-merge -o uneq m1 m4 || fail "merging 40 and 20 trees"
check_mean uneq 40 m1 20 m4 ||
    fail "40 and 20 trees: not the mean path length of the trees"

# The check can fail: a forest of other trees does not pass it.
iforest-train -n 40 -r 99 -o other p1.csv
check_mean other 40 m1 >/dev/null &&
    fail "the mean check passed a forest of other trees"

# Merging is the same as scoring with each part: the parts' trees are
# used as they are, so one part merged alone scores as itself.
iforest-merge -o one m1 && score one >s.one && score m1 >s.m1 &&
    cmp -s s.one s.m1 || fail "a model merged alone scores otherwise"

# refused WHAT PATTERN ARGS...: exit 1, the message, no output file.
refused() {
	what=$1 pat=$2
	shift 2
	echo old >out
	iforest-merge -o out "$@" 2>err
	st=$?
	[ "$st" -eq 1 ] || fail "$what: exit $st, not 1"
	grep -q "$pat" err || fail "$what: message: $(cat err)"
	[ "$(cat out)" = old ] || fail "$what: the output was touched"
	ls .iforest-model.* >/dev/null 2>&1 &&
	    fail "$what: a temporary file is left"
}

iforest-train -n 10 -f b,a -o swapped p1.csv
refused "features in another order" \
    'swapped: cannot merge with m1: feature 1 is "b" where the first' \
    m1 swapped
iforest-train -n 10 -f a -o narrow p1.csv
refused "fewer features" \
    'narrow: cannot merge with m1: 1 feature where the first model has 2' \
    m1 narrow
iforest-train -n 10 -s 128 -o small p1.csv
refused "other psi" \
    'small: cannot merge with m1: trees of 128 rows where the first model' \
    m1 small

# Damaged models: a changed leaf, a cut file, not a model at all.
awk '!done && /^l 1$/ { $0 = "l 2"; done = 1 } { print }' m2 >leaf
cmp -s leaf m2 && fail "the damage did not change the model"
refused "a damaged model" 'leaf:' m1 leaf
head -c 2000 m2 >cut
refused "a truncated model" 'cut:' m1 cut
sed 's/^seed 12$/seed 13/' m2 >sum
refused "a checksum mismatch" 'sum:.*checksum' m1 sum
refused "no such model" 'nothing' m1 nothing

# Usage errors exit 2.
iforest-merge -o x 2>/dev/null; [ $? -eq 2 ] || fail "no model: not 2"
iforest-merge m1 2>/dev/null; [ $? -eq 2 ] || fail "no -o: not 2"
iforest-merge -c 0.1 -o x m1 2>/dev/null
[ $? -eq 2 ] || fail "-c without -S: not 2"
iforest-merge -c 0.6 -S p1.csv -o x m1 2>/dev/null
[ $? -eq 2 ] || fail "-c 0.6: not 2"
iforest-merge -o x - - <m1 2>/dev/null
[ $? -eq 2 ] || fail "standard input twice: not 2"

# Parts trained for a fraction, merged without one, are pointed out.
iforest-train -n 10 -c 0.01 -o frac p1.csv
iforest-merge -o x frac 2>err &&
    grep -q "frac was trained with a fractional" err ||
    fail "no word on the fraction the parts had: $(cat err)"
iforest-merge -o x m1 2>err && [ ! -s err ] || fail "merging m1 is not quiet"

# The threshold is the (1 - c) quantile, linearly interpolated, of the
# merged forest's scores of the sample, and about c of it lies above.
cat p1.csv >sample.csv
awk 'NR > 1' p2.csv >>sample.csv
if iforest-merge -c 0.05 -S sample.csv -o thr m1 m2 m3; then
	grep -qx 'contamination 0.05' thr || fail "threshold: contamination"
	t=$(sed -n 's/^threshold //p' thr)
	iforest-score -m thr sample.csv >scored || fail "scoring the sample"
	awk -F, 'NR > 1 { print $4 }' scored | sort -g | awk -v t="$t" '
		{ s[NR] = $1 }
		END {
			pos = (NR - 1) * 0.95
			k = int(pos)
			q = s[k + 1] + (pos - k) * (s[k + 2] - s[k + 1])
			d = q - t
			if (d < 0)
				d = -d
			if (d > 2e-6) {
				printf "threshold %s, quantile %.6f\n", t, q
				exit 1
			}
		}' || fail "threshold: not the 0.95 quantile"
	above=$(awk -F, 'NR > 1 && $NF == 1' scored | wc -l)
	[ "$above" -ge 145 ] && [ "$above" -le 155 ] ||
	    fail "threshold: $above of 3000 above, not about 150"
	# Standard input as the sample, and the same threshold.
	iforest-merge -c 0.05 -S - -o thr2 m1 m2 m3 <sample.csv &&
	    cmp -s thr thr2 || fail "threshold: the sample from stdin differs"
else
	fail "merging with a sample"
fi

# A sample without a feature column, or with a bad number, is refused.
cut -d , -f 1,2 p1.csv >noB.csv
iforest-merge -c 0.05 -S noB.csv -o x m1 2>err
[ $? -eq 1 ] && grep -q 'noB.csv:1: no column "b"' err ||
    fail "sample without b: $(cat err)"
sed '5s/,[^,]*$/,12abc/' p1.csv >badnum.csv
iforest-merge -c 0.05 -S badnum.csv -o x m1 2>err
[ $? -eq 1 ] && grep -q 'badnum.csv:5: .*12abc' err ||
    fail "sample with a bad number: $(cat err)"

# --help and --version on standard output; a full disk is an error.
iforest-merge --help >out && head -n 1 out | grep -q '^usage: iforest-merge ' ||
    fail "--help"
[ "$(iforest-merge --version)" = "iforest-merge $(iforest-score --version |
    cut -d ' ' -f 2)" ] || fail "--version"
iforest-merge -o - m1 >/dev/full 2>err
[ $? -eq 1 ] && [ -s err ] || fail "a full disk: exit 0 or no message"

# A model from standard input, and the output over one of the inputs.
iforest-merge -o x1 m1 m2 && iforest-merge -o x2 - m2 <m1 &&
    cmp -s x1 x2 || fail "a model from standard input"
cp m1 over && iforest-merge -o over over m2 && cmp -s x1 over ||
    fail "the output over an input"

# The merged model reads back and is written again byte for byte.
iforest-merge -o - all >again && cmp -s all again ||
    fail "the merged model is not stable"
exit $rc
