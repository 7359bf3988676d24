# job-env.sh - sourced by the tests/t-job-*.sh scripts: anomaly-job
# against fake-clarify, which keeps the service's pace strictly, and
# smtp-sink, through the real msmtp, with the clock stepped through
# ANOMALY_JOB_NOW; and the checks that end every test:
#
#	verify WHAT	the windows done are contiguous, do not overlap,
#			run from the end of the training history to the mark,
#			and scored as many rows as the server holds there;
#			the anomalies that iforest-score finds in those rows
#			with the job's model were each inserted once, and
#			each mailed once; no secret is in any log, in any
#			file of the state folder or in the job's messages
#
# A script sets PLANT (times of far-off points after the history) and,
# if it likes, CRED_TYPE (client-credentials or basic-auth) and LATE
# (points added later that the job cannot have scored), then calls
# setup, and runs "job NOW" and "verify WHAT" as it goes.
. "$(dirname "$0")/tools/peers.sh"
INPUT=temp-anomalies
INTEGRATION=c8ktonqsahsmemfs7lv0
CLIENT=cid
SECRET='Sec-ret+/x9'
TRAIN_END=2013-12-06T00:00:00Z
CRED_TYPE=${CRED_TYPE:-client-credentials}
LATE=
# Small waits against a server on the same machine; the server refuses
# a call that comes within 0.1 s of the last of its method, the client
# keeps 0.25 s between them, a margin for a loaded machine.
CLARIFY_WAIT=0.1
CLARIFY_PACE=0.25
CLARIFY_RETRIES=2
# A killed job leaves its temporary folder behind: keep it in $tmp.
TMPDIR=$tmp/jobtmp
export CLARIFY_WAIT CLARIFY_PACE CLARIFY_RETRIES TMPDIR
mkdir "$TMPDIR" || exit 2
: >"$tmp/allerr"
: >"$tmp/tokens"

# make_data: three days of the real series, five-minute rows, as the
# history; after it a normal value every hour up to 2013-12-10 and the
# PLANT points far off at 500.
make_data() {
	three_days >"$tmp/hist"
	med=$(cut -d, -f2 "$tmp/hist" | sort -n |
	    awk '{ v[NR] = $1 } END { print v[int(NR / 2)] }')
	echo "time,$ITEM" >"$tmp/data.csv"
	{
		cat "$tmp/hist"
		for d in 06 07 08 09; do
			for h in 00 01 02 03 04 05 06 07 08 09 10 11 12 13 \
			    14 15 16 17 18 19 20 21 22 23; do
				echo "2013-12-${d}T$h:00:00Z,$med"
			done
		done
		for p in $PLANT; do
			echo "$p,500"
		done
	} | sort >>"$tmp/data.csv"
}

# add_point TIME VALUE: a point reaches the server now.
add_point() {
	echo "$1,$2" >>"$tmp/data.csv"
	echo reload >"$tmp/ctl"
}

start_clarify() {
	rm -f "$tmp/cport"
	fake-clarify -p "$tmp/cport" -t 120 -c "$CLIENT" -s "$SECRET" \
	    -i "$INTEGRATION" -l 100 -d "$tmp/data.csv" -r "$tmp/rec" \
	    -f "$tmp/ctl" 2>>"$tmp/server.err" &
	cpid=$!
	waitport "$tmp/cport"
	printf '{"apiUrl":"http://127.0.0.1:%s/v1/","integration":"%s",%s%s\n' \
	    "$(cat "$tmp/cport")" "$INTEGRATION" \
	    "\"credentials\":{\"type\":\"$CRED_TYPE\",\"clientId\":\"$CLIENT\"," \
	    "\"clientSecret\":\"$SECRET\"}}" >"$tmp/cred.json"
	chmod 600 "$tmp/cred.json"
}

# start_sink, stop_sink: the SMTP server, which keeps every message it
# takes in $tmp/mail; a new one listens on a new port.
start_sink() {
	rm -f "$tmp/sport"
	smtp-sink -d "$tmp/mail" -p "$tmp/sport" -c "$tmp/sctl" -i 120 \
	    2>>"$tmp/sink.err" &
	spid=$!
	waitport "$tmp/sport"
	write_msmtprc "$(cat "$tmp/sport")"
}

stop_sink() {
	kill "$spid"
	wait "$spid" 2>/dev/null
	spid=
}

# write_msmtprc PORT
write_msmtprc() {
	(umask 077 && cat >"$tmp/msmtprc" <<EOF
account default
host 127.0.0.1
port $1
auth off
tls off
timeout 5
EOF
	) || exit 2
}

# write_conf [NAME]: the job's configuration.
write_conf() {
	cat >"$tmp/job.conf" <<EOF
# the job's configuration
credentials = $tmp/cred.json
item = $ITEM
input = $INPUT
name = ${1:-machine temperature}
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
}

setup() {
	make_data
	start_clarify
	start_sink
	write_conf
}

