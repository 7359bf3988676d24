/*
 * png.c - PNG files of indexed images: row filters, zlib, chunks.
 *
 * The image is packed to the fewest bits per pixel its palette allows,
 * each row is filtered, all rows are compressed as one zlib stream, and
 * the file is written chunk by chunk through the caller's callback.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"
#include "png.h"

#define SIGNATURE_LEN	8
#define CHUNK_TYPE_LEN	4
#define IHDR_LEN	13
#define IDAT_MAX	65536	/* largest IDAT chunk written */
#define MAX_COLOURS	256

/* IHDR fields (PNG 11.2.2). */
#define COLOUR_PALETTE	3
#define COMPRESSION_DEFLATE 0
#define FILTER_METHOD_0	0
#define INTERLACE_NONE	0

/* The row filter types (PNG 9.2). */
enum filter {
	FILTER_NONE,
	FILTER_SUB,
	FILTER_UP,
	FILTER_AVERAGE,
	FILTER_PAETH,
	NFILTER
};

/* The zlib header (RFC 1950 2.2): deflate with a 32 KiB window. */
#define ZLIB_CM_DEFLATE	8
#define ZLIB_CINFO_32K	7	/* log2 of the window, less 8 */
#define ZLIB_CINFO_SHIFT 4
#define ZLIB_FLEVEL_DEFAULT 2
#define ZLIB_FLEVEL_SHIFT 6
#define ZLIB_CHECK_MOD	31
#define ZLIB_HEADER_LEN	2
#define ZLIB_TRAILER_LEN 4

/*
 * CRC-32 of ISO 3309 as PNG and gzip use it, least significant bit
 * first, so the polynomial is written reflected.  The table holds the
 * CRC of each 4-bit value and is computed by the compiler; two lookups
 * a byte are plenty for the few kilobytes of a compressed plot.
 */
#define CRC_POLY	0xedb88320u
#define CRC_BIT(c)	(((c) >> 1) ^ (CRC_POLY & (0u - ((c) & 1u))))
#define CRC_NIBBLE(n)	CRC_BIT(CRC_BIT(CRC_BIT(CRC_BIT((uint32_t)(n)))))

static const uint32_t crc_nibble[16] = {
	CRC_NIBBLE(0), CRC_NIBBLE(1), CRC_NIBBLE(2), CRC_NIBBLE(3),
	CRC_NIBBLE(4), CRC_NIBBLE(5), CRC_NIBBLE(6), CRC_NIBBLE(7),
	CRC_NIBBLE(8), CRC_NIBBLE(9), CRC_NIBBLE(10), CRC_NIBBLE(11),
	CRC_NIBBLE(12), CRC_NIBBLE(13), CRC_NIBBLE(14), CRC_NIBBLE(15)
};

/*
 * Adler-32 (RFC 1950 8.2): sums modulo the largest prime below 2^16.
 * ADLER_NMAX bytes is the most that can be summed in 32 bits before
 * the modulo must be taken.
 */
#define ADLER_MOD	65521u
#define ADLER_NMAX	5552

/* Where the bytes go, and the first failure on the way. */
struct out {
	png_write_fn	*write;
	void		*ctx;
	int		 failed;
};

/* The image as the encoder sees it: packed rows of rowlen bytes. */
struct layout {
	unsigned	depth;		/* bits per pixel */
	size_t		rowlen;		/* bytes per packed row */
};

uint32_t
png_crc32(uint32_t crc, const void *buf, size_t n)
{
	const unsigned char *p = buf;

	crc = ~crc;
	while (n-- > 0) {
		crc ^= *p++;
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
		crc = (crc >> 4) ^ crc_nibble[crc & 0xf];
	}
	return ~crc;
}

