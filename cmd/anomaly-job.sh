#!/bin/sh
# anomaly-job - one run of the scheduled job: fetch an item's new points
# from Clarify, score them, write the anomalies back and mail them.
#
# The state folder holds the model, the mark (where the next window
# starts), the time of the last anomaly, the signal metadata saved last,
# and, while a window is being worked on, a progress folder with its
# scored rows, its mail and the steps already done, so that a run that
# failed half-way never mails or inserts twice, and a redo tells of the
# same points in the same words.  The credentials are only ever named
# to clarify and ts-tojson; this script does not read them.
set -eu

conf=
tmp=
newmodel=
locked=0
state=
credentials=
item=
input=
train_from=
trees=
samples=
contamination=0.01
seed=
lag=0
quiet=3600
name=
mail_from=
mail_max=0
plot=yes
mail_to=
msmtp_config=
msmtp_account=
item_link=

usage() {
	echo "usage: anomaly-job -c config"
}

help() {
	usage
	cat <<'EOF'

Run the anomaly job once: train the model on the first run, then score
the points that came since the last run, write the anomalies to Clarify
and mail them.

  -c CONFIG  the configuration file (key = value lines)
  --help     print this help and exit
  --version  print the version and exit

Exit status: 0 done, 1 a step failed, 2 usage or configuration error,
75 another run holds the lock.
EOF
}

usage_error() {
	[ $# -eq 0 ] || echo "anomaly-job: $*" >&2
	usage >&2
	echo "Try 'anomaly-job --help' for more information." >&2
	exit 2
}

log() {
	printf '%s anomaly-job: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

die() {
	log "$*"
	exit 1
}

conf_error() {
	log "$*"
	exit 2
}

# count N ONE MANY: N and the word, one or many.
count() {
	if [ "$1" -eq 1 ]; then
		echo "$1 $2"
	else
		echo "$1 $3"
	fi
}

# tcalc TIME SECONDS: TIME (RFC 3339, UTC) moved by SECONDS, or, when
# SECONDS is "epoch", TIME in seconds since 1970; fails on a bad TIME.
tcalc() {
	awk -v t="$1" -v d="$2" '
	function days(y, m, dd) {
		y -= m <= 2
		era = int(y / 400)
		yoe = y - era * 400
		doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + dd - 1
		return era * 146097 + yoe * 365 + int(yoe / 4) - \
		    int(yoe / 100) + doy - 719468
	}
	function civil(z,    era, doe, yoe, doy, mp, y, m, dd) {
		z += 719468
		era = int(z / 146097)
		doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - \
		    int(doe / 146096)) / 365)
		y = yoe + era * 400
		doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153)
		dd = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9
		return sprintf("%04d-%02d-%02d", y + (m <= 2), m, dd)
	}
	BEGIN {
		d2 = "[0-9][0-9]"
		if (t !~ "^" d2 d2 "-" d2 "-" d2 "T" d2 ":" d2 ":" d2 \
		    "([.][0-9]+)?Z$")
			exit 1
		m = substr(t, 6, 2) + 0
		if (m < 1 || m > 12 || substr(t, 9, 2) + 0 < 1 || \
		    substr(t, 9, 2) + 0 > 31 || substr(t, 12, 2) + 0 > 23 || \
		    substr(t, 15, 2) + 0 > 59 || substr(t, 18, 2) + 0 > 59)
			exit 1
		s = days(substr(t, 1, 4) + 0, substr(t, 6, 2) + 0, \
		    substr(t, 9, 2) + 0) * 86400 + substr(t, 12, 2) * 3600 + \
		    substr(t, 15, 2) * 60 + substr(t, 18, 2)
		if (d == "epoch") {
			printf "%.0f\n", s
			exit 0
		}
		s += d
		z = int(s / 86400)
		r = s - z * 86400
		if (r < 0) {
			z--
			r += 86400
		}
		printf "%sT%02d:%02d:%02dZ\n", civil(z), int(r / 3600), \
		    int(r % 3600 / 60), r % 60
	}'
}

