#!/bin/sh
# Output errors: every program reports a full disk and exits non-zero
# (alert-mail with 2, its "trouble" status), and ends quietly when the
# reader of its output goes away.
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
cd "$top" || exit 2
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
rc=0

fail() {
	echo "$*"
	rc=1
}

# A series long enough that no pipe buffer holds all of any output.
awk 'BEGIN {
	print "time,value"
	for (i = 0; i < 200000; i++)
		printf "2024-01-01T00:00:%02d.%06dZ,%d\n", i % 60, i, i % 97
}' >"$tmp/in.csv"
awk 'BEGIN {
	printf "{\"times\":["
	for (i = 0; i < 200000; i++)
		printf "%s\"2024-01-01T%02d:%02d:%02dZ\"", i ? "," : "", \
		    i / 3600 % 24, i / 60 % 60, i % 60
	printf "],\"series\":{\"k\":["
	for (i = 0; i < 200000; i++)
		printf "%s%d", i ? "," : "", i % 97
	print "]}}"
}' >"$tmp/in.json"
iforest-train -o "$tmp/m" "$tmp/in.csv" || fail "cannot train"
awk -F, 'NR == 1 { print $0 ",score,anomaly"; next }
	{ print $0 ",0.9,1" }' "$tmp/in.csv" >"$tmp/anom.csv"

run() {	# name expected-status command...
	name=$1 want=$2
	shift 2
	"$@" >/dev/full 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || fail "$name >/dev/full: exit $got, want $want"
	grep -q 'No space left on device' "$tmp/err" ||
	    fail "$name >/dev/full: no diagnostic: $(cat "$tmp/err")"

	# SIGPIPE at its default: the program dies quietly, as cat does.
	( "$@" 2>"$tmp/err"; echo $? >"$tmp/st" ) | head -c 1 >/dev/null
	[ -s "$tmp/err" ] && fail "$name | head: said $(cat "$tmp/err")"

	# SIGPIPE ignored: the write error is reported, exit non-zero.
	( trap '' PIPE; "$@" 2>"$tmp/err"; echo $? >"$tmp/st" ) |
	    head -c 1 >/dev/null
	[ "$(cat "$tmp/st")" -ne 0 ] ||
	    fail "$name: EPIPE with SIGPIPE ignored gave exit 0"
	grep -q 'Broken pipe' "$tmp/err" ||
	    fail "$name: EPIPE not reported: $(cat "$tmp/err")"
}

run iforest-score 1 iforest-score -m "$tmp/m" "$tmp/in.csv"
run ts-fromjson 1 ts-fromjson "$tmp/in.json"
run ts-tojson 1 ts-tojson -i x -n demo00integration000 -b 100000 \
    "$tmp/in.csv"
run alert-mail 2 alert-mail -f a@example.org -t b@example.org \
    -m 0 -d 2024-01-02T00:00:00Z "$tmp/anom.csv"
exit $rc
