/*
 * ts-plot - draw a time series, and the anomalies iforest-score found in
 * it, as a PNG or SVG picture on standard output.
 *
 * The whole input is read into memory (a point is 32 bytes, so a million
 * rows take 32 MB), checked, sorted by time if it is not, and drawn into
 * a picture in memory; only a complete picture is written.  A bad row
 * anywhere thus leaves standard output empty.
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "forest.h"
#include "model.h"
#include "num.h"
#include "plot.h"
#include "timestamp.h"

#define WIDTH		800
#define HEIGHT		400
#define HEIGHT_SCORE	520

struct options {
	const char *column;	/* -c, or NULL for the first value column */
	const char *time;	/* -t, or NULL for the first column */
	const char *item;	/* -n, or NULL for the value column's name */
	const char *title;	/* --title, or NULL for the default */
	const char *model;	/* -m */
	const char *input;	/* NULL or "-" for standard input */
	double	  threshold;	/* -T, or < 0; then the model's */
	int	  threshold_set;	/* there is one to draw */
	long	  width, height;	/* 0 for the default */
	int	  score;	/* -s */
	int	  svg;		/* -S */
	int	  verbose;
};

/* Where the columns the program reads are in a row; -1 for none. */
struct columns {
	long	  time;
	long	  value;
	long	  score;
	long	  anomaly;
	long	  score_read;	/* score, or -1 when not drawn, so unread */
};

struct data {
	struct plot_point *p;
	size_t	  n, cap;
	char	 *name;		/* the value column's name */
	char	 *time_name;	/* the time column's name */
	uint64_t  missing;	/* rows with no value */
};

static const char usage_text[] =
    "usage: ts-plot [-sSv] [-c column] [-H height] [-m model] [-n item]"
    " [-t column]\n"
    "               [-T threshold] [-W width] [--title=text] [file]\n";

static const char help_text[] =
    "\n"
    "Draw the time series in the CSV of FILE (standard input when FILE is\n"
    "absent or \"-\") as a PNG picture on standard output: the series as a\n"
    "line, broken where data is missing, and the rows that iforest-score\n"
    "flagged (anomaly = 1) as red dots.\n"
    "\n"
    "  -c, --column=NAME      the value column (default: the first that is\n"
    "                         not the time, score or anomaly)\n"
    "  -H, --height=PIXELS    the picture's height, 160 (240 with the score\n"
    "                         panel) to 8000; default 400, or 520 with it\n"
    "  -m, --model=MODEL      draw the threshold of the model (implies -s)\n"
    "  -n, --item=NAME        the item's name in the title (default: the\n"
    "                         value column's name)\n"
    "  -s, --score            add a panel with the score under the series\n"
    "                         (its threshold line needs -m or -T)\n"
    "  -S, --svg              write SVG instead of PNG\n"
    "  -t, --time=COLUMN      the time column (default: the first column)\n"
    "  -T, --threshold=T      draw the threshold T, 0 to 1 (implies -s;\n"
    "                         takes the place of the model's)\n"
    "      --title=TEXT       the whole title, instead of the item and the\n"
    "                         time span\n"
    "  -v, --verbose          report rows, the panels' places and the time\n"
    "                         taken on standard error\n"
    "  -W, --width=PIXELS     the picture's width, 240 to 8000 (default 800)\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "A row with an empty value is a gap in the line, and so is a step in\n"
    "time longer than 3 times the median step.  Times are shown in UTC.\n";

enum { OPT_HELP = 256, OPT_VERSION, OPT_TITLE };

