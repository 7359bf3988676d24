#!/bin/sh
# Behaviour of iforest-train and iforest-score together: reproducible
# models, scores that find what was planted, the corner cases of the
# algorithm, a model kept safe from a failed run, long lines, long and
# live input.  Prints one line per failure; exits non-zero if any.
. "$(dirname "$0")/tools/setup.sh"
in_tmp

# Count the data rows (all but the header) of a scored file whose anomaly
# field is $2 (1 or 0).
flagged() {
	awk -F, -v want="$2" 'NR > 1 && $NF == want' "$1" | wc -l |
	    tr -d ' '
}

# A deterministic series (Park-Miller, exact in a double): 1000 ordinary
# rows around (50, 50), and five planted far outside, at random places.
# The time column says which is which; iforest-train does not read it.
awk 'BEGIN {
	x = 42
	print "time,a,b"
	for (i = 0; i < 1000; i++) {
		x = x * 16807 % 2147483647; a = 45 + x % 1000 / 100
		x = x * 16807 % 2147483647; b = 45 + x % 1000 / 100
		if (i % 200 == 117)
			printf "planted-%d,%.2f,%.2f\n", i, a + 40, b - 30
		else
			printf "normal-%d,%.2f,%.2f\n", i, a, b
	}
}' >planted.csv

# 1. Reproducible: the same input and seed give the same bytes, from a
# file or from standard input, to a file or to standard output; another
# seed gives another model.
iforest-train -r 7 -o m1 planted.csv || fail "train planted.csv"
iforest-train -r 7 -o m2 <planted.csv || fail "train from stdin"
iforest-train -r 7 -o - planted.csv >m3 || fail "train to stdout"
cmp -s m1 m2 || fail "same seed, file and stdin: models differ"
cmp -s m1 m3 || fail "same seed, -o file and -o -: models differ"
iforest-train -r 8 -o m4 planted.csv || fail "train with seed 8"
cmp -s m1 m4 && fail "seeds 7 and 8 gave the same model"
iforest-train -o m5 planted.csv && iforest-train -r 0 -o m6 planted.csv &&
    cmp -s m5 m6 || fail "the default seed is not 0"

# 2. The planted rows get the five highest scores, whichever the seed, and
# contamination 0.005 (5 in 1000) flags exactly them.
for seed in 1 2 3; do
	iforest-train -r $seed -o m planted.csv
	top=$(iforest-score -m m planted.csv | sed 1d | sort -t, -k4 -rn |
	    head -n 5 | grep -c '^planted-')
	[ "$top" -eq 5 ] ||
	    fail "seed $seed: $top planted rows among the 5 highest scores"
done
iforest-train -r 1 -c 0.005 -o m planted.csv
iforest-score -m m -a planted.csv >a.csv
[ "$(sed 1d a.csv | grep -c '^planted-')" -eq 5 ] &&
    [ "$(wc -l <a.csv)" -eq 6 ] ||
    fail "-c 0.005 did not flag exactly the planted rows: $(cat a.csv)"

# 3. Every row equal: each tree is one leaf, every score is exactly 0.5
# and, with contamination auto, nothing is an anomaly, not even rows far
# from the training value.
awk 'BEGIN { print "time,a,b"; for (i = 0; i < 300; i++) print i ",3,-1" }' \
    >const.csv
iforest-train -o m const.csv || fail "train on constant rows"
printf 'time,a,b\nx,3,-1\ny,1000,5\nz,-7,0.5\n' >other.csv
for f in const.csv other.csv; do
	iforest-score -m m "$f" >s.csv || fail "score $f"
	n=$(sed 1d s.csv | grep -vc ',0\.500000,0$')
	[ "$n" -eq 0 ] || fail "constant model, $f: $n rows not 0.500000,0"
done
grep -q '^s ' m && fail "constant rows: the model has a split node"

# A constant column beside a varying one is never split on.
awk 'BEGIN { print "time,a,k"
	for (i = 0; i < 300; i++) print i "," i % 17 ",5" }' >kcol.csv