uint32_t
png_adler32(uint32_t adler, const void *buf, size_t n)
{
	const unsigned char *p = buf;
	uint32_t a = adler & 0xffff, b = adler >> 16;
	size_t k;

	while (n > 0) {
		k = n < ADLER_NMAX ? n : ADLER_NMAX;
		n -= k;
		while (k-- > 0) {
			a += *p++;
			b += a;
		}
		a %= ADLER_MOD;
		b %= ADLER_MOD;
	}
	return b << 16 | a;
}

static void
put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

static void
emit(struct out *o, const void *buf, size_t n)
{
	if (!o->failed && n > 0 && o->write(o->ctx, buf, n) != 0)
		o->failed = 1;
}

/* A chunk: length, type, data, and the CRC of type and data. */
static void
chunk(struct out *o, const char *type, const unsigned char *data,
    size_t n)
{
	unsigned char word[4];
	uint32_t crc;

	put32(word, (uint32_t)n);
	emit(o, word, sizeof word);
	emit(o, type, CHUNK_TYPE_LEN);
	emit(o, data, n);
	crc = png_crc32(0, type, CHUNK_TYPE_LEN);
	crc = png_crc32(crc, data, n);
	put32(word, crc);
	emit(o, word, sizeof word);
}

static int
check_image(const struct png_image *im, struct err *e)
{
	size_t i, n;

	if (im->width == 0 || im->height == 0)
		return err_set(e, 0, 0, "image of %" PRIu32 "x%" PRIu32
		    " pixels: no pixels", im->width, im->height);
	if (im->width > PNG_MAXSIDE || im->height > PNG_MAXSIDE)
		return err_set(e, 0, 0, "image of %" PRIu32 "x%" PRIu32
		    " pixels: more than %d on a side", im->width, im->height,
		    PNG_MAXSIDE);
	if (im->ncolor < 1 || im->ncolor > MAX_COLOURS)
		return err_set(e, 0, 0, "palette of %u colours: want 1 to %d",
		    im->ncolor, MAX_COLOURS);
	if (im->pixel == NULL || im->palette == NULL)
		return err_set(e, 0, 0, "image without pixels or palette");
	n = (size_t)im->width * im->height;
	for (i = 0; i < n; i++)
		if (im->pixel[i] >= im->ncolor)
			return err_set(e, 0, 0, "pixel %" PRIu32 ",%" PRIu32
			    ": colour %u beyond the palette of %u",
			    (uint32_t)(i % im->width),
			    (uint32_t)(i / im->width), im->pixel[i],
			    im->ncolor);
	return 0;
}

/*
 * The fewest bits per pixel that hold every palette index.  Fewer bits
 * mean fewer bytes to filter and compress, and plots have few colours.
 */
static struct layout
layout_of(const struct png_image *im)
{
	struct layout l;

	l.depth = im->ncolor <= 2 ? 1 : im->ncolor <= 4 ? 2 :
	    im->ncolor <= 16 ? 4 : 8;
	l.rowlen = ((size_t)im->width * l.depth + 7) / 8;
	return l;
}

/* Packs a row of indices, the leftmost pixel in the high bits. */
static void
pack_row(const uint8_t *px, uint32_t width, unsigned depth,
    unsigned char *row, size_t rowlen)
{
	unsigned per = 8 / depth;
	uint32_t x;

	if (depth == 8) {
		memcpy(row, px, width);
		return;
	}
	memset(row, 0, rowlen);
	for (x = 0; x < width; x++)
		row[x / per] |= (unsigned char)(px[x] <<
		    (8 - depth * (x % per + 1)));
}

static unsigned
paeth(unsigned a, unsigned b, unsigned c)
{
	int p = (int)a + (int)b - (int)c;
	int pa = abs(p - (int)a), pb = abs(p - (int)b), pc = abs(p - (int)c);

	if (pa <= pb && pa <= pc)
		return a;
	return pb <= pc ? b : c;
}

/*
 * Filters cur (the row above is up) with one filter type into out.
 * Palette pixels are at most a byte, so "left" is the byte before.  The
 * switch is outside the loops, which matters for the speed.
 */
