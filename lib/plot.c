/*
 * plot.c - layout, ticks, the per-column reduction and the two renderers.
 *
 * Every position is worked out once, in whole pixels, by plot_layout and
 * the helpers it calls; the PNG and the SVG renderers only draw what is
 * there, so the two pictures agree and neither depends on a font that
 * happens to be installed (SVG text is anchored where the bitmap text
 * is, so a different font shifts it less than a character).
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "num.h"
#include "plot.h"
#include "png.h"
#include "timestamp.h"

#define US_SEC		INT64_C(1000000)
#define US_MIN		(60 * US_SEC)
#define US_HOUR		(60 * US_MIN)
#define US_DAY		(24 * US_HOUR)

/* Margins and spacing, in pixels. */
#define MARGIN		8	/* around the picture */
#define RIGHT		20	/* right of the panels, for the last label */
#define TICK		4	/* tick marks, outside the panel */
#define LABEL_GAP	4	/* between a tick mark and its label */
#define PANEL_GAP	14	/* between the series and the score panel */
#define BOLD_ADVANCE	(FONT_ADVANCE + 1)
#define DOT_R2		10	/* an anomaly: a disc of radius sqrt(10) */
#define SDOT_R2		5	/* on the score panel */
#define SDOT_DENSE	2	/* there, when the anomalies are dense */
#define MARK		9	/* an anomaly with no value: a bar this tall */
#define DASH		6	/* the threshold: DASH on, GAP off */
#define DASH_GAP	4
#define SAMPLE		16	/* a line in the legend */
#define ITEM_GAP	16	/* between items of the legend */
#define NO_DATA		"no data"	/* in a panel with nothing to draw */

const uint8_t plot_palette[PLOT_NCOLOUR][3] = {
	{ 255, 255, 255 },	/* PLOT_BG */
	{ 34, 34, 34 },		/* PLOT_INK */
	{ 228, 228, 228 },	/* PLOT_GRID */
	{ 160, 160, 160 },	/* PLOT_FRAME */
	{ 31, 94, 170 },	/* PLOT_SERIES */
	{ 214, 32, 32 },	/* PLOT_ANOMALY */
	{ 117, 80, 170 },	/* PLOT_SCORE */
	{ 240, 140, 0 },	/* PLOT_THRESHOLD */
};

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* ---- the value axis ---- */

/* The decimal digits of U, most significant first; returns how many. */
static int
digits(char *d, uint64_t u)
{
	char tmp[24];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	d[n] = '\0';
	return n;
}

static uint64_t
magnitude(int64_t v)
{
	return v < 0 ? (uint64_t)-(v + 1) + 1 : (uint64_t)v;
}

/*
 * N times ten to the K, written exactly from the integers, so that the
 * labels are as round as the ticks: "1.5", "200", "0.05".
 */
static void
fixed_label(char *buf, int64_t n, int k)
{
	char d[24];
	int nd, dec, i, at = 0;

	if (n < 0)
		buf[at++] = '-';
	nd = digits(d, magnitude(n));
	if (k >= 0) {
		memcpy(buf + at, d, (size_t)nd);
		at += nd;
		for (i = 0; i < k && n != 0; i++)
			buf[at++] = '0';
	} else {
		dec = -k;
		if (nd <= dec) {
			buf[at++] = '0';
			buf[at++] = '.';
			for (i = nd; i < dec; i++)
				buf[at++] = '0';
			memcpy(buf + at, d, (size_t)nd);
			at += nd;
		} else {
			memcpy(buf + at, d, (size_t)(nd - dec));
			at += nd - dec;
			buf[at++] = '.';
			memcpy(buf + at, d + nd - dec, (size_t)dec);
			at += dec;
		}
	}
	buf[at] = '\0';
}

/* N times ten to the K as "1.5e9": for values too large or too small. */
static void
sci_label(char *buf, int64_t n, int k)
{
	char d[24];
	int nd, at = 0;

	if (n == 0) {
		strcpy(buf, "0");
		return;
	}
	while (n % 10 == 0) {
		n /= 10;
		k++;
	}
	if (n < 0)
		buf[at++] = '-';
	nd = digits(d, magnitude(n));
	buf[at++] = d[0];
	if (nd > 1) {
		buf[at++] = '.';
		memcpy(buf + at, d + 1, (size_t)(nd - 1));
		at += nd - 1;
	}
	snprintf(buf + at, PLOT_LABELSZ - (size_t)at, "e%d", k + nd - 1);
}

/* The length of fixed_label's text for N times ten to the K. */
static int
fixed_len(int64_t n, int k)
{
	char d[24];
	int nd = digits(d, magnitude(n)), len = n < 0;

	if (k >= 0)
		return len + nd + (n != 0 ? k : 0);
	if (nd <= -k)
		return len + 2 - k;
	return len + nd + 1;
}

/* The length of sci_label's text for N times ten to the K. */
static int
sci_len(int64_t n, int k)
{
	char buf[PLOT_LABELSZ];

	sci_label(buf, n, k);
	return (int)strlen(buf);
}

/*
 * The tick I times the step M times ten to the K.  Dividing by a power
 * of ten that is exact keeps 0.3 as 0.3; below 1e-300 the power itself
 * would be out of range, so it is taken in two steps.
 */
static double
tick_value(int64_t i, int m, int k)
{
	double n = (double)(i * m);

	if (k >= 0)
		return n * pow(10, k);
	if (k >= -300)
		return n / pow(10, -k);
	return n / 1e300 / pow(10, -k - 300);
}

void
plot_value_axis(double lo, double hi, int length, struct plot_axis *ax)
{
	static const int mant[] = { 1, 2, 5, 10 };
	double mid = lo / 2 + hi / 2, half = hi / 2 - lo / 2, raw, p, v;
	int64_t i, i0, i1;
	int maxticks, k, m = 1, j, fixed, flen = 0, slen = 0;

	ax->n = 0;
	/*
	 * Constant, or as good as: a range around the value.  Ticks finer
	 * than 1e-306 would be subnormal numbers, too coarse to tell apart,
	 * so a range under 1e-305 counts as a constant too.
	 */
	if (half <= fabs(mid) * 1e-13 || half < 1e-305) {
		if (fabs(mid) / 20 < 1e-305) {
			mid = 0;
			half = 1;
		} else
			half = fabs(mid) / 20;
	} else
		half = half > DBL_MAX / 1.1 ? DBL_MAX : half * 1.1;
	ax->lo = mid - half;
	ax->hi = mid + half;
	if (!isfinite(ax->lo))
		ax->lo = -DBL_MAX;
	if (!isfinite(ax->hi))
		ax->hi = DBL_MAX;

	maxticks = length / 30;
	if (maxticks < 2)
		maxticks = 2;
	if (maxticks > PLOT_MAXTICKS - 2)
		maxticks = PLOT_MAXTICKS - 2;
	raw = half / maxticks * 2;
	k = (int)floor(log10(raw));
	p = pow(10, k);
	for (j = 0; j < 4; j++) {
		m = mant[j];
		if (m * p >= raw * (1 - 1e-9))
			break;
	}
	if (m == 10) {
		m = 1;
		k++;
		p = pow(10, k);
	}
	if (!isfinite(m * p))
		m = 1;
	for (j = 0;; j++) {
		if (fabs(ax->lo / (m * p)) > 1e18 ||
		    fabs(ax->hi / (m * p)) > 1e18)
			return;	/* cannot happen for a range this wide */
		i0 = (int64_t)ceil(ax->lo / (m * p));
		i1 = (int64_t)floor(ax->hi / (m * p));
		/* One tick gives no scale: a finer step, down to a tenth. */
		if (i1 > i0 || j == 3 || k <= -306)
			break;
		if (m == 5)
			m = 2;
		else if (m == 2)
			m = 1;
		else {
			m = 5;
			k--;
			p = pow(10, k);
		}
	}

	/*
	 * Plain numbers unless "2e9" is shorter: the longest label of each
	 * form decides, and a tie goes to the plain one.
	 */
	for (i = i0; i <= i1 && i - i0 < PLOT_MAXTICKS; i++) {
		if (fixed_len(i * m, k) > flen)
			flen = fixed_len(i * m, k);
		if (sci_len(i * m, k) > slen)
			slen = sci_len(i * m, k);
	}
	fixed = flen <= slen && flen < PLOT_LABELSZ;
	for (i = i0; i <= i1 && ax->n < PLOT_MAXTICKS; i++) {
		v = tick_value(i, m, k);
		if (!isfinite(v))
			continue;
		/* The end ticks lie inside, but rounding may put them out. */
		if (v < ax->lo)
			v = ax->lo;
		if (v > ax->hi)
			v = ax->hi;
		ax->tick[ax->n].v = v;
		ax->tick[ax->n].t = 0;
		if (fixed)
			fixed_label(ax->tick[ax->n].label, i * m, k);
		else
			sci_label(ax->tick[ax->n].label, i * m, k);
		ax->tick[ax->n].sub[0] = '\0';
		ax->n++;
	}
}

