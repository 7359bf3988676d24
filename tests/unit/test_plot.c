/*
 * test_plot.c - the tick choosers, the break rule and the per-column
 * reduction; the layout's bounds.  Pictures are checked by
 * tests/t-ts-plot.sh.
 *
 * The times below were worked out with date -u -d: 2024-05-02T00:00:00Z
 * is 1714608000 s after the epoch, 2014-01-01T00:00:00Z is 1388534400 s.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "plot.h"
#include "timestamp.h"
#include "unit.h"

#define US	INT64_C(1000000)
#define MIN	(60 * US)
#define HOUR	(60 * MIN)
#define DAY	(24 * HOUR)
#define MAY2	(INT64_C(1714608000) * US)	/* 2024-05-02T00:00:00Z */
#define JAN14	(INT64_C(1388534400) * US)	/* 2014-01-01T00:00:00Z */

static struct plot_axis ax;

/*
 * Is X, a positive step, 1, 2 or 5 times a power of ten?
 */
static int
round_step(double x)
{
	double k = floor(log10(x) + 1e-9), m = x / pow(10, k);

	return fabs(m - 1) < 1e-6 || fabs(m - 2) < 1e-6 ||
	    fabs(m - 5) < 1e-6;
}

/*
 * The ticks of a value axis for LO..HI: inside the axis, which covers
 * the data; evenly spaced by a round step; each label reads back as its
 * tick's value.
 */
static void
value_ok(double lo, double hi, int length, int line)
{
	double step = 0, v;
	size_t i;
	int ok = 1;

	plot_value_axis(lo, hi, length, &ax);
	if (!(ax.lo <= lo && ax.hi >= hi && ax.lo < ax.hi) || ax.n < 2) {
		fprintf(stderr, "line %d: axis %g to %g, %zu ticks\n", line,
		    ax.lo, ax.hi, ax.n);
		ok = 0;
	}
	for (i = 0; i < ax.n; i++) {
		if (ax.tick[i].v < ax.lo || ax.tick[i].v > ax.hi)
			ok = 0;
		if (num_double(ax.tick[i].label, &v) != NULL ||
		    fabs(v - ax.tick[i].v) > 1e-9 * fabs(step + v)) {
			fprintf(stderr, "line %d: label \"%s\" for %.17g\n",
			    line, ax.tick[i].label, ax.tick[i].v);
			ok = 0;
		}
		if (i == 1)
			step = ax.tick[1].v - ax.tick[0].v;
		if (i >= 1 && fabs(ax.tick[i].v - ax.tick[i - 1].v - step) >
		    1e-6 * step)
			ok = 0;
	}
	if (ax.n >= 2 && !round_step(step)) {
		fprintf(stderr, "line %d: step %.17g\n", line, step);
		ok = 0;
	}
	unit_check(ok, __FILE__, line, "value axis");
}

