#!/bin/sh
# fake-clarify, the loopback stand-in for the Clarify API that the tests
# of the curl pipeline use: tokens are issued to the right credentials
# only and expire; a call needs a token; clarify.dataFrame gives the data
# file's rows in a half-open window, through ts-fromjson, and refuses a
# window over 40 days; integration.insert records its points, upserted by
# time, and inserts.csv every point of every call; integration.saveSignals
# records the save view; injected faults (HTTP 500, 429, slow, try-again,
# partial, expired tokens) hit the calls they name; "reload" serves rows
# added to the data file; -l refuses calls faster than the pace; HTTP
# Basic credentials stand for a token; method names match without regard
# to case; an unknown method is -32601 and a call without an id gets 204
# and no body; SIGTERM stops the server.
. "$(dirname "$0")/tools/setup.sh"

command -v curl >/dev/null 2>&1 || { echo "skipped: no curl"; exit 0; }

tmp=$(mktemp -d) || exit 2
pids=
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

INT=c8ktonqsahsmemfs7lv0
sent=0

# start NAME ARGS...: run the server in the background, its port in $port.
start() {
	name=$1
	shift
	fake-clarify -p "$tmp/$name.port" -t 120 "$@" 2>"$tmp/$name.err" &
	pids="$pids $!"
	n=0
	while [ ! -s "$tmp/$name.port" ]; do
		n=$((n + 1))
		[ $n -gt 100 ] && { echo "$name: no port file"; exit 1; }
		sleep 0.1
	done
	port=$(cat "$tmp/$name.port")
	url=http://127.0.0.1:$port/v1
}

# token [FIELDS]: ask for a token; the answer in $tmp/tok, status in $code.
token() {
	sent=$((sent + 1))
	code=$(curl -sS --max-time 10 -o "$tmp/tok" -w '%{http_code}' \
	    -d grant_type=client_credentials -d "${1:-client_id=cid}" \
	    -d "${2:-client_secret=s3cr}" \
	    -d audience=http%3A%2F%2F127.0.0.1%2Fv1%2F "$url/oauth/token")
	tok=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' "$tmp/tok")
}

# rpc JSON: call with the current token; the body in $tmp/out, status in
# $code.
rpc() {
	sent=$((sent + 1))
	code=$(curl -sS --max-time 10 -o "$tmp/out" -w '%{http_code}' \
	    -H "Authorization: Bearer $tok" \
	    -H 'Content-Type: application/json' -H 'X-API-Version: 1.1' \
	    -d "$1" "$url/rpc")
}

# expect WHAT STATUS [PATTERN]: the last status, and the body's contents.
expect() {
	[ "$code" = "$2" ] || fail "$1: HTTP $code, expected $2"
	[ -z "$3" ] || grep -q -- "$3" "$tmp/out" ||
	    fail "$1: no $3 in $(cat "$tmp/out")"
}

# A day of rows every ten minutes; item i2 misses every third value.
awk 'BEGIN {
	print "time,i1,i2"
	for (m = 0; m < 1440; m += 10) {
		v2 = (m % 30 == 0) ? "" : m / 10 + 0.25
		printf "2024-05-01T%02d:%02d:00Z,%g,%s\n", m / 60, m % 60,
		    m / 7, v2
	}
}' >"$tmp/data.csv"

start a -c cid -s s3cr -i $INT -a http://127.0.0.1/v1/ -d "$tmp/data.csv" \
    -r "$tmp/rec" -f "$tmp/ctl" -n i1=Pressure

# Tokens: the right credentials only.
token client_id=cid client_secret=wrong
[ "$code" = 401 ] || fail "token, wrong secret: HTTP $code"
grep -q '"error":"invalid_client"' "$tmp/tok" ||
    fail "token, wrong secret: $(cat "$tmp/tok")"
token
[ "$code" = 200 ] || fail "token: HTTP $code"
grep -q '"token_type":"Bearer"' "$tmp/tok" &&
    grep -q '"expires_in":3600' "$tmp/tok" || fail "token: $(cat "$tmp/tok")"
