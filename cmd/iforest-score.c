/*
 * iforest-score - append an Isolation Forest's score to each CSV row.
 *
 * Rows are copied through byte for byte (csv_record.raw) and given two
 * more fields, so whatever the user had, quoting and number spelling
 * included, survives.  Rows are scored in batches, which lets the forest
 * walk each tree for many rows at once (iforest_score_rows); a batch is
 * bounded in rows and bytes, so memory stays constant.
 */
#include <sys/stat.h>

#include <getopt.h>
#include <poll.h>
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

struct options {
	const char *model;
	const char *input;	/* NULL or "-" for standard input */
	double	  threshold;	/* -T, or < 0 for the model's */
	int	  aflag;
	int	  verbose;
};

struct counts {
	uint64_t scored;
	uint64_t flagged;
	uint64_t missing;	/* rows passed through unscored */
};

/*
 * The output side: whether rows wait in stdout's buffer, and whether the
 * input can make us wait (see flush_if_idle).
 */
struct output {
	int	  fd;		/* the input's descriptor */
	int	  live;		/* not a regular file: reads may block */
	int	  pending;	/* written since the last flush */
};

/*
 * A batch ends at BATCH_ROWS rows, or once its rows hold BATCH_BYTES
 * bytes; a model so wide that BATCH_ROWS rows of values would take more
 * than BATCH_BYTES takes fewer rows at a time.
 */
#define BATCH_ROWS	256
#define BATCH_BYTES	((size_t)1 << 20)

/*
 * The text of scores written lately, by the bits of the score.  A
 * one-feature forest gives every row one of a few thousand scores (see
 * iforest_prepare), so the same few are written over and over, and
 * copying a text is several times faster than making it.  A slot holds
 * the score whose bits last hashed to it; any other score is formatted as
 * before, so the text is the same either way.  Scores are in [0, 1], so
 * their text is "0." or "1." and six decimals: eight bytes.
 */
#define MEMO_BITS	12
#define SCORE_LEN	8

struct memo {
	uint64_t bits;
	char	 text[SCORE_LEN];
};

/*
 * Rows read but not yet written: their bytes one after another in raw,
 * the values of the complete ones in x (nfeature each), their scores.
 */
struct batch {
	size_t	  max;		/* rows at most */
	size_t	  n;		/* rows */
	size_t	  end[BATCH_ROWS];	/* where each row's bytes end */
	int	  complete[BATCH_ROWS];	/* 0: a value is missing */
	char	 *raw;
	size_t	  len, cap;
	double	 *x;
	size_t	  nx;		/* complete rows */
	double	  score[BATCH_ROWS];
	char	 *out;		/* the batch's output text */
	size_t	  outcap;
	struct memo *memo;	/* see score_text */
};

static const char usage_text[] =
    "usage: iforest-score [-av] [-T threshold] -m model [file]\n";

