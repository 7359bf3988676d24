#!/bin/sh
# alert-mail: the shape of the messages it writes, beyond what a golden
# case shows.  Every line ends in LF with no CR anywhere, none exceeds 998
# bytes, the header section is ASCII with each header once and lines of
# at most 78 columns, the text keeps to its transfer encoding's line
# length and no text line starts with a dot; the same -d gives the same
# bytes, another message another Message-ID, display names included; a
# bad row after many good ones leaves the output empty; a time column
# other than the first works through the whole pipeline; a file scored
# twice is refused; a line of the text that is a lone dot goes out
# quoted-printable and decodes back.
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
LC_ALL=C
export PATH LC_ALL
unset SOURCE_DATE_EPOCH
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
rc=0

fail() {
	echo "$*"
	rc=1
}

D=2026-12-04T16:18:16Z

# check NAME FILE: the structure of the message in FILE.
check() {
	name=$1 m=$2
	[ -s "$m" ] || { fail "$name: empty message"; return; }
	[ "$(tr -dc '\r' <"$m" | wc -c)" -eq 0 ] || fail "$name: CR in output"
	[ "$(tail -c 1 "$m" | od -An -c | tr -d ' ')" = '\n' ] ||
	    fail "$name: last line has no line end"
	awk -v n="$name" 'length($0) > 998 {
		printf "%s: line %d is %d bytes\n", n, NR, length($0); bad = 1
	} END { exit bad }' "$m" || rc=1

	sed '/^$/q' "$m" | sed '$d' >"$tmp/head"
	sed '1,/^$/d' "$m" >"$tmp/body"
	awk -v n="$name" '
		length($0) > 78 {
			printf "%s: header line %d is %d columns\n", n, NR,
			    length($0); bad = 1
		}
		!/^[A-Za-z-]+: / && !/^[ \t]/ {
			printf "%s: header line %d is no header: %s\n", n, NR,
			    $0; bad = 1
		}
		/^[ \t]+$/ {
			printf "%s: header line %d is white space\n", n, NR
			bad = 1
		}
		END { exit bad }' "$tmp/head" || rc=1
	grep -n '[^ -~	]' "$tmp/head" >/dev/null &&
	    fail "$name: header section is not ASCII"
	for h in From To Subject Date Message-ID MIME-Version Content-Type \
	    Content-Transfer-Encoding; do
		c=$(grep -c "^$h: " "$tmp/head")
		[ "$c" -eq 1 ] || fail "$name: $c $h headers"
	done
	grep -q '^Date: [A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]\{4\} [0-9][0-9]:[0-9][0-9]:[0-9][0-9] +0000$' \
	    "$tmp/head" || fail "$name: bad Date: $(grep '^Date:' "$tmp/head")"
	grep -q '^Message-ID: <[0-9]\{14\}\.[0-9]\{6\}\.[0-9a-f]\{16\}@[^>]*>$' \
	    "$tmp/head" || fail "$name: bad Message-ID"

	grep -n '[^ -~	]' "$tmp/body" >/dev/null &&
	    fail "$name: body is not ASCII"
	if grep -q '^Content-Transfer-Encoding: 7bit$' "$tmp/head"; then
		max=78
	else
		max=76
		grep -q '^Content-Transfer-Encoding: quoted-printable$' \
		    "$tmp/head" || fail "$name: unknown transfer encoding"
	fi
	awk -v n="$name" -v max=$max 'length($0) > max {
		printf "%s: text line %d is %d bytes\n", n, NR, length($0)
		bad = 1
	} END { exit bad }' "$tmp/body" || rc=1
	# A lone "." ends the message for sendmail without -i.
	grep -n '^\.' "$tmp/body" >/dev/null &&
	    fail "$name: a text line starts with a dot"
}

# qp FILE: the text of the message in FILE, decoded from quoted-printable:
# "=" at a line's end joins it to the next, "=XX" is the byte XX.
qp() {
	sed '1,/^$/d' "$1" | awk '
	BEGIN {
		for (i = 0; i < 16; i++)
			hex[substr("0123456789ABCDEF", i + 1, 1)] = i
	}
	{
		line = $0
		soft = sub(/=$/, "", line)
		out = ""
		while ((i = index(line, "=")) > 0) {
			out = out substr(line, 1, i - 1) sprintf("%c", \
			    hex[substr(line, i + 1, 1)] * 16 + \
			    hex[substr(line, i + 2, 1)])
			line = substr(line, i + 3)
		}
		printf "%s%s", out line, soft ? "" : "\n"
	}'
}

cat >"$tmp/a.csv" <<EOF
time,temperature,score,anomaly
2026-12-04T10:00:00Z,71.2,0.412345,0
2026-12-04T11:00:00Z,97.5,0.713201,1
2026-12-04T12:00:00Z,12,0.690000,1
EOF

alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/a.csv" \
    >"$tmp/basic" || fail "basic: exit $?"
check basic "$tmp/basic"

