/*
 * gen - a seeded synthetic time series with planted anomalies, for the
 * benchmark.
 *
 * usage: gen [-j] [-f features] [-l labels] [-n rows] [-r seed]
 *
 * Writes CSV "time,x1,...,xF" to standard output, one row a minute from
 * 2024-01-01T00:00:00Z, or with -j the same points as one JSON-RPC 2.0
 * response holding a Clarify data frame.  With -l, the truth goes to the
 * file LABELS apart from the data: a header "label", then 1 for a row
 * inside a planted anomaly and 0 for any other, a line per row, so that
 * the data can be scored as it is and the AUC computed afterwards.
 *
 * Every feature follows one hidden signal, a daily cycle plus a slow
 * AR(1) wander, through its own gain and offset, plus its own noise.
 * Anomalies start at random, about one event per thousand rows:
 *
 *	spike	one row, one feature, 5 to 9 spreads away
 *	shift	10 to 40 rows of every feature raised by 2 to 4 spreads
 *	break	5 to 20 rows in which one feature turns against the others
 *		(with one feature: a spike instead)
 *
 * The same options give the same bytes on every machine: the generator
 * is SplitMix64 and the numbers are written with three decimals by hand.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "num.h"

#define PI	3.14159265358979323846
#define DAY	1440		/* rows in a day */

static const char usage_text[] =
    "usage: gen [-j] [-f features] [-l labels] [-n rows] [-r seed]\n";

static uint64_t state;

