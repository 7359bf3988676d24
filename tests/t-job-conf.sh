#!/bin/sh
# anomaly-job's configuration, as a new user meets it: a bad address, a
# missing msmtp file or account, a bad link or training key stops the
# first run before anything is done (status 2, the file and line, no
# request, no state folder), not at the first anomaly; a configuration
# that is not a regular file is named as such; relative paths are taken
# from the configuration's folder, and the job runs under cron's PATH,
# from $HOME; without "contamination" the model expects 1% of anomalies;
# an item without data is named, not a temporary file; the mail links
# to the item and heads its table with the item's name.
PLANT='2013-12-06T01:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
setup

# bad WHAT LINE TEXT KEY... : with the configuration's keys KEY (and a
# line "TEXT" added as line LINE), the run stops at once with status 2
# and a message that begins "TIME anomaly-job: CONF:LINE: WHAT".
bad() {
	what=$1
	line=$2
	text=$3
	shift 3
	n=$(cat "$tmp/rec/requests.log" 2>/dev/null | wc -l)
	write_conf
	head -n $(($line - 1)) "$tmp/job.conf" >"$tmp/bad.conf"
	echo "$text" >>"$tmp/bad.conf"
	sed "1,$(($line - 1))d" "$tmp/job.conf" >>"$tmp/bad.conf"
	mv "$tmp/bad.conf" "$tmp/job.conf"
	job 2013-12-06T01:00:00Z
	[ "$s" -eq 2 ] || fail "$what: exit $s, not 2: $(cat "$tmp/err")"
	grep -q "^[0-9-]*T[0-9:]*Z anomaly-job: $tmp/job.conf:$line: $what" \
	    "$tmp/err" || fail "$what: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	    fail "$what: more than one line: $(cat "$tmp/err")"
	[ ! -e "$tmp/state" ] || fail "$what: the state folder was made"
	[ "$(cat "$tmp/rec/requests.log" 2>/dev/null | wc -l)" -eq "$n" ] ||
	    fail "$what: a request was sent"
}

bad 'mail_to: bad address "not-an-address"' 3 'mail_to = not-an-address'
bad 'mail_to: bad address "bad"' 16 'mail_to = a@example.org, bad'
bad 'mail_from: bad address "plant"' 16 'mail_from = plant'
bad "msmtp_config: $tmp/nowhere: no such file" 16 \
    "msmtp_config = $tmp/nowhere"
bad "msmtp_config: $tmp: not a regular file" 16 "msmtp_config = $tmp"
bad 'msmtp_account: account nope not found' 16 \
    'msmtp_account = nope'
bad 'item_link: bad link "javascript:x"' 16 'item_link = javascript:x'
bad 'contamination: contamination must be' 16 'contamination = 1%'
bad 'trees: trees must be a whole number' 16 'trees = 0'
bad 'samples: samples must be auto or' 16 'samples = lots'
bad 'seed: seed must be a whole number' 16 'seed = -1'
bad 'lag: not a whole number' 16 'lag = 1h'
bad 'plot: "yes" or "no"' 16 'plot = maybe'
bad 'train_from: not an RFC 3339 UTC time' 16 \
    'train_from = 2013-12-03T00:00:60Z'

# A folder for a configuration file.
write_conf
anomaly-job -c "$tmp" 2>"$tmp/err"
s=$?
[ "$s" -eq 2 ] && grep -q "^[0-9-]*T[0-9:]*Z anomaly-job: $tmp: not a" \
    "$tmp/err" || fail "folder: exit $s: $(cat "$tmp/err")"
anomaly-job -c "$tmp/none" 2>"$tmp/err"
s=$?
[ "$s" -eq 2 ] && grep -q "anomaly-job: $tmp/none: no such file" \
    "$tmp/err" || fail "no file: exit $s: $(cat "$tmp/err")"

# An item of the right form without data: named, with the history's
# bounds; no temporary file in the message, nothing trained.
write_conf
sed 's/^item = .*/item = c1vcqk2005qb5nusljk0/' "$tmp/job.conf" \
    >"$tmp/conf2" && mv "$tmp/conf2" "$tmp/job.conf"
