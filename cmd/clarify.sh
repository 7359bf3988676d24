#!/bin/sh
# clarify - send JSON-RPC requests to the Clarify API with curl(1).
#
# The secrets stay out of this script: clarify-helper reads the credentials
# file and the token cache and prints curl's configuration, which curl
# reads from a pipe (-K -).  Only the request and response bodies, which
# hold no secret, pass through files here, in a private temporary folder.
set -eu

cred=${CLARIFY_CREDENTIALS:-./clarify-credentials.json}
retries=${CLARIFY_RETRIES:-4}
firstwait=${CLARIFY_WAIT:-1}
pace=${CLARIFY_PACE:-1}
cache=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/iforest-tools
timeout=${CLARIFY_TIMEOUT:-30}
# The largest answer taken, in bytes: 256 MiB.
maxsize=${CLARIFY_MAX_SIZE:-268435456}
tmp=
paced=0

usage() {
	cat <<'EOF'
usage: clarify [-C credentials] rpc
       clarify [-C credentials] data item from to
       clarify [-C credentials] check
EOF
}

help() {
	usage
	cat <<'EOF'

Send Clarify JSON-RPC requests with curl and print the responses.

  rpc                 post each line of standard input as a request
  data ITEM FROM TO   fetch ITEM's raw data in [FROM, TO), 40 days a request
  check               check the credentials file and print its type
  -C FILE             credentials file (default $CLARIFY_CREDENTIALS,
                      or ./clarify-credentials.json)
EOF
}

usage_error() {
	[ $# -eq 0 ] || echo "clarify: $*" >&2
	usage >&2
	echo "Try 'clarify --help' for more information." >&2
	exit 2
}

say() {
	echo "clarify: $*" >&2
}

# The helper that sits next to this script, or the one on PATH.
find_helper() {
	helper=${0%/*}/clarify-helper
	case $0 in
	*/*)	[ -x "$helper" ] || helper=clarify-helper ;;
	*)	helper=clarify-helper ;;
	esac
}

# post COMMAND OUT [CURL-ARG...]: run curl on the configuration that the
# helper's COMMAND prints, the answer into OUT and its header into
# $tmp/head; the HTTP status goes in $http and curl's exit status in $cst,
# which is 63, as curl's own for a file too large, when the answer is
# longer than $maxsize bytes.  --max-filesize alone is not enough: curl
# before 8.4 applies it only to an answer that gives its length first.
# head(1) bounds the rest, and curl stops at the broken pipe.
post() {
	c=$1
	o=$2
	shift 2
	rm -f "$tmp/head" "$tmp/cst"
	{
		# (an if, which set -e leaves alone: the status is wanted)
		if "$helper" "$c" "$cred" | curl -K - -sS \
		    --max-time "$timeout" --max-filesize "$maxsize" \
		    -D "$tmp/head" -o - "$@"; then
			echo 0 >"$tmp/cst"
		else
			echo "$?" >"$tmp/cst"
		fi
	} | head -c "$((maxsize + 1))" >"$o"
	cst=$(cat "$tmp/cst" 2>/dev/null) || cst=
	[ -n "$cst" ] || cst=1
	[ "$(wc -c <"$o")" -le "$maxsize" ] || { cst=63; : >"$o"; }
	# The last status line: an interim "100 Continue" may come first.
	http=
	[ ! -f "$tmp/head" ] || http=$(tr -d '\r' <"$tmp/head" |
	    sed -n 's/^HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' | tail -n 1)
	[ -n "$http" ] || http=000
}

# failed WHAT: say why curl failed on WHAT.
failed() {
	if [ "$cst" -eq 63 ]; then
		say "$1: the answer is larger than $maxsize bytes, refused"
	else
		say "$1 failed (curl exit $cst)"
	fi
}

# retry_after: the seconds of the last answer's Retry-After header, when
# it gives them as a number.
retry_after() {
	[ -f "$tmp/head" ] || return 0
	tr -d '\r' <"$tmp/head" |
	    sed -n 's/^[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]: *//p' |
	    grep -x '[0-9]\{1,4\}' | tail -n 1
}

# retryable: is the last answer worth another try, after a wait?
retryable() {
	case $cst:$http in
	28:*)	what="time-out" ;;
	0:5??)	what="HTTP $http" ;;
	0:429)	what="HTTP $http"
		# Too fast: wait at least as long as the service asks.
		ra=$(retry_after)
		if [ -n "$ra" ] && awk -v a="$ra" -v w="$wait" \
		    'BEGIN { exit !(a + 0 > w + 0) }'; then
			wait=$ra
		fi ;;
	*)	return 1 ;;
	esac
	backoff
}

# backoff: wait before the next try, or return 1 when tries are used up.
backoff() {
	[ "$tries" -lt "$retries" ] || return 1
	tries=$((tries + 1))
	say "$what, try $tries of $retries again in $wait s"
	sleep "$wait"
	wait=$(awk -v w="$wait" 'BEGIN { print w * 2 }')
}

# fetch_token: get a new token and cache it.
fetch_token() {
	tries=0
	wait=$firstwait
	while :; do
		post token-config "$tmp/token"
		retryable || break
	done
	if [ "$cst" -ne 0 ]; then
		failed "token request"
		return 1
	fi
	if [ "$http" != 200 ]; then
		say "token request: HTTP $http"
		"$helper" token-save "$cred" "$tmp/token" || :
		rm -f "$tmp/token"
		return 1
	fi
	"$helper" token-save "$cred" "$tmp/token" || { rm -f "$tmp/token";
	    return 1; }
	rm -f "$tmp/token"
}

