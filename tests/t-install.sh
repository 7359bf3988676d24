#!/bin/sh
# make install puts every program and page under DESTDIR/PREFIX, and the
# installed programs run; make uninstall takes them away again.
top=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
rc=0
cd "$top" || exit 2

make -s install DESTDIR="$tmp/stage" PREFIX=/opt/ift >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; exit 1; }
for c in cmd/*.c; do
	p=$(basename "$c" .c)
	[ -x "$tmp/stage/opt/ift/bin/$p" ] || { echo "no bin/$p"; rc=1; }
	[ -f "$tmp/stage/opt/ift/share/man/man1/$p.1" ] ||
	    { echo "no man1/$p.1"; rc=1; }
	"$tmp/stage/opt/ift/bin/$p" --version | grep -q "^$p " ||
	    { echo "$p --version fails once installed"; rc=1; }
done
[ -f "$tmp/stage/opt/ift/share/man/man1/iforest-tools.1" ] ||
    { echo "no iforest-tools.1"; rc=1; }

make -s uninstall DESTDIR="$tmp/stage" PREFIX=/opt/ift >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; exit 1; }
left=$(find "$tmp/stage" -type f | wc -l)
[ "$left" -eq 0 ] || { echo "uninstall left $left files"; rc=1; }
exit $rc
