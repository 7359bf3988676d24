/*
 * iforest-train - learn an Isolation Forest from CSV rows and save it.
 *
 * The rows stream through the trainer, which keeps only its samples, so
 * memory depends on the options and the width of a row, never on the
 * length of the input.  The model file is written only when every row
 * has been read and the forest is built: a bad row anywhere leaves the
 * model path as it was.
 */
#include <sys/stat.h>

#include <errno.h>
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
#include "timestamp.h"

/*
 * The most feature columns taken.  Each tree keeps its sample of rows
 * whole, so the samples take 8 bytes x trees x samples x features: 205 MB
 * per 1000 features at the defaults (100 trees of 256 rows), and 240 MB
 * for three rows of this many.  A header of a million columns, which
 * would take 2.4 GB for three rows, is refused at once.  Inputs this wide
 * want fewer trees (-n) or rows per tree (-s).
 */
#define MAXFEATURES	100000

struct options {
	struct iforest_params p;
	char	**want;		/* -f names, or NULL for the default */
	size_t	  nwant;
	const char *timecol;	/* -t, or NULL for the first column */
	const char *output;
	const char *input;	/* NULL or "-" for standard input */
	int	  verbose;
};

/* The feature columns chosen from the header. */
struct features {
	size_t	  n;
	size_t	 *col;		/* their indices in a record */
	char	**name;
};

/* What -v reports about the input. */
struct counts {
	uint64_t read;		/* data rows read */
	uint64_t skipped;	/* rows with a missing value */
	double	*lo, *hi;	/* each feature's range in the rows used */
};

static const char usage_text[] =
    "usage: iforest-train [-v] [-c contamination] [-f features]"
    " [-n trees] [-r seed]\n"
    "                     [-s samples] [-t column] -o model [file]\n";

