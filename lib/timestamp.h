/*
 * timestamp.h - RFC 3339 times as microseconds since 1970-01-01T00:00:00Z.
 *
 * time_parse accepts
 *
 *	YYYY-MM-DD ( "T" | "t" | " " ) hh:mm:ss [ "." 1*9DIGIT ] [ offset ]
 *	YYYY-MM-DD
 *
 * where offset is "Z", "z", "+hh:mm" or "-hh:mm".  A time without an
 * offset, and a bare date (midnight), are taken as UTC.  Fractions finer
 * than a microsecond are truncated, since microseconds are what Clarify
 * stores.  Years run from 0001 to 9999 after the offset is applied; a
 * leap second (ss = 60) is refused, as it has no place on this scale.
 *
 * time_format writes the UTC form "YYYY-MM-DDThh:mm:ss[.ffffff]Z" with
 * trailing zeros of the fraction trimmed (and the point, when none remain).
 *
 * time_clock is of another kind: the monotonic clock in seconds, which
 * the programs read to say how long a run took.
 */
#ifndef TIMESTAMP_H
#define TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

/* Room for the longest time_format result and its NUL. */
#define TIME_BUFSZ 32

/* Bounds of the scale: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z. */
#define TIME_MIN (-62135596800LL * 1000000)
#define TIME_MAX (253402300800LL * 1000000 - 1)

/*
 * Parse the LEN bytes at S into *US.  Returns NULL, or a reason such as
 * "month out of range" for the caller's message.
 */
const char *time_parse(const char *s, size_t len, int64_t *us);

/* Write US (within the bounds above) into BUF; return the length. */
size_t	time_format(char *buf, int64_t us);

/* Days since 1970-01-01 of the proleptic Gregorian date Y-M-D. */
int64_t	time_days(int64_t y, int m, int d);

/* The date of a day number, the inverse of time_days. */
void	time_civil(int64_t days, int64_t *y, int *m, int *d);

/*
 * Seconds on the monotonic clock, for timing a run: only the difference
 * of two readings means anything.
 */
double	time_clock(void);

#endif