static void
filter_row(enum filter f, const unsigned char *cur, const unsigned char *up,
    size_t n, unsigned char *out)
{
	size_t i;

	switch (f) {
	case FILTER_SUB:
		out[0] = cur[0];
		for (i = 1; i < n; i++)
			out[i] = (unsigned char)(cur[i] - cur[i - 1]);
		break;
	case FILTER_UP:
		for (i = 0; i < n; i++)
			out[i] = (unsigned char)(cur[i] - up[i]);
		break;
	case FILTER_AVERAGE:
		out[0] = (unsigned char)(cur[0] - up[0] / 2);
		for (i = 1; i < n; i++)
			out[i] = (unsigned char)(cur[i] -
			    (cur[i - 1] + up[i]) / 2);
		break;
	case FILTER_PAETH:
		out[0] = (unsigned char)(cur[0] - up[0]);
		for (i = 1; i < n; i++)
			out[i] = (unsigned char)(cur[i] -
			    paeth(cur[i - 1], up[i], up[i - 1]));
		break;
	default:
		memcpy(out, cur, n);
		break;
	}
}

/*
 * The sum of the bytes read as signed numbers: the usual guess at which
 * filter leaves the least for the compressor (PNG 12.8).
 */
static unsigned long
signed_sum(const unsigned char *p, size_t n)
{
	unsigned long sum = 0;
	size_t i;

	/* (b ^ 128) - 128 reads b as two's complement, without a branch. */
	for (i = 0; i < n; i++)
		sum += (unsigned)abs((p[i] ^ 128) - 128);
	return sum;
}

/* Writes the filter type byte and the best filtered row at out. */
static void
best_filter(const unsigned char *cur, const unsigned char *up, size_t n,
    unsigned char *scratch, unsigned char *out)
{
	unsigned long sum, best = 0;
	int f;

	for (f = FILTER_NONE; f < NFILTER; f++) {
		filter_row((enum filter)f, cur, up, n, scratch);
		sum = signed_sum(scratch, n);
		if (f == FILTER_NONE || sum < best) {
			best = sum;
			out[0] = (unsigned char)f;
			memcpy(out + 1, scratch, n);
		}
	}
}

/* All rows packed and filtered, each behind its filter type byte. */
static unsigned char *
filter_image(const struct png_image *im, struct layout l, size_t *len,
    struct err *e)
{
	unsigned char *data, *cur, *up, *scratch, *t;
	uint32_t y;

	if (l.rowlen + 1 > SIZE_MAX / im->height) {
		err_set(e, 0, 0, "image of %" PRIu32 "x%" PRIu32
		    " pixels: too large for memory", im->width, im->height);
		return NULL;
	}
	*len = (l.rowlen + 1) * im->height;
	data = malloc(*len);
	cur = malloc(l.rowlen);
	up = calloc(l.rowlen, 1);
	scratch = malloc(l.rowlen);
	if (data == NULL || cur == NULL || up == NULL || scratch == NULL) {
		err_set(e, 0, 0, "out of memory filtering %zu bytes", *len);
		free(data);
		data = NULL;
		goto done;
	}
	for (y = 0; y < im->height; y++) {
		pack_row(im->pixel + (size_t)y * im->width, im->width, l.depth,
		    cur, l.rowlen);
		best_filter(cur, up, l.rowlen, scratch,
		    data + (size_t)y * (l.rowlen + 1));
		t = up;
		up = cur;
		cur = t;
	}
done:
	free(cur);
	free(up);
	free(scratch);
	return data;
}

/* The zlib stream of the filtered rows: header, deflate data, Adler-32. */
static unsigned char *
zlib_stream(const unsigned char *data, size_t n, size_t *len,
    struct err *e)
{
	unsigned char *z, *grown;
	size_t dlen;
	unsigned cmf, flg;

