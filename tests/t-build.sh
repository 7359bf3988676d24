#!/bin/sh
# The sources compile without a single warning under both gcc and clang at
# -std=c11 -Wall -Wextra -pedantic (only the compilers that are installed).
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
rc=0
flags="-std=c11 -Wall -Wextra -pedantic -Werror -fsyntax-only"
defs="-D_POSIX_C_SOURCE=200809L -DVERSION=\"0\" -Ilib"
ran=0
for cc in gcc clang; do
	command -v $cc >/dev/null 2>&1 || continue
	ran=1
	for f in lib/*.c cmd/*.c tests/unit/*.c tests/tools/*.c; do
		[ -f "$f" ] || continue
		$cc $flags $defs "$f" || { echo "$cc: $f has warnings"; rc=1; }
	done
done
[ $ran -eq 1 ] || { echo "no compiler found"; exit 1; }
exit $rc
