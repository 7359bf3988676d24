#!/bin/sh
# The anomaly pipeline, end to end, on a real sensor series, offline.
#
# The NAB machine-temperature series is served the way Clarify would serve
# it (clarify.dataFrame responses of at most 40 days), turned into CSV,
# split at a cut date into history and new points, and then:
#
#	history  -> iforest-train                 -> machine.model
#	new      -> iforest-score                 -> scored.csv
#	scored   -> the anomalous rows            -> anomalies.csv
#	anomalies-> ts-tojson                     -> insert.jsonl
#	anomalies-> alert-mail                    -> alert.eml
#
# usage: sh demo/run.sh [output-folder]		(default demo/out)
# The programs are taken from bin/ beside this folder.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/demo/out}
data=$top/demo/data
PATH=$top/bin:$PATH
export PATH
LC_ALL=C
export LC_ALL

item=demo00machinetemp000	# the series' item id in Clarify
integration=demo00integration000
input=machine_temperature_anomalies
cut=2014-01-01T00:00:00Z	# train on what came before, score what after

mkdir -p "$out"
cd "$out"

# 1. What Clarify would answer to clarify.dataFrame over the whole span.
awk -v item="$item" -f "$data/../frames.awk" \
    "$data/machine_temperature_system_failure.csv" >responses.json

# 2. Into CSV, the series key renamed to a column name.
ts-fromjson -r "$item=temperature" responses.json >series.csv

# 3. Split at the cut.  Times are UTC RFC 3339, so they sort as text.
awk -F, -v cut="$cut" 'NR == 1 || $1 < cut' series.csv >history.csv
awk -F, -v cut="$cut" 'NR == 1 || $1 >= cut' series.csv >new.csv

# 4. Train with the parameters of the notebook this replaces.
iforest-train -n 90 -s 200 -c 0.01 -r 100 -o machine.model history.csv

# 5. Score the new points, as the hourly job does, and keep the anomalies.
iforest-score -m machine.model new.csv >scored.csv
awk -F, 'NR == 1 || $NF == 1' scored.csv >anomalies.csv

# 6. The integration.insert request(s) that write them back to Clarify.
ts-tojson -i "$input" -n "$integration" -c temperature anomalies.csv \
    >insert.jsonl

# 7. The alert mail, for msmtp -t.  alert-mail exits 1 when there is
# nothing to report, like grep.
status=0
alert-mail -f plant@example.org -t ops@example.org \
    -t maintenance@example.org -n "Machine temperature" \
    -d "$(tail -n 1 new.csv | cut -d, -f1)" anomalies.csv >alert.eml ||
    status=$?
if [ "$status" -eq 1 ]; then
	rm -f alert.eml
elif [ "$status" -ne 0 ]; then
	exit "$status"
fi

# 8. What was done, and how the flags compare with NAB's labelled windows.
rows=$(($(wc -l <series.csv) - 1))
trained=$(($(wc -l <history.csv) - 1))
scored=$(($(wc -l <scored.csv) - 1))
flagged=$(($(wc -l <anomalies.csv) - 1))
awk -F, -v cut="$cut" '
	FNR == 1 { next }
	FILENAME ~ /windows/ {
		s = $1; e = $2
		sub(/ /, "T", s); sub(/ /, "T", e)
		if (e "Z" >= cut) { ws[++nw] = s "Z"; we[nw] = e "Z" }
		next
	}
	{
		inside = 0
		for (i = 1; i <= nw; i++)
			if ($1 >= ws[i] && $1 <= we[i]) { hit[i] = 1; inside = 1 }
		if (!inside) outside++
	}
	END {
		for (i = 1; i <= nw; i++) found += hit[i]
		printf "labelled windows after the cut: %d, flagged: %d\n", \
		    nw, found
		printf "flagged points outside any window: %d\n", outside + 0
	}' "$data/windows.csv" anomalies.csv >windows.txt

echo "rows read:       $rows (from $(wc -l <responses.json) responses)"
echo "trained on:      $trained rows before $cut"
echo "scored:          $scored rows from $cut on"
echo "flagged:         $flagged"
cat windows.txt
echo "output folder:   $out"
for f in scored.csv anomalies.csv insert.jsonl alert.eml; do
	[ -f "$f" ] && echo "                 $f"
done
exit 0