/* ---- the time axis ---- */

enum step_kind { FIXED, DAYS, MONTHS, YEARS };
enum label_kind { L_FRAC, L_SEC, L_MIN, L_DAY, L_MON, L_YEAR };

struct step {
	enum step_kind kind;
	int64_t	 n;		/* microseconds, days, months or years */
	enum label_kind label;
};

static const struct step steps[] = {
	{ FIXED, 1, L_FRAC }, { FIXED, 2, L_FRAC }, { FIXED, 5, L_FRAC },
	{ FIXED, 10, L_FRAC }, { FIXED, 20, L_FRAC }, { FIXED, 50, L_FRAC },
	{ FIXED, 100, L_FRAC }, { FIXED, 200, L_FRAC },
	{ FIXED, 500, L_FRAC }, { FIXED, 1000, L_FRAC },
	{ FIXED, 2000, L_FRAC }, { FIXED, 5000, L_FRAC },
	{ FIXED, 10000, L_FRAC }, { FIXED, 20000, L_FRAC },
	{ FIXED, 50000, L_FRAC }, { FIXED, 100000, L_FRAC },
	{ FIXED, 200000, L_FRAC }, { FIXED, 500000, L_FRAC },
	{ FIXED, US_SEC, L_SEC }, { FIXED, 2 * US_SEC, L_SEC },
	{ FIXED, 5 * US_SEC, L_SEC }, { FIXED, 10 * US_SEC, L_SEC },
	{ FIXED, 15 * US_SEC, L_SEC }, { FIXED, 30 * US_SEC, L_SEC },
	{ FIXED, US_MIN, L_MIN }, { FIXED, 2 * US_MIN, L_MIN },
	{ FIXED, 5 * US_MIN, L_MIN }, { FIXED, 10 * US_MIN, L_MIN },
	{ FIXED, 15 * US_MIN, L_MIN }, { FIXED, 30 * US_MIN, L_MIN },
	{ FIXED, US_HOUR, L_MIN }, { FIXED, 2 * US_HOUR, L_MIN },
	{ FIXED, 3 * US_HOUR, L_MIN }, { FIXED, 6 * US_HOUR, L_MIN },
	{ FIXED, 12 * US_HOUR, L_MIN },
	{ DAYS, 1, L_DAY }, { DAYS, 2, L_DAY }, { DAYS, 5, L_DAY },
	{ DAYS, 10, L_DAY },
	{ MONTHS, 1, L_MON }, { MONTHS, 2, L_MON }, { MONTHS, 3, L_MON },
	{ MONTHS, 6, L_MON },
	{ YEARS, 1, L_YEAR }, { YEARS, 2, L_YEAR }, { YEARS, 5, L_YEAR },
	{ YEARS, 10, L_YEAR }, { YEARS, 20, L_YEAR }, { YEARS, 50, L_YEAR },
	{ YEARS, 100, L_YEAR }, { YEARS, 200, L_YEAR },
	{ YEARS, 500, L_YEAR }, { YEARS, 1000, L_YEAR },
	{ YEARS, 2000, L_YEAR },
};

#define NSTEP	(sizeof steps / sizeof steps[0])