static void
value_axis(void)
{
	size_t i;

	value_ok(0, 100, 300, __LINE__);
	CHECK_STR(ax.tick[0].label, "0");
	CHECK(ax.n >= 5 && ax.n <= 12);
	CHECK_NEAR(ax.lo, -5, 1e-9);
	CHECK_NEAR(ax.hi, 105, 1e-9);

	value_ok(21.9, 109.6, 300, __LINE__);
	value_ok(-5, -1, 300, __LINE__);
	CHECK(ax.tick[0].label[0] == '-');
	value_ok(0.38, 0.81, 128, __LINE__);
	/* Labels of one axis have the same number of decimals. */
	for (i = 1; i < ax.n; i++)
		CHECK(strlen(strchr(ax.tick[i].label, '.')) ==
		    strlen(strchr(ax.tick[0].label, '.')));
	value_ok(0.5, 0.55, 128, __LINE__);
	value_ok(1, 1e9, 300, __LINE__);
	CHECK(strchr(ax.tick[ax.n - 1].label, 'e') != NULL);
	value_ok(1e-9, 3e-9, 300, __LINE__);
	CHECK(strchr(ax.tick[0].label, 'e') != NULL);
	value_ok(100000.001, 100000.002, 300, __LINE__);
	value_ok(-3.5e12, 2e12, 300, __LINE__);

	/* "2e9" only where it is shorter than the plain number. */
	value_ok(123456789012, 123456789020, 300, __LINE__);
	for (i = 0; i < ax.n; i++)
		CHECK(strchr(ax.tick[i].label, 'e') == NULL);
	CHECK_STR(ax.tick[0].label, "123456789012");
	value_ok(0, 2e9, 300, __LINE__);
	CHECK_STR(ax.tick[ax.n - 1].label, "2e9");
	value_ok(123456789000, 123456789100, 300, __LINE__);
	CHECK(strcmp(ax.tick[0].label, ax.tick[1].label) != 0);

	/* Tiny ranges are scaled, not flattened onto 0. */
	value_ok(1e-300, 2e-300, 300, __LINE__);
	CHECK(ax.lo > 0 && ax.hi < 3e-300);
	value_ok(1e-300, 1e-300, 300, __LINE__);
	CHECK(ax.lo > 0);

	/* A short panel still gets two ticks, not one without a scale. */
	value_ok(1, 9, 83, __LINE__);
	value_ok(0.4, 0.8, 34, __LINE__);

	/* A constant: a twentieth of the value around it, or 1 around 0. */
	value_ok(7, 7, 300, __LINE__);
	CHECK_NEAR(ax.lo, 6.65, 1e-12);
	CHECK_NEAR(ax.hi, 7.35, 1e-12);
	value_ok(0, 0, 300, __LINE__);
	CHECK(ax.lo == -1 && ax.hi == 1);
	value_ok(-42, -42, 300, __LINE__);

	/* The widest range there is still gives finite ends and ticks. */
	plot_value_axis(-DBL_MAX, DBL_MAX, 300, &ax);
	CHECK(isfinite(ax.lo) && isfinite(ax.hi) && ax.n >= 2);
	for (i = 0; i < ax.n; i++)
		CHECK(isfinite(ax.tick[i].v));

	/* A short axis still gets two ticks; a tall one not too many. */
	value_ok(0, 1, 20, __LINE__);
	value_ok(0, 1, 7000, __LINE__);
	CHECK(ax.n <= PLOT_MAXTICKS);
}

/* Every tick inside T0..T1, in order, a multiple of ALIGN from ORIGIN. */
static void
time_ok(int64_t t0, int64_t t1, int64_t origin, int64_t align, int line)
{
	size_t i;
	int ok = ax.n >= 2;

	for (i = 0; i < ax.n; i++) {
		if (ax.tick[i].t < t0 || ax.tick[i].t > t1)
			ok = 0;
		if (i > 0 && ax.tick[i].t <= ax.tick[i - 1].t)
			ok = 0;
		if (align > 0 && (ax.tick[i].t - origin) % align != 0)
			ok = 0;
	}
	if (!ok)
		fprintf(stderr, "line %d: %zu ticks, first %lld\n", line,
		    ax.n, ax.n ? (long long)ax.tick[0].t : 0LL);
	unit_check(ok, __FILE__, line, "time axis");
}