static const char help_text[] =
    "\n"
    "Score the CSV rows of FILE (standard input when FILE is absent or\n"
    "\"-\") with the Isolation Forest in MODEL: each row is copied as it\n"
    "was and followed by its score and 1 (anomaly) or 0.\n"
    "\n"
    "  -a, --anomalies        write the header and anomalous rows only\n"
    "  -m, --model=MODEL      the model file, from iforest-train (\"-\":\n"
    "                         standard input, when FILE is not)\n"
    "  -T, --threshold=T      flag scores above T, 0 to 1, instead of the\n"
    "                         model's threshold\n"
    "  -v, --verbose          report rows scored and flagged, threshold\n"
    "                         and time taken on standard error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "A row with an empty feature field gets empty score and anomaly\n"
    "fields; a field that is not a number is an error.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "anomalies",	no_argument,	   NULL, 'a' },
	{ "model",	required_argument, NULL, 'm' },
	{ "threshold",	required_argument, NULL, 'T' },
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
	int c;

	o->threshold = -1;
	while ((c = getopt_long(argc, argv, "am:T:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a':
			o->aflag = 1;
			break;
		case 'm':
			if (*optarg == '\0') {
				diag_warn("-m: the model file name is empty");
				return diag_usage(usage_text);
			}
			o->model = optarg;
			break;
		case 'T':
			if (num_double(optarg, &o->threshold) != NULL ||
			    o->threshold < 0 || o->threshold > 1) {
				diag_warn("threshold must be a number from 0"
				    " to 1, not \"%s\"", optarg);
				return diag_usage(usage_text);
			}
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
	if (o->model == NULL) {
		diag_warn("no model given: -m model is required");
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

/* Make *BUF, of *CAP bytes, hold NEED.  Returns -1 when out of memory. */
static int
room(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap == 0 ? 4096 : *cap;
	char *p;

	while (n < need) {
		if (n > SIZE_MAX / 2)
			return -1;
		n *= 2;
	}
	if (n == *cap)
		return 0;
	if ((p = realloc(*buf, n)) == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

/* Rows per batch for NFEATURE values a row (see BATCH_ROWS): 1 or more. */
static size_t
batch_rows(size_t nfeature)
{
	size_t n = BATCH_BYTES / sizeof(double) / nfeature;

	return n < 1 ? 1 : n > BATCH_ROWS ? BATCH_ROWS : n;
}

/* Keep REC's bytes in B.  Returns -1 when out of memory. */
static int
batch_add(struct batch *b, const struct csv_record *rec, int complete)
{
	if (room(&b->raw, &b->cap, b->len + rec->rawlen) == -1)
		return -1;
	memcpy(b->raw + b->len, rec->raw, rec->rawlen);
	b->len += rec->rawlen;
	b->end[b->n] = b->len;
	b->complete[b->n] = complete;
	b->n++;
	b->nx += complete != 0;
	return 0;
}

/* Write the text of S at BUF, through MEMO.  Returns its length. */
static size_t
score_text(struct memo *memo, char *buf, double s)
{
	struct memo *m;
	uint64_t bits;
	size_t len;

	memcpy(&bits, &s, sizeof bits);
	m = &memo[(bits * UINT64_C(0x9e3779b97f4a7c15)) >> (64 - MEMO_BITS)];
	if (m->bits == bits && bits != 0) {
		memcpy(buf, m->text, SCORE_LEN);
		return SCORE_LEN;
	}
	len = num_fixed(buf, s, 6);
	if (len == SCORE_LEN) {
		m->bits = bits;
		memcpy(m->text, buf, SCORE_LEN);
	}
	return len;
}

/*
 * Score the rows of B and write them, each followed by its score and
 * flag, or by empty fields when a value is missing; with -a only the
 * anomalies.  The text is made in b->out and written in one piece.
 * Returns -1 when out of memory.
 */
static int
batch_write(struct batch *b, const struct options *o,
    const struct iforest *f, double thr, struct output *out,
    struct counts *n)
{
	size_t i, k = 0, start = 0, len = 0, rowlen;
	double s;
	int anomaly;

	if (b->n == 0)
		return 0;
	iforest_score_rows(f, b->x, b->nx, b->score);
	/* A row and its two fields: the score has at most NUM_BUFSZ bytes. */
	if (room(&b->out, &b->outcap, b->len + b->n * (NUM_BUFSZ + 4)) == -1)
		return -1;
	for (i = 0; i < b->n; start = b->end[i++]) {
		rowlen = b->end[i] - start;
		if (!b->complete[i]) {
			n->missing++;
			if (o->aflag)
				continue;
			memcpy(b->out + len, b->raw + start, rowlen);
			len += rowlen;
			memcpy(b->out + len, ",,\n", 3);
			len += 3;
			continue;
		}
		s = b->score[k++];
		anomaly = s > thr;
		n->scored++;
		if (anomaly)
			n->flagged++;
		else if (o->aflag)
			continue;
		memcpy(b->out + len, b->raw + start, rowlen);
		len += rowlen;
		b->out[len++] = ',';
		len += score_text(b->memo, b->out + len, s);
		memcpy(b->out + len, anomaly ? ",1\n" : ",0\n", 3);
		len += 3;
	}
	fwrite(b->out, 1, len, stdout);
	out->pending = 1;
	b->n = b->nx = b->len = 0;
	return 0;
}

/*
 * Output goes out in large blocks, which is what a file or a fast pipe
 * wants.  A live source (tail -f, a socket, a slow producer) may pause for
 * minutes, though, and the rows scored so far must not wait in our buffer
 * meanwhile.  So when the next read may block (csv_ready says the reader
 * holds no whole line) the batch is written, and when no input is waiting
 * on the descriptor either, stdout is flushed.  A regular file never
 * blocks and is not asked.  Returns -1 when stdout has failed.
 */
static int
flush_if_idle(struct output *out)
{
	struct pollfd p;

	if (out->pending && out->live) {
		p.fd = out->fd;
		p.events = POLLIN;
		p.revents = 0;
		/* On an error, flush: better early than stuck. */
		if (poll(&p, 1, 0) <= 0) {
			fflush(stdout);
			out->pending = 0;
		}
	}
	return ferror(stdout) ? -1 : 0;
}

/*
 * Score every row from FD onto standard output.  Returns 0, or -1 with
 * the message printed (a write error is left for diag_close_stdout).
 */
static int
score(int fd, const struct options *o, const struct iforest *f,
    struct counts *n)
{
	const char *file = diag_name(o->input);
	struct csv_reader *r;
	struct csv_record rec;
	struct output out;
	struct batch *b = NULL;
	struct stat st;
	struct err e;
	double thr = o->threshold >= 0 ? o->threshold : f->threshold;
	size_t *col = NULL;
	int rc = -1;

	out.fd = fd;
	out.live = fstat(fd, &st) == -1 || !S_ISREG(st.st_mode);
	out.pending = 0;
	if ((r = csv_open(fd, 0)) == NULL ||
	    (b = calloc(1, sizeof *b)) == NULL ||
	    (b->max = batch_rows(f->nfeature)) == 0 ||
	    (b->x = calloc(b->max * f->nfeature, sizeof *b->x)) == NULL ||
	    (b->memo = calloc((size_t)1 << MEMO_BITS, sizeof *b->memo)) ==
	    NULL ||
	    (col = calloc(f->nfeature, sizeof *col)) == NULL) {
		diag_sys("out of memory");
		goto out;
	}

	if ((rc = csv_header(r, &rec, &e)) == -1) {
		diag_err(file, &e);
		goto out;
	}
	/* Out of memory (line 0) is not the file's fault. */
	if ((rc = csv_columns(&rec, f->feature, f->nfeature,
	    "the model needs it", col, &e)) == -1) {
		diag_err(e.line > 0 ? file : NULL, &e);
		goto out;
	}
	fwrite(rec.raw, 1, rec.rawlen, stdout);
	fwrite(",score,anomaly\n", 1, 15, stdout);
	out.pending = 1;

	while (!ferror(stdout)) {
		/* Before a read that may wait, what is held goes out. */
		if (!csv_ready(r)) {
			if (batch_write(b, o, f, thr, &out, n) == -1)
				goto nomem;
			if (flush_if_idle(&out) == -1)
				break;
		}
		if ((rc = csv_read(r, &rec, &e)) != 1)
			break;
		rc = csv_numbers(&rec, col, f->feature, f->nfeature,
		    b->x + b->nx * f->nfeature, &e);
		if (rc == -1)
			break;
		if (batch_add(b, &rec, rc) == -1)
			goto nomem;
		if ((b->n == b->max || b->len >= BATCH_BYTES) &&
		    batch_write(b, o, f, thr, &out, n) == -1)
			goto nomem;
	}
	/* The rows before a bad one are written, and flushed, before it is
	 * reported: a log that takes both outputs keeps their order. */
	if (batch_write(b, o, f, thr, &out, n) == -1)
		goto nomem;
	if (rc == -1) {
		fflush(stdout);
		diag_err(file, &e);
	} else
		rc = 0;
	goto out;

nomem:
	diag_sys("out of memory");
	rc = -1;
out:
	csv_close(r);
	if (b != NULL) {
		free(b->raw);
		free(b->x);
		free(b->out);
		free(b->memo);
		free(b);
	}
	free(col);
	return rc;
}

static void
report(const struct options *o, const struct iforest *f,
    const struct counts *n, double took)
{
	char thr[NUM_BUFSZ];

	num_format(thr, o->threshold >= 0 ? o->threshold : f->threshold);
	diag_warn("%s: %llu row%s scored, %llu anomalous, %llu with a missing"
	    " value", diag_name(o->input), (unsigned long long)n->scored,
	    diag_plural(n->scored), (unsigned long long)n->flagged,
	    (unsigned long long)n->missing);
	diag_warn("threshold %s (%s), %.3f s", thr, o->threshold >= 0 ?
	    "from -T" : "from the model", took);
}

/* Standard output's buffer when it is not a terminal (see main). */
static char outbuf[1 << 20];

int
main(int argc, char *argv[])
{
	struct options o;
	struct counts n = { 0, 0, 0 };
	struct iforest *f;
	struct err e;
	double start = time_clock();
	int fd, status, rc;

	diag_init(argv[0]);
	/* getopt's own messages name argv[0]; make it the short name. */
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	if ((status = parse_options(argc, argv, &o)) != -1)
		return status;

	if ((f = model_load(o.model, &e)) == NULL) {
		diag_err(o.model, &e);
		return EXIT_FAIL;
	}
	if ((fd = diag_open_input(o.input)) == -1) {
		iforest_free(f);
		return EXIT_FAIL;
	}
	/* A terminal sees each line; anything else gets large blocks, as
	 * stdio's own buffer of a few KiB costs a write call per batch. */
	if (isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);
	else
		setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);

	rc = score(fd, &o, f, &n);
	diag_close_input(fd);
	status = diag_close_stdout();
	if (rc == 0 && status == EXIT_OK && o.verbose)
		report(&o, f, &n, time_clock() - start);
	iforest_free(f);
	return rc == -1 ? EXIT_FAIL : status;
}
