#!/bin/sh
# anomaly-job killed after every step, then run again: the work is done
# exactly once.  Every program the job runs (clarify, ts-fromjson,
# iforest-train, iforest-score, ts-tojson, alert-mail, msmtp, and mv,
# with which it puts its state files in place) is wrapped by a PATH shim
# that counts the calls and, after the K-th has done its work, kills the
# job's whole process group with SIGKILL.  Two runs are made, one that
# trains and one whose window holds three anomalies; for each K the run
# killed is done again without the kill, and then every planted anomaly
# must be in Clarify once and in exactly one mail (a mail resent after a
# kill between msmtp and the record of it must be the same message: same
# Message-ID, same bytes), the mark at the window's end, and no lock or
# progress left in the state.  KILL_BEFORE=1 in the environment also
# kills before each call.
. "$(dirname "$0")/tools/peers.sh"
command -v setsid >/dev/null 2>&1 || { echo "skipped: no setsid"; exit 0; }
mkdir "$tmp/shim" || exit 2

# Three days of history, an hour apart a normal value, far-off points at :30.
PLANT='2013-12-06T01:30:00Z 2013-12-06T02:30:00Z 2013-12-06T06:30:00Z'
three_days >"$tmp/hist"
med=$(cut -d, -f2 "$tmp/hist" | sort -n |
    awk '{ v[NR] = $1 } END { print v[int(NR / 2)] }')
{
	echo "time,$ITEM"
	{
		cat "$tmp/hist"
		for h in 00 01 02 03 04 05 06 07; do
			echo "2013-12-06T$h:00:00Z,$med"
		done
		for p in $PLANT; do
			echo "$p,500"
		done
	} | sort
} >"$tmp/data.csv"

fake-clarify -p "$tmp/cport" -t 300 -c cid -s 'k-Secret' \
    -d "$tmp/data.csv" -r "$tmp/rec" 2>"$tmp/server.err" &
cpid=$!
smtp-sink -d "$tmp/mail" -p "$tmp/sport" -i 300 2>"$tmp/sink.err" &
spid=$!
waitport "$tmp/cport"
waitport "$tmp/sport"

printf '{"apiUrl":"http://127.0.0.1:%s/v1/","integration":"%s",%s%s\n' \
    "$(cat "$tmp/cport")" c8ktonqsahsmemfs7lv0 \
    '"credentials":{"type":"client-credentials","clientId":"cid",' \
    '"clientSecret":"k-Secret"}}' >"$tmp/cred.json"
chmod 600 "$tmp/cred.json"
printf 'account default\nhost 127.0.0.1\nport %s\nauth off\ntls off\n%s\n' \
    "$(cat "$tmp/sport")" 'timeout 10' >"$tmp/msmtprc"
chmod 600 "$tmp/msmtprc"

# The shims: count the call; at the K-th, kill the job before or after.
for p in clarify ts-fromjson iforest-train iforest-score ts-tojson \
    alert-mail ts-plot msmtp mv; do
	real=$(command -v "$p") || { echo "no $p"; exit 2; }
	cat >"$tmp/shim/$p" <<EOF
#!/bin/sh
n=\$((\$(cat "\$KILL_DIR/count") + 1))
echo "\$n" >"\$KILL_DIR/count"
echo "\$n $p" >>"\$KILL_DIR/calls"
if [ "\$n" = "\$KILL_AT" ] && [ "\$KILL_WHEN" = before ]; then
	kill -KILL 0
	exit 137
fi
"$real" "\$@"
s=\$?
[ "\$n" = "\$KILL_AT" ] && [ "\$KILL_WHEN" = after ] && kill -KILL 0
exit \$s
EOF
	chmod 755 "$tmp/shim/$p"
done
# anomaly-job runs the programs beside it first: a copy beside the shims
# runs them.
cp "$top/bin/anomaly-job" "$tmp/shim/" || exit 2

# conf TAG: a configuration of its own input, name and state.
conf() {
	cat >"$tmp/$1.conf" <<EOF
credentials = $tmp/cred.json
item = $ITEM
input = in-$1
name = kill-$1
train_from = 2013-12-03T00:00:00Z
contamination = 0.01
seed = 7
lag = 3600
quiet = 7200
plot = no
mail_from = plant@example.org
mail_to = ops@example.org
msmtp_config = $tmp/msmtprc
state = $tmp/state-$1
EOF
}

NOWS='2013-12-06T01:00:00Z 2013-12-06T08:00:00Z'