# setkey FILE:LINE KEY VALUE: one configuration line.
setkey() {
	case $2 in
	credentials)	credentials=$3 ;;
	item)		item=$3 ;;
	input)		input=$3 ;;
	name)		name=$3 ;;
	train_from)	train_from=$3 ;;
	trees)		trees=$3 ;;
	samples)	samples=$3 ;;
	contamination)	contamination=$3 ;;
	seed)		seed=$3 ;;
	lag)		lag=$3 ;;
	quiet)		quiet=$3 ;;
	mail_from)	mail_from=$3 ;;
	mail_max)	mail_max=$3 ;;
	plot)		plot=$3 ;;
	# A line per key: its line number, a space, the value.
	mail_to)	mail_to="$mail_to${1##*:} $3
" ;;
	msmtp_config)	msmtp_config=$3 ;;
	msmtp_account)	msmtp_account=$3 ;;
	state)		state=$3 ;;
	item_link)	item_link=$3 ;;
	*)		conf_error "$1: unknown key \"$2\"" ;;
	esac
	# The line of each key, for the checks after reading: the key is
	# one of those above, a plain name.
	eval "at_$2=\${1##*:}"
}

# trim TEXT: TEXT without white space at either end.
trim() {
	printf '%s\n' "$1" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//'
}

# read_conf: the configuration file, read, never run.
read_conf() {
	if [ ! -f "$conf" ]; then
		[ -e "$conf" ] || conf_error "$conf: no such file"
		conf_error "$conf: not a regular file"
	fi
	[ -r "$conf" ] || conf_error "$conf: cannot read"
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in
		*[![:space:]]*)	;;
		*)	continue ;;
		esac
		case $(trim "$line") in
		'#'*)	continue ;;
		*=*)	;;
		*)	conf_error "$conf:$n: not a key = value line" ;;
		esac
		k=$(trim "${line%%=*}")
		v=$(trim "${line#*=}")
		[ -n "$v" ] || conf_error "$conf:$n: no value for \"$k\""
		setkey "$conf:$n" "$k" "$v"
	done <"$conf"
	check_conf
}

# at KEY: where KEY was set, FILE:LINE, or the file alone for a default.
at() {
	eval "l=\${at_$1:-}"
	if [ -n "$l" ]; then
		echo "$conf:$l"
	else
		echo "$conf"
	fi
}

# need KEY VALUE: a required key.
need() {
	[ -n "$2" ] || conf_error "$conf: no \"$1\" key"
}

# whole KEY VALUE: a number of seconds.
whole() {
	case $2 in
	''|*[!0-9]*)	conf_error "$(at "$1"): $1: not a whole number: $2" ;;
	esac
}