iforest-train -o m kcol.csv || fail "train with a constant column"
grep -q '^s 1 ' m && fail "a split on the constant column"
grep -q '^s 0 ' m || fail "no split on the varying column"

# 4. Duplicated rows: 999 copies of one row and one other.  The copies are
# ordinary (below 0.5), the odd one out is the only anomaly.
awk 'BEGIN { print "time,a,b"; for (i = 0; i < 999; i++) print "dup,1,1";
	print "odd,2,3" }' >dup.csv
iforest-train -o m dup.csv || fail "train on duplicated rows"
iforest-score -m m dup.csv >s.csv
[ "$(flagged s.csv 1)" -eq 1 ] && grep -q '^odd,2,3,.*,1$' s.csv ||
    fail "duplicated rows: not exactly the odd row flagged"
awk -F, '$1 == "dup" && $4 >= 0.5 { bad = 1 } END { exit bad }' s.csv ||
    fail "duplicated rows: a copy scored 0.5 or more"

# 5. More samples asked for than there are rows: every tree takes every
# row (psi = rows), and the model reads back.
head -n 51 planted.csv >fifty.csv
iforest-train -s 1000 -o m fifty.csv || fail "train with -s 1000"
grep -qx 'samples 1000' m && grep -qx 'psi 50' m && grep -qx 'rows 50' m ||
    fail "-s 1000 on 50 rows: $(sed -n 6,8p m | tr '\n' ' ')"
iforest-score -m m fifty.csv >/dev/null || fail "score with psi = rows"

# 6. A failed run leaves the model path alone: a good model stays byte
# for byte, no temporary file is left beside it, and no file appears
# where there was none.
mkdir keep
iforest-train -o keep/item.model planted.csv
cp keep/item.model saved.model
{ cat planted.csv; echo 'late,1,12abc'; } >bad.csv
iforest-train -o keep/item.model bad.csv 2>err && fail "bad row accepted"
grep -q 'bad.csv:1002: column "b": not a number: "12abc"' err ||
    fail "bad row: message was $(cat err)"
cmp -s keep/item.model saved.model || fail "failed run changed the model"
[ "$(ls -A keep)" = item.model ] || fail "left in keep/: $(ls -A keep)"
iforest-train -o keep/new.model bad.csv 2>/dev/null
[ "$(ls -A keep)" = item.model ] || fail "failed run created $(ls -A keep)"
printf 'time,a,b\n' | iforest-train -o keep/item.model 2>/dev/null
cmp -s keep/item.model saved.model || fail "header-only run changed the model"

# The model may not replace the input it is trained on.
cp planted.csv in.csv
iforest-train -o in.csv in.csv 2>err
[ $? -eq 2 ] && grep -q 'in.csv: the model would replace the input' err ||
    fail "-o naming the input: $(cat err)"
cmp -s in.csv planted.csv || fail "-o naming the input replaced it"

# 7. A line of a megabyte: a note column passed through untouched.
awk 'BEGIN {
	print "time,note,a,b"
	for (i = 0; i < 20; i++) print i ",short," i % 7 "," i % 5
	printf "big,\""
	for (i = 0; i < 131072; i++) printf "x,\"\"y\"\"z"
	print "\",3,4"
}' >wide.csv
[ "$(wc -c <wide.csv)" -gt 1000000 ] || fail "wide.csv is not 1 MB"
iforest-train -f a,b -o m wide.csv || fail "train on a 1 MB line"
iforest-score -m m wide.csv >s.csv || fail "score a 1 MB line"
sed 's/,[0-9.]*,[01]$//' s.csv | sed 1d >back.csv
sed 1d wide.csv | cmp -s - back.csv || fail "the 1 MB line came back changed"

