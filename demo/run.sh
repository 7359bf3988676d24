#!/bin/sh
# The scheduled job, for real, on a real sensor series, offline.
#
# The NAB machine-temperature series is served by fake-clarify, a stand-in
# for the Clarify API, and mail goes through msmtp to smtp-sink; both
# listen on 127.0.0.1 at ports they choose and are stopped at the end.
# anomaly-job then runs as cron would start it, the clock set through
# ANOMALY_JOB_NOW:
#
#	2014-01-01 00:05	the first run trains on the history before
#				2014-01-01 and sets the mark
#	every day at 00:05	a run scores the day before, writes its
#				anomalies back to Clarify and mails them
#	at the end		plot.png pictures all the days scored
#
# usage: sh demo/run.sh [output-folder]		(default demo/out)
# The programs are taken from bin/ beside this folder, the two servers
# from tests/bin/ (built here when missing).

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/demo/out}
data=$top/demo/data
PATH=$top/bin:$top/tests/bin:$PATH
LC_ALL=C
export PATH LC_ALL

item=c1vcqk2005qb5nusljko	# the series' item id in Clarify
input=machine_temperature_anomalies
cut=2014-01-01T00:00:00Z	# train on what came before, score what after

for p in curl msmtp; do
	command -v "$p" >/dev/null 2>&1 || {
		echo "demo: $p is missing; sh tests/deps.sh installs it" >&2
		exit 1
	}
done

mkdir -p "$out"
out=$(cd "$out" && pwd)
run=$out/run			# what the job and the servers keep
rm -rf "$run" "$out/mail" "$out/job.log"
mkdir -p "$run" "$out/mail"
make -C "$top" tests/bin/fake-clarify tests/bin/smtp-sink \
    >"$run/build.log" 2>&1 || { cat "$run/build.log" >&2; exit 1; }

cpid=
spid=
stop() {
	for p in $cpid $spid; do
		kill "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
	cpid=
	spid=
}
trap stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# waitport FILE: the port a server wrote, once it listens.
waitport() {
	n=0
	while [ ! -s "$1" ]; do
		n=$((n + 1))
		if [ "$n" -gt 100 ]; then
			echo "demo: a server did not start:" >&2
			cat "$run/clarify.err" "$run/sink.err" >&2
			exit 1
		fi
		sleep 0.1
	done
	cat "$1"
}

# 1. Clarify, holding the series: "time,ITEM" rows in RFC 3339.  A time
# holds one value in Clarify, and the series repeats twelve times of
# 2014-01-07 (its clock was set back): the later value is kept, as a
# later write would replace the earlier.
awk -F, -v item="$item" 'NR == 1 { print "time," item; next }
	{ sub(/ /, "T", $1); t = $1 "Z"
	  if (!(t in v)) o[++n] = t
	  v[t] = $2 }
	END { for (i = 1; i <= n; i++) print o[i] "," v[o[i]] }' \
    "$data/machine_temperature_system_failure.csv" >"$run/series.csv"
secret=demo-secret-$$
fake-clarify -p "$run/clarify.port" -c demo -s "$secret" -l 50 \
    -d "$run/series.csv" -n "$item=Machine temperature" -r "$run/clarify" \
    2>"$run/clarify.err" &
cpid=$!
cport=$(waitport "$run/clarify.port")

# 2. The mail server, which keeps each message in mail/.
smtp-sink -d "$out/mail" -p "$run/sink.port" 2>"$run/sink.err" &
spid=$!
sport=$(waitport "$run/sink.port")

# 3. What a real account would have: the credentials file that Clarify's
# integration page downloads, an msmtp account, the job's configuration.
umask 077
cat >"$run/clarify-credentials.json" <<EOF
{"apiUrl":"http://127.0.0.1:$cport/v1/","integration":"c8ktonqsahsmemfs7lv0",
 "credentials":{"type":"client-credentials","clientId":"demo",
 "clientSecret":"$secret"}}
