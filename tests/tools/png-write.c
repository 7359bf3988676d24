/*
 * png-write - draws a test image from a seed and writes it with the PNG
 * encoder, or the same image as a plain PPM for comparison; or wraps the
 * raw deflate stream of standard input in gzip, so that gzip(1) can
 * check the compressor on its own.
 *
 * usage: png-write [-p] pattern width height ncolor seed
 *        png-write -z best|stored|fixed|dynamic
 *        png-write -r kind size seed
 *
 * Patterns: noise (every pixel a random colour), flat (one colour), ramp
 * (colours in turn, pixel by pixel), plot (a chart: grid, axes, a random
 * walk, markers and glyph-like specks of text), bands (bands of noise
 * between flat bands, so that stored and compressed deflate blocks
 * follow each other).  The palette is random
 * but never grey, so that every decoder gives back colour, not grey.
 *
 * With -r, size bytes of test input for -z: random (incompressible),
 * two (two byte values at random: long hash chains, short matches),
 * runs (runs of random lengths: long matches at distance one), text
 * (numbered lines: matches at many distances) or skewed (counts of a
 * Fibonacci series per 16 KiB among random bytes: a Huffman tree deeper
 * than the code lengths may be, so the limit on them is exercised),
 * deep (no three bytes twice, so literals only, in counts for which
 * the best literal code is deeper than the 15 bits allowed; 15993
 * bytes at most, one block) or far (random, but for a copy at the
 * greatest distance deflate allows and one a byte beyond it; at least
 * 45000 bytes).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "deflate.h"
#include "diag.h"
#include "num.h"
#include "png.h"
#include "rng.h"

static const char usage_text[] =
    "usage: png-write [-p] pattern width height ncolor seed\n"
    "       png-write -z best|stored|fixed|dynamic\n"
    "       png-write -r kind size seed\n";

/* The gzip member around a raw deflate stream (RFC 1952). */
#define GZIP_ID1	0x1f
#define GZIP_ID2	0x8b
#define GZIP_CM_DEFLATE	8
#define GZIP_OS_UNKNOWN	255
#define GZIP_HEADER_LEN	10

/* The chart's colours, taken modulo the palette size. */
enum { BACKGROUND, GRID, AXIS, LINE, MARKER, TEXT };

#define GRID_STEP	60
#define MARGIN		40
#define GLYPH_W		5
#define GLYPH_H		7
#define MARKER_SIDE	5
#define BAND_ROWS	150

/* The skewed input: per segment, Fibonacci counts of the first bytes. */
#define SKEW_SEGMENT	16384
#define SKEW_NFIB	17
#define LONGEST_RUN	600

/*
 * The deep input: DEEP_NFIB byte values counted 1, 2, 3, 5, ... (the end
 * of block adds the other 1 of the Fibonacci series) and DEEP_NOTHER
 * more sharing the rest of DEEP_BLOCK bytes.
 */
#define DEEP_NFIB	13
#define DEEP_NOTHER	32
#define DEEP_NSYM	(DEEP_NFIB + DEEP_NOTHER)
#define DEEP_BLOCK	16000
#define DEEP_NONE	DEEP_NSYM	/* no byte yet, before the first */

/* The far input: copies of FAR_COPY bytes at and beyond the window. */
#define FAR_WINDOW	32768
#define FAR_COPY	300
#define FAR_SECOND	40000

struct canvas {
	uint32_t	 w, h;
	unsigned	 ncolor;
	uint8_t		*px;
};

static void
set(struct canvas *c, long x, long y, unsigned colour)
{
	if (x >= 0 && y >= 0 && x < (long)c->w && y < (long)c->h)
		c->px[(size_t)y * c->w + (size_t)x] =
		    (uint8_t)(colour % c->ncolor);
}

static void
vline(struct canvas *c, long x, long y0, long y1, unsigned colour)
{
	long y;

	if (y0 > y1) {
		y = y0;
		y0 = y1;
		y1 = y;
	}
	for (y = y0; y <= y1; y++)
		set(c, x, y, colour);
}

static void
hline(struct canvas *c, long x0, long x1, long y, unsigned colour)
{
	long x;

	for (x = x0; x <= x1; x++)
		set(c, x, y, colour);
}

/* A glyph-like speck: random pixels in a character cell. */
static void
glyph(struct canvas *c, struct rng *r, long x0, long y0)
{
	long x, y;

	for (y = 0; y < GLYPH_H; y++)
		for (x = 0; x < GLYPH_W; x++)
			if (rng_below(r, 2))
				set(c, x0 + x, y0 + y, TEXT);
}

