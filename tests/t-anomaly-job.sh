#!/bin/sh
# anomaly-job against fake-clarify and smtp-sink, with the clock stepped
# through ANOMALY_JOB_NOW: the first run trains and sets the mark; a run
# with a planted anomaly inserts it and mails "detected"; another in the
# same episode mails "More"; one after the quiet time starts a new
# episode; a catch-up after missed runs covers the gap once; a failed
# insert and a refused mail leave the mark and the next run finishes the
# window without a second mail or insert; a held lock gives exit 75 and
# a stale one is taken over; and the client secret is in no message.
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$top/tests/bin:$PATH
LC_ALL=C
export PATH LC_ALL

command -v curl >/dev/null 2>&1 || { echo "skipped: no curl"; exit 0; }
command -v msmtp >/dev/null 2>&1 || { echo "skipped: no msmtp"; exit 0; }

tmp=$(mktemp -d) || exit 2
cpid=
spid=
bpid=
cleanup() {
	for p in $cpid $spid $bpid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM
rc=0

fail() {
	echo "$*"
	rc=1
}

ITEM=c1vcqk2005qb5nusljko
INPUT=temp-anomalies
SECRET='Sec-ret+/x9'
HOME=$tmp/home
XDG_CACHE_HOME=$tmp/cache
CLARIFY_WAIT=0
CLARIFY_PACE=0
CLARIFY_RETRIES=4
export HOME XDG_CACHE_HOME CLARIFY_WAIT CLARIFY_PACE CLARIFY_RETRIES
mkdir "$HOME" "$tmp/mail" || exit 2

# waitport FILE: wait for a server's port file.
waitport() {
	n=0
	while [ ! -s "$1" ]; do
		n=$((n + 1))
		[ $n -le 100 ] || { echo "no port file $1:" \
		    "$(cat "$tmp/server.err" "$tmp/sink.err")"; exit 1; }
		sleep 0.1
	done
}

# History: three days of the real series, five-minute rows.  After it,
# a normal value every hour, and far-off points planted at :30.
awk -F, 'NR > 1 && $1 >= "2013-12-03" && $1 < "2013-12-06" {
	sub(/ /, "T", $1)
	print $1 "Z," $2
}' "$top/demo/data/machine_temperature_system_failure.csv" >"$tmp/hist"
med=$(cut -d, -f2 "$tmp/hist" | sort -n |
    awk '{ v[NR] = $1 } END { print v[int(NR / 2)] }')
PLANT='2013-12-06T01:30:00Z 2013-12-06T02:30:00Z 2013-12-06T06:30:00Z
2013-12-07T10:30:00Z 2013-12-08T10:30:00Z 2013-12-09T00:30:00Z
2013-12-09T02:30:00Z 2013-12-09T04:30:00Z 2013-12-09T05:30:00Z'
echo "time,$ITEM" >"$tmp/data.csv"
{
	cat "$tmp/hist"
	for d in 06 07 08 09; do
		for h in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 \
		    17 18 19 20 21 22 23; do
			echo "2013-12-${d}T$h:00:00Z,$med"
		done
	done
	for p in $PLANT; do
		echo "$p,500"
	done
} | sort >>"$tmp/data.csv"

fake-clarify -p "$tmp/cport" -t 120 -c cid -s "$SECRET" \
    -d "$tmp/data.csv" -r "$tmp/rec" -f "$tmp/ctl" 2>"$tmp/server.err" &
cpid=$!
smtp-sink -d "$tmp/mail" -p "$tmp/sport" -c "$tmp/sctl" -i 120 \
    2>"$tmp/sink.err" &
spid=$!
waitport "$tmp/cport"
waitport "$tmp/sport"

printf '{"apiUrl":"http://127.0.0.1:%s/v1/","integration":"%s",%s%s\n' \
    "$(cat "$tmp/cport")" c8ktonqsahsmemfs7lv0 \
    '"credentials":{"type":"client-credentials","clientId":"cid",' \
    "\"clientSecret\":\"$SECRET\"}}" >"$tmp/cred.json"
chmod 600 "$tmp/cred.json"
(umask 077 && cat >"$tmp/msmtprc" <<EOF
account default
host 127.0.0.1
port $(cat "$tmp/sport")
auth off
tls off
timeout 10
EOF
) || exit 2
cat >"$tmp/job.conf" <<EOF
# the job's configuration
credentials = $tmp/cred.json
item = $ITEM
input = $INPUT
name = machine temperature
train_from = 2013-12-03T00:00:00Z
contamination = 0.01
seed = 7
lag = 3600
quiet = 7200
mail_from = plant@example.org
mail_to = ops@example.org
mail_to = b@example.org
msmtp_config = $tmp/msmtprc
state = $tmp/state
EOF

