#!/bin/sh
# anomaly-job and points that reach Clarify after their time: one that
# comes within the lag is scored, inserted and mailed exactly once; one
# that comes later than the lag falls in a window already done and is
# never scored, the limit anomaly-job(1) states in BUGS.
PLANT=
. "$(dirname "$0")/tools/job-env.sh"
setup

job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
verify train

# At 03:15 the job works up to 02:15.  A far-off point of 02:30 reaches
# the server at 03:20, 50 minutes late, within the hour of lag: the run
# at 04:00 scores it, and the next does not again.
job 2013-12-06T03:15:00Z || fail "03:15: $(cat "$tmp/err")"
verify 03:15
add_point 2013-12-06T02:30:00Z 500
job 2013-12-06T04:00:00Z || fail "04:00: $(cat "$tmp/err")"
verify 04:00
grep -q 'found 1 anomaly in \[2013-12-06T02:15:00Z, 2013-12-06T03:00:00Z)' \
    "$tmp/err" || fail "late: $(cat "$tmp/err")"
job 2013-12-06T05:00:00Z || fail "05:00: $(cat "$tmp/err")"
verify 05:00
[ "$(mails)" -eq 1 ] || fail "late: $(mails) mails"

# At 05:45 the job works up to 04:45.  A far-off point of 04:30 reaches
# the server at 06:00, 90 minutes late: its window is done, and no later
# run looks at it again.
job 2013-12-06T05:45:00Z || fail "05:45: $(cat "$tmp/err")"
add_point 2013-12-06T04:30:00Z 500
LATE=2013-12-06T04:30:00Z
job 2013-12-06T07:00:00Z || fail "07:00: $(cat "$tmp/err")"
verify 07:00
job 2013-12-06T09:00:00Z || fail "09:00: $(cat "$tmp/err")"
verify 09:00
! grep -q "^$INPUT,$LATE," "$tmp/rec/inserts.csv" ||
    fail "too late: inserted"
! grep -q "^$LATE " "$tmp/mail"/*.eml || fail "too late: mailed"
[ "$(mails)" -eq 1 ] || fail "too late: $(mails) mails"
# The model would have flagged it: the point is lost, not normal.
printf 'time,value\n%s,500\n' "$LATE" |
    iforest-score -a -m "$tmp/state/model" | grep -q "^$LATE," ||
    fail "too late: the model does not flag the point (fixture)"
exit $rc
