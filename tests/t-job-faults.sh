#!/bin/sh
# anomaly-job end to end through failures: Clarify answering 500 to the
# insert, then Clarify down altogether at the insert, each back on the
# next run; the token expiring between the fetch and the insert; the SMTP
# server down, then back; the job killed just after msmtp has sent the
# mail.  A failed run exits 1 and leaves the mark; the next one finishes
# the window with nothing inserted twice and no mail sent twice, but for
# the killed run's, which is sent again byte for byte, Message-ID and
# all, so that a receiver that drops repeated IDs shows it once.  Stale
# progress, and progress kept in the form of version 0.1.0, are dealt
# with.
PLANT='2013-12-06T01:30:00Z 2013-12-06T03:30:00Z 2013-12-06T05:30:00Z
2013-12-06T07:30:00Z 2013-12-06T09:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
setup

# A ts-tojson first on PATH that, between the job's fetch and its
# insert, stops the server or makes it forget its tokens when told to;
# an msmtp that, when told to, kills the job once the mail is sent; a
# ts-plot that fails when told to.
realtojson=$(command -v ts-tojson)
mkdir "$tmp/wrap" || exit 2
{
	echo '#!/bin/sh'
	echo "if [ -f '$tmp/kill-at-tojson' ]; then"
	echo "	kill \"\$(cat '$tmp/kill-at-tojson')\""
	echo "	rm -f '$tmp/kill-at-tojson'"
	echo "fi"
	echo "if [ -f '$tmp/expire-at-tojson' ]; then"
	echo "	echo expire >'$tmp/ctl'"
	echo "	rm -f '$tmp/expire-at-tojson'"
	echo "fi"
	echo "exec '$realtojson' \"\$@\""
} >"$tmp/wrap/ts-tojson"
chmod 755 "$tmp/wrap/ts-tojson"
realmsmtp=$(command -v msmtp)
{
	echo '#!/bin/sh'
	echo "'$realmsmtp' \"\$@\" || exit"
	# (a send, not the --pretend that checks the configuration)
	echo "if [ \"\$1\" = -t ] && [ -f '$tmp/kill-after-msmtp' ]; then"
	echo "	rm -f '$tmp/kill-after-msmtp'"
	echo "	kill -9 \$PPID"
	echo "fi"
} >"$tmp/wrap/msmtp"
realplot=$(command -v ts-plot)
{
	echo '#!/bin/sh'
	echo "[ ! -f '$tmp/fail-plot' ] || { echo ts-plot: broken >&2; exit 1; }"
	echo "exec '$realplot' \"\$@\""
} >"$tmp/wrap/ts-plot"
chmod 755 "$tmp/wrap/ts-tojson" "$tmp/wrap/msmtp" "$tmp/wrap/ts-plot"
# anomaly-job runs the programs beside it first: a copy beside the
# wrappers runs them.
cp "$top/bin/anomaly-job" "$tmp/wrap/" || exit 2
PATH=$tmp/wrap:$PATH

# failed WHAT MARK: the run failed, the mark stayed at MARK.
failed() {
	[ "$s" -eq 1 ] || fail "$1: exit $s, not 1: $(cat "$tmp/err")"
	[ "$(mark)" = "$2" ] || fail "$1: mark $(mark), not $2"
	[ ! -d "$tmp/state/lock" ] || fail "$1: the lock was kept"
}

job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
verify train

# Clarify answers 500 to every try of the insert: nothing inserted, no
# mail; the next run inserts and mails once.
echo "500 3 integration.insert" >"$tmp/ctl"
job 2013-12-06T03:00:00Z
failed "insert 500" "$TRAIN_END"
grep -q 'HTTP 500, try 2 of 2' "$tmp/err" &&
    grep -q 'inserting the anomalies of .* failed' "$tmp/err" ||
    fail "insert 500: $(cat "$tmp/err")"
[ "$(mails)" -eq 0 ] || fail "insert 500: mailed"
verify "insert 500"
job 2013-12-06T03:00:00Z || fail "after 500: $(cat "$tmp/err")"
grep -q 'scored before, not again' "$tmp/err" ||
    fail "after 500: $(cat "$tmp/err")"
verify "after 500"
[ "$(mails)" -eq 1 ] || fail "after 500: $(mails) mails"

# Clarify goes down after the fetch: the insert cannot connect.  It
# comes back, at another port, before the next run.
echo "$cpid" >"$tmp/kill-at-tojson"
job 2013-12-06T05:00:00Z
failed "down" 2013-12-06T02:00:00Z
kill "$cpid" 2>/dev/null	# if the job failed before it could
wait "$cpid" 2>/dev/null
grep -q 'inserting the anomalies of .* failed' "$tmp/err" ||
    fail "down: $(cat "$tmp/err")"
verify down
start_clarify
job 2013-12-06T05:00:00Z || fail "back up: $(cat "$tmp/err")"
verify "back up"
[ "$(mails)" -eq 2 ] || fail "back up: $(mails) mails"

