#!/bin/sh
# The README's pipeline runs as written: its code blocks under "The
# pipeline" are run in order, on answers made from the demo series, with a
# stand-in msmtp that keeps the message it is given.
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
mkdir bin
cat >bin/msmtp <<'MSMTP'
#!/bin/sh
[ "$1" = "-t" ] || exit 64
cat >sent.eml
MSMTP
chmod +x bin/msmtp
PATH=$tmp/bin:$top/bin:$PATH
export PATH

# The commands: indented lines between "## The pipeline" and the table.
awk '/^## The pipeline/ { on = 1; next }
	on && /^\|/ { exit }
	on && /^    / { print substr($0, 5) }' "$top/README.md" >pipeline.sh
[ -s pipeline.sh ] || { echo "no pipeline found in README.md"; exit 1; }

item=c1vcqk2005qb5nusljko
series=$top/demo/data/machine_temperature_system_failure.csv
awk -v item=$item -f "$top/demo/frames.awk" "$series" >all.json
head -n 1 all.json >history.json
# The last hour: the last twelve five-minute readings, plus one far off.
{ head -n 1 "$series"; tail -n 12 "$series"; echo "2014-02-19 15:30:00,5"; } |
    awk -v item=$item -f "$top/demo/frames.awk" >lasthour.json
cat >clarify-credentials.json <<'CREDS'
{"apiUrl":"https://api.clarify.io/v1/","integration":"c8ktonqsahsmemfs7lv0",
 "credentials":{"type":"client-credentials","clientId":"x","clientSecret":"y"}}
CREDS
chmod 600 clarify-credentials.json

sh -e pipeline.sh 2>err || { echo "pipeline failed:"; cat pipeline.sh err; exit 1; }
rc=0
[ -s err ] && { echo "pipeline wrote to stderr:"; cat err; rc=1; }
[ "$(wc -l <scored.csv)" -eq 14 ] || { echo "scored.csv:"; cat scored.csv; rc=1; }
grep -q '^2014-02-19T15:30:00Z,5,[0-9.]*,1$' scored.csv ||
    { echo "the planted point is not flagged"; rc=1; }
grep -q '"2014-02-19T15:30:00Z"' insert.jsonl ||
    { echo "insert.jsonl lacks the planted point"; rc=1; }
grep -q '^To: ops@example.org' sent.eml ||
    { echo "no mail reached msmtp"; rc=1; }

# An hour without data: the same commands end well, and no mail goes out.
mkdir empty && cd empty || exit 2
cp ../history.json ../clarify-credentials.json .
printf '%s\n' '{"jsonrpc":"2.0","id":1,"result":{"meta":{"total":-1},' \
    '"data":{"times":[],"series":{}}}}' | tr -d '\n' >lasthour.json
echo >>lasthour.json
sh -e ../pipeline.sh 2>err ||
    { echo "empty hour: pipeline failed:"; cat err; rc=1; }
[ -s err ] && { echo "empty hour wrote to stderr:"; cat err; rc=1; }
[ "$(cat scored.csv)" = "time,temp,score,anomaly" ] ||
    { echo "empty hour: scored.csv:"; cat scored.csv; rc=1; }
[ -s insert.jsonl ] && { echo "empty hour: requests written"; rc=1; }
[ -e sent.eml ] && { echo "empty hour: a mail was sent"; rc=1; }
exit $rc
