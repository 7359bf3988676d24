/* csv.c - reading CSV records from a descriptor, writing CSV fields. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "num.h"

/*
 * Input is read in blocks of at least this much; the buffer grows past it
 * only when one record needs more.
 */
#define BLOCK	((size_t)128 << 10)

struct csv_reader {
	int	 fd;
	size_t	 maxrecord;
	char	*buf;		/* bytes [pos, len) are read, not consumed */
	size_t	 cap, pos, len;
	int	 eof;		/* read(2) has reported the end */
	int	 started;	/* the byte-order mark has been looked for */
	long	 line;		/* physical line of buf[pos] */
	size_t	 nexpect;	/* fields per record, 0 before the first */

	char	*out;		/* the record's fields, unquoted, each ended */
	size_t	 outcap;	/* by a NUL */
	char	**field;
	size_t	*flen;
	size_t	*foff;		/* where each field starts in out */
	size_t	 nfield, fcap;

	int	 failed;	/* the input cannot be read on: repeat saved */
	struct err saved;
};

struct csv_reader *
csv_open(int fd, size_t maxrecord)
{
	struct csv_reader *r;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return NULL;
	r->fd = fd;
	if (maxrecord == 0)
		maxrecord = CSV_MAXRECORD;
	/* Keep the arithmetic on record sizes clear of overflow. */
	if (maxrecord > SIZE_MAX / 4)
		maxrecord = SIZE_MAX / 4;
	r->maxrecord = maxrecord;
	r->line = 1;
	r->cap = BLOCK;
	r->outcap = 1024;
	r->fcap = 16;
	r->buf = malloc(r->cap);
	r->out = malloc(r->outcap);
	r->field = malloc(r->fcap * sizeof *r->field);
	r->flen = malloc(r->fcap * sizeof *r->flen);
	r->foff = malloc(r->fcap * sizeof *r->foff);
	if (r->buf == NULL || r->out == NULL || r->field == NULL ||
	    r->flen == NULL || r->foff == NULL) {
		csv_close(r);
		return NULL;
	}
	return r;
}

void
csv_close(struct csv_reader *r)
{
	if (r == NULL)
		return;
	free(r->buf);
	free(r->out);
	free(r->field);
	free(r->flen);
	free(r->foff);
	free(r);
}

/*
 * The most either buffer needs: a record at the limit, the CR and LF that
 * may end it, and one read beyond.  (csv_open keeps this clear of
 * overflow.)
 */
static size_t
ceiling(const struct csv_reader *r)
{
	return r->maxrecord + 2 + BLOCK;
}

static int
toolong(struct csv_reader *r, struct err *e)
{
	return err_set(e, r->line, 0, "record longer than %zu bytes",
	    r->maxrecord);
}

/*
 * Read more input after the bytes held, keeping the unconsumed ones (their
 * offsets from pos stay valid, their addresses may not).  Returns 1 when
 * bytes were added, 0 at the end of the input, -1 on an error.  It is
 * called only while the held bytes are all part of one unfinished record,
 * which is where the record's length limit is enforced.
 */
static int
more(struct csv_reader *r, struct err *e)
{
	size_t held = r->len - r->pos;
	ssize_t n;

	if (r->eof)
		return 0;
	if (held > r->maxrecord + 1)	/* +1: a CR that may end the line */
		return toolong(r, e);

	if (r->cap - r->len < BLOCK / 2 && r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, held);
		r->pos = 0;
		r->len = held;
	}
	if (r->cap - r->len < BLOCK / 2) {
		size_t cap = r->cap * 2;
		char *nb;

		/*
		 * Doubling past the limit would cost up to twice the limit
		 * to refuse a record: stop at the most a record may hold
		 * plus one read, which still leaves a read of BLOCK / 2 or
		 * more, since held is at most maxrecord + 1 here.
		 */
		if (cap > ceiling(r))
			cap = ceiling(r);
		if (cap <= r->cap ||
		    (nb = realloc(r->buf, cap)) == NULL)
			return err_set(e, r->line, 0, "out of memory");
		r->buf = nb;
		r->cap = cap;
	}

	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return err_sys(e, "cannot read");
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	return 1;
}

/* Make room in out for NEED bytes. */
static int
outroom(struct csv_reader *r, size_t need, struct err *e)
{
	size_t cap = r->outcap;
	char *nb;

	if (need <= cap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return err_set(e, r->line, 0, "out of memory");
		cap *= 2;
	}
	/* As in more: no doubling past the held input and a NUL. */
	if (cap > ceiling(r) + 1 && need <= ceiling(r) + 1)
		cap = ceiling(r) + 1;
	if ((nb = realloc(r->out, cap)) == NULL)
		return err_set(e, r->line, 0, "out of memory");
	r->out = nb;
	r->outcap = cap;
	return 0;
}