# 8. A long input streams through, row for row, and the trainer's memory
# does not grow with it: two million rows of four features would need
# 64 MB to hold, and 16 MB of address space is enough to train on them.
awk 'BEGIN { x = 1; print "time,a,b"
	for (i = 0; i < 200000; i++) {
		x = x * 16807 % 2147483647
		print i "," x % 1000 "," x % 997
	} }' >long.csv
iforest-train -o m long.csv || fail "train on 200000 rows"
n=$(cat long.csv | iforest-score -m m | wc -l)
[ "$n" -eq 200001 ] || fail "200000 rows in, $((n - 1)) out"
n=$(yes 'now,1,2' | head -n 200000 | sed '1i\
time,a,b' | iforest-score -m m | wc -l)
[ "$n" -eq 200001 ] || fail "yes | head: 200000 rows in, $((n - 1)) out"
(
	# A sanitizer maps terabytes of shadow memory: no limit fits it.
	[ -n "${IFOREST_SANITIZED-}" ] && exit 0
	ulimit -v 16384 2>/dev/null || exit 0
	awk 'BEGIN { print "t,a,b,c,d"
		for (i = 0; i < 2000000; i++)
			print i "," i % 1000 "," i % 997 "," i % 991 "," i % 983
	}' | iforest-train -o big.model
) || fail "training on 2000000 rows needed more than 16 MB"

# 8b. A hundred thousand columns.  Columns are looked up by name in a
# sorted copy of the header; a scan of the header per column, as once
# done, took half a minute here, and hours for a million columns.  A
# copy of the file with the columns reversed scores the same: features go
# by name.
awk 'BEGIN { n = 100000; x = 7
	for (r = 0; r < 4; r++) {
		printf "%s", r == 0 ? "time" : "t" r
		for (i = 1; i < n; i++) {
			x = x * 16807 % 2147483647
			printf ",%s", r == 0 ? "c" i : x % 100
		}
		printf "\n"
	} }' >cols.csv
awk -F, '{ printf "%s", $NF
	for (i = NF - 1; i >= 1; i--)
		printf ",%s", $i
	printf "\n" }' cols.csv >rcols.csv
iforest-train -n 10 -o cols.model cols.csv || fail "train on 100000 columns"
grep -qx 'features 99999' cols.model &&
    [ "$(grep -c '^feature c' cols.model)" -eq 99999 ] &&
    [ "$(grep '^feature ' cols.model | sed -n '1p;$p' | tr '\n' ' ')" = \
    "feature c1 feature c99999 " ] ||
    fail "100000 columns: not the 99999 features in order"
iforest-score -m cols.model cols.csv >s.csv || fail "score 100000 columns"
iforest-score -m cols.model rcols.csv >rs.csv ||
    fail "score 100000 columns reversed"
[ "$(wc -l <s.csv)" -eq 4 ] &&
    head -n 1 s.csv | grep -q ',c99999,score,anomaly$' &&
    [ "$(sed 's/,[^,]*,[01]$//' s.csv | sed 1d)" = "$(sed 1d cols.csv)" ] ||
    fail "100000 columns: $(wc -l <s.csv) lines, not the rows scored"
[ "$(awk -F, '{ print $(NF - 1), $NF }' s.csv)" = \
    "$(awk -F, '{ print $(NF - 1), $NF }' rs.csv)" ] ||
    fail "100000 columns: reversed, they score differently"
sed '1s/,c77777,/,c5,/' cols.csv | iforest-score -m cols.model 2>err
[ $? -eq 1 ] && grep -qx 'iforest-score: <stdin>:1: column "c5" appears'\
' twice in the header' err || fail "100000 columns, c5 twice: $(cat err)"
sed '1s/,c77777,/,c5,/' cols.csv | iforest-train -n 1 -o - 2>err >/dev/null
[ $? -eq 1 ] && grep -qx 'iforest-train: <stdin>:1: column "c5" appears'\
' twice in the header' err || fail "training, c5 twice: $(cat err)"
# An argument may hold 128 KiB: 15000 names.
list=$(sed -n '1s/^time,//p' cols.csv | cut -d, -f 1-15000)
iforest-train -n 1 -f "$list,c9" -o - cols.csv 2>err >/dev/null
[ $? -eq 2 ] && grep -qx 'iforest-train: -f: feature "c9" is listed twice' \
    err || fail "-f of 15001 names, c9 twice: $(cat err)"