static void
draw_plot(struct canvas *c, struct rng *r)
{
	long x, y, prev, base = (long)c->h - MARGIN;
	int k;

	for (x = MARGIN; x < (long)c->w; x += GRID_STEP)
		vline(c, x, 0, base, GRID);
	for (y = base; y >= 0; y -= GRID_STEP) {
		hline(c, MARGIN, (long)c->w - 1, y, GRID);
		for (k = 0; k < 4; k++)
			glyph(c, r, k * (GLYPH_W + 1), y - GLYPH_H / 2);
	}
	vline(c, MARGIN, 0, base, AXIS);
	hline(c, MARGIN, (long)c->w - 1, base, AXIS);

	prev = (long)c->h / 2;
	for (x = MARGIN + 1; x < (long)c->w; x++) {
		y = prev + (long)rng_below(r, 7) - 3;
		y = y < 0 ? 0 : y >= base ? base - 1 : y;
		vline(c, x, prev, y, LINE);
		if (rng_below(r, 97) == 0)
			for (k = 0; k < MARKER_SIDE; k++)
				hline(c, x - MARKER_SIDE / 2,
				    x + MARKER_SIDE / 2, y - 2 + k, MARKER);
		prev = y;
	}
}

static int
draw(struct canvas *c, const char *pattern, struct rng *r)
{
	size_t i, n = (size_t)c->w * c->h;

	if (strcmp(pattern, "noise") == 0)
		for (i = 0; i < n; i++)
			c->px[i] = (uint8_t)rng_below(r, c->ncolor);
	else if (strcmp(pattern, "flat") == 0)
		memset(c->px, (int)(c->ncolor - 1), n);
	else if (strcmp(pattern, "ramp") == 0)
		for (i = 0; i < n; i++)
			c->px[i] = (uint8_t)(i % c->ncolor);
	else if (strcmp(pattern, "bands") == 0)
		for (i = 0; i < n; i++)
			c->px[i] = (uint8_t)(i / c->w / BAND_ROWS % 2 == 0 ?
			    rng_below(r, c->ncolor) : 0);
	else if (strcmp(pattern, "plot") == 0) {
		memset(c->px, BACKGROUND, n);
		draw_plot(c, r);
	} else
		return -1;
	return 0;
}

/* Random colours, none grey: a grey palette may decode as PGM. */
static void
make_palette(uint8_t (*pal)[3], unsigned ncolor, struct rng *r)
{
	unsigned i, k;

	for (i = 0; i < ncolor; i++) {
		for (k = 0; k < 3; k++)
			pal[i][k] = (uint8_t)rng_below(r, 256);
		if (pal[i][0] == pal[i][1])
			pal[i][0] ^= 1;
	}
}

static int
write_stdout(void *ctx, const void *buf, size_t n)
{
	(void)ctx;
	return fwrite(buf, 1, n, stdout) == n ? 0 : -1;
}

static void
print_ppm(const struct canvas *c, const uint8_t (*pal)[3])
{
	size_t i, n = (size_t)c->w * c->h;

	printf("P3\n%lu %lu\n255\n", (unsigned long)c->w,
	    (unsigned long)c->h);
	for (i = 0; i < n; i++) {
		const uint8_t *rgb = pal[c->px[i]];

		printf("%u %u %u\n", rgb[0], rgb[1], rgb[2]);
	}
}

static int
parse(const char *s, long min, long max, const char *what, long *v)
{
	const char *why;

	if ((why = num_long(s, min, max, v)) != NULL) {
		diag_warn("%s %s: %s", what, s, why);
		return -1;
	}
	return 0;
}

static int
image(int argc, char *argv[], int ppm)
{
	static uint8_t pal[256][3];
	struct canvas c;
	struct png_image im;
	struct err e;
	struct rng r;
	long w, h, nc, seed;

	if (argc != 5)
		return diag_usage(usage_text);
	/* Out-of-range sizes are passed on: refusing them is the test. */
	if (parse(argv[1], 0, 100000, "width", &w) == -1 ||
	    parse(argv[2], 0, 100000, "height", &h) == -1 ||
	    parse(argv[3], 1, 256, "colours", &nc) == -1 ||
	    parse(argv[4], 0, 1000000, "seed", &seed) == -1)
		return EXIT_USAGE;
	c.w = (uint32_t)w;
	c.h = (uint32_t)h;
	c.ncolor = (unsigned)nc;
	if ((c.px = malloc((size_t)w * (size_t)h + 1)) == NULL) {
		diag_warn("out of memory");
		return EXIT_FAIL;
	}
	rng_seed(&r, (uint64_t)seed);
	make_palette(pal, c.ncolor, &r);
	if (draw(&c, argv[0], &r) == -1) {
		diag_warn("%s: unknown pattern", argv[0]);
		free(c.px);
		return EXIT_USAGE;
	}
	if (ppm) {
		print_ppm(&c, (const uint8_t (*)[3])pal);
		free(c.px);
		return diag_close_stdout();
	}
	im.width = c.w;
	im.height = c.h;
	im.pixel = c.px;
	im.palette = (const uint8_t (*)[3])pal;
	im.ncolor = c.ncolor;
	if (png_write(&im, write_stdout, NULL, &e) == -1) {
		diag_err(NULL, &e);
		free(c.px);
		return EXIT_FAIL;
	}
	free(c.px);
	return diag_close_stdout();
}

