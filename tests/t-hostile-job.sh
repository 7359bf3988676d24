#!/bin/sh
# anomaly-job and clarify against a hostile file system and server:
#
#	a symbolic link planted at each of the job's predictable
#	    temporary names in the state folder (model.new, mark.tmp,
#	    last-anomaly.tmp, signal.tmp) is not written through
#	a link planted at the lock is not followed into another folder
#	a state folder the job cannot write is an error that says so, not
#	    "another run holds the lock"
#	an answer of 300 MB to clarify is refused within seconds, with a
#	    message, under a memory limit; CLARIFY_MAX_SIZE sets the bound
#	curl, which is given the secret, runs with core dumps disabled
. "$(dirname "$0")/tools/peers.sh"
command -v perl >/dev/null 2>&1 || { echo "skipped: no perl"; exit 0; }
chmod 755 "$tmp"
cd "$tmp" || exit 2

# credfile PORTFILE TYPE FILE: credentials of TYPE for the server whose
# port is in PORTFILE.
credfile() {
	printf '{"apiUrl":"http://127.0.0.1:%s/v1/","integration":"%s",' \
	    "$(cat "$1")" $ID >"$3"
	printf '"credentials":{"type":"%s","clientId":"cid",%s}}\n' \
	    "$2" '"clientSecret":"secret"' >>"$3"
	chmod 600 "$3"
}

{
	echo "time,$ITEM"
	{
		three_days
		echo "2013-12-06T00:30:00Z,500"
		echo "2013-12-06T02:30:00Z,500"
	} | sort
} >data.csv
fake-clarify -p cport -t 120 -c cid -s secret -d data.csv -r rec \
    2>server.err &
cpid=$!
smtp-sink -d mail -p sport -i 120 2>sink.err &
spid=$!
waitport cport
waitport sport
credfile cport client-credentials cred.json
job_conf "$tmp/cred.json" hj-in
job() {
	ANOMALY_JOB_NOW=$1 anomaly-job -c job.conf 2>>joberr
}

# Links planted at the temporary names: nothing written through them.
mkdir -m 700 state
echo victim >victim
for f in model.new mark.tmp; do
	ln -s "$tmp/victim" "state/$f"
	job 2013-12-06T00:00:00Z || fail "train, $f: $(tail -n 3 joberr)"
	[ "$(cat victim)" = victim ] ||
	    fail "training wrote through a link at $f: $(head -c 40 victim)"
	echo victim >victim
	rm -rf state
	mkdir -m 700 state
done
# (what a link did to the state is undone, so that each case stands
# alone)
undo_link() {
	if [ -L "state/$1" ]; then
		rm -f "state/$1"
		echo "$2" >"state/$1"
	fi
}
undo_link mark 2013-12-06T00:00:00Z
[ -f state/model ] && [ ! -L state/model ] ||
    { rm -f state/model state/mark; job 2013-12-06T00:00:00Z; }
for f in mark.tmp last-anomaly.tmp signal.tmp; do
	ln -s "$tmp/victim" "state/$f"
done
job 2013-12-06T01:00:00Z || fail "window: $(cat joberr)"
grep -q 'found 1 anomal' joberr || fail "no anomaly: $(cat joberr)"
[ "$(cat victim)" = victim ] ||
    fail "a window wrote through a planted link: $(head -c 60 victim)"
rm -f state/*.tmp
undo_link mark 2013-12-06T01:00:00Z

# A link planted at the lock, to a folder holding a dead run's pid: the
# lock is taken over and the folder it led to left alone.
sh -c 'exit 0' &
dead=$!
wait "$dead"
mkdir elsewhere
echo "$dead" >elsewhere/pid
echo keep >elsewhere/keep
ln -s "$tmp/elsewhere" state/lock
job 2013-12-06T02:00:00Z || fail "linked lock: $(tail -n 3 joberr)"
[ -f elsewhere/keep ] && [ "$(cat elsewhere/pid)" = "$dead" ] ||
    fail "linked lock: the folder it led to was changed: $(ls elsewhere)"
[ ! -e state/lock ] || fail "linked lock: still there"

# A state folder the job cannot write, as a user that permissions apply
# to.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	chown -R 65534:65534 "$tmp"
	chmod 500 state
	: >joberr
	ANOMALY_JOB_NOW=2013-12-06T03:00:00Z setpriv --reuid=65534 \
	    --regid=65534 --clear-groups -- anomaly-job -c job.conf 2>joberr
	s=$?
	[ "$s" -eq 1 ] || fail "read-only state: status $s: $(cat joberr)"
	grep -q 'cannot make the lock .*/lock: Permission denied' joberr ||
	    fail "read-only state: $(cat joberr)"
	chmod 700 state