# job NOW: one run at NOW; its messages in $tmp/err and $tmp/allerr, the
# token it leaves in the cache in $tmp/tokens.
job() {
	ANOMALY_JOB_NOW=$1 anomaly-job -c "$tmp/job.conf" 2>"$tmp/err"
	s=$?
	cat "$tmp/err" >>"$tmp/allerr"
	cat "$XDG_CACHE_HOME"/iforest-tools/token-* 2>/dev/null |
	    sed -n 's/.*"token" *: *"\([^"]*\)".*/\1/p' >>"$tmp/tokens"
	return $s
}

# mark: the state's mark.
mark() {
	cat "$tmp/state/mark" 2>/dev/null
}

# mails: the number of messages the sink kept.
mails() {
	ls "$tmp/mail" | grep -c '\.eml$'
}

# mail_times: the times of the anomalies listed in the mails, one a
# line, a message that came twice with the same Message-ID counted once.
mail_times() {
	for f in "$tmp/mail"/*.eml; do
		[ -f "$f" ] || continue
		id=$(tr -d '\r' <"$f" | grep -i '^message-id:' | head -n 1)
		grep -qxF -- "$id" "$tmp/seen-ids" 2>/dev/null && continue
		echo "$id" >>"$tmp/seen-ids"
		tr -d '\r' <"$f" |
		    grep -E '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  ' |
		    cut -d' ' -f1
	done
	rm -f "$tmp/seen-ids"
}

# windows: the windows done, "FROM TO ROWS", in the order done.
windows() {
	sed -n 's/.* anomaly-job: done \[\([^,]*\), \([^)]*\)): /\1 \2 /p' \
	    "$tmp/allerr" | sed 's/ rows\{0,1\} scored.*//'
}

# held FROM TO: the server's rows in [FROM, TO), as time,value, less the
# LATE points.
held() {
	printf '%s\n' $LATE >"$tmp/late"
	awk -F, -v a="$1" -v b="$2" '
		FILENAME == ARGV[1] { late[$1] = 1; next }
		FNR > 1 && $1 >= a && $1 < b && !($1 in late)' \
	    "$tmp/late" "$tmp/data.csv"
}

# verify WHAT: the checks named at the top, after the step WHAT.
verify() {
	m=$(mark)
	[ -n "$m" ] || { fail "$1: no mark"; return; }

	# The windows: contiguous from the training's end to the mark, no
	# two the same, their rows the rows the server holds there.
	windows >"$tmp/win"
	awk -v s="$TRAIN_END" -v m="$m" '
		$1 != s { bad = bad " gap or overlap at " $1 }
		{ s = $2; rows += $3 }
		END {
			if (s != m) bad = bad " ends at " s ", mark " m
			if (bad != "") { print bad; exit 1 }
			print rows + 0
		}' "$tmp/win" >"$tmp/winsum" ||
	    fail "$1: windows:$(cat "$tmp/winsum"): $(cat "$tmp/win")"
	held "$TRAIN_END" "$m" >"$tmp/held"
	[ "$(wc -l <"$tmp/held")" -eq "$(cat "$tmp/winsum")" ] 2>/dev/null ||
	    fail "$1: $(cat "$tmp/winsum") rows scored, the server holds" \
	    "$(wc -l <"$tmp/held") in [$TRAIN_END, $m)"

	# The anomalies: what the model finds in those rows, each inserted
	# once and mailed once.
	{ echo time,value; cat "$tmp/held"; } |
	    iforest-score -a -m "$tmp/state/model" | sed 1d | cut -d, -f1 |
	    sort >"$tmp/vwant"
	[ -f "$tmp/rec/inserts.csv" ] || : >"$tmp/rec/inserts.csv"
	grep "^$INPUT," "$tmp/rec/inserts.csv" | cut -d, -f2 | sort |
	    cmp -s - "$tmp/vwant" ||
	    fail "$1: inserted $(grep "^$INPUT," "$tmp/rec/inserts.csv" |
	    cut -d, -f2 | tr '\n' ' '), want $(tr '\n' ' ' <"$tmp/vwant")"
	mail_times | sort | cmp -s - "$tmp/vwant" ||
	    fail "$1: mailed $(mail_times | tr '\n' ' '), want" \
	    "$(tr '\n' ' ' <"$tmp/vwant")"

	# No secret anywhere: the client secret, a token, the Basic
	# credentials.
	printf '%s\n' "$SECRET" "$(printf '%s:%s' "$CLIENT" "$SECRET" |
	    base64)" >"$tmp/secrets"
	sort -u "$tmp/tokens" | grep . >>"$tmp/secrets"
	for f in "$tmp/allerr" "$tmp/server.err" "$tmp/sink.err" \
	    "$tmp/rec/requests.log" $(find "$tmp/state" "$tmp/mail" \
	    -type f); do
		! grep -qF -f "$tmp/secrets" "$f" || fail "$1: a secret in $f"
	done
}
