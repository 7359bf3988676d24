#!/bin/sh
# clarify against fake-clarify: data over 90 days takes three
# clarify.dataFrame requests of at most 40 days, whose answers ts-fromjson
# turns back into the served rows; ts-tojson's requests through
# "clarify rpc" store their points; the token is cached, private, and
# reused; an expired token is refreshed once; HTTP 500 and "try again"
# are retried; a JSON-RPC error is shown with code, message and trace and
# exits 1; credentials others can read, or that are malformed, are
# refused; HTTP Basic credentials work without a token; and the client
# secret shows in no argument list, environment or message.
. "$(dirname "$0")/tools/setup.sh"

command -v curl >/dev/null 2>&1 || { echo "skipped: no curl"; exit 0; }
realcurl=$(command -v curl)

tmp=$(mktemp -d) || exit 2
pid=
tpid=
cleanup() {
	for p in $pid $tpid; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT TERM

INT=c8ktonqsahsmemfs7lv0
ITEM=c1vcqk2005qb5nusljko
SECRET='Sec-ret+/&"x9'
HOME=$tmp/home
XDG_CACHE_HOME=$tmp/cache
CLARIFY_WAIT=0
CLARIFY_PACE=0
CLARIFY_CREDENTIALS=$tmp/cred.json
export HOME XDG_CACHE_HOME CLARIFY_WAIT CLARIFY_PACE CLARIFY_CREDENTIALS
mkdir "$HOME"

# A wrapper curl first on PATH records each argument list and environment.
mkdir "$tmp/wrap"
cat >"$tmp/wrap/curl" <<EOF
#!/bin/sh
{ echo "ARGV: \$*"; env; } >>"$tmp/curl.log"
exec "$realcurl" "\$@"
EOF
chmod 755 "$tmp/wrap/curl"
PATH=$tmp/wrap:$PATH

# A row every 6 hours from 2024-01-01 for 120 days.
awk -v item=$ITEM 'BEGIN {
	print "time," item
	for (d = 0; d < 120 * 4; d++)
		printf "%d,%g\n", 1704067200 + d * 21600, d / 4
}' | while IFS=, read -r t v; do
	case $t in
	time)	echo "$t,$v" ;;
	*)	echo "$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ),$v" ;;
	esac
done >"$tmp/data.csv"

fake-clarify -p "$tmp/port" -t 120 -c cid -s "$SECRET" -i $INT \
    -d "$tmp/data.csv" -r "$tmp/rec" -f "$tmp/ctl" 2>"$tmp/server.err" &
