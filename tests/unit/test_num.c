/* test_num.c - strict number parsing and exact formatting. */
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "rng.h"
#include "unit.h"

/* A value no parse produces, to see that a refusal leaves *out alone. */
#define UNTOUCHED 12345.678

static int
same_bits(double a, double b)
{
	return memcmp(&a, &b, sizeof a) == 0;
}

static void
accept(const char *s, double want, int line)
{
	double v = UNTOUCHED;
	const char *why = num_double(s, &v);

	unit_check(why == NULL && same_bits(v, want), __FILE__, line, s);
	if (why != NULL)
		fprintf(stderr, "\t\"%s\": %s\n", s, why);
}

static void
refuse(const char *s, int line)
{
	double v = UNTOUCHED;

	unit_check(num_double(s, &v) != NULL && v == UNTOUCHED, __FILE__,
	    line, s);
}

#define ACCEPT(s, want)	accept((s), (want), __LINE__)
#define REFUSE(s)	refuse((s), __LINE__)

static void
test_double(void)
{
	double v;

	ACCEPT("0", 0.0);
	ACCEPT("1e-05", 1e-05);
	ACCEPT("+3", 3.0);
	ACCEPT(".5", 0.5);
	ACCEPT("2.", 2.0);
	ACCEPT("-0", -0.0);
	ACCEPT("1E5", 1e5);
	ACCEPT("1e+5", 1e5);
	ACCEPT("-1.25e-2", -0.0125);
	ACCEPT("0001.50", 1.5);
	ACCEPT("23.4", 23.4);
	ACCEPT("0.1000000000000000055511151231257827", 0.1);
	ACCEPT("1.7976931348623157e308", DBL_MAX);
	ACCEPT("2.2250738585072014e-308", DBL_MIN);
	/* Too small: the nearest double, a subnormal or zero. */
	ACCEPT("4.9406564584124654e-324", 0x1p-1074);
	ACCEPT("1e-400", 0.0);
	ACCEPT("-1e-400", -0.0);
	ACCEPT("1e-99999999999999999999", 0.0);
	/* Longer than any buffer a parser might keep on the stack. */
	ACCEPT("0.00000000000000000000000000000000000000000000000000000000"
	    "00000000000000000000000000000000000000000000000000000000000001"
	    "5", 1.5e-118);

	REFUSE("");
	REFUSE(" 1");
	REFUSE("1 ");
	REFUSE("\t1");
	REFUSE("1\n");
	REFUSE("nan");
	REFUSE("NaN");
	REFUSE("inf");
	REFUSE("-inf");
	REFUSE("infinity");
	REFUSE("0x10");
	REFUSE("0x1p3");
	REFUSE("1,5");
	REFUSE("12abc");
	REFUSE("1e");
	REFUSE("1e+");
	REFUSE("e5");
	REFUSE(".");
	REFUSE("-");
	REFUSE("+");
	REFUSE("+-1");
	REFUSE("--1");
	REFUSE(".e1");
	REFUSE("1.2.3");
	REFUSE("1e5.5");
	REFUSE("1e400");
	REFUSE("-1e400");
	REFUSE("1.8e308");
	REFUSE("1e99999999999999999999");

	/* The reasons say what is wrong. */
	CHECK_STR(num_double("", &v), "empty number");
	CHECK_STR(num_double("12abc", &v), "not a number");
	CHECK(strstr(num_double("1e400", &v), "out of range") != NULL);
}

static void
test_long(void)
{
	long v;
	char buf[64];

	CHECK(num_long("0", 0, 10, &v) == NULL && v == 0);
	CHECK(num_long("10", 0, 10, &v) == NULL && v == 10);
	CHECK(num_long("+7", 0, 10, &v) == NULL && v == 7);
	CHECK(num_long("007", 0, 10, &v) == NULL && v == 7);
	CHECK(num_long("-5", -5, 5, &v) == NULL && v == -5);

	v = 99;
	CHECK_STR(num_long("11", 0, 10, &v), "too large");
	CHECK_STR(num_long("-1", 0, 10, &v), "too small");
	CHECK_STR(num_long("-6", -5, 5, &v), "too small");
	CHECK(v == 99);

	snprintf(buf, sizeof buf, "%ld", LONG_MAX);
	CHECK(num_long(buf, LONG_MIN, LONG_MAX, &v) == NULL && v == LONG_MAX);
	snprintf(buf, sizeof buf, "%ld", LONG_MIN);
	CHECK(num_long(buf, LONG_MIN, LONG_MAX, &v) == NULL && v == LONG_MIN);
	CHECK_STR(num_long("99999999999999999999999", LONG_MIN, LONG_MAX, &v),
	    "too large");
	CHECK_STR(num_long("-99999999999999999999999", LONG_MIN, LONG_MAX,
	    &v), "too small");

	v = 99;
	CHECK(num_long("", 0, 10, &v) != NULL);
	CHECK(num_long(" 1", 0, 10, &v) != NULL);
	CHECK(num_long("1 ", 0, 10, &v) != NULL);
	CHECK(num_long("1.0", 0, 10, &v) != NULL);
	CHECK(num_long("1e1", 0, 100, &v) != NULL);
	CHECK(num_long("0x10", 0, 100, &v) != NULL);
	CHECK(num_long("-", 0, 10, &v) != NULL);
	CHECK(num_long("+", 0, 10, &v) != NULL);
	CHECK(num_long("--1", -10, 10, &v) != NULL);
	CHECK(num_long("+-1", -10, 10, &v) != NULL);
	CHECK(v == 99);
}

