#!/bin/sh
# alert-mail: the shape of the messages it writes, beyond what a golden
# case shows, read back with an independent MIME parser (munpack).
#
# Every line ends in LF with no CR anywhere, none exceeds 998 bytes, the
# header section is ASCII with each header once and lines of at most 78
# columns; each part keeps to its transfer encoding's line length, base64
# lines are 76 characters but the last, no line starts with a dot, and
# each boundary is only where it delimits parts.  munpack finds the text,
# the HTML and, with -p, the plot twice, byte for byte the file given,
# once inline under the Content-ID that the HTML names and once as an
# attachment.  Hostile names and values are escaped in the HTML; line
# breaks in options and data are refused with nothing written.  The list
# is in the order of the scores and cut at -m with "and N more".  The same
# input gives the same bytes, another one another Message-ID; a bad row
# after many good ones leaves the output empty; a time column other than
# the first works through the whole pipeline; a file scored twice is
# refused; a line of the text that is a lone dot goes out quoted-printable
# and decodes back.  Last, msmtp delivers a message with a plot to
# smtp-sink, and what the sink kept unpacks to the same parts.
#
# The plots are made here with pnmtopng (netpbm); the golden cases use
# tests/golden/alert-mail/plot.png, a 48x24 image made the same way.
. "$(dirname "$0")/tools/setup.sh"
unset SOURCE_DATE_EPOCH
for p in munpack pnmtopng; do
	command -v $p >/dev/null 2>&1 ||
	    { echo "missing $p: run tests/deps.sh"; exit 1; }
done
tmp=$(mktemp -d) || exit 2
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 2' HUP INT PIPE TERM

D=2026-12-04T16:18:16Z
FT='-f plant@example.org -t ops@example.org'

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
	for h in From To Subject Date Message-ID MIME-Version Content-Type; do
		c=$(grep -c "^$h: " "$tmp/head")
		[ "$c" -eq 1 ] || fail "$name: $c $h headers"
	done
	grep -q '^Content-Type: multipart/' "$tmp/head" ||
	    fail "$name: not multipart: $(grep '^Content-Type' "$tmp/head")"
	grep -q '^Date: [A-Z][a-z][a-z], [0-9][0-9] [A-Z][a-z][a-z] [0-9]\{4\} [0-9][0-9]:[0-9][0-9]:[0-9][0-9] +0000$' \
	    "$tmp/head" || fail "$name: bad Date: $(grep '^Date:' "$tmp/head")"
	grep -q '^Message-ID: <[0-9]\{14\}\.[0-9]\{6\}\.[0-9a-f]\{16\}@[^>]*>$' \
	    "$tmp/head" || fail "$name: bad Message-ID"

	grep -n '[^ -~	]' "$tmp/body" >/dev/null &&
	    fail "$name: body is not ASCII"
	# A lone "." ends the message for sendmail without -i.
	grep -n '^\.' "$tmp/body" >/dev/null &&
	    fail "$name: a body line starts with a dot"

	# Each part's lines against its transfer encoding, and each
	# boundary: declared once, then only on delimiter lines.
	awk -v n="$name" '
	BEGIN { inhead = 1 }
	function body_end() {
		if (cte == "base64" && short > 1) {
			printf "%s: %d short base64 lines in a part\n", n,
			    short; bad = 1
		}
	}
	/^--=_/ {
		body_end()
		inhead = 1; cte = ""; short = 0; delim[$0]++
		next
	}
	inhead && /^$/ { inhead = 0; next }
	inhead {
		if (tolower($0) ~ /^content-transfer-encoding: /)
			cte = tolower(substr($0, 28))
		if (match($0, /boundary="[^"]*"/))
			bound[substr($0, RSTART + 10, RLENGTH - 11)]++
		next
	}
	cte == "7bit" && length($0) > 78 {
		printf "%s: 7bit line of %d\n", n, length($0); bad = 1
	}
	cte == "quoted-printable" && length($0) > 76 {
		printf "%s: quoted-printable line of %d\n", n, length($0)
		bad = 1
	}
	cte == "base64" && $0 != "" {
		if (length($0) > 76 || $0 !~ /^[A-Za-z0-9+\/]+=*$/ ||
		    length($0) % 4 != 0) {
			printf "%s: bad base64 line: %s\n", n, $0; bad = 1
		}
		if (length($0) < 76)
			short++
	}
	END {
		body_end()
		for (b in bound) {
			if (!(("--" b) in delim) || !(("--" b "--") in delim)) {
				printf "%s: boundary %s unused\n", n, b; bad = 1
			}
		}
		for (d in delim) {
			b = d; sub(/^--/, "", b); sub(/--$/, "", b)
			if (!(b in bound)) {
				printf "%s: stray delimiter %s\n", n, d; bad = 1
			}
		}
		exit bad
	}' "$m" || rc=1
	# The top boundary is in the header section.
	b=$(sed -n 's/^Content-Type: multipart.*boundary="\([^"]*\)".*/\1/p' \
	    "$tmp/head")
	[ -n "$b" ] && [ "$(grep -c -- "^--$b--\$" "$tmp/body")" -eq 1 ] ||
	    fail "$name: the top boundary \"$b\" does not close the body"
	# Each boundary is on its declaration's line and the delimiters'.
	for b in $(grep -o 'boundary="[^"]*"' "$m" | sed 's/.*="//; s/"//'); do
		[ "$(grep -c -e "$b" "$m")" -eq \
		    "$(($(grep -c -e "^--$b" "$m") + 1))" ] ||
		    fail "$name: boundary $b inside the content"
	done
}

