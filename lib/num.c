/* num.c - strict number parsing and exact number formatting. */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
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

const char *
num_double(const char *s, double *out)
{
	const char *why;
	double v;

	if (*s == '\0')
		return "empty number";
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

size_t
num_fixed(char *buf, double v, int decimals)
{
	size_t n;
	int k;

	if (decimals < 0)
		decimals = 0;
	if (decimals > 17)
		decimals = 17;
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
