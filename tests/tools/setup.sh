# setup.sh - sourced first by the behaviour scripts (tests/t-*.sh): the
# checkout's top folder as $top, its programs and test tools first on
# PATH, the C locale, rc for the exit status and fail, which reports a
# failure and sets it; in_tmp makes a private folder $tmp, removed at
# exit, the current one.
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=$top/bin:$top/tests/bin:$PATH
LC_ALL=C
export PATH LC_ALL
rc=0

fail() {
	echo "FAIL: $*"
	rc=1
}

in_tmp() {
	tmp=$(mktemp -d) || exit 2
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 2' HUP INT TERM
	cd "$tmp" || exit 2
}