static uint64_t
next(void)
{
	uint64_t z = (state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double
uniform(void)
{
	return (double)(next() >> 11) * (1.0 / 9007199254740992.0);
}

/* Standard normal, Box-Muller; the second value is thrown away. */
static double
normal(void)
{
	double u = uniform(), v = uniform();

	return sqrt(-2 * log(1 - u)) * cos(2 * PI * v);
}

/* V with three decimals into P; returns the end. */
static char *
put3(char *p, double v)
{
	long long q = llround(v * 1000);
	char tmp[24];
	int n = 0;

	if (q < 0) {
		*p++ = '-';
		q = -q;
	}
	do {
		tmp[n++] = (char)('0' + q % 10);
		q /= 10;
	} while (q > 0 || n < 4);
	while (n > 3)
		*p++ = tmp[--n];
	*p++ = '.';
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* The RFC 3339 time of row I into P (20 bytes); returns the end. */
static char *
put_time(char *p, uint64_t i)
{
	static long long lastday = -1;
	static char date[16];
	long long t = 1704067200LL + (long long)i * 60, day = t / 86400;
	long s = (long)(t % 86400);
	time_t tt;
	struct tm tm;

	if (day != lastday) {
		tt = (time_t)t;
		gmtime_r(&tt, &tm);
		strftime(date, sizeof date, "%Y-%m-%dT", &tm);
		lastday = day;
	}
	memcpy(p, date, 11);
	p += 11;
	*p++ = (char)('0' + s / 36000);
	*p++ = (char)('0' + s / 3600 % 10);
	*p++ = ':';
	*p++ = (char)('0' + s / 600 % 6);
	*p++ = (char)('0' + s / 60 % 10);
	memcpy(p, ":00Z", 4);
	return p + 4;
}

struct event {
	int	 kind;		/* 0 none, 1 spike, 2 shift, 3 break */
	long	 left;		/* rows still to come */
	size_t	 feature;
	double	 size;
};

/* One row of F values into X; returns 1 inside an anomaly. */
static int
row(uint64_t i, size_t f, const double *gain, const double *off,
    double *wander, struct event *ev, double *x)
{
	double z, u;
	size_t j;

	*wander = 0.999 * *wander + 0.02 * normal();
	z = sin(2 * PI * (double)(i % DAY) / DAY) + *wander;
	for (j = 0; j < f; j++)
		x[j] = gain[j] * z + off[j] + 0.1 * normal();

	if (ev->left == 0 && uniform() < 0.001) {
		u = uniform();
		ev->feature = (size_t)(uniform() * (double)f);
		if (u < 1.0 / 3 || (u >= 2.0 / 3 && f == 1)) {
			ev->kind = 1;
			ev->left = 1;
			ev->size = (5 + 4 * uniform()) *
			    (uniform() < 0.5 ? -1 : 1);
		} else if (u < 2.0 / 3) {
			ev->kind = 2;
			ev->left = 10 + (long)(uniform() * 31);
			ev->size = 2 + 2 * uniform();
		} else {
			ev->kind = 3;
			ev->left = 5 + (long)(uniform() * 16);
		}
	}
	if (ev->left == 0)
		return 0;
	ev->left--;
	switch (ev->kind) {
	case 1:
		x[ev->feature] += ev->size * 0.75 * gain[ev->feature];
		break;
	case 2:
		for (j = 0; j < f; j++)
			x[j] += ev->size * 0.75 * gain[j];
		break;
	default:
		j = ev->feature;
		x[j] = -gain[j] * z + off[j] + 0.1 * normal();
		break;
	}
	return 1;
}

static int
number(const char *s, long max, long *v)
{
	if (num_long(s, 0, max, v) != NULL) {
		fprintf(stderr, "gen: not a number from 0 to %ld: %s\n", max,
		    s);
		return -1;
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	const char *labels = NULL;
	FILE *lf = NULL;
	double *gain, *off, *x, *all = NULL, wander = 0;
	struct event ev = { 0, 0, 0, 0 };
	char *buf, *p, *lab = NULL;
	long nrow = 1000, nf = 1, seed = 1;
	size_t f, j, cap;
	uint64_t i;
	int c, json = 0;

	while ((c = getopt(argc, argv, "f:jl:n:r:")) != -1) {
		switch (c) {
		case 'f':
			if (number(optarg, 1000, &nf) == -1 || nf == 0)
				return 2;
			break;
		case 'j':
			json = 1;
			break;
		case 'l':
			labels = optarg;
			break;
		case 'n':
			if (number(optarg, 1000000000L, &nrow) == -1)
				return 2;
			break;
		case 'r':
			if (number(optarg, 1000000000L, &seed) == -1)
				return 2;
			break;
		default:
			fputs(usage_text, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage_text, stderr);
		return 2;
	}
	f = (size_t)nf;
	state = (uint64_t)seed;
	cap = 32 + f * 32;
	gain = calloc(f, sizeof *gain);
	off = calloc(f, sizeof *off);
	x = calloc(f, sizeof *x);
	buf = malloc(cap);
	if (gain == NULL || off == NULL || x == NULL || buf == NULL)
		goto nomem;
	for (j = 0; j < f; j++) {
		gain[j] = 0.5 + 2 * uniform();
		off[j] = 10 * uniform() - 5;
	}
	if (labels != NULL && (lf = fopen(labels, "w")) == NULL) {
		perror(labels);
		return 1;
	}
	if (lf != NULL)
		fputs("label\n", lf);

	if (json) {
		/* A frame is column by column: keep the rows first. */
		all = calloc((size_t)nrow, f * sizeof *all);
		lab = malloc((size_t)nrow + 1);
		if (all == NULL || lab == NULL)
			goto nomem;
		for (i = 0; i < (uint64_t)nrow; i++)
			lab[i] = (char)('0' + row(i, f, gain, off, &wander,
			    &ev, all + i * f));
		fputs("{\"jsonrpc\":\"2.0\",\"id\":\"1\",\"result\":"
		    "{\"meta\":{},\"data\":{\"times\":[", stdout);
		for (i = 0; i < (uint64_t)nrow; i++) {
			p = buf;
			if (i > 0)
				*p++ = ',';
			*p++ = '"';
			p = put_time(p, i);
			*p++ = '"';
			fwrite(buf, 1, (size_t)(p - buf), stdout);
		}
		fputs("],\"series\":{", stdout);
		for (j = 0; j < f; j++) {
			printf("%s\"x%zu\":[", j > 0 ? "," : "", j + 1);
			for (i = 0; i < (uint64_t)nrow; i++) {
				p = buf;
				if (i > 0)
					*p++ = ',';
				p = put3(p, all[i * f + j]);
				fwrite(buf, 1, (size_t)(p - buf), stdout);
			}
			fputs("]", stdout);
		}
		fputs("}}}}\n", stdout);
		if (lf != NULL)
			for (i = 0; i < (uint64_t)nrow; i++)
				fprintf(lf, "%c\n", lab[i]);
	} else {
		fputs("time", stdout);
		for (j = 0; j < f; j++)
			printf(",x%zu", j + 1);
		putchar('\n');
		for (i = 0; i < (uint64_t)nrow; i++) {
			c = row(i, f, gain, off, &wander, &ev, x);
			p = put_time(buf, i);
			for (j = 0; j < f; j++) {
				*p++ = ',';
				p = put3(p, x[j]);
			}
			*p++ = '\n';
			fwrite(buf, 1, (size_t)(p - buf), stdout);
			if (lf != NULL) {
				putc('0' + c, lf);
				putc('\n', lf);
			}
		}
	}
	if (fflush(stdout) == EOF || ferror(stdout) ||
	    (lf != NULL && fclose(lf) == EOF)) {
		perror("gen: write error");
		return 1;
	}
	free(all);
	free(lab);
	free(gain);
	free(off);
	free(x);
	free(buf);
	return 0;
nomem:
	perror("gen");
	return 1;
}
