#!/bin/sh
# Diagnostics: control bytes from the input never reach the terminal as
# they are, and a standard output closed from the start is no error for a
# program that writes nothing to it.
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$PATH
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 2
rc=0

esc=$(printf '\033')
bel=$(printf '\007')
printf 'time,x\n2024-01-01T00:00:00Z,"1\033]0;owned\007"\n' >ctl.csv
iforest-train -o m ctl.csv 2>err
[ $? -eq 1 ] || { echo "iforest-train took a field with control bytes"; rc=1; }
if grep -q "$esc\|$bel" err; then
	echo "control bytes reached stderr"
	rc=1
fi
grep -q 'not a number: "1?\]0;owned?"' err ||
    { echo "unexpected message: $(cat err)"; rc=1; }

printf 'time,x\n2024-01-01T00:00:00Z,1\n2024-01-01T00:00:01Z,2\n' >ok.csv
iforest-train -o closed.model ok.csv >&- 2>err
st=$?
[ $st -eq 0 ] || { echo "closed stdout: exit $st: $(cat err)"; rc=1; }
[ -s closed.model ] || { echo "closed stdout: no model"; rc=1; }
exit $rc
