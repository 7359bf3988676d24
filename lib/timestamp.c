/* timestamp.c - RFC 3339 parsing and formatting on a microsecond scale. */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

#define US_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL

/*
 * Day arithmetic in 400-year eras, in which the Gregorian calendar
 * repeats exactly; the year is taken to start in March so that the leap
 * day falls at its end.
 */
int64_t
time_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
time_civil(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z, era, doe, yoe, doy, mp;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int64_t y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Read exactly N digits at *P into *V; advance *P.  0 on failure. */
static int
digits(const char **p, const char *end, int n, int *v)
{
	const char *s = *p;

	if (end - s < n)
		return 0;
	*v = 0;
	while (n-- > 0) {
		if (*s < '0' || *s > '9')
			return 0;
		*v = *v * 10 + (*s++ - '0');
	}
	*p = s;
	return 1;
}

static int
expect(const char **p, const char *end, char c)
{
	if (*p == end || **p != c)
		return 0;
	(*p)++;
	return 1;
}

const char *
time_parse(const char *s, size_t len, int64_t *us)
{
	const char *p = s, *end = s + len;
	int year, mon, day, hour = 0, min = 0, sec = 0;
	int64_t frac = 0, offset = 0, t;

	if (len == 0)
		return "empty time";
	if (!digits(&p, end, 4, &year) || !expect(&p, end, '-') ||
	    !digits(&p, end, 2, &mon) || !expect(&p, end, '-') ||
	    !digits(&p, end, 2, &day))
		return "not a time (expected YYYY-MM-DDThh:mm:ssZ)";
	/* Year 0000 is checked with the offset applied, at the end. */
	if (mon < 1 || mon > 12)
		return "month out of range";
	if (day < 1 || day > month_days(year, mon))
		return "day out of range";

	if (p < end) {
		if (*p != 'T' && *p != 't' && *p != ' ')
			return "not a time (expected YYYY-MM-DDThh:mm:ssZ)";
		p++;
		if (!digits(&p, end, 2, &hour) || !expect(&p, end, ':') ||
		    !digits(&p, end, 2, &min) || !expect(&p, end, ':') ||
		    !digits(&p, end, 2, &sec))
			return "not a time (expected YYYY-MM-DDThh:mm:ssZ)";
		if (hour > 23)
			return "hour out of range";
		if (min > 59)
			return "minute out of range";
		if (sec == 60)
			return "leap second not supported";
		if (sec > 59)
			return "second out of range";
	}

	if (p < end && *p == '.') {
		int ndigit = 0;

		p++;
		while (p < end && *p >= '0' && *p <= '9') {
			if (++ndigit > 9)
				return "more than 9 fractional digits";
			if (ndigit <= 6)
				frac = frac * 10 + (*p - '0');
			p++;
		}
		if (ndigit == 0)
			return "no digits after the decimal point";
		for (; ndigit < 6; ndigit++)
			frac *= 10;
	}

	if (p < end) {
		int oh, om, sign;

		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			sign = *p++ == '-' ? -1 : 1;
			if (!digits(&p, end, 2, &oh) || !expect(&p, end, ':') ||
			    !digits(&p, end, 2, &om))
				return "bad UTC offset (expected +hh:mm)";
			if (oh > 23 || om > 59)
				return "UTC offset out of range";
			offset = sign * (oh * 3600LL + om * 60LL);
		} else {
			return "unexpected text after the time";
		}
		if (p != end)
			return "unexpected text after the time";
	}

	t = time_days(year, mon, day) * SEC_PER_DAY +
	    hour * 3600LL + min * 60LL + sec - offset;
	t = t * US_PER_SEC + frac;
	if (t < TIME_MIN || t > TIME_MAX)
		return "time out of range";
	*us = t;
	return NULL;
}

/* Write V as N digits, zero padded, at P. */
static char *
put(char *p, int64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

size_t
time_format(char *buf, int64_t us)
{
	int64_t sec, frac, days, rem, y;
	int m, d, width = 6;
	char *p = buf;

	sec = us / US_PER_SEC;
	frac = us % US_PER_SEC;
	if (frac < 0) {
		frac += US_PER_SEC;
		sec--;
	}
	days = sec / SEC_PER_DAY;
	rem = sec % SEC_PER_DAY;
	if (rem < 0) {
		rem += SEC_PER_DAY;
		days--;
	}
	time_civil(days, &y, &m, &d);

	p = put(p, y, 4);
	*p++ = '-';
	p = put(p, m, 2);
	*p++ = '-';
	p = put(p, d, 2);
	*p++ = 'T';
	p = put(p, rem / 3600, 2);
	*p++ = ':';
	p = put(p, rem / 60 % 60, 2);
	*p++ = ':';
	p = put(p, rem % 60, 2);
	if (frac != 0) {
		while (frac % 10 == 0) {
			frac /= 10;
			width--;
		}
		*p++ = '.';
		p = put(p, frac, width);
	}
	*p++ = 'Z';
	*p = '\0';
	return (size_t)(p - buf);
}

double
time_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