# unpack NAME FILE: munpack FILE into $tmp/NAME.d; its listing in
# $tmp/NAME.list, "FILE (TYPE)" a line, sorted.
unpack() {
	rm -rf "$tmp/$1.d"
	mkdir "$tmp/$1.d" || exit 2
	(cd "$tmp/$1.d" && munpack -t -q <"$2") 2>"$tmp/$1.err" |
	    sort >"$tmp/$1.list"
	grep -v 'reading from standard input' "$tmp/$1.err" | grep . &&
	    fail "$1: munpack: $(cat "$tmp/$1.err")"
}

# part NAME TYPE: the file munpack wrote for the only part of TYPE.
part() {
	f=$(sed -n "s|^\\(.*\\) ($2)\$|\\1|p" "$tmp/$1.list")
	[ "$(echo "$f" | grep -c .)" -eq 1 ] ||
	    { fail "$1: $2: not one part: $f"; echo /dev/null; return; }
	echo "$tmp/$1.d/$f"
}

# A plot: a PNG of random pixels, large enough for many base64 lines.
awk 'BEGIN {
	srand(7)
	print "P3\n120 60\n255"
	for (y = 0; y < 60; y++) {
		for (x = 0; x < 120; x++)
			printf "%d %d %d ", int(rand() * 256),
			    int(rand() * 256), (x * y) % 256
		print ""
	}
}' | pnmtopng >"$tmp/plot.png" 2>/dev/null || exit 2
awk 'BEGIN { print "P2\n30 10\n255"; for (i = 0; i < 300; i++) print i % 256 }' |
    pnmtopng >"$tmp/other.png" 2>/dev/null || exit 2

cat >"$tmp/a.csv" <<EOF
time,temperature,score,anomaly
2026-12-04T10:00:00Z,71.2,0.412345,0
2026-12-04T11:00:00Z,97.5,0.713201,1
2026-12-04T12:00:00Z,12,0.690000,1
EOF

# Without a plot: text and HTML as alternatives, nothing else.
alert-mail $FT -d $D "$tmp/a.csv" >"$tmp/basic" || fail "basic: exit $?"
check basic "$tmp/basic"
grep -q '^Content-Type: multipart/alternative; boundary="=_[0-9a-f]\{16\}_0_"$' \
    "$tmp/basic" || fail "basic: $(grep '^Content-Type' "$tmp/basic")"
unpack basic "$tmp/basic"
printf '%s\n' 'part1 (text/plain)' 'part2 (text/html)' |
    cmp -s - "$tmp/basic.list" || fail "basic: parts $(cat "$tmp/basic.list")"
grep -qx '2 anomalous points were found in temperature between' \
    "$tmp/basic.d/part1" || fail "basic: text $(cat "$tmp/basic.d/part1")"