static const struct option longopts[] = {
	{ "column",	required_argument, NULL, 'c' },
	{ "height",	required_argument, NULL, 'H' },
	{ "model",	required_argument, NULL, 'm' },
	{ "item",	required_argument, NULL, 'n' },
	{ "score",	no_argument,	   NULL, 's' },
	{ "svg",	no_argument,	   NULL, 'S' },
	{ "time",	required_argument, NULL, 't' },
	{ "threshold",	required_argument, NULL, 'T' },
	{ "title",	required_argument, NULL, OPT_TITLE },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "width",	required_argument, NULL, 'W' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

/* Read a size for option OPT into *V.  Returns 0, or -1 when it is bad. */
static int
size_arg(int opt, const char *arg, long min, long max, long *v)
{
	if (num_long(arg, min, max, v) != NULL) {
		diag_warn("-%c: the %s must be a whole number of pixels from"
		    " %ld to %ld, not \"%s\"", opt, opt == 'W' ? "width" :
		    "height", min, max, arg);
		return -1;
	}
	return 0;
}

/*
 * Read the options into *O.  Returns -1 when the program is to go on, or
 * the exit status when it is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	long min;
	int c;

	o->threshold = -1;
	while ((c = getopt_long(argc, argv, "c:H:m:n:sSt:T:vW:", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o->column = optarg;
			break;
		case 'H':
			if (size_arg(c, optarg, PLOT_MINHEIGHT, PLOT_MAXHEIGHT,
			    &o->height) == -1)
				return diag_usage(usage_text);
			break;
		case 'm':
			if (*optarg == '\0') {
				diag_warn("-m: the model file name is empty");
				return diag_usage(usage_text);
			}
			o->model = optarg;
			o->score = 1;
			break;
		case 'n':
			o->item = optarg;
			break;
		case 's':
			o->score = 1;
			break;
		case 'S':
			o->svg = 1;
			break;
		case 't':
			o->time = optarg;
			break;
		case 'T':
			if (num_double(optarg, &o->threshold) != NULL ||
			    o->threshold < 0 || o->threshold > 1) {
				diag_warn("-T: the threshold must be a number"
				    " from 0 to 1, not \"%s\"", optarg);
				return diag_usage(usage_text);
			}
			o->score = 1;
			break;
		case OPT_TITLE:
			o->title = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'W':
			if (size_arg(c, optarg, PLOT_MINWIDTH, PLOT_MAXWIDTH,
			    &o->width) == -1)
				return diag_usage(usage_text);
			break;
		case OPT_HELP:
			return diag_help(usage_text, help_text);
		case OPT_VERSION:
			return diag_version();
		default:
			return diag_usage(usage_text);
		}
	}
	min = o->score ? PLOT_MINSCORE : PLOT_MINHEIGHT;
	if (o->height != 0 && o->height < min) {
		diag_warn("-H: the height must be at least %ld pixels with"
		    " the score panel", min);
		return diag_usage(usage_text);
	}
	if ((c = diag_operand(argc, argv, optind, usage_text,
	    &o->input)) != -1)
		return c;
	if (diag_stdin_twice(o->model, o->input)) {
		diag_warn("the model and the CSV cannot both come from"
		    " standard input");
		return diag_usage(usage_text);
	}
	return -1;
}

/*
 * Check that column COL (none when -1) of the header has a name no other
 * column has: a file scored twice has two "anomaly" columns, and which is
 * meant cannot be told.  Returns 0, or -1 with the message printed.
 */
static int
check_unique(const char *file, const struct csv_record *hdr, long col)
{
	size_t i, n = 0;

	if (col < 0 || hdr->len[col] == 0)
		return 0;
	for (i = 0; i < hdr->nfield; i++)
		if (hdr->len[i] == hdr->len[col] && memcmp(hdr->field[i],
		    hdr->field[col], hdr->len[col]) == 0)
			n++;
	if (n > 1) {
		diag_at(file, hdr->line, "column \"%s\" appears %zu times in"
		    " the header", hdr->field[col], n);
		return -1;
	}
	return 0;
}

/* The column named NAME, or -1 with the message printed. */
static long
named(const char *file, const struct csv_record *hdr, const char *name)
{
	long c;

	if ((c = csv_find(hdr, name)) < 0)
		diag_at(file, hdr->line, "no column \"%s\" in the header",
		    name);
	return c;
}

/*
 * Find the columns in the header HDR.  Returns 0, or -1 with the message
 * printed.
 */
static int
find_columns(const char *file, const struct options *o,
    const struct csv_record *hdr, struct columns *col)
{
	size_t i;

	col->score = csv_find(hdr, "score");
	col->anomaly = csv_find(hdr, "anomaly");
	col->time = 0;
	if (o->time != NULL && (col->time = named(file, hdr, o->time)) < 0)
		return -1;
	if (col->time == col->score || col->time == col->anomaly) {
		diag_at(file, hdr->line, "column \"%s\" is iforest-score's"
		    " output, not the time", hdr->field[col->time]);
		return -1;
	}

	if (o->column != NULL) {
		if ((col->value = named(file, hdr, o->column)) < 0)
			return -1;
		if (col->value == col->time) {
			diag_at(file, hdr->line, "column \"%s\" is the time,"
			    " not a value", o->column);
			return -1;
		}
	} else {
		for (i = 0; i < hdr->nfield; i++)
			if ((long)i != col->time && (long)i != col->score &&
			    (long)i != col->anomaly)
				break;
		if (i == hdr->nfield) {
			diag_at(file, hdr->line, "no value column: the header"
			    " has only the time, score and anomaly");
			return -1;
		}
		col->value = (long)i;
	}
	if (o->score && col->score < 0) {
		diag_at(file, hdr->line, "no column \"score\" in the header:"
		    " the score panel needs iforest-score's output");
		return -1;
	}

	if (check_unique(file, hdr, col->time) == -1 ||
	    check_unique(file, hdr, col->value) == -1 ||
	    check_unique(file, hdr, col->score) == -1 ||
	    check_unique(file, hdr, col->anomaly) == -1)
		return -1;
	return 0;
}

/*
 * The number in field COL, named NAME, of REC into *V: NaN when the field
 * is empty.  Returns 0, or -1 with the message printed.
 */
static int
number(const char *file, const struct csv_record *rec, long col,
    char *name, double *v)
{
	struct err e;
	size_t c = (size_t)col;
	int rc;

	if ((rc = csv_numbers(rec, &c, &name, 1, v, &e)) == -1) {
		diag_err(file, &e);
		return -1;
	}
	if (rc == 0)
		*v = NAN;
	return 0;
}

/* Append P to D.  Returns 0, or -1 with the message printed. */
static int
add_point(struct data *d, const struct plot_point *p)
{
	struct plot_point *np;
	size_t cap;

	if (d->n == d->cap) {
		cap = d->cap ? d->cap * 2 : 4096;
		if (cap > SIZE_MAX / sizeof *np ||
		    (np = realloc(d->p, cap * sizeof *np)) == NULL) {
			diag_sys("out of memory");
			return -1;
		}
		d->p = np;
		d->cap = cap;
	}
	d->p[d->n++] = *p;
	return 0;
}

/*
 * The anomaly flag in field COL of REC: 1, or 0 for "0" and for an empty
 * field (a row iforest-score could not score).  Returns 0, or -1 with the
 * message printed.
 */
static int
flag(const char *file, const struct csv_record *rec, long col, int *a)
{
	const char *s;
	size_t len;

	*a = 0;
	if (col < 0)
		return 0;
	s = rec->field[col];
	len = rec->len[col];
	if (strcmp(s, "1") == 0)
		*a = 1;
	else if (strcmp(s, "0") != 0 && len != 0) {
		diag_at(file, rec->line, "anomaly is \"%.*s%s\", expected 0"
		    " or 1", err_shown(s, len), s, len > ERR_SHOWN ? "..." :
		    "");
		return -1;
	}
	return 0;
}

/* Read one data row REC into D.  Returns 0, or -1 with the message. */
static int
take_row(const char *file, const struct csv_record *rec,
    const struct columns *col, struct data *d)
{
	static char score_name[] = "score";
	struct plot_point p;
	const char *s = rec->field[col->time], *why;
	size_t len = rec->len[col->time];

	if ((why = time_parse(s, len, &p.t)) != NULL) {
		diag_at(file, rec->line, "bad time \"%.*s%s\" in column"
		    " \"%s\": %s", err_shown(s, len), s, len > ERR_SHOWN ?
		    "..." : "", d->time_name, why);
		return -1;
	}
	if (number(file, rec, col->value, d->name, &p.v) == -1)
		return -1;
	p.score = NAN;
	if (col->score_read >= 0 && number(file, rec, col->score_read,
	    score_name, &p.score) == -1)
		return -1;
	if (flag(file, rec, col->anomaly, &p.anomaly) == -1)
		return -1;
	if (isnan(p.v))
		d->missing++;
	return add_point(d, &p);
}

/*
 * Read the header and every row of FD into D; *COL gets the columns.
 * Returns 0, or -1 with the message printed.
 */
static int
read_data(int fd, const struct options *o, struct data *d,
    struct columns *col)
{
	const char *file = diag_name(o->input);
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	int got, rc = -1;

	if ((r = csv_open(fd, 0)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	if (csv_header(r, &rec, &e) == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (find_columns(file, o, &rec, col) == -1)
		goto out;
	col->score_read = o->score ? col->score : -1;
	if ((d->name = strdup(rec.field[col->value])) == NULL ||
	    (d->time_name = strdup(rec.field[col->time])) == NULL) {
		diag_sys("out of memory");
		goto out;
	}

	while ((got = csv_read(r, &rec, &e)) == 1)
		if (take_row(file, &rec, col, d) == -1)
			goto out;
	if (got == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (d->n == 0) {
		diag_at(file, 0, "no rows after the header: nothing to plot");
		goto out;
	}
	rc = 0;
out:
	csv_close(r);
	return rc;
}

/*
 * Put the points in time order, keeping the order of the input among
 * equal times: a merge sort, as the input is most often sorted already
 * (and then nothing is done at all).
 */
static int
sort_points(struct data *d)
{
	struct plot_point *tmp, *from, *to, *swap;
	size_t i, w, lo, mid, hi, a, b, k, n = d->n;

	for (i = 1; i < n; i++)
		if (d->p[i].t < d->p[i - 1].t)
			break;
	if (i >= n)
		return 0;
	if ((tmp = malloc(n * sizeof *tmp)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	from = d->p;
	to = tmp;
	for (w = 1; w < n; w *= 2) {
		for (lo = 0; lo < n; lo += 2 * w) {
			mid = lo + w < n ? lo + w : n;
			hi = mid + w < n ? mid + w : n;
			for (a = lo, b = mid, k = lo; k < hi; k++)
				if (a < mid && (b >= hi ||
				    from[a].t <= from[b].t))
					to[k] = from[a++];
				else
					to[k] = from[b++];
		}
		swap = from;
		from = to;
		to = swap;
	}
	if (from != d->p)
		memcpy(d->p, from, n * sizeof *d->p);
	free(tmp);
	return 0;
}

/* The UTC time T as "2024-05-02 00:00:00". */
static void
show_time(char *buf, int64_t t)
{
	size_t len = time_format(buf, t);

	buf[10] = ' ';
	buf[len - 1] = '\0';
}

/* The time span under the title: "FROM to TO UTC", or "at T UTC". */
static char *
span(const struct data *d)
{
	char from[TIME_BUFSZ], to[TIME_BUFSZ], *s;
	size_t n = 2 * TIME_BUFSZ + 16;

	if ((s = malloc(n)) == NULL)
		return NULL;
	show_time(from, d->p[0].t);
	show_time(to, d->p[d->n - 1].t);
	if (d->p[0].t == d->p[d->n - 1].t)
		snprintf(s, n, "at %s UTC", from);
	else
		snprintf(s, n, "%s to %s UTC", from, to);
	return s;
}

/*
 * The threshold to draw: -T, else the model's, read before the data so
 * that a bad model is found at once.  Returns 0, or -1 when the model
 * cannot be read, with the message printed.
 */
static int
threshold(struct options *o)
{
	struct iforest *f;
	struct err e;

	if (o->threshold >= 0)
		o->threshold_set = 1;
	if (o->threshold >= 0 || o->model == NULL)
		return 0;
	if ((f = model_load(o->model, &e)) == NULL) {
		diag_err(o->model, &e);
		return -1;
	}
	o->threshold = f->threshold;
	o->threshold_set = 1;
	iforest_free(f);
	return 0;
}

/* How many steps between points with a value the line does not bridge. */
static size_t
count_gaps(const struct plot *pl)
{
	size_t i, n = 0, prev = SIZE_MAX;
	int broken = 0;

	for (i = 0; i < pl->n; i++) {
		if (isnan(pl->p[i].v)) {
			broken = 1;
			continue;
		}
		if (prev != SIZE_MAX && (broken ||
		    pl->p[i].t - pl->p[prev].t > pl->gap))
			n++;
		broken = 0;
		prev = i;
	}
	return n;
}

static void
report_panel(const char *what, const struct plot_rect *r,
    const struct plot_axis *ax)
{
	char lo[NUM_BUFSZ], hi[NUM_BUFSZ];

	num_format(lo, ax->lo);
	num_format(hi, ax->hi);
	diag_warn("%s %d,%d to %d,%d: %s at the bottom, %s at the top", what,
	    r->x0, r->y0, r->x1, r->y1, lo, hi);
}

static void
report(const struct options *o, const struct data *d, const struct plot *pl,
    size_t bytes, double took)
{
	char t0[TIME_BUFSZ], t1[TIME_BUFSZ], gap[NUM_BUFSZ];

	diag_warn("%s: %zu row%s, %llu without a value, %zu anomalous",
	    diag_name(o->input), d->n, diag_plural(d->n),
	    (unsigned long long)d->missing, pl->nanomaly);
	report_panel("series panel", &pl->area, &pl->value);
	if (pl->spec.score)
		report_panel("score panel", &pl->sarea, &pl->score);
	time_format(t0, pl->time.t0);
	time_format(t1, pl->time.t1);
	diag_warn("time %s at the left, %s at the right", t0, t1);
	if (pl->gap == INT64_MAX)
		diag_warn("no step breaks the line");
	else {
		num_format(gap, (double)pl->gap / 1e6);
		diag_warn("a step over %s s breaks the line: %zu gap%s", gap,
		    count_gaps(pl), diag_plural(count_gaps(pl)));
	}
	diag_warn("%dx%d %s of %zu byte%s in %.3f s", pl->spec.width,
	    pl->spec.height, o->svg ? "SVG" : "PNG", bytes,
	    diag_plural(bytes), took);
}

/* Draw the picture of D and write it.  Returns the exit status. */
static int
draw(const struct options *o, const struct data *d,
    const struct columns *col, double start)
{
	struct plot_spec spec;
	struct plot pl;
	struct err e;
	char *sub = NULL;
	void *out;
	size_t len;
	int status;

	memset(&spec, 0, sizeof spec);
	spec.width = o->width ? (int)o->width : WIDTH;
	spec.height = o->height ? (int)o->height : o->score ? HEIGHT_SCORE :
	    HEIGHT;
	spec.name = *d->name != '\0' ? d->name : "value";
	spec.title = o->item != NULL ? o->item : spec.name;
	if (o->title != NULL)
		spec.title = o->title;
	else if ((spec.subtitle = sub = span(d)) == NULL) {
		diag_sys("out of memory");
		return EXIT_FAIL;
	}
	spec.anomalies = col->anomaly >= 0;
	spec.score = o->score;
	spec.threshold_set = o->threshold_set;
	spec.threshold = o->threshold;

	if (plot_layout(&pl, &spec, d->p, d->n, &e) == -1)
		out = NULL;
	else if (o->svg)
		out = plot_svg(&pl, &len, &e);
	else
		out = plot_png(&pl, &len, &e);
	if (out == NULL) {
		diag_err(NULL, &e);
		free(sub);
		return EXIT_FAIL;
	}
	fwrite(out, 1, len, stdout);
	free(out);
	status = diag_close_stdout();
	if (status == EXIT_OK && o->verbose)
		report(o, d, &pl, len, time_clock() - start);
	free(sub);
	return status;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct data d;
	struct columns col;
	double start = time_clock();
	int fd, status, rc;

	diag_init(argv[0]);
	/* getopt's own messages name argv[0]; make it the short name. */
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	memset(&d, 0, sizeof d);
	if ((status = parse_options(argc, argv, &o)) != -1)
		return status;

	/* A PNG on a terminal is noise, and may upset it: as gzip does. */
	if (!o.svg && isatty(STDOUT_FILENO)) {
		diag_warn("will not write a PNG picture to a terminal:"
		    " redirect standard output, or use -S for SVG");
		return diag_usage(usage_text);
	}

	if (threshold(&o) == -1)
		return EXIT_FAIL;
	if ((fd = diag_open_input(o.input)) == -1)
		return EXIT_FAIL;
	rc = read_data(fd, &o, &d, &col);
	diag_close_input(fd);
	if (rc == 0)
		rc = sort_points(&d);
	status = rc == 0 ? draw(&o, &d, &col, start) : EXIT_FAIL;
	free(d.p);
	free(d.name);
	free(d.time_name);
	return status;
}
