/*
 * plot.h - a time series drawn as a picture: PNG (through png.h) or SVG.
 *
 * The caller hands over the points, sorted by time, and a spec (size,
 * title, what to draw); plot_layout places everything, and plot_png or
 * plot_svg renders the same layout, pixel for pixel, as an indexed-colour
 * PNG or as SVG text.  The whole picture is built in memory, so a caller
 * writes nothing until it is complete.  Same points and spec, same bytes.
 *
 * The series is a line.  A point with no value breaks it, and so does a
 * step in time longer than PLOT_GAP_FACTOR times the median step between
 * points (a gap in the data is shown as one, not bridged).  A long series
 * is reduced per pixel column: each column keeps the first, last, lowest
 * and highest value of the points that fall in it, drawn as a vertical
 * stroke joined to its neighbours, so no peak is lost however many points
 * share a column.  A point alone between two breaks is drawn as a dot.
 * Anomalous points are red dots on the line, every one of them; one with
 * no value is a red mark on the time axis.  When they are dense (more
 * than a quarter of the points with a value and of the panel's columns),
 * they are red rings under the line, so that it stays visible.  A panel
 * with no value to draw says "no data" and has no value ticks.
 *
 * The time axis is UTC, its ticks on round times for the span (seconds,
 * minutes, hours, days of the month, months, years), labelled with the
 * time and, at the first tick and where it changes, the date (or year).
 * The value axis has ticks at multiples of 1, 2 or 5 times a power of ten,
 * at least two of them, padded by a twentieth of the range at each end,
 * labelled as plain numbers unless "2e9" is shorter; a constant series
 * (or a range under 1e-305) is given a range around its value.  The score
 * panel, when asked for, sits under the series on the same time axis,
 * with the threshold, when the spec has one, as a dashed line.  A title
 * or a legend too wide for the picture goes on to further lines.
 *
 * Functions that can fail return -1 (or NULL) with *e filled: out of
 * memory, a size out of bounds, points not sorted by time.
 */
#ifndef PLOT_H
#define PLOT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define PLOT_MINWIDTH	240
#define PLOT_MAXWIDTH	8000
#define PLOT_MINHEIGHT	160	/* and PLOT_MINSCORE with the score panel */
#define PLOT_MINSCORE	240
#define PLOT_MAXHEIGHT	8000

/* A step longer than this many median steps breaks the line. */
#define PLOT_GAP_FACTOR	3

#define PLOT_MAXTICKS	128
#define PLOT_LABELSZ	32

/* The palette, in this order; index 0 is the background. */
enum plot_colour {
	PLOT_BG,		/* white */
	PLOT_INK,		/* text and tick marks: near black */
	PLOT_GRID,		/* grid lines: light grey */
	PLOT_FRAME,		/* the frame of a panel: grey */
	PLOT_SERIES,		/* the series: blue, 31 94 170 */
	PLOT_ANOMALY,		/* anomalies: red, 214 32 32 */
	PLOT_SCORE,		/* the score: purple */
	PLOT_THRESHOLD,		/* the threshold: orange */
	PLOT_NCOLOUR
};

extern const uint8_t plot_palette[PLOT_NCOLOUR][3];

struct plot_point {
	int64_t	 t;		/* microseconds since 1970 (timestamp.h) */
	double	 v;		/* the value, NaN when there is none */
	double	 score;		/* the score, NaN when there is none */
	int	 anomaly;	/* 1 when flagged anomalous */
};

struct plot_spec {
	int	 width, height;	/* of the whole picture, in pixels */
	const char *title;	/* in bold, top left */
	const char *subtitle;	/* after the title, or NULL */
	const char *name;	/* the series in the legend */
	int	 anomalies;	/* the data says which points are anomalous */
	int	 score;		/* draw the score panel */
	int	 threshold_set;	/* draw the threshold */
	double	 threshold;
};

/* A rectangle of pixels, both corners included. */
struct plot_rect {
	int	 x0, y0, x1, y1;
};

struct plot_tick {
	double	 v;			/* the value, on a value axis */
	int64_t	 t;			/* the time, on the time axis */
	char	 label[PLOT_LABELSZ];
	char	 sub[PLOT_LABELSZ];	/* the date under it, or "" */
};

struct plot_axis {
	double	 lo, hi;		/* value axis: the ends */
	int64_t	 t0, t1;		/* time axis: the ends */
	size_t	 n;
	struct plot_tick tick[PLOT_MAXTICKS];
};

/*
 * The points of one series that fall in one pixel column, or in one run
 * of a column between two breaks of the line.
 */
struct plot_bin {
	int	 x;		/* the column, from 0 */
	int	 join;		/* a line joins it to the bin before */
	double	 first, last, lo, hi;
};

enum plot_which { PLOT_VALUE, PLOT_SCORES };

struct plot {
	struct plot_spec spec;
	const struct plot_point *p;
	size_t	 n;
	struct plot_rect area;		/* the series panel */
	struct plot_rect sarea;		/* the score panel, if any */
	struct plot_axis time, value, score;
	int64_t	 gap;			/* a longer step breaks the line */
	size_t	 nanomaly;
	int	 title_y, legend_y, label_y;
};

/*
 * Lay out the N points at P (sorted by time; they must outlive PL) as
 * SPEC asks.  The strings of SPEC are not copied either.
 */
int	plot_layout(struct plot *pl, const struct plot_spec *spec,
	    const struct plot_point *p, size_t n, struct err *e);

/* The picture as a PNG file in memory (malloc'ed, *len bytes). */
unsigned char *plot_png(const struct plot *pl, size_t *len, struct err *e);

/* The picture as an SVG document in memory (malloc'ed, *len bytes). */
char	*plot_svg(const struct plot *pl, size_t *len, struct err *e);

/* The column of time T and the row of value V in the panel R. */
int	plot_x(const struct plot *pl, int64_t t);
int	plot_y(const struct plot_axis *ax, const struct plot_rect *r,
	    double v);

/*
 * The building blocks, exposed for testing.
 *
 * plot_value_axis: the range and ticks of a value axis for data from LO
 * to HI (LO <= HI, both finite) on LENGTH pixels.
 * plot_time_axis: the ticks for times T0 to T1 on LENGTH pixels (a single
 * time gets a minute around it).
 * plot_gap: PLOT_GAP_FACTOR times the median positive step between the
 * N points, or INT64_MAX when there are fewer than two such steps.
 * plot_reduce: the bins of series WHICH over NCOL columns for the time
 * axis AX, breaking the line at steps longer than GAP; *BIN is malloc'ed
 * and holds *NBIN bins in order.
 */
void	plot_value_axis(double lo, double hi, int length, struct plot_axis *ax);
void	plot_time_axis(int64_t t0, int64_t t1, int length,
	    struct plot_axis *ax);
int	plot_gap(const struct plot_point *p, size_t n, int64_t *gap,
	    struct err *e);
int	plot_reduce(const struct plot_point *p, size_t n,
	    enum plot_which which, const struct plot_axis *ax, int ncol,
	    int64_t gap, struct plot_bin **bin, size_t *nbin, struct err *e);

#endif
