/*
 * test_png.c - the PNG encoder and the deflate compressor.
 *
 * The checksums are held against published check values and against
 * bit-at-a-time versions written here from the definitions.  The file
 * structure is taken apart chunk by chunk.  Decoding the pixels is left
 * to tests/t-png.sh, which has independent decoders at hand; here the
 * stored and fixed deflate blocks, simple enough to work out by hand,
 * are checked byte for byte.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"
#include "png.h"
#include "rng.h"
#include "unit.h"

#define SIGNATURE_LEN	8
#define STORED_MAX	65535

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* CRC-32 bit by bit, straight from the polynomial. */
static uint32_t
slow_crc32(const unsigned char *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return ~crc;
}

/* Adler-32 with the modulo taken at every byte. */
static uint32_t
slow_adler32(const unsigned char *p, size_t n)
{
	uint32_t a = 1, b = 0;

	while (n-- > 0) {
		a = (a + *p++) % 65521;
		b = (b + a) % 65521;
	}
	return b << 16 | a;
}

static void
test_checksums(void)
{
	static const char digits[] = "123456789";
	static const char fox[] =
	    "The quick brown fox jumps over the lazy dog";
	unsigned char *big;
	size_t i, n = 1000000;
	struct rng r;

	CHECK(png_crc32(0, digits, 9) == 0xcbf43926u);
	CHECK(png_crc32(0, fox, strlen(fox)) == 0x414fa339u);
	CHECK(png_crc32(0, "", 0) == 0);
	CHECK(png_crc32(png_crc32(0, digits, 4), digits + 4, 5) ==
	    0xcbf43926u);
	CHECK(png_crc32(0, "IEND", 4) == 0xae426082u);

	CHECK(png_adler32(1, digits, 9) == 0x091e01deu);
	CHECK(png_adler32(1, "Wikipedia", 9) == 0x11e60398u);
	CHECK(png_adler32(1, "", 0) == 1);
	CHECK(png_adler32(png_adler32(1, digits, 2), digits + 2, 7) ==
	    0x091e01deu);

	/* All 0xff is the largest sum: the deferred modulo must hold. */
	if ((big = malloc(n)) == NULL) {
		CHECK(!"out of memory");
		return;
	}
	memset(big, 0xff, n);
	CHECK(png_adler32(1, big, n) == slow_adler32(big, n));
	CHECK(png_crc32(0, big, n) == slow_crc32(big, n));
	rng_seed(&r, 1);
	for (i = 0; i < n; i++)
		big[i] = (unsigned char)rng_below(&r, 256);
	CHECK(png_adler32(1, big, n) == slow_adler32(big, n));
	CHECK(png_crc32(0, big, n) == slow_crc32(big, n));
	CHECK(png_adler32(png_adler32(1, big, 7000), big + 7000, n - 7000) ==
	    slow_adler32(big, n));
	free(big);
}

