#!/bin/sh
# Run the programs that hold the most state under valgrind, on small real
# inputs, the error paths included: ts-fromjson merging many frames,
# iforest-train, iforest-score, alert-mail and clarify-helper.  Any
# memory error, or memory definitely lost at exit, fails the test.
# Without valgrind (make deps installs it) there is nothing to do.

top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL

if ! command -v valgrind >/dev/null 2>&1; then
	echo "valgrind not installed; not run"
	exit 0
fi

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM
cd "$tmp" || exit 2

# Token caches go under the folder made here, never the user's.
HOME=$tmp/home
XDG_CACHE_HOME=$tmp/cache
export HOME XDG_CACHE_HOME
unset SOURCE_DATE_EPOCH
mkdir -p "$HOME"

rc=0
n=0

# vg WANT NAME ARG...: run NAME under valgrind, standard input and output
# as given (never in a pipeline, whose subshell would lose the result); it
# must exit with status WANT, not valgrind's 99, and valgrind say nothing.
vg() {
	want=$1
	prog=$2
	shift 2
	n=$((n + 1))
	valgrind -q --error-exitcode=99 --leak-check=full \
	    --errors-for-leak-kinds=definite --log-file="vg.$n" \
	    "$top/bin/$prog" "$@" 2>"err.$n"
	got=$?
	if [ "$got" -ne "$want" ] || [ -s "vg.$n" ]; then
		echo "FAIL: $prog $*: exit $got, expected $want"
		head -n 40 "vg.$n" "err.$n"
		rc=1
	fi
}

# Many frames, overlapping in time and keys, with nulls, then a bad one.
awk 'BEGIN {
	for (i = 0; i < 300; i++) {
		printf "{\"times\":[\"2024-01-01T%02d:%02d:00Z\",", i / 60 % 24,
		    i % 60
		printf "\"2024-01-01T%02d:%02d:30+00:00\"],", i / 60 % 24, i % 60
		printf "\"series\":{\"k%d\":[%d,null],\"all\":[%d.5,%d]}}\n",
		    i % 17, i, i, i
	}
}' >frames.json
vg 0 ts-fromjson <frames.json >frames.csv
[ "$(wc -l <frames.csv)" -eq 601 ] || { echo "FAIL: ts-fromjson rows"; rc=1; }
printf '{"times":["2024-01-01T00:00:00Z"],"series":{"a":[1,2]}}\n' >bad.json
vg 1 ts-fromjson <bad.json >/dev/null

# Train and score on the head of the bundled series, then the bad model.
head -n 3000 "$top/demo/data/machine_temperature_system_failure.csv" \
    >series.csv
vg 0 iforest-train -n 20 -c 0.01 -o model series.csv
vg 0 iforest-score -m model series.csv >scored.csv
[ "$(wc -l <scored.csv)" -eq 3000 ] || { echo "FAIL: scored rows"; rc=1; }
head -c 200 model >cut.model
vg 1 iforest-score -m cut.model series.csv >/dev/null
printf 'timestamp,value\n2024-01-01,x\n' >bad.csv
vg 1 iforest-train -o m2 bad.csv

# The mail of those anomalies, and a bad address.
vg 0 alert-mail -f 'Plant <plant@example.org>' -t ops@example.org \
    -n 'Machine temperature' -d 2026-12-04T16:18:16Z scored.csv >mail.txt
grep -q '^Subject: ' mail.txt || { echo "FAIL: alert-mail"; rc=1; }
vg 2 alert-mail -f 'plant@' -t ops@example.org scored.csv >/dev/null

# The credentials, a token, curl configurations, requests, responses.
cat >cred.json <<'EOF'
{
  "apiUrl": "https://api.clarify.io/v1/",
  "integration": "c8ktonqsahsmemfs7lv0",
  "credentials": {
    "type": "client-credentials",
    "clientId": "AbCdEf123",
    "clientSecret": "s3cr3t-value"
  }
}
EOF
chmod 600 cred.json
printf '{"access_token":"tok-123","expires_in":3600,"token_type":"Bearer"}' \
    >token.json
printf '{"jsonrpc":"2.0","id":"1","result":{"data":{"times":[],"series":{}}}}' \
    >result.json
printf '{"jsonrpc":"2.0","id":"1","error":{"code":-32015,"message":"again"}}' \
    >again.json
vg 0 clarify-helper check cred.json >/dev/null
vg 0 clarify-helper token-config cred.json >/dev/null
vg 0 clarify-helper token-save cred.json token.json
vg 0 clarify-helper token-valid cred.json
vg 0 clarify-helper rpc-config cred.json >/dev/null
vg 0 clarify-helper data c8ktonqsahsmemfs7lv1 2024-01-01T00:00:00Z \
    2024-06-01T00:00:00Z >requests.json
vg 0 clarify-helper method requests.json >/dev/null
vg 0 clarify-helper response result.json
vg 3 clarify-helper response again.json
printf '{"apiUrl": 1}' >badcred.json
vg 1 clarify-helper check badcred.json

echo "$n runs under valgrind"
exit $rc