pid=$!
n=0
while [ ! -s "$tmp/port" ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && { echo "no port file"; exit 1; }
	sleep 0.1
done
url=http://127.0.0.1:$(cat "$tmp/port")/v1

# creds TYPE [URL]: write the credentials file, mode 600.
creds() {
	printf '{"apiUrl":"%s","integration":"%s","credentials":' \
	    "${2:-$url/}" $INT >"$tmp/cred.json"
	printf '{"type":"%s","clientId":"cid","clientSecret":"%s"}}\n' \
	    "$1" "$(printf '%s' "$SECRET" | sed 's/"/\\"/g')" \
	    >>"$tmp/cred.json"
	chmod 600 "$tmp/cred.json"
}

# clarify ARGS...: the real one, its messages kept in $tmp/allerr too.
clarify() {
	command clarify "$@" 2>"$tmp/err1"
	s=$?
	cat "$tmp/err1" >>"$tmp/allerr"
	cat "$tmp/err1" >&2
	return $s
}

# count PATTERN: requests in the server's log that match.
count() {
	grep -c -- "$1" "$tmp/rec/requests.log"
}

creds client-credentials "$url"

# Data over 90 days: three windows (40, 40 and 10 days).
clarify data $ITEM 2024-01-10T00:00:00Z 2024-04-09T00:00:00Z \
    >"$tmp/frames" 2>"$tmp/err" || fail "data: $(cat "$tmp/err")"
[ "$(count 'clarify.dataFrame')" -eq 3 ] ||
    fail "data: not 3 dataFrame requests: $(cat "$tmp/rec/requests.log")"
[ "$(wc -l <"$tmp/frames")" -eq 3 ] || fail "data: not 3 response lines"
ts-fromjson "$tmp/frames" >"$tmp/got.csv" 2>"$tmp/err" ||
    fail "data: ts-fromjson: $(cat "$tmp/err")"
awk -F, 'NR == 1 || ($1 >= "2024-01-10" && $1 < "2024-04-09")' \
    "$tmp/data.csv" >"$tmp/want.csv"
[ "$(wc -l <"$tmp/want.csv")" -eq 361 ] || fail "data: bad want"
cmp -s "$tmp/want.csv" "$tmp/got.csv" ||
    fail "data: $(diff "$tmp/want.csv" "$tmp/got.csv" | head)"
[ "$(count 'oauth/token')" -eq 1 ] || fail "data: not one token request"

# The token is cached, private, and used by the next run.
f=$(find "$tmp/cache/iforest-tools" -type f -name 'token-*')
[ -n "$f" ] || fail "no token cache file"
[ -z "$f" ] || [ "$(ls -l "$f" | cut -c1-10)" = "-rw-------" ] ||
    fail "token cache mode: $(ls -l "$f")"
printf 'time,value\n2024-06-01T00:00:00Z,1.5\n2024-06-01T00:01:00Z,2\n' |
    ts-tojson -i press-anom -C "$tmp/cred.json" |
    clarify rpc >"$tmp/out" 2>"$tmp/err" || fail "rpc: $(cat "$tmp/err")"
grep -q '"result"' "$tmp/out" || fail "rpc: $(cat "$tmp/out")"
printf 'time,value\n2024-06-01T00:00:00Z,1.5\n2024-06-01T00:01:00Z,2\n' |
    cmp -s - "$tmp/rec/points/press-anom.csv" ||
    fail "rpc: points: $(cat "$tmp/rec/points/press-anom.csv")"
[ "$(count 'oauth/token')" -eq 1 ] || fail "rpc: the token was not reused"
[ "$(count 'X-API-Version\|	1.1	')" -ge 4 ] ||
    fail "no X-API-Version 1.1: $(cat "$tmp/rec/requests.log")"

INS='{"jsonrpc":"2.0","id":1,"method":"integration.insert","params":{
"integration":"'$INT'","data":{"times":["2024-06-02T00:00:00Z"],
"series":{"x":[3]}}}}'
INS=$(echo "$INS" | tr -d '\n')

# Without XDG_CACHE_HOME the cache is under ~/.cache, in a private folder.
echo "$INS" | (unset XDG_CACHE_HOME; clarify rpc) >/dev/null 2>"$tmp/err" ||
    fail "home cache: $(cat "$tmp/err")"
ls "$HOME/.cache/iforest-tools/"token-*.json >/dev/null 2>&1 ||
    fail "home cache: no token file"
[ "$(ls -ld "$HOME/.cache/iforest-tools" | cut -c1-10)" = drwx------ ] ||
    fail "home cache: $(ls -ld "$HOME/.cache/iforest-tools")"

# An expired token: one 401, one new token, success.
before=$(count 'oauth/token')
echo expire >"$tmp/ctl"
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "expire: $(cat "$tmp/err")"
[ "$(count '	401	')" -eq 1 ] || fail "expire: not one 401"
[ "$(count 'oauth/token')" -eq $((before + 1)) ] ||
    fail "expire: not one more token"
grep -q '"result"' "$tmp/out" || fail "expire: $(cat "$tmp/out")"

