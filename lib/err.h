/*
 * err.h - how the library reports an error to its caller.
 *
 * A library function that can fail takes a `struct err *` owned by the
 * caller, fills it and returns -1 (or NULL).  The message is lower case,
 * has no final period and says what was expected.  `line` and `col` are
 * 1-based positions in the input the function was reading, or 0 when the
 * error is not tied to a place (an allocation failure, a read error).
 *
 * The library never prints and never exits: the program decides what to
 * say and which exit status to use.
 */
#ifndef ERR_H
#define ERR_H

#include <stddef.h>

struct err {
	long	line;
	long	col;
	char	msg[256];
};

/* Fill E with a formatted message and position; return -1. */
int	err_set(struct err *e, long line, long col, const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 4, 5)))
#endif
	    ;

/* As err_set, appending ": " and strerror(errno). */
int	err_sys(struct err *e, const char *fmt, ...)
#if defined(__GNUC__)
	    __attribute__((format(printf, 2, 3)))
#endif
	    ;

/* Longest piece of input quoted in a message, in bytes. */
#define ERR_SHOWN 40

/*
 * How many of the LEN bytes at S to quote in a message: all of them, or
 * at most ERR_SHOWN cut at a UTF-8 character boundary (the caller then
 * adds "...").
 */
int	err_shown(const char *s, size_t len);

/* Room for err_quote's text and its NUL. */
#define ERR_QUOTESZ (ERR_SHOWN + 4)

/*
 * The LEN bytes at S as err_shown would quote them, with "..." when cut
 * and control characters as '?', in BUF of ERR_QUOTESZ bytes.  Returns
 * BUF, so that it can stand in a printf argument list.
 */
const char *err_quote(char *buf, const char *s, size_t len);

#endif