# here PATH: PATH, when relative, taken from the configuration file's
# folder rather than from the current one, which is $HOME under cron.
here() {
	case $1 in
	/*)	echo "$1" ;;
	*)	echo "$confdir/$1" ;;
	esac
}

check_conf() {
	need credentials "$credentials"
	need item "$item"
	need input "$input"
	need train_from "$train_from"
	need mail_from "$mail_from"
	need mail_to "$mail_to"
	need state "$state"
	whole lag "$lag"
	whole quiet "$quiet"
	whole mail_max "$mail_max"
	case $plot in
	yes|no)	;;
	*)	conf_error "$(at plot): plot: \"yes\" or \"no\"," \
		    "not \"$plot\"" ;;
	esac
	train_from=$(tcalc "$train_from" 0) ||
	    conf_error "$(at train_from): train_from: not an RFC 3339 UTC time"
	# Clarify's input ID syntax; it also keeps the ID safe to put in
	# JSON text unescaped.
	case $input in
	*[!A-Za-z0-9_:.#+/-]*)
		conf_error "$(at input): input:" \
		    "not a Clarify input ID: $input" ;;
	esac
	[ "$(printf %s "$input" | wc -c)" -le 128 ] ||
	    conf_error "$(at input): input: longer than 128 bytes"
	[ -n "$name" ] || name=$item
	case $item$name in
	*[[:cntrl:]]*)
		conf_error "$conf: item or name: a control character" ;;
	esac
	# The signal is called "NAME anomalies", and Clarify takes names
	# of up to 128 bytes.
	[ "$(printf %s "$name" | wc -c)" -le 118 ] ||
	    conf_error "$(at name): name: longer than 118 bytes"
	confdir=$(CDPATH='' cd -P -- "$(dirname -- "$conf")" && pwd) ||
	    conf_error "$conf: cannot find its folder"
	credentials=$(here "$credentials")
	state=$(here "$state")
	[ -z "$msmtp_config" ] || msmtp_config=$(here "$msmtp_config")
}

# tool_error KEY PROGRAM: the configuration error that PROGRAM's message
# in $tmp/check.err makes of KEY's value.
tool_error() {
	m=$(head -n 1 "$tmp/check.err")
	m=${m#"$2: "}
	# alert-mail names the option: the key says it better.
	case $m in
	-?:\ *)	m=${m#-?: } ;;
	esac
	conf_error "$(at "$1"): $1: ${m:-refused by $2}"
}

# flag KEY: iforest-train's option for the training key KEY.
flag() {
	case $1 in
	trees)		printf '%s\n' -n ;;
	samples)	printf '%s\n' -s ;;
	contamination)	printf '%s\n' -c ;;
	seed)		printf '%s\n' -r ;;
	esac
}

# check_train: each training key, tried by iforest-train itself on two
# rows with the option the training passes, so that a bad value is found
# before the history is fetched, by the very rules the training applies.
check_train() {
	printf 'time,value\n%s,0\n%s,1\n' 1970-01-01T00:00:00Z \
	    1970-01-01T00:00:01Z >"$tmp/check.csv"
	for k in trees samples contamination seed; do
		eval "v=\$$k"
		[ -n "$v" ] || continue
		iforest-train "$(flag "$k")" "$v" -o "$tmp/check.model" \
		    "$tmp/check.csv" 2>"$tmp/check.err" ||
		    tool_error "$k" iforest-train
	done
}

# check_mail: the addresses, the item ID and the link, tried by
# alert-mail itself on a one-row CSV, and the msmtp configuration and
# account by msmtp --pretend, which sends nothing: a bad one found now,
# not at the first anomaly, which every later run would fail on again.
check_mail() {
	printf 'time,value,score,anomaly\n%s,0,1,1\n' \
	    1970-01-01T00:00:00Z >"$tmp/check.csv"
	alert-mail -f "$mail_from" -t postmaster@example.org \
	    -d 1970-01-01T00:00:00Z "$tmp/check.csv" >/dev/null \
	    2>"$tmp/check.err" || tool_error mail_from alert-mail
	while read -r n a; do
		[ -n "$n" ] || continue
		at_mail_to=$n
		alert-mail -f postmaster@example.org -t "$a" \
		    -d 1970-01-01T00:00:00Z "$tmp/check.csv" >/dev/null \
		    2>"$tmp/check.err" || tool_error mail_to alert-mail
	done <<EOT
$mail_to
EOT
	alert-mail -f postmaster@example.org -t postmaster@example.org \
	    -i "$item" -d 1970-01-01T00:00:00Z "$tmp/check.csv" \
	    >/dev/null 2>"$tmp/check.err" || tool_error item alert-mail
	if [ -n "$item_link" ]; then
		alert-mail -f postmaster@example.org \
		    -t postmaster@example.org -i "$item" -l "$item_link" \
		    -d 1970-01-01T00:00:00Z "$tmp/check.csv" >/dev/null \
		    2>"$tmp/check.err" || tool_error item_link alert-mail
	fi
	if [ -n "$msmtp_config" ]; then
		[ -e "$msmtp_config" ] || conf_error "$(at msmtp_config):" \
		    "msmtp_config: $msmtp_config: no such file"
		[ -f "$msmtp_config" ] || conf_error "$(at msmtp_config):" \
		    "msmtp_config: $msmtp_config: not a regular file"
		[ -r "$msmtp_config" ] || conf_error "$(at msmtp_config):" \
		    "msmtp_config: $msmtp_config: cannot read"
	fi
	set -- --pretend
	[ -z "$msmtp_config" ] || set -- "$@" -C "$msmtp_config"
	[ -z "$msmtp_account" ] || set -- "$@" -a "$msmtp_account"
	msmtp "$@" </dev/null >/dev/null 2>"$tmp/check.err" && return
	k=msmtp_account
	[ -n "$msmtp_account" ] || k=msmtp_config
	tool_error "$k" msmtp
}

# busy [PID]: leave, the lock being another run's.
busy() {
	log "another run holds the lock (pid ${1:-unknown})"
	exit 75
}

# mklock DIR: make DIR, a lock folder; return 1 when something is there
# already, and end the run when DIR cannot be made for another reason, a
# state folder the job may not write or a full disk, which no wait
# mends.
mklock() {
	e=$(mkdir "$1" 2>&1) && return 0
	[ ! -e "$1" ] && [ ! -L "$1" ] || return 1
	# Nothing there: either a lock let go of in between, which a second
	# try takes, or a folder that cannot be written.
	e=$(mkdir "$1" 2>&1) && return 0
	[ ! -e "$1" ] && [ ! -L "$1" ] || return 1
	die "cannot make the lock $1: ${e##*: }"
}

# holdlock: the lock is this run's; write its pid.
holdlock() {
	locked=1
	{ echo "$$" >"$l/pid"; } 2>/dev/null || die "cannot write $l/pid"
}

# lock: hold the state folder's lock, or exit 75 when a live run has it.
# A stale lock is taken over under a second lock, lock.take, so that
# only one run at a time looks at it and removes it.
lock() {
	l=$state/lock
	if mklock "$l"; then
		holdlock
		return
	fi
	p=$(cat "$l/pid" 2>/dev/null) || p=
	if [ -z "$p" ]; then
		# A run that has just made the folder writes its pid next;
		# give it a moment before calling the holder unknown.
		sleep 1
		p=$(cat "$l/pid" 2>/dev/null) || p=
	fi
	if [ -z "$p" ] || kill -0 "$p" 2>/dev/null; then
		busy "$p"
	fi
	mklock "$l.take" || busy
	q=$(cat "$l/pid" 2>/dev/null) || q=
	if [ "$q" != "$p" ]; then
		rmdir "$l.take"
		busy "$q"
	fi
	rm -rf "$l"
	if ! mklock "$l"; then
		rmdir "$l.take"
		busy
	fi
	holdlock
	rmdir "$l.take"
	log "took over the stale lock of pid $p"
}

cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
	[ -z "$newmodel" ] || rm -f "$newmodel"
	[ "$locked" -eq 0 ] || rm -rf "$state/lock"
}

# beside FILE: a new, empty file of mktemp's beside FILE, to be moved
# over it: no name known in advance, where a planted link would lead the
# write elsewhere.
beside() {
	# mv would move into a folder rather than over it.
	[ ! -d "$1" ] || die "$1: a folder"
	mktemp "$1.XXXXXX" 2>/dev/null || die "cannot write beside $1"
}

# sweep: remove what runs killed before they could move their temporary
# files in place left in the state folder; under the lock, no other run
# is writing one.
sweep() {
	for f in model mark last-anomaly signal; do
		for t in "$state/$f".??????; do
			[ -f "$t" ] || [ -L "$t" ] || continue
			rm -f "$t" || die "cannot remove $t"
		done
	done
}

# put FILE TEXT: write TEXT into FILE whole or not at all.
put() {
	t=$(beside "$1") || exit 1
	{ printf '%s\n' "$2" >"$t" && mv "$t" "$1"; } 2>/dev/null ||
	    { rm -f "$t"; die "cannot write $1"; }
}

# fetch FROM TO: the item's rows in [FROM, TO) into $tmp/rows.csv.
fetch() {
	clarify -C "$credentials" data "$item" "$1" "$2" >"$tmp/frames" ||
	    die "fetching [$1, $2) failed"
	ts-fromjson -r "$item=value" "$tmp/frames" >"$tmp/rows.csv" ||
	    die "reading the data of [$1, $2) failed"
	rows=$(($(wc -l <"$tmp/rows.csv") - 1))
	log "fetched $(count "$rows" row rows) for [$1, $2)"
}

train() {
	fetch "$train_from" "$end"
	# iforest-train would name its temporary input: say what is wrong.
	[ "$rows" -gt 0 ] ||
	    die "item $item has no data in [$train_from, $end), from" \
	    "train_from to now - lag: check item and train_from"
	newmodel=$(beside "$state/model") || exit 1
	set -- -o "$newmodel"
	for k in trees samples contamination seed; do
		eval "v=\$$k"
		[ -z "$v" ] || set -- "$@" "$(flag "$k")" "$v"
	done
	iforest-train "$@" "$tmp/rows.csv" || die "training failed"
	# The mark first: a run that dies between the two leaves a mark
	# without a model, and the next run trains again.
	put "$state/mark" "$end"
	mv "$newmodel" "$state/model" || die "cannot write $state/model"
	newmodel=
	log "trained on [$train_from, $end); the mark is $end"
}

# done_step STEP: was STEP of the pending window done?
done_step() {
	[ -f "$pend/$1" ]
}

# step_done STEP: record that STEP of the pending window is done.
step_done() {
	put "$pend/$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}

# jstr TEXT: TEXT as a JSON string; the configuration has made sure it
# holds no control character.
jstr() {
	printf '"%s"' "$(printf '%s\n' "$1" | sed 's/[\\"]/\\&/g')"
}

# integration: the integration ID, which only the credentials file
# holds; ts-tojson reads it there and writes it into a request.
integration() {
	printf 'time,value\n1970-01-01T00:00:00Z,0\n' |
	    ts-tojson -i "$input" -C "$credentials" >"$tmp/probe" || return 1
	sed -n 's/.*"params":{"integration":"\([A-Za-z0-9_-]*\)".*/\1/p' \
	    "$tmp/probe"
}