grep -q '^<tr><td>2026-12-04T11:00:00Z</td><td>97.5</td><td>0.713201</td></tr>$' \
    "$tmp/basic.d/part2" || fail "basic: html $(cat "$tmp/basic.d/part2")"

# With a plot, an id and a link: the whole tree, in order.
alert-mail $FT -d $D -n 'Boiler 3' -i c1vcqk2005qb5nusljko \
    -l https://clarify.example.org/items/ -p "$tmp/plot.png" "$tmp/a.csv" \
    >"$tmp/plot" || fail "plot: exit $?"
check plot "$tmp/plot"
awk 'tolower($0) ~ /^content-(type|disposition|id):/ { print; more = 1; next }
    more && /^ / { print; next } { more = 0 }' \
    "$tmp/plot" | sed 's/=_[0-9a-f]\{16\}_/=_HASH_/; s/plot\.[0-9a-f]\{16\}@/plot.HASH@/' \
    >"$tmp/tree"
cat >"$tmp/want" <<'EOF'
Content-Type: multipart/mixed; boundary="=_HASH_0_"
Content-Type: multipart/related; type="multipart/alternative";
 boundary="=_HASH_1_"
Content-Type: multipart/alternative; boundary="=_HASH_2_"
Content-Type: text/plain; charset=UTF-8
Content-Type: text/html; charset=UTF-8
Content-Type: image/png; name="plot.png"
Content-Disposition: inline; filename="plot.png"
Content-ID: <plot.HASH@example.org>
Content-Type: image/png; name="plot.png"
Content-Disposition: attachment; filename="plot.png"
EOF
cmp -s "$tmp/want" "$tmp/tree" || fail "plot: tree $(diff "$tmp/want" "$tmp/tree")"
unpack plot "$tmp/plot"
[ "$(grep -c ' (image/png)$' "$tmp/plot.list")" -eq 2 ] ||
    fail "plot: parts $(cat "$tmp/plot.list")"
for f in $(sed -n 's/ (image\/png)$//p' "$tmp/plot.list"); do
	cmp -s "$tmp/plot.png" "$tmp/plot.d/$f" ||
	    fail "plot: $f differs from the plot"
done
grep -q '^plot\.png (image/png)$' "$tmp/plot.list" ||
    fail "plot: no plot.png in $(cat "$tmp/plot.list")"
txt=$(part plot text/plain)
html=$(part plot text/html)
cid=$(sed -n 's/^Content-ID: <\(.*\)>$/\1/p' "$tmp/plot")
grep -q "<img src=\"cid:$cid\" width=\"120\" height=\"60\"" "$html" ||
    fail "plot: the HTML does not show cid:$cid: $(grep img "$html")"
grep -qx 'Item id: c1vcqk2005qb5nusljko' "$txt" || fail "plot: no id in text"
grep -qx 'In Clarify: https://clarify.example.org/items/c1vcqk2005qb5nusljko' \
    "$txt" || fail "plot: no link in text"
grep -qx 'Plot: attached as plot.png' "$txt" || fail "plot: no plot in text"
grep -q '<a href="https://clarify.example.org/items/c1vcqk2005qb5nusljko">' \
    "$html" || fail "plot: no link in the HTML"
grep -q '<code>c1vcqk2005qb5nusljko</code>' "$html" ||
    fail "plot: no id in the HTML"

# The attachment is named after a plain file name, else plot.png.
cp "$tmp/plot.png" "$tmp/boiler-3_plot.png"
cp "$tmp/plot.png" "$tmp/b\"o i;l.png"
alert-mail $FT -d $D -p "$tmp/boiler-3_plot.png" "$tmp/a.csv" >"$tmp/named"
grep -q '^Content-Disposition: attachment; filename="boiler-3_plot.png"$' \
    "$tmp/named" || fail "named: $(grep '^Content-Disp' "$tmp/named")"
alert-mail $FT -d $D -p "$tmp/b\"o i;l.png" "$tmp/a.csv" >"$tmp/odd"
grep -q '^Content-Disposition: attachment; filename="plot.png"$' \
    "$tmp/odd" || fail "odd name: $(grep '^Content-Disp' "$tmp/odd")"
check odd "$tmp/odd"

