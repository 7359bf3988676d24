#!/bin/sh
# smtp-sink, the test SMTP server, against the real msmtp: a message from
# alert-mail arrives unchanged but for CRLF line ends, with both
# recipients in its envelope; a line that is a lone dot survives the dot
# stuffing; refused connections, a 421 greeting and 451 or 550 answers
# make msmtp fail and keep nothing, for exactly as many messages as they
# were armed for.  The dialogue itself is checked on standard input: the
# replies to unknown commands, commands out of order and bad syntax.
# The sink ends on SIGTERM and after its idle time.
. "$(dirname "$0")/tools/setup.sh"
command -v msmtp >/dev/null 2>&1 || { echo "skipped: no msmtp"; exit 0; }
tmp=$(mktemp -d) || exit 2
pid=
cleanup() {
	[ "$rc" -ne 0 ] && [ -f "$tmp/msmtp.out" ] && cat "$tmp/msmtp.out"
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT PIPE TERM
# msmtp must never read a configuration of this machine or this user.
HOME=$tmp
export HOME

# nap: a short wait, in tenths of a second where sleep allows it.
nap() {
	sleep 0.1 2>/dev/null || sleep 1
}

mkdir "$tmp/mail" || exit 2
smtp-sink -d "$tmp/mail" -p "$tmp/port" -c "$tmp/control" -i 60 \
    -f refuse:1 2>"$tmp/sink.err" &
pid=$!
n=0
while [ ! -s "$tmp/port" ]; do
	n=$((n + 1))
	[ $n -le 100 ] || { fail "no port file"; exit 1; }
	nap
done
port=$(cat "$tmp/port")
case $port in
''|*[!0-9]*)
	fail "bad port: $port"; exit 1 ;;
esac

(umask 077 && cat >"$tmp/msmtprc" <<EOF
account default
host 127.0.0.1
port $port
auth off
tls off
timeout 10
from plant@example.org
logfile $tmp/msmtp.log
EOF
) || exit 2

# send FILE: deliver FILE with msmtp; its exit status.
send() {
	msmtp -C "$tmp/msmtprc" -t <"$1" >>"$tmp/msmtp.out" 2>&1
}

# kept: the number of messages in the folder; no temporary file is left.
kept() {
	ls -A "$tmp/mail" | grep -v '^[0-9]\{4\}\.e[nm][lv]$' |
	    sed 's/^/left over: /'
	ls "$tmp/mail" | grep -c '\.eml$'
}

# arm FAULT: the next session takes FAULT from the control file.
arm() {
	echo "$1" >"$tmp/control.new" && mv "$tmp/control.new" "$tmp/control"
}

alert-mail -f plant@example.org -t ops@example.org -t b@example.org \
    -d 2024-01-01T00:00:00Z "$top/tests/golden/alert-mail/anomalies.csv" \
    >"$tmp/alert" || fail "alert-mail failed"

# -f refuse:1 at start: the first connection is closed at once.
send "$tmp/alert" && fail "refuse: msmtp succeeded"
[ "$(kept)" = 0 ] || fail "refuse: kept $(kept)"

send "$tmp/alert" || fail "msmtp failed: $(cat "$tmp/msmtp.out")"
[ "$(kept)" = 1 ] || fail "alert: kept $(kept)"
if [ -f "$tmp/mail/0001.eml" ]; then
	tr -d '\r' <"$tmp/mail/0001.eml" | cmp -s - "$tmp/alert" ||
	    fail "alert: the kept message differs from alert-mail's"
	[ "$(tr -dc '\r' <"$tmp/mail/0001.eml" | wc -c)" -eq \
	    "$(wc -l <"$tmp/alert")" ] || fail "alert: not CRLF throughout"
	printf 'from plant@example.org\nto ops@example.org\n%s\n' \
	    'to b@example.org' >"$tmp/env"
	grep -v '^helo ' "$tmp/mail/0001.env" | cmp -s - "$tmp/env" ||
	    fail "alert: envelope: $(cat "$tmp/mail/0001.env")"
fi

# Lines that start with dots, one a lone dot, come back as they were
# (with the headers msmtp would add otherwise).
printf '%s\n' 'From: plant@example.org' 'To: ops@example.org' \
    'Subject: dots' 'Date: Mon, 01 Jan 2024 00:00:00 +0000' \
    'Message-ID: <dots@example.org>' '' \
    '.' '..' '.x' ' .' '...' 'end' '.' >"$tmp/dots"