# HTTP 500 twice, then success; "try again" once, then success.
echo "500 2" >"$tmp/ctl"
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "500: $(cat "$tmp/err")"
[ "$(count '	500	')" -eq 2 ] || fail "500: not two 500s"
grep -q '"result"' "$tmp/out" || fail "500: $(cat "$tmp/out")"
echo "try-again 1" >"$tmp/ctl"
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "try-again: $(cat "$tmp/err")"
grep -q '"result"' "$tmp/out" || fail "try-again: $(cat "$tmp/out")"
grep -q 'error -32015' "$tmp/err" || fail "try-again: $(cat "$tmp/err")"

# Retries are bounded: 500 six times gives up after 4 retries.
echo "500 6" >"$tmp/ctl"
before=$(count '	500	')
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" &&
    fail "500 6: exit 0"
[ $(($(count '	500	') - before)) -eq 5 ] || fail "500 6: not 5 tries"
grep -q 'clarify: HTTP 500' "$tmp/err" || fail "500 6: $(cat "$tmp/err")"
echo "500 1" >"$tmp/ctl"
echo "$INS" | clarify rpc >/dev/null 2>&1 || fail "500 left over"

# A JSON-RPC error: code, message and trace; exit 1.
echo "$INS" | sed 's/"x"/"bad id!"/' | clarify rpc >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "bad input id: exit status not 1"
grep -q '^clarify: error -32602: .* (trace [a-z0-9]\{1,\})$' "$tmp/err" ||
    fail "bad input id: $(cat "$tmp/err")"
grep -q '"error"' "$tmp/out" || fail "bad input id: no response"

# A line that is no JSON is reported and skipped; the others are sent.
printf '%s\n{"jsonrpc":\n%s\n' "$INS" "$(echo "$INS" | sed 's/"x"/"y"/')" |
    clarify rpc >"$tmp/out" 2>"$tmp/err"
[ $? -eq 1 ] || fail "not JSON: exit status not 1"
grep -q '^clarify: <stdin>:2: not a JSON value, not sent$' "$tmp/err" ||
    fail "not JSON: $(cat "$tmp/err")"
[ "$(grep -c '"result"' "$tmp/out")" -eq 2 ] ||
    fail "not JSON: $(cat "$tmp/out")"
[ -s "$tmp/rec/points/y.csv" ] || fail "not JSON: the line after not sent"

# Credentials: check names the type of good ones; group-readable,
# malformed, missing a field, bad type are refused.
[ "$(clarify check 2>"$tmp/err")" = client-credentials ] ||
    fail "check: $(cat "$tmp/err")"
n=$(wc -l <"$tmp/rec/requests.log")
chmod 644 "$tmp/cred.json"
clarify check >"$tmp/out" 2>"$tmp/err" && fail "check 644: exit 0"
grep -q "^clarify: $tmp/cred.json: .*group or others" "$tmp/err" &&
    [ ! -s "$tmp/out" ] || fail "check 644: $(cat "$tmp/err" "$tmp/out")"
[ "$(wc -l <"$tmp/rec/requests.log")" -eq "$n" ] || fail "check: sent"
echo "$INS" | clarify rpc >/dev/null 2>"$tmp/err" && fail "644: exit 0"
grep -q "^clarify: $tmp/cred.json: .*group or others" "$tmp/err" ||
    fail "644: $(cat "$tmp/err")"
printf '{"apiUrl":"%s/",' "$url" >"$tmp/cred.json"
chmod 600 "$tmp/cred.json"
echo "$INS" | clarify rpc >/dev/null 2>"$tmp/err" && fail "bad JSON: exit 0"
grep -q "^clarify: $tmp/cred.json:.*not valid JSON" "$tmp/err" ||
    fail "bad JSON: $(cat "$tmp/err")"
creds client-credentials
sed 's/"clientId":"cid",//' "$tmp/cred.json" >"$tmp/c2.json"
chmod 600 "$tmp/c2.json"
clarify -C "$tmp/c2.json" rpc </dev/null 2>"$tmp/err" && fail "no id: exit 0"
grep -q "^clarify: $tmp/c2.json: no \"clientId\"" "$tmp/err" ||
    fail "no id: $(cat "$tmp/err")"
