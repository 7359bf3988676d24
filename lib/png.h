/*
 * png.h - writing PNG images (ISO/IEC 15948, RFC 2083).
 *
 * An image is a grid of palette indices, one byte per pixel, row by row
 * from the top, with a palette of at most 256 RGB colours.  Plots use a
 * handful of colours, so an indexed image is a third of the size of an
 * RGB one and compresses better.
 *
 * The encoder writes a complete file: the signature, IHDR, PLTE, IDAT
 * holding one zlib stream (RFC 1950) of deflate data (RFC 1951) with
 * real compression, and IEND.  Each row gets the PNG filter that makes
 * it smallest by the usual sum-of-absolute-differences rule.  The same
 * image always gives the same bytes: nothing depends on time, memory
 * addresses or the machine.
 *
 * Output goes to a callback, so the bytes can go to a file descriptor
 * or to a mail part in memory; png_encode collects them in memory.
 *
 * Returns: 0 (or a pointer) on success; -1 (or NULL) with *e filled in
 * on a bad image (no pixels, more than PNG_MAXSIDE on a side, an index
 * beyond the palette), on a failed write (the callback's errno in the
 * message) or when out of memory.
 */
#ifndef PNG_H
#define PNG_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PNG_MAXSIDE	16384	/* widest and tallest image written */

struct png_image {
	uint32_t	 width;
	uint32_t	 height;
	const uint8_t	*pixel;		/* width * height palette indices */
	const uint8_t	(*palette)[3];	/* ncolor RGB triples */
	unsigned	 ncolor;	/* 1 to 256 */
};

/*
 * Writes n bytes from buf; returns 0, or -1 with errno set.  ctx is the
 * caller's, passed through.
 */
typedef int png_write_fn(void *ctx, const void *buf, size_t n);

int	 png_write(const struct png_image *, png_write_fn *, void *ctx,
	    struct err *);

/* The whole file in memory: malloc'ed, its size in *len. */
unsigned char *png_encode(const struct png_image *, size_t *len,
	    struct err *);

/* Running checksums: start with crc 0 and adler 1. */
uint32_t png_crc32(uint32_t crc, const void *buf, size_t n);
uint32_t png_adler32(uint32_t adler, const void *buf, size_t n);

#endif