/* Start a new field at offset OFF of out. */
static int
addfield(struct csv_reader *r, size_t off, struct err *e)
{
	if (r->nfield == r->fcap) {
		size_t n = r->fcap * 2;
		char **f;
		size_t *l, *o;

		if (n > SIZE_MAX / sizeof *r->field)
			return err_set(e, r->line, 0, "out of memory");
		if ((f = realloc(r->field, n * sizeof *f)) == NULL)
			return err_set(e, r->line, 0, "out of memory");
		r->field = f;
		if ((l = realloc(r->flen, n * sizeof *l)) == NULL)
			return err_set(e, r->line, 0, "out of memory");
		r->flen = l;
		if ((o = realloc(r->foff, n * sizeof *o)) == NULL)
			return err_set(e, r->line, 0, "out of memory");
		r->foff = o;
		r->fcap = n;
	}
	r->foff[r->nfield++] = off;
	return 0;
}

/*
 * Make byte I (counted from pos) of the record available.  Returns 1, 0
 * when the input ends first, or -1.  The out buffer is kept as large as
 * the held input, so that unquoting never needs to check its room.
 */
static int
avail(struct csv_reader *r, size_t i, struct err *e)
{
	int rc;

	while (r->pos + i >= r->len) {
		if ((rc = more(r, e)) <= 0)
			return rc;
		if (outroom(r, r->len - r->pos + 1, e) == -1)
			return -1;
	}
	return 1;
}

/*
 * Skip blank lines (also a line holding only a CR) and, at the very start,
 * a UTF-8 byte-order mark.  Returns 1 when a record follows, 0 at the end
 * of the input, -1 on an error.
 */
static int
skipblank(struct csv_reader *r, struct err *e)
{
	int rc;

	while (!r->started) {
		if (r->len - r->pos >= 3 || r->eof) {
			if (r->len - r->pos >= 3 &&
			    memcmp(r->buf + r->pos, "\xef\xbb\xbf", 3) == 0)
				r->pos += 3;
			r->started = 1;
		} else if (more(r, e) == -1)
			return -1;
	}

	for (;;) {
		if (r->pos == r->len) {
			if ((rc = more(r, e)) <= 0)
				return rc;
			continue;
		}
		if (r->buf[r->pos] == '\n') {
			r->pos++;
			r->line++;
			continue;
		}
		if (r->buf[r->pos] != '\r')
			return 1;
		if (r->pos + 1 == r->len) {
			if ((rc = more(r, e)) == -1)
				return -1;
			if (rc == 0) {
				r->pos++;
				return 0;
			}
			continue;
		}
		if (r->buf[r->pos + 1] != '\n')
			return 1;
		r->pos += 2;
		r->line++;
	}
}

/*
 * A CR that does not end a line: RFC 4180 allows it only inside quotes.
 * Taking it as data would read a file with CR-only line ends (old Mac
 * style) as one long header line and report no rows at all.
 */
static int
lone_cr(struct err *e, long line, size_t col)
{
	return err_set(e, line, (long)col, "carriage return inside an "
	    "unquoted field (CR-only line ends? use LF or CRLF)");
}

/*
 * The general parser, for a record holding a quote: fields may be quoted
 * and span lines.  On success the fields are in out, *RAWLEN is the
 * record's length without its line end and *NEXT is where the following
 * record starts (both from pos), and *NLINE is the count of line breaks
 * consumed.
 */