[ ${#tok} -ge 20 ] || fail "token too short: $tok"
good=$tok

# A call without a token, or with a made-up one, is refused.
DF='{"jsonrpc":"2.0","id":"q1","method":"clarify.dataFrame","params":{
"query":{"filter":{"id":{"$in":["i1","i2"]}},"limit":50},
"data":{"filter":{"times":{"$gte":"2024-05-01T02:00:00Z",
"$lt":"2024-05-01T04:00:00Z"}},"rollup":null}}}'
tok=
rpc "$DF"
expect "no token" 401
tok=made-up
rpc "$DF"
expect "bad token" 401
tok=$good

# The window: 02:00 inclusive to 04:00 exclusive.
rpc "$DF"
expect dataFrame 200 '"id":"q1"'
ts-fromjson "$tmp/out" >"$tmp/got.csv" 2>"$tmp/err" ||
    fail "dataFrame: ts-fromjson: $(cat "$tmp/err")"
{ head -n 1 "$tmp/data.csv"; grep '^2024-05-01T0[23]:' "$tmp/data.csv"; } \
    >"$tmp/want.csv"
[ "$(wc -l <"$tmp/want.csv")" -eq 13 ] || fail "dataFrame: bad want"
cmp -s "$tmp/want.csv" "$tmp/got.csv" ||
    fail "dataFrame: $(diff "$tmp/want.csv" "$tmp/got.csv")"

# One item by equality, case-insensitive method name, a numeric id.
rpc '{"jsonrpc":"2.0","id":7,"method":"CLARIFY.DATAFRAME","params":{
"query":{"filter":{"id":"i2"}},"data":{"filter":{"times":{
"$gte":"2024-05-01T00:00:00Z","$lt":"2024-05-01T00:30:00Z"}}}}}'
expect "upper case" 200 '"id":7,"result"'
grep -q '"times":\["2024-05-01T00:10:00Z","2024-05-01T00:20:00Z"\]' \
    "$tmp/out" && grep -q '"series":{"i2":\[1.25,2.25\]}' "$tmp/out" ||
    fail "one item: $(cat "$tmp/out")"

# More than 40 days of raw data, more than 50 items.
rpc '{"jsonrpc":"2.0","id":8,"method":"clarify.dataFrame","params":{
"query":{},"data":{"filter":{"times":{"$gte":"2024-01-01T00:00:00Z",
"$lt":"2024-02-10T00:00:01Z"}}}}}'
expect "41 days" 200 '"code":-32602,"message":"Invalid params"'
grep -q '"params":{"data.filter.times"' "$tmp/out" &&
    grep -q '"trace":"[a-v0-9]\{20\}"' "$tmp/out" ||
    fail "41 days: $(cat "$tmp/out")"
rpc '{"jsonrpc":"2.0","id":9,"method":"clarify.dataFrame","params":{
"query":{"limit":51},"data":{"filter":{"times":{
"$gte":"2024-01-01T00:00:00Z","$lt":"2024-01-02T00:00:00Z"}}}}}'
expect "limit 51" 200 '"code":-32602'

# Names of items.
rpc '{"jsonrpc":"2.0","id":10,"method":"clarify.selectItems","params":{
"query":{"filter":{"id":{"$in":["i1"]}}}}}'
expect selectItems 200 '"attributes":{"name":"Pressure"'

# Insert, then a second insert that overwrites one time and adds one.
INS='{"jsonrpc":"2.0","id":11,"method":"integration.insert","params":{
"integration":"'$INT'","data":{"times":["2024-05-01T10:00:00+02:00",
"2024-05-01T09:00:00.5Z"],"series":{"my_alerts":[1.5,null],"x:y":[2,3]}}}}'
rpc "$INS"
expect insert 200 '"my_alerts":{"id":"[a-v0-9]\{20\}","created":true}'
rpc '{"jsonrpc":"2.0","id":12,"method":"integration.insert","params":{
"integration":"'$INT'","data":{"times":["2024-05-01T08:00:00Z",
"2024-05-01T07:00:00Z"],"series":{"my_alerts":[4,5]}}}}'
expect "insert again" 200 '"created":false'
printf '%s\n' time,value 2024-05-01T07:00:00Z,5 2024-05-01T08:00:00Z,4 \
    >"$tmp/want.csv"