static void
shuffle(unsigned char *p, size_t n, struct rng *r)
{
	unsigned char t;
	size_t i, j;

	for (i = n; i > 1; i--) {
		j = (size_t)rng_below(r, i);
		t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
}

static void
skewed(unsigned char *p, size_t n, struct rng *r)
{
	size_t seg, i, k, len;
	unsigned long f0, f1, t;

	for (seg = 0; seg < n; seg += SKEW_SEGMENT) {
		len = n - seg < SKEW_SEGMENT ? n - seg : SKEW_SEGMENT;
		i = 0;
		f0 = 1;
		f1 = 1;
		for (k = 0; k < SKEW_NFIB; k++) {
			for (t = 0; t < f0 && i < len; t++)
				p[seg + i++] = (unsigned char)k;
			t = f0 + f1;
			f0 = f1;
			f1 = t;
		}
		for (; i < len; i++)
			p[seg + i] = (unsigned char)(SKEW_NFIB +
			    rng_below(r, 256 - SKEW_NFIB));
		shuffle(p + seg, len, r);
	}
}

/*
 * A byte, drawn by weight w, that makes a new three-byte string after
 * a and b; -1 when there is none.
 */
static int
pick(const unsigned char *used, unsigned a, unsigned b,
    const unsigned long *w, struct rng *r)
{
	unsigned long total = 0, x;
	unsigned s;

	for (s = 0; s < DEEP_NSYM; s++)
		if (!used[(a * (DEEP_NSYM + 1) + b) * DEEP_NSYM + s])
			total += w[s];
	if (total == 0)
		return -1;
	x = (unsigned long)rng_below(r, total);
	for (s = 0; s < DEEP_NSYM; s++)
		if (!used[(a * (DEEP_NSYM + 1) + b) * DEEP_NSYM + s]) {
			if (x < w[s])
				break;
			x -= w[s];
		}
	return (int)s;
}

/*
 * Draws bytes by their remaining counts, never repeating a three-byte
 * string.  Returns the bytes made: fewer than n when the counts run dry
 * (at 15993 bytes) or no new string is left.
 */
static size_t
deep(unsigned char *p, size_t n, struct rng *r)
{
	unsigned long left[DEEP_NSYM], f0 = 1, f1 = 2, t;
	unsigned char *used;
	unsigned a = DEEP_NONE, b = DEEP_NONE, k;
	size_t i;
	int s;

	if ((used = calloc((DEEP_NSYM + 1) * (DEEP_NSYM + 1),
	    DEEP_NSYM)) == NULL) {
		diag_warn("out of memory");
		exit(EXIT_FAIL);
	}
	for (k = 0; k < DEEP_NFIB; k++) {
		left[k] = f0;
		t = f0 + f1;
		f0 = f1;
		f1 = t;
	}
	t = 0;
	for (k = 0; k < DEEP_NFIB; k++)
		t += left[k];
	for (k = 0; k < DEEP_NOTHER; k++)
		left[DEEP_NFIB + k] = (DEEP_BLOCK - t) / DEEP_NOTHER;

	for (i = 0; i < n; i++) {
		if ((s = pick(used, a, b, left, r)) == -1)
			break;
		left[s]--;
		used[(a * (DEEP_NSYM + 1) + b) * DEEP_NSYM + (unsigned)s] = 1;
		p[i] = (unsigned char)s;
		a = b;
		b = (unsigned)s;
	}
	free(used);
	return i;
}

static int
fill(unsigned char *p, size_t *size, const char *kind, struct rng *r)
{
	size_t n = *size, i = 0, run;
	int len;

	if (strcmp(kind, "deep") == 0)
		*size = deep(p, n, r);
	else if (strcmp(kind, "random") == 0 || strcmp(kind, "two") == 0) {
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)rng_below(r, 256);
		if (strcmp(kind, "two") == 0)
			for (i = 0; i < n; i++)
				p[i] = p[i] & 1 ? 'b' : 'a';
	} else if (strcmp(kind, "runs") == 0) {
		while (i < n) {
			run = 1 + (size_t)rng_below(r, LONGEST_RUN);
			memset(p + i, (int)rng_below(r, 256),
			    run < n - i ? run : n - i);
			i += run < n - i ? run : n - i;
		}
	} else if (strcmp(kind, "text") == 0) {
		while (i < n) {
			len = snprintf((char *)p + i, n - i + 1,
			    "row %zu value %u\n", i,
			    (unsigned)rng_below(r, 1000));
			i += (size_t)len < n - i ? (size_t)len : n - i;
		}
	} else if (strcmp(kind, "skewed") == 0)
		skewed(p, n, r);
	else if (strcmp(kind, "far") == 0 && n >= FAR_SECOND + FAR_COPY) {
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)rng_below(r, 256);
		memcpy(p + FAR_WINDOW, p, FAR_COPY);
		memcpy(p + FAR_SECOND, p + FAR_SECOND - FAR_WINDOW - 1,
		    FAR_COPY);
	} else
		return -1;
	return 0;
}

