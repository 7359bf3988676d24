#!/bin/sh
# Every write is checked and the files that matter are replaced whole:
#
#	standard output on /dev/full: each program says so and exits 1
#	    (alert-mail 2)
#	a reader that goes away: the writer ends by SIGPIPE, quietly, or,
#	    with SIGPIPE ignored, says "Broken pipe" and exits 1
#	a model whose write fails half-way (a file size limit, EFBIG) or
#	    that is killed half-way (SIGXFSZ): the old model is intact and,
#	    after the failure, no temporary file is left
#	the token cache: its write failing or killed half-way leaves the
#	    old token; a cache folder that cannot be written is an error
#	    that names it
#
# Permissions mean nothing to root, so the read-only cases run as
# "nobody" through setpriv when the test runs as root.
. "$(dirname "$0")/tools/setup.sh"

in_tmp

# full WANT PATTERN CMD...: CMD, its output on /dev/full, exits WANT
# and its message matches PATTERN.
full() {
	want=$1
	pat=$2
	shift 2
	"$@" >/dev/full 2>err
	s=$?
	[ "$s" -eq "$want" ] || fail "$*: status $s, not $want: $(cat err)"
	grep -q -- "$pat" err || fail "$*: message: $(cat err)"
}

ID=c8ktonqsahsmemfs7lv0
ITEM=c1vcqk2005qb5nusljko
awk 'BEGIN {
	print "time,x,y"
	for (i = 0; i < 100000; i++)
		printf "%d-01-01T%02d:%02d:%02dZ,%d,%d\n", 2000 + int(i / 86400),
		    int(i % 86400 / 3600), int(i % 3600 / 60), i % 60,
		    i % 97, i % 89
}' >big.csv
head -n 200 big.csv >s.csv
iforest-train -r 1 -o s.model s.csv || fail "training"
printf '{"times":["2020-01-01T00:00:00Z"],"series":{"a":[1]}}\n' >f.json
sed 1d big.csv | awk -F, '{ printf "{\"times\":[\"%s\"],%s%d]}}\n", \
    $1, "\"series\":{\"a\":[", $2 }' >many.json
iforest-score -m s.model big.csv |
    awk -F, 'BEGIN { OFS = "," } NR > 1 { $NF = 1 } 1' >scored.csv

# Standard output on a full disk.
NOSPACE='No space left on device$'
full 1 "^iforest-score: write error: $NOSPACE" \
    iforest-score -m s.model s.csv
full 1 "^iforest-train: .*$NOSPACE" iforest-train -o - s.csv
full 1 "^iforest-train: /dev/full: .*$NOSPACE" \
    iforest-train -o /dev/full s.csv
full 1 "^ts-fromjson: write error: $NOSPACE" ts-fromjson f.json
full 1 "^ts-tojson: write error: $NOSPACE" \
    ts-tojson -i in -n $ID s.csv
full 2 "^alert-mail: .*$NOSPACE" \
    alert-mail -f a@example.org -t b@example.org -c x s.csv
full 1 "^clarify: write error: $NOSPACE" \
    clarify-helper data $ITEM 2020-01-01T00:00:00Z 2021-01-01T00:00:00Z
full 1 "^clarify-helper: write error: $NOSPACE" clarify-helper --version

# A reader that goes away after one byte: SIGPIPE (status 141 from a
# shell), no message; with SIGPIPE ignored, a message and status 1.
pipe() {
	want=$1
	shift
	{ "$@" 2>err; echo $? >st; } | head -c 1 >/dev/null
	s=$(cat st)
	[ "$s" -eq "$want" ] || fail "closed pipe: $*: status $s: $(cat err)"
	if [ "$want" -eq 1 ] || [ "$want" -eq 2 ]; then
		grep -q 'Broken pipe$' err ||
		    fail "closed pipe: $*: message: $(cat err)"
	else
		[ ! -s err ] || fail "closed pipe: $*: message: $(cat err)"
	fi
}
nopipe() {
	(trap '' PIPE && exec "$@")
}
for how in "" nopipe; do
	want=141
	[ -z "$how" ] || want=1
	pipe $want $how iforest-score -m s.model big.csv
	pipe $want $how ts-fromjson many.json
	pipe $want $how ts-tojson -i in -n $ID big.csv
	pipe $want $how clarify-helper data $ITEM 2000-01-01T00:00:00Z \
	    2900-01-01T00:00:00Z
	[ -z "$how" ] || want=2
	pipe $want $how alert-mail -m 0 -f a@example.org -t b@example.org \
	    scored.csv
done

# A model written over an old one fails half-way: the old one is intact.
iforest-train -r 2 -n 1000 -o m.model big.csv || fail "big model"
iforest-train -r 3 -o m.model s.csv || fail "small model"
cp m.model old.model
(trap '' XFSZ && ulimit -f 64 && exec iforest-train -r 2 -n 1000 \
    -o m.model big.csv) 2>err