cmp -s "$tmp/want.csv" "$tmp/rec/points/my_alerts.csv" ||
    fail "points: $(cat "$tmp/rec/points/my_alerts.csv")"
printf '%s\n' time,value 2024-05-01T08:00:00Z,2 \
    2024-05-01T09:00:00.5Z,3 >"$tmp/want.csv"
cmp -s "$tmp/want.csv" "$tmp/rec/points/x%3Ay.csv" ||
    fail "points x:y: $(cat "$tmp/rec/points/x%3Ay.csv")"
# inserts.csv keeps every point of every call, the overwritten one too.
printf '%s\n' my_alerts,2024-05-01T08:00:00Z,1.5 x:y,2024-05-01T08:00:00Z,2 \
    x:y,2024-05-01T09:00:00.5Z,3 my_alerts,2024-05-01T08:00:00Z,4 \
    my_alerts,2024-05-01T07:00:00Z,5 >"$tmp/want.csv"
cmp -s "$tmp/want.csv" "$tmp/rec/inserts.csv" ||
    fail "inserts.csv: $(cat "$tmp/rec/inserts.csv")"

# Signal metadata, under both parameter names; the last save is kept.
rpc '{"jsonrpc":"2.0","id":20,"method":"integration.saveSignals","params":{
"integration":"'$INT'","signalsByInput":{"my_alerts":{"name":"Anomalies",
"labels":{"source":["iforest"]}}}}}'
expect saveSignals 200 \
    '"my_alerts":{"id":"[a-v0-9]\{20\}","created":false,"updated":true}'
grep -qx '{"name":"Anomalies","labels":{"source":\["iforest"\]}}' \
    "$tmp/rec/signals/my_alerts.json" ||
    fail "saved: $(cat "$tmp/rec/signals/my_alerts.json")"
rpc '{"jsonrpc":"2.0","id":21,"method":"integration.SaveSignals","params":{
"integration":"'$INT'","inputs":{"new.one":{"name":"N"}}}}'
expect "saveSignals, inputs" 200 '"created":true,"updated":false'
[ -f "$tmp/rec/signals/new%2Eone.json" ] || fail "saved: no new.one"

# Bad inserts: another integration, a bad input id, a short series.
rpc "$(echo "$INS" | sed "s/$INT/c8ktonqsahsmemfs7lv1/")"
expect "other integration" 200 '"code":-32003'
rpc "$(echo "$INS" | sed 's/my_alerts/my alerts/')"
expect "bad input id" 200 '"code":-32602'
rpc "$(echo "$INS" | sed 's/\[2,3\]/[2]/')"
expect "short series" 200 '"code":-32602'

# Faults, from the control file: two 500s for inserts only, then a 429,
# then a try-again.
echo '500 2 integration.insert' >"$tmp/ctl"
rpc "$DF"
expect "500 for insert only" 200 '"result"'
rpc "$INS"
expect "first 500" 500
rpc "$INS"
expect "second 500" 500
rpc "$INS"
expect "after the 500s" 200 '"result"'
printf '429 1\ntry-again 1\n' >"$tmp/ctl"
rpc "$DF"
expect "429" 429
rpc "$DF"
expect "try again" 200 '"code":-32015'
rpc "$DF"
expect "after try again" 200 '"result"'
echo 'partial 1 integration.insert' >"$tmp/ctl"
rpc "$INS"
expect "partial" 200 '"code":-32021'
grep -q '"partialResult":{"signalsByInput":{"my_alerts":{' "$tmp/out" ||
    fail "partial: $(cat "$tmp/out")"

# HTTP Basic with the client id and secret stands for a token.
sent=$((sent + 1))
code=$(curl -sS --max-time 10 -o "$tmp/out" -w '%{http_code}' \
    -u cid:s3cr -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}' \
    "$url/rpc")
expect "basic" 200 '"result"'
sent=$((sent + 1))
code=$(curl -sS --max-time 10 -o "$tmp/out" -w '%{http_code}' \
    -u cid:nope -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}' \
    "$url/rpc")
expect "basic, wrong secret" 401