# The plot on standard input, the CSV from a file.
alert-mail $FT -d $D -n 'Boiler 3' -i c1vcqk2005qb5nusljko \
    -l https://clarify.example.org/items/ -p - "$tmp/a.csv" \
    <"$tmp/plot.png" >"$tmp/stdin" || fail "plot on stdin: exit $?"
cmp -s "$tmp/plot" "$tmp/stdin" || fail "plot on stdin: another message"

# Not a PNG: a GIF, an empty file, the signature alone, a directory.
printf 'GIF89a\1\0\1\0' >"$tmp/gif.png"
: >"$tmp/empty.png"
head -c 8 "$tmp/plot.png" >"$tmp/sig.png"
for f in gif.png empty.png sig.png; do
	alert-mail $FT -d $D -p "$tmp/$f" "$tmp/a.csv" >"$tmp/out" \
	    2>"$tmp/err"
	st=$?
	[ $st -eq 2 ] || fail "$f: exit $st, want 2"
	[ -s "$tmp/out" ] && fail "$f: something was written"
	grep -q "^alert-mail: $tmp/$f: not a PNG file: " "$tmp/err" ||
	    fail "$f: $(cat "$tmp/err")"
done
alert-mail $FT -d $D -p "$tmp" "$tmp/a.csv" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 2 ] && [ ! -s "$tmp/out" ] || fail "directory: exit $st"

# Hostile names and values: the HTML escapes them all.
cat >"$tmp/hostile.csv" <<'EOF'
time,"<b>""t""</b>",score,anomaly
2026-12-04T11:00:00Z,"<script>alert('v')</script> & ""q""",0.9,1
2026-12-04T12:00:00Z,</td></tr></table><img src=x>,0.8,1
EOF
alert-mail $FT -d $D -n "<script>alert(\"x\")</script> & 'y'" \
    -i a-b_c.d~e -l 'https://x.example.org/a?b=1&c=' -p "$tmp/plot.png" \
    "$tmp/hostile.csv" >"$tmp/hostile" || fail "hostile: exit $?"
check hostile "$tmp/hostile"
unpack hostile "$tmp/hostile"
html=$(part hostile text/html)
txt=$(part hostile text/plain)
grep -qi '<script\|<b>\|<img src=x\|</td></tr></table><img' "$html" &&
    fail "hostile: markup from the data in the HTML"
for s in '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;' \
    '&lt;b&gt;&quot;t&quot;&lt;/b&gt;' \
    '&lt;script&gt;alert(&#39;v&#39;)&lt;/script&gt; &amp; &quot;q&quot;' \
    '&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x&gt;' \
    'href="https://x.example.org/a?b=1&amp;c=a-b_c.d~e"'; do
	grep -qF "$s" "$html" || fail "hostile: no $s in the HTML"
