/*
 * test_time.c - RFC 3339 times on the microsecond scale.
 *
 * The fixed values were worked out with Python's datetime, e.g.
 * 2024-05-01T10:00:30.25Z is 1714557630250000 us after the epoch; the
 * calendar is also checked against a plain count of days, year by year.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "rng.h"
#include "timestamp.h"
#include "unit.h"

#define US	1000000LL
#define HOUR	(3600 * US)
#define DAY	(86400 * US)
#define T0	1714557630250000LL	/* 2024-05-01T10:00:30.25Z */

/* Not a time any case expects: shows that a refusal leaves *us alone. */
#define UNTOUCHED 42

static void
parse_is(const char *s, int64_t want, int line)
{
	int64_t t = UNTOUCHED;
	const char *why = time_parse(s, strlen(s), &t);

	unit_check(why == NULL && t == want, __FILE__, line, s);
	if (why != NULL)
		fprintf(stderr, "\t\"%s\": %s\n", s, why);
	else if (t != want)
		fprintf(stderr, "\t\"%s\": %lld, want %lld\n", s,
		    (long long)t, (long long)want);
}

/* Refused, and when WHY is given, for a reason containing it. */
static void
refused(const char *s, const char *why, int line)
{
	int64_t t = UNTOUCHED;
	const char *got = time_parse(s, strlen(s), &t);

	unit_check(got != NULL && t == UNTOUCHED, __FILE__, line, s);
	if (got != NULL && why != NULL && strstr(got, why) == NULL) {
		unit_check(0, __FILE__, line, why);
		fprintf(stderr, "\t\"%s\": %s\n", s, got);
	}
}

#define PARSE_IS(s, want)	parse_is((s), (want), __LINE__)
#define REFUSED(s, why)		refused((s), (why), __LINE__)

