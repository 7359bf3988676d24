/*
 * fuzz_num.c - lib/num.h under libFuzzer.
 *
 * The input is read as text by num_double, num_long, num_u64 and
 * num_is_json, each held against a reference written here from the
 * grammar in num.h (and strtod, in the C locale, for the value): the
 * same texts accepted, the same values given.  Its first eight bytes are
 * also taken as a double, and every finite double goes through
 * num_format, which must give the shortest text that reads back as the
 * very same bits, and through num_fixed, which must round to the digits
 * asked for.
 */
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>

#include "fuzz.h"
#include "num.h"

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/* Skip a run of digits at *I; return how many there were. */
static size_t
run(const char *s, size_t *i)
{
	size_t n = 0;

	while (isdig(s[*i])) {
		(*i)++;
		n++;
	}
	return n;
}

/* [+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )? */
static int
ref_decimal(const char *s)
{
	size_t i = 0, whole, frac = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	whole = run(s, &i);
	if (s[i] == '.') {
		i++;
		frac = run(s, &i);
	}
	if (whole == 0 && frac == 0)
		return 0;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (run(s, &i) == 0)
			return 0;
	}
	return s[i] == '\0';
}

/* RFC 8259: -? ( 0 | [1-9] digits ) ( . digits )? ( [eE] [+-]? digits )? */
static int
ref_json(const char *s, size_t len)
{
	size_t i = 0, n;
	char *t;
	int ok;

	if (memchr(s, '\0', len) != NULL)
		return 0;
	t = fuzz_str(s, len);
	if (t[i] == '-')
		i++;
	if (t[i] == '0') {
		i++;
		ok = 1;
	} else
		ok = run(t, &i) > 0;
	if (ok && t[i] == '.') {
		i++;
		ok = run(t, &i) > 0;
	}
	if (ok && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (t[i] == '+' || t[i] == '-')
			i++;
		ok = run(t, &i) > 0;
	}
	n = i;
	free(t);
	return ok && n == len;
}

/*
 * A whole number, [+-]? digits (SIGNED) or digits, into a magnitude and
 * a sign; *BIG is set when it does not fit in 64 bits.
 */
static int
ref_whole(const char *s, int sign_ok, int *neg, unsigned long long *mag,
    int *big)
{
	size_t i = 0;

	*neg = 0;
	*mag = 0;
	*big = 0;
	if (sign_ok && (s[i] == '+' || s[i] == '-'))
		*neg = s[i++] == '-';
	if (!isdig(s[i]))
		return 0;
	for (; isdig(s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (*mag > (ULLONG_MAX - d) / 10)
			*big = 1;
		else
			*mag = *mag * 10 + d;
	}
	return s[i] == '\0';
}

static void
check_long(const char *s, long min, long max)
{
	unsigned long long mag;
	const char *why;
	long got = 12345, want = 0;
	int neg, big, fits;

	why = num_long(s, min, max, &got);
	if (!ref_whole(s, 1, &neg, &mag, &big)) {
		if (why == NULL)
			FUZZ_FAIL("num_long took \"%s\"", s);
		return;
	}
	if (neg)
		fits = !big && mag <= (unsigned long long)LONG_MAX + 1;
	else
		fits = !big && mag <= (unsigned long long)LONG_MAX;
	if (fits) {
		if (neg && mag == (unsigned long long)LONG_MAX + 1)
			want = LONG_MIN;
		else
			want = neg ? -(long)mag : (long)mag;
		fits = want >= min && want <= max;
	}
	if (!fits) {
		if (why == NULL)
			FUZZ_FAIL("num_long took \"%s\" outside [%ld, %ld]",
			    s, min, max);
		return;
	}
	if (why != NULL)
		FUZZ_FAIL("num_long refused \"%s\": %s", s, why);
	if (got != want)
		FUZZ_FAIL("num_long \"%s\" gave %ld", s, got);
}

static void
check_u64(const char *s)
{
	unsigned long long mag, got = 12345;
	const char *why;
	int neg, big;

	why = num_u64(s, &got);
	if (!ref_whole(s, 0, &neg, &mag, &big) || big) {
		if (why == NULL)
			FUZZ_FAIL("num_u64 took \"%s\"", s);
		return;
	}
	if (why != NULL)
		FUZZ_FAIL("num_u64 refused \"%s\": %s", s, why);
	if (got != mag)
		FUZZ_FAIL("num_u64 \"%s\" gave %llu", s, got);
}

static void
check_double(const char *s)
{
	const char *why;
	double got = 0, want;
	char *end;

	why = num_double(s, &got);
	if (!ref_decimal(s)) {
		if (why == NULL)
			FUZZ_FAIL("num_double took \"%s\"", s);
		return;
	}
	errno = 0;
	want = strtod(s, &end);
	FUZZ_CHECK(*end == '\0');
	if (!isfinite(want)) {
		if (why == NULL)
			FUZZ_FAIL("num_double took \"%s\", too large", s);
		return;
	}
	if (why != NULL)
		FUZZ_FAIL("num_double refused \"%s\": %s", s, why);
	if (memcmp(&got, &want, sizeof got) != 0)
		FUZZ_FAIL("num_double \"%s\" gave %.17g, not %.17g", s, got,
		    want);
}

/* Significant digits of the decimal text S, trailing zeros excluded. */
static int
significant(const char *s)
{
	int n = 0, zeros = 0, lead = 1;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (!isdig(*s))
			continue;
		if (lead && *s == '0')
			continue;
		lead = 0;
		n++;
		zeros = *s == '0' ? zeros + 1 : 0;
	}
	return n - zeros;
}