# A slow answer, for one method only.
echo 'slow=1 1 clarify.selectItems' >"$tmp/ctl"
rpc "$DF"
expect "not slow" 200 '"result"'
sent=$((sent + 1))
secs=$(curl -sS --max-time 10 -o "$tmp/out" -w '%{time_total}' \
    -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}' \
    "$url/rpc")
case $secs in
0*) fail "slow: answered in $secs s" ;;
esac
grep -q '"result"' "$tmp/out" || fail "slow: $(cat "$tmp/out")"

# Unknown method; a notification.
rpc '{"jsonrpc":"2.0","id":"u","method":"clarify.nothing","params":{}}'
expect "unknown method" 200 '"id":"u","error":{"code":-32601'
rpc '{"jsonrpc":"2.0","method":"clarify.selectItems","params":{}}'
expect notification 204
[ -s "$tmp/out" ] && fail "notification: a body: $(cat "$tmp/out")"
rpc '{"jsonrpc":"2.0","id":13,'
expect "bad JSON" 200 '"code":-32700'
rpc '{"id":14,"method":"clarify.selectItems","params":{}}'
expect "no jsonrpc" 200 '"code":-32600'

# All tokens expired at once.
echo expire >"$tmp/ctl"
rpc "$DF"
expect "expired by control" 401

# The log: every request with its method, status and fault.
log=$tmp/rec/requests.log
[ "$(grep -c '	POST /v1/' "$log")" -eq $sent ] ||
    fail "log: not $sent lines: $(cat "$log")"
grep -q '	500	integration.insert	1.1	500$' "$log" ||
    fail "log: no 500: $(cat "$log")"
grep -q '^2[0-9-]*T[0-9:.]*Z	POST /v1/rpc HTTP/1.1	200	CLARIFY.DATAFRAME	' \
    "$log" || fail "log: no upper-case call: $(cat "$log")"

# reload: a row added to the data file is served after "reload".
DF2='{"jsonrpc":"2.0","id":1,"method":"clarify.dataFrame","params":{
"query":{"filter":{"id":{"$in":["i1"]}}},"data":{"filter":{"times":{
"$gte":"2024-05-02T00:00:00Z","$lt":"2024-05-03T00:00:00Z"}}}}}'
token
rpc "$DF2"
expect "before reload" 200 '"times":\[\]'
echo 2024-05-02T06:00:00Z,7.5, >>"$tmp/data.csv"
echo reload >"$tmp/ctl"
rpc "$DF2"
expect reload 200 '"times":\["2024-05-02T06:00:00Z"\]'
rpc '{"jsonrpc":"2.0","id":10,"method":"clarify.selectItems","params":{
"query":{"filter":{"id":{"$in":["i1"]}}}}}'
expect "name after reload" 200 '"attributes":{"name":"Pressure"'

# -l: a dataFrame or insert call within the pace of the last of its
# method is refused with 429; other methods are not held to it.
start c -c cid -s s3cr -i $INT -l 60000 -r "$tmp/recc"
token
rpc "$DF"
expect "paced, first" 200 '"result"'
rpc "$DF"
expect "paced, too soon" 429
rpc "$INS"
expect "paced, insert" 200 '"result"'
rpc "$INS"
expect "paced, insert too soon" 429
for i in 1 2; do
	rpc '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}'
	expect "paced, selectItems $i" 200 '"result"'
done
[ "$(grep -c '	429	.*	throttled$' "$tmp/recc/requests.log")" -eq 2 ] ||
    fail "paced: $(cat "$tmp/recc/requests.log")"

# A short token lifetime: valid at once, refused two seconds later.
start b -c cid -s s3cr -e 1
token
[ "$code" = 200 ] && grep -q '"expires_in":1,' "$tmp/tok" ||
    fail "short token: $(cat "$tmp/tok")"
rpc '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}'
expect "fresh token" 200 '"result"'
sleep 2
rpc '{"jsonrpc":"2.0","id":1,"method":"clarify.selectItems","params":{}}'
expect "expired token" 401

# SIGTERM stops a server with status 0.
last=${pids##* }
kill "$last"
wait "$last"
st=$?
[ $st -eq 0 ] || fail "SIGTERM: status $st"
pids=${pids% *}

exit $rc