# runs TAG AT WHEN: the runs, the job killed at the AT-th call (0:
# never), each run done again without the kill when it did not finish;
# the calls are counted in $tmp/TAG.  A kill after the training run
# starts from a copy of the state the clean training left.
runs() {
	KILL_DIR=$tmp/$1
	KILL_AT=$2
	KILL_WHEN=$3
	export KILL_DIR KILL_AT KILL_WHEN
	mkdir "$KILL_DIR"
	echo 0 >"$KILL_DIR/count"
	conf "$1"
	nows=$NOWS
	if [ "$2" -gt "${ntrain:-$2}" ]; then
		cp -Rp "$tmp/trained" "$tmp/state-$1"
		echo "$ntrain" >"$KILL_DIR/count"
		nows=${NOWS#* }
	fi
	for now in $nows; do
		ANOMALY_JOB_NOW=$now PATH=$tmp/shim:$PATH \
		    setsid anomaly-job -c "$tmp/$1.conf" \
		    2>>"$KILL_DIR/err" &
		{ wait "$!"; } 2>/dev/null
		s=$?
		if [ "$1" = clean ] && [ "$now" = "${NOWS%% *}" ]; then
			ntrain=$(cat "$KILL_DIR/count")
			cp -Rp "$tmp/state-$1" "$tmp/trained"
		fi
		[ "$s" -eq 0 ] && continue
		echo "(status $s at $now)" >>"$KILL_DIR/err"
		ANOMALY_JOB_NOW=$now anomaly-job -c "$tmp/$1.conf" \
		    2>>"$KILL_DIR/err" ||
		    fail "$1: the run at $now after the kill failed:" \
		    "$(tail -n 5 "$KILL_DIR/err")"
	done
}

# check TAG: the work of the runs was done once.
check() {
	pts=$tmp/rec/points/in-$1.csv
	got=$( [ -f "$pts" ] && sed 1d "$pts" | cut -d, -f1 | sort |
	    tr '\n' ' ')
	[ "$got" = "$(printf '%s ' $PLANT)" ] ||
	    fail "$1: points in Clarify: $got"
	[ "$(cat "$tmp/state-$1/mark" 2>/dev/null)" = 2013-12-06T07:00:00Z ] ||
	    fail "$1: mark $(cat "$tmp/state-$1/mark" 2>&1)"
	left=$(ls -A "$tmp/state-$1" "$tmp/state-$1/pending" 2>/dev/null |
	    grep -v '^\(model\|mark\|last-anomaly\|signal\|pending\)$' |
	    grep -v '^\(/.*:\)\{0,1\}$' | tr '\n' ' ')
	[ -z "$left" ] || fail "$1: left in the state: $left"
	mails=$(grep -l "kill-$1[[:space:]]*$" "$tmp/mail/"*.eml 2>/dev/null)
	for p in $PLANT; do
		ids=$(for m in $mails; do
			grep -q "$p" "$m" &&
			    sed -n 's/^Message-I[Dd]: //p' "$m" | tr -d '\r'
		done | sort -u)
		[ "$(echo "$ids" | grep -c .)" -eq 1 ] ||
		    fail "$1: $p in mails of Message-IDs: $ids"
	done
	# Mails of the same Message-ID are the same bytes.
	for m in $mails; do
		id=$(sed -n 's/^Message-I[Dd]: //p' "$m" | tr -d '\r')
		for o in $mails; do
			[ "$(sed -n 's/^Message-I[Dd]: //p' "$o" |
			    tr -d '\r')" = "$id" ] || continue
			cmp -s "$m" "$o" ||
			    fail "$1: two mails of Message-ID $id differ"
		done
	done
	[ "$(echo "$mails" | grep -c .)" -le 2 ] ||
	    fail "$1: $(echo "$mails" | grep -c .) mails"
}

# The runs without a kill: how many calls there are.
runs clean 0 none
check clean
n=$(cat "$tmp/clean/count")
[ "$n" -ge 20 ] || fail "only $n calls: $(cat "$tmp/clean/calls")"
ls "$tmp/t" | grep -q . && fail "temporary files left: $(ls "$tmp/t")"

# sweep FIRST STEP: every STEP-th K from FIRST.
sweep() {
	k=$1
	while [ "$k" -le "$n" ]; do
		for w in after ${KILL_BEFORE:+before}; do
			runs "$w$k" "$k" "$w"
			check "$w$k"
			grep -q "(status 137" "$tmp/$w$k/err" ||
			    fail "$w$k: the job was not killed"
		done
		k=$((k + $2))
	done
}

# Two sweeps side by side; their failures are gathered at the end.
(sweep 1 2 >"$tmp/sweep1"; exit $rc) &
p1=$!
(sweep 2 2 >"$tmp/sweep2"; exit $rc) &
p2=$!
wait "$p1" || rc=1
wait "$p2" || rc=1
cat "$tmp/sweep1" "$tmp/sweep2"

# The kill after msmtp: the mail is sent again, the same.  (The last
# msmtp call sends; the others, --pretend, check the configuration.)
m=$(grep -n ' msmtp$' "$tmp/clean/calls" | sed 's/:.*//' | tail -n 1)
[ -n "$m" ] || fail "no msmtp call"
[ "$(grep -l "kill-after$m[[:space:]]*$" "$tmp/mail/"*.eml | wc -l)" -eq 2 ] ||
    fail "after$m: the mail was not sent again"

[ $rc -eq 0 ] || { sed "s/^/	/" "$tmp/clean/calls"; cat "$tmp/clean/err"; }
exit $rc
