#!/bin/sh
# ts-plot: the pictures themselves.  Every PNG passes pngcheck; decoded
# with netpbm, the pixels are where the layout that -v reports puts them:
# red on each anomaly and nowhere else in the panel, no series colour in
# the columns of a gap or of a missing value (and some in a column that
# has data, so that the check can fail), the threshold on its row of the
# score panel, the peak of a million points kept.  The same input gives
# the same bytes; a bad row leaves standard output empty; a terminal gets
# no PNG; a write error is reported.
. "$(dirname "$0")/tools/setup.sh"
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT

# The palette of plot.h.
BG="255 255 255"
BLUE="31 94 170"
RED="214 32 32"
ORANGE="240 140 0"

# png NAME: the PNG $tmp/NAME.png is valid; decode it to $tmp/NAME.ppm.
png() {
	pngcheck -q "$tmp/$1.png" >"$tmp/$1.check" 2>&1 ||
	    { fail "$1: pngcheck: $(cat "$tmp/$1.check")"; return 1; }
	pngtopnm -plain "$tmp/$1.png" >"$tmp/$1.ppm" 2>/dev/null ||
	    { fail "$1: pngtopnm failed"; return 1; }
}

# query NAME: answer the queries on standard input about $tmp/NAME.ppm:
#	p ID X Y		-> ID R G B
#	n ID X0 Y0 X1 Y1 R G B	-> ID and how many pixels of that colour
#				   are in the rectangle
query() {
	awk '
	NR == FNR {
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^#/)
				break
			v[nv++] = $i
		}
		next
	}
	$1 == "p" {
		k = 4 + 3 * ($4 * v[1] + $3)
		print $2, v[k], v[k + 1], v[k + 2]
	}
	$1 == "n" {
		c = 0
		for (y = $4; y <= $6; y++)
			for (x = $3; x <= $5; x++) {
				k = 4 + 3 * (y * v[1] + x)
				if (v[k] == $7 && v[k + 1] == $8 &&
				    v[k + 2] == $9)
					c++
			}
		print $2, c
	}' "$tmp/$1.ppm" -
}

# get ID NAME: the answer to query ID about NAME.
get() {
	awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' \
	    "$tmp/$2.ans"
}

# layout NAME: read the -v report in $tmp/NAME.err into shell variables:
# the series panel (X0 Y0 X1 Y1, LO HI), the score panel (SX0 ... SHI)
# and the times at the ends as seconds of the day (T0 T1).
layout() {
	eval "$(awk '
	/series panel/ || /score panel/ {
		p = /score/ ? "S" : ""
		split($4, a, ",")
		split($6, b, ",")
		sub(/:$/, "", b[2])
		printf "%sX0=%s %sY0=%s %sX1=%s %sY1=%s %sLO=%s %sHI=%s\n", \
		    p, a[1], p, a[2], p, b[1], p, b[2], p, $7, p, $11
	}
	/^ts-plot: time / {
		split(substr($3, 12, 8), s, ":")
		split(substr($7, 12, 8), e, ":")
		printf "T0=%d T1=%d\n", s[1] * 3600 + s[2] * 60 + s[3], \
		    e[1] * 3600 + e[2] * 60 + e[3]
	}' "$tmp/$1.err")"
}

# xy HH:MM:SS VALUE [S]: the pixel of a point in the series panel, or in
# the score panel with S.
xy() {
	awk -v t="$1" -v v="$2" -v x0="$X0" -v x1="$X1" -v t0="$T0" \
	    -v t1="$T1" -v y0="$(eval echo \$${3}Y0)" \
	    -v y1="$(eval echo \$${3}Y1)" -v lo="$(eval echo \$${3}LO)" \
	    -v hi="$(eval echo \$${3}HI)" 'BEGIN {
		split(t, s, ":")
		t = s[1] * 3600 + s[2] * 60 + s[3]
		printf "%d %d\n", x0 + int((t - t0) / (t1 - t0) * (x1 - x0) \
		    + 0.5), y1 - int((v - lo) / (hi - lo) * (y1 - y0) + 0.5)
	}'
}

