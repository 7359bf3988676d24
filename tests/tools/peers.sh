# peers.sh - sourced by the behaviour scripts that run the job or clarify
# against fake-clarify and smtp-sink and look at what they leave: the
# built programs first on PATH; a private folder $tmp, with HOME, the
# token cache and TMPDIR inside it and clarify told not to wait, removed
# at exit together with the servers whose pids are in cpid, spid, bpid
# and hpid; fail, three_days, waitport, and job_conf, a small job of its
# own.
. "$(dirname "$0")/tools/setup.sh"

command -v curl >/dev/null 2>&1 || { echo "skipped: no curl"; exit 0; }
command -v msmtp >/dev/null 2>&1 || { echo "skipped: no msmtp"; exit 0; }

tmp=$(mktemp -d) || exit 2
cpid=
spid=
bpid=
hpid=
cleanup() {
	for p in $cpid $spid $bpid $hpid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

ITEM=c1vcqk2005qb5nusljko
ID=c8ktonqsahsmemfs7lv0
HOME=$tmp/home
XDG_CACHE_HOME=$tmp/cache
TMPDIR=$tmp/t
CLARIFY_WAIT=0
CLARIFY_PACE=0
export HOME XDG_CACHE_HOME TMPDIR CLARIFY_WAIT CLARIFY_PACE
mkdir "$HOME" "$tmp/mail" "$tmp/t" || exit 2

# waitport FILE: wait for a server to write its port into FILE; if it
# never does, show what the servers said (their *.err files in $tmp).
# three_days: the bundled series from 2013-12-03 to 2013-12-06 as
# "time,value" rows, its times written as Clarify writes them; no header.
three_days() {
	awk -F, 'NR > 1 && $1 >= "2013-12-03" && $1 < "2013-12-06" {
		sub(/ /, "T", $1)
		print $1 "Z," $2
	}' "$top/demo/data/machine_temperature_system_failure.csv"
}

waitport() {
	n=0
	while [ ! -s "$1" ]; do
		n=$((n + 1))
		[ $n -le 100 ] || { echo "no port file $1:" \
		    "$(cat "$tmp"/*.err 2>/dev/null)"; exit 1; }
		sleep 0.1
	done
}

# job_conf CREDENTIALS INPUT: job.conf and msmtprc in the current folder
# for a job of item ITEM that writes to INPUT, named after it, and mails
# through the sink whose port is in sport.
job_conf() {
	printf 'account default\nhost 127.0.0.1\nport %s\nauth off\ntls off\n' \
	    "$(cat sport)" >msmtprc
	chmod 600 msmtprc
	cat >job.conf <<CONF
credentials = $1
item = $ITEM
input = $2
name = ${2%-in}
train_from = 2013-12-03T00:00:00Z
contamination = 0.01
seed = 3
lag = 0
plot = no
mail_from = plant@example.org
mail_to = ops@example.org
msmtp_config = $tmp/msmtprc
state = $tmp/state
CONF
}
