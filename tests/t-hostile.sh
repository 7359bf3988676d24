#!/bin/sh
# Inputs made to exhaust memory or time are refused by the programs
# themselves: each runs under a virtual memory limit (ulimit -v) a little
# above what its documented bound needs, so that a program that ignored
# the bound would fail to allocate or be killed, and must instead exit
# with status 1 (alert-mail: 2) and its own message "program: file...".
#
#	a CSV record of 1 GiB (header or row, one line or quoted LFs),
#	    fed through a pipe, refused at 64 MiB (CSV_MAXRECORD)
#	a CSV of 1000000 columns: iforest-train refuses more than 100000
#	    features before it allocates for them; the others read it
#	iforest-train out of memory for its samples names the file
#	JSON: a string of 100 MB, nesting 1000000 deep (limit 512)
#	a model claiming 10^9 trees, 10^18 nodes, 10^9 features, huge leaf
#	    sizes and feature numbers: refused at the line, nothing
#	    allocated for a count before its lines are there
#	a credentials file of 1 GiB (sparse), refused above 64 KiB
. "$(dirname "$0")/tools/setup.sh"

in_tmp

# A GiB of the byte $1, made on the fly: never stored.
gib() {
	head -c 1073741824 /dev/zero | tr '\0' "$1"
}

# bounded KB WANT PATTERN CMD...: run CMD on standard input under
# ulimit -v KB; it must exit WANT (never by a signal) and its first
# message must match PATTERN.
bounded() {
	kb=$1
	want=$2
	pat=$3
	shift 3
	(ulimit -v "$kb" && exec "$@") >/dev/null 2>"$tmp/err"
	s=$?
	[ "$s" -eq "$want" ] ||
	    fail "$*: status $s, not $want: $(head -c 300 "$tmp/err")"
	if [ -z "$pat" ]; then
		[ ! -s "$tmp/err" ] ||
		    fail "$*: message: $(head -c 300 "$tmp/err")"
	else
		head -n 1 "$tmp/err" | grep -q -- "$pat" ||
		    fail "$*: message: $(head -c 300 "$tmp/err")"
	fi
}

# CSV: the reader's bound is 64 MiB a record.  Its buffers grow by
# doubling but stop at the bound plus one read, so refusing a record takes
# little more than 64 MiB (100 MiB is enough), and 64 MiB more for a
# record with a quoted field, which is also held unquoted (150 MiB is
# enough: at least 134 MiB are needed).  Doubling on to 128 MiB a buffer
# would need about 256 MiB.
LIM=102400
QLIM=153600
REC='record longer than 67108864 bytes$'
printf 'time,x\n2020-01-01T00:00:00Z,1\n2020-01-01T00:01:00Z,2\n' >s.csv
printf '2020-01-01T00:02:00Z,3\n' >>s.csv
iforest-train -o s.model s.csv || fail "training the small model"
for p in "iforest-train -o x.model" "iforest-score -m s.model" \
    "ts-tojson -i in -n c8ktonqsahsmemfs7lv0" \
    "alert-mail -f a@example.org -t b@example.org"; do
	case $p in
	alert-mail*)	st=2 ;;
	*)		st=1 ;;
	esac
	set -- $p
	gib 7 | bounded $LIM $st "^$1: <stdin>:1: $REC" "$@"
	{ printf 'time,x\n2020-01-01T00:00:00Z,'; gib 7; } |
	    bounded $LIM $st "^$1: <stdin>:2: $REC" "$@"
	{ printf 'time,x\n2020-01-01T00:00:00Z,"'; gib '\n'; } |
	    bounded $QLIM $st "^$1: <stdin>:2: $REC" "$@"
done
# The same from a file operand: the name is in the message.
mkfifo fifo
gib 7 >fifo &
bounded $LIM 1 "^iforest-score: fifo:1: $REC" iforest-score -m s.model fifo
wait

# A million columns: one row of them.  iforest-train keeps a sample of
# rows per tree, 8 bytes a feature each: it takes at most 100000 features
# and refuses more at the header, in 64 MiB, before allocating for them.
{
	printf time
	seq 1 1000000 | sed 's/^/,c/' | tr -d '\n'
	printf '\n2020-01-01T00:00:00Z'
	seq 1 1000000 | sed 's/.*/,1/' | tr -d '\n'
	echo
} >wide.csv
W='feature columns, more than the 100000 this program takes'
bounded 65536 1 "^iforest-train: wide.csv:1: 1000000 $W (choose some" \
    iforest-train -o w.model wide.csv
[ ! -e w.model ] || fail "a model was left after a refused header"
ls -A | grep -q '^\.iforest-model\.' &&
    fail "a temporary model was left: $(ls -A)"
# The other readers select their columns and carry on in 64 MiB.
bounded 65536 0 '' ts-tojson -i in -n c8ktonqsahsmemfs7lv0 wide.csv
bounded 65536 0 '' alert-mail -f a@example.org -t b@example.org \
    -c c7 wide.csv </dev/null
bounded 65536 1 '^iforest-score: wide.csv:1: no column "x"' \
    iforest-score -m s.model wide.csv

# 1000 features and 300 rows of them: the samples take 200 MB; in
# 100 MiB that runs out, and the message names the file.
awk 'BEGIN {
	printf "time"
	for (j = 1; j <= 1000; j++)
		printf ",c%d", j
	print ""
	for (i = 0; i < 300; i++) {
		printf "2020-01-01T00:00:00Z"
		for (j = 1; j <= 1000; j++)
			printf ",%d", (i * 7 + j) % 13
		print ""
	}
}' >w1000.csv
bounded 102400 1 '^iforest-train: w1000.csv:[0-9]*: out of memory' \
    iforest-train -o w.model w1000.csv