static void
time_axis(void)
{
	int64_t y;
	size_t i;
	int mo, d, subs;

	/* A day on 700 pixels: hours, with the date under the first. */
	plot_time_axis(MAY2 + 7 * MIN, MAY2 + DAY + 7 * MIN, 700, &ax);
	time_ok(MAY2, MAY2 + DAY + 7 * MIN, MAY2, HOUR, __LINE__);
	CHECK_STR(ax.tick[0].label, ax.tick[0].t == MAY2 + HOUR ? "01:00" :
	    ax.tick[0].t == MAY2 + 2 * HOUR ? "02:00" : "03:00");
	CHECK_STR(ax.tick[0].sub, "2024-05-02");
	for (i = 1, subs = 0; i < ax.n; i++)
		if (ax.tick[i].sub[0] != '\0') {
			CHECK_STR(ax.tick[i].label, "00:00");
			CHECK_STR(ax.tick[i].sub, "2024-05-03");
			subs++;
		}
	CHECK(subs == 1);

	/* Five hours: every 30 minutes. */
	plot_time_axis(MAY2, MAY2 + 5 * HOUR, 740, &ax);
	time_ok(MAY2, MAY2 + 5 * HOUR, MAY2, 30 * MIN, __LINE__);
	CHECK(ax.n == 11);
	CHECK_STR(ax.tick[1].label, "00:30");

	/* Fifty days: days of the month 1, 6, 11, ... at midnight. */
	plot_time_axis(JAN14, JAN14 + 49 * DAY + 15 * HOUR, 746, &ax);
	time_ok(JAN14, JAN14 + 50 * DAY, JAN14, DAY, __LINE__);
	for (i = 0; i < ax.n; i++) {
		time_civil(ax.tick[i].t / DAY, &y, &mo, &d);
		CHECK((d - 1) % 5 == 0 && d <= 26);
	}
	CHECK_STR(ax.tick[0].label, "Jan 1");
	CHECK_STR(ax.tick[0].sub, "2014");
	CHECK_STR(ax.tick[1].label, "Jan 6");
	CHECK_STR(ax.tick[1].sub, "");

	/* Three years: months, on the first, the year where it changes. */
	plot_time_axis(JAN14 + 40 * DAY, JAN14 + 3 * 365 * DAY, 740, &ax);
	time_ok(JAN14, JAN14 + 3 * 365 * DAY, JAN14, DAY, __LINE__);
	for (i = 0; i < ax.n; i++) {
		time_civil(ax.tick[i].t / DAY, &y, &mo, &d);
		CHECK(d == 1);
		if (mo == 1)
			CHECK(ax.tick[i].sub[0] != '\0');
	}

	/* A century: round years. */
	plot_time_axis(time_days(1931, 5, 5) * DAY, time_days(2031, 1, 1) *
	    DAY, 740, &ax);
	time_ok(time_days(1931, 5, 5) * DAY, time_days(2031, 1, 1) * DAY,
	    0, 0, __LINE__);
	for (i = 0; i < ax.n; i++) {
		time_civil((ax.tick[i].t - (ax.tick[i].t < 0 ? DAY - 1 : 0)) /
		    DAY, &y, &mo, &d);
		CHECK(mo == 1 && d == 1 && y % 10 == 0);
	}
	CHECK_STR(ax.tick[0].label, "1940");

	/* Before 1970 the ticks are just as round. */
	plot_time_axis(-DAY - 7 * MIN, -DAY + 2 * HOUR, 700, &ax);
	time_ok(-DAY - 7 * MIN, -DAY + 2 * HOUR, 0, 10 * MIN, __LINE__);
	CHECK_STR(ax.tick[0].sub, "1969-12-31");

	/* Under two seconds: tenths or finer, with decimals. */
	plot_time_axis(MAY2 + 12 * HOUR, MAY2 + 12 * HOUR + 1813000, 734,
	    &ax);
	time_ok(MAY2 + 12 * HOUR, MAY2 + 12 * HOUR + 1813000, MAY2, 100000,
	    __LINE__);
	CHECK_STR(ax.tick[0].label, "12:00:00.0");
	CHECK_STR(ax.tick[1].label, "12:00:00.2");

	/* One time: a minute around it. */
	plot_time_axis(MAY2, MAY2, 740, &ax);
	CHECK(ax.t0 == MAY2 - 30 * US && ax.t1 == MAY2 + 30 * US);
	time_ok(MAY2 - 30 * US, MAY2 + 30 * US, MAY2, 10 * US, __LINE__);

	/* The whole scale: years, never past 9999. */
	plot_time_axis(TIME_MIN, TIME_MAX, 740, &ax);
	time_ok(TIME_MIN, TIME_MAX, 0, 0, __LINE__);
}

static struct plot_point *
points(size_t n, int64_t t0, int64_t step)
{
	struct plot_point *p = calloc(n, sizeof *p);
	size_t i;

	for (i = 0; p != NULL && i < n; i++) {
		p[i].t = t0 + (int64_t)i * step;
		p[i].v = (double)(i % 7);
		p[i].score = NAN;
	}
	return p;
}

static void
gap(void)
{
	struct plot_point *p = points(100, MAY2, MIN);
	struct err e;
	int64_t g;
	size_t i;

	CHECK(plot_gap(p, 100, &g, &e) == 0 && g == 3 * MIN);
	/* One long step and a few repeated times change nothing. */
	for (i = 50; i < 100; i++)
		p[i].t += HOUR;
	p[10].t = p[9].t;
	p[11].t = p[9].t;
	CHECK(plot_gap(p, 100, &g, &e) == 0 && g == 3 * MIN);
	/* Too few steps to tell: nothing breaks. */
	CHECK(plot_gap(p, 2, &g, &e) == 0 && g == INT64_MAX);
	CHECK(plot_gap(p, 0, &g, &e) == 0 && g == INT64_MAX);
	free(p);
}