/* A stored stream: each block's header byte, LEN, NLEN, then the bytes. */
static void
test_stored(size_t n)
{
	unsigned char *in, *z;
	size_t zlen, at = 0, left = n, piece, i;
	struct err e;
	int ok = 1;

	if ((in = malloc(n + 1)) == NULL) {
		CHECK(!"out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		in[i] = (unsigned char)(i * 7 + i / 251);
	z = deflate_compress(in, n, DEFLATE_STORED, &zlen, &e);
	CHECK(z != NULL);
	if (z == NULL) {
		free(in);
		return;
	}
	do {
		piece = left < STORED_MAX ? left : STORED_MAX;
		if (at + 5 + piece > zlen) {
			ok = 0;
			break;
		}
		/* BFINAL on the last block only; BTYPE 00; padding zero. */
		ok &= z[at] == (piece == left ? 1 : 0);
		ok &= (z[at + 1] | z[at + 2] << 8) == (int)piece;
		ok &= (z[at + 3] | z[at + 4] << 8) == (int)(piece ^ 0xffff);
		ok &= memcmp(z + at + 5, in + (n - left), piece) == 0;
		at += 5 + piece;
		left -= piece;
	} while (left > 0);
	CHECK(ok);
	CHECK(at == zlen);
	free(z);
	free(in);
}

static void
test_fixed(void)
{
	/*
	 * Worked out from RFC 1951 3.2.6: "a" is 10010001, end is 0000000;
	 * "aaaa" is "a", then length 3 (0000001) at distance 1 (00000).
	 */
	static const unsigned char one_a[] = { 0x4b, 0x04, 0x00 };
	static const unsigned char four_a[] = { 0x4b, 0x04, 0x02, 0x00 };
	static const unsigned char empty[] = { 0x03, 0x00 };
	unsigned char *z;
	size_t zlen;
	struct err e;

	z = deflate_compress("a", 1, DEFLATE_FIXED, &zlen, &e);
	CHECK(z != NULL && zlen == sizeof one_a &&
	    memcmp(z, one_a, zlen) == 0);
	free(z);
	z = deflate_compress("a", 1, DEFLATE_BEST, &zlen, &e);
	CHECK(z != NULL && zlen == sizeof one_a &&
	    memcmp(z, one_a, zlen) == 0);
	free(z);
	z = deflate_compress("aaaa", 4, DEFLATE_FIXED, &zlen, &e);
	CHECK(z != NULL && zlen == sizeof four_a &&
	    memcmp(z, four_a, zlen) == 0);
	free(z);
	z = deflate_compress(NULL, 0, DEFLATE_FIXED, &zlen, &e);
	CHECK(z != NULL && zlen == sizeof empty &&
	    memcmp(z, empty, zlen) == 0);
	free(z);
}

/* Incompressible input costs at most the stored blocks' headers. */
static void
test_random(void)
{
	size_t i, n = 200000, zlen, again;
	unsigned char *in, *z, *z2;
	struct err e;
	struct rng r;

	if ((in = malloc(n)) == NULL) {
		CHECK(!"out of memory");
		return;
	}
	rng_seed(&r, 42);
	for (i = 0; i < n; i++)
		in[i] = (unsigned char)rng_below(&r, 256);
	z = deflate_compress(in, n, DEFLATE_BEST, &zlen, &e);
	CHECK(z != NULL && zlen <= n + 5 * (n / 1000 + 1));
	z2 = deflate_compress(in, n, DEFLATE_BEST, &again, &e);
	CHECK(z != NULL && z2 != NULL && zlen == again &&
	    memcmp(z, z2, zlen) == 0);
	free(z);
	free(z2);

	/* A repeated pattern shrinks to next to nothing. */
	for (i = 0; i < n; i++)
		in[i] = (unsigned char)"plot"[i % 4];
	z = deflate_compress(in, n, DEFLATE_BEST, &zlen, &e);
	CHECK(z != NULL && zlen < n / 100);
	free(z);
	free(in);
}

static const uint8_t palette[256][3] = {
	{ 255, 255, 255 }, { 0, 0, 0 }, { 200, 30, 40 }, { 30, 90, 200 }
};

static void
image(struct png_image *im, uint8_t *px, uint32_t w, uint32_t h,
    unsigned ncolor)
{
	size_t i;

	for (i = 0; i < (size_t)w * h; i++)
		px[i] = (uint8_t)((i * 5 + i / w) % ncolor);
	im->width = w;
	im->height = h;
	im->pixel = px;
	im->palette = palette;
	im->ncolor = ncolor;
}

/*
 * Walks the chunks: each CRC right, IHDR first with the expected depth,
 * PLTE of ncolor entries, IDAT holding a zlib stream, IEND last.
 */
static void
check_file(const unsigned char *p, size_t len, const struct png_image *im,
    unsigned depth)
{
	static const unsigned char sig[SIGNATURE_LEN] = {
		0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
	};
	size_t at = SIGNATURE_LEN, n, nchunk = 0, idat = 0;
	int crc_ok = 1, iend = 0;

	CHECK(len > SIGNATURE_LEN && memcmp(p, sig, SIGNATURE_LEN) == 0);
	while (at + 12 <= len && !iend) {
		const unsigned char *type = p + at + 4, *data = p + at + 8;

		n = get32(p + at);
		if (at + 12 + n > len)
			break;
		crc_ok &= get32(data + n) ==
		    png_crc32(png_crc32(0, type, 4), data, n);
		if (nchunk == 0) {
			CHECK(memcmp(type, "IHDR", 4) == 0 && n == 13);
			CHECK(get32(data) == im->width);
			CHECK(get32(data + 4) == im->height);
			CHECK(data[8] == depth && data[9] == 3);
			CHECK(data[10] == 0 && data[11] == 0 && data[12] == 0);
		} else if (nchunk == 1) {
			CHECK(memcmp(type, "PLTE", 4) == 0);
			CHECK(n == 3 * (size_t)im->ncolor);
			CHECK(memcmp(data, im->palette, n) == 0);
		} else if (memcmp(type, "IDAT", 4) == 0) {
			/* The zlib header: deflate, 32 KiB, check bits. */
			if (idat == 0)
				CHECK(n >= 2 && data[0] == 0x78 &&
				    (data[0] << 8 | data[1]) % 31 == 0);
			idat += n;
		} else
			iend = memcmp(type, "IEND", 4) == 0 && n == 0;
		at += 12 + n;
		nchunk++;
	}
	CHECK(crc_ok);
	CHECK(idat > 6);
	CHECK(iend && at == len);
}

static void
test_file(void)
{
	static const struct {
		uint32_t w, h;
		unsigned ncolor, depth;
	} cases[] = {
		{ 1, 1, 1, 1 }, { 9, 3, 2, 1 }, { 7, 5, 3, 2 },
		{ 13, 2, 16, 4 }, { 5, 4, 17, 8 }, { 300, 200, 256, 8 },
		{ PNG_MAXSIDE, 1, 4, 2 }
	};
	unsigned char *p, *q;
	uint8_t *px;
	size_t i, len, len2;
	struct png_image im;
	struct err e;

	if ((px = malloc(300 * 200 + PNG_MAXSIDE)) == NULL) {
		CHECK(!"out of memory");
		return;
	}
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		image(&im, px, cases[i].w, cases[i].h, cases[i].ncolor);
		p = png_encode(&im, &len, &e);
		CHECK(p != NULL);
		if (p == NULL)
			continue;
		check_file(p, len, &im, cases[i].depth);

		/* The same image gives the same bytes. */
		q = png_encode(&im, &len2, &e);
		CHECK(q != NULL && len2 == len && memcmp(p, q, len) == 0);
		free(p);
		free(q);
	}
	free(px);
}

/* The zlib trailer of a 1x1 image: Adler-32 of filter 0 and pixel 0. */
static void
test_adler_trailer(void)
{
	static const uint8_t px[1] = { 0 };
	static const unsigned char raw[2] = { 0, 0 };
	struct png_image im = { 1, 1, px, palette, 1 };
	unsigned char *p;
	size_t len, iend;
	struct err e;

	p = png_encode(&im, &len, &e);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	/* IEND is the last 12 bytes; the IDAT's CRC the 4 before them. */
	iend = len - 12;
	CHECK(get32(p + iend - 8) == png_adler32(1, raw, sizeof raw));
	free(p);
}

static void
test_bad_images(void)
{
	static uint8_t px[16] = { 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 9 };
	struct png_image im = { 4, 3, px, palette, 4 };
	struct png_image bad;
	unsigned char *p;
	size_t len = 12345;
	struct err e;

	bad = im;
	bad.width = 0;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	CHECK(strstr(e.msg, "no pixels") != NULL);
	bad = im;
	bad.height = 0;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	bad = im;
	bad.width = PNG_MAXSIDE + 1;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	CHECK(strstr(e.msg, "on a side") != NULL);
	bad = im;
	bad.height = PNG_MAXSIDE + 1;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	bad = im;
	bad.ncolor = 0;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	bad.ncolor = 257;
	CHECK(png_encode(&bad, &len, &e) == NULL);
	CHECK(strstr(e.msg, "257") != NULL);

	/* Pixel 3,2 is colour 9 of 4. */
	CHECK(png_encode(&im, &len, &e) == NULL);
	CHECK_STR(e.msg, "pixel 3,2: colour 9 beyond the palette of 4");
	CHECK(len == 12345);
	px[11] = 4;
	CHECK(png_encode(&im, &len, &e) == NULL);
	px[11] = 3;
	p = png_encode(&im, &len, &e);
	CHECK(p != NULL);
	free(p);
}

/* A sink that takes `room` bytes, then fails as a full disk does. */
struct sink {
	size_t	room;
	size_t	got;
	int	calls_after;
};

static int
full_disk(void *ctx, const void *buf, size_t n)
{
	struct sink *s = ctx;

	(void)buf;
	if (s->got + n > s->room) {
		if (s->got > s->room)
			s->calls_after++;
		s->got = s->room + 1;
		errno = ENOSPC;
		return -1;
	}
	s->got += n;
	return 0;
}

static void
test_write_failure(void)
{
	static const uint8_t px[6] = { 0, 1, 2, 3, 2, 1 };
	struct png_image im = { 3, 2, px, palette, 4 };
	struct sink s;
	struct err e;
	size_t room;

	for (room = 0; room < 80; room += 7) {
		s.room = room;
		s.got = 0;
		s.calls_after = 0;
		CHECK(png_write(&im, full_disk, &s, &e) == -1);
		CHECK(strstr(e.msg, strerror(ENOSPC)) != NULL);
		CHECK(strncmp(e.msg, "writing the image: ", 19) == 0);
		/* Nothing more is written after the first failure. */
		CHECK(s.calls_after == 0);
	}
	s.room = SIZE_MAX - 1;
	s.got = 0;
	CHECK(png_write(&im, full_disk, &s, &e) == 0);
}

int
main(void)
{
	test_checksums();
	test_stored(0);
	test_stored(1);
	test_stored(STORED_MAX);
	test_stored(STORED_MAX + 1);
	test_stored(3 * STORED_MAX + 17);
	test_fixed();
	test_random();
	test_file();
	test_adler_trailer();
	test_bad_images();
	test_write_failure();
	return unit_done();
}
