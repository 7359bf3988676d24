#!/bin/sh
# anomaly-job end to end, the happy path: the first run trains, hourly
# runs then score each new hour once, insert and mail its anomalies, the
# signal is saved once before the first insert and again only when the
# configured name changes (quotes and backslashes in it survive), a daily
# run catches up a whole day, each mail shows a plot of its window that
# is a valid PNG (but with "plot = no"), and the strict server never has
# to refuse a call for coming too fast.
PLANT='2013-12-06T01:30:00Z 2013-12-06T02:30:00Z 2013-12-06T06:30:00Z
2013-12-07T10:30:00Z 2013-12-08T03:30:00Z 2013-12-09T03:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
setup

job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
[ -f "$tmp/state/model" ] || fail "train: no model"
[ "$(mark)" = "$TRAIN_END" ] || fail "train: mark $(mark)"
grep -q "trained on \[2013-12-03T00:00:00Z, $TRAIN_END)" "$tmp/err" ||
    fail "train: $(cat "$tmp/err")"
verify train
[ "$(mails)" -eq 0 ] || fail "train: mailed"

for h in 02 03 04 05 06 07 08; do
	job "2013-12-06T$h:00:00Z" || fail "$h:00: $(cat "$tmp/err")"
	verify "$h:00"
done
[ "$(mark)" = 2013-12-06T07:00:00Z ] || fail "hourly: mark $(mark)"
[ "$(wc -l <"$tmp/win")" -eq 7 ] || fail "hourly: $(cat "$tmp/win")"
[ "$(mails)" -eq 3 ] || fail "hourly: $(mails) mails"
grep -q '^Subject: More anomalies in machine temperature' "$tmp/mail"/*.eml ||
    fail "hourly: no \"More\" mail"

# The signal: saved once, before the first insert, as the job says.
log=$tmp/rec/requests.log
awk -F'\t' '$4 ~ /^integration\./ { print $4 }' "$log" | uniq -c |
    awk '{ print $1, $2 }' | head -n 2 | tr '\n' ' ' |
    grep -qx '1 integration.saveSignals 3 integration.insert ' ||
    fail "signal: $(awk -F'\t' '{ print $4 }' "$log" | tr '\n' ' ')"
sig=$tmp/rec/signals/$INPUT.json
grep -q '"name":"machine temperature anomalies"' "$sig" &&
    grep -q '"gapDetection":"PT1S"' "$sig" || fail "signal: $(cat "$sig")"

# A new name: saved again at the next insert, escaped, and only then.
write_conf 'machine "temp" \ 2'
job 2013-12-07T12:00:00Z || fail "day: $(cat "$tmp/err")"
verify day
[ "$(mark)" = 2013-12-07T11:00:00Z ] || fail "day: mark $(mark)"
[ "$(grep -c 'integration.saveSignals' "$log")" -eq 2 ] ||
    fail "new name: saved $(grep -c 'integration.saveSignals' "$log") times"
grep -qF '"name":"machine \"temp\" \\ 2 anomalies"' "$sig" ||
    fail "new name: $(cat "$sig")"
grep -q '^Subject: Anomaly detected in machine "temp" \\ 2' \
    "$tmp/mail"/*.eml || fail "new name: not in the mail"
job 2013-12-08T12:00:00Z || fail "next day: $(cat "$tmp/err")"
verify "next day"
[ "$(grep -c 'integration.saveSignals' "$log")" -eq 2 ] ||
    fail "next day: saved again"
[ "$(mails)" -eq 5 ] || fail "next day: $(mails) mails"

# Every mail shows its plot inline and attaches it: a valid PNG.
# png FILE: the first image/png part of the message in FILE, decoded.
png() {
	tr -d '\r' <"$1" | awk '
		/^Content-Type: image\/png/ { part = 1; next }
		part == 1 && /^$/ { part = 2; next }
		part == 2 && /^--/ { exit }
		part == 2 { print }' | base64 -d
}
for f in "$tmp/mail"/*.eml; do
	[ "$(grep -c '^Content-Type: image/png' "$f")" -eq 2 ] ||
	    fail "plot: not 2 image/png parts in ${f##*/}"
	png "$f" >"$tmp/plot.png" || fail "plot: bad base64 in ${f##*/}"
	if command -v pngcheck >/dev/null 2>&1; then
		pngcheck -q "$tmp/plot.png" >/dev/null ||
		    fail "plot: pngcheck refuses the plot of ${f##*/}"
	fi
	[ "$(head -c 8 "$tmp/plot.png" | od -An -tx1 | tr -d ' \n')" = \
	    89504e470d0a1a0a ] || fail "plot: not a PNG in ${f##*/}"
done

# "plot = no": the next mail has none; a plot that is not yes or no is
# a configuration error.
echo "plot = no" >>"$tmp/job.conf"
job 2013-12-09T12:00:00Z || fail "no plot: $(cat "$tmp/err")"
verify "no plot"
f=$(ls "$tmp/mail"/*.eml | tail -n 1)
[ "$(mails)" -eq 6 ] && ! grep -q '^Content-Type: image/png' "$f" ||
    fail "no plot: $(mails) mails, the last with a plot"
echo "plot = maybe" >>"$tmp/job.conf"
job 2013-12-09T13:00:00Z
[ "$s" -eq 2 ] && grep -q 'plot: "yes" or "no", not "maybe"' "$tmp/err" ||
    fail "bad plot: exit $s: $(cat "$tmp/err")"
sed '$d' "$tmp/job.conf" >"$tmp/conf2" && mv "$tmp/conf2" "$tmp/job.conf"

# Nothing to do: the mark is at now - lag already.
job 2013-12-09T12:00:00Z || fail "again: $(cat "$tmp/err")"
grep -q 'nothing more to do before 2013-12-09T11:00:00Z' "$tmp/err" ||
    fail "again: $(cat "$tmp/err")"
verify again

! grep -q '	429	' "$log" || fail "the server refused a call as too fast"
[ -z "$(ls -A "$tmp/state/pending")" ] ||
    fail "pending left: $(ls -A "$tmp/state/pending")"
exit $rc
