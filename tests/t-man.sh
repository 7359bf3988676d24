#!/bin/sh
# Every program has a manual page; every page renders without a warning
# from man(1) (and from mandoc -Tlint, where mandoc is installed); and
# each page's SYNOPSIS says the same as the usage lines of the program's
# --help, white space aside.

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
rc=0

fail() {
	echo "$*"
	rc=1
}

# Words of a text on one line, single-spaced.
squeeze() {
	tr -s ' \t\n' '   ' | sed 's/^ //; s/ $//'
}

for c in cmd/*.c cmd/*.sh; do
	p=$(basename "${c%.*}")
	[ -f "man/man1/$p.1" ] || fail "$p: no man/man1/$p.1"
done

for m in man/man1/*.1; do
	w=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$m" 2>&1 >/dev/null)
	[ -z "$w" ] || fail "$m: man warns: $w"
	if command -v mandoc >/dev/null 2>&1; then
		w=$(mandoc -Tlint -W warning "$m" 2>&1)
		[ -z "$w" ] || fail "$m: mandoc -Tlint: $w"
	fi
done

for c in cmd/*.c cmd/*.sh; do
	p=$(basename "${c%.*}")
	m=man/man1/$p.1
	[ -f "$m" ] && [ -x "bin/$p" ] || continue
	usage=$("bin/$p" --help | sed -n '/^usage:/,/^$/p' |
	    sed 's/^usage://' | squeeze)
	synopsis=$(MANWIDTH=200 man -E ascii -l "$m" 2>/dev/null |
	    sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | squeeze)
	[ "$usage" = "$synopsis" ] || fail "$p: --help usage and SYNOPSIS differ:
	usage:    $usage
	synopsis: $synopsis"
done

exit $rc
