#!/bin/sh
# anomaly-job against fake-clarify and smtp-sink, with the clock stepped
# through ANOMALY_JOB_NOW: the first run trains and sets the mark; a run
# with a planted anomaly inserts it and mails "detected"; another in the
# same episode mails "More"; one after the quiet time starts a new
# episode; a catch-up after missed runs covers the gap once; a failed
# insert and a refused mail leave the mark and the next run finishes the
# window without a second mail or insert; a held lock gives exit 75,
# naming its holder even when caught before the pid is written, and
# a stale one is taken over; and the client secret is in no message.
# After each step that ends well, every row after the training was
# scored once, and every anomaly inserted and mailed once (verify).
PLANT='2013-12-06T01:30:00Z 2013-12-06T02:30:00Z 2013-12-06T06:30:00Z
2013-12-07T10:30:00Z 2013-12-08T10:30:00Z 2013-12-09T00:30:00Z
2013-12-09T02:30:00Z 2013-12-09T04:30:00Z 2013-12-09T05:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
# The insert fault below is sized for four retries.
CLARIFY_RETRIES=4
setup

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
verify first
lastmail | grep -q '^Anomaly detected in machine temperature$' ||
    fail "first: subject $(lastmail)"
grep -q '^[0-9-]*T[0-9:]*Z anomaly-job: found 1 anomaly in' "$tmp/err" ||
    fail "first: log $(cat "$tmp/err")"

# Another within the quiet time: "More".
job 2013-12-06T04:00:00Z || fail "more: $(cat "$tmp/err")"
planted 2013-12-06T03:00:00Z >"$tmp/want"
check more 2013-12-06T03:00:00Z 2
verify more
lastmail | grep -q '^More anomalies in machine temperature$' ||
    fail "more: subject $(lastmail)"

# An hour without anomaly: no mail.
job 2013-12-06T05:00:00Z || fail "quiet hour: $(cat "$tmp/err")"
check "quiet hour" 2013-12-06T04:00:00Z 2
verify "quiet hour"

# Four hours after the last: a new episode.
job 2013-12-06T08:00:00Z || fail "episode: $(cat "$tmp/err")"
planted 2013-12-06T07:00:00Z >"$tmp/want"
check episode 2013-12-06T07:00:00Z 3
verify episode
lastmail | grep -q '^Anomaly detected in' || fail "episode: $(lastmail)"

# Two days missed: one run catches up, one mail for both anomalies.
job 2013-12-09T01:00:00Z || fail "catch-up: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T00:00:00Z ] || fail "catch-up: mark $(mark)"
planted 2013-12-09T00:00:00Z >"$tmp/want"
check catch-up 2013-12-09T00:00:00Z 4
verify catch-up
grep -q 'found 2 anomalies' "$tmp/err" || fail "catch-up: $(cat "$tmp/err")"

# The insert fails: no mail, the mark stays; the next run does it all.
echo "500 5 integration.insert" >"$tmp/ctl"
job 2013-12-09T02:00:00Z && fail "insert fault: exit 0"
grep -q 'inserting the anomalies of .* failed' "$tmp/err" ||
    fail "insert fault: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T00:00:00Z ] || fail "insert fault: mark moved"
[ ! -d "$tmp/state/lock" ] || fail "insert fault: the lock was kept"
check "insert fault" 2013-12-09T00:00:00Z 4
verify "insert fault"
job 2013-12-09T02:30:00Z || fail "after insert: $(cat "$tmp/err")"
grep -q 'redoing \[2013-12-09T00:00:00Z, 2013-12-09T01:00:00Z)' \
    "$tmp/err" || fail "after insert: no redo: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T01:30:00Z ] || fail "after insert: mark $(mark)"
planted 2013-12-09T01:30:00Z >"$tmp/want"
check "after insert" 2013-12-09T01:30:00Z 5
verify "after insert"

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
verify "after mail"
[ "$(mark)" = 2013-12-09T04:00:00Z ] || fail "after mail: mark $(mark)"

# The mark cannot be written after the mail went: the next run neither
# mails nor inserts again.
# (an mv first on PATH that refuses to put the mark in place)
mkdir "$tmp/nomark"
realmv=$(command -v mv)
cat >"$tmp/nomark/mv" <<EOF
#!/bin/sh
for a; do :; done
case \$a in
*/state/mark)	echo "mv: refused" >&2
		exit 1 ;;
