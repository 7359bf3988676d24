# frames.awk - serve a CSV series the way Clarify delivers it.
#
# Reads "timestamp,value" rows (timestamps "YYYY-MM-DD hh:mm:ss", UTC,
# ascending) and prints clarify.dataFrame JSON-RPC responses, one per
# line, each covering at most 40 days: the largest window the service
# returns raw data for in one request.
#
# usage: awk -v item=ITEM_ID -f frames.awk series.csv

# Days since 1970-01-01 of a Gregorian date, in plain arithmetic so that
# any POSIX awk will do.
function days(y, m, d,    era, yoe, doy) {
	if (m <= 2)
		y--
	era = int((y >= 0 ? y : y - 399) / 400)
	yoe = y - era * 400
	doy = int((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
	return era * 146097 + yoe * 365 + int(yoe / 4) - int(yoe / 100) \
	    + doy - 719468
}

function seconds(ts) {
	return days(substr(ts, 1, 4) + 0, substr(ts, 6, 2) + 0,
	    substr(ts, 9, 2) + 0) * 86400 + substr(ts, 12, 2) * 3600 \
	    + substr(ts, 15, 2) * 60 + substr(ts, 18, 2)
}

function flush() {
	if (n == 0)
		return
	printf "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":{\"meta\":", ++id
	printf "{\"total\":-1,\"format\":{\"dataAsArray\":false,"
	printf "\"groupIncludedByType\":true}},\"data\":{\"times\":[%s],", times
	printf "\"series\":{\"%s\":[%s]}}}}\n", item, values
	n = 0
	times = values = ""
}

BEGIN {
	FS = ","
	window = 40 * 86400
}

NR == 1 {
	next
}

{
	t = seconds($1)
	if (n == 0 || t >= start + window) {
		flush()
		start = t
	}
	sep = n++ ? "," : ""
	times = times sep "\"" substr($1, 1, 10) "T" substr($1, 12) "Z\""
	values = values sep ($2 == "" ? "null" : $2)
}

END {
	flush()
}
