#!/bin/sh
# Security review, one check per finding:
#
#	secrets (client secret, token, HTTP Basic credentials) in no
#	    process's argument list or environment while clarify talks to
#	    a slowed server, in no message, and in no file that others
#	    could read; clarify-helper runs with core dumps disabled
#	permissions: the job's state folder 700, its files 600, the token
#	    cache 600 in a 700 folder, whatever the umask
#	mail headers: item names, ids and CSV data cannot add a header
#	HTML: names and data are escaped in the mail's HTML part
#	JSON: input ids and series names cannot add a member
#	shell: configuration values and file names with $(...), backticks,
#	    ;, quotes, spaces and leading dashes are data, never code or
#	    options
#	symbolic links planted at the token cache's path are not written
#	    through
. "$(dirname "$0")/tools/peers.sh"
SECRET='Zq9-secret-Xv7'
CID='cid-Wk4'
cd "$tmp" || exit 2

{
	echo "time,$ITEM"
	three_days
	echo "2013-12-06T00:30:00Z,500"
} >data.csv
fake-clarify -p cport -t 120 -c "$CID" -s "$SECRET" -d data.csv -r rec \
    -f ctl 2>server.err &
cpid=$!
smtp-sink -d mail -p sport -i 120 2>sink.err &
spid=$!
waitport cport
waitport sport
URL="http://127.0.0.1:$(cat cport)/v1/"

# creds FILE TYPE: a credentials file of that type.
creds() {
	printf '{"apiUrl":"%s","integration":"%s","credentials":%s%s\n' \
	    "$URL" $ID "{\"type\":\"$2\",\"clientId\":\"$CID\"," \
	    "\"clientSecret\":\"$SECRET\"}}" >"$1"
	chmod 600 "$1"
}
creds cc.json client-credentials
creds ba.json basic-auth
BASIC=$(printf '%s:%s' "$CID" "$SECRET" | base64)

# watch OUT: every process's argument list and environment (but the
# fake server's, which is given the secret), again and again until the
# file stop appears, appended to OUT, and the files and folders in
# clarify's temporary folder that others may read, to OUT.files.
watch() {
	while [ ! -e stop ]; do
		for p in /proc/[0-9]*; do
			[ "${p#/proc/}" != "$cpid" ] || continue
			{
				tr '\0' '\n' <"$p/cmdline"
				tr '\0' '\n' <"$p/environ"
				echo "comm $(cat "$p/comm")"
			} 2>/dev/null
		done >>"$1"
		find "$tmp/t" -mindepth 1 -perm /077 >>"$1.files" 2>/dev/null
	done
}

# spied CRED CMD...: run clarify slowly while watching.
spied() {
	rm -f stop
	watch seen &
	w=$!
	"$@" >out 2>>msgs
	s=$?
	touch stop
	wait "$w"
	return $s
}

REQ='{"jsonrpc":"2.0","method":"clarify.selectItems","id":1,"params":{}}'
printf 'slow=1 1 oauth/token\nslow=1 2\n' >ctl
echo "$REQ" | spied clarify -C cc.json rpc || fail "clarify: $(cat msgs)"
printf 'slow=1 2\n' >ctl
echo "$REQ" | spied clarify -C ba.json rpc || fail "basic: $(cat msgs)"
clarify -C ba.json data $ITEM 2013-12-05T00:00:00Z 2013-12-07T00:00:00Z \
    >out 2>>msgs || fail "data: $(cat msgs)"
TOKEN=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' \
    "$XDG_CACHE_HOME"/iforest-tools/token-*.json)
[ -n "$TOKEN" ] || fail "no token cached"
[ -s seen ] || fail "the watcher saw nothing"
grep -q '^comm curl$' seen || fail "the watcher missed curl"
for s in "$SECRET" "$TOKEN" "$BASIC"; do
	[ -n "$s" ] || continue
	! grep -qF -- "$s" seen || fail "a secret in an argument list or" \
	    "environment: $(grep -F -- "$s" seen | head -n 3)"
done
! grep -q . seen.files 2>/dev/null ||
    fail "temporary files others may read: $(sort -u seen.files)"