esac
exec "$realmv" "\$@"
EOF
chmod 755 "$tmp/nomark/mv"
oldpath=$PATH
PATH=$tmp/nomark:$PATH
job 2013-12-09T06:00:00Z && fail "mark fault: exit 0"
PATH=$oldpath
grep -q 'cannot write .*/mark$' "$tmp/err" ||
    fail "mark fault: $(cat "$tmp/err")"
planted 2013-12-09T05:00:00Z >"$tmp/want"
check "mark fault" 2013-12-09T05:00:00Z 7
left=$(ls "$tmp/state" | grep '^mark\.')
[ -z "$left" ] || fail "mark fault: left in the state: $left"
n=$(grep -c 'integration.insert' "$tmp/rec/requests.log")
job 2013-12-09T06:00:00Z || fail "after mark: $(cat "$tmp/err")"
grep -q 'mailed before, not again' "$tmp/err" ||
    fail "after mark: $(cat "$tmp/err")"
[ "$(grep -c 'integration.insert' "$tmp/rec/requests.log")" -eq "$n" ] ||
    fail "after mark: inserted again"
check "after mark" 2013-12-09T05:00:00Z 7
verify "after mark"
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
0:75)	grep -q 'another run holds the lock (pid [0-9][0-9]*)' "$tmp/err2" ||
	    fail "lock: $(cat "$tmp/err2")" ;;
75:0)	grep -q 'another run holds the lock (pid [0-9][0-9]*)' "$tmp/err1" ||
	    fail "lock: $(cat "$tmp/err1")" ;;
*)	fail "lock: statuses $s1 and $s2" ;;
esac
planted 2013-12-09T06:00:00Z >"$tmp/want"
check lock 2013-12-09T06:00:00Z 8
verify lock
[ ! -d "$tmp/state/lock" ] || fail "lock: left behind"

# locked_out WHAT HOLDER [DIR]: a run, with DIR first on PATH, finds the
# lock held, and exits 75 naming HOLDER.
locked_out() {
	path=$PATH
	[ -z "${3:-}" ] || PATH=$3:$PATH
	job 2013-12-09T08:00:00Z
	st=$?
	PATH=$path
	[ "$st" -eq 75 ] || fail "$1: not 75"
	grep -q "another run holds the lock (pid $2)" "$tmp/err" ||
	    fail "$1: $(cat "$tmp/err")"
}

# A lock held by a live process; then by a dead one, taken over.
sleep 30 &
bpid=$!
mkdir "$tmp/state/lock" && echo "$bpid" >"$tmp/state/lock/pid"
locked_out "held lock" "$bpid"

# A lock without its pid yet: the run waits a moment (its sleep, here
# one that writes the pid meanwhile) and names the holder; a lock
# still without one is held by a run unknown.
mkdir "$tmp/bin"
printf '#!/bin/sh\necho %s >"%s"\n' "$bpid" "$tmp/state/lock/pid" \
    >"$tmp/bin/sleep"
chmod +x "$tmp/bin/sleep"
rm "$tmp/state/lock/pid"
locked_out "pid late" "$bpid" "$tmp/bin"
printf '#!/bin/sh\n' >"$tmp/bin/sleep"
rm "$tmp/state/lock/pid"
locked_out "no pid" unknown "$tmp/bin"
echo "$bpid" >"$tmp/state/lock/pid"
kill "$bpid"
wait "$bpid" 2>/dev/null
bpid=
job 2013-12-09T08:00:00Z || fail "stale lock: $(cat "$tmp/err")"
grep -q 'took over the stale lock of pid [0-9]' "$tmp/err" ||
    fail "stale lock: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-09T07:00:00Z ] || fail "stale lock: mark $(mark)"
verify "stale lock"
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
verify "stale race"

# Nothing to do: the mark is already at now - lag.
job 2013-12-09T09:00:00Z || fail "again: $(cat "$tmp/err")"
check again 2013-12-09T07:00:00Z 8
verify again

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
grep -q \
    "^[0-9-]*T[0-9:]*Z anomaly-job: $tmp/bad.conf:2: unknown key \"bogus\"" \
    "$tmp/err" ||
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