# token: make sure the cache holds a token with time left.
token() {
	[ "$type" = basic-auth ] && return 0
	"$helper" token-valid "$cred" && return 0
	fetch_token
}

# show: the response, on a line of its own.
show() {
	# Not awk 1: some awks take seconds over a line of many MB.
	cat "$tmp/resp"
	[ -z "$(tail -c 1 "$tmp/resp")" ] || echo
}

# call: send $tmp/body until it is answered or the tries are used up.
call() {
	tries=0
	wait=$firstwait
	refreshed=0
	while :; do
		token || return 1
		rm -f "$tmp/resp"
		post rpc-config "$tmp/resp" --data-binary "@$tmp/body"
		if [ "$cst" -eq 0 ] && [ "$http" = 401 ] &&
		    [ "$type" = client-credentials ] && [ "$refreshed" -eq 0 ]
		then
			refreshed=1
			fetch_token || return 1
			tries=0
			wait=$firstwait
			continue
		fi
		retryable && continue
		[ "$cst" -eq 0 ] || { failed request; return 1; }
		case $http in
		200)	;;
		204)	return 0 ;;
		*)	say "HTTP $http"
			return 1 ;;
		esac
		rc=0
		"$helper" response "$tmp/resp" || rc=$?
		if [ "$rc" -eq 3 ]; then
			what="try again"
			backoff && continue
		fi
		show
		[ "$rc" -eq 0 ]
		return
	done
}

# now_ns: the time in nanoseconds, or in whole seconds times 10^9 where
# date(1) has no %N.
now_ns() {
	d=$(date +%s%N)
	case $d in
	*[!0-9]*)	echo "$(date +%s)000000000" ;;
	*)		echo "$d" ;;
	esac
}

# pace METHOD: data and writes go at most one a $pace seconds, per
# method.  The time of the last one is kept in the cache folder too, so
# that the pace holds across runs that follow each other closely, as a
# job's do; within one run the full pace is kept even without it.
pace() {
	case $1 in
	clarify.dataframe|integration.insert|integration.savesignals)
		;;
	*)	return 0 ;;
	esac
	st=
	if mkdir -p "$cache" 2>/dev/null; then
		st=$cache/pace-$1
	fi
	w=
	if [ "$paced" -ne 0 ]; then
		w=$pace
	elif [ -n "$st" ] && [ -s "$st" ]; then
		w=$(awk -v p="$pace" -v last="$(cat "$st")" -v now="$(now_ns)" \
		    'BEGIN { w = p - (now - last) / 1e9
			if (w > p) w = p
			if (w > 0) printf "%.3f\n", w }')
	fi
	[ -z "$w" ] || sleep "$w"
	paced=1
	# A name of mktemp's, made anew, so that nothing planted at a name
	# known in advance is written through.
	[ -z "$st" ] || ! pn=$(mktemp "$st.XXXXXX" 2>/dev/null) ||
	    { now_ns >"$pn" && mv "$pn" "$st"; } || rm -f "$pn"
}

# send_all NAME: every non-empty line of standard input, called NAME in
# messages, as a request.
send_all() {
	status=0
	n=0
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		[ -n "$line" ] || continue
		printf '%s\n' "$line" >"$tmp/body"
		if ! m=$("$helper" method "$tmp/body" 2>/dev/null); then
			say "$1:$n: not a JSON value, not sent"
			status=1
			continue
		fi
		pace "$m"
		call || status=1
	done
	return "$status"
}

main() {
	while [ $# -gt 0 ]; do
		case $1 in
		--help)	help
			exit 0 ;;
		--version)
			find_helper
			v=$("$helper" --version) || exit 1
			echo "clarify ${v#* }"
			exit 0 ;;
		-C)	[ $# -ge 2 ] || usage_error "-C needs a file"
			cred=$2
			shift 2 ;;
		-C*)	cred=${1#-C}
			shift ;;
		--)	shift
			break ;;
		-?*)	usage_error "unknown option $1" ;;
		*)	break ;;
		esac
	done
	[ $# -ge 1 ] || usage_error
	case $1 in
	rpc)	[ $# -eq 1 ] || usage_error "rpc takes no operands" ;;
	data)	[ $# -eq 4 ] || usage_error "data needs item, from and to" ;;
	check)	[ $# -eq 1 ] || usage_error "check takes no operands" ;;
	*)	usage_error "unknown command $1" ;;
	esac
	command -v curl >/dev/null 2>&1 || { say "no curl on PATH"; exit 1; }

	# (at most 15 digits, which the shell's arithmetic holds)
	case $maxsize in
	''|*[!0-9]*|0*|????????????????*)
		usage_error "CLARIFY_MAX_SIZE: not a number of bytes: $maxsize" ;;
	esac
	find_helper
	umask 077
	# curl and the helper hold the secret: no core dump of either.
	ulimit -c 0 2>/dev/null || :
	tmp=$(mktemp -d) || exit 1
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
	type=$("$helper" check "$cred") || exit 1
	if [ "$1" = check ]; then
		echo "$type"
		exit 0
	fi

	if [ "$1" = data ]; then
		"$helper" data "$2" "$3" "$4" >"$tmp/bodies" || exit "$?"
		send_all requests <"$tmp/bodies" || exit 1
	else
		send_all '<stdin>' || exit 1
	fi
}

main "$@"