# signal_view: the save view of the input's signal, on one line.
signal_view() {
	d="The points of $name (item $item) that anomaly-job found anomalous,"
	d="$d each with the item's value at that time."
	printf '{"name":%s,"description":%s,' "$(jstr "$name anomalies")" \
	    "$(jstr "$d")"
	printf '"labels":{"source":["anomaly-job"],"item":[%s]},' \
	    "$(jstr "$item")"
	printf '"valueType":"numeric","sourceType":"prediction",'
	printf '"gapDetection":"PT1S"}\n'
}

# save_signal: give the input's signal its name, description and a gap
# detection of one second, so that Clarify shows the points as dots,
# before the first insert and again whenever the view changes;
# $state/signal keeps the view saved last.
save_signal() {
	v=$(signal_view)
	if [ -f "$state/signal" ] && [ "$(cat "$state/signal")" = "$v" ]; then
		return
	fi
	id=$(integration) && [ -n "$id" ] ||
	    die "cannot read the integration ID from $credentials"
	{
		printf '{"jsonrpc":"2.0","method":"integration.saveSignals",'
		printf '"id":1,"params":{"integration":"%s",' "$id"
		printf '"signalsByInput":{"%s":%s},"createOnly":false}}\n' \
		    "$input" "$v"
	} >"$tmp/save.json"
	clarify -C "$credentials" rpc <"$tmp/save.json" >/dev/null ||
	    die "saving the signal of input $input failed"
	put "$state/signal" "$v"
	log "saved the signal of input $input as \"$name anomalies\""
}