EOF
cat >"$run/msmtprc" <<EOF
account default
host 127.0.0.1
port $sport
auth off
tls off
EOF
cat >"$run/job.conf" <<EOF
credentials = $run/clarify-credentials.json
item = $item
input = $input
name = Machine temperature
train_from = 2013-12-01T00:00:00Z
trees = 90
samples = 200
contamination = 0.01
seed = 100
lag = 300
quiet = 43200
mail_from = Plant 3 <plant@example.org>
mail_to = ops@example.org
mail_to = maintenance@example.org
msmtp_config = $run/msmtprc
state = $run/state
EOF
umask 022

# 4. The runs, a day apart; the server is on this machine, so the client
# need not wait a second between paced calls.
XDG_CACHE_HOME=$run/cache
CLARIFY_PACE=0.06
export XDG_CACHE_HOME CLARIFY_PACE
# The days from the cut to the one after the series ends.
days=$(awk 'BEGIN {
	for (d = 1; d <= 31; d++) printf "2014-01-%02d\n", d
	for (d = 1; d <= 20; d++) printf "2014-02-%02d\n", d
}')
runs=0
for day in $days; do
	ANOMALY_JOB_NOW=${day}T00:05:00Z anomaly-job -c "$run/job.conf" \
	    2>>"$out/job.log" || {
		echo "demo: the run of $day failed; see $out/job.log" >&2
		exit 1
	}
	runs=$((runs + 1))
done
stop

# 5. What was done.
points=$run/clarify/points/$input.csv
[ -f "$points" ] || echo time,value >"$points"
cp "$points" "$out/anomalies.csv"

# The whole span after the cut in one picture, scored by the job's
# model; each mail carries the picture of its own day.
awk -F, -v cut="$cut" 'NR == 1 { print "time,value"; next }
	$1 >= cut' "$run/series.csv" |
    iforest-score -m "$run/state/model" >"$run/scored.csv"
ts-plot -s -m "$run/state/model" -n "Machine temperature" \
    "$run/scored.csv" >"$out/plot.png"
rows=$(($(wc -l <"$run/series.csv") - 1))
trained=$(awk -F, -v cut="$cut" 'NR > 1 && $1 < cut' "$run/series.csv" |
    wc -l)
scored=$(sed -n 's/.*: done \[.*): \([0-9]*\) rows scored.*/\1/p' \
    "$out/job.log" | awk '{ n += $1 } END { print n + 0 }')
windows=$(grep -c ': done \[' "$out/job.log" || :)
flagged=$(($(wc -l <"$out/anomalies.csv") - 1))
mails=$(ls "$out/mail" | grep -c '\.eml$' || :)
episodes=$(find "$out/mail" -name '*.eml' -exec cat {} + |
    grep -c '^Subject: Anomaly detected' || :)

awk -F, -v cut="$cut" '
	FNR == 1 { next }
	FILENAME ~ /windows/ {
		s = $1; e = $2
		sub(/ /, "T", s); sub(/ /, "T", e)
		if (e "Z" >= cut) { ws[++nw] = s "Z"; we[nw] = e "Z" }
		next
	}
	{
		inside = 0
		for (i = 1; i <= nw; i++)
			if ($1 >= ws[i] && $1 <= we[i]) { hit[i] = 1; inside = 1 }
		if (!inside) outside++
	}
	END {
		for (i = 1; i <= nw; i++) found += hit[i]
		printf "labelled windows after the cut: %d, flagged: %d\n", \
		    nw, found
		printf "flagged points outside any window: %d\n", outside + 0
	}' "$data/windows.csv" "$out/anomalies.csv" >"$run/windows.txt"

echo "series:          $rows rows, served by fake-clarify"
echo "first run:       trained on $trained rows before $cut"
echo "daily runs:      $((runs - 1)), $scored rows scored in $windows windows"
echo "anomalies:       $flagged written back to $input"
echo "mails:           $mails, $episodes of them starting an alarm"
cat "$run/windows.txt"
echo "output folder:   $out"
for f in anomalies.csv plot.png job.log mail/; do
	echo "                 $f"
done
exit 0
