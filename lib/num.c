/* num.c - strict number parsing and exact number formatting. */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

static int
isdig(int c)
{
	return c >= '0' && c <= '9';
}

/*
 * Check the grammar before strtod sees the text: strtod also takes hex
 * floats, "inf", "nan(...)", leading white space and the locale's decimal
 * point, none of which is a number here.
 */
static int
decimal_syntax(const char *s)
{
	size_t intdigits = 0, fracdigits = 0;

	if (*s == '+' || *s == '-')
		s++;
	while (isdig(*s)) {
		s++;
		intdigits++;
	}
	if (*s == '.') {
		s++;
		while (isdig(*s)) {
			s++;
			fracdigits++;
		}
	}
	if (intdigits + fracdigits == 0)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!isdig(*s))
			return 0;
		while (isdig(*s))
			s++;
	}
	return *s == '\0';
}

/*
 * strtod for the checked decimal S of LEN bytes, with "." as the point
 * whatever the locale.  The C library reads the locale's point, so when
 * it stops short the text is copied with the locale's point in place of
 * the ".".  Returns NULL when all of S was read into *V, or a reason.
 */
static const char *
c_strtod(const char *s, size_t len, double *v)
{
	char small[64], *copy, *end;
	const char *dp, *dot;
	size_t dplen, head;
	int whole;

	*v = strtod(s, &end);
	if (*end == '\0')
		return NULL;

	dp = localeconv()->decimal_point;
	dplen = strlen(dp);
	if ((dot = memchr(s, '.', len)) == NULL || dplen == 0 ||
	    strcmp(dp, ".") == 0)
		return "not a number";
	head = (size_t)(dot - s);
	if (len + dplen <= sizeof small)
		copy = small;
	else if ((copy = malloc(len + dplen)) == NULL)
		return "out of memory";
	memcpy(copy, s, head);
	memcpy(copy + head, dp, dplen);
	memcpy(copy + head + dplen, dot + 1, len - head);
	errno = 0;
	*v = strtod(copy, &end);
	whole = *end == '\0';
	if (copy != small)
		free(copy);
	return whole ? NULL : "not a number";
}

/*
 * printf writes the locale's decimal point; put "." in its place in the
 * N bytes at BUF.  Only the point can be a byte other than a digit, a sign,
 * "e" or ".", and it is followed by a digit.  Returns the new length.
 */
static size_t
c_point(char *buf, size_t n)
{
	size_t i, j;

	i = strspn(buf, "0123456789+-e.");
	if (i == n)
		return n;
	for (j = i; j < n && !isdig(buf[j]); j++)
		continue;
	buf[i] = '.';
	memmove(buf + i + 1, buf + j, n - j + 1);
	return n - (j - i - 1);
}

/* Powers of ten that a double holds exactly: 10^22 < 2^53 5^22 fits. */
static const double exact_pow10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/*
 * The common case of num_double, without strtod: a plain decimal of at
 * most 15 significant digits and a decimal exponent from -22 to 22, such
 * as "12.25" or "-3e5".  Its digits W are a whole number below 2^53 and
 * 10^|E| is exact in a double, so W * 10^E or W / 10^-E is one operation
 * on exact operands, which IEEE 754 rounds correctly: the very double
 * strtod gives.  That needs doubles evaluated in double precision (no
 * x87 extended registers), hence the FLT_EVAL_METHOD test.  Returns 1
 * with *V set, or 0 when S is anything else (which may still be a
 * number: the caller goes the long way).
 */