insert() {
	if done_step inserted; then
		log "inserted before, not again"
		return
	fi
	save_signal
	ts-tojson -a -i "$input" -C "$credentials" "$pend/anom.csv" \
	    >"$tmp/insert.jsonl" || die "preparing the insert failed"
	clarify -C "$credentials" rpc <"$tmp/insert.jsonl" >/dev/null ||
	    die "inserting the anomalies of [$from, $to) failed"
	step_done inserted
	log "inserted $(count $count anomaly anomalies) into $input"
}

# subject: a new episode when the last anomaly is more than quiet
# seconds before this window's first.
subject() {
	first=$(sed -n '2s/,.*//p' "$pend/anom.csv")
	if [ -s "$state/last-anomaly" ]; then
		a=$(tcalc "$(cat "$state/last-anomaly")" epoch) || a=
		b=$(tcalc "$first" epoch) || b=
		if [ -n "$a" ] && [ -n "$b" ] && [ $((b - a)) -le "$quiet" ]
		then
			echo "More anomalies in $name"
			return
		fi
	fi
	echo "Anomaly detected in $name"
}

# shown FILE: FILE, rows the job scored, with the value column named after
# the item, for the eye only: the model knows the column as "value",
# which is left for a name that the programs take for another column.
shown() {
	case $name in
	[Tt][Ii][Mm][Ee]|[Ss][Cc][Oo][Rr][Ee]|[Aa][Nn][Oo][Mm][Aa][Ll][Yy])
		cat "$1"
		return ;;
	esac
	# (through the environment: awk -v would take backslashes as escapes)
	N=$name awk 'NR == 1 && $0 == "time,value,score,anomaly" {
		n = ENVIRON["N"]
		gsub(/"/, "\"\"", n)
		$0 = "time,\"" n "\",score,anomaly"
	} 1' "$1"
}