done
# Every quote in the HTML belongs to an attribute of ours.
sed 's/[a-z-]*="[^"]*"//g' "$html" | grep -q '"' &&
    fail "hostile: a stray quote in $(sed 's/[a-z-]*="[^"]*"//g' "$html" | grep '"')"
grep -qF "<script>alert(\"x\")</script> & 'y'" "$txt" ||
    fail "hostile: the text does not show the name as it is"
grep -qF "</td></tr></table><img src=x" "$txt" ||
    fail "hostile: the text does not show the value as it is"

# Header injection: line breaks in options and data are refused, with
# nothing written; a header-like value in the data stays in the body.
inject() {
	what=$1
	shift
	alert-mail "$@" >"$tmp/out" 2>"$tmp/err"
	st=$?
	[ $st -eq 2 ] || fail "$what: exit $st, want 2"
	[ -s "$tmp/out" ] && fail "$what: something was written"
	grep -q . "$tmp/err" || fail "$what: no message"
}
nl='
'
cr=$(printf '\r')
inject "-n LF" $FT -d $D -n "Boiler${nl}Bcc: victim@example.org" "$tmp/a.csv"
inject "-n CR" $FT -d $D -n "Boiler${cr}Bcc: victim@example.org" "$tmp/a.csv"
inject "-s CRLF" $FT -d $D -s "Alert${cr}${nl}Bcc: victim@example.org" \
    "$tmp/a.csv"
inject "-s LF" $FT -d $D -s "Alert${nl}${nl}body" "$tmp/a.csv"
inject "-t LF" -f plant@example.org -t "ops@example.org${nl}Bcc: v@x.org" \
    -d $D "$tmp/a.csv"
inject "-i LF" $FT -d $D -i "abc${nl}Bcc: v@x.org" "$tmp/a.csv"
inject "-l LF" $FT -d $D -i abc -l "https://x.org/${nl}Bcc: v@x.org" \
    "$tmp/a.csv"
printf '%s\n' 'time,temperature,score,anomaly' \
    '2026-12-04T11:00:00Z,"97.5' 'Bcc: victim@example.org",0.9,1' \
    >"$tmp/inject.csv"
inject "value LF" $FT -d $D "$tmp/inject.csv"
printf '%s\n' 'time,"temp' 'Bcc: victim@example.org",score,anomaly' \
    '2026-12-04T11:00:00Z,97.5,0.9,1' >"$tmp/inject2.csv"
inject "heading LF" $FT -d $D "$tmp/inject2.csv"
printf 'time,temperature,score,anomaly\n2026-12-04T11:00:00Z,97.5\r,0.9,1\n' \
    >"$tmp/inject3.csv"
inject "value CR" $FT -d $D "$tmp/inject3.csv"
printf '%s\n' 'time,temperature,score,anomaly' \
    '2026-12-04T11:00:00Z,Bcc: victim@example.org,0.9,1' >"$tmp/bcc.csv"
alert-mail $FT -d $D -n 'Bcc: victim@example.org' "$tmp/bcc.csv" \
    >"$tmp/bcc" || fail "bcc in the data: exit $?"
check bcc "$tmp/bcc"
grep -qi '^bcc:' "$tmp/bcc" && fail "bcc in the data: a Bcc header"

# Many points: listed by score, at most 20 by default, and "and N more";
# -m 5 and -m 0.  The scores are unique and out of order in the input.
awk 'BEGIN {
	print "time,value,score,anomaly"
	for (i = 0; i < 30; i++)
		printf "2026-12-04T%02d:%02d:00Z,%d,0.%03d,1\n", i / 6,
		    i % 6 * 10, i, 500 + (i * 37) % 101
}' >"$tmp/many.csv"
# listed FILE: the scores listed in the text part of FILE.
listed() {
	unpack listed "$1"
	sed -n 's/^2026-[^ ]*  *[0-9]*  *\(0\.[0-9]*\)$/\1/p' \
	    "$(part listed text/plain)"
}
for cap in default 5 0; do
	if [ $cap = default ]; then
		set --
		n=20
	else
		set -- -m $cap
		n=$cap
	fi
	[ $cap = 0 ] && n=30
	alert-mail $FT -d $D "$@" "$tmp/many.csv" >"$tmp/many" ||
	    fail "many $cap: exit $?"
	check "many $cap" "$tmp/many"
	listed "$tmp/many" >"$tmp/got"
	sed 1d "$tmp/many.csv" | cut -d, -f3 | sort -r | head -n $n >"$tmp/want"
	cmp -s "$tmp/want" "$tmp/got" ||
	    fail "many $cap: scores $(tr '\n' ' ' <"$tmp/got")"
	html=$(part listed text/html)
	[ "$(grep -c '^<tr><td>' "$html")" -eq $n ] ||
	    fail "many $cap: $(grep -c '^<tr><td>' "$html") rows in the HTML"
	sed -n 's|^<tr><td>[^<]*</td><td>[^<]*</td><td>\([^<]*\)</td></tr>$|\1|p' \
	    "$html" | cmp -s - "$tmp/want" || fail "many $cap: HTML order"
	if [ $n -lt 30 ]; then
		grep -qx "and $((30 - n)) more" "$(part listed text/plain)" ||
		    fail "many $cap: no \"and $((30 - n)) more\" in the text"
		grep -qx "<p>and $((30 - n)) more</p>" "$html" ||
		    fail "many $cap: no \"and $((30 - n)) more\" in the HTML"
	else
		grep -q 'more' "$(part listed text/plain)" &&
		    fail "many $cap: \"more\" with all listed"
	fi
	grep -q '^Subject: 30 anomalies detected in value$' "$tmp/many" ||
	    fail "many $cap: $(grep '^Subject' "$tmp/many")"