static int
raw(int argc, char *argv[])
{
	unsigned char *p;
	struct rng r;
	long n, seed;
	size_t size;

	if (argc != 3)
		return diag_usage(usage_text);
	if (parse(argv[1], 0, 100000000, "size", &n) == -1 ||
	    parse(argv[2], 0, 1000000, "seed", &seed) == -1)
		return EXIT_USAGE;
	/* One spare byte for the NUL that snprintf writes. */
	if ((p = malloc((size_t)n + 1)) == NULL) {
		diag_warn("out of memory");
		return EXIT_FAIL;
	}
	rng_seed(&r, (uint64_t)seed);
	size = (size_t)n;
	if (fill(p, &size, argv[0], &r) == -1) {
		diag_warn("%s: unknown kind", argv[0]);
		free(p);
		return EXIT_USAGE;
	}
	fwrite(p, 1, size, stdout);
	free(p);
	return diag_close_stdout();
}

static void
put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static int
gzip(const char *mode)
{
	static const char *const modes[] = {
		"best", "stored", "fixed", "dynamic"
	};
	unsigned char head[GZIP_HEADER_LEN] = {
		GZIP_ID1, GZIP_ID2, GZIP_CM_DEFLATE, 0, 0, 0, 0, 0, 0,
		GZIP_OS_UNKNOWN
	};
	unsigned char tail[8], *in = NULL, *z, *p;
	size_t n = 0, cap = 0, got, zlen;
	struct err e;
	int m;

	for (m = 0; m < 4 && strcmp(mode, modes[m]) != 0; m++)
		continue;
	if (m == 4)
		return diag_usage(usage_text);
	do {
		if (cap - n < BUFSIZ) {
			cap = cap ? 2 * cap : BUFSIZ;
			if ((p = realloc(in, cap)) == NULL) {
				diag_warn("out of memory");
				free(in);
				return EXIT_FAIL;
			}
			in = p;
		}
		got = fread(in + n, 1, cap - n, stdin);
		n += got;
	} while (got > 0);
	if (ferror(stdin)) {
		diag_sys("<stdin>");
		free(in);
		return EXIT_FAIL;
	}
	if ((z = deflate_compress(in, n, (enum deflate_mode)m, &zlen,
	    &e)) == NULL) {
		diag_err(NULL, &e);
		free(in);
		return EXIT_FAIL;
	}
	put_le32(tail, png_crc32(0, in, n));
	put_le32(tail + 4, (uint32_t)n);
	fwrite(head, 1, sizeof head, stdout);
	fwrite(z, 1, zlen, stdout);
	fwrite(tail, 1, sizeof tail, stdout);
	free(in);
	free(z);
	return diag_close_stdout();
}

int
main(int argc, char *argv[])
{
	int c, ppm = 0, gen = 0;
	const char *zmode = NULL;

	diag_init(argv[0]);
	while ((c = getopt(argc, argv, "prz:")) != -1)
		switch (c) {
		case 'p':
			ppm = 1;
			break;
		case 'r':
			gen = 1;
			break;
		case 'z':
			zmode = optarg;
			break;
		default:
			return diag_usage(usage_text);
		}
	if (zmode != NULL)
		return optind == argc ? gzip(zmode) : diag_usage(usage_text);
	if (gen)
		return raw(argc - optind, argv + optind);
	return image(argc - optind, argv + optind, ppm);
}