static const char month_name[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

/*
 * Ticks every N days fall on these days of the month, 1 + N k up to the
 * last one that leaves room before the next month's 1st.
 */
static int
last_day(int64_t n)
{
	switch (n) {
	case 2:
		return 27;
	case 5:
		return 26;
	case 10:
		return 21;
	default:
		return 31;
	}
}

/* Decimals for ticks every N microseconds: 6 less its trailing zeros. */
static int
decimals(int64_t n)
{
	int d = 6;

	while (d > 0 && n % 10 == 0) {
		n /= 10;
		d--;
	}
	return d;
}

/* The width, in characters, of a tick's label for step S. */
static int
label_chars(const struct step *s)
{
	switch (s->label) {
	case L_FRAC:
		return 9 + decimals(s->n);
	case L_SEC:
		return 8;
	case L_MIN:
		return 5;
	case L_DAY:
		return 6;
	case L_MON:
		return 3;
	default:
		return 4;
	}
}

/* The shortest time between two ticks of step S, in microseconds. */
static double
step_us(const struct step *s)
{
	switch (s->kind) {
	case FIXED:
		return (double)s->n;
	case DAYS:
		return (double)s->n * US_DAY;
	case MONTHS:
		return (double)s->n * 28 * US_DAY;
	default:
		return (double)s->n * 365 * US_DAY;
	}
}

static void
add_tick(struct plot_axis *ax, const struct step *s, int64_t t)
{
	struct plot_tick *k;
	int64_t day = floor_div(t, US_DAY), sod = t - day * US_DAY, y, py;
	int64_t pday;
	int mo, d, pmo, pd, dec;
	char frac[8];

	if (ax->n >= PLOT_MAXTICKS)
		return;
	k = &ax->tick[ax->n];
	k->t = t;
	k->v = 0;
	k->sub[0] = '\0';
	time_civil(day, &y, &mo, &d);
	switch (s->label) {
	case L_FRAC:
		dec = decimals(s->n);
		snprintf(frac, sizeof frac, "%06ld", (long)(sod % US_SEC));
		snprintf(k->label, sizeof k->label, "%02d:%02d:%02d.%.*s",
		    (int)(sod / US_HOUR), (int)(sod / US_MIN % 60),
		    (int)(sod / US_SEC % 60), dec, frac);
		break;
	case L_SEC:
		snprintf(k->label, sizeof k->label, "%02d:%02d:%02d",
		    (int)(sod / US_HOUR), (int)(sod / US_MIN % 60),
		    (int)(sod / US_SEC % 60));
		break;
	case L_MIN:
		snprintf(k->label, sizeof k->label, "%02d:%02d",
		    (int)(sod / US_HOUR), (int)(sod / US_MIN % 60));
		break;
	case L_DAY:
		snprintf(k->label, sizeof k->label, "%s %d",
		    month_name[mo - 1], d);
		break;
	case L_MON:
		snprintf(k->label, sizeof k->label, "%s", month_name[mo - 1]);
		break;
	case L_YEAR:
		snprintf(k->label, sizeof k->label, "%lld", (long long)y);
		break;
	}

	/* The date, or the year, under the first tick and where it changes. */
	pday = ax->n > 0 ? floor_div(ax->tick[ax->n - 1].t, US_DAY) : 0;
	py = 0;
	if (ax->n > 0)
		time_civil(pday, &py, &pmo, &pd);
	if (s->label == L_FRAC || s->label == L_SEC || s->label == L_MIN) {
		if (ax->n == 0 || pday != day)
			snprintf(k->sub, sizeof k->sub, "%04lld-%02d-%02d",
			    (long long)y, mo, d);
	} else if (s->label == L_DAY || s->label == L_MON) {
		if (ax->n == 0 || py != y)
			snprintf(k->sub, sizeof k->sub, "%lld", (long long)y);
	}
	ax->n++;
}

static void
make_ticks(struct plot_axis *ax, const struct step *s)
{
	int64_t t0 = ax->t0, t1 = ax->t1, t, day, y;
	int mo, d;

	ax->n = 0;
	switch (s->kind) {
	case FIXED:
		for (t = floor_div(t0, s->n) * s->n; t <= t1; t += s->n)
			if (t >= t0 && ax->n < PLOT_MAXTICKS)
				add_tick(ax, s, t);
			else if (t >= t0)
				break;
		break;
	case DAYS:
		for (day = floor_div(t0 + US_DAY - 1, US_DAY);
		    day * US_DAY <= t1 && ax->n < PLOT_MAXTICKS; day++) {
			time_civil(day, &y, &mo, &d);
			if ((d - 1) % s->n == 0 && d <= last_day(s->n))
				add_tick(ax, s, day * US_DAY);
		}
		break;
	case MONTHS:
		time_civil(floor_div(t0, US_DAY), &y, &mo, &d);
		for (;;) {
			t = time_days(y, mo, 1) * US_DAY;
			if (t > t1 || ax->n >= PLOT_MAXTICKS)
				break;
			if (t >= t0 && (mo - 1) % s->n == 0)
				add_tick(ax, s, t);
			if (++mo > 12) {
				mo = 1;
				y++;
			}
		}
		break;
	case YEARS:
		time_civil(floor_div(t0, US_DAY), &y, &mo, &d);
		for (;; y++) {
			t = time_days(y, 1, 1) * US_DAY;
			if (t > t1 || ax->n >= PLOT_MAXTICKS || y > 9999)
				break;
			if (t >= t0 && y % s->n == 0)
				add_tick(ax, s, t);
		}
		break;
	}
}

void
plot_time_axis(int64_t t0, int64_t t1, int length, struct plot_axis *ax)
{
	double span, px;
	size_t i;

	if (t0 == t1) {
		t0 = t0 - 30 * US_SEC < TIME_MIN ? TIME_MIN : t0 - 30 * US_SEC;
		t1 = t1 + 30 * US_SEC > TIME_MAX ? TIME_MAX : t1 + 30 * US_SEC;
	}
	ax->t0 = t0;
	ax->t1 = t1;
	ax->lo = ax->hi = 0;
	span = (double)(t1 - t0);
	if (length < 1)
		length = 1;
	for (i = 0; i < NSTEP - 1; i++) {
		px = step_us(&steps[i]) / span * length;
		if (px >= label_chars(&steps[i]) * FONT_ADVANCE + 20)
			break;
	}
	make_ticks(ax, &steps[i]);
}

/* ---- breaks and the reduction ---- */

/* Sort the N values at A, all below 2^63, with the help of TMP. */
static void
radix_sort(uint64_t *a, uint64_t *tmp, size_t n)
{
	size_t count[256], i, sum, c;
	uint64_t *from = a, *to = tmp, *swap;
	int shift;

	for (shift = 0; shift < 64; shift += 8) {
		memset(count, 0, sizeof count);
		for (i = 0; i < n; i++)
			count[from[i] >> shift & 0xff]++;
		if (count[from[0] >> shift & 0xff] == n)
			continue;
		for (sum = 0, i = 0; i < 256; i++) {
			c = count[i];
			count[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			to[count[from[i] >> shift & 0xff]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != a)
		memcpy(a, from, n * sizeof *a);
}

int
plot_gap(const struct plot_point *p, size_t n, int64_t *gap, struct err *e)
{
	uint64_t *d, med;
	size_t i, m = 0;

	*gap = INT64_MAX;
	if (n < 3)
		return 0;
	if (n > SIZE_MAX / (2 * sizeof *d) ||
	    (d = malloc(2 * (n - 1) * sizeof *d)) == NULL)
		return err_set(e, 0, 0, "out of memory");
	for (i = 1; i < n; i++)
		if (p[i].t > p[i - 1].t)
			d[m++] = (uint64_t)(p[i].t - p[i - 1].t);
	if (m >= 2) {
		radix_sort(d, d + n - 1, m);
		med = d[(m - 1) / 2];
		*gap = med > (uint64_t)INT64_MAX / PLOT_GAP_FACTOR ? INT64_MAX :
		    (int64_t)med * PLOT_GAP_FACTOR;
	}
	free(d);
	return 0;
}

/* The column, 0 to NCOL - 1, of time T on the axis AX. */
static int
column(const struct plot_axis *ax, int ncol, int64_t t)
{
	double f = (double)(t - ax->t0) / (double)(ax->t1 - ax->t0);
	double c = floor(f * (ncol - 1) + 0.5);

	if (c < 0)
		return 0;
	if (c > ncol - 1)
		return ncol - 1;
	return (int)c;
}

int
plot_reduce(const struct plot_point *p, size_t n, enum plot_which which,
    const struct plot_axis *ax, int ncol, int64_t gap,
    struct plot_bin **bin, size_t *nbin, struct err *e)
{
	struct plot_bin *b = NULL, *nb, *last;
	size_t i, nb_n = 0, cap = 0;
	int broken = 1, x;
	int64_t prev = 0;
	double v;

	for (i = 0; i < n; i++) {
		v = which == PLOT_VALUE ? p[i].v : p[i].score;
		if (isnan(v)) {
			broken = 1;
			continue;
		}
		if (!broken && p[i].t - prev > gap)
			broken = 1;
		prev = p[i].t;
		x = column(ax, ncol, p[i].t);
		last = nb_n > 0 ? &b[nb_n - 1] : NULL;
		if (!broken && last != NULL && last->x == x) {
			if (v < last->lo)
				last->lo = v;
			if (v > last->hi)
				last->hi = v;
			last->last = v;
			continue;
		}
		if (nb_n == cap) {
			cap = cap ? cap * 2 : 1024;
			if (cap > SIZE_MAX / sizeof *b ||
			    (nb = realloc(b, cap * sizeof *b)) == NULL) {
				free(b);
				return err_set(e, 0, 0, "out of memory");
			}
			b = nb;
		}
		b[nb_n].x = x;
		b[nb_n].join = !broken;
		b[nb_n].first = b[nb_n].last = b[nb_n].lo = b[nb_n].hi = v;
		nb_n++;
		broken = 0;
	}
	*bin = b;
	*nbin = nb_n;
	return 0;
}

int
plot_x(const struct plot *pl, int64_t t)
{
	return pl->area.x0 + column(&pl->time, pl->area.x1 - pl->area.x0 + 1,
	    t);
}

int
plot_y(const struct plot_axis *ax, const struct plot_rect *r, double v)
{
	/* In halves, so that a range wider than DBL_MAX still divides. */
	double f = (v / 2 - ax->lo / 2) / (ax->hi / 2 - ax->lo / 2);
	double y = floor(r->y1 - f * (r->y1 - r->y0) + 0.5);

	if (y < r->y0)
		return r->y0;
	if (y > r->y1)
		return r->y1;
	return (int)y;
}

/* ---- what both renderers draw, as a list of parts ---- */

/*
 * The legend's items, right to left from the panel's right edge: a
 * sample (a line, a dot or a dashed line) and its text.
 */
enum sample { S_LINE, S_DOT, S_DASH };

struct item {
	enum sample sample;
	int	 colour;
	char	*text;		/* malloc'ed */
	int	 x, y;	/* where the sample starts; the top of its text */
};

#define NITEM	4

/* The width of item IT in the legend: its sample and its text. */
static int
item_width(const struct item *it)
{
	return SAMPLE + 4 + font_width(it->text, strlen(it->text));
}

/*
 * Place the N items of the legend in rows right-aligned on the panel's
 * right edge, from pl->legend_y down: as many in a row as fit between the
 * margin and the edge, the rest on the next, so that no item is cut.  An
 * item wider than the whole picture starts at the margin and is cut at
 * the picture's edge.  Returns the number of rows.
 */
static int
place_legend(const struct plot *pl, struct item *it, size_t n)
{
	size_t i, first = 0, j;
	int room = pl->area.x1 + 1 - MARGIN, w = 0, rows = 0, x;

	for (i = 0; i <= n; i++) {
		if (i < n && (i == first || w + ITEM_GAP + item_width(&it[i]) <=
		    room)) {
			w += (i == first ? 0 : ITEM_GAP) + item_width(&it[i]);
			continue;
		}
		if (i == first)
			break;
		x = pl->area.x1 + 1 - w;
		if (x < MARGIN)
			x = MARGIN;
		for (j = first; j < i; j++) {
			it[j].x = x;
			it[j].y = pl->legend_y + rows * FONT_LINE;
			x += item_width(&it[j]) + ITEM_GAP;
		}
		rows++;
		first = i;
		w = 0;
		if (i < n)
			i--;
	}
	return rows;
}


static int
legend(const struct plot *pl, struct item *it, size_t *nit, struct err *e)
{
	char num[NUM_BUFSZ + 16];
	size_t i, n = 0;
	int x;

	it[n].sample = S_LINE;
	it[n].colour = PLOT_SERIES;
	it[n++].text = strdup(pl->spec.name != NULL ? pl->spec.name :
	    "value");
	if (pl->spec.anomalies) {
		if (pl->nanomaly == 0)
			snprintf(num, sizeof num, "no anomaly");
		else
			snprintf(num, sizeof num, "%zu anomal%s",
			    pl->nanomaly, pl->nanomaly == 1 ? "y" : "ies");
		it[n].sample = S_DOT;
		it[n].colour = PLOT_ANOMALY;
		it[n++].text = strdup(num);
	}
	if (pl->spec.score) {
		it[n].sample = S_LINE;
		it[n].colour = PLOT_SCORE;
		it[n++].text = strdup("score");
	}
	if (pl->spec.score && pl->spec.threshold_set) {
		/* Three decimals tell it from the scores well enough. */
		memcpy(num, "threshold ", 10);
		x = 10 + (int)num_fixed(num + 10, pl->spec.threshold, 3);
		while (num[x - 1] == '0')
			num[--x] = '\0';
		if (num[x - 1] == '.')
			num[--x] = '\0';
		it[n].sample = S_DASH;
		it[n].colour = PLOT_THRESHOLD;
		it[n++].text = strdup(num);
	}
	*nit = n;
	for (i = 0; i < n; i++)
		if (it[i].text == NULL) {
			while (n > 0)
				free(it[--n].text);
			return err_set(e, 0, 0, "out of memory");
		}

	place_legend(pl, it, n);
	return 0;
}

static void
free_legend(struct item *it, size_t n)
{
	while (n > 0)
		free(it[--n].text);
}

/*
 * The title as pieces of text, each on one line: the title in bold and
 * the subtitle after it when both fit the width, else the subtitle on a
 * line of its own; a piece too long for a line is broken at spaces.
 * There are at most MAXLINES lines: the last holds the rest, cut at the
 * picture's edge, as is a word longer than a line.
 */
#define MAXLINES	4
#define MAXPIECES	(MAXLINES + 1)

struct piece {
	const char *s;
	size_t	 len;
	int	 bold;
	int	 x, line;
};

/* The width of the LEN bytes at S, in bold when BOLD. */
static int
piece_width(const char *s, size_t len, int bold)
{
	size_t n = font_chars(s, len);

	if (!bold)
		return font_width(s, len);
	return n == 0 ? 0 : (int)n * BOLD_ADVANCE;
}

/*
 * Add the text S, in bold when BOLD, to the pieces from line *LINE at X,
 * breaking it at spaces to keep within ROOM pixels of the margin.
 */
static void
add_pieces(const char *s, int bold, int room, struct piece *p, size_t *np,
    int *line, int x)
{
	size_t len = strlen(s), take, i;

	while (len > 0 && *np < MAXPIECES) {
		take = len;
		if (*line < MAXLINES - 1 &&
		    x + piece_width(s, len, bold) > room) {
			/* The longest start ending before a space that fits. */
			take = 0;
			for (i = 1; i < len; i++)
				if (s[i] == ' ' && x + piece_width(s, i,
				    bold) <= room)
					take = i;
			if (take == 0) {
				/* A first word too long: cut, alone. */
				for (take = 1; take < len && s[take] != ' ';
				    take++)
					;
			}
		}
		p[*np].s = s;
		p[*np].len = take;
		p[*np].bold = bold;
		p[*np].x = MARGIN + x;
		p[*np].line = *line;
		(*np)++;
		s += take;
		len -= take;
		while (len > 0 && *s == ' ') {
			s++;
			len--;
		}
		if (len > 0)
			(*line)++;
		x = 0;
	}
}

/* The pieces of the title at P; returns the number of lines. */
static int
place_title(const struct plot *pl, struct piece *p, size_t *np)
{
	const char *t = pl->spec.title, *sub = pl->spec.subtitle;
	int room = pl->spec.width - 2 * MARGIN, line = 0, tw;

	*np = 0;
	if (t == NULL)
		t = "";
	tw = piece_width(t, strlen(t), 1);
	if (sub != NULL && tw + FONT_ADVANCE + piece_width(sub, strlen(sub),
	    0) <= room) {
		add_pieces(t, 1, room, p, np, &line, 0);
		add_pieces(sub, 0, room, p, np, &line, tw + FONT_ADVANCE);
		return 1;
	}
	add_pieces(t, 1, room, p, np, &line, 0);
	if (sub != NULL && *sub != '\0' && line < MAXLINES - 1) {
		if (*np > 0)
			line++;
		add_pieces(sub, 0, room, p, np, &line, 0);
	}
	return *np == 0 ? 1 : line + 1;
}

/* ---- layout ---- */

static int
widest(const struct plot_axis *ax)
{
	size_t i;
	int w, max = 0;

	for (i = 0; i < ax->n; i++)
		if ((w = font_width(ax->tick[i].label,
		    strlen(ax->tick[i].label))) > max)
			max = w;
	return max;
}

int
plot_layout(struct plot *pl, const struct plot_spec *spec,
    const struct plot_point *p, size_t n, struct err *e)
{
	double vlo = 0, vhi = 0, slo = 0, shi = 0;
	int have_v = 0, have_s = 0, top, bottom, sh, left, w, rows;
	struct piece piece[MAXPIECES];
	struct item it[NITEM];
	size_t i, npiece, nit;

	if (spec->width < PLOT_MINWIDTH || spec->width > PLOT_MAXWIDTH)
		return err_set(e, 0, 0, "width %d is out of range: %d to %d",
		    spec->width, PLOT_MINWIDTH, PLOT_MAXWIDTH);
	if (spec->height < (spec->score ? PLOT_MINSCORE : PLOT_MINHEIGHT) ||
	    spec->height > PLOT_MAXHEIGHT)
		return err_set(e, 0, 0, "height %d is out of range: %d to %d",
		    spec->height, spec->score ? PLOT_MINSCORE :
		    PLOT_MINHEIGHT, PLOT_MAXHEIGHT);
	if (n == 0)
		return err_set(e, 0, 0, "no points to plot");
	for (i = 1; i < n; i++)
		if (p[i].t < p[i - 1].t)
			return err_set(e, 0, 0, "points not sorted by time");

	memset(pl, 0, sizeof *pl);
	pl->spec = *spec;
	pl->p = p;
	pl->n = n;
	for (i = 0; i < n; i++) {
		if (p[i].anomaly == 1)
			pl->nanomaly++;
		if (!isnan(p[i].v)) {
			if (!have_v || p[i].v < vlo)
				vlo = p[i].v;
			if (!have_v || p[i].v > vhi)
				vhi = p[i].v;
			have_v = 1;
		}
		if (!isnan(p[i].score)) {
			if (!have_s || p[i].score < slo)
				slo = p[i].score;
			if (!have_s || p[i].score > shi)
				shi = p[i].score;
			have_s = 1;
		}
	}
	if (spec->threshold_set) {
		if (!have_s || spec->threshold < slo)
			slo = spec->threshold;
		if (!have_s || spec->threshold > shi)
			shi = spec->threshold;
	}
	if (plot_gap(p, n, &pl->gap, e) == -1)
		return -1;

	/*
	 * Rows: the title's lines, the legend's, the panels, then two rows
	 * of time labels.  The legend needs the panels' right edge.
	 */
	pl->area.x1 = pl->sarea.x1 = spec->width - 1 - RIGHT;
	pl->title_y = MARGIN;
	pl->legend_y = pl->title_y + place_title(pl, piece, &npiece) *
	    FONT_LINE + 4;
	if (legend(pl, it, &nit, e) == -1)
		return -1;
	rows = place_legend(pl, it, nit);
	free_legend(it, nit);
	top = pl->legend_y + rows * FONT_LINE + 6;
	bottom = spec->height - 1 - (TICK + LABEL_GAP + 2 * FONT_LINE +
	    MARGIN / 2);
	pl->label_y = bottom + 1 + TICK + LABEL_GAP;
	pl->area.y0 = top;
	pl->area.y1 = bottom;
	if (spec->score) {
		sh = (bottom - top + 1 - PANEL_GAP) * 3 / 10;
		pl->sarea.y1 = bottom;
		pl->sarea.y0 = bottom - sh + 1;
		pl->area.y1 = pl->sarea.y0 - PANEL_GAP - 1;
	}
	/* With nothing to draw, the axis has no ticks to invent. */
	plot_value_axis(vlo, vhi, pl->area.y1 - pl->area.y0, &pl->value);
	if (!have_v)
		pl->value.n = 0;
	if (spec->score) {
		plot_value_axis(slo, shi, pl->sarea.y1 - pl->sarea.y0,
		    &pl->score);
		if (!have_s && !spec->threshold_set)
			pl->score.n = 0;
	}

	/* Columns: the value labels, then the panels. */
	w = widest(&pl->value);
	if (spec->score && widest(&pl->score) > w)
		w = widest(&pl->score);
	left = MARGIN + w + LABEL_GAP + TICK;
	if (left > spec->width / 2)
		left = spec->width / 2;
	pl->area.x0 = pl->sarea.x0 = left;
	pl->area.x1 = pl->sarea.x1 = spec->width - 1 - RIGHT;
	plot_time_axis(p[0].t, p[n - 1].t, pl->area.x1 - pl->area.x0,
	    &pl->time);
	return 0;
}

/*
 * The left edge of label S centred on column X, kept in the picture with
 * a margin to spare on the right.
 */
static int
label_x(const struct plot *pl, int x, const char *s)
{
	int w = font_width(s, strlen(s)), lx = x - w / 2;

	if (lx + w > pl->spec.width - MARGIN)
		lx = pl->spec.width - MARGIN - w;
	if (lx < 1)
		lx = 1;
	return lx;
}

/*
 * Where time tick K, at X, has its label and the label's second line
 * (k->sub): *LX and *SLX get their left edges, or 0 for a text that would
 * run into the one shown before it on its line, whose right ends *END and
 * *SEND keep.  The PNG and the SVG show the same labels.
 */
static void
time_label(const struct plot *pl, const struct plot_tick *k, int x,
    int *end, int *send, int *lx, int *slx)
{
	*lx = label_x(pl, x, k->label);
	if (*lx > *end + FONT_ADVANCE)
		*end = *lx + font_width(k->label, strlen(k->label));
	else
		*lx = 0;
	*slx = 0;
	if (k->sub[0] == '\0')
		return;
	*slx = label_x(pl, x, k->sub);
	if (*slx > *send + FONT_ADVANCE)
		*send = *slx + font_width(k->sub, strlen(k->sub));
	else
		*slx = 0;
}

/* Has series WHICH a point to draw? */
static int
has_data(const struct plot *pl, enum plot_which which)
{
	size_t i;

	for (i = 0; i < pl->n; i++)
		if (!isnan(which == PLOT_VALUE ? pl->p[i].v : pl->p[i].score))
			return 1;
	return 0;
}

/* Where "no data" goes in the panel R: the top left of its text. */
static void
no_data_at(const struct plot_rect *r, int *x, int *y)
{
	*x = (r->x0 + r->x1) / 2 - font_width(NO_DATA, strlen(NO_DATA)) / 2;
	*y = (r->y0 + r->y1) / 2 - FONT_ASCENT / 2;
}

/*
 * Are the anomalies dense: more than a quarter of the points with a
 * value, and more than a quarter of the panel's columns?  Their dots
 * would then cover the line, so they are drawn as rings, under the line
 * instead of over it.  A few bursts in a long series are not dense: there
 * the dots show where the bursts are.
 */
static int
dense(const struct plot *pl)
{
	size_t i, n = 0, nv = 0, cols = (size_t)(pl->area.x1 - pl->area.x0 + 1);

	for (i = 0; i < pl->n; i++)
		if (!isnan(pl->p[i].v)) {
			nv++;
			n += pl->p[i].anomaly == 1;
		}
	return n > cols / 4 && n > nv / 4;
}

/* ---- the PNG renderer ---- */

struct canvas {
	int	 w, h;
	uint8_t	*px;
	struct plot_rect clip;
};

static void
put(struct canvas *c, int x, int y, int colour)
{
	if (x < c->clip.x0 || x > c->clip.x1 || y < c->clip.y0 ||
	    y > c->clip.y1)
		return;
	c->px[(size_t)y * (size_t)c->w + (size_t)x] = (uint8_t)colour;
}

static void
no_clip(struct canvas *c)
{
	c->clip.x0 = 0;
	c->clip.y0 = 0;
	c->clip.x1 = c->w - 1;
	c->clip.y1 = c->h - 1;
}

static void
hline(struct canvas *c, int x0, int x1, int y, int colour)
{
	for (; x0 <= x1; x0++)
		put(c, x0, y, colour);
}

static void
vline(struct canvas *c, int x, int y0, int y1, int colour)
{
	int t;

	if (y0 > y1) {
		t = y0;
		y0 = y1;
		y1 = t;
	}
	for (; y0 <= y1; y0++)
		put(c, x, y0, colour);
}

static void
line(struct canvas *c, int x0, int y0, int x1, int y1, int colour)
{
	int dx = abs(x1 - x0), dy = -abs(y1 - y0);
	int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy, e2;

	for (;;) {
		put(c, x0, y0, colour);
		if (x0 == x1 && y0 == y1)
			break;
		e2 = 2 * err;
		if (e2 >= dy) {
			err += dy;
			x0 += sx;
		}
		if (e2 <= dx) {
			err += dx;
			y0 += sy;
		}
	}
}

static void
disc(struct canvas *c, int x, int y, int r2, int colour)
{
	int dx, dy;

	for (dy = -3; dy <= 3; dy++)
		for (dx = -3; dx <= 3; dx++)
			if (dx * dx + dy * dy <= r2)
				put(c, x + dx, y + dy, colour);
}

static void
rect(struct canvas *c, const struct plot_rect *r, int colour)
{
	hline(c, r->x0, r->x1, r->y0, colour);
	hline(c, r->x0, r->x1, r->y1, colour);
	vline(c, r->x0, r->y0, r->y1, colour);
	vline(c, r->x1, r->y0, r->y1, colour);
}

/* Set the LEN bytes at S with their top left at X, Y; returns the x after. */
static int
textn(struct canvas *c, int x, int y, const char *s, size_t len, int colour,
    int bold)
{
	size_t i = 0;
	unsigned g;
	int gx, gy;

	while (i < len) {
		g = font_next(s, len, &i);
		if (x >= c->w)
			break;
		for (gy = 0; gy < FONT_HEIGHT; gy++)
			for (gx = 0; gx < FONT_WIDTH; gx++)
				if (font_pixel(g, gx, gy)) {
					put(c, x + gx, y + gy, colour);
					if (bold)
						put(c, x + gx + 1, y + gy,
						    colour);
				}
		x += bold ? BOLD_ADVANCE : FONT_ADVANCE;
	}
	return x;
}

static int
text(struct canvas *c, int x, int y, const char *s, int colour, int bold)
{
	return textn(c, x, y, s, strlen(s), colour, bold);
}

static int
draw_series(struct canvas *c, const struct plot *pl, enum plot_which which,
    const struct plot_rect *r, const struct plot_axis *ax, int colour,
    struct err *e)
{
	struct plot_bin *b;
	size_t i, nb;
	int x, px = 0, ylo, yhi;

	if (plot_reduce(pl->p, pl->n, which, &pl->time, r->x1 - r->x0 + 1,
	    pl->gap, &b, &nb, e) == -1)
		return -1;
	c->clip = *r;
	for (i = 0; i < nb; i++) {
		x = r->x0 + b[i].x;
		ylo = plot_y(ax, r, b[i].lo);
		yhi = plot_y(ax, r, b[i].hi);
		vline(c, x, ylo, yhi, colour);
		if (b[i].join)
			line(c, px, plot_y(ax, r, b[i - 1].last), x,
			    plot_y(ax, r, b[i].first), colour);
		else if ((i + 1 == nb || !b[i + 1].join) && ylo == yhi)
			disc(c, x, ylo, SDOT_R2, colour);
		px = x;
	}
	no_clip(c);
	free(b);
	return 0;
}

static void
draw_grid(struct canvas *c, const struct plot *pl, const struct plot_rect *r,
    const struct plot_axis *ax)
{
	size_t i;
	int y, x;

	for (i = 0; i < ax->n; i++) {
		y = plot_y(ax, r, ax->tick[i].v);
		hline(c, r->x0, r->x1, y, PLOT_GRID);
		hline(c, r->x0 - TICK, r->x0 - 1, y, PLOT_INK);
		text(c, r->x0 - TICK - LABEL_GAP -
		    font_width(ax->tick[i].label, strlen(ax->tick[i].label)),
		    y - FONT_ASCENT / 2, ax->tick[i].label, PLOT_INK, 0);
	}
	for (i = 0; i < pl->time.n; i++) {
		x = plot_x(pl, pl->time.tick[i].t);
		vline(c, x, r->y0, r->y1, PLOT_GRID);
	}
}

static void
draw_time_labels(struct canvas *c, const struct plot *pl,
    const struct plot_rect *r)
{
	const struct plot_tick *k;
	size_t i;
	int x, lx, slx, end = -1000, send = -1000;

	for (i = 0; i < pl->time.n; i++) {
		k = &pl->time.tick[i];
		x = plot_x(pl, k->t);
		vline(c, x, r->y1 + 1, r->y1 + TICK, PLOT_INK);
		time_label(pl, k, x, &end, &send, &lx, &slx);
		if (lx > 0)
			text(c, lx, pl->label_y, k->label, PLOT_INK, 0);
		if (slx > 0)
			text(c, slx, pl->label_y + FONT_LINE, k->sub,
			    PLOT_INK, 0);
	}
}

static void
dashed(struct canvas *c, int x0, int x1, int y, int colour)
{
	int x;

	for (x = x0; x <= x1; x++)
		if ((x - x0) % (DASH + DASH_GAP) < DASH)
			put(c, x, y, colour);
}

/* A ring of radius about 3, two pixels thick, open in the middle. */
static void
ring(struct canvas *c, int x, int y, int colour)
{
	int dx, dy, d2;

	for (dy = -3; dy <= 3; dy++)
		for (dx = -3; dx <= 3; dx++) {
			d2 = dx * dx + dy * dy;
			if (d2 > 4 && d2 <= DOT_R2)
				put(c, x + dx, y + dy, colour);
		}
}

static void
draw_anomalies(struct canvas *c, const struct plot *pl, int rings)
{
	const struct plot_point *p;
	size_t i;
	int x;

	for (i = 0; i < pl->n; i++) {
		p = &pl->p[i];
		if (p->anomaly != 1)
			continue;
		x = plot_x(pl, p->t);
		if (isnan(p->v)) {
			vline(c, x - 1, pl->area.y1 - MARK, pl->area.y1,
			    PLOT_ANOMALY);
			vline(c, x, pl->area.y1 - MARK, pl->area.y1,
			    PLOT_ANOMALY);
			vline(c, x + 1, pl->area.y1 - MARK, pl->area.y1,
			    PLOT_ANOMALY);
		} else if (rings)
			ring(c, x, plot_y(&pl->value, &pl->area, p->v),
			    PLOT_ANOMALY);
		else
			disc(c, x, plot_y(&pl->value, &pl->area, p->v),
			    DOT_R2, PLOT_ANOMALY);
		if (pl->spec.score && !isnan(p->score))
			disc(c, x, plot_y(&pl->score, &pl->sarea, p->score),
			    rings ? SDOT_DENSE : SDOT_R2, PLOT_ANOMALY);
	}
}

static void
draw_legend(struct canvas *c, const struct item *it, size_t n, int rings)
{
	size_t i;
	int y;

	for (i = 0; i < n; i++) {
		y = it[i].y + FONT_ASCENT / 2;
		switch (it[i].sample) {
		case S_LINE:
			hline(c, it[i].x, it[i].x + SAMPLE - 1, y,
			    it[i].colour);
			hline(c, it[i].x, it[i].x + SAMPLE - 1, y + 1,
			    it[i].colour);
			break;
		case S_DOT:
			if (rings)
				ring(c, it[i].x + SAMPLE / 2, y,
				    it[i].colour);
			else
				disc(c, it[i].x + SAMPLE / 2, y, DOT_R2,
				    it[i].colour);
			break;
		case S_DASH:
			dashed(c, it[i].x, it[i].x + SAMPLE - 1, y,
			    it[i].colour);
			dashed(c, it[i].x, it[i].x + SAMPLE - 1, y + 1,
			    it[i].colour);
			break;
		}
		text(c, it[i].x + SAMPLE + 4, it[i].y, it[i].text, PLOT_INK,
		    0);
	}
}

static void
draw_title(struct canvas *c, const struct plot *pl)
{
	struct piece p[MAXPIECES];
	size_t i, n;

	place_title(pl, p, &n);
	for (i = 0; i < n; i++)
		textn(c, p[i].x, pl->title_y + p[i].line * FONT_LINE, p[i].s,
		    p[i].len, PLOT_INK, p[i].bold);
}

unsigned char *
plot_png(const struct plot *pl, size_t *len, struct err *e)
{
	struct canvas c;
	struct png_image img;
	struct item it[NITEM];
	size_t nit = 0;
	const struct plot_rect *low = pl->spec.score ? &pl->sarea : &pl->area;
	unsigned char *out = NULL;
	int x, y, rings;

	c.w = pl->spec.width;
	c.h = pl->spec.height;
	if ((c.px = calloc((size_t)c.w * (size_t)c.h, 1)) == NULL) {
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	no_clip(&c);
	if (legend(pl, it, &nit, e) == -1)
		goto out;

	draw_grid(&c, pl, &pl->area, &pl->value);
	if (pl->spec.score)
		draw_grid(&c, pl, &pl->sarea, &pl->score);
	rect(&c, &pl->area, PLOT_FRAME);
	if (pl->spec.score)
		rect(&c, &pl->sarea, PLOT_FRAME);
	draw_time_labels(&c, pl, low);

	if ((rings = dense(pl)))
		draw_anomalies(&c, pl, 1);
	if (draw_series(&c, pl, PLOT_VALUE, &pl->area, &pl->value,
	    PLOT_SERIES, e) == -1)
		goto out;
	if (pl->spec.score) {
		if (pl->spec.threshold_set) {
			y = plot_y(&pl->score, &pl->sarea,
			    pl->spec.threshold);
			dashed(&c, pl->sarea.x0 + 1, pl->sarea.x1 - 1, y,
			    PLOT_THRESHOLD);
		}
		if (draw_series(&c, pl, PLOT_SCORES, &pl->sarea, &pl->score,
		    PLOT_SCORE, e) == -1)
			goto out;
	}
	if (!rings)
		draw_anomalies(&c, pl, 0);
	if (!has_data(pl, PLOT_VALUE)) {
		no_data_at(&pl->area, &x, &y);
		text(&c, x, y, NO_DATA, PLOT_INK, 0);
	}
	if (pl->spec.score && !has_data(pl, PLOT_SCORES)) {
		no_data_at(&pl->sarea, &x, &y);
		text(&c, x, y, NO_DATA, PLOT_INK, 0);
	}
	draw_title(&c, pl);
	draw_legend(&c, it, nit, rings);

	img.width = (uint32_t)c.w;
	img.height = (uint32_t)c.h;
	img.pixel = c.px;
	img.palette = plot_palette;
	img.ncolor = PLOT_NCOLOUR;
	out = png_encode(&img, len, e);
out:
	free_legend(it, nit);
	free(c.px);
	return out;
}

/* ---- the SVG renderer ---- */

struct buf {
	char	*d;
	size_t	 len, cap;
	int	 nomem;
};

static void
add(struct buf *b, const char *s, size_t n)
{
	char *nd;
	size_t cap;

	if (b->nomem)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((nd = realloc(b->d, cap)) == NULL) {
			b->nomem = 1;
			return;
		}
		b->d = nd;
		b->cap = cap;
	}
	memcpy(b->d + b->len, s, n);
	b->len += n;
	b->d[b->len] = '\0';
}

static void
adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

static void
addf(struct buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void
addf(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n :
		    sizeof tmp - 1);
}

/* Text for XML: escaped, control characters and bad UTF-8 as U+FFFD. */
static void
add_textn(struct buf *b, const char *s, size_t len)
{
	size_t i = 0, n;
	unsigned char ch;

	while (i < len) {
		ch = (unsigned char)s[i];
		if (ch == '&')
			adds(b, "&amp;");
		else if (ch == '<')
			adds(b, "&lt;");
		else if (ch == '>')
			adds(b, "&gt;");
		else if (ch >= 32 && ch < 127)
			add(b, s + i, 1);
		else if (ch >= 128 && (n = font_utf8(s + i, len - i)) > 0) {
			add(b, s + i, n);
			i += n;
			continue;
		} else
			adds(b, "\xef\xbf\xbd");
		i++;
	}
}

static void
add_text(struct buf *b, const char *s)
{
	add_textn(b, s, strlen(s));
}

static const char *
hex(int colour)
{
	static const char name[PLOT_NCOLOUR][8] = {
		"#ffffff", "#222222", "#e4e4e4", "#a0a0a0",
		"#1f5eaa", "#d62020", "#7550aa", "#f08c00"
	};

	return name[colour];
}

/* A text element with its top at Y, as the bitmap font would set it. */
static void
svg_text(struct buf *b, int x, int y, const char *anchor, const char *s,
    const char *extra)
{
	addf(b, "<text x=\"%d\" y=\"%d\"%s%s%s%s>", x, y + FONT_ASCENT,
	    anchor != NULL ? " text-anchor=\"" : "",
	    anchor != NULL ? anchor : "", anchor != NULL ? "\"" : "",
	    extra != NULL ? extra : "");
	add_text(b, s);
	adds(b, "</text>\n");
}

static int
svg_series(struct buf *b, const struct plot *pl, enum plot_which which,
    const struct plot_rect *r, const struct plot_axis *ax, int colour,
    struct err *e)
{
	struct plot_bin *bin;
	size_t i, nb;
	int x, y, ylo, yhi, py = 0, open = 0;

	if (plot_reduce(pl->p, pl->n, which, &pl->time, r->x1 - r->x0 + 1,
	    pl->gap, &bin, &nb, e) == -1)
		return -1;
	addf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1\""
	    " stroke-linejoin=\"round\" d=\"", hex(colour));
	for (i = 0; i < nb; i++) {
		x = r->x0 + bin[i].x;
		ylo = plot_y(ax, r, bin[i].lo);
		yhi = plot_y(ax, r, bin[i].hi);
		y = plot_y(ax, r, bin[i].first);
		if (!bin[i].join) {
			addf(b, "%sM%d.5 %d.5", open ? "\n" : "", x, y);
			open = 1;
		} else
			addf(b, "L%d.5 %d.5", x, y);
		py = y;
		if (ylo != yhi) {
			if (py != ylo)
				addf(b, "L%d.5 %d.5", x, ylo);
			addf(b, "L%d.5 %d.5", x, yhi);
			py = yhi;
		}
		y = plot_y(ax, r, bin[i].last);
		if (y != py)
			addf(b, "L%d.5 %d.5", x, y);
	}
	adds(b, "\"/>\n");

	/* A point alone between breaks: a dot, as in the PNG. */
	for (i = 0; i < nb; i++) {
		ylo = plot_y(ax, r, bin[i].lo);
		if (!bin[i].join && (i + 1 == nb || !bin[i + 1].join) &&
		    ylo == plot_y(ax, r, bin[i].hi))
			addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\" r=\"2.3\""
			    " fill=\"%s\"/>\n", r->x0 + bin[i].x, ylo,
			    hex(colour));
	}
	free(bin);
	return 0;
}

static void
svg_grid(struct buf *b, const struct plot *pl, const struct plot_rect *r,
    const struct plot_axis *ax)
{
	size_t i;
	int y, x;

	addf(b, "<path fill=\"none\" stroke=\"%s\" d=\"", hex(PLOT_GRID));
	for (i = 0; i < ax->n; i++) {
		y = plot_y(ax, r, ax->tick[i].v);
		addf(b, "M%d %d.5H%d", r->x0, y, r->x1 + 1);
	}
	for (i = 0; i < pl->time.n; i++) {
		x = plot_x(pl, pl->time.tick[i].t);
		addf(b, "M%d.5 %dV%d", x, r->y0, r->y1 + 1);
	}
	adds(b, "\"/>\n");
	addf(b, "<path fill=\"none\" stroke=\"%s\" d=\"", hex(PLOT_INK));
	for (i = 0; i < ax->n; i++) {
		y = plot_y(ax, r, ax->tick[i].v);
		addf(b, "M%d %d.5h%d", r->x0 - TICK, y, TICK);
	}
	adds(b, "\"/>\n");
	for (i = 0; i < ax->n; i++) {
		y = plot_y(ax, r, ax->tick[i].v);
		svg_text(b, r->x0 - TICK - LABEL_GAP, y - FONT_ASCENT / 2,
		    "end", ax->tick[i].label, NULL);
	}
	addf(b, "<rect x=\"%d.5\" y=\"%d.5\" width=\"%d\" height=\"%d\""
	    " fill=\"none\" stroke=\"%s\"/>\n", r->x0, r->y0, r->x1 - r->x0,
	    r->y1 - r->y0, hex(PLOT_FRAME));
}

static void
svg_time_labels(struct buf *b, const struct plot *pl,
    const struct plot_rect *r)
{
	const struct plot_tick *k;
	size_t i;
	int x, lx, slx, end = -1000, send = -1000;

	addf(b, "<path fill=\"none\" stroke=\"%s\" d=\"", hex(PLOT_INK));
	for (i = 0; i < pl->time.n; i++) {
		x = plot_x(pl, pl->time.tick[i].t);
		addf(b, "M%d.5 %dv%d", x, r->y1 + 1, TICK);
	}
	adds(b, "\"/>\n");
	for (i = 0; i < pl->time.n; i++) {
		k = &pl->time.tick[i];
		x = plot_x(pl, k->t);
		time_label(pl, k, x, &end, &send, &lx, &slx);
		if (lx > 0)
			svg_text(b, lx, pl->label_y, NULL, k->label, NULL);
		if (slx > 0)
			svg_text(b, slx, pl->label_y + FONT_LINE, NULL,
			    k->sub, NULL);
	}
}

static void
svg_anomalies(struct buf *b, const struct plot *pl, int rings)
{
	const struct plot_point *p;
	size_t i;
	int x, y, sy, px = -1, py = -1, psy = -1;

	/*
	 * A dot on the very place of the one before adds nothing to the
	 * picture, only to the file: a long run of anomalies on few pixels
	 * would otherwise make an SVG of many megabytes.
	 */
	for (i = 0; i < pl->n; i++) {
		p = &pl->p[i];
		if (p->anomaly != 1)
			continue;
		x = plot_x(pl, p->t);
		y = isnan(p->v) ? -2 : plot_y(&pl->value, &pl->area, p->v);
		sy = pl->spec.score && !isnan(p->score) ? plot_y(&pl->score,
		    &pl->sarea, p->score) : -2;
		if (x == px && y == py && sy == psy)
			continue;
		px = x;
		py = y;
		psy = sy;
		if (isnan(p->v))
			addf(b, "<rect x=\"%d\" y=\"%d\" width=\"3\""
			    " height=\"%d\" fill=\"%s\"/>\n", x - 1,
			    pl->area.y1 - MARK, MARK + 1, hex(PLOT_ANOMALY));
		else if (rings)
			addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\" r=\"2.6\""
			    " fill=\"none\" stroke=\"%s\""
			    " stroke-width=\"1.2\"/>\n", x, y,
			    hex(PLOT_ANOMALY));
		else
			addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\" r=\"3.2\""
			    " fill=\"%s\"/>\n", x, y, hex(PLOT_ANOMALY));
		if (sy >= 0)
			addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\" r=\"%s\""
			    " fill=\"%s\"/>\n", x, sy, rings ? "1.5" : "2.3",
			    hex(PLOT_ANOMALY));
	}
}

