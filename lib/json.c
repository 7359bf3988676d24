/*
 * json.c - a strict JSON reader for a stream of values.
 *
 * The whole input sits in one buffer, followed by a few NUL bytes.  The
 * NULs let the scanners run without a bounds check: every loop stops at a
 * byte it does not expect, and only then asks whether that byte is the
 * end of the input.
 *
 * Strings are decoded in place: an escape never decodes to more bytes
 * than it takes in the input, so the decoded text can be written behind
 * the read position and NUL-terminated where the closing quote was.
 *
 * Nesting is handled with an explicit stack, not recursion, so the depth
 * limit is a limit on memory we own rather than on the C stack.  The
 * members of the containers that are still open wait on a value stack;
 * when a container closes they are copied, now that their number is
 * known, into one array in an arena that json_next empties again (an
 * object's names go right behind its values).
 */
#include <sys/stat.h>

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"

/* NUL bytes after the input: the longest look-ahead is a literal's 5. */
#define PAD 8

/* The smallest arena block, and the first read size for a pipe. */
#define BLOCKMIN ((size_t)64 << 10)

struct block {
	struct block *next;
	size_t	 size;
	size_t	 used;
	max_align_t mem[];
};

/* An array or object that is still open. */
struct open {
	enum json_type type;
	uint32_t line, col;
	size_t	 vbase;		/* its first member on the value stack */
	size_t	 kbase;		/* its first name on the name stack */
};

struct json_reader {
	char	*buf;
	char	*end;		/* the NUL after the input */
	char	*p;		/* where the next value starts */
	long	 line;
	char	*linestart;	/* first byte of the current line */
	int	 failed;
	struct err lasterr;	/* repeated by calls after a failure */

	struct block *head, *cur;

	struct block *vsblock;	/* holds vs (see give_items) */
	struct json *vs;	/* members of open containers */
	size_t	 nvs, capvs;
	struct json_key *ks;	/* names of members of open objects */
	size_t	 nks, capks;

	char	*num;		/* a NUL-terminated copy for strtod */
	size_t	 capnum;

	struct open open[JSON_MAXDEPTH];
};

/*
 * Bytes a string may hold as they are: everything but the quote, the
 * backslash, control characters and the bytes of multibyte UTF-8 (which
 * must be checked).  1 marks a byte that needs a closer look.
 */
static const unsigned char special[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1
};