static void
test_u64(void)
{
	unsigned long long v;

	CHECK(num_u64("0", &v) == NULL && v == 0);
	CHECK(num_u64("18446744073709551615", &v) == NULL &&
	    v == 18446744073709551615ULL);
	CHECK_STR(num_u64("18446744073709551616", &v), "too large");
	v = 5;
	CHECK(num_u64("", &v) != NULL);
	CHECK(num_u64("-1", &v) != NULL);
	CHECK(num_u64("+1", &v) != NULL);
	CHECK(num_u64(" 1", &v) != NULL);
	CHECK(num_u64("1x", &v) != NULL);
	CHECK(v == 5);
}

static void
format_is(double v, const char *want, int line)
{
	char buf[NUM_BUFSZ];
	size_t n = num_format(buf, v);

	unit_check_str(buf, want, __FILE__, line);
	unit_check(n == strlen(buf), __FILE__, line, "length returned");
}

#define FORMAT_IS(v, want) format_is((v), (want), __LINE__)

/* Significant digits in the text of a number, from "1.50e3" 2. */
static int
sigdigits(const char *s)
{
	int n = 0, first = -1, last = -1;

	for (; *s != '\0' && *s != 'e'; s++) {
		if (*s < '0' || *s > '9')
			continue;
		if (*s != '0') {
			if (first == -1)
				first = n;
			last = n;
		}
		n++;
	}
	return first == -1 ? 0 : last - first + 1;
}

/*
 * Random doubles, every bit pattern alike (so every exponent) and short
 * decimals such as sensors give: each must read back to the same bits,
 * and one digit fewer must not.
 */
static void
round_trips(const char *label)
{
	struct rng r;
	char buf[NUM_BUFSZ], shorter[64];
	double v, back;
	uint64_t bits;
	int i, bad = 0, notshort = 0, prec;

	rng_seed(&r, 42);
	for (i = 0; i < 200000; i++) {
		if (i % 2) {
			bits = rng_next(&r);
			memcpy(&v, &bits, sizeof v);
			if (!isfinite(v))
				continue;
		} else
			v = ((double)rng_below(&r, 2000001) - 1000000) /
			    pow(10, (double)rng_below(&r, 8));
		num_format(buf, v);
		if (num_double(buf, &back) != NULL || !same_bits(v, back) ||
		    strlen(buf) > NUM_FORMAT_MAX) {
			if (bad++ < 5)
				fprintf(stderr, "%s: %.17g written as %s\n",
				    label, v, buf);
			continue;
		}
		prec = sigdigits(buf) - 1;
		if (prec >= 1) {
			snprintf(shorter, sizeof shorter, "%.*e", prec - 1, v);
			if (strtod(shorter, NULL) == v && notshort++ < 5)
				fprintf(stderr, "%s: %s is shorter than %s\n",
				    label, shorter, buf);
		}
	}
	CHECK(bad == 0);
	CHECK(notshort == 0);
}

static void
test_format(void)
{
	FORMAT_IS(-2.2250738585072014e-308, "-2.2250738585072014e-308");
	FORMAT_IS(-1.7976931348623157e308, "-1.7976931348623157e+308");
	FORMAT_IS(0.1, "0.1");
	FORMAT_IS(1e300, "1e+300");
	FORMAT_IS(0.0, "0");
	FORMAT_IS(-0.0, "-0");
	FORMAT_IS(1.5, "1.5");
	FORMAT_IS(-23.4, "-23.4");
	FORMAT_IS(100.0, "100");
	FORMAT_IS(123456.0, "123456");
	FORMAT_IS(1e21, "1e+21");
	FORMAT_IS(1e-7, "1e-07");
	FORMAT_IS(0.30000000000000004, "0.30000000000000004");
	FORMAT_IS(1.0 / 3, "0.3333333333333333");
	FORMAT_IS(DBL_MAX, "1.7976931348623157e+308");
	FORMAT_IS(-DBL_MIN, "-2.2250738585072014e-308");
	/* Subnormals have fewer digits of their own. */
	FORMAT_IS(0x1p-1074, "5e-324");
	FORMAT_IS(3 * 0x1p-1074, "1.5e-323");
	round_trips("C locale");
}