s=$?
[ "$s" -eq 1 ] || fail "EFBIG: status $s: $(cat err)"
grep -q '^iforest-train: m.model: .*File too large$' err ||
    fail "EFBIG: message: $(cat err)"
cmp -s m.model old.model || fail "EFBIG: the old model was changed"
[ "$(ls -A | grep -c model)" -eq 3 ] ||
    fail "EFBIG: temporary files left: $(ls -A)"
# (the shell between says "File size limit exceeded" into /dev/null)
sh -c 'ulimit -f 64 && iforest-train -r 2 -n 1000 -o m.model big.csv
exit $?' 2>/dev/null
s=$?
[ "$s" -gt 128 ] || fail "SIGXFSZ: status $s"
cmp -s m.model old.model || fail "SIGXFSZ: the old model was changed"
iforest-score -m m.model s.csv >/dev/null || fail "the old model is unusable"

# The token cache: a token response cached over an old token, the write
# failing or killed half-way, then a folder that cannot be written.
XDG_CACHE_HOME=$tmp/cache
export XDG_CACHE_HOME
printf '{"apiUrl":"http://127.0.0.1:9/v1/","integration":"%s",%s\n' $ID \
    '"credentials":{"type":"client-credentials","clientId":"c","clientSecret":"s"}}' \
    >cred.json
chmod 600 cred.json
printf '{"access_token":"old-token","expires_in":3600}\n' >tok1.json
printf '{"access_token":"new-token","expires_in":7200}\n' >tok2.json
clarify-helper token-save cred.json tok1.json || fail "token-save"
cache=$(ls "$XDG_CACHE_HOME"/iforest-tools/token-*.json)
[ -f "$cache" ] || fail "no token cache"
cp "$cache" oldtok
# (its message goes through a pipe: a file could not take it)
{ (trap '' XFSZ && ulimit -f 0 && exec clarify-helper token-save \
    cred.json tok2.json) 2>&1; echo $? >st; } | cat >err
[ "$(cat st)" -eq 1 ] || fail "cache EFBIG: status $(cat st)"
grep -q '^clarify: .*token-.*: File too large$' err ||
    fail "cache EFBIG: message: $(cat err)"
cmp -s "$cache" oldtok || fail "cache EFBIG: the old token was changed"
[ "$(ls -A "$XDG_CACHE_HOME/iforest-tools" | wc -l)" -eq 1 ] ||
    fail "cache EFBIG: left $(ls -A "$XDG_CACHE_HOME/iforest-tools")"
sh -c 'ulimit -f 0 && clarify-helper token-save cred.json tok2.json
exit $?' 2>/dev/null
[ $? -gt 128 ] || fail "cache SIGXFSZ: not killed"
cmp -s "$cache" oldtok || fail "cache SIGXFSZ: the old token was changed"
clarify-helper rpc-config cred.json | grep -q 'Bearer old-token"$' ||
    fail "cache SIGXFSZ: the old token is unusable"
clarify-helper token-save cred.json tok2.json || fail "token-save 2"
clarify-helper rpc-config cred.json | grep -q 'Bearer new-token"$' ||
    fail "token-save 2: not the new token"

# Read-only folders, as a user that permissions apply to.
asuser() {
	"$@"
}
if [ "$(id -u)" -eq 0 ]; then
	if ! command -v setpriv >/dev/null 2>&1; then
		echo "skipped: the read-only cases need setpriv as root"
		exit $rc
	fi
	asuser() {
		setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
	}
	chmod 755 "$tmp"
fi
mkdir ro ro/cache
cp s.model ro/m.model
cp cred.json ro/cred.json
chmod 644 ro/m.model
[ "$(id -u)" -ne 0 ] || chown -R 65534:65534 ro
chmod 555 ro ro/cache
asuser iforest-train -r 5 -o ro/m.model s.csv 2>err
[ $? -eq 1 ] || fail "read-only folder: iforest-train did not fail"
grep -q '^iforest-train: ro/m.model: .*Permission denied$' err ||
    fail "read-only folder: iforest-train: $(cat err)"
cmp -s ro/m.model s.model || fail "read-only folder: the model changed"
chmod 600 ro/cred.json 2>/dev/null
XDG_CACHE_HOME=$tmp/ro/cache asuser clarify-helper token-save ro/cred.json \
    tok1.json 2>err
[ $? -eq 1 ] || fail "read-only cache: token-save did not fail"
grep -q "^clarify: .*ro/cache/iforest-tools: Permission denied$" err ||
    fail "read-only cache: $(cat err)"

exit $rc