# Non-ASCII everywhere, many recipients, a long subject.
to=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	to="$to${to:+, }\"Équipe $i, nuit\" <equipe.$i@maintenance.example.org>"
done
alert-mail -f "Usine à gaz <usine@example.org>" -t "$to" \
    -t "Jürgen Müller <jm@example.org>" -n "Four n° 3 — ligne nord" \
    -s "Température élevée au four n° 3 de la ligne nord: équipe de nuit, merci de vérifier le brûleur et la sonde" \
    -d $D "$tmp/a.csv" >"$tmp/utf8" || fail "utf8: exit $?"
check utf8 "$tmp/utf8"
[ "$(grep -c '^ ' "$tmp/utf8")" -ge 10 ] || fail "utf8: headers not folded"

# Long values and many rows: quoted-printable, long lines broken.
awk 'BEGIN {
	print "time,label,score,anomaly"
	for (i = 0; i < 2000; i++) {
		printf "2026-12-04T%02d:%02d:%02dZ,", i / 3600, i / 60 % 60, i % 60
		for (j = 0; j < i % 150; j++)
			printf "x"
		printf "é,0.%06d,%d\n", i, i % 3 == 0
	}
}' >"$tmp/long.csv"
alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/long.csv" \
    >"$tmp/long" || fail "long: exit $?"
check long "$tmp/long"
grep -q '^Content-Transfer-Encoding: quoted-printable$' "$tmp/long" ||
    fail "long: not quoted-printable"
grep -q '^Subject: 667 anomalies detected in label$' "$tmp/long" ||
    fail "long: $(grep '^Subject:' "$tmp/long")"

# The same input and -d give the same bytes; SOURCE_DATE_EPOCH too.
alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/a.csv" \
    >"$tmp/again"
cmp -s "$tmp/basic" "$tmp/again" || fail "same -d: messages differ"
SOURCE_DATE_EPOCH=1796401096 alert-mail -f plant@example.org \
    -t ops@example.org "$tmp/a.csv" >"$tmp/sde"
cmp -s "$tmp/basic" "$tmp/sde" || fail "SOURCE_DATE_EPOCH: message differs"

# Another recipient or another text: another Message-ID, same date.
id() {
	grep '^Message-ID:' "$1"
}
alert-mail -f plant@example.org -t ops2@example.org -d $D "$tmp/a.csv" \
    >"$tmp/other-to"
[ "$(id "$tmp/basic")" != "$(id "$tmp/other-to")" ] ||
    fail "another recipient: same Message-ID"
sed 's/97\.5/97.6/' "$tmp/a.csv" >"$tmp/b.csv"
alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/b.csv" \
    >"$tmp/other-text"
[ "$(id "$tmp/basic")" != "$(id "$tmp/other-text")" ] ||
    fail "another text: same Message-ID"

# Display names count too: the same addresses under other names.
for n in 3 4; do
	alert-mail -f "Plant $n <plant@example.org>" \
	    -t "Shift $n <ops@example.org>" -d $D "$tmp/a.csv" >"$tmp/name$n"
done
[ "$(id "$tmp/name3")" != "$(id "$tmp/name4")" ] ||
    fail "other display names: same Message-ID"
[ "$(id "$tmp/basic")" != "$(id "$tmp/name3")" ] ||
    fail "display names added: same Message-ID"

# Without -d, the clock: today's date, and a new ID on every run.
before=$(date -u '+%d %b %Y')
alert-mail -f plant@example.org -t ops@example.org "$tmp/a.csv" >"$tmp/now1"
alert-mail -f plant@example.org -t ops@example.org "$tmp/a.csv" >"$tmp/now2"
after=$(date -u '+%d %b %Y')
check now "$tmp/now1"
day=$(sed -n 's/^Date: [A-Z][a-z][a-z], \(.* [0-9]\{4\}\) .*/\1/p' \
    "$tmp/now1")
[ "$day" = "$before" ] || [ "$day" = "$after" ] ||
    fail "clock: Date is $day, today is $before"
[ "$(id "$tmp/now1")" != "$(id "$tmp/now2")" ] ||
    fail "clock: two runs gave the same Message-ID"

# A bad row after 100000 good ones: status 2 and no output at all.
awk 'BEGIN {
	print "time,value,score,anomaly"
	for (i = 0; i < 100000; i++)
		printf "2026-01-01T00:00:%02d.%06dZ,%d,0.9,1\n", i % 60, i, i
	print "2026-01-01T00:00:00Z,1,0.9,maybe"
}' >"$tmp/bad.csv"
alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/bad.csv" \
    >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] || fail "bad last row: exit $st, want 2"
[ -s "$tmp/out" ] && fail "bad last row: something was written"
grep -q ':100002: anomaly is "maybe"' "$tmp/err" ||
    fail "bad last row: $(cat "$tmp/err")"

