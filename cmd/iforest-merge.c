/*
 * iforest-merge - put together forests trained apart into one model.
 *
 * Each model is read in full and checked by model_read; the trees are
 * then copied into one forest (lib/merge.h).  A fractional contamination
 * places the threshold on the scores of a sample of rows, read as
 * iforest-score reads rows; only the scores are kept, one double a row.
 * The model is written like iforest-train writes it: into a temporary
 * file renamed into place, so a failure leaves the old model as it was.
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "diag.h"
#include "forest.h"
#include "merge.h"
#include "model.h"
#include "num.h"

struct options {
	double	  contamination;	/* < 0 for "auto" */
	const char *sample;		/* -S, or NULL */
	const char *output;
	int	  verbose;
};

static const char usage_text[] =
    "usage: iforest-merge [-v] [-c contamination -S sample] -o model"
    " model ...\n";

static const char help_text[] =
    "\n"
    "Merge forests trained apart, on parts of the data, into one model\n"
    "of all their trees.  The models must have the same features in the\n"
    "same order and trees of the same number of rows.\n"
    "\n"
    "  -c, --contamination=C  \"auto\" (threshold 0.5, the default) or a\n"
    "                         fraction in (0, 0.5]: the threshold is then\n"
    "                         placed on the rows of the sample\n"
    "  -o, --output=MODEL     the model file to write (\"-\": standard\n"
    "                         output)\n"
    "  -S, --sample=FILE      CSV rows on which to place the threshold\n"
    "                         (\"-\": standard input)\n"
    "  -v, --verbose          report models, trees, rows and threshold\n"
    "                         on standard error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "A model operand \"-\" is read from standard input.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "contamination", required_argument, NULL, 'c' },
	{ "output",	required_argument, NULL, 'o' },
	{ "sample",	required_argument, NULL, 'S' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

/*
 * Read the options into *O.  Returns -1 to go on, or the exit status
 * when the program is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	struct err e;
	int c, i, stdins;

	o->contamination = -1;
	while ((c = getopt_long(argc, argv, "c:o:S:v", longopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'c':
			if (iforest_contamination(optarg, &o->contamination,
			    &e) == -1) {
				diag_warn("%s, not \"%s\"", e.msg, optarg);
				return diag_usage(usage_text);
			}
			break;
		case 'o':
			if (*optarg == '\0') {
				diag_warn("-o: the model file name is empty");
				return diag_usage(usage_text);
			}
			o->output = optarg;
			break;
		case 'S':
			o->sample = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_HELP:
			return diag_help(usage_text, help_text);
		case OPT_VERSION:
			return diag_version();
		default:
			return diag_usage(usage_text);
		}
	}
	if (o->output == NULL) {
		diag_warn("no model file given: -o model is required");
		return diag_usage(usage_text);
	}
	if (optind >= argc) {
		diag_warn("no model to merge");
		return diag_usage(usage_text);
	}
	if (o->contamination > 0 && o->sample == NULL) {
		diag_warn("a fractional contamination needs a sample (-S) to"
		    " place the threshold on");
		return diag_usage(usage_text);
	}
	if (o->contamination < 0 && o->sample != NULL) {
		diag_warn("a sample (-S) is only read for a fractional"
		    " contamination (-c)");
		return diag_usage(usage_text);
	}
	stdins = o->sample != NULL && strcmp(o->sample, "-") == 0;
	for (i = optind; i < argc; i++)
		stdins += strcmp(argv[i], "-") == 0;
	if (stdins > 1) {
		diag_warn("standard input can be read only once");
		return diag_usage(usage_text);
	}
	return -1;
}

/* Append V to the growing array *S of *N scores, *CAP of room. */
static int
push(double **s, size_t *n, size_t *cap, double v)
{
	double *p;
	size_t c;

	if (*n == *cap) {
		c = *cap == 0 ? 4096 : *cap;
		if (c > SIZE_MAX / 2 / sizeof **s)
			return -1;
		if ((p = realloc(*s, 2 * c * sizeof **s)) == NULL)
			return -1;
		*s = p;
		*cap = 2 * c;
	}
	(*s)[(*n)++] = v;
	return 0;
}

/*
 * Score the rows of the sample with F and place F's threshold on them.
 * A row with an empty feature field is skipped, as iforest-train skips
 * it.  Returns 0, or -1 with the message printed.
 */
static int
place(struct iforest *f, const struct options *o, uint64_t *skipped)
{
	const char *file = diag_name(o->sample);
	struct csv_reader *r = NULL;
	struct csv_record rec;
	struct err e;
	double *x = NULL, *s = NULL;
	size_t *col = NULL, n = 0, cap = 0;
	int fd, rc = -1, got;

	if ((fd = diag_open_input(o->sample)) == -1)
		return -1;
	if ((r = csv_open(fd, 0)) == NULL ||
	    (x = calloc(f->nfeature, sizeof *x)) == NULL ||
	    (col = calloc(f->nfeature, sizeof *col)) == NULL) {
		diag_sys("out of memory");
		goto out;
	}
	if (csv_header(r, &rec, &e) == -1) {
		diag_err(file, &e);
		goto out;
	}
	/* Out of memory (line 0) is not the file's fault. */
	if (csv_columns(&rec, f->feature, f->nfeature, "the models need it",
	    col, &e) == -1) {
		diag_err(e.line > 0 ? file : NULL, &e);
		goto out;
	}
	while ((got = csv_read(r, &rec, &e)) == 1) {
		got = csv_numbers(&rec, col, f->feature, f->nfeature, x, &e);
		if (got == -1) {
			diag_err(file, &e);
			goto out;
		}
		if (got == 0) {
			(*skipped)++;
			continue;
		}
		if (push(&s, &n, &cap, iforest_score(f, x)) == -1) {
			diag_sys("out of memory for the sample's scores");
			goto out;
		}
	}
	if (got == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (n == 0) {
		diag_at(file, 0, "no rows in the sample to place the"
		    " threshold on");
		goto out;
	}
	if (merge_threshold(f, o->contamination, s, n, &e) == -1) {
		diag_err(NULL, &e);
		goto out;
	}
	rc = 0;
out:
	csv_close(r);
	diag_close_input(fd);
	free(x);
	free(col);
	free(s);
	return rc;
}

static int
save(const struct options *o, const struct iforest *f)
{
	struct err e;

	if (model_output(o->output, f, &e) == -1) {
		/* "-" is standard output: no file to name. */
		diag_err(strcmp(o->output, "-") == 0 ? NULL : o->output, &e);
		return -1;
	}
	return 0;
}

static void
report(const struct options *o, const struct iforest *f, size_t nmodel,
    uint64_t skipped)
{
	char thr[NUM_BUFSZ], c[NUM_BUFSZ];

	diag_warn("%zu model%s merged: %zu tree%s of %zu row%s, %llu row%s"
	    " trained on", nmodel, diag_plural(nmodel), f->ntree,
	    diag_plural(f->ntree), f->psi, diag_plural(f->psi),
	    (unsigned long long)f->nrow, diag_plural(f->nrow));
	num_format(thr, f->threshold);
	if (f->params.contamination < 0) {
		diag_warn("threshold %s (contamination auto)", thr);
	} else {
		num_format(c, f->params.contamination);
		diag_warn("threshold %s (contamination %s), placed on %zu"
		    " row%s of %s, %llu skipped (missing value); %zu score"
		    " above it", thr, c, f->nthreshold,
		    diag_plural(f->nthreshold), diag_name(o->sample),
		    (unsigned long long)skipped, f->nabove);
	}
	diag_warn("model written to %s", strcmp(o->output, "-") == 0 ?
	    "standard output" : o->output);
}

static int
run(const struct options *o, char **paths, size_t n)
{
	struct iforest **part, *f = NULL;
	struct err e;
	uint64_t skipped = 0;
	size_t i, bad;
	int status = EXIT_FAIL;

	if ((part = calloc(n, sizeof *part)) == NULL) {
		diag_sys("out of memory");
		return EXIT_FAIL;
	}
	for (i = 0; i < n; i++)
		if ((part[i] = model_load(paths[i], &e)) == NULL) {
			diag_err(paths[i], &e);
			goto out;
		}
	if ((f = merge_forests(part, n, &bad, &e)) == NULL) {
		if (bad > 0)
			diag_warn("%s: cannot merge with %s: %s",
			    diag_name(paths[bad]), diag_name(paths[0]),
			    e.msg);
		else
			diag_err(NULL, &e);
		goto out;
	}
	/*
	 * Threshold 0.5 flags far more than a fraction would: when the parts
	 * were trained for a fraction, falling back to it silently would
	 * turn a quiet alarm into a loud one.
	 */
	for (i = 0; i < n && o->sample == NULL; i++)
		if (part[i]->params.contamination > 0) {
			diag_warn("%s was trained with a fractional"
			    " contamination; the merged model has \"auto\""
			    " (threshold 0.5): give -c and -S to place one",
			    diag_name(paths[i]));
			break;
		}
	/* The parts are no longer needed: keep the peak low. */
	for (i = 0; i < n; i++) {
		iforest_free(part[i]);
		part[i] = NULL;
	}
	if (o->sample != NULL && place(f, o, &skipped) == -1)
		goto out;
	if (save(o, f) == 0 && diag_close_stdout() == EXIT_OK) {
		if (o->verbose)
			report(o, f, n, skipped);
		status = EXIT_OK;
	}
out:
	for (i = 0; i < n; i++)
		iforest_free(part[i]);
	free(part);
	iforest_free(f);
	return status;
}

int
main(int argc, char *argv[])
{
	struct options o;
	int status;

	diag_init(argv[0]);
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	if ((status = parse_options(argc, argv, &o)) == -1)
		status = run(&o, argv + optind, (size_t)(argc - optind));
	return status;
}