iforest-train -n 1 -f "$list" -o - cols.csv >sub.model ||
    fail "-f of 15000 names"
[ "$(grep '^feature ' sub.model | sed -n '1p;$p' | tr '\n' ' ')" = \
    "feature c1 feature c15000 " ] || fail "-f of 15000 names: wrong features"

# 9. A live source: a row is scored and written as soon as it arrives,
# even into a file, while the producer is still waiting to send more.
{
	printf 'time,a,b\n1,500,500\n'
	sleep 3
	printf '2,1,1\n'
} | iforest-score -m m >live.csv &
sleep 2
[ "$(wc -l <live.csv)" -eq 2 ] ||
    fail "live input: $(wc -l <live.csv) lines written after 2 s, want 2"
wait
[ "$(wc -l <live.csv)" -eq 3 ] || fail "live input: $(cat live.csv)"

# A bad row after many good ones: they are scored and written, and the
# message comes after them where both outputs go to one file.
{ cat long.csv; echo '200000,x,1'; } >badlast.csv
iforest-score -m m badlast.csv >log 2>&1
[ $? -eq 1 ] || fail "a bad last row: not status 1"
[ "$(wc -l <log)" -eq 200002 ] || fail "a bad last row: $(wc -l <log) lines"
tail -n 1 log | grep -q '^iforest-score: badlast.csv:200002: ' ||
    fail "a bad last row: not last: $(grep -n 'iforest-score:' log)"

# 10. A reader that goes away ends the programs quietly.
iforest-score -m m long.csv 2>err | head -n 1 >/dev/null
[ -s err ] && fail "iforest-score | head: $(cat err)"
iforest-train -o - long.csv 2>err | head -c 10 >/dev/null
[ -s err ] && fail "iforest-train -o - | head: $(cat err)"

# 11. -o names something that is already there.  A regular file is
# replaced and keeps its mode; a symbolic link is written through and
# stays a link; a FIFO or a device is written into, never replaced; a
# directory is refused.  m1 is the model of seed 7, m4 of seed 8.
mode() {
	ls -l "$1" | cut -c 1-10
}
iforest-train -r 8 -o kept.model planted.csv
chmod 640 kept.model
iforest-train -r 7 -o kept.model planted.csv
cmp -s kept.model m1 || fail "-o over a model: not the new model"
[ "$(mode kept.model)" = -rw-r----- ] ||
    fail "-o over a model of mode 640: now $(mode kept.model)"

mkdir real
cp m4 real/item.model
chmod 640 real/item.model
ln -s real/item.model link.model
ln -s link.model chain.model
iforest-train -r 7 -o link.model planted.csv || fail "-o a symbolic link"
[ -L link.model ] || fail "-o link.model: the link was replaced"
cmp -s real/item.model m1 || fail "-o link.model: its target not written"
[ "$(mode real/item.model)" = -rw-r----- ] ||
    fail "-o link.model: the target's mode 640 is now $(mode real/item.model)"
iforest-train -r 8 -o chain.model planted.csv || fail "-o a link to a link"
[ -L chain.model ] && [ -L link.model ] && cmp -s real/item.model m4 ||
    fail "-o chain.model: not written through two links"
ln -s real/new.model dangling.model
iforest-train -r 7 -o dangling.model planted.csv ||
    fail "-o a link to a file not yet there"
[ -L dangling.model ] && cmp -s real/new.model m1 ||
    fail "-o dangling.model: real/new.model not created through the link"
[ "$(ls -A real | tr '\n' ' ')" = "item.model new.model " ] ||
    fail "left in real/: $(ls -A real)"