static const char help_text[] =
    "\n"
    "Learn an Isolation Forest from the CSV rows of FILE (standard input\n"
    "when FILE is absent or \"-\") and write the model to MODEL.\n"
    "\n"
    "  -c, --contamination=C  share of anomalies to expect: \"auto\"\n"
    "                         (threshold 0.5, the default) or a fraction\n"
    "                         in (0, 0.5]\n"
    "  -f, --features=LIST    feature columns by name, comma separated\n"
    "                         (default: every column but the time column)\n"
    "  -n, --trees=N          number of trees, 1 to 100000 (default 100)\n"
    "  -o, --output=MODEL     the model file to write (\"-\": standard\n"
    "                         output)\n"
    "  -r, --seed=SEED        random seed, 0 to 2^64-1 (default 0: the\n"
    "                         same input and options give the same model)\n"
    "  -s, --samples=N        rows per tree: \"auto\" (min(256, rows), the\n"
    "                         default) or 1 to 16777216\n"
    "  -t, --time=COLUMN      the time column, left out of the features\n"
    "                         (default: the first column)\n"
    "  -v, --verbose          report rows, features, trees, threshold and\n"
    "                         time taken on standard error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "A row with an empty feature field is skipped; a field that is not a\n"
    "number is an error.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "contamination", required_argument, NULL, 'c' },
	{ "features",	required_argument, NULL, 'f' },
	{ "trees",	required_argument, NULL, 'n' },
	{ "output",	required_argument, NULL, 'o' },
	{ "seed",	required_argument, NULL, 'r' },
	{ "samples",	required_argument, NULL, 's' },
	{ "time",	required_argument, NULL, 't' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

static int
bad_value(const char *what, const char *arg)
{
	diag_warn("%s, not \"%s\"", what, arg);
	return diag_usage(usage_text);
}

/*
 * Split the -f list into names.  An empty name or one given twice is a
 * mistake on the command line, so it is caught here, before any input is
 * read.  Returns 0, or -1 with the message printed.
 */
static int
split_names(const char *list, struct options *o)
{
	const char *s, *comma;
	struct csv_names ix;
	struct err e;
	size_t n = 1, len, twice;

	for (s = list; *s != '\0'; s++)
		if (*s == ',')
			n++;
	if ((o->want = calloc(n, sizeof *o->want)) == NULL) {
		diag_sys("-f");
		return -1;
	}
	for (s = list; o->nwant < n; s = comma + 1) {
		comma = strchr(s, ',');
		if (comma == NULL)
			comma = s + strlen(s);
		len = (size_t)(comma - s);
		if (len == 0) {
			diag_warn("-f: a feature name is empty in \"%s\"",
			    list);
			return -1;
		}
		if ((o->want[o->nwant] = malloc(len + 1)) == NULL) {
			diag_sys("-f");
			return -1;
		}
		memcpy(o->want[o->nwant], s, len);
		o->want[o->nwant++][len] = '\0';
	}

	if (csv_names_init(&ix, o->want, n, &e) == -1) {
		diag_err(NULL, &e);
		return -1;
	}
	twice = csv_names_repeat(&ix);
	csv_names_free(&ix);
	if (twice < n) {
		diag_warn("-f: feature \"%s\" is listed twice",
		    o->want[twice]);
		return -1;
	}
	return 0;
}

/*
 * Read the options into *O.  Returns -1 to go on, or the exit status
 * when the program is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	const char *why;
	struct err e;
	long v;
	unsigned long long seed;
	int c;

	o->p.contamination = -1;
	while ((c = getopt_long(argc, argv, "c:f:n:o:r:s:t:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			if (iforest_contamination(optarg, &o->p.contamination,
			    &e) == -1)
				return bad_value(e.msg, optarg);
			break;
		case 'f':
			if (o->want != NULL)
				return bad_value("-f may be given once",
				    optarg);
			if (split_names(optarg, o) == -1)
				return diag_usage(usage_text);
			break;
		case 'n':
			why = num_long(optarg, 1, IFOREST_MAXTREES, &v);
			if (why != NULL)
				return bad_value("trees must be a whole number"
				    " from 1 to 100000", optarg);
			o->p.ntree = (size_t)v;
			break;
		case 'o':
			if (*optarg == '\0') {
				diag_warn("-o: the model file name is empty");
				return diag_usage(usage_text);
			}
			o->output = optarg;
			break;
		case 'r':
			if (num_u64(optarg, &seed) != NULL)
				return bad_value("seed must be a whole number"
				    " from 0 to 18446744073709551615", optarg);
			o->p.seed = seed;
			break;
		case 's':
			if (strcmp(optarg, "auto") == 0) {
				o->p.sample_size = 0;
				break;
			}
			why = num_long(optarg, 1, (long)IFOREST_MAXSAMPLE, &v);
			if (why != NULL)
				return bad_value("samples must be auto or a"
				    " whole number from 1 to 16777216", optarg);
			o->p.sample_size = (size_t)v;
			break;
		case 't':
			o->timecol = optarg;
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
	return diag_operand(argc, argv, optind, usage_text, &o->input);
}

/* The header, and its names indexed for finding columns by name. */
struct header {
	const char *file;
	const struct csv_record *rec;
	struct csv_names names;
};

/*
 * Find column NAME in the header, or say why it cannot be used: absent,
 * or present twice, which would make "the column NAME" ambiguous for
 * iforest-score.  Returns the index or -1.
 */
static long
find_column(const struct header *h, const char *name)
{
	size_t n;
	long i = csv_names_find(&h->names, name, &n);

	if (i < 0) {
		diag_at(h->file, h->rec->line, "no column \"%s\" in the"
		    " header", name);
		return -1;
	}
	if (n > 1) {
		diag_at(h->file, h->rec->line, "column \"%s\" appears twice"
		    " in the header", name);
		return -1;
	}
	return i;
}

static int
add_feature(const struct header *h, struct features *fs, size_t col,
    const char *name)
{
	size_t len = strlen(name);

	/* Caught here, before the input is read, not when saving. */
	if (len > MODEL_MAXNAME) {
		diag_at(h->file, h->rec->line, "column %zu: name of %zu"
		    " bytes, longer than a model allows (%d)", col + 1, len,
		    MODEL_MAXNAME);
		return -1;
	}
	if ((fs->name[fs->n] = strdup(name)) == NULL) {
		diag_at(h->file, h->rec->line, "out of memory");
		return -1;
	}
	fs->col[fs->n++] = col;
	return 0;
}

/*
 * Choose the feature columns from the header HDR: the -f names, or every
 * column but the time column.  Returns 0, or -1 with the message printed.
 */
static int
choose_features(const char *file, const struct csv_record *hdr,
    const struct options *o, struct features *fs)
{
	struct header h = { file, hdr, { 0, NULL } };
	struct err e;
	long t = 0, c;
	size_t i, nf;
	int rc = -1;

	/* Every column but the time column, unless -f lists them. */
	nf = o->want != NULL ? o->nwant : hdr->nfield - 1;
	if (nf > MAXFEATURES) {
		diag_at(file, hdr->line, "%zu feature columns, more than the"
		    " %d this program takes%s", nf, MAXFEATURES,
		    o->want != NULL ? "" : " (choose some with -f)");
		return -1;
	}
	if (csv_names_init(&h.names, hdr->field, hdr->nfield, &e) == -1) {
		e.line = hdr->line;
		diag_err(file, &e);
		return -1;
	}
	if (o->timecol != NULL && (t = find_column(&h, o->timecol)) < 0)
		goto out;
	fs->col = calloc(hdr->nfield, sizeof *fs->col);
	fs->name = calloc(hdr->nfield, sizeof *fs->name);
	if (fs->col == NULL || fs->name == NULL) {
		diag_at(file, hdr->line, "out of memory");
		goto out;
	}

	if (o->want != NULL) {
		for (i = 0; i < o->nwant; i++) {
			if ((c = find_column(&h, o->want[i])) < 0)
				goto out;
			if (o->timecol != NULL && c == t) {
				diag_at(file, hdr->line, "column \"%s\" is"
				    " the time column (-t) and cannot be a"
				    " feature", o->want[i]);
				goto out;
			}
			if (add_feature(&h, fs, (size_t)c, o->want[i]) == -1)
				goto out;
		}
		rc = 0;
		goto out;
	}

	for (i = 0; i < hdr->nfield; i++) {
		if (i == (size_t)t)
			continue;
		if (hdr->len[i] == 0) {
			diag_at(file, hdr->line, "column %zu has no name;"
			    " name it, or list the features with -f", i + 1);
			goto out;
		}
		if (find_column(&h, hdr->field[i]) < 0 ||
		    add_feature(&h, fs, i, hdr->field[i]) == -1)
			goto out;
	}
	if (fs->n == 0) {
		diag_at(file, hdr->line, "no feature columns: the header"
		    " names only the time column \"%s\"", hdr->field[t]);
		goto out;
	}
	rc = 0;
out:
	csv_names_free(&h.names);
	return rc;
}

/* Take the row X of NF values into the ranges of the rows used. */
static void
widen(struct counts *n, const double *x, size_t nf)
{
	size_t i;

	for (i = 0; i < nf; i++) {
		if (n->read - n->skipped == 1 || x[i] < n->lo[i])
			n->lo[i] = x[i];
		if (n->read - n->skipped == 1 || x[i] > n->hi[i])
			n->hi[i] = x[i];
	}
}

/*
 * Read the header and every row from FD into a new forest.  Returns the
 * forest, or NULL with the message printed.
 */
static struct iforest *
train(int fd, const struct options *o, struct counts *n)
{
	const char *file = diag_name(o->input);
	struct csv_reader *r;
	struct csv_record rec;
	struct iforest_trainer *t = NULL;
	struct iforest *f = NULL;
	struct features fs = { 0, NULL, NULL };
	struct err e;
	double *x = NULL;
	size_t i;
	int rc;

	if ((r = csv_open(fd, 0)) == NULL) {
		diag_at(file, 0, "out of memory");
		return NULL;
	}
	if ((rc = csv_header(r, &rec, &e)) == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (choose_features(file, &rec, o, &fs) == -1)
		goto out;
	if ((x = calloc(fs.n, sizeof *x)) == NULL ||
	    (n->lo = calloc(fs.n, sizeof *n->lo)) == NULL ||
	    (n->hi = calloc(fs.n, sizeof *n->hi)) == NULL) {
		diag_at(file, rec.line, "out of memory");
		goto out;
	}
	if ((t = iforest_train_begin(&o->p, fs.n, fs.name, &e)) == NULL) {
		diag_err(file, &e);
		goto out;
	}

	while ((rc = csv_read(r, &rec, &e)) == 1) {
		n->read++;
		if ((rc = csv_numbers(&rec, fs.col, fs.name, fs.n, x,
		    &e)) == -1) {
			diag_err(file, &e);
			goto abort;
		}
		if (rc == 0) {
			n->skipped++;
			continue;
		}
		widen(n, x, fs.n);
		if (iforest_train_add(t, x, &e) == -1) {
			e.line = rec.line;
			diag_err(file, &e);
			goto abort;
		}
	}
	if (rc == -1) {
		diag_err(file, &e);
		goto abort;
	}

	if (n->read == n->skipped) {
		iforest_train_abort(t);
		if (n->read == 0)
			diag_at(file, 0, "no rows to train on");
		else
			diag_at(file, 0, "no rows to train on: every one"
			    " of the %llu rows has a missing value",
			    (unsigned long long)n->read);
		goto out;
	}
	if ((f = iforest_train_end(t, &e)) == NULL)
		diag_err(file, &e);
	goto out;
abort:
	iforest_train_abort(t);
out:
	csv_close(r);
	for (i = 0; i < fs.n; i++)
		free(fs.name[i]);
	free(fs.name);
	free(fs.col);
	free(x);
	return f;
}

/*
 * Write the model to its file, or to standard output for "-o -", where a
 * write error is left for diag_close_stdout to report.
 */
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

/*
 * Write NAME to standard error in double quotes, with a quote, a backslash
 * and the control bytes escaped, so that a list of names reads one way
 * whatever they hold.
 */
static void
put_quoted(const char *name)
{
	unsigned char c;

	fputc('"', stderr);
	for (; *name != '\0'; name++) {
		c = (unsigned char)*name;
		if (c == '"' || c == '\\')
			fprintf(stderr, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", stderr);
		else if (c == '\r')
			fputs("\\r", stderr);
		else if (c == '\t')
			fputs("\\t", stderr);
		else if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", (unsigned)c);
		else
			fputc(c, stderr);
	}
	fputc('"', stderr);
}

/*
 * A feature that never varies in the training rows is never split on,
 * so its values cannot change a score: a sign of a wrong column or of a
 * quiet sensor, worth pointing out.
 */
static void
report_constant(const struct iforest *f, const struct counts *n)
{
	size_t i, k = 0;

	for (i = 0; i < f->nfeature; i++) {
		if (n->lo[i] != n->hi[i])
			continue;
		k++;
		fprintf(stderr, "%s: feature ", diag_prog());
		put_quoted(f->feature[i]);
		fputs(" is constant in the training rows: it cannot split"
		    " and its values do not affect the score\n", stderr);
	}
	if (k == f->nfeature)
		diag_warn("every feature is constant: every row will score"
		    " exactly 0.5");
}

/*
 * Rows of equal score fall on the same side of the threshold, so with
 * many ties the share of rows above it can be far from the contamination
 * asked for (none at all when every row is equal).  Say so when it is.
 */
static void
report_above(const struct iforest *f)
{
	double want, got = (double)f->nabove;
	char c[NUM_BUFSZ];

	if (f->nthreshold == 0)
		return;
	want = f->params.contamination * (double)f->nthreshold;
	if (fabs(got - want) <= 1 || (got * 2 >= want && got <= want * 2))
		return;
	num_format(c, f->params.contamination);
	diag_warn("%zu of the %zu rows that placed the threshold score above"
	    " it, where contamination %s asks for about %.0f: rows of equal"
	    " score fall on the same side of it", f->nabove, f->nthreshold,
	    c, want);
}

static void
report(const struct options *o, const struct iforest *f,
    const struct counts *n, double took)
{
	char thr[NUM_BUFSZ], c[NUM_BUFSZ];
	size_t i;

	diag_warn("%s: %llu row%s read, %llu skipped (missing value)",
	    diag_name(o->input), (unsigned long long)n->read,
	    diag_plural(n->read), (unsigned long long)n->skipped);
	fprintf(stderr, "%s: %zu feature%s: ", diag_prog(), f->nfeature,
	    diag_plural(f->nfeature));
	for (i = 0; i < f->nfeature; i++) {
		if (i > 0)
			fputs(", ", stderr);
		put_quoted(f->feature[i]);
	}
	fputc('\n', stderr);
	report_constant(f, n);
	diag_warn("%zu tree%s of %zu row%s, seed %llu", f->ntree,
	    diag_plural(f->ntree), f->psi, diag_plural(f->psi),
	    (unsigned long long)f->params.seed);
	num_format(thr, f->threshold);
	if (f->params.contamination < 0)
		strcpy(c, "auto");
	else
		num_format(c, f->params.contamination);
	diag_warn("threshold %s (contamination %s)", thr, c);
	report_above(f);
	diag_warn("model written to %s in %.3f s", strcmp(o->output, "-")
	    == 0 ? "standard output" : o->output, took);
}

/* Is PATH the file open on FD?  A slip that would lose the data. */
static int
same_file(int fd, const char *path)
{
	struct stat a, b;

	if (strcmp(path, "-") == 0 || fstat(fd, &a) == -1 ||
	    stat(path, &b) == -1)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Read, train, save and report; returns the exit status. */
static int
run(const struct options *o)
{
	struct counts n = { 0, 0, NULL, NULL };
	struct iforest *f;
	double start = time_clock();
	int fd, status = EXIT_FAIL;

	if ((fd = diag_open_input(o->input)) == -1)
		return EXIT_FAIL;
	if (same_file(fd, o->output)) {
		diag_warn("%s: the model would replace the input file",
		    o->output);
		diag_close_input(fd);
		return diag_usage(usage_text);
	}
	f = train(fd, o, &n);
	diag_close_input(fd);
	if (f != NULL && save(o, f) == 0 && diag_close_stdout() == EXIT_OK) {
		if (o->verbose)
			report(o, f, &n, time_clock() - start);
		status = EXIT_OK;
	}
	iforest_free(f);
	free(n.lo);
	free(n.hi);
	return status;
}

int
main(int argc, char *argv[])
{
	struct options o;
	size_t i;
	int status;

	diag_init(argv[0]);
	/* getopt's own messages name argv[0]; make it the short name. */
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	if ((status = parse_options(argc, argv, &o)) == -1)
		status = run(&o);
	for (i = 0; i < o.nwant; i++)
		free(o.want[i]);
	free(o.want);
	return status;
}