# draw: the window's scored rows, with the model's threshold, as a PNG
# in $tmp/plot.png; a plot that fails is logged and left out, since the
# mail matters more than its picture.
draw() {
	[ "$plot" = yes ] || return 1
	if shown "$pend/scored.csv" >"$tmp/shown.csv" &&
	    ts-plot -m "$state/model" -n "$name" "$tmp/shown.csv" \
	    >"$tmp/plot.png"; then
		return 0
	fi
	log "plotting [$from, $to) failed; the mail goes without a plot"
	return 1
}

# compose: the window's mail, written once into $pend/mail.eml and dated
# at the window's end, so that a redo sends the very same bytes, with
# the same Message-ID, whatever time it is.
compose() {
	[ ! -s "$pend/mail.eml" ] || return 0
	s=$(subject)
	set -- -f "$mail_from" -n "$name" -i "$item" -s "$s" -d "$to" \
	    -m "$mail_max"
	[ -z "$item_link" ] || set -- "$@" -l "$item_link"
	! draw || set -- "$@" -p "$tmp/plot.png"
	while read -r n a; do
		[ -z "$n" ] || set -- "$@" -t "$a"
	done <<EOF
$mail_to
EOF
	t=$(beside "$pend/mail.eml") || exit 1
	shown "$pend/anom.csv" >"$tmp/shown-anom.csv" &&
	    alert-mail "$@" "$tmp/shown-anom.csv" >"$t" ||
	    { rm -f "$t"; die "writing the mail failed"; }
	mv "$t" "$pend/mail.eml" || die "cannot write $pend/mail.eml"
}

send_mail() {
	if done_step mailed; then
		log "mailed before, not again"
		return
	fi
	compose
	set -- -t --read-envelope-from
	[ -z "$msmtp_config" ] || set -- "$@" -C "$msmtp_config"
	[ -z "$msmtp_account" ] || set -- "$@" -a "$msmtp_account"
	msmtp "$@" <"$pend/mail.eml" || die "sending the mail failed"
	step_done mailed
	log "mailed \"$(sed -n 's/^Subject: //p' "$pend/mail.eml" |
	    head -n 1 | tr -d '\r')\""
}

# score: fetch the pending window's rows, score them into
# $pend/scored.csv, keep the anomalous ones in $pend/anom.csv, and the
# number of rows scored in $pend/scored, which is written last: a redone
# window reuses them, so that its insert and its mail tell of the same
# points, whatever came late in between.
score() {
	if done_step scored; then
		rows=$(cat "$pend/scored")
		log "scored before, not again"
		return
	fi
	fetch "$from" "$to"
	t=$(beside "$pend/scored.csv") || exit 1
	iforest-score -m "$state/model" "$tmp/rows.csv" >"$t" ||
	    { rm -f "$t"; die "scoring failed"; }
	mv "$t" "$pend/scored.csv" || die "cannot write $pend/scored.csv"
	# The rows are ts-fromjson's: a time and a number, nothing quoted.
	t=$(beside "$pend/anom.csv") || exit 1
	awk -F, 'NR == 1 || $NF == 1' "$pend/scored.csv" >"$t" &&
	    mv "$t" "$pend/anom.csv" ||
	    { rm -f "$t"; die "cannot write $pend/anom.csv"; }
	put "$pend/scored" "$rows"
}

# tidy MARK: remove the progress of windows that start elsewhere than at
# MARK: a run that died after moving the mark and before removing its
# window's progress left it, and the window is done.
tidy() {
	[ -d "$state/pending" ] || return 0
	keep=$(echo "$1" | tr -d ':-')
	for p in "$state/pending"/*; do
		[ -e "$p" ] || continue
		[ "${p##*/}" != "$keep" ] || continue
		rm -rf "$p" || die "cannot remove $p"
		log "removed $p, the progress of a window done before"
	done
}