# The token expires between the fetch and the insert: the insert is
# refused once, the client gets a new token, the insert goes through.
# ts-plot fails too: the mail goes without a plot.
: >"$tmp/expire-at-tojson"
: >"$tmp/fail-plot"
n=$(wc -l <"$tmp/rec/requests.log")
job 2013-12-06T07:00:00Z || fail "expiry: $(cat "$tmp/err")"
want='200 /v1/rpc clarify.dataFrame 401 /v1/rpc -'
want="$want 200 /v1/oauth/token - 200 /v1/rpc integration.insert "
sed "1,${n}d" "$tmp/rec/requests.log" |
    awk -F'\t' '{ split($2, r, " "); print $3, r[2], $4 }' | tr '\n' ' ' |
    grep -qxF "$want" ||
    fail "expiry: $(sed "1,${n}d" "$tmp/rec/requests.log")"
verify expiry
[ "$(mails)" -eq 3 ] || fail "expiry: $(mails) mails"
rm -f "$tmp/fail-plot"
grep -q 'plotting \[.*) failed; the mail goes without a plot' "$tmp/err" ||
    fail "no plot: $(cat "$tmp/err")"
! grep -q '^Content-Type: image/png' "$(ls "$tmp/mail"/*.eml | tail -n 1)" ||
    fail "no plot: the mail has one"

# The SMTP server is down: inserted, not mailed, the mark stays.  It is
# back, at another port, for the next run, which mails once and does
# not insert again.
stop_sink
job 2013-12-06T09:00:00Z
failed "smtp down" 2013-12-06T06:00:00Z
grep -q 'sending the mail failed' "$tmp/err" ||
    fail "smtp down: $(cat "$tmp/err")"
grep -q "^$INPUT,2013-12-06T07:30:00Z," "$tmp/rec/inserts.csv" ||
    fail "smtp down: not inserted"
start_sink
n=$(grep -c 'integration.insert' "$tmp/rec/requests.log")
job 2013-12-06T09:00:00Z || fail "smtp back: $(cat "$tmp/err")"
grep -q 'inserted before, not again' "$tmp/err" ||
    fail "smtp back: $(cat "$tmp/err")"
[ "$(grep -c 'integration.insert' "$tmp/rec/requests.log")" -eq "$n" ] ||
    fail "smtp back: inserted again"
verify "smtp back"
[ "$(mails)" -eq 4 ] || fail "smtp back: $(mails) mails"

# Killed once msmtp has sent the mail, before it is recorded: the next
# run takes the stale lock over and sends the same message again.
: >"$tmp/kill-after-msmtp"
job 2013-12-06T11:00:00Z
[ "$s" -eq 137 ] || fail "killed: exit $s: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-06T08:00:00Z ] || fail "killed: mark $(mark)"
[ "$(mails)" -eq 5 ] || fail "killed: $(mails) mails"
job 2013-12-06T11:00:00Z || fail "after kill: $(cat "$tmp/err")"
grep -q 'took over the stale lock' "$tmp/err" &&
    grep -q 'inserted before, not again' "$tmp/err" ||
    fail "after kill: $(cat "$tmp/err")"
[ "$(mails)" -eq 6 ] || fail "after kill: $(mails) mails"
set -- $(ls "$tmp/mail" | grep '\.eml$' | tail -n 2)
cmp -s "$tmp/mail/$1" "$tmp/mail/$2" ||
    fail "after kill: the mail sent again differs"
verify "after kill"
[ "$(mark)" = 2013-12-06T10:00:00Z ] || fail "after kill: mark $(mark)"
[ -z "$(ls -A "$tmp/state/pending")" ] ||
    fail "pending left: $(ls -A "$tmp/state/pending")"

# The progress of a window done before, as a run killed after moving
# the mark leaves it, is removed; the window at the mark is done.
mkdir "$tmp/state/pending/20131206T080000Z" &&
    echo 2013-12-06T10:00:00Z >"$tmp/state/pending/20131206T080000Z/end"
job 2013-12-06T12:00:00Z || fail "stale progress: $(cat "$tmp/err")"
grep -q 'removed .*/20131206T080000Z, the progress of a window done before' \
    "$tmp/err" || fail "stale progress: $(cat "$tmp/err")"
[ -z "$(ls -A "$tmp/state/pending")" ] ||
    fail "stale progress: left $(ls -A "$tmp/state/pending")"
[ "$(mark)" = 2013-12-06T11:00:00Z ] || fail "stale progress: mark $(mark)"
verify "stale progress"

# The progress of version 0.1.0, a file, is taken over: its window end
# holds, and the windows go on from there.
printf 'end 2013-12-06T12:00:00Z\ninserted\n' \
    >"$tmp/state/pending/20131206T110000Z"
job 2013-12-06T14:00:00Z || fail "old progress: $(cat "$tmp/err")"
grep -q 'took over the progress that .*/20131206T110000Z kept as a file' \
    "$tmp/err" || fail "old progress: $(cat "$tmp/err")"
grep -q 'done \[2013-12-06T11:00:00Z, 2013-12-06T12:00:00Z)' "$tmp/err" ||
    fail "old progress: the window's end was not kept: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-06T13:00:00Z ] || fail "old progress: mark $(mark)"
[ -z "$(ls -A "$tmp/state/pending")" ] ||
    fail "old progress: left $(ls -A "$tmp/state/pending")"
verify "old progress"
exit $rc