# The time in the second column, as a table of several sites has it,
# through iforest-train and iforest-score: with --time and -c, every row
# flagged is in the table, under the value column's name; without
# --time, the first column is taken for the time and the message names it.
awk 'BEGIN {
	print "site,ts,temp"
	for (i = 0; i < 300; i++) {
		t = 60 + i * 37 % 100 / 100
		if (i == 150)
			t = 95
		if (i == 220)
			t = 20
		printf "%s,2026-12-04T%02d:%02d:00Z,%.2f\n", i % 2 ? "B" : "A",
		    i / 60, i % 60, t
	}
}' >"$tmp/pump-raw.csv"
iforest-train -t ts -f temp -o "$tmp/pump.model" "$tmp/pump-raw.csv" &&
    iforest-score -m "$tmp/pump.model" "$tmp/pump-raw.csv" >"$tmp/pump.csv" ||
    fail "pump: training or scoring failed"
alert-mail -f plant@example.org -t ops@example.org -d $D --time=ts -c temp \
    -n "Pump 2" "$tmp/pump.csv" >"$tmp/pump" || fail "pump: exit $?"
check pump "$tmp/pump"
awk -F, 'NR > 1 && $5 == 1 { print $2 "  " $3 "  " $4 }' "$tmp/pump.csv" |
    sed 's/  */ /g' >"$tmp/pump-flagged"
sed '1,/^time  /d' "$tmp/pump" | sed 's/  */ /g' >"$tmp/pump-listed"
[ -s "$tmp/pump-flagged" ] || fail "pump: no row flagged"
cmp -s "$tmp/pump-flagged" "$tmp/pump-listed" ||
    fail "pump: the table is not the flagged rows"
grep -q '^time  *temp  *score$' "$tmp/pump" ||
    fail "pump: heading $(grep '^time ' "$tmp/pump")"
alert-mail -f plant@example.org -t ops@example.org -d $D -c temp \
    "$tmp/pump.csv" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] || fail "pump without --time: exit $st, want 2"
[ -s "$tmp/out" ] && fail "pump without --time: something was written"
grep -q ':[0-9]*: bad time "[AB]" in column "site": ' "$tmp/err" ||
    fail "pump without --time: $(cat "$tmp/err")"

# A file scored twice has two score and two anomaly columns, which may
# disagree: refused, whichever would have been read.
iforest-score -m "$tmp/pump.model" "$tmp/pump.csv" >"$tmp/twice.csv" ||
    fail "scoring twice failed"
head -n 1 "$tmp/twice.csv" | grep -q ',score,anomaly,score,anomaly$' ||
    fail "scored twice: header $(head -n 1 "$tmp/twice.csv")"
alert-mail -f plant@example.org -t ops@example.org -d $D --time=ts -c temp \
    -n "Pump 2" "$tmp/twice.csv" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] || fail "scored twice: exit $st, want 2"
[ -s "$tmp/out" ] && fail "scored twice: something was written"
grep -q ':1: column "anomaly" appears 2 times in the header$' "$tmp/err" ||
    fail "scored twice: $(cat "$tmp/err")"

# A value column whose name wraps into a line that is a lone dot: the text
# goes out quoted-printable with the dot as =2E, and decodes back to the
# text, the lone dot and the name in the table's heading included.
dotcol="$(printf 'A%.0s' $(seq 41)) . $(printf 'B%.0s' $(seq 72))"
printf 'time,%s\n2026-12-04T11:00:00Z,97.5\n' "$dotcol" >"$tmp/dot.csv"
alert-mail -f plant@example.org -t ops@example.org -d $D "$tmp/dot.csv" \
    >"$tmp/dot" || fail "dot: exit $?"
check dot "$tmp/dot"
grep -q '^Content-Transfer-Encoding: quoted-printable$' "$tmp/dot" ||
    fail "dot: not quoted-printable"
grep -q '^=2E$' "$tmp/dot" || fail "dot: no encoded lone dot"
qp "$tmp/dot" >"$tmp/dot-text"
grep -q '=' "$tmp/dot-text" && fail "dot: undecoded text"
[ "$(sed -n 2p "$tmp/dot-text")" = . ] ||
    fail "dot: decoded line 2 is $(sed -n 2p "$tmp/dot-text")"
grep -qx "time                  $dotcol" "$tmp/dot-text" ||
    fail "dot: heading $(grep '^time' "$tmp/dot-text")"
grep -qx '2026-12-04T11:00:00Z  97\.5' "$tmp/dot-text" ||
    fail "dot: no row in $(cat "$tmp/dot-text")"

# Nothing anomalous in a long scored file: status 1, nothing written.
awk 'BEGIN {
	print "time,value,score,anomaly"
	for (i = 0; i < 100000; i++)
		printf "2026-01-01T00:00:%02d.%06dZ,%d,0.3,0\n", i % 60, i, i
}' >"$tmp/quiet.csv"
alert-mail -f plant@example.org -t ops@example.org "$tmp/quiet.csv" \
    >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 1 ] || fail "no anomaly: exit $st, want 1"
[ -s "$tmp/out" ] && fail "no anomaly: something was written"
[ -s "$tmp/err" ] && fail "no anomaly: said $(cat "$tmp/err")"

exit $rc
