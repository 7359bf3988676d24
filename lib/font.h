/*
 * font.h - a small bitmap font for the labels of a plot.
 *
 * Every printable ASCII character (32 to 126) has a glyph of 5 by 9
 * pixels drawn on a cell of FONT_ADVANCE by FONT_LINE: rows 0 to 6 hold
 * capitals and digits (row 6 is the baseline), lower case letters take
 * rows 2 to 6, and the descenders of g, j, p, q, y and the comma reach
 * into rows 7 and 8.  The sixth column and the last two rows of a cell
 * stay empty, so that text set cell by cell keeps its letters apart.
 *
 * A byte outside the printable range, and each character of a UTF-8
 * sequence, is shown as one hollow box (FONT_BOX): the font has no
 * other alphabet, and a box says that something is there.
 *
 * Nothing here allocates or fails; the glyphs are constant data.
 */
#ifndef FONT_H
#define FONT_H

#include <stddef.h>

#define FONT_WIDTH	5	/* pixels a glyph may use across */
#define FONT_HEIGHT	9	/* and down */
#define FONT_ASCENT	7	/* rows from the top to the baseline */
#define FONT_ADVANCE	6	/* from one character to the next */
#define FONT_LINE	11	/* from one line to the next */
#define FONT_BOX	127	/* the glyph shown for what has none */

/* Is pixel (X, Y) of the glyph for C set?  Outside the glyph it is not. */
int	font_pixel(unsigned c, int x, int y);

/*
 * The glyph for the character starting at S[*I] of the LEN bytes at S,
 * and *I moved past it: a UTF-8 sequence (or a byte that starts none)
 * counts as one character, drawn as FONT_BOX.
 */
unsigned font_next(const char *s, size_t len, size_t *i);

/*
 * The length of the UTF-8 sequence that starts S, N bytes available, or
 * 0 when they do not start one (an overlong form, a surrogate, a byte
 * that starts no sequence or a sequence cut short).
 */
size_t	font_utf8(const char *s, size_t n);

/* How many characters the LEN bytes at S show as. */
size_t	font_chars(const char *s, size_t len);

/*
 * The width in pixels of the LEN bytes at S set in one line, from the
 * left edge of the first glyph to the right edge of the last: 0 for no
 * text.
 */
int	font_width(const char *s, size_t len);

#endif