# A scored series: 5-minute steps, a missing value at 00:25, no data
# from 00:35 to 01:40, anomalies at 00:15 and 01:50.
cat >"$tmp/in.csv" <<'EOF'
time,temp,pressure,score,anomaly
2024-05-02T00:00:00Z,21.5,1.01,0.45,0
2024-05-02T00:05:00Z,21.7,1.02,0.46,0
2024-05-02T00:10:00Z,22.0,1.01,0.47,0
2024-05-02T00:15:00Z,29.5,1.30,0.71,1
2024-05-02T00:20:00Z,22.4,1.02,0.48,0
2024-05-02T00:25:00Z,,1.01,,
2024-05-02T00:30:00Z,22.1,1.00,0.46,0
2024-05-02T00:35:00Z,21.9,1.01,0.45,0
2024-05-02T01:40:00Z,20.8,0.99,0.47,0
2024-05-02T01:45:00Z,20.5,0.98,0.48,0
2024-05-02T01:50:00Z,14.0,0.80,0.68,1
2024-05-02T01:55:00Z,20.9,0.99,0.46,0
2024-05-02T02:00:00Z,21.2,1.00,0.45,0
EOF

# 1. The series panel.
ts-plot -v "$tmp/in.csv" >"$tmp/a.png" 2>"$tmp/a.err" ||
    fail "a: exit status $?"
png a && layout a
if [ -z "$X0" ] || [ -z "$T1" ]; then
	fail "a: no layout in the -v report: $(cat "$tmp/a.err")"
else
	set -- $(xy 00:15:00 29.5)
	ax1=$1 ay1=$2
	set -- $(xy 01:50:00 14.0)
	ax2=$1 ay2=$2
	gapx=$(xy 01:07:30 20 | cut -d' ' -f1)
	missx=$(xy 00:25:00 20 | cut -d' ' -f1)
	datax=$(xy 01:47:30 20 | cut -d' ' -f1)
	query a >"$tmp/a.ans" <<EOF
p red1 $ax1 $ay1
p red2 $ax2 $ay2
p corner 2 $((Y1 + 30))
p inside $((X0 + 3)) $((Y0 + 3))
n red $X0 $Y0 $X1 $Y1 $RED
n near1 $((ax1 - 4)) $((ay1 - 4)) $((ax1 + 4)) $((ay1 + 4)) $RED
n near2 $((ax2 - 4)) $((ay2 - 4)) $((ax2 + 4)) $((ay2 + 4)) $RED
n gap $gapx $((Y0 + 1)) $gapx $((Y1 - 1)) $BLUE
n missing $missx $((Y0 + 1)) $missx $((Y1 - 1)) $BLUE
n data $datax $((Y0 + 1)) $datax $((Y1 - 1)) $BLUE
EOF
	[ "$(get red1 a)" = "$RED" ] ||
	    fail "a: anomaly 1 at $ax1,$ay1 is $(get red1 a), not red"
	[ "$(get red2 a)" = "$RED" ] ||
	    fail "a: anomaly 2 at $ax2,$ay2 is $(get red2 a), not red"
	[ "$(get corner a)" = "$BG" ] || fail "a: a corner is $(get corner a)"
	[ "$(get inside a)" = "$BG" ] ||
	    fail "a: the panel's background is $(get inside a)"
	[ "$(get red a)" -gt 0 ] &&
	    [ "$(get red a)" -eq $(($(get near1 a) + $(get near2 a))) ] ||
	    fail "a: $(get red a) red pixels in the panel, $(get near1 a) and" \
		"$(get near2 a) of them on the anomalies"
	[ "$(get gap a)" -eq 0 ] ||
	    fail "a: the gap is bridged: column $gapx has blue"
	[ "$(get missing a)" -eq 0 ] ||
	    fail "a: the missing value is bridged: column $missx has blue"
	[ "$(get data a)" -gt 0 ] ||
	    fail "a: column $datax, between two points, has no blue"
fi

# 2. The score panel and the threshold from -T, then from a model.
X0= SY0= T1=
ts-plot -v -s -T 0.6 "$tmp/in.csv" >"$tmp/s.png" 2>"$tmp/s.err" ||
    fail "s: exit status $?"
png s && layout s
if [ -z "$SY0" ]; then
	fail "s: no score panel in the -v report: $(cat "$tmp/s.err")"
else
	thr=$(xy 00:00:00 0.6 S | cut -d' ' -f2)
	set -- $(xy 01:50:00 0.68 S)
	query s >"$tmp/s.ans" <<EOF
p thr $((SX0 + 1)) $thr
p dot $1 $2
n orange $((SX0 + 1)) $SY0 $((SX0 + 1)) $SY1 $ORANGE
EOF
	[ "$(get thr s)" = "$ORANGE" ] ||
	    fail "s: the threshold's row $thr is $(get thr s), not orange"
	[ "$(get orange s)" -eq 1 ] ||
	    fail "s: $(get orange s) orange pixels in the column, not 1"
	[ "$(get dot s)" = "$RED" ] ||
	    fail "s: the anomaly's score at $1,$2 is $(get dot s), not red"
