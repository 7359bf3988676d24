/*
 * auc - the area under the ROC curve of a score column against a label
 * column of a CSV file, for the accuracy tests.
 *
 * usage: auc -l label -s score [file]
 *
 * A label is "anomaly" or 1 (positive), "nominal" or 0 (negative).  The
 * AUC is the chance that a random anomaly scores above a random nominal
 * row, ties counted half.  It is printed with six decimals.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "num.h"

static const char usage_text[] = "usage: auc -l label -s score [file]\n";

struct pair {
	double	 score;
	int	 positive;
};

static int
cmp_pair(const void *a, const void *b)
{
	double x = ((const struct pair *)a)->score;
	double y = ((const struct pair *)b)->score;

	return (x > y) - (x < y);
}

/* 1 for an anomaly, 0 for a nominal row, -1 for anything else. */
static int
label_of(const char *s)
{
	if (strcmp(s, "anomaly") == 0 || strcmp(s, "1") == 0)
		return 1;
	if (strcmp(s, "nominal") == 0 || strcmp(s, "0") == 0)
		return 0;
	return -1;
}

/*
 * Walk the pairs by rising score; a group of equal scores holding p
 * anomalies and n nominal rows wins p times every nominal row below it
 * and ties its own n half each.
 */
static double
auc(struct pair *p, size_t n, size_t npos)
{
	size_t i, j, pos, neg, below = 0;
	double wins = 0;

	qsort(p, n, sizeof *p, cmp_pair);
	for (i = 0; i < n; i = j) {
		pos = neg = 0;
		for (j = i; j < n && p[j].score == p[i].score; j++) {
			pos += p[j].positive;
			neg += !p[j].positive;
		}
		wins += (double)pos * (double)below + 0.5 * (double)pos *
		    (double)neg;
		below += neg;
	}
	return wins / ((double)npos * (double)(n - npos));
}

int
main(int argc, char *argv[])
{
	const char *label = NULL, *score = NULL, *file = NULL, *why;
	struct csv_reader *r;
	struct csv_record rec;
	struct pair *p = NULL, *np;
	size_t n = 0, cap = 0, npos = 0;
	long lc, sc;
	struct err e;
	char buf[NUM_BUFSZ];
	int c, fd = STDIN_FILENO, rc;

	diag_init(argv[0]);
	if (argc == 2 && strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		fputs("\nPrint the ROC AUC of column SCORE against column "
		    "LABEL\n(anomaly or 1, nominal or 0), ties counted "
		    "half.\n", stdout);
		return diag_close_stdout();
	}
	while ((c = getopt(argc, argv, "l:s:")) != -1) {
		switch (c) {
		case 'l':
			label = optarg;
			break;
		case 's':
			score = optarg;
			break;
		default:
			return diag_usage(usage_text);
		}
	}
	if (label == NULL || score == NULL || argc - optind > 1)
		return diag_usage(usage_text);
	file = optind < argc ? argv[optind] : NULL;
	if (file != NULL && strcmp(file, "-") != 0 &&
	    (fd = open(file, O_RDONLY)) == -1) {
		diag_sys("%s", file);
		return EXIT_FAIL;
	}
	if ((r = csv_open(fd, 0)) == NULL) {
		diag_warn("out of memory");
		return EXIT_FAIL;
	}
	if ((rc = csv_read(r, &rec, &e)) != 1) {
		if (rc == 0)
			diag_at(file, 0, "empty input: expected a header");
		else
			diag_err(file, &e);
		return EXIT_FAIL;
	}
	if ((lc = csv_find(&rec, label)) < 0 ||
	    (sc = csv_find(&rec, score)) < 0) {
		diag_at(file, rec.line, "no column \"%s\" in the header",
		    lc < 0 ? label : score);
		return EXIT_FAIL;
	}

	while ((rc = csv_read(r, &rec, &e)) == 1) {
		if (n == cap) {
			cap = cap == 0 ? 1024 : 2 * cap;
			if ((np = realloc(p, cap * sizeof *p)) == NULL) {
				diag_warn("out of memory");
				return EXIT_FAIL;
			}
			p = np;
		}
		if ((p[n].positive = label_of(rec.field[lc])) < 0) {
			diag_at(file, rec.line, "label \"%s\" is not anomaly,"
			    " nominal, 1 or 0", rec.field[lc]);
			return EXIT_FAIL;
		}
		if ((why = num_double(rec.field[sc], &p[n].score)) != NULL) {
			diag_at(file, rec.line, "score \"%s\": %s",
			    rec.field[sc], why);
			return EXIT_FAIL;
		}
		npos += (size_t)p[n].positive;
		n++;
	}
	if (rc == -1) {
		diag_err(file, &e);
		return EXIT_FAIL;
	}
	if (npos == 0 || npos == n) {
		diag_at(file, 0, "the AUC needs both anomalies and nominal "
		    "rows");
		return EXIT_FAIL;
	}
	num_fixed(buf, auc(p, n, npos), 6);
	printf("%s\n", buf);
	csv_close(r);
	free(p);
	if (fd != STDIN_FILENO)
		close(fd);
	return diag_close_stdout();
}
