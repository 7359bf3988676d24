/* err.c - filling a struct err. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

int
err_set(struct err *e, long line, long col, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return -1;
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_sys(struct err *e, const char *fmt, ...)
{
	int saved = errno;
	size_t n;
	va_list ap;

	if (e == NULL)
		return -1;
	e->line = 0;
	e->col = 0;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	n = strlen(e->msg);
	snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(saved));
	errno = saved;
	return -1;
}

int
err_shown(const char *s, size_t len)
{
	size_t n = len;

	if (n > ERR_SHOWN)
		for (n = ERR_SHOWN; n > 0 && (s[n] & 0xc0) == 0x80; n--)
			continue;
	return (int)n;
}

const char *
err_quote(char *buf, const char *s, size_t len)
{
	size_t i, n = (size_t)err_shown(s, len);

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	strcpy(buf + n, n < len ? "..." : "");
	return buf;
}