done

# Non-ASCII everywhere, many recipients, a long subject.
to=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	to="$to${to:+, }\"Équipe $i, nuit\" <equipe.$i@maintenance.example.org>"
done
alert-mail -f "Usine à gaz <usine@example.org>" -t "$to" \
    -t "Jürgen Müller <jm@example.org>" -n "Four n° 3 — ligne nord" \
    -s "Température élevée au four n° 3 de la ligne nord: équipe de nuit, merci de vérifier le brûleur et la sonde" \
    -p "$tmp/plot.png" -d $D "$tmp/a.csv" >"$tmp/utf8" || fail "utf8: exit $?"
check utf8 "$tmp/utf8"
[ "$(grep -c '^ ' "$tmp/utf8")" -ge 10 ] || fail "utf8: headers not folded"
unpack utf8 "$tmp/utf8"
grep -q 'Four n° 3 — ligne nord' "$(part utf8 text/plain)" ||
    fail "utf8: the text does not decode"
grep -q 'Four n° 3 — ligne nord' "$(part utf8 text/html)" ||
    fail "utf8: the HTML does not decode"

# Long values and many rows: quoted-printable, long lines broken, no
# line over 998 bytes though a table line is longer before encoding.
awk 'BEGIN {
	print "time,label,score,anomaly"
	for (i = 0; i < 2000; i++) {
		printf "2026-12-04T%02d:%02d:%02dZ,", i / 3600, i / 60 % 60, i % 60
		for (j = 0; j < i % 300; j++)
			printf "x"
		printf "é,0.%06d,%d\n", i, i % 3 == 0
	}
}' >"$tmp/long.csv"
alert-mail $FT -d $D -m 0 -p "$tmp/plot.png" "$tmp/long.csv" \
    >"$tmp/long" || fail "long: exit $?"
check long "$tmp/long"
grep -q '^Subject: 667 anomalies detected in label$' "$tmp/long" ||
    fail "long: $(grep '^Subject:' "$tmp/long")"
unpack long "$tmp/long"
[ "$(grep -c '^2026-' "$(part long text/plain)")" -eq 667 ] ||
    fail "long: not 667 rows in the text"

# The same input and -d give the same bytes; SOURCE_DATE_EPOCH too.
alert-mail $FT -d $D -n 'Boiler 3' -i c1vcqk2005qb5nusljko \
    -l https://clarify.example.org/items/ -p "$tmp/plot.png" "$tmp/a.csv" \
    >"$tmp/again"
cmp -s "$tmp/plot" "$tmp/again" || fail "same -d: messages differ"
SOURCE_DATE_EPOCH=1796401096 alert-mail $FT "$tmp/a.csv" >"$tmp/sde"
cmp -s "$tmp/basic" "$tmp/sde" || fail "SOURCE_DATE_EPOCH: message differs"

# Another recipient, text or plot: another Message-ID, same date.
id() {
	grep '^Message-ID:' "$1"
}
alert-mail -f plant@example.org -t ops2@example.org -d $D "$tmp/a.csv" \
    >"$tmp/other-to"
[ "$(id "$tmp/basic")" != "$(id "$tmp/other-to")" ] ||
    fail "another recipient: same Message-ID"
sed 's/97\.5/97.6/' "$tmp/a.csv" >"$tmp/b.csv"
alert-mail $FT -d $D "$tmp/b.csv" >"$tmp/other-text"
[ "$(id "$tmp/basic")" != "$(id "$tmp/other-text")" ] ||
    fail "another text: same Message-ID"
alert-mail $FT -d $D -n 'Boiler 3' -i c1vcqk2005qb5nusljko \
    -l https://clarify.example.org/items/ -p "$tmp/other.png" "$tmp/a.csv" \
    >"$tmp/other-plot" || fail "other plot: exit $?"
check other-plot "$tmp/other-plot"
[ "$(id "$tmp/plot")" != "$(id "$tmp/other-plot")" ] ||
    fail "another plot: same Message-ID"
unpack other-plot "$tmp/other-plot"
grep -q 'width="30" height="10"' "$(part other-plot text/html)" ||
    fail "another plot: the HTML does not give its size"