ln -s nowhere/item.model lost.model
iforest-train -o lost.model planted.csv 2>err
[ $? -eq 1 ] && [ -L lost.model ] && grep -qx 'iforest-train: lost.model:'\
' symbolic link to nowhere/item.model, in a folder that does not exist' err ||
    fail "-o a link into a missing folder: $(cat err)"

mkdir adir
iforest-train -o adir planted.csv 2>err
[ $? -eq 1 ] && grep -qx 'iforest-train: adir: is a directory' err ||
    fail "-o a directory: $(cat err)"
[ -d adir ] && [ -z "$(ls -A adir)" ] && [ -z "$(ls -A . | grep adir.)" ] ||
    fail "-o a directory: it was changed"

# A block device is refused, by its name or through a link: a model
# written over the start of a disk is never what was meant.  The node is
# our own, of device 0, which no driver serves: nothing could be written
# into it even by mistake.
if mknod blk b 0 0 2>/dev/null; then
	ln -s blk blk.model
	for o in blk blk.model; do
		iforest-train -o $o planted.csv 2>err
		[ $? -eq 1 ] && grep -qx "iforest-train: $o: is a block device:"\
' refusing to overwrite it' err || fail "-o a block device: $(cat err)"
	done
	[ -b blk ] && [ -L blk.model ] || fail "-o blk: the node was changed"
	rm -f blk blk.model
fi

# A FIFO is written into.  Should it be replaced instead, the reader would
# wait forever, so it is stopped then.
fixed=no
mkfifo fifo
cat fifo >from-fifo &
reader=$!
iforest-train -r 7 -o fifo planted.csv || fail "-o a FIFO"
if [ -p fifo ]; then
	wait $reader
	cmp -s from-fifo m1 && fixed=yes || fail "-o fifo: not the model"
else
	kill $reader
	fail "-o fifo: the FIFO was replaced by a file"
fi

# Device nodes of our own, when we may make them: a copy of /dev/null
# takes the model, a copy of /dev/full reports the full disk.  Neither is
# replaced.
if mknod null c 1 3 2>/dev/null && : 2>/dev/null >null; then
	iforest-train -o null planted.csv || fail "-o a null device"
	[ -c null ] || { fixed=no; fail "-o null: the device was replaced"; }
fi
if mknod full c 1 7 2>/dev/null && : 2>/dev/null >full; then
	iforest-train -o full planted.csv 2>err
	st=$?
	[ -c full ] || { fixed=no; fail "-o full: the device was replaced"; }
	[ $st -eq 1 ] && grep -qx 'iforest-train: full: write error: No'\
' space left on device' err || fail "-o full: status $st, $(cat err)"
fi

# The system's own nodes, only once the program is known to leave nodes
# alone: writing the model to standard output by name, and to /dev/full.
if [ $fixed = yes ] && [ -L /dev/stdout ]; then
	iforest-train -r 7 -o /dev/stdout planted.csv | cat >from-stdout
	[ -L /dev/stdout ] ||
	    fail "-o /dev/stdout: THE LINK /dev/stdout WAS REPLACED"
	cmp -s from-stdout m1 || fail "-o /dev/stdout: not the model"
fi
if [ $fixed = yes ] && [ -c /dev/full ]; then
	iforest-train -o /dev/full planted.csv 2>err
	st=$?
	[ -c /dev/full ] ||
	    fail "-o /dev/full: /dev/full IS NO LONGER A CHARACTER DEVICE"
	[ $st -eq 1 ] && grep -qx 'iforest-train: /dev/full: write error: No'\
' space left on device' err || fail "-o /dev/full: status $st, $(cat err)"
fi

# A model name at the file-name limit (255 bytes) is written: the
# temporary name is a short one of its own, not the name plus a suffix.
long=$(awk 'BEGIN { while (n++ < 255) printf "m" }')
iforest-train -r 7 -o "$long" planted.csv 2>err ||
    fail "-o a 255-byte name: $(cat err)"
cmp -s "$long" m1 || fail "-o a 255-byte name: not the model"
rm -f "$long"

exit $rc