static void
test_parse(void)
{
	int64_t t;

	PARSE_IS("2024-05-01T10:00:30.25Z", T0);
	PARSE_IS("2024-05-01t10:00:30.25z", T0);
	PARSE_IS("2024-05-01 10:00:30.25Z", T0);
	PARSE_IS("2024-05-01T10:00:30.25", T0);
	PARSE_IS("2024-05-01T12:00:30.25+02:00", T0);
	PARSE_IS("2024-05-01T04:30:30.25-05:30", T0);
	PARSE_IS("2024-05-01T10:00:30.25+00:00", T0);
	PARSE_IS("2024-05-01T10:00:30.25-00:00", T0);
	PARSE_IS("2024-05-02T09:59:30.25+23:59", T0);
	PARSE_IS("2024-05-01T09:59:30.25-00:01", T0);
	PARSE_IS("1970-01-01T00:00:00Z", 0);
	PARSE_IS("1900-03-01T12:34:56.789Z", -2203845903211000LL);

	/* 0 to 9 fraction digits; past the sixth they are cut off. */
	PARSE_IS("2024-05-01T10:00:30Z", T0 - 250000);
	PARSE_IS("2024-05-01T10:00:30.2Z", T0 - 50000);
	PARSE_IS("2024-05-01T10:00:30.250000Z", T0);
	PARSE_IS("2024-05-01T10:00:30.000001Z", T0 - 249999);
	PARSE_IS("2024-05-01T10:00:30.1234567Z", T0 - 250000 + 123456);
	PARSE_IS("2024-05-01T10:00:30.12345678Z", T0 - 250000 + 123456);
	PARSE_IS("2024-05-01T10:00:30.999999999Z", T0 - 250000 + 999999);
	PARSE_IS("1969-12-31T23:59:59.9999999Z", -1);
	REFUSED("2024-05-01T10:00:30.1234567890Z", NULL);
	REFUSED("2024-05-01T10:00:30.Z", NULL);
	REFUSED("2024-05-01T10:00:30.", NULL);

	/* A bare date is its midnight, in UTC. */
	PARSE_IS("2024-05-01", T0 - 10 * HOUR - 30 * US - 250000);
	PARSE_IS("1969-12-31", -DAY);

	/* The ends of the scale, before and after the offset. */
	PARSE_IS("0001-01-01T00:00:00Z", TIME_MIN);
	PARSE_IS("0001-01-01", TIME_MIN);
	PARSE_IS("9999-12-31T23:59:59.999999Z", TIME_MAX);
	PARSE_IS("9999-12-31T23:59:59.999999999Z", TIME_MAX);
	PARSE_IS("0000-12-31T23:30:00-01:00", TIME_MIN + 30 * 60 * US);
	PARSE_IS("9999-12-31T23:30:00-00:29", TIME_MAX + 1 - 60 * US);
	REFUSED("0001-01-01T00:30:00+01:00", "range");
	REFUSED("9999-12-31T23:30:00-00:30", "range");
	REFUSED("0000-01-01", "range");
	REFUSED("0000-12-31T23:59:59Z", "range");
	REFUSED("10000-01-01", NULL);

	/* The calendar. */
	PARSE_IS("2024-02-29", time_days(2024, 2, 29) * DAY);
	PARSE_IS("2000-02-29", time_days(2000, 2, 29) * DAY);
	PARSE_IS("2000-03-01", 11017 * DAY);
	REFUSED("2023-02-29", "day");
	REFUSED("1900-02-29", "day");
	REFUSED("2024-02-30", "day");
	REFUSED("2024-04-31", "day");
	REFUSED("2024-01-32", "day");
	REFUSED("2024-01-00", "day");
	REFUSED("2024-13-01", "month");
	REFUSED("2024-00-01", "month");
	REFUSED("2024-05-01T24:00:00Z", "hour");
	REFUSED("2024-05-01T23:60:00Z", "minute");
	REFUSED("2024-05-01T23:59:60Z", "leap second");
	REFUSED("2016-12-31T23:59:60Z", "leap second");
	REFUSED("2024-05-01T23:59:61Z", "second");

	/* Offsets. */
	REFUSED("2024-05-01T10:00:00+24:00", "offset");
	REFUSED("2024-05-01T10:00:00+02:60", "offset");
	REFUSED("2024-05-01T10:00:00+0200", "offset");
	REFUSED("2024-05-01T10:00:00+02", "offset");
	REFUSED("2024-05-01T10:00:00+2:00", "offset");
	REFUSED("2024-05-01T10:00:00 +02:00", NULL);
	REFUSED("2024-05-01T10:00:00UTC", NULL);

	/* Shapes that are not times. */
	REFUSED("", "empty");
	REFUSED("2024-05-01T10:00:00Zx", NULL);
	REFUSED("2024-05-01T10:00:00+02:00x", NULL);
	REFUSED("2024-05-01T10:00:00 ", NULL);
	REFUSED("2024-05-01T", NULL);
	REFUSED("2024-05-01 ", NULL);
	REFUSED("2024-05-01x", NULL);
	REFUSED("2024-05-01Z", NULL);
	REFUSED("2024-05-01T10:00Z", NULL);
	REFUSED("2024-05-01T10:00", NULL);
	REFUSED("2024-5-01", NULL);
	REFUSED("2024-05-1", NULL);
	REFUSED("24-05-01", NULL);
	REFUSED("2024/05/01", NULL);
	REFUSED("2024-05-01T1:00:00Z", NULL);
	REFUSED(" 2024-05-01", NULL);
	REFUSED("1714557630", NULL);

	/* Only LEN bytes are read. */
	t = UNTOUCHED;
	CHECK(time_parse("2024-05-01T10:00:30.25Z and more", 23, &t) ==
	    NULL && t == T0);
	CHECK(time_parse("2024-05-01T10:00:30.25Z", 10, &t) == NULL &&
	    t == time_days(2024, 5, 1) * DAY);
	CHECK(time_parse("2024-05-01T10:00:30.25Z", 9, &t) != NULL);
}

static void
format_is(int64_t t, const char *want, int line)
{
	char buf[TIME_BUFSZ];
	size_t n = time_format(buf, t);

	unit_check_str(buf, want, __FILE__, line);
	unit_check(n == strlen(buf), __FILE__, line, "length returned");
}

#define FORMAT_IS(t, want)	format_is((t), (want), __LINE__)

static void
test_format(void)
{
	FORMAT_IS(T0, "2024-05-01T10:00:30.25Z");
	FORMAT_IS(T0 - 250000, "2024-05-01T10:00:30Z");
	FORMAT_IS(T0 - 249999, "2024-05-01T10:00:30.000001Z");
	FORMAT_IS(T0 - 150000, "2024-05-01T10:00:30.1Z");
	FORMAT_IS(0, "1970-01-01T00:00:00Z");
	FORMAT_IS(-1, "1969-12-31T23:59:59.999999Z");
	FORMAT_IS(-500000, "1969-12-31T23:59:59.5Z");
	FORMAT_IS(-US, "1969-12-31T23:59:59Z");
	FORMAT_IS(-DAY, "1969-12-31T00:00:00Z");
	FORMAT_IS(-DAY - 1, "1969-12-30T23:59:59.999999Z");
	FORMAT_IS(-2203845903211000LL, "1900-03-01T12:34:56.789Z");
	FORMAT_IS(TIME_MIN, "0001-01-01T00:00:00Z");
	FORMAT_IS(TIME_MIN + 1, "0001-01-01T00:00:00.000001Z");
	FORMAT_IS(TIME_MAX, "9999-12-31T23:59:59.999999Z");
	FORMAT_IS(11017 * DAY - 1, "2000-02-29T23:59:59.999999Z");
}

