/* num.c - strict number parsing and exact number formatting. */
#include <errno.h>
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

const char *
num_double(const char *s, double *out)
{
	char *end;
	double v;

	if (*s == '\0')
		return "empty number";
	if (!decimal_syntax(s))
		return "not a number";
	errno = 0;
	v = strtod(s, &end);
	if (*end != '\0')
		return "not a number";
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

	/*
	 * 17 significant digits always read back exactly; fewer often do.
	 * Trying from 15 up finds the shortest of the common cases cheaply.
	 */
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, NUM_BUFSZ, "%.*g", prec, v);
		if (prec == 17 || strtod(buf, NULL) == v)
			break;
	}
	return (size_t)n;
}

size_t
num_fixed(char *buf, double v, int decimals)
{
	int n = snprintf(buf, NUM_BUFSZ, "%.*f", decimals, v);

	return n < 0 ? 0 : (size_t)n;
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
