/*
 * num.h - strict numbers, read and written in the C locale.
 *
 * num_double accepts exactly
 *
 *	[+-]? ( digits [ "." digits? ] | "." digits ) ( [eE] [+-]? digits )?
 *
 * so "1e-05", "+3", ".5" and "2." are numbers and "nan", "inf", "0x10",
 * " 1", "1,5" and "12abc" are not.  A value too large for a double is an
 * error; a value too small becomes the nearest representable one (0 or a
 * subnormal), as every mainstream reader does.  The decimal point is
 * always ".", whatever the locale.
 *
 * Functions return NULL on success or a short reason ("not a number",
 * "out of range", ...) that the caller puts into its message.
 */
#ifndef NUM_H
#define NUM_H

#include <stddef.h>

/* Room for the longest text num_format or num_fixed writes, with its NUL. */
#define NUM_BUFSZ 40

/* Parse the NUL-terminated S as a finite double into *OUT. */
const char *num_double(const char *s, double *out);

/* Parse the NUL-terminated S as a decimal integer in [MIN, MAX]. */
const char *num_long(const char *s, long min, long max, long *out);

/* Parse S as an unsigned 64-bit decimal integer. */
const char *num_u64(const char *s, unsigned long long *out);

/*
 * Longest text num_format writes, without its NUL: a sign, 17 digits, the
 * point and "e-308".
 */
#define NUM_FORMAT_MAX 24

/*
 * Write the shortest decimal text that reads back as exactly V ("%.17g"
 * at most, "0.1" rather than "0.10000000000000001") into BUF, which has
 * room for NUM_BUFSZ bytes.  V must be finite.  Returns the length.
 */
size_t	num_format(char *buf, double v);

/*
 * Write V with exactly DECIMALS (0 to 17) digits after the point, rounded
 * to nearest, into BUF (NUM_BUFSZ bytes); V must satisfy |V| < 1e15.
 * Returns the length.
 */
size_t	num_fixed(char *buf, double v, int decimals);

/* Is the LEN bytes at S a number in JSON's grammar (RFC 8259, 6)? */
int	num_is_json(const char *s, size_t len);

#endif
