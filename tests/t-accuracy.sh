#!/bin/sh
# Accuracy against scikit-learn: on two ODDS datasets, train with 100
# trees of 256 rows for seeds 1 to 10, score the same rows and compare the
# mean ROC AUC with scikit-learn's IsolationForest under the same
# settings (random_state 1 to 10; scikit-learn 1.2.1 gives 0.9870 and
# 0.8189).  Prints the means; exits non-zero if one is more than 0.02
# away.
. "$(dirname "$0")/tools/setup.sh"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# The features: every column of the header but the label.
features() {
	head -n 1 "$1" | tr -d '\r' | tr ',' '\n' | grep -vx label |
	    paste -s -d , -
}

# check DATASET REFERENCE: the 10-seed mean AUC must be within 0.02.
check() {
	data=$top/tests/data/odds/$1.csv
	f=$(features "$data")
	: >"$tmp/aucs"
	for seed in 1 2 3 4 5 6 7 8 9 10; do
		if ! iforest-train -n 100 -s 256 -r "$seed" -f "$f" \
		    -o "$tmp/model" "$data" ||
		    ! iforest-score -m "$tmp/model" "$data" >"$tmp/scored" ||
		    ! auc -l label -s score "$tmp/scored" >>"$tmp/aucs"; then
			echo "FAIL: $1, seed $seed: a program failed"
			rc=1
			return
		fi
	done
	awk -v name="$1" -v ref="$2" '
		{ sum += $1; n++ }
		END {
			mean = sum / n
			d = mean - ref
			printf "%s: mean AUC %.4f over %d seeds, " \
			    "scikit-learn %.3f\n", name, mean, n, ref
			if (n != 10 || d > 0.02 || d < -0.02) {
				print "FAIL: " name ": more than 0.02 away"
				exit 1
			}
		}' "$tmp/aucs" || rc=1
}

check breastw 0.987
check annthyroid 0.819
exit $rc