static void
reduce(void)
{
	struct plot_point *p = points(1000, MAY2, US);
	struct plot_bin *b;
	struct err e;
	size_t nb, i;
	int ok;

	plot_time_axis(p[0].t, p[999].t, 10, &ax);

	/* 1000 points on 10 columns: one bin each, min and max kept. */
	p[123].v = 1e6;
	p[877].v = -1e6;
	CHECK(plot_reduce(p, 1000, PLOT_VALUE, &ax, 10, INT64_MAX, &b, &nb,
	    &e) == 0);
	CHECK(nb == 10);
	for (i = 0, ok = 1; i < nb; i++)
		if (b[i].x != (int)i || b[i].join != (i > 0))
			ok = 0;
	CHECK(ok);
	CHECK(b[0].first == 0 && b[0].lo == 0 && b[0].hi == 6);
	CHECK(b[1].hi == 1e6 && b[1].lo == 0);
	CHECK(b[9].lo == -1e6 || b[8].lo == -1e6);
	CHECK(b[9].last == 999 % 7);
	free(b);

	/* A point with no value breaks the line; so does a long step. */
	p[500].v = NAN;
	for (i = 700; i < 1000; i++)
		p[i].t += 1000 * US;
	plot_time_axis(p[0].t, p[999].t, 10, &ax);
	CHECK(plot_reduce(p, 1000, PLOT_VALUE, &ax, 10, 3 * US, &b, &nb,
	    &e) == 0);
	for (i = 0, ok = 0; i < nb; i++)
		ok += !b[i].join;
	CHECK(ok == 3);
	free(b);
	/* Without the break rule only the missing value breaks it. */
	CHECK(plot_reduce(p, 1000, PLOT_VALUE, &ax, 10, INT64_MAX, &b, &nb,
	    &e) == 0);
	for (i = 0, ok = 0; i < nb; i++)
		ok += !b[i].join;
	CHECK(ok == 2);
	free(b);

	/* No scores: no bins. */
	CHECK(plot_reduce(p, 1000, PLOT_SCORES, &ax, 10, INT64_MAX, &b, &nb,
	    &e) == 0 && nb == 0);
	free(b);
	free(p);
}

static void
layout(void)
{
	struct plot_point *p = points(10, MAY2, MIN);
	struct plot_spec spec;
	struct plot pl;
	struct err e;
	unsigned char *png;
	char *svg;
	size_t len;

	memset(&spec, 0, sizeof spec);
	spec.width = 800;
	spec.height = 400;
	spec.title = "t";
	spec.name = "v";
	CHECK(plot_layout(&pl, &spec, p, 10, &e) == 0);
	CHECK(pl.area.x0 > 0 && pl.area.x1 < 800 && pl.area.y0 > 0 &&
	    pl.area.y1 < 400);
	CHECK(plot_x(&pl, p[0].t) == pl.area.x0);
	CHECK(plot_x(&pl, p[9].t) == pl.area.x1);
	CHECK(plot_y(&pl.value, &pl.area, pl.value.lo) == pl.area.y1);
	CHECK(plot_y(&pl.value, &pl.area, pl.value.hi) == pl.area.y0);
	png = plot_png(&pl, &len, &e);
	CHECK(png != NULL && len > 8 && memcmp(png, "\x89PNG", 4) == 0);
	free(png);
	svg = plot_svg(&pl, &len, &e);
	CHECK(svg != NULL && strncmp(svg, "<?xml", 5) == 0 &&
	    strlen(svg) == len);
	free(svg);

	spec.width = PLOT_MINWIDTH - 1;
	CHECK(plot_layout(&pl, &spec, p, 10, &e) == -1);
	spec.width = 800;
	spec.score = 1;
	spec.height = PLOT_MINSCORE - 1;
	CHECK(plot_layout(&pl, &spec, p, 10, &e) == -1);
	spec.height = PLOT_MINSCORE;
	CHECK(plot_layout(&pl, &spec, p, 10, &e) == 0);
	CHECK(pl.sarea.y0 > pl.area.y1 && pl.sarea.y1 < spec.height);
	CHECK(plot_layout(&pl, &spec, p, 0, &e) == -1);
	p[3].t = p[0].t - 1;
	CHECK(plot_layout(&pl, &spec, p, 10, &e) == -1);
	CHECK(strstr(e.msg, "sorted") != NULL);
	free(p);
}

int
main(void)
{
	value_axis();
	time_axis();
	gap();
	reduce();
	layout();
	return unit_done();
}
