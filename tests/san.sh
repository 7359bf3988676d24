#!/bin/sh
# Run the whole suite (tests/run) once more on a copy of the tree built
# with AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer.
# Fails when a test fails or a sanitizer reports anything, even in a test
# that only looks at an exit status: every report is written to a log
# file, and a log file is a failure.
#
# The copy is the tracked files (git ls-files) in a git checkout, else the
# source folders; nothing is built in the tree itself.  Tests that limit
# virtual memory with ulimit -v cannot run with a sanitizer, which maps
# terabytes of shadow memory: golden cases whose command does so are left
# out of the copy, and so are scripts that do so, unless they mention
# IFOREST_SANITIZED, which is set, to skip such steps themselves.
#
#	SAN_CC		the compiler (default clang; gcc works too)
#	SAN_KEEP	when set, the copy is kept and its path printed

top=$(cd "$(dirname "$0")/.." && pwd)
cc=${SAN_CC:-clang}
if ! command -v "$cc" >/dev/null 2>&1; then
	echo "san: $cc not found (make deps installs it); not run" >&2
	exit 0
fi

tmp=$(mktemp -d) || exit 2
if [ -z "${SAN_KEEP-}" ]; then
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 2' HUP INT TERM
else
	echo "san: the copy is in $tmp"
fi

# The copy.
cd "$top" || exit 2
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files | while IFS= read -r f; do
		[ -f "$f" ] && printf '%s\n' "$f"
	done | tar -cf - -T - | tar -xf - -C "$tmp" || exit 2
else
	for f in *; do
		case $f in
		bin) ;;
		*) cp -R "$f" "$tmp/" || exit 2 ;;
		esac
	done
	rm -rf "$tmp/tests/bin" "$tmp/demo/out"
	find "$tmp" -name '*.[oa]' -exec rm -f {} +
fi
cd "$tmp" || exit 2

for c in tests/golden/*/*/cmd; do
	if grep -q 'ulimit -v' "$c"; then
		echo "san: skipped ${c%/cmd} (ulimit -v)"
		rm -rf "${c%/cmd}"
	fi
done
# A script that limits memory and does not say it knows of the sanitizers
# would fail, or wait for ever on a program that never started.
for t in tests/t-*.sh; do
	if grep -q 'ulimit -v' "$t" && ! grep -q IFOREST_SANITIZED "$t"; then
		echo "san: skipped $t (ulimit -v, no IFOREST_SANITIZED)"
		rm -f "$t"
	fi
done

# The build.
flags='-std=c11 -O1 -g -fsanitize=address,undefined'
flags="$flags -fno-sanitize-recover=all -fno-omit-frame-pointer"
extra=$(ls tests/unit/*.c tests/tools/*.c 2>/dev/null |
    sed 's,^tests/[a-z]*/\(.*\)\.c$,tests/bin/\1,')
if ! make -s CC="$cc" CFLAGS="$flags" all $extra >build.log 2>&1; then
	echo "san: the sanitized build failed:"
	tail -n 40 build.log
	exit 1
fi

# The run.  A report goes to san/log.PID and makes the program exit 86.
mkdir san
opts="log_path=$tmp/san/log:exitcode=86"
ASAN_OPTIONS="detect_leaks=1:$opts"
LSAN_OPTIONS="$opts"
UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:$opts"
IFOREST_SANITIZED=1
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS IFOREST_SANITIZED
# A test that hangs fails the run rather than stopping make check.
limit=
command -v timeout >/dev/null 2>&1 && limit='timeout 1200'
$limit sh tests/run >run.log 2>&1
rc=$?
[ $rc -eq 124 ] && echo "san: the suite took more than 20 minutes"
sed 's/^/san: /' run.log
if ls san/log.* >/dev/null 2>&1; then
	for l in san/log.*; do
		echo "san: report $l:"
		head -n 60 "$l"
	done
	rc=1
fi
exit $rc