static void
fixed_is(double v, int decimals, const char *want, int line)
{
	char buf[NUM_BUFSZ];
	size_t n = num_fixed(buf, v, decimals);

	unit_check_str(buf, want, __FILE__, line);
	unit_check(n == strlen(buf), __FILE__, line, "length returned");
}

#define FIXED_IS(v, d, want) fixed_is((v), (d), (want), __LINE__)

static void
test_fixed(void)
{
	FIXED_IS(3.14159, 3, "3.142");
	FIXED_IS(3.14159, 0, "3");
	FIXED_IS(2.0, 2, "2.00");
	FIXED_IS(-1.5, 1, "-1.5");
	FIXED_IS(0.999, 2, "1.00");
	FIXED_IS(0.5, 4, "0.5000");
	/* The nearest: a tie only when the double is exactly halfway. */
	FIXED_IS(0.125, 2, "0.12");
	FIXED_IS(0.375, 2, "0.38");
	FIXED_IS(1.005, 2, "1.00");	/* the double is 1.00499999... */
	/* No "-0.00" for a value that rounds to zero. */
	FIXED_IS(-0.001, 2, "0.00");
	FIXED_IS(-0.4, 0, "0");
	FIXED_IS(-0.0, 3, "0.000");
	FIXED_IS(-0.006, 2, "-0.01");
	/* The widest the contract allows fits the buffer. */
	FIXED_IS(-999999999999999.9, 17, "-999999999999999.87500000000000000");
	FIXED_IS(1e-17, 17, "0.00000000000000001");
}