# job NOW: one run at NOW; its messages in $tmp/err and $tmp/allerr.
job() {
	ANOMALY_JOB_NOW=$1 anomaly-job -c "$tmp/job.conf" 2>"$tmp/err"
	s=$?
	cat "$tmp/err" >>"$tmp/allerr"
	return $s
}

# mails: the number of messages the sink kept.
mails() {
	ls "$tmp/mail" | grep -c '\.eml$'
}

# lastmail: the subject of the newest message.
lastmail() {
	f=$(ls "$tmp/mail" | grep '\.eml$' | tail -n 1)
	[ -n "$f" ] || return 0
	sed -n 's/^Subject: //p' "$tmp/mail/$f" | tr -d '\r'
}

# inserted: the points in Clarify, one time a line.
inserted() {
	[ -f "$tmp/rec/points/$INPUT.csv" ] || return 0
	sed 1d "$tmp/rec/points/$INPUT.csv" | cut -d, -f1
}

# planted UNTIL: the planted times before UNTIL, one a line.
planted() {
	printf '%s\n' $PLANT | awk -v u="$1" '$0 < u'
}

# check WHAT UNTIL MAILS: the points in Clarify are the planted ones
# before UNTIL, MAILS mails were sent, each point is in one of them.
check() {
	inserted | sort | cmp -s - "$tmp/want" 2>/dev/null ||
	    fail "$1: points: $(inserted | tr '\n' ' ')"
	planted "$2" | cmp -s - "$tmp/want" ||
	    fail "$1: the points are not the planted ones before $2"
	[ "$(mails)" -eq "$3" ] || fail "$1: $(mails) mails, not $3"
	for p in $(cat "$tmp/want"); do
		[ "$(grep -l "^$p " "$tmp/mail/"*.eml | wc -l)" -eq 1 ] ||
		    fail "$1: $p is not in exactly one mail"
	done
}

# mark: the state's mark.
mark() {
	cat "$tmp/state/mark"
}

# First run: trains, sets the mark, no point, no mail.
job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
[ -f "$tmp/state/model" ] || fail "train: no model"
[ "$(mark)" = 2013-12-06T00:00:00Z ] || fail "train: mark $(mark)"
grep -q 'fetched 864 rows for \[2013-12-03T00:00:00Z, 2013-12-06T00:00:00Z)' \
    "$tmp/err" || fail "train: $(cat "$tmp/err")"
# The fixture: the median is normal, the planted value is not.
printf 'time,value\n2013-12-06T00:00:00Z,%s\n2013-12-06T00:01:00Z,500\n' \
    "$med" | iforest-score -m "$tmp/state/model" | cut -d, -f4 |
    tr '\n' ' ' | grep -q '^anomaly 0 1 $' || fail "fixture: bad scores"
: >"$tmp/want"
[ "$(mails)" -eq 0 ] || fail "train: mailed"

# An anomaly: inserted and mailed as detected.
job 2013-12-06T03:00:00Z || fail "first: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-06T02:00:00Z ] || fail "first: mark $(mark)"
planted 2013-12-06T02:00:00Z >"$tmp/want"
check first 2013-12-06T02:00:00Z 1
lastmail | grep -q '^Anomaly detected in machine temperature$' ||
    fail "first: subject $(lastmail)"
grep -q '^[0-9-]*T[0-9:]*Z anomaly-job: found 1 anomalies' "$tmp/err" ||
    fail "first: log $(cat "$tmp/err")"

# Another within the quiet time: "More".
job 2013-12-06T04:00:00Z || fail "more: $(cat "$tmp/err")"
planted 2013-12-06T03:00:00Z >"$tmp/want"
check more 2013-12-06T03:00:00Z 2
lastmail | grep -q '^More anomalies in machine temperature$' ||
    fail "more: subject $(lastmail)"

# An hour without anomaly: no mail.
job 2013-12-06T05:00:00Z || fail "quiet hour: $(cat "$tmp/err")"
check "quiet hour" 2013-12-06T04:00:00Z 2

# Four hours after the last: a new episode.
job 2013-12-06T08:00:00Z || fail "episode: $(cat "$tmp/err")"
planted 2013-12-06T07:00:00Z >"$tmp/want"
check episode 2013-12-06T07:00:00Z 3
lastmail | grep -q '^Anomaly detected in' || fail "episode: $(lastmail)"

# Two days missed: one run catches up, one mail for both anomalies.
job 2013-12-09T01:00:00Z || fail "catch-up: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T00:00:00Z ] || fail "catch-up: mark $(mark)"
planted 2013-12-09T00:00:00Z >"$tmp/want"
check catch-up 2013-12-09T00:00:00Z 4
grep -q 'found 2 anomalies' "$tmp/err" || fail "catch-up: $(cat "$tmp/err")"