else
	echo "skipped: a read-only state folder needs root and setpriv"
fi

# An answer of 300 MB.
cat >srv.pl <<'EOF'
use IO::Socket::INET;
my ($portfile, $mb) = @ARGV;
my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
    Listen => 5, ReuseAddr => 1) or die "listen: $!";
open(my $f, ">", "$portfile.tmp") or die;
print $f $s->sockport, "\n";
close $f;
rename("$portfile.tmp", $portfile);
$SIG{PIPE} = "IGNORE";
while (my $c = $s->accept) {
	my ($h, $len) = ("", 0);
	while (defined(my $l = <$c>)) { $h .= $l; last if $l eq "\r\n"; }
	$len = $1 if $h =~ /^Content-Length:\s*(\d+)/mi;
	read($c, my $body, $len) if $len;
	print $c "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n",
	    "Connection: close\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,",
	    "\"result\":\"";
	my $chunk = "a" x 1048576;
	for (1 .. $mb) { print $c $chunk or last; }
	print $c "\"}\n";
	close $c;
}
EOF
perl srv.pl hport 300 2>/dev/null &
hpid=$!
waitport hport
credfile hport basic-auth huge.json
echo '{"jsonrpc":"2.0","method":"clarify.selectItems","id":1,"params":{}}' |
    (ulimit -v 262144 && exec timeout 60 clarify -C huge.json rpc) \
    >out 2>err
s=$?
[ "$s" -eq 1 ] || fail "300 MB answer: status $s: $(head -c 300 err)"
grep -q '^clarify: .*larger than 268435456 bytes' err ||
    fail "300 MB answer: $(head -c 300 err)"
[ "$(wc -c <out)" -lt 1000000 ] ||
    fail "300 MB answer: $(wc -c <out) bytes passed on"
# The bound set lower, and set wrong.
echo '{"jsonrpc":"2.0","method":"clarify.selectItems","id":1,"params":{}}' |
    CLARIFY_MAX_SIZE=100 clarify -C cred.json rpc >out 2>err
s=$?
[ "$s" -eq 1 ] && grep -q 'larger than 100 bytes' err ||
    fail "CLARIFY_MAX_SIZE=100: status $s: $(cat err)"
echo '{"jsonrpc":"2.0","method":"clarify.selectItems","id":1,"params":{}}' |
    CLARIFY_MAX_SIZE=1e3 clarify -C cred.json rpc >out 2>err
s=$?
[ "$s" -eq 2 ] && grep -q 'CLARIFY_MAX_SIZE' err ||
    fail "CLARIFY_MAX_SIZE=1e3: status $s: $(cat err)"

# curl is given the secret: no core dump of it.
# (core dumps allowed first, so that the check means something where
# they are off by default)
ulimit -c unlimited 2>/dev/null || ulimit -c 1024 2>/dev/null ||
    echo "core dumps cannot be allowed here: the check is empty"
printf 'slow=2 1\n' >ctl
kill "$cpid"
wait "$cpid" 2>/dev/null
fake-clarify -p cport2 -t 120 -c cid -s secret -d data.csv -f ctl \
    2>server.err &
cpid=$!
waitport cport2
credfile cport2 basic-auth slow.json
# In a session of its own, so that only its curl is looked at while
# other tests run theirs.
echo '{"jsonrpc":"2.0","method":"clarify.selectItems","id":1,"params":{}}' |
    setsid clarify -C slow.json rpc >/dev/null 2>&1 &
p=$!
n=0
lim=
while [ -z "$lim" ] && [ $n -lt 40 ]; do
	for c in $(pgrep -x -s "$p" curl); do
		lim=$(grep 'core file' "/proc/$c/limits" 2>/dev/null)
	done
	n=$((n + 1))
	sleep 0.05
done
wait "$p"
[ -n "$lim" ] || fail "curl not seen"
echo "$lim" | grep -q '^Max core file size  *0 ' ||
    fail "curl, which holds the secret, may dump core: $lim"

exit $rc