static void
check_format(double v)
{
	char buf[NUM_BUFSZ], fewer[400];
	const char *why;
	double back;
	size_t n;
	int d;

	memset(buf, 'x', sizeof buf);
	n = num_format(buf, v);
	if (n > NUM_FORMAT_MAX || strlen(buf) != n)
		FUZZ_FAIL("num_format %.17g: %zu bytes", v, n);
	if ((why = num_double(buf, &back)) != NULL)
		FUZZ_FAIL("num_format %.17g gave \"%s\": %s", v, buf, why);
	if (memcmp(&back, &v, sizeof v) != 0)
		FUZZ_FAIL("num_format %.17g gave \"%s\", which reads as %.17g",
		    v, buf, back);
	if (!num_is_json(buf, n))
		FUZZ_FAIL("num_format %.17g gave \"%s\", not JSON", v, buf);

	/* Shortest: one significant digit fewer reads as another value. */
	if ((d = significant(buf)) > 1) {
		snprintf(fewer, sizeof fewer, "%.*g", d - 1, v);
		if (strtod(fewer, NULL) == v)
			FUZZ_FAIL("num_format %.17g gave \"%s\" for \"%s\"",
			    v, buf, fewer);
	}
}

static void
check_fixed(double v, int decimals)
{
	char buf[NUM_BUFSZ];
	const char *why, *dot;
	double back, tol;
	size_t n;

	if (!(fabs(v) < 1e15))
		return;
	n = num_fixed(buf, v, decimals);
	FUZZ_CHECK(n < NUM_BUFSZ && strlen(buf) == n);
	if ((why = num_double(buf, &back)) != NULL)
		FUZZ_FAIL("num_fixed %.17g, %d gave \"%s\": %s", v, decimals,
		    buf, why);
	dot = strchr(buf, '.');
	if (decimals == 0 ? dot != NULL :
	    dot == NULL || strlen(dot + 1) != (size_t)decimals)
		FUZZ_FAIL("num_fixed %.17g, %d gave \"%s\"", v, decimals, buf);
	if (buf[0] == '-' && back == 0)
		FUZZ_FAIL("num_fixed %.17g, %d gave \"%s\", a signed zero",
		    v, decimals, buf);
	/* Half a unit of the last place, and the error of reading it. */
	tol = 0.5 * pow(10, -decimals) * (1 + 1e-9) + fabs(v) * 4 * DBL_EPSILON;
	if (fabs(back - v) > tol)
		FUZZ_FAIL("num_fixed %.17g, %d gave \"%s\"", v, decimals, buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	double v;

	s = fuzz_str(data, size);
	check_double(s);
	check_long(s, LONG_MIN, LONG_MAX);
	check_long(s, 0, 100);
	check_long(s, -5, 5);
	check_u64(s);
	free(s);

	s = fuzz_copy(data, size);
	if (num_is_json(s, size) != ref_json(s, size))
		FUZZ_FAIL("num_is_json disagrees on %zu bytes", size);
	free(s);

	if (size >= sizeof v) {
		memcpy(&v, data, sizeof v);
		if (isfinite(v)) {
			check_format(v);
			check_fixed(v, size > sizeof v ? data[8] % 18 : 0);
		}
	}
	/* And the value of the text itself, when it is one. */
	s = fuzz_str(data, size);
	if (num_double(s, &v) == NULL) {
		check_format(v);
		check_fixed(v, (int)(size % 18));
	}
	free(s);
	return 0;
}
