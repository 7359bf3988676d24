#!/bin/sh
# The demo runs anomaly-job against fake-clarify and smtp-sink from a
# clean output folder and prints the summary the README quotes.  Every
# row after the cut was scored once, in windows that follow each other
# to the last run's mark; the points written back are the anomalies the
# job's model finds in those rows, each once, and each is in one mail;
# no secret is in what the demo leaves to read; both servers are gone at
# the end, and also when the demo is stopped half-way.
. "$(dirname "$0")/tools/setup.sh"

command -v curl >/dev/null 2>&1 || { echo "skipped: no curl"; exit 0; }
command -v msmtp >/dev/null 2>&1 || { echo "skipped: no msmtp"; exit 0; }

tmp=$(mktemp -d) || exit 2
bpid=
cleanup() {
	[ -z "$bpid" ] || kill "$bpid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

# gone WHAT DIR: the servers whose ports are in DIR no longer listen.
gone() {
	for f in "$2/run/clarify.port" "$2/run/sink.port"; do
		[ -s "$f" ] || { fail "$1: no $f"; continue; }
		curl -s --max-time 5 -o /dev/null "http://127.0.0.1:$(cat "$f")/"
		[ $? -eq 7 ] || fail "$1: port $(cat "$f") still answers"
	done
}

sh "$top/demo/run.sh" "$tmp/out" >"$tmp/summary" 2>"$tmp/err" || {
	echo "demo failed:"
	cat "$tmp/err" "$tmp/summary"
	tail -n 20 "$tmp/out/job.log" 2>/dev/null
	exit 1
}
o=$tmp/out
[ -s "$tmp/err" ] && { echo "demo wrote to stderr:"; cat "$tmp/err"; rc=1; }
for f in anomalies.csv plot.png job.log mail/0001.eml run/state/model; do
	[ -s "$o/$f" ] || fail "demo left no $f"
done
gone end "$o"

# Every summary line but the folder's appears, indented, in the README.
grep -v -e '^output folder' -e '^                 ' "$tmp/summary" |
while IFS= read -r line; do
	grep -qxF "    $line" "$top/README.md" ||
	    { echo "README does not quote: $line"; exit 1; }
done || rc=1

# The windows: from the cut to the mark, each after the one before.
cut=2014-01-01T00:00:00Z
mark=$(cat "$o/run/state/mark")
[ "$mark" = 2014-02-20T00:00:00Z ] || fail "mark $mark"
sed -n 's/.*: done \[\([^,]*\), \([^)]*\)): \([0-9]*\) rows.*/\1 \2 \3/p' \
    "$o/job.log" >"$tmp/win"
awk -v s="$cut" -v m="$mark" '$1 != s { print "gap or overlap at " $1 }
	{ s = $2; n += $3 } END { if (s != m) print "ends at " s; print n }' \
    "$tmp/win" >"$tmp/winsum"
awk -F, -v a="$cut" -v b="$mark" 'NR > 1 && $1 >= a && $1 < b' \
    "$o/run/series.csv" >"$tmp/rows"
[ "$(cat "$tmp/winsum")" = "$(wc -l <"$tmp/rows" | tr -d ' ')" ] ||
    fail "windows: $(cat "$tmp/winsum"), rows $(wc -l <"$tmp/rows")"

# The anomalies: written back once each, mailed once each.
{ echo time,value; cat "$tmp/rows"; } |
    iforest-score -a -m "$o/run/state/model" | sed 1d | cut -d, -f1 |
    sort >"$tmp/want"
[ "$(wc -l <"$tmp/want")" -gt 100 ] || fail "few anomalies: fixture"
grep '^machine_temperature_anomalies,' "$o/run/clarify/inserts.csv" |
    cut -d, -f2 | sort | cmp -s - "$tmp/want" || fail "inserted points"
sed 1d "$o/anomalies.csv" | cut -d, -f1 | sort | cmp -s - "$tmp/want" ||
    fail "anomalies.csv"
cat "$o/mail"/*.eml | tr -d '\r' |
    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  ' | cut -d' ' -f1 |
    sort | cmp -s - "$tmp/want" || fail "mailed points"
n=$(ls "$o/mail" | grep -c '\.eml$')
grep -qx "mails:           $n, [0-9]* of them starting an alarm" \
    "$tmp/summary" || fail "summary: not $n mails"
n=$(wc -l <"$tmp/want" | tr -d ' ')
grep -qx "anomalies:       $n written back to machine_temperature_anomalies" \
    "$tmp/summary" || fail "summary: not $n anomalies"

# The client secret and the token only where they belong.
secret=$(sed -n 's/.*"clientSecret":"\([^"]*\)".*/\1/p' \
    "$o/run/clarify-credentials.json")
[ -n "$secret" ] || fail "no secret in the credentials: fixture"
cat "$o/run/cache/iforest-tools"/token-* |
    sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' >"$tmp/secrets"
echo "$secret" >>"$tmp/secrets"
grep -rlF -f "$tmp/secrets" "$o/job.log" "$o/mail" "$o/anomalies.csv" \
    "$o/run/state" "$o/run/clarify" "$o/run/clarify.err" \
    "$o/run/sink.err" >"$tmp/leaks" && fail "secret in $(cat "$tmp/leaks")"

# Stopped half-way, after its first daily run, it stops both servers.
sh "$top/demo/run.sh" "$tmp/out2" >/dev/null 2>"$tmp/err2" &
bpid=$!
n=0
while ! grep -q ': done \[' "$tmp/out2/job.log" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le 600 ] || { fail "interrupt: no run done"; break; }
	sleep 0.1
done
kill -TERM "$bpid"
wait "$bpid"
st=$?
bpid=
[ $st -ne 0 ] || fail "interrupt: exit 0"
gone interrupt "$tmp/out2"
exit $rc