send "$tmp/dots" || fail "dots: msmtp failed"
[ "$(kept)" = 2 ] || fail "dots: kept $(kept)"
[ -f "$tmp/mail/0002.eml" ] && { tr -d '\r' <"$tmp/mail/0002.eml" |
    cmp -s - "$tmp/dots" || fail "dots: the kept message differs"; }

# Each fault makes msmtp fail and keeps nothing; then mail flows again.
for f in greet-421 rcpt-451 rcpt-550 data-451 data-550 refuse; do
	arm $f
	send "$tmp/alert" && fail "$f: msmtp succeeded"
	[ "$(kept)" = 2 ] || fail "$f: kept $(kept)"
	[ -e "$tmp/control" ] && fail "$f: control file not taken"
done
grep -q '421' "$tmp/msmtp.out" || fail "no 421 in msmtp's messages"
grep -q '451' "$tmp/msmtp.out" || fail "no 451 in msmtp's messages"
grep -q '550' "$tmp/msmtp.out" || fail "no 550 in msmtp's messages"
send "$tmp/alert" || fail "after the faults: msmtp failed"
[ "$(kept)" = 3 ] || fail "after the faults: kept $(kept)"

# A count: two messages fail, the third goes through.
arm data-451:2
send "$tmp/alert" && fail "data-451:2: first succeeded"
send "$tmp/alert" && fail "data-451:2: second succeeded"
send "$tmp/alert" || fail "data-451:2: third failed"
[ "$(kept)" = 4 ] || fail "data-451:2: kept $(kept)"

# A bad control file is reported and changes nothing.
arm bogus
send "$tmp/alert" || fail "bad control: msmtp failed"
grep -q 'control:1: unknown fault' "$tmp/sink.err" ||
    fail "bad control: $(cat "$tmp/sink.err")"

# SIGTERM ends the sink with status 0.
kill "$pid"
wait "$pid"
s=$?
pid=
[ $s -eq 0 ] || fail "SIGTERM: status $s"

# The dialogue, pipelined on standard input.
printf '%s\r\n' 'MAIL FROM:<a@example.org>' 'HELO' 'HELO client' \
    'RCPT TO:<b@example.org>' 'DATA' 'MAIL FROM:a@example.org' \
    'MAIL FROM:<a@example.org> SIZE=99999999' \
    'MAIL FROM:<a@example.org> BODY=8BITMIME SIZE=10' \
    'MAIL FROM:<c@example.org>' 'DATA' 'RCPT TO:<>' 'RCPT TO: <b@x.org>' \
    'RCPT TO:<c@x.org> NOTIFY=NEVER' 'VRFY b' 'NOOP' 'DATA' 'x' '.' \
    'RSET' 'RCPT TO:<b@example.org>' 'QUIT' 'NOOP' >"$tmp/dialogue"
cat >"$tmp/want" <<'EOF'
220
503
501
250
503
503
501
552
250
503
503
501
250
555
500
250
354
250
250
503
221
EOF
mkdir "$tmp/one" || exit 2
smtp-sink -S -d "$tmp/one" <"$tmp/dialogue" >"$tmp/replies" ||
    fail "-S: non-zero status"
cut -c 1-3 "$tmp/replies" |
    sed -n '/^[0-9][0-9][0-9]$/p' >"$tmp/got"
cmp -s "$tmp/got" "$tmp/want" ||
    fail "dialogue: $(diff "$tmp/want" "$tmp/got")"
printf 'x\r\n' | cmp -s - "$tmp/one/0001.eml" || fail "dialogue: message"
printf 'helo client\nfrom a@example.org\nto b@x.org\n' |
    cmp -s - "$tmp/one/0001.env" || fail "dialogue: envelope"

# Without a connection the sink ends by itself after its idle time.
smtp-sink -d "$tmp/mail" -p "$tmp/port2" -i 1 &
pid=$!
n=0
while kill -0 "$pid" 2>/dev/null; do
	n=$((n + 1))
	[ $n -le 100 ] || { fail "idle: still running"; break; }
	nap
done
[ $n -le 100 ] && { wait "$pid"; s=$?; pid=; }
[ $n -le 100 ] && [ $s -ne 0 ] && fail "idle: status $s"

exit $rc
