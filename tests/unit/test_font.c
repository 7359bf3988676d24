/*
 * test_font.c - the bitmap font: every glyph there, inside its cell and
 * different from every other; descenders only where letters have them;
 * UTF-8 counted as characters and shown as boxes.
 */
#include <string.h>

#include "font.h"
#include "unit.h"

/* The glyph of C as a bit string, for comparing glyphs. */
static void
bits(unsigned c, char *out)
{
	int x, y, i = 0;

	for (y = 0; y < FONT_HEIGHT; y++)
		for (x = 0; x < FONT_WIDTH; x++)
			out[i++] = font_pixel(c, x, y) ? '#' : '.';
	out[i] = '\0';
}

static int
set_pixels(unsigned c, int y0, int y1)
{
	int x, y, n = 0;

	for (y = y0; y <= y1; y++)
		for (x = 0; x < FONT_WIDTH; x++)
			n += font_pixel(c, x, y);
	return n;
}

static void
glyphs(void)
{
	char a[FONT_WIDTH * FONT_HEIGHT + 1], b[FONT_WIDTH * FONT_HEIGHT + 1];
	unsigned c, d;
	int same = 0;

	CHECK(set_pixels(' ', 0, FONT_HEIGHT - 1) == 0);
	for (c = 33; c <= 126; c++)
		if (set_pixels(c, 0, FONT_HEIGHT - 1) == 0)
			fprintf(stderr, "glyph %c is empty\n", c), same++;
	CHECK(same == 0);

	/* No two characters look alike, the box included. */
	same = 0;
	for (c = 32; c <= FONT_BOX; c++) {
		bits(c, a);
		for (d = c + 1; d <= FONT_BOX; d++) {
			bits(d, b);
			if (strcmp(a, b) == 0) {
				fprintf(stderr, "%u and %u look the same\n",
				    c, d);
				same++;
			}
		}
	}
	CHECK(same == 0);

	/* The cell's spacing column and anything outside stay empty. */
	for (c = 32; c <= FONT_BOX; c++) {
		CHECK(font_pixel(c, FONT_WIDTH, 0) == 0);
		CHECK(font_pixel(c, -1, 3) == 0);
		CHECK(font_pixel(c, 2, FONT_HEIGHT) == 0);
		CHECK(font_pixel(c, 2, -1) == 0);
	}
}

static void
descenders(void)
{
	const char *down = "gjpqy,;_";
	unsigned c;

	for (c = 32; c <= 126; c++) {
		if (strchr(down, (int)c) != NULL)
			CHECK(set_pixels(c, FONT_ASCENT, FONT_HEIGHT - 1) > 0);
		else if (c != '|')
			CHECK(set_pixels(c, FONT_ASCENT, FONT_HEIGHT - 1) ==
			    0);
	}
	/* Digits and capitals stand on the baseline. */
	for (c = '0'; c <= '9'; c++)
		CHECK(set_pixels(c, FONT_ASCENT - 1, FONT_ASCENT - 1) > 0);
	for (c = 'A'; c <= 'Z'; c++)
		CHECK(set_pixels(c, FONT_ASCENT - 1, FONT_ASCENT - 1) > 0);
	/* Lower case x-height: a, c, e, m, n, o, s, u, x have no ascender. */
	CHECK(set_pixels('a', 0, 1) == 0);
	CHECK(set_pixels('x', 0, 1) == 0);
	CHECK(set_pixels('b', 0, 1) > 0);
}

static void
text(void)
{
	const char *s;
	size_t i;

	/* Outside the printable range: the box. */
	CHECK(font_pixel(7, 0, 0) == font_pixel(FONT_BOX, 0, 0));
	CHECK(font_pixel(200, 0, 3) == font_pixel(FONT_BOX, 0, 3));

	s = "a\xc3\xa9" "1";			/* a, e acute, 1 */
	i = 0;
	CHECK(font_next(s, strlen(s), &i) == 'a' && i == 1);
	CHECK(font_next(s, strlen(s), &i) == FONT_BOX && i == 3);
	CHECK(font_next(s, strlen(s), &i) == '1' && i == 4);
	CHECK(font_chars(s, strlen(s)) == 3);
	CHECK(font_width(s, strlen(s)) == 3 * FONT_ADVANCE - 1);
	CHECK(font_width("", 0) == 0);
	CHECK(font_width("12:00", 5) == 29);

	/* A byte that starts no sequence is one box, and so is each. */
	s = "\xff\xfe";
	CHECK(font_chars(s, 2) == 2);
	s = "\t";
	i = 0;
	CHECK(font_next(s, 1, &i) == FONT_BOX && i == 1);
	CHECK(font_chars("\xe2\x82\xac", 3) == 1);	/* the euro sign */
	CHECK(font_chars("\xe2\x82", 2) == 2);		/* cut short */

	CHECK(font_utf8("\xc3\xa9", 2) == 2);
	CHECK(font_utf8("\xf0\x9f\x98\x80", 4) == 4);
	CHECK(font_utf8("\xc0\x80", 2) == 0);		/* overlong */
	CHECK(font_utf8("\xe0\x80\x80", 3) == 0);	/* overlong */
	CHECK(font_utf8("\xed\xa0\x80", 3) == 0);	/* a surrogate */
	CHECK(font_utf8("\xf4\x90\x80\x80", 4) == 0);	/* past U+10FFFF */
	CHECK(font_utf8("\xc3(", 2) == 0);
	CHECK(font_utf8("", 0) == 0);
}

int
main(void)
{
	glyphs();
	descenders();
	text();
	return unit_done();
}