# Display names count too: the same addresses under other names.
for n in 3 4; do
	alert-mail -f "Plant $n <plant@example.org>" \
	    -t "Shift $n <ops@example.org>" -d $D "$tmp/a.csv" >"$tmp/name$n"
done
[ "$(id "$tmp/name3")" != "$(id "$tmp/name4")" ] ||
    fail "other display names: same Message-ID"
[ "$(id "$tmp/basic")" != "$(id "$tmp/name3")" ] ||
    fail "display names added: same Message-ID"

# Text that holds what a boundary would be still gets boundaries of
# its own: the text is 7bit, and the stem is taken from the hash.
stem=$(sed -n 's/^Content-Type: multipart.*boundary="\(=_[0-9a-f]*\)_0_"$/\1/p' \
    "$tmp/basic")
printf 'time,"--%s_0_"\n2026-12-04T11:00:00Z,1\n' "$stem" >"$tmp/clash.csv"
alert-mail $FT -d $D -n Clash "$tmp/clash.csv" >"$tmp/clash" ||
    fail "clash: exit $?"
check clash "$tmp/clash"
unpack clash "$tmp/clash"
[ "$(wc -l <"$tmp/clash.list")" -eq 2 ] ||
    fail "clash: parts $(cat "$tmp/clash.list")"

# Without -d, the clock: today's date, and a new ID on every run.
before=$(date -u '+%d %b %Y')
alert-mail $FT "$tmp/a.csv" >"$tmp/now1"
alert-mail $FT "$tmp/a.csv" >"$tmp/now2"
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
alert-mail $FT -d $D -p "$tmp/plot.png" "$tmp/bad.csv" \
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
alert-mail $FT -d $D --time=ts -c temp -m 0 -n "Pump 2" "$tmp/pump.csv" \
    >"$tmp/pump" || fail "pump: exit $?"
check pump "$tmp/pump"
unpack pump "$tmp/pump"
txt=$(part pump text/plain)
awk -F, 'NR > 1 && $5 == 1 { print $2 " " $3 " " $4 }' "$tmp/pump.csv" |
    sort >"$tmp/pump-flagged"
sed '1,/^time  /d' "$txt" | sed 's/  */ /g' >"$tmp/pump-listed"
[ -s "$tmp/pump-flagged" ] || fail "pump: no row flagged"
sort "$tmp/pump-listed" | cmp -s - "$tmp/pump-flagged" ||
    fail "pump: the table is not the flagged rows"
cut -d ' ' -f 3 "$tmp/pump-listed" >"$tmp/pump-scores"
sort -r -n "$tmp/pump-scores" | cmp -s - "$tmp/pump-scores" ||
    fail "pump: not in the order of the scores"
grep -q '^time  *temp  *score$' "$txt" ||
    fail "pump: heading $(grep '^time ' "$txt")"
alert-mail $FT -d $D -c temp "$tmp/pump.csv" >"$tmp/out" 2>"$tmp/err"
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
alert-mail $FT -d $D --time=ts -c temp -n "Pump 2" "$tmp/twice.csv" \
    >"$tmp/out" 2>"$tmp/err"
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
alert-mail $FT -d $D "$tmp/dot.csv" >"$tmp/dot" || fail "dot: exit $?"
check dot "$tmp/dot"
grep -q '^=2E$' "$tmp/dot" || fail "dot: no encoded lone dot"
unpack dot "$tmp/dot"
txt=$(part dot text/plain)
[ "$(sed -n 2p "$txt")" = . ] || fail "dot: decoded line 2 is $(sed -n 2p "$txt")"
grep -qx "time                  $dotcol" "$txt" ||
    fail "dot: heading $(grep '^time' "$txt")"
grep -qx '2026-12-04T11:00:00Z  97\.5' "$txt" ||
    fail "dot: no row in $(cat "$txt")"

# Nothing anomalous in a long scored file: status 1, nothing written,
# with a plot too.
awk 'BEGIN {
	print "time,value,score,anomaly"
	for (i = 0; i < 100000; i++)
		printf "2026-01-01T00:00:%02d.%06dZ,%d,0.3,0\n", i % 60, i, i
}' >"$tmp/quiet.csv"
alert-mail $FT -p "$tmp/plot.png" "$tmp/quiet.csv" >"$tmp/out" 2>"$tmp/err"
st=$?
[ $st -eq 1 ] || fail "no anomaly: exit $st, want 1"
[ -s "$tmp/out" ] && fail "no anomaly: something was written"
[ -s "$tmp/err" ] && fail "no anomaly: said $(cat "$tmp/err")"

