#!/bin/sh
# The mechanical part of the style: lines of at most 80 columns (tabs at
# 8), no trailing white space, tabs, not eight spaces, for indentation in C.
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
rc=0
for f in cmd/*.c lib/*.c lib/*.h tests/unit/*.c tests/unit/*.h \
    tests/tools/*.c; do
	[ -f "$f" ] || continue
	expand "$f" | awk -v f="$f" '
		length($0) > 80 { printf "%s:%d: longer than 80 columns\n", f, NR; bad = 1 }
		/[ \t]$/ { printf "%s:%d: trailing white space\n", f, NR; bad = 1 }
		END { exit bad }' || rc=1
	grep -n '^        ' "$f" | sed "s|^|$f:|; s|$| (spaces for indentation)|" |
	    grep . && rc=1
done
exit $rc