static int
parse_quoted(struct csv_reader *r, size_t *rawlen, size_t *next,
    long *nline, struct err *e)
{
	const char *b;
	char *out;
	size_t i = 0, o = 0, lstart = 0, n, start;
	long line = r->line, qline;
	int c = 0, rc;

	if (outroom(r, r->len - r->pos + 1, e) == -1)
		return -1;
	r->nfield = 0;

#define REFRESH() do {						\
	b = r->buf + r->pos;					\
	n = r->len - r->pos;					\
	out = r->out;						\
} while (0)

	REFRESH();
	for (;;) {
		start = o;
		if (addfield(r, start, e) == -1)
			return -1;
		if ((rc = avail(r, i, e)) == -1)
			return -1;
		REFRESH();

		if (rc == 1 && b[i] == '"') {
			size_t qcol = i - lstart + 1;

			qline = line;
			i++;
			for (;;) {
				if (i == n) {
					if ((rc = avail(r, i, e)) == -1)
						return -1;
					if (rc == 0)
						return err_set(e, qline,
						    (long)qcol, "quoted field "
						    "not closed at the end of "
						    "the input");
					REFRESH();
				}
				c = b[i];
				if (c == '"') {
					if ((rc = avail(r, i + 1, e)) == -1)
						return -1;
					REFRESH();
					if (rc == 1 && b[i + 1] == '"') {
						out[o++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (c == '\0')
					return err_set(e, line,
					    (long)(i - lstart + 1),
					    "NUL byte in the input");
				if (c == '\n') {
					line++;
					lstart = i + 1;
				}
				out[o++] = (char)c;
				i++;
			}

			/* Only a comma or the line's end may follow. */
			if ((rc = avail(r, i, e)) == -1)
				return -1;
			REFRESH();
			if (rc == 1 && b[i] == '\r') {
				if ((rc = avail(r, i + 1, e)) == -1)
					return -1;
				REFRESH();
				if (rc == 0 || b[i + 1] == '\n')
					i++;
				else
					rc = 2;
			}
			if (rc == 2 || (rc == 1 && b[i] != ',' &&
			    b[i] != '\n'))
				return err_set(e, line,
				    (long)(i - lstart + 1), "text after a "
				    "closing quote (expected a comma or "
				    "the end of the line)");
		} else if (rc == 1) {
			for (;;) {
				if (i == n) {
					if ((rc = avail(r, i, e)) == -1)
						return -1;
					if (rc == 0)
						break;
					REFRESH();
				}
				c = b[i];
				if (c == ',' || c == '\n')
					break;
				if (c == '"')
					return err_set(e, line,
					    (long)(i - lstart + 1), "quote "
					    "inside an unquoted field (quote "
					    "the whole field and double the "
					    "quotes in it)");
				if (c == '\0')
					return err_set(e, line,
					    (long)(i - lstart + 1),
					    "NUL byte in the input");
				if (c == '\r') {
					if ((rc = avail(r, i + 1, e)) == -1)
						return -1;
					REFRESH();
					if (rc == 1 && b[i + 1] != '\n')
						return lone_cr(e, line,
						    i - lstart + 1);
				}
				out[o++] = (char)c;
				i++;
			}
			/* A CR ending the line is the line end's. */
			if ((rc == 0 || c == '\n') && o > start &&
			    out[o - 1] == '\r')
				o--;
		}

		r->flen[r->nfield - 1] = o - start;
		out[o++] = '\0';
		if (rc == 0 || i == n) {
			*next = i;
			break;
		}
		if (b[i] == '\n') {
			*next = i + 1;
			line++;
			break;
		}
		i++;			/* the comma */
	}
#undef REFRESH

	*rawlen = i;
	if (i > 0 && b[i - 1] == '\r')
		(*rawlen)--;
	*nline = line - r->line;
	return 0;
}

/* Bytes that plain_line leaves to the careful path, and the comma. */
static const unsigned char special[256] = {
	['\0'] = 1, ['\r'] = 1, ['"'] = 1, [','] = 2
};

/*
 * Where a machine word can be searched eight bytes at a time for the
 * special bytes: a little-endian one, whose first byte in memory is its
 * lowest, with a compiler that counts trailing zero bits.  Elsewhere
 * plain_line goes byte by byte, with the same result.
 */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORDWISE	1
#define FIRST_BYTE(m)	((size_t)__builtin_ctzll(m) / 8)
#else
#define WORDWISE	0
#define FIRST_BYTE(m)	((size_t)0)
#endif

#define ONES	UINT64_C(0x0101010101010101)
#define HIGHS	UINT64_C(0x8080808080808080)

/*
 * The zero bytes of V: the high bit of the first one is set, and no bit
 * below it; 0 when there is none.  (A byte above a zero one may be
 * flagged too, by the borrow, which is why only the first counts.)
 */
static inline uint64_t
zero_bytes(uint64_t v)
{
	return (v - ONES) & ~v & HIGHS;
}

/* The same for the bytes of W that plain_line must stop at. */
static inline uint64_t
special_bytes(uint64_t w)
{
	return zero_bytes(w) | zero_bytes(w ^ ONES * '\r') |
	    zero_bytes(w ^ ONES * '"') | zero_bytes(w ^ ONES * ',');
}

/*
 * The most common line of all: no quote, NUL or CR, so it is the whole
 * record, its fields split at its commas.  One pass copies it into out
 * and splits it, where a memchr per field and per check cost more than
 * the bytes of a short line; eight bytes at a time up to the next special
 * byte, where the machine allows (see WORDWISE), then byte by byte.
 * Returns 0 with the fields set, 1 when the line holds another special
 * byte (nothing is changed that the careful path needs), or -1 when out
 * of memory.
 */
static int
plain_line(struct csv_reader *r, const char *base, size_t len,
    struct err *e)
{
	size_t k = 0, start = 0;
	uint64_t w, m;
	unsigned char c;

	if (outroom(r, len + 1, e) == -1)
		return -1;
	r->nfield = 0;
	for (;;) {
		/* A whole word without a special byte is copied as it is. */
		while (WORDWISE && k + 8 <= len) {
			memcpy(&w, base + k, 8);
			memcpy(r->out + k, &w, 8);
			if ((m = special_bytes(w)) != 0) {
				k += FIRST_BYTE(m);
				break;
			}
			k += 8;
		}
		if (k >= len)
			break;
		c = (unsigned char)base[k];
		r->out[k] = (char)c;
		if (special[c] == 1)
			return 1;
		if (special[c] == 2) {
			if (addfield(r, start, e) == -1)
				return -1;
			r->flen[r->nfield - 1] = k - start;
			r->out[k] = '\0';
			start = k + 1;
		}
		k++;
	}
	if (addfield(r, start, e) == -1)
		return -1;
	r->flen[r->nfield - 1] = len - start;
	r->out[len] = '\0';
	return 0;
}

/*
 * The common case: find the line's end with memchr, and when the line
 * holds no quote it is the whole record, split at its commas.
 */
static int
parse(struct csv_reader *r, struct csv_record *rec, struct err *e)
{
	size_t done = 0, end, next = 0, rawlen, k;
	long nline = 0;
	char *base, *nl = NULL, *q;
	int rc;

	for (;;) {
		base = r->buf + r->pos;
		nl = memchr(base + done, '\n', r->len - r->pos - done);
		if (nl != NULL)
			break;
		done = r->len - r->pos;
		if ((rc = more(r, e)) == -1)
			return -1;
		if (rc == 0)
			break;
	}
	base = r->buf + r->pos;
	end = nl != NULL ? (size_t)(nl - base) : r->len - r->pos;
	rawlen = end;
	if (rawlen > 0 && base[rawlen - 1] == '\r')
		rawlen--;
	if (rawlen > r->maxrecord)
		return toolong(r, e);

	if ((rc = plain_line(r, base, rawlen, e)) == -1)
		return -1;
	if (rc == 0) {
		next = nl != NULL ? end + 1 : end;
		nline = nl != NULL;
	} else if (memchr(base, '"', rawlen) != NULL) {
		if (parse_quoted(r, &rawlen, &next, &nline, e) == -1)
			return -1;
		if (rawlen > r->maxrecord)
			return toolong(r, e);
	} else if ((q = memchr(base, '\0', rawlen)) != NULL) {
		return err_set(e, r->line, (long)(q - base + 1),
		    "NUL byte in the input");
	} else {
		/* plain_line stopped at something: a CR. */
		q = memchr(base, '\r', rawlen);
		return lone_cr(e, r->line, (size_t)(q - base + 1));
	}

	for (k = 0; k < r->nfield; k++)
		r->field[k] = r->out + r->foff[k];
	rec->field = r->field;
	rec->len = r->flen;
	rec->nfield = r->nfield;
	rec->raw = r->buf + r->pos;
	rec->rawlen = rawlen;
	rec->line = r->line;
	r->pos += next;
	r->line += nline;
	return 0;
}

int
csv_read(struct csv_reader *r, struct csv_record *rec, struct err *e)
{
	int rc;

	if (r->failed)
		goto fail;
	if ((rc = skipblank(r, &r->saved)) == -1) {
		r->failed = 1;
		goto fail;
	}
	if (rc == 0)
		return 0;
	if (parse(r, rec, &r->saved) == -1) {
		r->failed = 1;
		goto fail;
	}

	/* A ragged record is reported, but the next one can still be read. */
	if (r->nexpect == 0)
		r->nexpect = rec->nfield;
	else if (rec->nfield != r->nexpect)
		return err_set(e, rec->line, 0,
		    "expected %zu fields, found %zu", r->nexpect, rec->nfield);
	return 1;

fail:
	if (e != NULL)
		*e = r->saved;
	return -1;
}

int
csv_ready(const struct csv_reader *r)
{
	return r->eof || r->failed ||
	    memchr(r->buf + r->pos, '\n', r->len - r->pos) != NULL;
}

long
csv_find(const struct csv_record *hdr, const char *name)
{
	size_t i;

	for (i = 0; i < hdr->nfield; i++)
		if (strcmp(hdr->field[i], name) == 0)
			return (long)i;
	return -1;
}

int
csv_needs_quotes(const char *s, size_t len)
{
	size_t i;

	/*
	 * A reader drops a byte-order mark that opens its input, so a
	 * field that starts with one, written first, would lose it unquoted.
	 */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' ||
		    s[i] == '\r')
			return 1;
	return 0;
}

int
csv_put_field(FILE *fp, const char *s, size_t len)
{
	const char *q, *end = s + len;
	size_t n;

	if (!csv_needs_quotes(s, len))
		return len == 0 || fwrite(s, 1, len, fp) == len ? 0 : -1;

	if (putc('"', fp) == EOF)
		return -1;
	while ((q = memchr(s, '"', (size_t)(end - s))) != NULL) {
		/* Write through the quote, then once more to double it. */
		n = (size_t)(q - s) + 1;
		if (fwrite(s, 1, n, fp) != n || putc('"', fp) == EOF)
			return -1;
		s = q + 1;
	}
	n = (size_t)(end - s);
	if (n > 0 && fwrite(s, 1, n, fp) != n)
		return -1;
	return putc('"', fp) == EOF ? -1 : 0;
}

int
csv_numbers(const struct csv_record *rec, const size_t *col,
    char *const *name, size_t n, double *x, struct err *e)
{
	const char *why, *s;
	size_t i, len;
	int complete = 1;

	for (i = 0; i < n; i++) {
		s = rec->field[col[i]];
		len = rec->len[col[i]];
		if (len == 0) {
			complete = 0;
			continue;
		}
		if ((why = num_double(s, &x[i])) != NULL) {
			int shown = err_shown(s, len);

			return err_set(e, rec->line, 0,
			    "column \"%s\": %s: \"%.*s%s\"", name[i], why,
			    shown, s, (size_t)shown < len ? "..." : "");
		}
	}
	return complete;
}

int
csv_header(struct csv_reader *r, struct csv_record *rec, struct err *e)
{
	int got = csv_read(r, rec, e);

	if (got == 0)
		return err_set(e, 0, 0, "empty input: expected a header line"
		    " naming the columns");
	return got == 1 ? 0 : -1;
}

static int
cmp_name(const void *a, const void *b)
{
	const struct csv_name *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

int
csv_names_init(struct csv_names *ix, char *const *names, size_t n,
    struct err *e)
{
	size_t i;

	ix->n = n;
	if ((ix->by_name = calloc(n > 0 ? n : 1, sizeof *ix->by_name)) ==
	    NULL)
		return err_set(e, 0, 0, "out of memory");
	for (i = 0; i < n; i++) {
		ix->by_name[i].name = names[i];
		ix->by_name[i].i = i;
	}
	qsort(ix->by_name, n, sizeof *ix->by_name, cmp_name);
	return 0;
}

long
csv_names_find(const struct csv_names *ix, const char *name, size_t *count)
{
	size_t lo = 0, hi = ix->n, mid, end;

	/* The first entry not below NAME: the lowest position of NAME. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(ix->by_name[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < ix->n &&
	    strcmp(ix->by_name[end].name, name) == 0; end++)
		continue;
	if (count != NULL)
		*count = end - lo;
	return end > lo ? (long)ix->by_name[lo].i : -1;
}

size_t
csv_names_repeat(const struct csv_names *ix)
{
	size_t i, first = ix->n;

	for (i = 1; i < ix->n; i++)
		if (strcmp(ix->by_name[i - 1].name, ix->by_name[i].name) == 0 &&
		    ix->by_name[i].i < first)
			first = ix->by_name[i].i;
	return first;
}

void
csv_names_free(struct csv_names *ix)
{
	free(ix->by_name);
	ix->by_name = NULL;
	ix->n = 0;
}

int
csv_columns(const struct csv_record *hdr, char *const *names, size_t n,
    const char *why, size_t *col, struct err *e)
{
	struct csv_names ix;
	char buf[ERR_QUOTESZ];
	size_t i, count;
	long c;
	int rc = -1;

	if (csv_names_init(&ix, hdr->field, hdr->nfield, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		c = csv_names_find(&ix, names[i], &count);
		if (c < 0) {
			err_set(e, hdr->line, 0, "no column \"%s\" in the"
			    " header: %s", err_quote(buf, names[i],
			    strlen(names[i])), why);
			goto out;
		}
		if (count > 1) {
			err_set(e, hdr->line, 0, "column \"%s\" appears twice"
			    " in the header", err_quote(buf, names[i],
			    strlen(names[i])));
			goto out;
		}
		col[i] = (size_t)c;
	}
	rc = 0;
out:
	csv_names_free(&ix);
	return rc;
}