static void
svg_legend(struct buf *b, const struct item *it, size_t n, int rings)
{
	size_t i;
	int y;

	for (i = 0; i < n; i++) {
		y = it[i].y + FONT_ASCENT / 2;
		switch (it[i].sample) {
		case S_LINE:
			addf(b, "<path fill=\"none\" stroke=\"%s\""
			    " stroke-width=\"2\" d=\"M%d %dh%d\"/>\n",
			    hex(it[i].colour),
			    it[i].x, y + 1, SAMPLE);
			break;
		case S_DOT:
			if (rings)
				addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\""
				    " r=\"2.6\" fill=\"none\" stroke=\"%s\""
				    " stroke-width=\"1.2\"/>\n",
				    it[i].x + SAMPLE / 2, y,
				    hex(it[i].colour));
			else
				addf(b, "<circle cx=\"%d.5\" cy=\"%d.5\""
				    " r=\"3.2\" fill=\"%s\"/>\n",
				    it[i].x + SAMPLE / 2, y,
				    hex(it[i].colour));
			break;
		case S_DASH:
			addf(b, "<path fill=\"none\" stroke=\"%s\""
			    " stroke-width=\"2\" stroke-dasharray=\"%d %d\""
			    " d=\"M%d %dh%d\"/>\n",
			    hex(it[i].colour), DASH, DASH_GAP, it[i].x,
			    y + 1, SAMPLE);
			break;
		}
		svg_text(b, it[i].x + SAMPLE + 4, it[i].y, NULL, it[i].text,
		    NULL);
	}
}