# Core dumps: clarify-helper, held reading a FIFO, has a core limit of 0.
mkfifo fifo
# (core dumps allowed first, so that the check means something where
# they are off by default)
ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null ||
    echo "core dumps cannot be allowed here: the check is empty"
clarify-helper response fifo >/dev/null 2>&1 &
h=$!
exec 3>fifo
grep -q '^Max core file size  *0  *0 ' "/proc/$h/limits" ||
    fail "clarify-helper may dump core: $(grep core "/proc/$h/limits")"
exec 3>&-
wait "$h"

# Messages: a refused secret, a 401, a bad token answer.
printf '{"apiUrl":"%s","integration":"%s","credentials":%s%s\n' \
    "$URL" $ID "{\"type\":\"client-credentials\",\"clientId\":\"$CID\"," \
    "\"clientSecret\":\"$SECRET-wrong\"}}" >wrong.json
chmod 600 wrong.json
echo "$REQ" | XDG_CACHE_HOME=$tmp/cache2 clarify -C wrong.json rpc \
    >/dev/null 2>>msgs && fail "a wrong secret was accepted"
echo expire >ctl
echo "$REQ" | clarify -C cc.json rpc >/dev/null 2>>msgs ||
    fail "after expiry: $(cat msgs)"
printf '{"apiUrl":"%s","integration":"%s","credentials":%s\n' "$URL" $ID \
    "{\"type\":\"x-$SECRET\",\"clientId\":\"$CID\",\"clientSecret\":\"$SECRET\"}}" \
    >badtype.json
chmod 600 badtype.json
clarify -C badtype.json rpc </dev/null 2>>msgs && fail "a bad type was taken"
printf '{"apiUrl":"%s","integration":"%s",' "$URL" $ID >broken.json
printf '"credentials":{"clientSecret":"%s",}}\n' "$SECRET" >>broken.json
chmod 600 broken.json
clarify -C broken.json rpc </dev/null 2>>msgs && fail "broken JSON was taken"
[ -s msgs ] || fail "no messages to look at"
for s in "$SECRET" "$TOKEN" "$BASIC"; do
	! grep -qF -- "$s" msgs || fail "a secret in a message:" \
	    "$(grep -F -- "$s" msgs | head -n 3)"
done

# The token cache: private, whatever the umask, and not written through
# a symbolic link planted at its path.
c=$(ls "$XDG_CACHE_HOME"/iforest-tools/token-*.json | head -n 1)
[ "$(stat -c %a "$c")" = 600 ] || fail "token cache mode $(stat -c %a "$c")"
[ "$(stat -c %a "$XDG_CACHE_HOME/iforest-tools")" = 700 ] ||
    fail "token cache folder mode"
rm -rf "$XDG_CACHE_HOME"
echo victim >victim
chmod 644 victim
mkdir -p "$XDG_CACHE_HOME/iforest-tools"
(umask 000 && echo "$REQ" | clarify -C cc.json rpc >/dev/null 2>>msgs) ||
    fail "umask 000: $(cat msgs)"
c=$(ls "$XDG_CACHE_HOME"/iforest-tools/token-*.json)
[ "$(stat -c %a "$c")" = 600 ] ||
    fail "umask 000: token cache mode $(stat -c %a "$c")"
rm -f "$c"
ln -s "$tmp/victim" "$c"
echo "$REQ" | clarify -C cc.json rpc >/dev/null 2>>msgs ||
    fail "planted link: $(cat msgs)"
[ "$(cat victim)" = victim ] || fail "the token was written through a link"
[ ! -L "$c" ] || fail "the planted link is still the cache"

# The job: permissions of what it writes, with the umask at 000.
job_conf "$tmp/cc.json" sec-in
(umask 000 && ANOMALY_JOB_NOW=2013-12-06T00:00:00Z anomaly-job -c job.conf) \
    2>>joberr || fail "job train: $(cat joberr)"
(umask 000 && ANOMALY_JOB_NOW=2013-12-06T01:00:00Z anomaly-job -c job.conf) \
    2>>joberr || fail "job window: $(cat joberr)"