static int
fast_decimal(const char *s, double *v)
{
#if FLT_EVAL_METHOD == 0
	uint64_t w = 0;
	int neg = 0, nd = 0, digits = 0, scale = 0, ex = 0, eneg = 0;
	double d;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	for (; isdig(*s); s++, digits++) {
		if (w == 0 && *s == '0')
			continue;
		w = w * 10 + (uint64_t)(*s - '0');
		nd++;
	}
	if (*s == '.')
		for (s++; isdig(*s); s++, digits++, scale--) {
			if (w == 0 && *s == '0')
				continue;
			w = w * 10 + (uint64_t)(*s - '0');
			nd++;
		}
	/* Up to 15 digits, w < 10^15 < 2^53, and w cannot have wrapped. */
	if (digits == 0 || nd > 15)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			eneg = *s++ == '-';
		if (!isdig(*s))
			return 0;
		for (; isdig(*s) && ex < 1000; s++)
			ex = ex * 10 + (*s - '0');
		if (eneg)
			ex = -ex;
	}
	if (*s != '\0')
		return 0;
	ex += scale;
	if (ex < -22 || ex > 22)
		return 0;
	d = (double)w;
	if (ex < 0)
		d = d / exact_pow10[-ex];
	else
		d = d * exact_pow10[ex];
	*v = neg ? -d : d;
	return 1;
#else
	(void)s;
	(void)v;
	return 0;
#endif
}

const char *
num_double(const char *s, double *out)
{
	const char *why;
	double v;

	if (*s == '\0')
		return "empty number";
	if (fast_decimal(s, out))
		return NULL;
	if (!decimal_syntax(s))
		return "not a number";
	errno = 0;
	if ((why = c_strtod(s, strlen(s), &v)) != NULL)
		return why;
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return "number out of range";
	*out = v;
	return NULL;
}

const char *
num_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s == '\0')
		return "empty number";
	if (!(isdig(*s) || ((*s == '-' || *s == '+') && isdig(s[1]))))
		return "not a whole number";
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0')
		return "not a whole number";
	if ((errno == ERANGE && v < 0) || v < min)
		return "too small";
	if (errno == ERANGE || v > max)
		return "too large";
	*out = v;
	return NULL;
}

const char *
num_u64(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!isdig(*s))
		return "not a whole number";
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return "not a whole number";
	if (errno == ERANGE)
		return "too large";
	*out = v;
	return NULL;
}

size_t
num_format(char *buf, double v)
{
	int prec, n = 0;
	double back;

	/*
	 * 17 significant digits always read back exactly.  A normal double
	 * that has a shorter form is also printed that way by "%.15g", whose
	 * trailing zeros %g drops, so the search starts there; a subnormal
	 * has fewer digits of its own and needs the search from one.
	 */
	prec = v != 0 && fabs(v) < DBL_MIN ? 1 : 15;
	for (; prec <= 17; prec++) {
		n = snprintf(buf, NUM_BUFSZ, "%.*g", prec, v);
		n = (int)c_point(buf, (size_t)n);
		if (prec == 17 || (c_strtod(buf, (size_t)n, &back) == NULL &&
		    back == v))
			break;
	}
	return (size_t)n;
}

/* The 128-bit product A * B as *HI * 2^64 + *LO, from 32-bit halves. */
static void
mul_64x64(uint64_t a, uint64_t b, uint64_t *hi, uint64_t *lo)
{
	uint64_t a0 = a & 0xffffffff, a1 = a >> 32;
	uint64_t b0 = b & 0xffffffff, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid;

	mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);
	*lo = (mid << 32) | (p00 & 0xffffffff);
	*hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* The two digits of each number below 100, "00" to "99". */
