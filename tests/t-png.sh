#!/bin/sh
# The PNG encoder against independent tools: every file png-write makes
# must pass pngcheck and decode with netpbm's pngtopnm to exactly the
# colours png-write says it drew (its -p output).  The images cover one
# pixel, wide, tall and large flat ones, 256 colours, noise that does
# not compress (stored blocks), plots of 1200x600 and 800x300 and
# widths that are not a whole number of bytes at 1, 2 and 4 bits a
# pixel, noise of 7 colours that takes several compressed blocks, and
# bands of noise and flat rows, where stored blocks and compressed ones
# take turns.  The compressor alone is checked through gzip: png-write -z
# wraps its raw deflate stream in a gzip member, which gzip -dc must
# give back byte for byte, for each mode and kind of input, among them
# inputs whose best codes are too long, for the code-length alphabet
# (skewed) and for the literals (deep).
. "$(dirname "$0")/tools/setup.sh"
for tool in pngcheck pngtopnm gzip; do
	command -v $tool >/dev/null 2>&1 || { echo "skipped: no $tool"; exit 0; }
done
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT PIPE TERM

# One number per line, so that line breaks do not matter.
words() {
	tr -s '[:space:]' '\n'
}

# image PATTERN WIDTH HEIGHT NCOLOR SEED: encode, check, decode, compare.
image() {
	name="$*"
	png-write "$@" >"$tmp/a.png" 2>"$tmp/err" ||
	    { fail "$name: png-write failed: $(cat "$tmp/err")"; return; }
	pngcheck -q "$tmp/a.png" >"$tmp/check" 2>&1 ||
	    { fail "$name: pngcheck: $(cat "$tmp/check")"; return; }
	pngtopnm -plain "$tmp/a.png" 2>"$tmp/err" | words >"$tmp/got" ||
	    { fail "$name: pngtopnm: $(cat "$tmp/err")"; return; }
	png-write -p "$@" | words >"$tmp/want"
	cmp -s "$tmp/got" "$tmp/want" ||
	    fail "$name: decoded pixels differ from the image drawn"
	png-write "$@" | cmp -s - "$tmp/a.png" ||
	    fail "$name: a second run wrote other bytes"
}

image flat 1 1 1 0
image noise 1 1 256 1
image noise 3000 2 7 2
image noise 2 3000 5 3
image ramp 256 9 256 4
image ramp 1000 30 17 5
image noise 400 300 256 6
image flat 1000 700 3 7
image plot 1200 600 6 8
image plot 800 300 40 9
image noise 13 7 2 10
image noise 11 5 4 11
image noise 9 3 16 12
image plot 37 11 3 13
image noise 4097 3 2 14
image flat 16384 1 2 15
image noise 600 400 7 16
image bands 500 700 256 17

# Noise cannot shrink: the stored blocks keep it within a few bytes a
# block of the raw size, which is the 120300 bytes of filtered rows.
png-write noise 400 300 256 6 >"$tmp/n.png"
size=$(wc -c <"$tmp/n.png")
[ "$size" -le $((120300 + 2000)) ] ||
    fail "noise: $size bytes, more than stored blocks take"

# A plot is mostly background: far below its 360600 bytes of rows.
png-write plot 1200 600 6 8 >"$tmp/p.png"
size=$(wc -c <"$tmp/p.png")
[ "$size" -le 36060 ] || fail "plot: $size bytes, not compressed"

# Images the encoder refuses, with the reason.
refused() {
	want=$1
	shift
	png-write "$@" >"$tmp/out" 2>"$tmp/err"
	status=$?
	[ "$status" -eq 1 ] || fail "$*: exit status $status, want 1"
	[ -s "$tmp/out" ] && fail "$*: wrote output for a refused image"
	grep -q "^png-write: $want\$" "$tmp/err" ||
	    fail "$*: message $(cat "$tmp/err"), want: $want"
}
refused "image of 0x5 pixels: no pixels" noise 0 5 3 1
refused "image of 5x0 pixels: no pixels" noise 5 0 3 1
refused "image of 16385x1 pixels: more than 16384 on a side" \
    flat 16385 1 2 1
refused "image of 1x16385 pixels: more than 16384 on a side" \
    flat 1 16385 2 1

# The compressor through gzip, which checks the CRC-32 and length too.
for input in "random 0" "random 1" "random 100000" "two 30000" \
    "runs 200000" "text 150000" "skewed 70000" "deep 16000" "far 45000"; do
	set -- $input
	png-write -r "$1" "$2" 5 >"$tmp/in" ||
	    { fail "png-write -r $input failed"; continue; }
	for mode in best stored fixed dynamic; do
		png-write -z $mode <"$tmp/in" >"$tmp/in.gz" ||
		    { fail "$input $mode: png-write -z failed"; continue; }
		gzip -dc <"$tmp/in.gz" >"$tmp/out" 2>"$tmp/err" ||
		    { fail "$input $mode: gzip: $(cat "$tmp/err")"; continue; }
		cmp -s "$tmp/in" "$tmp/out" ||
		    fail "$input $mode: gzip gave back other bytes"
		eval "size_$mode=\$(wc -c <\"\$tmp/in.gz\")"
	done
	# The best choice is never much worse than any one block type.
	for mode in stored fixed dynamic; do
		eval "other=\$size_$mode"
		[ "$size_best" -le $((other + 5 * ($2 / 16384 + 1))) ] ||
		    fail "$input: best $size_best bytes, $mode $other"
	done
done

# A copy 32768 bytes back is found; one a byte further must not be.
png-write -r far 45000 5 | png-write -z best >"$tmp/f.gz"
size=$(wc -c <"$tmp/f.gz")
[ "$size" -le $((45000 - 200)) ] ||
    fail "far: $size bytes of 45000: the copy 32768 bytes back not found"

# Repetitive input shrinks.
png-write -r text 150000 5 | png-write -z best >"$tmp/t.gz"
size=$(wc -c <"$tmp/t.gz")
[ "$size" -le 50000 ] || fail "text: $size bytes of 150000, not compressed"
png-write -r runs 200000 5 | png-write -z best >"$tmp/r.gz"
size=$(wc -c <"$tmp/r.gz")
[ "$size" -le 5000 ] || fail "runs: $size bytes of 200000, not compressed"

exit $rc