# upgrade: the progress of version 0.1.0 was a file, "end TIME" and a
# line per step done; make it the folder this version keeps.
upgrade() {
	[ -f "$pend" ] || return 0
	mkdir "$pend.new" || die "cannot make $pend.new"
	sed -n '1s/^end //p' "$pend" >"$pend.new/end" &&
	    for s in inserted mailed; do
		! grep -qx "$s" "$pend" || date -u >"$pend.new/$s"
	    done && rm "$pend" && mv "$pend.new" "$pend" ||
	    die "cannot turn $pend into a folder"
	log "took over the progress that $pend kept as a file"
}

# window FROM: work on [FROM, end) or on the end a failed run chose.
window() {
	from=$1
	pend=$state/pending/$(echo "$from" | tr -d ':-')
	upgrade
	if [ -s "$pend/end" ]; then
		to=$(cat "$pend/end")
		tcalc "$to" 0 >/dev/null || die "$pend/end: no window end"
		log "redoing [$from, $to)"
	else
		to=$end
		mkdir -p "$pend" || die "cannot make $pend"
		put "$pend/end" "$to"
	fi
	score
	count=$(($(wc -l <"$pend/anom.csv") - 1))
	log "found $(count $count anomaly anomalies) in [$from, $to)"
	if [ "$count" -gt 0 ]; then
		insert
		send_mail
		put "$state/last-anomaly" "$(tail -n 1 "$pend/anom.csv" |
		    sed 's/,.*//')"
	fi
	put "$state/mark" "$to"
	rm -rf "$pend"
	log "done [$from, $to): $(count $rows row rows) scored," \
	    "$(count $count anomaly anomalies); the mark is $to"
}

main() {
	# Under cron, PATH is /usr/bin:/bin: the folder this script is in
	# comes first, so that an installed toolkit finds its own programs,
	# as clarify finds its helper.
	case $0 in
	*/*)	PATH=${0%/*}:$PATH ;;
	esac
	export PATH
	while [ $# -gt 0 ]; do
		case $1 in
		--help)	help
			exit 0 ;;
		--version)
			# One version for the toolkit: the C programs carry it.
			v=$(iforest-score --version) || exit 1
			echo "anomaly-job ${v#* }"
			exit 0 ;;
		-c)	[ $# -ge 2 ] || usage_error "-c needs a file"
			conf=$2
			shift 2 ;;
		-c*)	conf=${1#-c}
			shift ;;
		--)	shift
			break ;;
		-?*)	usage_error "unknown option $1" ;;
		*)	break ;;
		esac
	done
	[ $# -eq 0 ] || usage_error "no operands expected"
	[ -n "$conf" ] || usage_error "-c is required"
	read_conf
	if [ -n "${ANOMALY_JOB_NOW:-}" ]; then
		now=$(tcalc "$ANOMALY_JOB_NOW" 0) ||
		    usage_error "ANOMALY_JOB_NOW: not an RFC 3339 UTC time"
	else
		now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	fi
	end=$(tcalc "$now" "-$lag")

	umask 077
	# ts-tojson reads the credentials file, secret and all, and
	# clarify's curl holds the secret: no core dump of any of them.
	ulimit -c 0 2>/dev/null || :
	trap cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	tmp=$(mktemp -d) || die "cannot make a temporary folder"
	# The keys that only a late step reads, checked now by the programs
	# that take them.
	check_train
	check_mail
	# A credentials file that cannot work is a configuration error,
	# found before anything is done; clarify says what is wrong.
	if ! clarify -C "$credentials" check >/dev/null; then
		log "cannot use the credentials file $credentials"
		exit 2
	fi

	mkdir -p "$state" || die "cannot make the state folder $state"
	lock
	sweep

	if [ ! -f "$state/model" ]; then
		train
		exit 0
	fi
	mark=$(cat "$state/mark") || die "no mark in $state"
	tidy "$mark"
	e=$(tcalc "$end" epoch)
	while m=$(tcalc "$mark" epoch) && [ "$m" -lt "$e" ]; do
		window "$mark"
		mark=$to
	done
	[ -n "$m" ] || die "$state/mark: not an RFC 3339 UTC time"
	log "nothing more to do before $end"
}

main "$@"