grep -q 'found 1 anomal' joberr || fail "job: no anomaly: $(cat joberr)"
[ "$(stat -c %a state)" = 700 ] || fail "state folder mode $(stat -c %a state)"
find state -type f ! -perm 600 | grep . &&
    fail "state files not 600: $(find state -type f ! -perm 600)"
find state -type d ! -perm 700 | grep . &&
    fail "state folders not 700: $(find state -type d ! -perm 700)"
find "$XDG_CACHE_HOME" -type f ! -perm 600 | grep . && fail "cache files"
! grep -qF -- "$SECRET" joberr || fail "the secret in the job's messages"

# Mail headers: names, ids and data with CR, LF and header lines.
printf 'time,score,anomaly,v\n2013-12-06T00:30:00Z,0.9,1,1\n' >inj.csv
printf 'time,score,anomaly,%s\n' '"v\r\nBcc: evil@example.org"' >injh.csv
printf '2013-12-06T00:30:00Z,0.9,1,1\n' >>injh.csv
printf 'time,score,anomaly,v\n' >injv.csv
printf '2013-12-06T00:30:00Z,0.9,1,"1\r\nBcc: evil@example.org"\n' >>injv.csv
headers() {
	sed -n '1,/^\r\{0,1\}$/p' "$1" | tr -d '\r'
}
noheader() {
	! headers "$1" | grep -qi '^bcc:' || fail "$2: a Bcc header"
	! headers "$1" | grep -qi '^X-Evil' || fail "$2: an X-Evil header"
}
# refused WHAT FILE: the run before exited 2 and wrote nothing to FILE.
refused() {
	[ "$s" -eq 2 ] && [ ! -s "$2" ] ||
	    fail "$1: status $s, $(wc -c <"$2") bytes written: $(cat err)"
}
alert-mail -f a@example.org -t b@example.org -n 'pump
Bcc: evil@example.org' inj.csv >m1 2>err
s=$?; refused "name with LF" m1
alert-mail -f a@example.org -t b@example.org -n "$(printf 'p\rX-Evil: 1')" \
    inj.csv >m2 2>err
s=$?; refused "name with CR" m2
alert-mail -f a@example.org -t b@example.org -i "$(printf 'x\nBcc: e@x.org')" \
    inj.csv >m3 2>err
s=$?; refused "item id with LF" m3
alert-mail -f a@example.org -t b@example.org -n pump injv.csv >m4 2>err
s=$?; refused "CRLF in a CSV value" m4
# A column name is only ever body text, where a line break is harmless.
alert-mail -f a@example.org -t b@example.org -n pump injh.csv >m4 2>err ||
    fail "CRLF in a column name: $(cat err)"
noheader m4 "CRLF in a column name"
alert-mail -f a@example.org -t b@example.org -n pump inj.csv >m0 2>err ||
    fail "the plain mail: $(cat err)"
[ "$(headers m0 | grep -c '^To: ')" -eq 1 ] || fail "the plain mail: headers"
alert-mail -f a@example.org -t 'b@example.org, c@example.org
Bcc: evil@example.org' -n pump inj.csv >m5 2>err
s=$?; refused "recipient with LF" m5
alert-mail -f 'a@example.org
Bcc: evil@example.org' -t b@example.org -n pump inj.csv >m6 2>err
s=$?; refused "sender with LF" m6

# HTML: a name and a column name with markup are escaped; an item id
# with markup is refused.
printf 'time,score,anomaly,%s\n' '<b>v</b>' >html.csv
printf '2013-12-06T00:30:00Z,0.9,1,1\n' >>html.csv
alert-mail -f a@example.org -t b@example.org -n '<script>alert(1)</script>' \
    html.csv >m7 2>err || fail "markup in names: $(cat err)"
tr -d '\r' <m7 | sed -n '/^Content-Type: text\/html/,/^--/p' >html
[ -s html ] || fail "no HTML part"
grep -q '&lt;script&gt;' html || fail "markup in names: not escaped"
grep -q '&lt;b&gt;v&lt;/b&gt;' html || fail "markup in a column: not escaped"
! grep -q '<script>\|<b>v</b>' html ||
    fail "markup in the HTML part: $(grep '<script>\|<b>v' html)"