/* Powers of ten that a double holds exactly. */
static const double pow10tab[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static int
isdigit_(int c)
{
	return c >= '0' && c <= '9';
}

static int
isalnum_(int c)
{
	return isdigit_(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
isxdigit_(int c)
{
	return isdigit_(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static long
colof(const struct json_reader *r, const char *p)
{
	return (long)(p - r->linestart) + 1;
}

/* Fill E with the error at P and remember it; returns NULL. */
static char *
fail(struct json_reader *r, const char *p, struct err *e, const char *fmt,
    ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static char *
fail(struct json_reader *r, const char *p, struct err *e, const char *fmt,
    ...)
{
	va_list ap;

	r->lasterr.line = r->line;
	r->lasterr.col = colof(r, p);
	va_start(ap, fmt);
	vsnprintf(r->lasterr.msg, sizeof r->lasterr.msg, fmt, ap);
	va_end(ap);
	r->failed = 1;
	if (e != NULL)
		*e = r->lasterr;
	return NULL;
}

/* A byte for a message: 'x' when printable, else its code. */
static const char *
show(char *tmp, size_t n, int c)
{
	if (c > 0x20 && c < 0x7f)
		snprintf(tmp, n, "'%c'", c);
	else
		snprintf(tmp, n, "byte 0x%02x", (unsigned)(unsigned char)c);
	return tmp;
}

/* Arena. */

static void *
arena_alloc(struct json_reader *r, size_t n)
{
	const size_t a = alignof(max_align_t);
	struct block *b, *next;
	size_t size;

	if (n > SIZE_MAX - a)
		return NULL;
	n = (n + a - 1) / a * a;
	for (b = r->cur; b != NULL; b = b->next) {
		if (b != r->cur)
			b->used = 0;
		if (b->size - b->used >= n)
			break;
		if (b->next == NULL)
			break;
	}
	if (b == NULL || b->size - b->used < n) {
		size = r->cur != NULL && r->cur->size <= SIZE_MAX / 2 ?
		    r->cur->size * 2 : BLOCKMIN;
		if (size < n)
			size = n;
		if (size > SIZE_MAX - sizeof *b)
			return NULL;
		if ((b = malloc(sizeof *b + size)) == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		if (r->cur == NULL) {
			b->next = NULL;
			r->head = b;
		} else {
			/* Insert after the current block: blocks are used
			 * in list order. */
			next = r->cur->next;
			r->cur->next = b;
			b->next = next;
		}
	}
	r->cur = b;
	b->used += n;
	return (char *)b->mem + b->used - n;
}

static void
arena_reset(struct json_reader *r)
{
	r->cur = r->head;
	if (r->cur != NULL)
		r->cur->used = 0;
}

/* Make room for one more element in *ARR of *CAP elements of SIZE. */
static int
grow(void **arr, size_t *cap, size_t size)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	if (*cap != 0) {
		if (ncap > SIZE_MAX / 2 / size)
			return -1;
		ncap *= 2;
	}
	if ((n = realloc(*arr, ncap * size)) == NULL)
		return -1;
	*arr = n;
	*cap = ncap;
	return 0;
}

/*
 * The members of open containers are kept in vs, itself the memory of an
 * arena block, so that a long array (a series of a million values) need
 * not be copied when it closes: its block goes to the arena as it is,
 * full, and vs starts again in a new block with the members below it.
 */
#define GIVE_ITEMS	4096

/* Make room for one more member in vs.  Returns -1 when out of memory. */
static int
grow_vs(struct json_reader *r)
{
	size_t cap = r->capvs ? r->capvs : 64;
	struct block *b;

	if (r->capvs != 0) {
		if (cap > (SIZE_MAX - sizeof *b) / 2 / sizeof *r->vs)
			return -1;
		cap *= 2;
	}
	if ((b = realloc(r->vsblock, sizeof *b + cap * sizeof *r->vs)) ==
	    NULL)
		return -1;
	b->size = cap * sizeof *r->vs;
	r->vsblock = b;
	r->vs = (struct json *)(void *)b->mem;
	r->capvs = cap;
	return 0;
}

/*
 * Hand the block of vs to the arena, full, and start vs anew with its
 * first KEEP members.  Its place in the list is the head: before the
 * current block, where arena_alloc reuses nothing until arena_reset.
 * The caller points r->vs at the new block.  Returns -1 when out of
 * memory, with nothing changed.
 */
static int
give_items(struct json_reader *r, size_t keep)
{
	struct block *b, *old = r->vsblock;
	size_t cap = keep < 32 ? 64 : keep * 2;

	if (cap > (SIZE_MAX - sizeof *b) / sizeof *r->vs ||
	    (b = malloc(sizeof *b + cap * sizeof *r->vs)) == NULL)
		return -1;
	memcpy(b->mem, r->vs, keep * sizeof *r->vs);
	b->size = cap * sizeof *r->vs;
	b->used = 0;
	b->next = NULL;
	old->used = old->size;
	if (r->cur == NULL) {
		old->next = NULL;
		r->head = r->cur = old;
	} else {
		old->next = r->head;
		r->head = old;
	}
	r->vsblock = b;
	r->capvs = cap;
	return 0;
}

/* Opening. */

static const char toobig[] = "input of 4 GiB or more, more than the JSON "
    "reader takes";

static struct json_reader *
reader_new(char *buf, size_t len, struct err *e)
{
	struct json_reader *r;

	if (len > JSON_MAXINPUT) {
		free(buf);
		err_set(e, 0, 0, "%s", toobig);
		return NULL;
	}
	if ((r = calloc(1, sizeof *r)) == NULL) {
		free(buf);
		err_sys(e, "out of memory");
		return NULL;
	}
	memset(buf + len, 0, PAD);
	r->buf = buf;
	r->end = buf + len;
	r->p = buf;
	/* RFC 8259 lets a reader ignore a byte-order mark; curl never
	 * writes one, but an editor may. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		r->p += 3;
	r->line = 1;
	r->linestart = r->p;
	return r;
}

struct json_reader *
json_open(int fd, struct err *e)
{
	struct stat st;
	size_t cap = BLOCKMIN, len = 0;
	ssize_t n;
	off_t at;
	uintmax_t left;
	char *buf, *nbuf;

	/*
	 * A regular file is read in one go, from where FD stands (a shell
	 * may have read some of it already); a pipe in doubling steps, the
	 * buffer grown by realloc, which moves a large block by remapping
	 * its pages rather than by copying them.
	 */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		at = lseek(fd, 0, SEEK_CUR);
		left = (uintmax_t)st.st_size;
		if (at > 0 && at <= st.st_size)
			left -= (uintmax_t)at;
		if (left > JSON_MAXINPUT) {
			err_set(e, 0, 0, "%s", toobig);
			return NULL;
		}
		cap = (size_t)left + 1;
	}
	if ((buf = malloc(cap + PAD)) == NULL) {
		err_sys(e, "out of memory");
		return NULL;
	}
	for (;;) {
		if (len == cap) {
			if (cap > (SIZE_MAX - PAD) / 2 ||
			    (nbuf = realloc(buf, cap * 2 + PAD)) == NULL) {
				free(buf);
				err_sys(e, "out of memory");
				return NULL;
			}
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err_sys(e, "cannot read");
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > JSON_MAXINPUT)
			break;
	}
	return reader_new(buf, len, e);
}

struct json_reader *
json_open_mem(const char *buf, size_t len, struct err *e)
{
	char *copy;

	if (len > SIZE_MAX - PAD || (copy = malloc(len + PAD)) == NULL) {
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	memcpy(copy, buf, len);
	return reader_new(copy, len, e);
}

void
json_close(struct json_reader *r)
{
	struct block *b, *next;

	if (r == NULL)
		return;
	for (b = r->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	free(r->vsblock);
	free(r->ks);
	free(r->num);
	free(r->buf);
	free(r);
}

/* Scanning. */

static char *
skip_ws(struct json_reader *r, char *p)
{
	for (;;) {
		switch (*p) {
		case ' ':
		case '\t':
		case '\r':
			p++;
			break;
		case '\n':
			p++;
			r->line++;
			r->linestart = p;
			break;
		default:
			return p;
		}
	}
}

static int
hex4(const char *p, unsigned *v)
{
	int i, c;

	*v = 0;
	for (i = 0; i < 4; i++) {
		c = (unsigned char)p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return 0;
		*v = *v << 4 | (unsigned)c;
	}
	return 1;
}

static char *
put_utf8(char *w, unsigned cp)
{
	if (cp < 0x80) {
		*w++ = (char)cp;
	} else if (cp < 0x800) {
		*w++ = (char)(0xc0 | cp >> 6);
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*w++ = (char)(0xe0 | cp >> 12);
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*w++ = (char)(0xf0 | cp >> 18);
		*w++ = (char)(0x80 | (cp >> 12 & 0x3f));
		*w++ = (char)(0x80 | (cp >> 6 & 0x3f));
		*w++ = (char)(0x80 | (cp & 0x3f));
	}
	return w;
}

/*
 * Check the UTF-8 sequence at P (whose first byte is 0x80 or above).
 * Returns its length, or 0 with *WHY set.  RFC 3629 leaves no choice for
 * the second byte after E0, ED, F0 and F4: that is where overlong forms,
 * surrogates and code points beyond U+10FFFF are told apart.
 */
static int
utf8_len(const unsigned char *p, const char **why)
{
	unsigned c = p[0], lo = 0x80, hi = 0xbf;
	int n, i;

	if (c < 0xc2) {
		*why = c < 0xc0 ? "invalid UTF-8 (a continuation byte 0x%s "
		    "with no lead byte) in a string" :
		    "overlong UTF-8 encoding in a string";
		return 0;
	}
	if (c < 0xe0) {
		n = 2;
	} else if (c < 0xf0) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c < 0xf5) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else {
		*why = c < 0xf8 ? "UTF-8 sequence beyond U+10FFFF in a string" :
		    "invalid UTF-8 byte 0x%s in a string";
		return 0;
	}
	if (p[1] < lo || p[1] > hi) {
		if (p[1] >= 0x80 && p[1] <= 0xbf)
			*why = c == 0xe0 || c == 0xf0 ?
			    "overlong UTF-8 encoding in a string" :
			    c == 0xed ?
			    "UTF-8-encoded surrogate in a string" :
			    "UTF-8 sequence beyond U+10FFFF in a string";
		else
			*why = "truncated UTF-8 sequence in a string";
		return 0;
	}
	for (i = 2; i < n; i++) {
		if (p[i] < 0x80 || p[i] > 0xbf) {
			*why = "truncated UTF-8 sequence in a string";
			return 0;
		}
	}
	return n;
}

/*
 * Decode the escape at P (a backslash) to *W.  Returns the byte after the
 * escape, or NULL on an error.
 */
static char *
unescape(struct json_reader *r, char *p, char **w, struct err *e)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *c;
	char tmp[16];
	unsigned cp, lo;
	int n;

	if (p[1] != '\0' && (c = strchr(from, p[1])) != NULL) {
		*(*w)++ = to[c - from];
		return p + 2;
	}
	if (p[1] == '\0' && p + 1 == r->end)
		return fail(r, r->end, e,
		    "unexpected end of input inside a string");
	if (p[1] != 'u')
		return fail(r, p, e, "invalid escape %s in a string (after a "
		    "backslash)", show(tmp, sizeof tmp, p[1]));
	if (!hex4(p + 2, &cp)) {
		for (n = 2; n < 6 && isxdigit_(p[n]); n++)
			;
		if (p + n == r->end)
			return fail(r, r->end, e,
			    "unexpected end of input inside a string");
		return fail(r, p, e, "invalid \\u escape in a string "
		    "(expected 4 hex digits)");
	}
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(r, p, e, "lone low surrogate \\u%.4s in a string "
		    "(no high surrogate before it)", p + 2);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (p[6] != '\\' || p[7] != 'u' || !hex4(p + 8, &lo) ||
		    lo < 0xdc00 || lo > 0xdfff)
			return fail(r, p, e, "lone high surrogate \\u%.4s in a "
			    "string (a low surrogate \\uDC00-\\uDFFF must "
			    "follow)", p + 2);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	*w = put_utf8(*w, cp);
	return p + 6;
}

/*
 * Read the string whose opening quote is at P, decoding it in place.
 * Returns the byte after the closing quote, or NULL on an error.
 */
static char *
parse_string(struct json_reader *r, char *p, const char **str, size_t *len,
    struct err *e)
{
	char *start = ++p, *w, tmp[16];
	const char *why;
	int c, n;

	/* The common case: nothing to decode, nothing to move. */
	while (!special[(unsigned char)*p])
		p++;
	w = p;
	for (;;) {
		c = (unsigned char)*p;
		if (!special[c]) {
			*w++ = *p++;
		} else if (c == '"') {
			break;
		} else if (c == '\\') {
			if ((p = unescape(r, p, &w, e)) == NULL)
				return NULL;
		} else if (c >= 0x80) {
			if ((n = utf8_len((unsigned char *)p, &why)) == 0) {
				snprintf(tmp, sizeof tmp, "%02x", (unsigned)c);
				return fail(r, p, e, why, tmp);
			}
			while (n-- > 0)
				*w++ = *p++;
		} else if (c == '\0' && p == r->end) {
			return fail(r, p, e,
			    "unexpected end of input inside a string");
		} else {
			return fail(r, p, e, "unescaped control character "
			    "U+%04X in a string", (unsigned)c);
		}
	}
	*w = '\0';
	*str = start;
	*len = (size_t)(w - start);
	return p + 1;
}

/*
 * A number's decimal digits: the value is M times ten to the X, negated
 * when NEG, exactly so unless MANY (more digits than M holds).
 */
struct decimal {
	uint64_t m;
	long	 x;
	int	 neg, many;
};

/* Take apart the number text at P, which follows the JSON grammar. */
static void
decimal(const char *p, struct decimal *d)
{
	long ev = 0;
	int nd = 0, eneg = 0;

	d->m = 0;
	d->x = 0;
	d->many = 0;
	if ((d->neg = *p == '-'))
		p++;
	for (; isdigit_(*p); p++) {
		if (nd < 19) {
			d->m = d->m * 10 + (uint64_t)(*p - '0');
			nd += d->m > 0;
		} else {
			d->many = 1;
			d->x++;
		}
	}
	if (*p == '.') {
		for (p++; isdigit_(*p); p++) {
			if (nd < 19) {
				d->m = d->m * 10 + (uint64_t)(*p - '0');
				nd += d->m > 0;
				d->x--;
			} else {
				d->many = 1;
			}
		}
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for (; isdigit_(*p); p++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
	}
	d->x += eneg ? -ev : ev;
}

/*
 * Does one rounding give the value of D, correctly rounded?  It does when
 * the digits fit a double's mantissa and the power of ten is exact too,
 * in doubles that are not evaluated in a wider format.  When it does not,
 * strtod must.
 */
static int
exact(const struct decimal *d)
{
#if FLT_EVAL_METHOD == 0
	return !d->many && d->m <= (uint64_t)1 << 53 && d->x >= -22 &&
	    d->x <= 22;
#else
	(void)d;
	return 0;
#endif
}

/*
 * The same question for a number of ND digits in all and a power of ten
 * X, answered without taking the digits apart: yes means yes, no means
 * that exact must tell.
 */
static int
few(long nd, long x)
{
#if FLT_EVAL_METHOD == 0
	return nd <= 15 && x >= -22 && x <= 22;
#else
	(void)nd;
	(void)x;
	return 0;
#endif
}

/* The value of D, for which exact holds. */
static double
exact_value(const struct decimal *d)
{
	double v = (double)d->m;

	v = d->x < 0 ? v / pow10tab[-d->x] : v * pow10tab[d->x];
	return d->neg ? -v : v;
}

/*
 * Read the number at P.  The grammar is checked here; a number that one
 * rounding does not give (see exact) goes through strtod now, which
 * refuses one too large for a double, so that json_num cannot fail later.
 */
static char *
parse_number(struct json_reader *r, char *p, struct json *v, struct err *e)
{
	struct decimal dec;
	char *start = p, *digits, tmp[16];
	long nd, nfrac = 0, ev = 0;
	int eneg = 0;
	double d;
	char *end;
	size_t len;

	if (*p == '-')
		p++;
	digits = p;
	if (*p == '0') {
		p++;
		if (isdigit_(*p))
			return fail(r, p - 1, e, "leading zero in a number");
	} else if (isdigit_(*p)) {
		while (isdigit_(*p))
			p++;
	} else if (*p == 'I' || *p == 'i' || *p == 'N' || *p == 'n') {
		return fail(r, start, e, "%s is not a JSON number",
		    *p == 'I' || *p == 'i' ? "-Infinity" : "-NaN");
	} else if (*p == '\0' && p == r->end) {
		return fail(r, p, e, "unexpected end of input inside a number");
	} else {
		return fail(r, p, e, "expected a digit after '-'");
	}
	nd = p - digits;
	if (*p == '.') {
		p++;
		if (!isdigit_(*p))
			return fail(r, p, e, *p == '\0' && p == r->end ?
			    "unexpected end of input inside a number" :
			    "expected a digit after the decimal point");
		for (digits = p; isdigit_(*p); p++)
			;
		nfrac = p - digits;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		if (!isdigit_(*p))
			return fail(r, p, e, *p == '\0' && p == r->end ?
			    "unexpected end of input inside a number" :
			    "expected a digit in the exponent");
		for (; isdigit_(*p); p++)
			if (ev < 100000)
				ev = ev * 10 + (*p - '0');
	}
	if (isalnum_(*p) || *p == '.' || *p == '+' || *p == '-')
		return fail(r, p, e, "unexpected %s after a number",
		    show(tmp, sizeof tmp, *p));

	len = (size_t)(p - start);
	v->type = JSON_NUMBER;
	v->str = start;
	v->len = (uint32_t)len;
	if (few(nd + nfrac, (eneg ? -ev : ev) - nfrac))
		return p;
	decimal(start, &dec);
	if (exact(&dec))
		return p;
	if (len >= r->capnum) {
		free(r->num);
		r->capnum = len + 64;
		if ((r->num = malloc(r->capnum)) == NULL) {
			r->capnum = 0;
			return fail(r, start, e, "out of memory");
		}
	}
	memcpy(r->num, start, len);
	r->num[len] = '\0';
	errno = 0;
	d = strtod(r->num, &end);
	if (end != r->num + len)
		return fail(r, start, e, "number not readable in this locale");
	if (errno == ERANGE && (d == HUGE_VAL || d == -HUGE_VAL))
		return fail(r, start, e, "number out of range");
	return p;
}

/* Are the N bytes at P the lower-case WORD, in any case? */
static int
caseeq(const char *p, size_t n, const char *word)
{
	size_t i;

	if (strlen(word) != n)
		return 0;
	for (i = 0; i < n; i++)
		if ((p[i] | 0x20) != word[i])
			return 0;
	return 1;
}

/*
 * A value that starts with a letter: true, false, null, or a word that
 * is none of them.  The word itself is not repeated in the message, as
 * it may be part of a secret in a malformed credentials file.
 */
static char *
parse_word(struct json_reader *r, char *p, struct json *v, struct err *e)
{
	static const struct {
		const char *s;
		enum json_type t;
	} lit[] = {
		{ "true", JSON_TRUE }, { "false", JSON_FALSE },
		{ "null", JSON_NULL }
	};
	char *q = p;
	size_t n, i;

	while (isalnum_(*q) || *q == '_')
		q++;
	n = (size_t)(q - p);
	for (i = 0; i < sizeof lit / sizeof lit[0]; i++) {
		if (strlen(lit[i].s) == n && memcmp(p, lit[i].s, n) == 0) {
			v->type = lit[i].t;
			return q;
		}
		if (q == r->end && n < strlen(lit[i].s) &&
		    memcmp(p, lit[i].s, n) == 0)
			return fail(r, q, e, "unexpected end of input inside "
			    "a literal (true, false or null)");
	}
	if (caseeq(p, n, "nan"))
		return fail(r, p, e, "NaN is not a JSON number");
	if (caseeq(p, n, "inf") || caseeq(p, n, "infinity"))
		return fail(r, p, e, "Infinity is not a JSON number");
	return fail(r, p, e, "invalid literal (expected true, false, null, "
	    "a number, a string, an array or an object)");
}

/* A byte that cannot start a value. */
static char *
bad_value(struct json_reader *r, char *p, int depth, struct err *e)
{
	char tmp[16];

	if (*p == '\0' && p == r->end)
		return fail(r, p, e, depth == 0 ? "unexpected end of input" :
		    r->open[depth - 1].type == JSON_ARRAY ?
		    "unexpected end of input inside an array" :
		    "unexpected end of input inside an object");
	switch (*p) {
	case '\'':
		return fail(r, p, e, "single quotes do not make a JSON string");
	case '/':
		return fail(r, p, e, "comments are not allowed in JSON");
	case '+':
	case '.':
		return fail(r, p, e, "a number must start with a digit or "
		    "'-'");
	}
	return fail(r, p, e, "unexpected %s (expected a value)",
	    show(tmp, sizeof tmp, *p));
}

/* After a member: anything but the separator or the closing bracket. */
static char *
bad_after(struct json_reader *r, char *p, enum json_type t, struct err *e)
{
	char tmp[16];

	if (*p == '\0' && p == r->end)
		return fail(r, p, e, t == JSON_ARRAY ?
		    "unexpected end of input inside an array" :
		    "unexpected end of input inside an object");
	return fail(r, p, e, t == JSON_ARRAY ?
	    "expected ',' or ']' in an array, found %s" :
	    "expected ',' or '}' in an object, found %s",
	    show(tmp, sizeof tmp, *p));
}

/*
 * Copy the N members of the container O from the stacks to the arena:
 * their values, and for an object their names right behind them, where
 * json_key finds them.  NULL when out of memory.
 */
static struct json *
copy_members(struct json_reader *r, const struct open *o, size_t n)
{
	struct json *item;
	size_t size = sizeof *item;

	if (o->type == JSON_OBJECT)
		size += sizeof *r->ks;
	if (n > SIZE_MAX / size || (item = arena_alloc(r, n * size)) == NULL)
		return NULL;
	memcpy(item, r->vs + o->vbase, n * sizeof *item);
	if (o->type == JSON_OBJECT)
		memcpy(item + n, r->ks + o->kbase, n * sizeof *r->ks);
	return item;
}

int
json_next(struct json_reader *r, struct json **out, struct err *e)
{
	struct json v;
	struct open *o;
	char *p;
	size_t n;
	int depth = 0;

	if (r->failed) {
		*e = r->lasterr;
		return -1;
	}
	arena_reset(r);
	r->nvs = r->nks = 0;
	p = skip_ws(r, r->p);
	if (p == r->end) {
		r->p = p;
		return 0;
	}

value:
	memset(&v, 0, sizeof v);
	v.line = (uint32_t)r->line;
	v.col = (uint32_t)colof(r, p);
	switch (*p) {
	case '[':
	case '{':
		if (depth == JSON_MAXDEPTH) {
			fail(r, p, e, "nesting deeper than %d levels",
			    JSON_MAXDEPTH);
			return -1;
		}
		o = &r->open[depth++];
		o->type = *p == '[' ? JSON_ARRAY : JSON_OBJECT;
		o->line = v.line;
		o->col = v.col;
		o->vbase = r->nvs;
		o->kbase = r->nks;
		p = skip_ws(r, p + 1);
		if (*p == (o->type == JSON_ARRAY ? ']' : '}')) {
			p++;
			goto close;
		}
		if (o->type == JSON_OBJECT)
			goto name;
		goto value;
	case '"':
		v.type = JSON_STRING;
		p = parse_string(r, p, &v.str, &n, e);
		v.len = (uint32_t)n;
		break;
	case '-':
	case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		p = parse_number(r, p, &v, e);
		break;
	default:
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
			p = parse_word(r, p, &v, e);
		else
			p = bad_value(r, p, depth, e);
		break;
	}
	if (p == NULL)
		return -1;

have:
	if (depth == 0)
		goto done;
	if (r->nvs == r->capvs && grow_vs(r) == -1)
		goto nomem;
	r->vs[r->nvs++] = v;
	o = &r->open[depth - 1];
	p = skip_ws(r, p);
	if (*p == ',') {
		p = skip_ws(r, p + 1);
		if (o->type == JSON_ARRAY) {
			if (*p == ']') {
				fail(r, p, e, "trailing comma in an array");
				return -1;
			}
			goto value;
		}
		if (*p == '}') {
			fail(r, p, e, "trailing comma in an object");
			return -1;
		}
		goto name;
	}
	if (*p == (o->type == JSON_ARRAY ? ']' : '}')) {
		p++;
		goto close;
	}
	bad_after(r, p, o->type, e);
	return -1;

name:
	if (*p != '"') {
		char tmp[16];

		if (*p == '\0' && p == r->end)
			fail(r, p, e, "unexpected end of input inside an "
			    "object");
		else
			fail(r, p, e, "expected a string (a member name) in "
			    "an object, found %s", show(tmp, sizeof tmp, *p));
		return -1;
	}
	if (r->nks == r->capks &&
	    grow((void **)&r->ks, &r->capks, sizeof *r->ks) == -1)
		goto nomem;
	p = parse_string(r, p, &r->ks[r->nks].name, &r->ks[r->nks].len, e);
	if (p == NULL)
		return -1;
	r->nks++;
	p = skip_ws(r, p);
	if (*p != ':') {
		char tmp[16];

		if (*p == '\0' && p == r->end)
			fail(r, p, e, "unexpected end of input inside an "
			    "object");
		else
			fail(r, p, e, "expected ':' after a member name, "
			    "found %s", show(tmp, sizeof tmp, *p));
		return -1;
	}
	p = skip_ws(r, p + 1);
	goto value;

close:
	o = &r->open[--depth];
	memset(&v, 0, sizeof v);
	v.type = o->type;
	v.line = o->line;
	v.col = o->col;
	n = r->nvs - o->vbase;
	v.len = (uint32_t)n;
	if (n > 0) {
		if (o->type == JSON_ARRAY && n >= GIVE_ITEMS &&
		    give_items(r, o->vbase) == 0) {
			v.item = r->vs + o->vbase;
			r->vs = (struct json *)(void *)r->vsblock->mem;
		} else if ((v.item = copy_members(r, o, n)) == NULL) {
			goto nomem;
		}
	}
	r->nvs = o->vbase;
	r->nks = o->kbase;
	goto have;

done:
	if ((*out = arena_alloc(r, sizeof **out)) == NULL)
		goto nomem;
	**out = v;
	r->p = p;
	return 1;

nomem:
	fail(r, p, e, "out of memory");
	r->lasterr.line = r->lasterr.col = 0;
	if (e != NULL)
		*e = r->lasterr;
	return -1;
}

const struct json *
json_get(const struct json *obj, const char *key)
{
	const struct json_key *k;
	size_t n, i;

	if (obj == NULL || obj->type != JSON_OBJECT || obj->len == 0)
		return NULL;
	k = json_key(obj, 0);
	n = strlen(key);
	/* The last of repeated names wins, as in most readers. */
	for (i = obj->len; i-- > 0;)
		if (k[i].len == n && memcmp(k[i].name, key, n) == 0)
			return &obj->item[i];
	return NULL;
}

const struct json_key *
json_key(const struct json *obj, size_t i)
{
	return (const struct json_key *)(const void *)(obj->item +
	    obj->len) + i;
}

double
json_num(const struct json *v)
{
	struct decimal dec;
	char small[64], *copy;
	double d;

	if (v->type != JSON_NUMBER)
		return 0;
	decimal(v->str, &dec);
	if (exact(&dec))
		return exact_value(&dec);
	/*
	 * strtod wants the text NUL-terminated: the byte after it in the
	 * input could extend it, as a comma does where the locale's decimal
	 * point is one.  json_next made sure that strtod reads it whole and
	 * within range.
	 */
	if (v->len < sizeof small)
		copy = small;
	else if ((copy = malloc((size_t)v->len + 1)) == NULL)
		return NAN;
	memcpy(copy, v->str, v->len);
	copy[v->len] = '\0';
	d = strtod(copy, NULL);
	if (copy != small)
		free(copy);
	return d;
}

const char *
json_typename(enum json_type t)
{
	switch (t) {
	case JSON_NULL:
		return "null";
	case JSON_FALSE:
		return "false";
	case JSON_TRUE:
		return "true";
	case JSON_NUMBER:
		return "a number";
	case JSON_STRING:
		return "a string";
	case JSON_ARRAY:
		return "an array";
	case JSON_OBJECT:
		return "an object";
	}
	return "an unknown value";
}

int
json_put_string(FILE *fp, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s, *end = s + len;
	char esc[7];
	size_t n;
	unsigned char c;

	if (putc('"', fp) == EOF)
		return -1;
	for (; s < end; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		n = (size_t)(s - run);
		if (n > 0 && fwrite(run, 1, n, fp) != n)
			return -1;
		run = s + 1;
		esc[0] = '\\';
		esc[2] = '\0';
		switch (c) {
		case '"':
		case '\\':
			esc[1] = (char)c;
			break;
		case '\b':
			esc[1] = 'b';
			break;
		case '\f':
			esc[1] = 'f';
			break;
		case '\n':
			esc[1] = 'n';
			break;
		case '\r':
			esc[1] = 'r';
			break;
		case '\t':
			esc[1] = 't';
			break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			esc[6] = '\0';
			break;
		}
		if (fputs(esc, fp) == EOF)
			return -1;
	}
	n = (size_t)(s - run);
	if (n > 0 && fwrite(run, 1, n, fp) != n)
		return -1;
	if (putc('"', fp) == EOF)
		return -1;
	return 0;
}