	if ((z = deflate_compress(data, n, DEFLATE_BEST, &dlen, e)) == NULL)
		return NULL;
	if ((grown = realloc(z, dlen + ZLIB_HEADER_LEN +
	    ZLIB_TRAILER_LEN)) == NULL) {
		free(z);
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	z = grown;
	memmove(z + ZLIB_HEADER_LEN, z, dlen);

	/* The check bits make the header, read big-endian, a multiple of 31. */
	cmf = ZLIB_CINFO_32K << ZLIB_CINFO_SHIFT | ZLIB_CM_DEFLATE;
	flg = ZLIB_FLEVEL_DEFAULT << ZLIB_FLEVEL_SHIFT;
	flg += (ZLIB_CHECK_MOD - (cmf << 8 | flg) % ZLIB_CHECK_MOD) %
	    ZLIB_CHECK_MOD;
	z[0] = (unsigned char)cmf;
	z[1] = (unsigned char)flg;
	put32(z + ZLIB_HEADER_LEN + dlen, png_adler32(1, data, n));
	*len = dlen + ZLIB_HEADER_LEN + ZLIB_TRAILER_LEN;
	return z;
}

static void
write_header(struct out *o, const struct png_image *im, struct layout l)
{
	static const unsigned char signature[SIGNATURE_LEN] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	const size_t rgb = sizeof im->palette[0];
	unsigned char ihdr[IHDR_LEN];
	unsigned char plte[MAX_COLOURS * sizeof im->palette[0]];
	unsigned i;

	emit(o, signature, sizeof signature);

	/* Width, height, then a byte each for the other fields. */
	put32(ihdr, im->width);
	put32(ihdr + 4, im->height);
	ihdr[8] = (unsigned char)l.depth;
	ihdr[9] = COLOUR_PALETTE;
	ihdr[10] = COMPRESSION_DEFLATE;
	ihdr[11] = FILTER_METHOD_0;
	ihdr[12] = INTERLACE_NONE;
	chunk(o, "IHDR", ihdr, sizeof ihdr);

	for (i = 0; i < im->ncolor; i++)
		memcpy(plte + rgb * i, im->palette[i], rgb);
	chunk(o, "PLTE", plte, rgb * im->ncolor);
}

int
png_write(const struct png_image *im, png_write_fn *write, void *ctx,
    struct err *e)
{
	struct out o = { write, ctx, 0 };
	struct layout l;
	unsigned char *data, *z;
	size_t n, zlen, off, piece;

	if (check_image(im, e) == -1)
		return -1;
	l = layout_of(im);
	if ((data = filter_image(im, l, &n, e)) == NULL)
		return -1;
	z = zlib_stream(data, n, &zlen, e);
	free(data);
	if (z == NULL)
		return -1;

	write_header(&o, im, l);
	for (off = 0; off < zlen; off += piece) {
		piece = zlen - off < IDAT_MAX ? zlen - off : IDAT_MAX;
		chunk(&o, "IDAT", z + off, piece);
	}
	chunk(&o, "IEND", NULL, 0);
	free(z);
	if (o.failed)
		return err_sys(e, "writing the image");
	return 0;
}

/* png_encode's sink: a buffer that grows. */
struct membuf {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
};

static int
mem_write(void *ctx, const void *buf, size_t n)
{
	struct membuf *m = ctx;
	unsigned char *p;
	size_t cap;

	if (m->cap - m->len < n) {
		cap = m->cap > 0 ? m->cap : 4096;
		while (cap - m->len < n) {
			if (cap > SIZE_MAX / 2) {
				errno = ENOMEM;
				return -1;
			}
			cap *= 2;
		}
		if ((p = realloc(m->buf, cap)) == NULL) {
			errno = ENOMEM;
			return -1;
		}
		m->buf = p;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buf, n);
	m->len += n;
	return 0;
}

unsigned char *
png_encode(const struct png_image *im, size_t *len, struct err *e)
{
	struct membuf m = { NULL, 0, 0 };

	if (png_write(im, mem_write, &m, e) == -1) {
		free(m.buf);
		return NULL;
	}
	*len = m.len;
	return m.buf;
}