/* Any time on the scale comes back from its text unchanged. */
static void
test_round_trip(void)
{
	struct rng r;
	char buf[TIME_BUFSZ];
	int64_t t, back;
	uint64_t span = (uint64_t)(TIME_MAX - TIME_MIN) + 1;
	int i, bad = 0;

	rng_seed(&r, 1);
	for (i = 0; i < 300000; i++) {
		t = TIME_MIN + (int64_t)rng_below(&r, span);
		/* Whole seconds and milliseconds are common in real data. */
		if (i % 3 == 1)
			t -= t % US;
		else if (i % 3 == 2)
			t -= t % 1000;
		time_format(buf, t);
		back = UNTOUCHED;
		if (time_parse(buf, strlen(buf), &back) != NULL || back != t) {
			if (bad++ < 5)
				fprintf(stderr, "%lld: %s read back as %lld\n",
				    (long long)t, buf, (long long)back);
		}
	}
	CHECK(bad == 0);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int n[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
	    31 };

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/* Days from 1970-01-01 by counting whole years and months. */
static int64_t
count_days(int64_t y, int m, int d)
{
	int64_t days = 0, k;
	int i;

	for (k = 1970; k < y; k++)
		days += leap(k) ? 366 : 365;
	for (k = y; k < 1970; k++)
		days -= leap(k) ? 366 : 365;
	for (i = 1; i < m; i++)
		days += mdays(y, i);
	return days + d - 1;
}

/*
 * time_civil day by day over about 11000 years: each date is the one
 * after the last, and time_days takes it back to its number.
 */
static void
test_calendar(void)
{
	int64_t n, first = -1000000, last = 3000000, y, py;
	int m, d, pm, pd, bad = 0;

	CHECK(time_days(1970, 1, 1) == 0);
	CHECK(time_days(2000, 3, 1) == 11017);
	CHECK(time_days(1, 1, 1) == -719162);
	CHECK(time_days(9999, 12, 31) == 2932896);
	CHECK(time_days(1969, 12, 31) == -1);
	CHECK(time_days(2024, 5, 1) == count_days(2024, 5, 1));
	CHECK(time_days(1600, 2, 29) == count_days(1600, 2, 29));
	CHECK(time_days(1, 1, 1) == count_days(1, 1, 1));
	CHECK(time_days(9999, 12, 31) == count_days(9999, 12, 31));
	CHECK(time_days(0, 3, 1) == count_days(0, 3, 1));
	CHECK(time_days(-400, 3, 1) == time_days(0, 3, 1) - 146097);

	time_civil(first - 1, &py, &pm, &pd);
	CHECK(time_days(py, pm, pd) == first - 1);
	for (n = first; n <= last; n++) {
		time_civil(n, &y, &m, &d);
		if (pd < mdays(py, pm)) {
			pd++;
		} else if (pm < 12) {
			pm++;
			pd = 1;
		} else {
			py++;
			pm = pd = 1;
		}
		if (y != py || m != pm || d != pd ||
		    time_days(y, m, d) != n) {
			if (bad++ < 5)
				fprintf(stderr, "day %lld: %lld-%d-%d\n",
				    (long long)n, (long long)y, m, d);
			py = y;
			pm = m;
			pd = d;
		}
	}
	CHECK(bad == 0);
	time_civil(0, &y, &m, &d);
	CHECK(y == 1970 && m == 1 && d == 1);
	time_civil(-719162, &y, &m, &d);
	CHECK(y == 1 && m == 1 && d == 1);
	time_civil(2932896, &y, &m, &d);
	CHECK(y == 9999 && m == 12 && d == 31);
}

/* The clock moves forward across a short sleep. */
static void
test_clock(void)
{
	struct timespec pause = { 0, 20000000 };
	double a, b;

	a = time_clock();
	CHECK(nanosleep(&pause, NULL) == 0);
	b = time_clock();
	CHECK(b > a);
}

int
main(void)
{
	test_parse();
	test_format();
	test_round_trip();
	test_calendar();
	test_clock();
	return unit_done();
}