static void
svg_title(struct buf *b, const struct plot *pl)
{
	struct piece p[MAXPIECES];
	size_t i, n;

	/*
	 * The subtitle on the title's line flows after it, as the viewer's
	 * bold font is not as wide as the bitmap's.
	 */
	place_title(pl, p, &n);
	for (i = 0; i < n; i++) {
		addf(b, "<text x=\"%d\" y=\"%d\">", p[i].x, pl->title_y +
		    p[i].line * FONT_LINE + FONT_ASCENT);
		if (p[i].bold)
			adds(b, "<tspan font-weight=\"bold\">");
		add_textn(b, p[i].s, p[i].len);
		if (p[i].bold)
			adds(b, "</tspan>");
		if (i + 1 < n && p[i + 1].line == p[i].line) {
			adds(b, " ");
			add_textn(b, p[i + 1].s, p[i + 1].len);
			i++;
		}
		adds(b, "</text>\n");
	}
}

char *
plot_svg(const struct plot *pl, size_t *len, struct err *e)
{
	struct buf b = { NULL, 0, 0, 0 };
	struct item it[NITEM];
	size_t nit = 0;
	const struct plot_rect *low = pl->spec.score ? &pl->sarea : &pl->area;
	int w = pl->spec.width, h = pl->spec.height, x, y, rings;

	if (legend(pl, it, &nit, e) == -1)
		return NULL;
	adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	addf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
	    " height=\"%d\" viewBox=\"0 0 %d %d\"", w, h, w, h);
	addf(&b, " font-family=\"DejaVu Sans Mono, monospace\""
	    " font-size=\"10\" fill=\"%s\">\n", hex(PLOT_INK));
	addf(&b, "<rect width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", w, h,
	    hex(PLOT_BG));
	svg_grid(&b, pl, &pl->area, &pl->value);
	if (pl->spec.score)
		svg_grid(&b, pl, &pl->sarea, &pl->score);
	svg_time_labels(&b, pl, low);
	if ((rings = dense(pl)))
		svg_anomalies(&b, pl, 1);
	if (svg_series(&b, pl, PLOT_VALUE, &pl->area, &pl->value,
	    PLOT_SERIES, e) == -1)
		goto fail;
	if (pl->spec.score) {
		if (pl->spec.threshold_set) {
			y = plot_y(&pl->score, &pl->sarea,
			    pl->spec.threshold);
			addf(&b, "<path fill=\"none\" stroke=\"%s\""
			    " stroke-dasharray=\"%d %d\" d=\"M%d %d.5H%d\"/>\n",
			    hex(PLOT_THRESHOLD), DASH, DASH_GAP,
			    pl->sarea.x0 + 1, y, pl->sarea.x1);
		}
		if (svg_series(&b, pl, PLOT_SCORES, &pl->sarea, &pl->score,
		    PLOT_SCORE, e) == -1)
			goto fail;
	}
	if (!rings)
		svg_anomalies(&b, pl, 0);
	if (!has_data(pl, PLOT_VALUE)) {
		no_data_at(&pl->area, &x, &y);
		svg_text(&b, x, y, NULL, NO_DATA, NULL);
	}
	if (pl->spec.score && !has_data(pl, PLOT_SCORES)) {
		no_data_at(&pl->sarea, &x, &y);
		svg_text(&b, x, y, NULL, NO_DATA, NULL);
	}
	svg_title(&b, pl);
	svg_legend(&b, it, nit, rings);
	adds(&b, "</svg>\n");
	if (b.nomem) {
		err_set(e, 0, 0, "out of memory");
		goto fail;
	}
	free_legend(it, nit);
	*len = b.len;
	return b.d;
fail:
	free_legend(it, nit);
	free(b.d);
	return NULL;
}
