#!/bin/sh
# The examples of anomaly-job(1) work as written: the crontab(5) line is
# one line, which crontab requires; the Makefile runs the job for each
# configuration and makes its log folder; the replay, its paths and
# times made the test's, scores the window again and inserts and mails
# what it finds; the README gives contamination's default.
PLANT='2013-12-06T01:30:00Z'
. "$(dirname "$0")/tools/job-env.sh"
page=$top/man/man1/anomaly-job.1

# example START: the literal display of the EXAMPLES section that comes
# first after a line matching START, with mdoc's \e made a backslash.
example() {
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /p' "$page" | awk -v s="$1" '
		$0 ~ s { on = 1; next }
		on && /^\.Bd -literal/ { lit = 1; next }
		lit && /^\.Ed/ { exit }
		lit { gsub(/\\e/, "\\"); print }'
}

# The crontab line: one line, five time fields and the job.
example '^\.Xr crontab 5$' >"$tmp/cron"
[ "$(wc -l <"$tmp/cron")" -eq 1 ] ||
    fail "crontab: not one line: $(cat "$tmp/cron")"
grep -q '^[0-9*]* [0-9*]* [0-9*]* [0-9*]* [0-9*]* /.*anomaly-job -c .* 2>>' \
    "$tmp/cron" || fail "crontab: $(cat "$tmp/cron")"
grep -q '\\$' "$tmp/cron" && fail "crontab: a continued line"

# The Makefile, with a stand-in job, in a folder with no log/.
mkdir "$tmp/mk" "$tmp/mk/conf" "$tmp/mk/bin" || exit 2
example '^\.Pa Makefile$' >"$tmp/mk/Makefile"
printf '#!/bin/sh\necho "ran $*" >&2\n' >"$tmp/mk/bin/anomaly-job"
chmod 755 "$tmp/mk/bin/anomaly-job"
: >"$tmp/mk/conf/press.conf"
: >"$tmp/mk/conf/oven.conf"
(cd "$tmp/mk" && PATH=$tmp/mk/bin:$PATH make -k >"$tmp/mk.out" 2>&1) ||
    fail "Makefile: $(cat "$tmp/mk.out")"
grep -qx 'ran -c conf/press.conf' "$tmp/mk/log/press.log" 2>/dev/null &&
    grep -qx 'ran -c conf/oven.conf' "$tmp/mk/log/oven.log" ||
    fail "Makefile: no logs: $(cat "$tmp/mk.out")"

# The replay: a day's runs, then the run of 03:00 replayed in a copy.
setup
job 2013-12-06T01:00:00Z || fail "train: $(cat "$tmp/err")"
job 2013-12-06T03:00:00Z || fail "03:00: $(cat "$tmp/err")"
job 2013-12-06T05:00:00Z || fail "05:00: $(cat "$tmp/err")"
verify runs
[ "$(mails)" -eq 1 ] || fail "runs: $(mails) mails"
n=$(grep -c "^$INPUT,2013-12-06T01:30:00Z," "$tmp/rec/inserts.csv")
example '^Replay ' |
    sed -e "s|/var/lib/anomaly-job/press|$tmp/state|g" \
    -e "s|/etc/anomaly-job/press.conf|$tmp/job.conf|g" \
    -e "s|/tmp/replay|$tmp/replay|g" \
    -e "s|2024-05-01T10:00:00Z|2013-12-06T01:00:00Z|g" \
    -e "s|2024-05-01T11:05:00Z|2013-12-06T03:00:00Z|g" >"$tmp/replay.sh"
grep -q "$tmp/replay" "$tmp/replay.sh" ||
    fail "replay: no copy of the state in: $(cat "$tmp/replay.sh")"
sh -e "$tmp/replay.sh" 2>"$tmp/err" || fail "replay: $(cat "$tmp/err")"
grep -q 'done \[2013-12-06T01:00:00Z, 2013-12-06T02:00:00Z): .* 1 anomaly' \
    "$tmp/err" || fail "replay: $(cat "$tmp/err")"
[ "$(mails)" -eq 2 ] || fail "replay: $(mails) mails, not 2"
[ "$(grep -c "^$INPUT,2013-12-06T01:30:00Z," "$tmp/rec/inserts.csv")" -eq \
    $((n + 1)) ] || fail "replay: not inserted again"
[ "$(mark)" = 2013-12-06T04:00:00Z ] || fail "replay: the state's mark moved"

# The README's step that lists the keys gives contamination's default
# (t-job-conf checks that the job uses it).
sed -n '/^## On a real Clarify account/,/^## /p' "$top/README.md" |
    tr '\n' ' ' | grep -q '`contamination`[^.]* 0\.01 unless set' ||
    fail "README: no default for contamination"
exit $rc
