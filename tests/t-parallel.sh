#!/bin/sh
# iforest-score split across processes with GNU parallel: the recipe of
# iforest-score(1) gives output byte for byte that of one process, with
# the header once.  Every chunk gets the header (--header 1), so every
# job's output starts with the output's header: all but the first are
# dropped afterwards.  No scored row can equal that line, whose last two
# fields are "score" and "anomaly" where a row has numbers or nothing.
. "$(dirname "$0")/tools/setup.sh"
command -v parallel >/dev/null 2>&1 || {
	echo "FAIL: GNU parallel is not installed (sh tests/deps.sh)"
	exit 1
}
in_tmp

# 30000 rows of three features, some outliers and missing values.
awk 'BEGIN {
	srand(7)
	print "time,a,b,c"
	for (i = 0; i < 30000; i++) {
		a = rand() * 10
		b = a * 3 + rand()
		c = (rand() < 0.01) ? 100 * rand() : sin(a)
		if (i % 997 == 0)
			printf "%d,%.5f,,%.5f\n", i, a, c
		else
			printf "%d,%.5f,%.5f,%.5f\n", i, a, b, c
	}
}' >data.csv
iforest-train -c 0.01 -o m data.csv || fail "training"

# split FILE [OPTION]: the recipe, in 60 kB chunks over 4 processes;
# exits with parallel's status.
split() {
	{
		parallel --will-cite --pipe --keep-order --header 1 \
		    --block 60k -j 4 --halt now,fail=1 --joblog jobs \
		    iforest-score $2 -m m <"$1"
		echo $? >status
	} | awk 'NR == 1 { h = $0 } NR == 1 || $0 != h'
	return "$(cat status)"
}

# same WHAT FILE [OPTION]: split and one process agree, in many jobs.
same() {
	iforest-score $3 -m m "$2" >one || { fail "$1: one process"; return; }
	split "$2" "$3" >many || { fail "$1: parallel failed"; return; }
	cmp -s one many || fail "$1: the outputs differ"
	jobs=$(($(wc -l <jobs) - 1))
	[ "$jobs" -ge 4 ] || fail "$1: $jobs jobs, the input was not split"
	[ "$(grep -c -x -F "$(head -n 1 one)" many)" -eq 1 ] ||
	    fail "$1: not one header in the output"
	[ "$(wc -l <one)" -gt 1 ] || fail "$1: nothing scored"
}

same "plain rows" data.csv
same "anomalies only" data.csv -a

# CRLF line ends, a byte-order mark and quoted fields are read in each
# chunk as in the whole.
awk 'NR == 1 { printf "\357\273\277" }
    { sub(/^/, "\""); sub(/,/, "\","); printf "%s\r\n", $0 }' \
    data.csv >crlf.csv
same "CRLF, BOM and quotes" crlf.csv

# A bad row stops the run with a failure, as it stops one process.  (The
# job's own message may be lost when parallel kills the others at once.)
sed '20000s/,[^,]*$/,12abc/' data.csv >bad.csv
if split bad.csv >/dev/null 2>err; then
	fail "a bad row: parallel exited 0"
fi
grep -q 'parallel: This job failed' err ||
    fail "a bad row: parallel did not say so: $(cat err)"
exit $rc