job 2013-12-06T01:00:00Z
[ "$s" -eq 1 ] || fail "no data: exit $s: $(cat "$tmp/err")"
want='item c1vcqk2005qb5nusljk0 has no data in'
want="$want [2013-12-03T00:00:00Z, 2013-12-06T00:00:00Z)"
grep -qF "anomaly-job: $want" "$tmp/err" || fail "no data: $(cat "$tmp/err")"
! grep -qF "$TMPDIR" "$tmp/err" || fail "no data: $(cat "$tmp/err")"
[ ! -f "$tmp/state/model" ] || fail "no data: a model was written"
rm -rf "$tmp/state"

# Relative paths, from the configuration's folder; cron's PATH and
# environment, from $HOME; no contamination key: the job's 0.01.
mkdir "$tmp/etc" && mv "$tmp/cred.json" "$tmp/msmtprc" "$tmp/etc/" ||
    exit 2
cat >"$tmp/etc/job.conf" <<EOF
credentials = cred.json
item = $ITEM
input = $INPUT
name = machine temperature
train_from = 2013-12-03T00:00:00Z
seed = 7
lag = 3600
mail_from = plant@example.org
mail_to = ops@example.org
msmtp_config = msmtprc
state = ../state
EOF
# cron: env -i, PATH=/usr/bin:/bin, the job named by its full path.
cron() {
	(cd "$HOME" && env -i PATH=/usr/bin:/bin HOME="$HOME" \
	    XDG_CACHE_HOME="$XDG_CACHE_HOME" TMPDIR="$TMPDIR" \
	    CLARIFY_WAIT="$CLARIFY_WAIT" CLARIFY_PACE="$CLARIFY_PACE" \
	    CLARIFY_RETRIES="$CLARIFY_RETRIES" ANOMALY_JOB_NOW="$1" \
	    "$top/bin/anomaly-job" -c ../etc/job.conf) 2>"$tmp/err"
	s=$?
	cat "$tmp/err" >>"$tmp/allerr"
	return $s
}
v=$(cd "$HOME" && env -i PATH=/usr/bin:/bin "$top/bin/anomaly-job" \
    --version 2>&1)
echo "$v" | grep -qx 'anomaly-job [0-9][0-9.]*' || fail "cron: --version: $v"
cron 2013-12-06T01:00:00Z || fail "cron: train: $(cat "$tmp/err")"
grep -q 'not found' "$tmp/err" && fail "cron: $(cat "$tmp/err")"
[ -f "$tmp/state/model" ] || fail "relative: no model in $tmp/state"
[ ! -e "$HOME/state" ] && [ ! -e "$HOME/cred.json" ] ||
    fail "relative: taken from the current folder"
grep -qx 'contamination 0.01' "$tmp/state/model" ||
    fail "default contamination: $(sed -n '/^contamination/p' \
    "$tmp/state/model")"
echo "item_link = https://clarify.example.org/items/" >>"$tmp/etc/job.conf"
cron 2013-12-06T03:00:00Z || fail "cron: window: $(cat "$tmp/err")"
verify cron
[ "$(mails)" -eq 1 ] || fail "cron: $(mails) mails"

# The mail links to the item and heads its table with the item's name.
f=$(ls "$tmp/mail"/*.eml | tail -n 1)
tr -d '\r' <"$f" |
    grep -qx "In Clarify: https://clarify.example.org/items/$ITEM" ||
    fail "link: not in the mail"
tr -d '\r' <"$f" | grep -q '^time  *machine temperature  *score$' ||
    fail "heading: $(tr -d '\r' <"$f" | grep '^time ')"
grep -q '^[0-9-]*T[0-9:]*Z anomaly-job: found 1 anomaly in' "$tmp/err" ||
    fail "found: $(cat "$tmp/err")"

# --help lists --version, which the manual has.
anomaly-job --help | grep -q -- '--version' || fail "--help: no --version"
exit $rc