/* The grammar of num.h, checked the plain way, to judge num_double. */
static int
in_grammar(const char *s)
{
	size_t digits = 0;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (digits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/*
 * num_double agrees with strtod to the last bit on every text it takes,
 * and takes exactly the texts of the grammar that are in range: random
 * texts of digits, points, signs and exponents (most take the short way
 * without strtod, many the long way), and the edges of the short way.
 */
static void
same_as_strtod(const char *s, int line)
{
	double v = UNTOUCHED, w;
	const char *why = num_double(s, &v);
	char *end;

	w = strtod(s, &end);
	if (!in_grammar(s) || *end != '\0' || fabs(w) == HUGE_VAL)
		unit_check(why != NULL && v == UNTOUCHED, __FILE__, line, s);
	else
		unit_check(why == NULL && same_bits(v, w), __FILE__, line, s);
}

static void
test_double_exact(void)
{
	static const char *edge[] = {
		"999999999999999", "9999999999999999", "9007199254740992",
		"9007199254740993", "1e22", "1e23", "1e-22", "1e-23",
		"123456789012345e22", "123456789012345e-22",
		"0.000000000000000000001", "0.1", "0.3", "-0", "-0.0", "+0e5",
		"0e999", "0e-999", "4.9e-324", "2.2250738585072011e-308",
		"1.7976931348623157e308", "0.100000000000000000000000001",
		"1.", ".5", "-.5e1", "00000000000000000000000012.5",
		"12.50000000000000000000000", "7e0000000000000000000000001",
		"1e-0000000000000000000000022", "5e-1", "8.5", "2.675",
		"1.0000000000000002", "4503599627370497.5", "1e", "e1", ".",
		"-", "1e+", "1.5e-", "--1", "1..5", "0x10", "inf", "nan"
	};
	static const char alphabet[] = "0123456789000.e+-";
	struct rng r;
	char buf[48];
	size_t i, j, n, accepted = 0;
	double v;

	for (i = 0; i < sizeof edge / sizeof edge[0]; i++)
		same_as_strtod(edge[i], __LINE__);

	rng_seed(&r, 1);
	for (i = 0; i < 300000; i++) {
		n = 1 + (size_t)rng_below(&r, 30);
		for (j = 0; j < n; j++) {
			/* Mostly digits, so that most texts are numbers. */
			if (rng_below(&r, 4) != 0)
				buf[j] = alphabet[rng_below(&r, 10)];
			else
				buf[j] = alphabet[rng_below(&r,
				    sizeof alphabet - 1)];
		}
		buf[n] = '\0';
		same_as_strtod(buf, __LINE__);
		accepted += num_double(buf, &v) == NULL;
	}
	/* The random texts did reach both answers. */
	CHECK(accepted > 50000 && accepted < 250000);
}

/*
 * num_fixed writes what printf("%.*f") writes, "-" dropped from a zero:
 * on a dense grid of [0, 1] at 6 decimals (the scores), on the exact
 * ties there (k / 128), and on random doubles of every size.
 */
static void
same_as_printf(double v, int decimals, int line)
{
	char got[NUM_BUFSZ], want[NUM_BUFSZ * 2];
	size_t n = num_fixed(got, v, decimals), len;

	snprintf(want, sizeof want, "%.*f", decimals, v);
	len = strlen(want);
	if (want[0] == '-' && strspn(want + 1, "0.") == len - 1)
		memmove(want, want + 1, len--);
	unit_check(strcmp(got, want) == 0 && n == len, __FILE__, line, want);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "\t%.17g: got %s\n", v, got);
}

static void
test_fixed_exact(void)
{
	struct rng r;
	uint64_t bits;
	double v;
	long i;

	for (i = 0; i <= 1L << 20; i++)
		same_as_printf((double)i / (1L << 20), 6, __LINE__);
	for (i = 0; i <= 256; i++) {
		same_as_printf(i / 128.0, 6, __LINE__);
		same_as_printf(-i / 128.0, 6, __LINE__);
		same_as_printf(i / 1024.0, 2, __LINE__);
	}
	same_as_printf(0x1p-1074, 17, __LINE__);
	same_as_printf(-0x1p-1074, 6, __LINE__);
	same_as_printf(0x1p-75, 17, __LINE__);
	same_as_printf(0x1p-11, 6, __LINE__);
	same_as_printf(0x1p-10, 6, __LINE__);
	same_as_printf(0x1p52, 3, __LINE__);
	same_as_printf(0x1p53, 3, __LINE__);
	same_as_printf(92233.72036854775807, 14, __LINE__);
	same_as_printf(-999999999999999.9, 17, __LINE__);

	rng_seed(&r, 2);
	for (i = 0; i < 200000; i++) {
		bits = rng_next(&r);
		memcpy(&v, &bits, sizeof v);
		if (i % 2 == 0)
			v = ldexp((double)(bits >> 11),
			    -(int)rng_below(&r, 140));
		if (isfinite(v) && fabs(v) < 1e15)
			same_as_printf(v, (int)rng_below(&r, 18), __LINE__);
	}
}

static void
test_json(void)
{
	static const char *valid[] = {
		"0", "-0", "1.5e-3", "10", "123", "-1", "0.0", "1E+2",
		"1e-0", "-0.5E10", "9007199254740993"
	};
	static const char *invalid[] = {
		"", "01", "+1", ".5", "1.", "-", "1e", "1e+", "-01", "00",
		"0x1", " 1", "1 ", "--1", "1.5e-3 ", "nan", "Infinity",
		"1.e5", "1,5"
	};
	size_t i;

	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		unit_check(num_is_json(valid[i], strlen(valid[i])), __FILE__,
		    __LINE__, valid[i]);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		unit_check(!num_is_json(invalid[i], strlen(invalid[i])),
		    __FILE__, __LINE__, invalid[i]);
	/* Only LEN bytes are looked at. */
	CHECK(num_is_json("12abc", 2));
	CHECK(!num_is_json("12abc", 3));
	CHECK(!num_is_json("1.5", 2));
}

/*
 * A locale with a decimal comma changes nothing: "." is still the point
 * on the way in and out.  Skipped where no such locale is installed.
 */
static void
test_locale(void)
{
	static const char *names[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"
	};
	double v = 0;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (setlocale(LC_ALL, names[i]) != NULL)
			break;
	if (i == sizeof names / sizeof names[0] ||
	    strcmp(localeconv()->decimal_point, ".") == 0) {
		setlocale(LC_ALL, "C");
		return;
	}

	CHECK(num_double("1.5", &v) == NULL && v == 1.5);
	CHECK(num_double("-.25e1", &v) == NULL && v == -2.5);
	CHECK(num_double("0.0000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000001", &v) == NULL &&
	    v == 1e-86);
	CHECK(num_double("1,5", &v) != NULL);
	CHECK(num_double("1e400", &v) != NULL);
	FORMAT_IS(0.1, "0.1");
	FORMAT_IS(-2.5e-300, "-2.5e-300");
	FORMAT_IS(0x1p-1074, "5e-324");
	FIXED_IS(2.25, 1, "2.2");
	FIXED_IS(-0.001, 2, "0.00");
	FIXED_IS(-999999999999999.9, 17, "-999999999999999.87500000000000000");
	round_trips(names[i]);
	setlocale(LC_ALL, "C");
}

int
main(void)
{
	test_double();
	test_long();
	test_u64();
	test_format();
	test_fixed();
	test_double_exact();
	test_fixed_exact();
	test_json();
	test_locale();
	return unit_done();
}
