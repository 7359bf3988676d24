#!/bin/sh
# anomaly-job with HTTP Basic credentials, and with a credentials file
# that cannot be used: readable by the group, not JSON, without the
# secret, missing.  Each bad one stops the run before anything is done:
# exit 2, a message that names the file, the mark where it was, no
# request to Clarify, nothing inserted or mailed; the password is in no
# message.  With the file mended, the next run catches up.
CRED_TYPE=basic-auth
PLANT='2013-12-06T01:30:00Z 2013-12-06T04:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
setup

job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
job 2013-12-06T03:00:00Z || fail "basic: $(cat "$tmp/err")"
verify basic
[ "$(mails)" -eq 1 ] || fail "basic: $(mails) mails"
grep -q '/v1/oauth/token' "$tmp/rec/requests.log" &&
    fail "basic: a token was asked for"

cp "$tmp/cred.json" "$tmp/good.json"

# refused WHAT FILE: the run at 05:00 stopped on FILE before doing
# anything.
refused() {
	n=$(wc -l <"$tmp/rec/requests.log")
	job 2013-12-06T05:00:00Z
	[ "$s" -eq 2 ] || fail "$1: exit $s, not 2: $(cat "$tmp/err")"
	grep -q "^clarify: $2:" "$tmp/err" &&
	    grep -q "anomaly-job: cannot use the credentials file $2\$" \
	    "$tmp/err" || fail "$1: $(cat "$tmp/err")"
	[ "$(mark)" = 2013-12-06T02:00:00Z ] || fail "$1: mark $(mark)"
	[ "$(wc -l <"$tmp/rec/requests.log")" -eq "$n" ] ||
	    fail "$1: a request was sent"
	[ "$(mails)" -eq 1 ] || fail "$1: mailed"
	[ ! -d "$tmp/state/lock" ] || fail "$1: the lock was kept"
	verify "$1"
}

chmod 640 "$tmp/cred.json"
refused "group-readable" "$tmp/cred.json"
grep -q 'group or others' "$tmp/err" ||
    fail "group-readable: $(cat "$tmp/err")"

printf '{"apiUrl":"http://127.0.0.1:1/v1/",\n' >"$tmp/cred.json"
chmod 600 "$tmp/cred.json"
refused "malformed" "$tmp/cred.json"

sed 's/,"clientSecret":"[^"]*"//' "$tmp/good.json" >"$tmp/cred.json"
grep -q clientSecret "$tmp/cred.json" && fail "no secret: fixture"
refused "no secret" "$tmp/cred.json"
grep -q 'no "clientSecret"' "$tmp/err" || fail "no secret: $(cat "$tmp/err")"

rm -f "$tmp/cred.json"
refused "missing" "$tmp/cred.json"

# Mended: the job goes on from its mark.
cp "$tmp/good.json" "$tmp/cred.json"
chmod 600 "$tmp/cred.json"
job 2013-12-06T06:00:00Z || fail "mended: $(cat "$tmp/err")"
[ "$(mark)" = 2013-12-06T05:00:00Z ] || fail "mended: mark $(mark)"
verify mended
[ "$(mails)" -eq 2 ] || fail "mended: $(mails) mails"
exit $rc