static const char two_digits[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

/*
 * The common case of num_fixed, without printf: |V| below 2^63 / 10^D,
 * which the scores are.  V is M 2^-K exactly, with M a whole number below
 * 2^53, so V 10^D is the whole number M 10^D (below 2^110) shifted right
 * by K bits: the bits shifted out decide the rounding, to nearest and a
 * tie to even, as glibc's printf rounds the exact value.  Returns the
 * length, or 0 when V is out of this range.
 */
static size_t
fast_fixed(char *buf, double v, int decimals)
{
	uint64_t bits, m, hi, lo, q, half, rest, p10 = 1;
	char digit[24];
	size_t n = 0, i, nd;
	int k;

	if (DBL_MANT_DIG != 53 || DBL_MAX_EXP != 1024 ||
	    sizeof bits != sizeof v)
		return 0;
	for (k = 0; k < decimals; k++)
		p10 *= 10;

	/* IEEE 754 binary64: 1 sign bit, 11 of exponent, 52 of fraction. */
	memcpy(&bits, &v, sizeof bits);
	m = bits & (((uint64_t)1 << 52) - 1);
	k = (int)(bits >> 52 & 0x7ff);
	if (k == 0)
		k = 1;			/* subnormal: no implicit bit */
	else
		m |= (uint64_t)1 << 52;
	k = 1075 - k;			/* V = M 2^-K */
	if (m == 0 || k >= 128) {
		/* |V| < 2^-75, so |V| 10^17 < 1/2: it rounds to zero. */
		q = 0;
	} else if (k <= 0 || k >= 64) {
		/* Whole numbers and the very small take the long way. */
		return 0;
	} else {
		mul_64x64(m, p10, &hi, &lo);
		if (hi >> k != 0)
			return 0;
		q = (hi << (64 - k)) | (lo >> k);
		rest = lo & (((uint64_t)1 << k) - 1);
		half = (uint64_t)1 << (k - 1);
		if (rest > half || (rest == half && (q & 1) != 0))
			q++;
		if (q >> 63 != 0)
			return 0;
	}

	/* A value that rounds to zero has no sign, as in num_fixed. */
	if (v < 0 && q != 0)
		buf[n++] = '-';

	/*
	 * The digits of q, from the last, two at a time, then zeros up to
	 * one before the point.
	 */
	i = sizeof digit;
	while (q >= 100) {
		i -= 2;
		memcpy(digit + i, two_digits + q % 100 * 2, 2);
		q /= 100;
	}
	if (q >= 10) {
		i -= 2;
		memcpy(digit + i, two_digits + q * 2, 2);
	} else {
		digit[--i] = (char)('0' + q);
	}
	while (sizeof digit - i <= (size_t)decimals)
		digit[--i] = '0';
	nd = sizeof digit - i - (size_t)decimals;
	memcpy(buf + n, digit + i, nd);
	n += nd;
	if (decimals > 0) {
		buf[n++] = '.';
		memcpy(buf + n, digit + i + nd, (size_t)decimals);
		n += (size_t)decimals;
	}
	buf[n] = '\0';
	return n;
}

size_t
num_fixed(char *buf, double v, int decimals)
{
	size_t n;
	int k;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 17)
		decimals = 17;
	if (isfinite(v) && (n = fast_fixed(buf, v, decimals)) > 0)
		return n;
	if ((k = snprintf(buf, NUM_BUFSZ, "%.*f", decimals, v)) < 0) {
		buf[0] = '\0';
		return 0;
	}
	n = (size_t)k < NUM_BUFSZ ? (size_t)k : NUM_BUFSZ - 1;
	n = c_point(buf, n);

	/* A value that rounds to zero is written without a sign. */
	if (buf[0] == '-' && strspn(buf + 1, "0.") == n - 1) {
		memmove(buf, buf + 1, n);
		n--;
	}
	return n;
}

int
num_is_json(const char *s, size_t len)
{
	const char *end = s + len;

	if (s < end && *s == '-')
		s++;
	if (s == end || !isdig(*s))
		return 0;
	if (*s == '0')
		s++;
	else
		while (s < end && isdig(*s))
			s++;
	if (s < end && *s == '.') {
		s++;
		if (s == end || !isdig(*s))
			return 0;
		while (s < end && isdig(*s))
			s++;
	}
	if (s < end && (*s == 'e' || *s == 'E')) {
		s++;
		if (s < end && (*s == '+' || *s == '-'))
			s++;
		if (s == end || !isdig(*s))
			return 0;
		while (s < end && isdig(*s))
			s++;
	}
	return s == end;
}