creds oauth
clarify rpc </dev/null 2>"$tmp/err" && fail "bad type: exit 0"
grep -q "^clarify: $tmp/cred.json: credentials type" "$tmp/err" ||
    fail "bad type: $(cat "$tmp/err")"

# HTTP Basic: no token request.
creds basic-auth
before=$(count 'oauth/token')
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "basic: $(cat "$tmp/err")"
grep -q '"result"' "$tmp/out" || fail "basic: $(cat "$tmp/out")"
[ "$(count 'oauth/token')" -eq "$before" ] || fail "basic: token request"

# The token request: form fields URL-encoded, the audience with one slash.
creds client-credentials "$url///"
clarify-helper token-config "$tmp/cred.json" >"$tmp/cfg"
printf '%s\n' "url = \"$url/oauth/token\"" \
    'header = "Content-Type: application/x-www-form-urlencoded"' \
    "data-raw = \"grant_type=client_credentials&client_id=cid&\
client_secret=Sec-ret%2B%2F%26%22x9&audience=http%3A%2F%2F127.0.0.1%3A\
$(cat "$tmp/port")%2Fv1%2F\"" | cmp -s - "$tmp/cfg" ||
    fail "token-config: $(cat "$tmp/cfg")"

# A wrong secret: the token request is refused, and so is the call.
creds client-credentials
sed 's/"clientSecret":"[^}]*"}/"clientSecret":"wrong"}/' "$tmp/cred.json" \
    >"$tmp/c3.json"
chmod 600 "$tmp/c3.json"
echo "$INS" | XDG_CACHE_HOME=$tmp/cache3 clarify -C "$tmp/c3.json" rpc \
    >"$tmp/out" 2>"$tmp/err" && fail "wrong secret: exit 0"
grep -q '^clarify: token request: HTTP 401$' "$tmp/err" &&
    grep -q '^clarify: token request refused: invalid_client' "$tmp/err" ||
    fail "wrong secret: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "wrong secret: output $(cat "$tmp/out")"

# A time-out and HTTP 429 are retried too.
creds client-credentials
echo "slow=3 1" >"$tmp/ctl"
echo "$INS" | CLARIFY_TIMEOUT=1 clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "time-out: $(cat "$tmp/err")"
grep -q 'time-out, try 1 of 4' "$tmp/err" ||
    fail "time-out: $(cat "$tmp/err")"
grep -q '"result"' "$tmp/out" || fail "time-out: $(cat "$tmp/out")"
echo "429 1" >"$tmp/ctl"
echo "$INS" | clarify rpc >"$tmp/out" 2>"$tmp/err" ||
    fail "429: $(cat "$tmp/err")"
grep -q 'HTTP 429, try 1 of 4' "$tmp/err" || fail "429: $(cat "$tmp/err")"

# Paced: the dataFrame requests of one run come at least a second apart.
CLARIFY_PACE=1 clarify data $ITEM 2024-01-01 2024-03-01 >/dev/null \
    2>"$tmp/err" || fail "paced: $(cat "$tmp/err")"
grep 'clarify.dataFrame' "$tmp/rec/requests.log" | tail -n 2 |
    awk '{ split(substr($1, 12), t, ":")
	s[NR] = t[1] * 3600 + t[2] * 60 + t[3] }
	END { exit !(NR == 2 && s[2] - s[1] >= 1) }' ||
    fail "paced: $(tail -n 2 "$tmp/rec/requests.log")"

# A server that keeps the service's pace strictly, refusing a dataFrame
# or insert call that comes less than 0.3 s after the last one with
# HTTP 429.  Data over more than 40 days, paced at 0.6 s (a margin for a
# loaded machine, where a request may reach the server late), meets no 429,
# and neither does a second run that starts at once after the first.
fake-clarify -p "$tmp/tport" -t 120 -c cid -s "$SECRET" -i $INT -l 300 \
    -d "$tmp/data.csv" -r "$tmp/trec" 2>"$tmp/tserver.err" &
