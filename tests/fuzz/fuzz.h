/*
 * fuzz.h - what the libFuzzer harnesses share.
 *
 * A harness defines LLVMFuzzerTestOneInput, runs a parser on the input
 * and checks properties of what comes out.  A broken property calls
 * FUZZ_FAIL, which prints why and aborts, so that libFuzzer saves the
 * input as a crash like any sanitizer report.
 *
 * Inputs are copied into buffers of exactly their size before a parser
 * sees them, so that AddressSanitizer catches a read one byte past the
 * end, and parsers that take a descriptor read from a file holding the
 * bytes.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_FAIL(...) fuzz_fail(__FILE__, __LINE__, __VA_ARGS__)

static inline void
fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s:%d: property broken: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

#define FUZZ_CHECK(cond) do {						\
	if (!(cond))							\
		FUZZ_FAIL("%s", #cond);					\
} while (0)

/* A copy of the LEN bytes at P in a buffer of exactly LEN bytes. */
static inline char *
fuzz_copy(const void *p, size_t len)
{
	char *s;

	if ((s = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	memcpy(s, p, len);
	return s;
}

/* The bytes at P up to the first NUL or LEN, as a C string. */
static inline char *
fuzz_str(const void *p, size_t len)
{
	const char *nul;
	char *s;

	if ((nul = memchr(p, '\0', len)) != NULL)
		len = (size_t)(nul - (const char *)p);
	if ((s = malloc(len + 1)) == NULL)
		abort();
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

/*
 * A descriptor, open for reading at offset 0, on a file holding the LEN
 * bytes at P.  One temporary file serves every input.
 */
static inline int
fuzz_fd(const void *p, size_t len)
{
	static FILE *tmp;
	int fd;

	if (tmp == NULL && (tmp = tmpfile()) == NULL)
		abort();
	fd = fileno(tmp);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, p, len, 0) != (ssize_t)len ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	return fd;
}

/* Is the text at S of LEN bytes valid UTF-8 (no overlong, surrogate)? */
static inline int
fuzz_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n, k;
	uint32_t c, min;

	while (i < len) {
		c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			c &= 0x1f;
			min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			c &= 0x0f;
			min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			c &= 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i - 1 < n)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
			c = c << 6 | (p[i + k] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Does the text at S of LEN bytes hold the NUL-terminated NEEDLE? */
static inline int
fuzz_contains(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	if (n == 0)
		return 1;
	for (i = 0; i + n <= len; i++)
		if (memcmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

#endif