# The insert fails: no mail, the mark stays; the next run does it all.
echo "500 5 integration.insert" >"$tmp/ctl"
job 2013-12-09T02:00:00Z && fail "insert fault: exit 0"
grep -q 'inserting the anomalies of .* failed' "$tmp/err" ||
    fail "insert fault: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T00:00:00Z ] || fail "insert fault: mark moved"
[ ! -d "$tmp/state/lock" ] || fail "insert fault: the lock was kept"
check "insert fault" 2013-12-09T00:00:00Z 4
job 2013-12-09T02:30:00Z || fail "after insert: $(cat "$tmp/err")"
grep -q 'redoing \[2013-12-09T00:00:00Z, 2013-12-09T01:00:00Z)' \
    "$tmp/err" || fail "after insert: no redo: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T01:30:00Z ] || fail "after insert: mark $(mark)"
planted 2013-12-09T01:30:00Z >"$tmp/want"
check "after insert" 2013-12-09T01:30:00Z 5

# The mail is refused: inserted, not mailed, the mark stays; the next
# run mails once and does not insert again.
echo data-451 >"$tmp/sctl"
job 2013-12-09T04:00:00Z && fail "mail fault: exit 0"
grep -q 'sending the mail failed' "$tmp/err" ||
    fail "mail fault: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T01:30:00Z ] || fail "mail fault: mark moved"
planted 2013-12-09T03:00:00Z >"$tmp/want"
inserted | sort | cmp -s - "$tmp/want" ||
    fail "mail fault: points: $(inserted | tr '\n' ' ')"
[ "$(mails)" -eq 5 ] || fail "mail fault: $(mails) mails, not 5"
! grep -q '^2013-12-09T02:30:00Z ' "$tmp/mail/"*.eml ||
    fail "mail fault: the refused mail was kept"
n=$(grep -c 'integration.insert' "$tmp/rec/requests.log")
job 2013-12-09T05:00:00Z || fail "after mail: $(cat "$tmp/err")"
[ "$(grep -c 'integration.insert' "$tmp/rec/requests.log")" -eq "$n" ] ||
    fail "after mail: inserted again"
grep -q 'inserted before, not again' "$tmp/err" ||
    fail "after mail: $(cat "$tmp/err")"
check "after mail" 2013-12-09T04:00:00Z 6
[ "$(mark)" = 2013-12-09T04:00:00Z ] || fail "after mail: mark $(mark)"

# The mark cannot be written after the mail went: the next run neither
# mails nor inserts again.
mkdir "$tmp/state/mark.tmp"
job 2013-12-09T06:00:00Z && fail "mark fault: exit 0"
grep -q 'cannot write .*/mark$' "$tmp/err" ||
    fail "mark fault: $(cat "$tmp/err")"
planted 2013-12-09T05:00:00Z >"$tmp/want"
check "mark fault" 2013-12-09T05:00:00Z 7
rmdir "$tmp/state/mark.tmp"
n=$(grep -c 'integration.insert' "$tmp/rec/requests.log")
job 2013-12-09T06:00:00Z || fail "after mark: $(cat "$tmp/err")"
grep -q 'mailed before, not again' "$tmp/err" ||
    fail "after mark: $(cat "$tmp/err")"
[ "$(grep -c 'integration.insert' "$tmp/rec/requests.log")" -eq "$n" ] ||
    fail "after mark: inserted again"
check "after mark" 2013-12-09T05:00:00Z 7
[ "$(mark)" = 2013-12-09T05:00:00Z ] || fail "after mark: mark $(mark)"

# Two runs at once: one waits on a slow fetch, the other exits 75.
echo "slow=2 1 clarify.dataFrame" >"$tmp/ctl"
ANOMALY_JOB_NOW=2013-12-09T07:00:00Z anomaly-job -c "$tmp/job.conf" \
    2>"$tmp/err1" &
bpid=$!
ANOMALY_JOB_NOW=2013-12-09T07:00:00Z anomaly-job -c "$tmp/job.conf" \
    2>"$tmp/err2"
s2=$?
wait "$bpid"
s1=$?
bpid=
cat "$tmp/err1" "$tmp/err2" >>"$tmp/allerr"
case $s1:$s2 in
0:75)	grep -q 'another run holds the lock (pid [0-9]*)' "$tmp/err2" ||
	    fail "lock: $(cat "$tmp/err2")" ;;
75:0)	grep -q 'another run holds the lock (pid [0-9]*)' "$tmp/err1" ||
	    fail "lock: $(cat "$tmp/err1")" ;;
*)	fail "lock: statuses $s1 and $s2" ;;
esac
planted 2013-12-09T06:00:00Z >"$tmp/want"
check lock 2013-12-09T06:00:00Z 8
[ ! -d "$tmp/state/lock" ] || fail "lock: left behind"

