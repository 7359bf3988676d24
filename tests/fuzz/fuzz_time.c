/*
 * fuzz_time.c - lib/timestamp.h under libFuzzer.
 *
 * The input is parsed by time_parse and by a reference written here from
 * the grammar in timestamp.h, with its own day count: both must accept
 * the same texts and give the same microsecond.  Whatever is accepted,
 * and any instant made of the input's first eight bytes, must come out
 * of time_format in the canonical form and parse back to the same value;
 * time_days and time_civil must agree with the reference and each other.
 */
#include "fuzz.h"
#include "timestamp.h"

static int
leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
mdays(int64_t y, int m)
{
	static const int n[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 && leap(y) ? 29 : n[m - 1];
}

/*
 * Days from 1970-01-01 counted year by year from 0001, then month by
 * month: slow and plain, for years 0 to 9999 (year 0 is a leap year, as
 * year 400 is; its day numbers are those of year 400 less one cycle).
 */
static int64_t
ref_days(int64_t y, int m, int d)
{
	int64_t n = 0, shift = 0;
	int k;

	if (y == 0) {
		y = 400;
		shift = 146097;
	}
	n = 365 * (y - 1) + (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
	for (k = 1; k < m; k++)
		n += mdays(y, k);
	n += d - 1;
	/* 719162 days from 0001-01-01 to 1970-01-01. */
	return n - 719162 - shift;
}

/* Read N digits at *P; -1 when they are not there. */
static int
num(const char **p, const char *end, int n)
{
	int v = 0;

	if (end - *p < n)
		return -1;
	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

static int
lit(const char **p, const char *end, const char *set)
{
	if (*p == end || strchr(set, **p) == NULL || **p == '\0')
		return 0;
	(*p)++;
	return 1;
}

/* 1 and *US, or 0 for a text that is no time. */
static int
ref_parse(const char *s, size_t len, int64_t *us)
{
	const char *p = s, *end = s + len;
	int y, mo, d, h = 0, mi = 0, sec = 0, oh, om, nd = 0;
	int64_t frac = 0, off = 0, t;

	if ((y = num(&p, end, 4)) < 0 || !lit(&p, end, "-") ||
	    (mo = num(&p, end, 2)) < 0 || !lit(&p, end, "-") ||
	    (d = num(&p, end, 2)) < 0)
		return 0;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays(y, mo))
		return 0;
	if (p < end) {
		if (!lit(&p, end, "Tt ") || (h = num(&p, end, 2)) < 0 ||
		    !lit(&p, end, ":") || (mi = num(&p, end, 2)) < 0 ||
		    !lit(&p, end, ":") || (sec = num(&p, end, 2)) < 0)
			return 0;
		if (h > 23 || mi > 59 || sec > 59)
			return 0;
		if (lit(&p, end, ".")) {
			while (p < end && *p >= '0' && *p <= '9') {
				if (nd < 6)
					frac += (*p - '0') *
					    (int64_t[]){ 100000, 10000, 1000,
					    100, 10, 1 }[nd];
				nd++;
				p++;
			}
			if (nd < 1 || nd > 9)
				return 0;
		}
		if (lit(&p, end, "Zz"))
			;
		else if (p < end && (*p == '+' || *p == '-')) {
			int neg = *p++ == '-';

			if ((oh = num(&p, end, 2)) < 0 ||
			    !lit(&p, end, ":") ||
			    (om = num(&p, end, 2)) < 0 || oh > 23 || om > 59)
				return 0;
			off = (neg ? -1 : 1) * (oh * 3600 + om * 60);
		}
		if (p != end)
			return 0;
	}
	t = (ref_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) *
	    1000000 + frac;
	if (t < TIME_MIN || t > TIME_MAX)
		return 0;
	*us = t;
	return 1;
}

/* time_format US: the canonical form, which parses back to US. */
static void
check_format(int64_t us)
{
	char buf[TIME_BUFSZ];
	const char *why;
	int64_t back;
	size_t n, i;

	memset(buf, 'x', sizeof buf);
	n = time_format(buf, us);
	if (n >= TIME_BUFSZ || strlen(buf) != n)
		FUZZ_FAIL("time_format %lld: %zu bytes", (long long)us, n);
	/* YYYY-MM-DDThh:mm:ss[.f]Z, the fraction without trailing zeros. */
	for (i = 0; i < 19; i++)
		if (("dddd-dd-ddTdd:dd:dd"[i] == 'd') ?
		    buf[i] < '0' || buf[i] > '9' :
		    buf[i] != "dddd-dd-ddTdd:dd:dd"[i])
			FUZZ_FAIL("time_format %lld gave \"%s\"",
			    (long long)us, buf);
	if (buf[n - 1] != 'Z' || (n != 20 && (n < 22 || n > 27 ||
	    buf[19] != '.' || buf[n - 2] == '0' ||
	    strspn(buf + 20, "0123456789") != n - 21)))
		FUZZ_FAIL("time_format %lld gave \"%s\"", (long long)us, buf);
	if ((why = time_parse(buf, n, &back)) != NULL || back != us)
		FUZZ_FAIL("time_format %lld gave \"%s\", which reads back as "
		    "%s", (long long)us, buf, why != NULL ? why : "another");
}

static void
check_days(int64_t y, int m, int d)
{
	int64_t days, y2;
	int m2, d2;

	days = time_days(y, m, d);
	if (days != ref_days(y, m, d))
		FUZZ_FAIL("time_days %lld-%d-%d: %lld, not %lld",
		    (long long)y, m, d, (long long)days,
		    (long long)ref_days(y, m, d));
	time_civil(days, &y2, &m2, &d2);
	if (y2 != y || m2 != m || d2 != d)
		FUZZ_FAIL("time_civil %lld: %lld-%d-%d, not %lld-%d-%d",
		    (long long)days, (long long)y2, m2, d2, (long long)y, m,
		    d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why;
	char *s;
	int64_t got = 0, want = 0, us;
	uint64_t u;
	int ok;

	s = fuzz_copy(data, size);
	why = time_parse(s, size, &got);
	ok = ref_parse(s, size, &want);
	if (why == NULL && !ok)
		FUZZ_FAIL("time_parse took \"%.*s\"", (int)size, s);
	if (why != NULL && ok)
		FUZZ_FAIL("time_parse refused \"%.*s\": %s", (int)size, s,
		    why);
	if (ok && got != want)
		FUZZ_FAIL("time_parse \"%.*s\": %lld, not %lld", (int)size, s,
		    (long long)got, (long long)want);
	if (ok)
		check_format(got);
	free(s);

	if (size >= 8) {
		memcpy(&u, data, sizeof u);
		us = TIME_MIN + (int64_t)(u % (uint64_t)(TIME_MAX - TIME_MIN +
		    1));
		check_format(us);
		check_days((int64_t)(u % 10000), (int)(u / 10000 % 12) + 1, 1);
		check_days((int64_t)(u % 10000 + 0), (int)(u / 10000 % 12) + 1,
		    mdays((int64_t)(u % 10000), (int)(u / 10000 % 12) + 1));
	}
	return 0;
}