tpid=$!
n=0
while [ ! -s "$tmp/tport" ]; do
	n=$((n + 1))
	[ $n -gt 100 ] && { echo "no port file"; exit 1; }
	sleep 0.1
done
creds client-credentials "http://127.0.0.1:$(cat "$tmp/tport")/v1/"
CLARIFY_PACE=0.6 clarify data $ITEM 2024-01-01 2024-03-15 >"$tmp/out" \
    2>"$tmp/err" || fail "throttled: $(cat "$tmp/err")"
CLARIFY_PACE=0.6 clarify data $ITEM 2024-03-15 2024-03-16 >>"$tmp/out" \
    2>>"$tmp/err" || fail "throttled, again: $(cat "$tmp/err")"
[ "$(awk -F'\t' '$4 == "clarify.dataFrame" && $3 == 200' \
    "$tmp/trec/requests.log" | wc -l)" -eq 3 ] ||
    fail "throttled: $(cat "$tmp/trec/requests.log")"
! grep -q '	429	' "$tmp/trec/requests.log" ||
    fail "throttled: refused $(grep -c '	429	' "$tmp/trec/requests.log")"
[ ! -s "$tmp/err" ] || fail "throttled: $(cat "$tmp/err")"
[ "$(ts-fromjson "$tmp/out" | sed 1d | wc -l)" -eq $((74 * 4 + 4)) ] ||
    fail "throttled: $(ts-fromjson "$tmp/out" | wc -l) lines"

# Unpaced, the second request is refused; the client waits as long as
# Retry-After says, longer than CLARIFY_WAIT, and then gets its answer.
sleep 0.4
: >"$tmp/trec/requests.log"
CLARIFY_PACE=0 clarify data $ITEM 2024-01-01 2024-03-01 >"$tmp/out" \
    2>"$tmp/err" || fail "refused: $(cat "$tmp/err")"
grep -q '^clarify: HTTP 429, try 1 of 4 again in 1 s$' "$tmp/err" ||
    fail "refused: $(cat "$tmp/err")"
awk -F'\t' '$4 == "clarify.dataFrame" { print $3, $6 }' \
    "$tmp/trec/requests.log" | tr '\n' ' ' |
    grep -qx '200 - 429 throttled 200 - ' ||
    fail "refused: $(cat "$tmp/trec/requests.log")"
[ "$(ts-fromjson "$tmp/out" | sed 1d | wc -l)" -eq $((60 * 4)) ] ||
    fail "refused: $(ts-fromjson "$tmp/out" | wc -l) lines"
creds client-credentials

# Usage and bad times.
clarify data $ITEM 2024-02-30 2024-03-01 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] || fail "bad date: not status 2"
grep -q '^clarify: 2024-02-30: ' "$tmp/err" ||
    fail "bad date: $(cat "$tmp/err")"
clarify data $ITEM 2024-03-01 2024-03-01 >/dev/null 2>&1
[ $? -eq 2 ] || fail "empty span: not status 2"
v=$(clarify-helper --version | cut -d' ' -f2)
[ "$(clarify --version)" = "clarify $v" ] ||
    fail "--version: $(clarify --version)"
clarify data $ITEM 2>/dev/null
[ $? -eq 2 ] || fail "data without times: not a usage error"

# The secret is nowhere to be seen.
grep -q '^ARGV: -K - ' "$tmp/curl.log" || fail "the curl wrapper was not used"
! grep -q 'Authorization\|Bearer\|Basic' "$tmp/curl.log" ||
    fail "Authorization in curl's arguments or environment"
b64=$(printf 'cid:%s' "$SECRET" | base64)
for f in "$tmp/curl.log" "$tmp/allerr" "$tmp/server.err" \
    "$tmp/rec/requests.log"; do
	! grep -qF -- "$SECRET" "$f" || fail "secret in $f"
	! grep -qF -- 'Sec-ret' "$f" || fail "secret in $f"
	! grep -qF -- "$b64" "$f" || fail "Basic credentials in $f"
done

exit $rc