fi
printf '%s\n' "iforest-model 1" >"$tmp/bad.model"
ts-plot -s -m "$tmp/bad.model" "$tmp/in.csv" >"$tmp/m.png" 2>"$tmp/m.err" &&
    fail "m: a bad model was taken"
[ -s "$tmp/m.png" ] && fail "m: output despite a bad model"

# 3. One point, a constant, a chosen size: valid pictures of that size.
printf 'time,v\n2024-05-02T12:00:00Z,42\n' | ts-plot -v >"$tmp/one.png" \
    2>"$tmp/one.err" || fail "one: exit status $?"
if png one; then
	layout one
	set -- $(xy 12:00:00 42)
	query one >"$tmp/one.ans" <<EOF
p dot $1 $2
EOF
	[ "$(get dot one)" = "$BLUE" ] ||
	    fail "one: the point at $1,$2 is $(get dot one), not blue"
fi
printf 'time,v\n2024-05-02T12:00:00Z,7\n2024-05-02T13:00:00Z,7\n' |
    ts-plot -W 640 -H 300 >"$tmp/const.png" || fail "const: exit status $?"
if png const; then
	[ "$(sed -n 2p "$tmp/const.ppm")" = "640 300" ] ||
	    fail "const: size $(sed -n 2p "$tmp/const.ppm"), not 640 300"
fi

# 4. The same input, the same bytes, in both formats.
ts-plot -s -T 0.6 "$tmp/in.csv" >"$tmp/s2.png"
cmp -s "$tmp/s.png" "$tmp/s2.png" || fail "same: two PNGs differ"
ts-plot -S "$tmp/in.csv" >"$tmp/1.svg"
ts-plot -S "$tmp/in.csv" >"$tmp/2.svg"
cmp -s "$tmp/1.svg" "$tmp/2.svg" || fail "same: two SVGs differ"

# 5. A bad row after many good ones: nothing on standard output.
awk 'BEGIN {
	print "time,v"
	for (i = 0; i < 20000; i++)
		printf "2024-05-02T%02d:%02d:%02dZ,%d\n", i / 3600 % 24, \
		    i / 60 % 60, i % 60, i % 13
	print "2024-05-02T23:59:59Z,oops"
}' >"$tmp/late.csv"
ts-plot "$tmp/late.csv" >"$tmp/late.png" 2>"$tmp/late.err"
[ $? -eq 1 ] || fail "late: exit status not 1"
[ -s "$tmp/late.png" ] && fail "late: output despite the bad row"
grep -q ':20002: ' "$tmp/late.err" || fail "late: $(cat "$tmp/late.err")"

# 6. A million points, one second apart: valid, with the one peak and
# the one anomaly drawn.
awk 'BEGIN {
	print "time,v,score,anomaly"
	t = 1714608000
	for (i = 0; i < 1000000; i++) {
		s = i % 86400
		v = (i == 500000) ? 100 : (i % 1000) / 100
		printf "2024-05-%02dT%02d:%02d:%02dZ,%s,0.5,%d\n", \
		    2 + int(i / 86400), s / 3600, s / 60 % 60, s % 60, v, \
		    i == 250000
	}
}' >"$tmp/big.csv"
ts-plot -v "$tmp/big.csv" >"$tmp/big.png" 2>"$tmp/big.err" ||
    fail "big: exit status $?: $(cat "$tmp/big.err")"
if png big; then
	layout big
	grep -q '1000000 rows' "$tmp/big.err" || fail "big: $(cat "$tmp/big.err")"
	query big >"$tmp/big.ans" <<EOF
n top $X0 $((Y0 + 1)) $X1 $((Y0 + 20)) $BLUE
n red $X0 $Y0 $X1 $Y1 $RED
EOF
	# The peak of 100 is 10 times the rest: only it reaches the top.
	[ "$(get top big)" -gt 0 ] || fail "big: the peak is lost"
	[ "$(get red big)" -gt 0 ] || fail "big: the anomaly is lost"
fi

# 7. No PNG to a terminal, but SVG (when script(1) can give us one).
if command -v script >/dev/null 2>&1; then
	script -qc "ts-plot '$tmp/in.csv' 2>/dev/null; echo rc=\$?" \
	    /dev/null </dev/null >"$tmp/tty.log" 2>&1
	grep -q 'rc=2' "$tmp/tty.log" && ! grep -q PNG "$tmp/tty.log" ||
	    fail "tty: a PNG went to a terminal"
	script -qc "ts-plot -S '$tmp/in.csv' 2>/dev/null; echo rc=\$?" \
	    /dev/null </dev/null >"$tmp/tty.log" 2>&1
	grep -q 'rc=0' "$tmp/tty.log" && grep -q '<svg' "$tmp/tty.log" ||
	    fail "tty: no SVG on a terminal"