# A message larger than any pipe buffer, -m 0 listing every point, to a
# reader that goes away: quiet with SIGPIPE at its default, reported with
# status 2 where SIGPIPE is ignored.
awk 'BEGIN {
	print "time,value,score,anomaly"
	for (i = 0; i < 20000; i++)
		printf "2026-01-01T00:%02d:%02dZ,%d,0.9,1\n", i / 60 % 60, i % 60, i
}' >"$tmp/big.csv"
( alert-mail $FT -d $D -m 0 "$tmp/big.csv" 2>"$tmp/err" ) |
    head -c 1 >/dev/null
[ -s "$tmp/err" ] && fail "big | head: said $(cat "$tmp/err")"
( trap '' PIPE; alert-mail $FT -d $D -m 0 "$tmp/big.csv" 2>"$tmp/err"
    echo $? >"$tmp/st" ) | head -c 1 >/dev/null
[ "$(cat "$tmp/st")" = 2 ] || fail "big, EPIPE: exit $(cat "$tmp/st")"
grep -q 'Broken pipe' "$tmp/err" || fail "big, EPIPE: $(cat "$tmp/err")"

# Through msmtp into smtp-sink: the message with its plot arrives with
# CRLF line ends and after the SMTP dot handling, and unpacks to the same
# parts, the plot byte for byte.
if command -v msmtp >/dev/null 2>&1 && command -v smtp-sink >/dev/null 2>&1
then
	HOME=$tmp
	export HOME
	mkdir "$tmp/mail" || exit 2
	smtp-sink -d "$tmp/mail" -p "$tmp/port" -i 30 2>"$tmp/sink.err" &
	pid=$!
	n=0
	while [ ! -s "$tmp/port" ] && [ $n -le 100 ]; do
		n=$((n + 1))
		sleep 0.1 2>/dev/null || sleep 1
	done
	port=$(cat "$tmp/port" 2>/dev/null)
	case $port in
	''|*[!0-9]*)
		fail "smtp-sink: no port" ;;
	*)
		(umask 077 && printf '%s\n' 'account default' \
		    'host 127.0.0.1' "port $port" 'auth off' 'tls off' \
		    'timeout 10' 'from plant@example.org' >"$tmp/msmtprc") ||
		    exit 2
		msmtp -C "$tmp/msmtprc" -t <"$tmp/hostile" >"$tmp/msmtp.out" \
		    2>&1 || fail "msmtp: $(cat "$tmp/msmtp.out")"
		if [ -f "$tmp/mail/0001.eml" ]; then
			[ "$(tr -dc '\r' <"$tmp/mail/0001.eml" | wc -c)" -eq \
			    "$(wc -l <"$tmp/hostile")" ] ||
			    fail "sink: not CRLF throughout"
			# Stored as local mail is, with LF: munpack reads
			# "=" CR LF as no soft line break.
			tr -d '\r' <"$tmp/mail/0001.eml" >"$tmp/sink.eml"
			cmp -s "$tmp/sink.eml" "$tmp/hostile" ||
			    fail "sink: the message changed on the way"
			unpack sink "$tmp/sink.eml"
			cut -d ' ' -f 2 "$tmp/hostile.list" >"$tmp/want"
			cut -d ' ' -f 2 "$tmp/sink.list" | cmp -s - \
			    "$tmp/want" || fail "sink: parts $(cat \
			    "$tmp/sink.list")"
			for f in $(sed -n 's/ (image\/png)$//p' \
			    "$tmp/sink.list"); do
				cmp -s "$tmp/plot.png" "$tmp/sink.d/$f" ||
				    fail "sink: $f differs from the plot"
			done
			cmp -s "$(part sink text/html)" \
			    "$(part hostile text/html)" ||
			    fail "sink: the HTML differs"
		else
			fail "sink: no message kept"
		fi ;;
	esac
	kill "$pid" 2>/dev/null
	wait "$pid"
	pid=
fi

exit $rc