[ ! -e w.model ] || fail "a model was left after running out of memory"
ls -A | grep -q '^\.iforest-model\.' &&
    fail "a temporary model was left after running out of memory: $(ls -A)"
bounded 409600 0 '' iforest-train -o w.model w1000.csv
[ "$(grep -c '^feature ' w.model)" = 1000 ] ||
    fail "the model of 1000 features has $(grep -c '^feature ' w.model)"
# One feature over the bound, and the bound itself.
hdr() {
	printf time
	seq 1 "$1" | sed 's/^/,c/' | tr -d '\n'
	echo
}
hdr 100001 | bounded 65536 1 "^iforest-train: <stdin>:1: 100001 $W" \
    iforest-train -o w.model
{ hdr 100000; printf 2020-01-01T00:00:00Z
  seq 1 100000 | sed 's/.*/,1/' | tr -d '\n'; echo; } |
    bounded 131072 0 '' iforest-train -n 1 -o w.model
[ "$(grep -c '^feature ' w.model)" = 100000 ] ||
    fail "the model of 100000 features has $(grep -c '^feature ' w.model)"

# JSON: nesting a million deep, of arrays and of objects.
T='2020-01-01T00:00:00Z'
head -c 1000000 /dev/zero | tr '\0' '[' |
    bounded 65536 1 '^ts-fromjson: <stdin>:1:513: nesting deeper than 512' \
    ts-fromjson
yes '{"a":' | head -n 1000000 | tr -d '\n' |
    bounded 65536 1 '^ts-fromjson: <stdin>:1:2561: nesting deeper than 512' \
    ts-fromjson
head -c 1000000 /dev/zero | tr '\0' '[' >deep.json
bounded 65536 1 '^clarify: the response is not valid JSON' \
    clarify-helper response deep.json

# A string of 100 MB: held whole, so in 150 MB the reader runs out of
# memory and says so; in 400 MB the key becomes a 100 MB column name.
str() {
	printf '{"times":["%s"],"series":{"' "$T"
	head -c 100000000 /dev/zero | tr '\0' a
	printf '":[1]}}'
}
str | bounded 153600 1 '^ts-fromjson: <stdin>: out of memory' ts-fromjson
str | bounded 409600 0 '' ts-fromjson
str | (ulimit -v 409600 && exec ts-fromjson) | head -c 10 |
    grep -q '^time,aaaa' ||
    fail "ts-fromjson: the 100 MB key is not the column name"

# Models that claim more than they hold: refused at the claim or where
# the file ends, in 64 MB, at once.
model() {
	printf 'iforest-model 1\nfeatures %s\nfeature x\ntrees %s\n' "$1" "$2"
	printf 'samples auto\nrows 3\npsi 3\nseed 0\ncontamination auto\n'
	printf 'threshold 0.5\n'
}
ms() {
	bounded 65536 1 "^iforest-score: <stdin>:$1" \
	    iforest-score -m - /dev/null
}
model 1 1000000000 | ms '4: trees 1000000000 out of range (1 to 100000)$'
model 1 100000 | ms '11: truncated'
{ model 1 1; echo 'tree 1000000000000000000'; echo 'l 3'; } |
    ms '11: tree 1000000000000000000 out of range (1 to 5)$'
{ model 1 1; echo 'tree 4294967295'; yes 'l 1' | head -n 1000000; } |
    ms '11: tree 4294967295 out of range'
{ model 1 1; printf 'tree 1\nl 18446744073709551615\n'; } |
    ms '12: leaf size 18446744073709551615 out of range'
{ model 1 1; printf 'tree 3\ns 4294967295 0.5 2\nl 1\nl 2\n'; } |
    ms '12: feature number 4294967295 out of range'
model 1000000000 1 | ms "4: expected 'feature NAME' (1000000000 of them)"
model 99999999999999999999 1 | ms '2: '
{ printf 'iforest-model 1\nfeatures 1000000000\n'
  seq 1 200000 | sed 's/^/feature f/'; } |
    ms "200003: truncated: expected 'feature NAME'"
{ printf 'iforest-model 1\nfeatures 1\nfeature '; gib x; } |
    ms '3: line longer than 65544 bytes$'

# A credentials file of 1 GiB (sparse: nothing is stored), and one just
# over the 64 KiB a credentials file may have.
truncate -s 1G big.json && chmod 600 big.json
bounded 65536 1 '^clarify: big.json: larger than 65536 bytes' \
    clarify-helper check big.json
{ printf '{"apiUrl":"http://127.0.0.1:1/","integration":'
  printf '"c8ktonqsahsmemfs7lv0","credentials":{"type":"basic-auth",'
  printf '"clientId":"a","clientSecret":"'
  head -c 65536 /dev/zero | tr '\0' s
  printf '"}}\n'; } >over.json
chmod 600 over.json
bounded 65536 1 '^clarify: over.json: larger than 65536 bytes' \
    clarify-helper check over.json
bounded 65536 1 '^clarify: big.json: larger than 65536 bytes' \
    clarify -C big.json data c1vcqk2005qb5nusljko "$T" 2020-01-02T00:00:00Z

exit $rc