fi
# 8. Write errors: a full disk, and a reader that goes away, with SIGPIPE
# ignored (reported) and not (quiet).  An SVG of many anomalies is larger
# than any pipe's buffer.
awk 'BEGIN {
	print "time,v,anomaly"
	for (i = 0; i < 40000; i++)
		printf "2024-05-02T%02d:%02d:%02dZ,%d,%d\n", i / 3600 % 24, \
		    i / 60 % 60, i % 60, (i * 7919) % 1000, i % 5 == 0
}' >"$tmp/many.csv"
ts-plot -S "$tmp/many.csv" >/dev/full 2>"$tmp/full.err"
[ $? -eq 1 ] && grep -q 'write error' "$tmp/full.err" ||
    fail "full: not reported: $(cat "$tmp/full.err")"
sh -c 'trap "" PIPE; ts-plot -S "$1" 2>"$2" | head -c 1 >/dev/null
    echo $?' sh "$tmp/many.csv" "$tmp/pipe.err" >/dev/null
grep -q 'write error' "$tmp/pipe.err" ||
    fail "pipe: EPIPE not reported with SIGPIPE ignored"
sh -c 'ts-plot -S "$1" 2>"$2" | head -c 1 >/dev/null' sh "$tmp/many.csv" \
    "$tmp/quiet.err"
[ -s "$tmp/quiet.err" ] && fail "pipe: not quiet: $(cat "$tmp/quiet.err")"

# 9. Nothing cut at the edges of a narrow picture: a long title and the
# legend wrap, the last time label keeps off the edge, so the right
# margin is all background.
ts-plot -W 240 -H 240 -s -T 0.688 -n "Machine temperature" "$tmp/in.csv" \
    >"$tmp/narrow.png" || fail "narrow: exit status $?"
if png narrow; then
	query narrow >"$tmp/narrow.ans" <<EOF
n bg 233 0 239 239 $BG
n orange 0 0 239 70 $ORANGE
EOF
	[ "$(get bg narrow)" -eq $((7 * 240)) ] ||
	    fail "narrow: something drawn in the right margin:" \
		"$((7 * 240 - $(get bg narrow))) pixels"
	# The threshold's sample in the legend, wrapped but whole.
	[ "$(get orange narrow)" -gt 0 ] ||
	    fail "narrow: no threshold in the legend"
fi

# 10. Every point anomalous: the line is drawn over the markers, so it
# shows at the points themselves.
awk 'BEGIN {
	print "time,v,score,anomaly"
	for (i = 0; i < 288; i++)
		printf "2024-05-02T%02d:%02d:00Z,%d,0.8,1\n", i / 12, \
		    i % 12 * 5, i % 2 ? 20 : 10
}' >"$tmp/dense.csv"
ts-plot -v "$tmp/dense.csv" >"$tmp/dense.png" 2>"$tmp/dense.err" ||
    fail "dense: exit status $?"
if png dense; then
	layout dense
	set -- $(xy 12:00:00 10)
	query dense >"$tmp/dense.ans" <<EOF
p at $1 $2
n red $X0 $Y0 $X1 $Y1 $RED
EOF
	[ "$(get at dense)" = "$BLUE" ] ||
	    fail "dense: the point at $1,$2 is $(get at dense), not blue"
	[ "$(get red dense)" -gt 0 ] || fail "dense: no anomaly drawn"
fi

# 11. No value at all: a picture that says so, and exit status 0.
printf 'time,v\n2024-05-02T10:00:00Z,\n2024-05-02T10:01:00Z,\n' |
    ts-plot -v >"$tmp/none.png" 2>"$tmp/none.err" ||
    fail "none: exit status $?"
if png none; then
	layout none
	query none >"$tmp/none.ans" <<EOF
n ink $((X0 + 1)) $((Y0 + 1)) $((X1 - 1)) $((Y1 - 1)) 34 34 34
EOF
	[ "$(get ink none)" -gt 0 ] || fail "none: no \"no data\" in the panel"
fi

# 12. -s without -m or -T: the score panel, and no threshold anywhere,
# as ts-plot(1) says.
ts-plot -s "$tmp/in.csv" >"$tmp/nothr.png" || fail "nothr: exit status $?"
if png nothr; then
	query nothr >"$tmp/nothr.ans" <<EOF
n orange 0 0 799 519 $ORANGE
n purple 0 0 799 519 117 80 170
EOF
	[ "$(get orange nothr)" -eq 0 ] ||
	    fail "nothr: $(get orange nothr) threshold pixels without -m or -T"
	[ "$(get purple nothr)" -gt 0 ] || fail "nothr: no score drawn"
fi
exit $rc
