#!/bin/sh
# The demo runs from a clean output folder, leaves the files the README
# promises, and prints the summary the README quotes.
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
rc=0

sh "$top/demo/run.sh" "$tmp/out" >"$tmp/summary" 2>"$tmp/err" || {
	echo "demo failed:"
	cat "$tmp/err"
	exit 1
}
[ -s "$tmp/err" ] && { echo "demo wrote to stderr:"; cat "$tmp/err"; rc=1; }
for f in scored.csv anomalies.csv insert.jsonl alert.eml machine.model; do
	[ -s "$tmp/out/$f" ] || { echo "demo left no $f"; rc=1; }
done

# Every summary line but the folder's appears, indented, in the README.
grep -v -e '^output folder' -e '^                 ' "$tmp/summary" |
while IFS= read -r line; do
	grep -qxF "    $line" "$top/README.md" ||
	    { echo "README does not quote: $line"; exit 1; }
done || rc=1

# Scored rows are the new rows, one for one, and every flagged row is in
# anomalies.csv.
new=$(wc -l <"$tmp/out/new.csv")
scored=$(wc -l <"$tmp/out/scored.csv")
[ "$new" -eq "$scored" ] || { echo "new $new rows, scored $scored"; rc=1; }
flagged=$(awk -F, 'NR > 1 && $NF == 1' "$tmp/out/scored.csv" | wc -l)
listed=$(($(wc -l <"$tmp/out/anomalies.csv") - 1))
[ "$flagged" -eq "$listed" ] || { echo "$flagged flagged, $listed listed"; rc=1; }
grep -q "^Subject: $flagged anomalies detected" "$tmp/out/alert.eml" ||
    { echo "alert.eml does not count $flagged anomalies"; rc=1; }
exit $rc