alert-mail -f a@example.org -t b@example.org -n pump -i '"><img src=x>' \
    html.csv >m8 2>err
[ $? -eq 2 ] || fail "an item id with markup was taken"
! grep -q '<img src=x>' m8 || fail "markup from the item id in the mail"

# JSON: input ids that would close the string are refused; a series name
# with quotes, commas and LF is one CSV field.
printf 'time,value\n2013-12-06T00:30:00Z,1\n' >one.csv
for i in 'a","x":"y' 'a\u0022' 'a b' "$(printf 'a\nb')"; do
	ts-tojson -i "$i" -n $ID one.csv >j 2>err &&
	    fail "input id \"$i\" taken: $(cat j)"
	grep -q '^ts-tojson: ' err || fail "input id \"$i\": $(cat err)"
done
printf '{"times":["2013-12-06T00:30:00Z"],"series":{"k":[1]}}\n' >f.json
ts-fromjson -r 'k=a,"b"
c' f.json >fj 2>err || fail "ts-fromjson -r: $(cat err)"
[ "$(head -n 2 fj)" = 'time,"a,""b""
c"' ] || fail "ts-fromjson -r: header $(head -n 2 fj)"

# File names with spaces, quotes, a leading dash, $(...) and backticks,
# given to every program.
N='-x $(touch pwned) `touch pwned`; a"b'"'"'c.csv'
cp one.csv "./$N"
iforest-train -r 1 -o "./$N.model" -- "$N" 2>err ||
    fail "iforest-train: $(cat err)"
iforest-score -m "./$N.model" -- "$N" >/dev/null 2>err ||
    fail "iforest-score: $(cat err)"
ts-tojson -i in -n $ID -- "$N" >/dev/null 2>err || fail "ts-tojson: $(cat err)"
cp f.json "./$N.json"
ts-fromjson -- "$N.json" >/dev/null 2>err || fail "ts-fromjson: $(cat err)"
printf 'time,score,anomaly,v\n2013-12-06T00:30:00Z,0.9,1,1\n' >"./$N"
alert-mail -f a@example.org -t b@example.org -- "$N" >/dev/null 2>err ||
    fail "alert-mail: $(cat err)"
cp cc.json "./$N.cred"
chmod 600 "./$N.cred"
clarify-helper check "./$N.cred" >/dev/null 2>err ||
    fail "clarify-helper: $(cat err)"
echo "$REQ" | clarify -C "./$N.cred" rpc >/dev/null 2>err ||
    fail "clarify: $(cat err)"
[ ! -e pwned ] || fail "a file name was run"

# Configuration values with shell syntax are data.
mkdir "q s"
for v in '$(touch pwned)' '`touch pwned`' 'x; touch pwned' "a'b\"c" \
    '-oQ/tmp/x' '$HOME'; do
	cat >"q s/job.conf" <<EOF
credentials = $tmp/cc.json
item = $ITEM
input = sec-in
name = $v
train_from = 2013-12-05T00:00:00Z
lag = 0
plot = no
mail_from = plant@example.org
mail_to = ops@example.org
msmtp_config = $tmp/msmtprc
state = $tmp/q s/st $v
EOF
	ANOMALY_JOB_NOW=2013-12-06T00:00:00Z anomaly-job -c "q s/job.conf" \
	    2>err
	[ ! -e pwned ] || fail "configuration value $v was run"
	ls "q s" | grep -q "^st " || fail "value $v: no state $(cat err)"
	rm -rf "q s"/st*
done
for v in '$(touch pwned)@example.org' '-oQ/tmp/x@example.org'; do
	cat >"q s/job.conf" <<EOF
credentials = $tmp/cc.json
item = $ITEM
input = sec-in
train_from = 2013-12-05T00:00:00Z
mail_from = plant@example.org
mail_to = $v
msmtp_config = $tmp/msmtprc
state = $tmp/q s/st
EOF
	ANOMALY_JOB_NOW=2013-12-06T00:00:00Z anomaly-job -c "q s/job.conf" \
	    2>err
	[ ! -e pwned ] || fail "mail_to $v was run"
done

exit $rc