# A lock held by a live process; then by a dead one, taken over.
sleep 30 &
bpid=$!
mkdir "$tmp/state/lock" && echo "$bpid" >"$tmp/state/lock/pid"
job 2013-12-09T08:00:00Z
[ $? -eq 75 ] || fail "held lock: not 75"
grep -q "another run holds the lock (pid $bpid)" "$tmp/err" ||
    fail "held lock: $(cat "$tmp/err")"
kill "$bpid"
wait "$bpid" 2>/dev/null
bpid=
job 2013-12-09T08:00:00Z || fail "stale lock: $(cat "$tmp/err")"
grep -q 'took over the stale lock of pid [0-9]' "$tmp/err" ||
    fail "stale lock: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T07:00:00Z ] || fail "stale lock: mark $(mark)"
[ -z "$(ls -A "$tmp/state" | grep '^lock')" ] ||
    fail "stale lock: left $(ls -A "$tmp/state")"

# Four runs at once find a stale lock: one gets the lock, three exit 75.
sh -c 'exit 0' &
dead=$!
wait "$dead"
mkdir -p "$tmp/state/lock" && echo "$dead" >"$tmp/state/lock/pid"
echo "slow=1 1 clarify.dataFrame" >"$tmp/ctl"
bpid=
for i in 1 2 3 4; do
	(ANOMALY_JOB_NOW=2013-12-09T09:00:00Z anomaly-job \
	    -c "$tmp/job.conf" 2>"$tmp/err$i"; echo $? >"$tmp/st$i") &
	bpid="$bpid $!"
done
for p in $bpid; do
	wait "$p"
done
bpid=
cat "$tmp/err"[1-4] >>"$tmp/allerr"
[ "$(cat "$tmp/st"[1-4] | sort | tr '\n' ' ')" = "0 75 75 75 " ] ||
    fail "stale race: statuses $(cat "$tmp/st"[1-4] | tr '\n' ' ')"
[ "$(cat "$tmp/err"[1-4] | grep -c 'fetched')" -eq 1 ] ||
    fail "stale race: $(cat "$tmp/err"[1-4])"
[ -z "$(ls -A "$tmp/state" | grep '^lock')" ] ||
    fail "stale race: left $(ls -A "$tmp/state")"
[ "$(mark)" = 2013-12-09T08:00:00Z ] || fail "stale race: mark $(mark)"

# Nothing to do: the mark is already at now - lag.
job 2013-12-09T09:00:00Z || fail "again: $(cat "$tmp/err")"
check again 2013-12-09T07:00:00Z 8

# The signal was named, described and given a gap detection of one
# second once, before the first insert, and not again.
[ "$(grep -c 'integration.saveSignals' "$tmp/rec/requests.log")" -eq 1 ] ||
    fail "signal: saved $(grep -c 'integration.saveSignals' \
    "$tmp/rec/requests.log") times"
awk -F'\t' '$4 ~ /^integration\./ { print $4 }' "$tmp/rec/requests.log" |
    head -n 1 | grep -qx 'integration.saveSignals' ||
    fail "signal: not saved before the first insert"
sig=$tmp/rec/signals/$INPUT.json
grep -q '"name":"machine temperature anomalies"' "$sig" &&
    grep -q '"gapDetection":"PT1S"' "$sig" &&
    grep -q '"description":"The points of machine temperature' "$sig" ||
    fail "signal: $(cat "$sig")"
cmp -s "$sig" "$tmp/state/signal" 2>/dev/null ||
    fail "signal: the state does not keep what was saved"

# Configuration errors are reported with the file and line.
printf 'item = x\nbogus = 1\n' >"$tmp/bad.conf"
anomaly-job -c "$tmp/bad.conf" 2>"$tmp/err"
[ $? -eq 2 ] || fail "bad key: not status 2"
grep -q "^anomaly-job: $tmp/bad.conf:2: unknown key \"bogus\"" "$tmp/err" ||
    fail "bad key: $(cat "$tmp/err")"
printf 'item = $(touch %s/pwned)\n' "$tmp" >"$tmp/bad.conf"
anomaly-job -c "$tmp/bad.conf" 2>/dev/null
[ ! -e "$tmp/pwned" ] || fail "the configuration was run"
anomaly-job 2>/dev/null
[ $? -eq 2 ] || fail "no -c: not status 2"

# Every message line has a time; the secret is nowhere.
grep -v '^[0-9-]*T[0-9:]*Z anomaly-job: ' "$tmp/allerr" |
    grep -q 'anomaly-job' && fail "a message without a time"
! grep -qF -- "$SECRET" "$tmp/allerr" || fail "secret in the messages"
! grep -qF -- 'Sec-ret' "$tmp/allerr" || fail "secret in the messages"

exit $rc
