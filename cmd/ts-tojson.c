/*
 * ts-tojson - a CSV series to Clarify integration.insert requests.
 *
 * Rows stream through: a request is built in memory and written, whole,
 * as soon as the next point would make it longer than the limit, so the
 * output never holds half a request and memory stays at one request.
 */
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clarify.h"
#include "csv.h"
#include "diag.h"
#include "num.h"
#include "timestamp.h"

/* The default limit on a request body, below the service's 8 MiB. */
#define MAXBYTES 8000000

/* Digits of the largest request id. */
#define IDDIGITS 20

struct options {
	const char *input;		/* -i */
	const char *integration;	/* -n */
	const char *credentials;	/* -C */
	const char *column;		/* -c */
	const char *timecol;		/* -t */
	const char *maxtext;		/* -b, read once -i is known */
	long	  maxbytes;
	const char *file;		/* NULL or "-" for standard input */
	int	  anomalies;		/* -a */
	int	  verbose;
};

/* The columns a row is read from; acol is -1 without -a. */
struct columns {
	long	  tcol, vcol, acol;
	char	 *vname;		/* the value column's name */
};

/*
 * The request being filled: HEAD, the id, PARAMS, the times, MID, the
 * values and TAIL.  The two arrays grow as points come.
 */
struct request {
	char	 params[80];
	char	 mid[CLARIFY_INPUTMAX + 32];
	size_t	 paramslen, midlen;
	char	*times, *values;
	size_t	 ntimes, nvalues;	/* bytes used */
	size_t	 captimes, capvalues;
	size_t	 npoint;
	unsigned long long id;
	char	 idtext[32];
	size_t	 idlen;
	char	*line;			/* the whole request, for one write */
	size_t	 capline;
	size_t	 max;			/* -b */
};

static const char head[] =
    "{\"jsonrpc\":\"2.0\",\"method\":\"integration.insert\",\"id\":";
static const char params_fmt[] =
    ",\"params\":{\"integration\":\"%s\",\"data\":{\"times\":[";
static const char mid_fmt[] = "],\"series\":{\"%s\":[";
static const char tail[] = "]}}}}";

struct counts {
	unsigned long long rows, anomalous, points, requests, empty;
};

static const char usage_text[] =
    "usage: ts-tojson [-av] [-b max-bytes] [-c column] [-t column]"
    " -i input-id\n"
    "                 {-n integration | -C credentials} [file]\n";

static const char help_text[] =
    "\n"
    "Turn a CSV series (a time column and values) read from FILE, or\n"
    "standard input, into Clarify integration.insert JSON-RPC requests,\n"
    "one per line, that write the values under INPUT-ID.  -i is required,\n"
    "and so is one of -n and -C.\n"
    "\n"
    "  -a, --anomalies         write only the rows whose anomaly column\n"
    "                          is 1 (without -a, every row is written)\n"
    "  -b, --max-bytes=N       keep every request at most N bytes long\n"
    "                          (default 8000000)\n"
    "  -C, --credentials=FILE  take the integration ID from this Clarify\n"
    "                          credentials file (\"-\": standard input;\n"
    "                          the CSV must then come from FILE)\n"
    "  -c, --column=NAME       the value column (default: the first after\n"
    "                          the time column but score and anomaly)\n"
    "  -i, --input=ID          the input ID the values are written under\n"
    "  -n, --integration=ID    the integration ID\n"
    "  -t, --time=COLUMN       the time column (default: the first column)\n"
    "  -v, --verbose           report rows, points and requests on\n"
    "                          standard error\n"
    "      --help              print this help and exit\n"
    "      --version           print the version and exit\n"
    "\n"
    "Rows with an empty value are skipped.  A bad row stops the program\n"
    "with status 1; the requests written before it stay written.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "anomalies",	 no_argument,	    NULL, 'a' },
	{ "max-bytes",	 required_argument, NULL, 'b' },
	{ "credentials", required_argument, NULL, 'C' },
	{ "column",	 required_argument, NULL, 'c' },
	{ "input",	 required_argument, NULL, 'i' },
	{ "integration", required_argument, NULL, 'n' },
	{ "time",	 required_argument, NULL, 't' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "help",	 no_argument,	    NULL, OPT_HELP },
	{ "version",	 no_argument,	    NULL, OPT_VERSION },
	{ NULL,		 0,		    NULL, 0 }
};

/*
 * The size of the longest request with one point for the input ID INPUT:
 * the least -b can be.  Every integration ID has the same length.
 */
static size_t
least_bytes(const char *input)
{
	return sizeof head - 1 + IDDIGITS +
	    sizeof params_fmt - 3 + CLARIFY_IDLEN +
	    sizeof mid_fmt - 3 + strlen(input) +
	    sizeof tail - 1 + (TIME_BUFSZ - 1 + 2) + NUM_FORMAT_MAX;
}

/* Check the option values that need no file.  -1 or the exit status. */
static int
check_options(int argc, char *argv[], struct options *o)
{
	char buf[ERR_QUOTESZ];
	size_t least;
	int rc;

	if (o->input == NULL) {
		diag_warn("no input ID given: -i input-id is required");
		return diag_usage(usage_text);
	}
	if (!clarify_is_input_id(o->input, strlen(o->input))) {
		diag_warn("bad input ID \"%s\": expected 1 to 128 of "
		    "a-z, A-Z, 0-9 and -_:.#+/",
		    err_quote(buf, o->input, strlen(o->input)));
		return diag_usage(usage_text);
	}
	if (o->integration != NULL && o->credentials != NULL) {
		diag_warn("-n and -C both give the integration: use one");
		return diag_usage(usage_text);
	}
	if (o->integration == NULL && o->credentials == NULL) {
		diag_warn("no integration given: -n integration or "
		    "-C credentials is required");
		return diag_usage(usage_text);
	}
	if (o->integration != NULL &&
	    !clarify_is_id(o->integration, strlen(o->integration))) {
		diag_warn("bad integration ID \"%s\": expected 20 of a-v "
		    "and 0-9", err_quote(buf, o->integration,
		    strlen(o->integration)));
		return diag_usage(usage_text);
	}
	least = least_bytes(o->input);
	if (o->maxtext != NULL && (num_long(o->maxtext, (long)least,
	    LONG_MAX, &o->maxbytes) != NULL)) {
		diag_warn("-b wants a number of bytes from %zu (room for one "
		    "point) to %ld, not \"%s\"", least, LONG_MAX,
		    err_quote(buf, o->maxtext, strlen(o->maxtext)));
		return diag_usage(usage_text);
	}
	if ((rc = diag_operand(argc, argv, optind, usage_text,
	    &o->file)) != -1)
		return rc;
	if (diag_stdin_twice(o->credentials, o->file)) {
		diag_warn("-C - reads the credentials from standard input: "
		    "give the CSV as a file");
		return diag_usage(usage_text);
	}
	return -1;
}

/*
 * Read the options into *O.  Returns -1 to go on, or the exit status
 * when the program is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	int c;

	o->maxbytes = MAXBYTES;
	while ((c = getopt_long(argc, argv, "ab:C:c:i:n:t:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'a':
			o->anomalies = 1;
			break;
		case 'b':
			o->maxtext = optarg;
			break;
		case 'C':
			o->credentials = optarg;
			break;
		case 'c':
			o->column = optarg;
			break;
		case 'i':
			o->input = optarg;
			break;
		case 'n':
			o->integration = optarg;
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
	return check_options(argc, argv, o);
}

static void
set_id(struct request *q, unsigned long long id)
{
	q->id = id;
	q->idlen = (size_t)snprintf(q->idtext, sizeof q->idtext, "%llu", id);
}

/*
 * Set up the fixed parts of the requests.  The IDs were checked against
 * Clarify's patterns, which hold no character JSON must escape.
 */
static void
request_init(struct request *q, const char *integration, const char *input,
    size_t max)
{
	memset(q, 0, sizeof *q);
	q->paramslen = (size_t)snprintf(q->params, sizeof q->params,
	    params_fmt, integration);
	q->midlen = (size_t)snprintf(q->mid, sizeof q->mid, mid_fmt, input);
	set_id(q, 1);
	q->max = max;
}

/* The body's length with the points so far. */
static size_t
request_len(const struct request *q)
{
	return sizeof head - 1 + q->idlen + q->paramslen + q->ntimes +
	    q->midlen + q->nvalues + sizeof tail - 1;
}

/* Append the N bytes at S to *BUF.  -1 when out of memory. */
static int
append(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
	char *nb;
	size_t ncap = *cap ? *cap : 4096;

	if (*len + n > *cap) {
		while (ncap < *len + n) {
			if (ncap > SIZE_MAX / 2)
				return -1;
			ncap *= 2;
		}
		if ((nb = realloc(*buf, ncap)) == NULL)
			return -1;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n);
	*len += n;
	return 0;
}

/*
 * Write the request on one line, with a single fwrite so that it goes
 * out whole, and start the next.  -1 when out of memory or when standard
 * output has failed.
 */
static int
request_write(struct request *q, struct counts *n)
{
	size_t len = 0;

	if (append(&q->line, &len, &q->capline, head, sizeof head - 1) ||
	    append(&q->line, &len, &q->capline, q->idtext, q->idlen) ||
	    append(&q->line, &len, &q->capline, q->params, q->paramslen) ||
	    append(&q->line, &len, &q->capline, q->times, q->ntimes) ||
	    append(&q->line, &len, &q->capline, q->mid, q->midlen) ||
	    append(&q->line, &len, &q->capline, q->values, q->nvalues) ||
	    append(&q->line, &len, &q->capline, tail, sizeof tail - 1) ||
	    append(&q->line, &len, &q->capline, "\n", 1)) {
		diag_sys("out of memory");
		return -1;
	}
	if (fwrite(q->line, 1, len, stdout) != len)
		return -1;
	n->requests++;
	n->points += q->npoint;
	set_id(q, q->id + 1);
	q->ntimes = q->nvalues = q->npoint = 0;
	return 0;
}

/*
 * Add the point (T, V), written as TEXT (LEN bytes) when it fits; a
 * request that would grow too long is written first.  -1 on failure.
 */
static int
request_add(struct request *q, const char *t, size_t tlen,
    const char *text, size_t len, double v, struct counts *n)
{
	char num[NUM_BUFSZ];
	size_t more = tlen + 2 + len + (q->npoint > 0 ? 2 : 0);

	if (q->npoint > 0 && request_len(q) + more > q->max) {
		if (request_write(q, n) == -1)
			return -1;
		more -= 2;
	}
	if (request_len(q) + more > q->max) {
		/*
		 * Even alone the point is too long: the value's own text is
		 * longer than its shortest form, which always fits (-b was
		 * checked against it).
		 */
		len = num_format(num, v);
		text = num;
	}
	if ((q->npoint > 0 &&
	    (append(&q->times, &q->ntimes, &q->captimes, ",", 1) == -1 ||
	    append(&q->values, &q->nvalues, &q->capvalues, ",", 1) == -1)) ||
	    append(&q->times, &q->ntimes, &q->captimes, "\"", 1) == -1 ||
	    append(&q->times, &q->ntimes, &q->captimes, t, tlen) == -1 ||
	    append(&q->times, &q->ntimes, &q->captimes, "\"", 1) == -1 ||
	    append(&q->values, &q->nvalues, &q->capvalues, text, len) == -1) {
		diag_sys("out of memory");
		return -1;
	}
	q->npoint++;
	return 0;
}

static void
request_free(struct request *q)
{
	free(q->times);
	free(q->values);
	free(q->line);
}

/*
 * The index of the column NAME in HDR, given by WHAT (an option).  -1
 * with the message printed when there is none, or when the name is
 * ambiguous.
 */
static long
named_column(const char *file, const struct csv_record *hdr,
    const char *name, const char *what)
{
	long c = csv_find(hdr, name);
	size_t i;

	if (c < 0) {
		diag_at(file, hdr->line, "no column \"%s\" in the header%s%s",
		    name, *what != '\0' ? ": " : "", what);
		return -1;
	}
	for (i = (size_t)c + 1; i < hdr->nfield; i++) {
		if (strcmp(hdr->field[i], name) == 0) {
			diag_at(file, hdr->line, "column \"%s\" appears twice "
			    "in the header", name);
			return -1;
		}
	}
	return c;
}

/*
 * Find the columns of the header HDR: the time (-t, or the first), the
 * value (-c, or the first after the time that is not named score or
 * anomaly) and, with -a, the anomaly column.  Returns 0, or -1 with the
 * message printed.
 */
static int
find_columns(const char *file, const struct csv_record *hdr,
    const struct options *o, struct columns *cs)
{
	size_t i;

	cs->tcol = 0;
	cs->acol = -1;
	if (o->timecol != NULL &&
	    (cs->tcol = named_column(file, hdr, o->timecol, "")) == -1)
		return -1;

	if (o->column != NULL) {
		if ((cs->vcol = named_column(file, hdr, o->column, "")) == -1)
			return -1;
		if (cs->vcol == cs->tcol) {
			diag_at(file, hdr->line, "column \"%s\" is the time "
			    "column", o->column);
			return -1;
		}
	} else {
		for (i = (size_t)cs->tcol + 1; i < hdr->nfield; i++)
			if (strcmp(hdr->field[i], "score") != 0 &&
			    strcmp(hdr->field[i], "anomaly") != 0)
				break;
		if (i == hdr->nfield) {
			diag_at(file, hdr->line, "no value column after the "
			    "time column (score and anomaly do not count)");
			return -1;
		}
		cs->vcol = (long)i;
	}

	if (o->anomalies && (cs->acol = named_column(file, hdr, "anomaly",
	    "-a wants iforest-score's output")) == -1)
		return -1;

	if ((cs->vname = strdup(hdr->field[cs->vcol])) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	return 0;
}

/*
 * Is the row REC anomalous?  Its anomaly field is 1; 0 and empty (a row
 * iforest-score could not score) are not.  Returns 1 or 0, or -1 with the
 * message printed.
 */
static int
anomalous(const char *file, const struct csv_record *rec, long acol)
{
	const char *a = rec->field[acol];
	size_t len = rec->len[acol];
	char buf[ERR_QUOTESZ];

	if (len == 0 || strcmp(a, "0") == 0)
		return 0;
	if (strcmp(a, "1") == 0)
		return 1;
	diag_at(file, rec->line, "anomaly is \"%s\", expected 0 or 1",
	    err_quote(buf, a, len));
	return -1;
}

/*
 * Convert one data row.  Returns 0, or -1 with the message printed (or
 * with standard output failed).
 */
static int
convert_row(const char *file, const struct csv_record *rec,
    const struct columns *cs, struct request *q, struct counts *n)
{
	const char *why, *s = rec->field[cs->vcol];
	const char *ts = rec->field[cs->tcol];
	size_t len = rec->len[cs->vcol], tslen = rec->len[cs->tcol], tlen;
	char t[TIME_BUFSZ], buf[ERR_QUOTESZ];
	int64_t us;
	double v;

	if ((why = time_parse(ts, tslen, &us)) != NULL) {
		diag_at(file, rec->line, "bad time \"%s\": %s",
		    err_quote(buf, ts, tslen), why);
		return -1;
	}
	if (len == 0) {
		n->empty++;
		return 0;
	}
	if ((why = num_double(s, &v)) != NULL) {
		diag_at(file, rec->line, "column \"%s\": %s: \"%s\"",
		    cs->vname, why, err_quote(buf, s, len));
		return -1;
	}
	tlen = time_format(t, us);
	/*
	 * JSON has no "+3", ".5" or "2.": those go out in their shortest
	 * exact form, and so does zero, lest "1e-400" reach a reader that
	 * calls it out of range.  Anything else goes as the user wrote it.
	 */
	if (!num_is_json(s, len) || v == 0) {
		char num[NUM_BUFSZ];

		return request_add(q, t, tlen, num, num_format(num, v), v, n);
	}
	return request_add(q, t, tlen, s, len, v, n);
}

/*
 * Convert the CSV on FD.  Returns 0, or -1 with the message printed (a
 * write error is left for diag_close_stdout).
 */
static int
convert(int fd, const struct options *o, struct request *q,
    struct counts *n)
{
	const char *file = diag_name(o->file);
	struct csv_reader *r;
	struct csv_record rec;
	struct columns cs;
	struct err e;
	int rc;

	cs.vname = NULL;
	if ((r = csv_open(fd, 0)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	if ((rc = csv_header(r, &rec, &e)) == -1) {
		diag_err(file, &e);
		goto out;
	}
	if ((rc = find_columns(file, &rec, o, &cs)) == -1)
		goto out;

	while ((rc = csv_read(r, &rec, &e)) == 1) {
		n->rows++;
		if (cs.acol >= 0) {
			if ((rc = anomalous(file, &rec, cs.acol)) == -1)
				goto out;
			if (rc == 0)
				continue;
			n->anomalous++;
		}
		if ((rc = convert_row(file, &rec, &cs, q, n)) == -1)
			goto out;
	}
	if (rc == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (q->npoint > 0)
		rc = request_write(q, n);
out:
	free(cs.vname);
	csv_close(r);
	return rc;
}

/*
 * Read the integration ID from the credentials file PATH ("-" for
 * standard input) into ID.  Returns 0, or -1 with the message printed.
 */
static int
read_credentials(const char *path, char *id)
{
	struct err e;
	int fd, rc;

	if ((fd = diag_open_input(path)) == -1)
		return -1;
	if ((rc = clarify_integration(fd, id, &e)) == -1)
		diag_err(diag_name(path), &e);
	diag_close_input(fd);
	return rc;
}

/* Say on standard error what was done. */
static void
report(const struct options *o, const struct counts *n)
{
	char anom[64] = "";

	if (o->anomalies)
		snprintf(anom, sizeof anom, " %llu anomalous,", n->anomalous);
	diag_warn("%s: %llu row%s,%s %llu point%s in %llu request%s, %llu "
	    "empty value%s skipped", diag_name(o->file), n->rows,
	    diag_plural(n->rows), anom, n->points, diag_plural(n->points),
	    n->requests, diag_plural(n->requests), n->empty,
	    diag_plural(n->empty));
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct request q;
	struct counts n;
	char id[CLARIFY_IDLEN + 1];
	int fd, status, rc;

	diag_init(argv[0]);
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	memset(&n, 0, sizeof n);
	if ((status = parse_options(argc, argv, &o)) != -1)
		return status;

	if (o.credentials != NULL) {
		if (read_credentials(o.credentials, id) == -1)
			return EXIT_FAIL;
		o.integration = id;
	}
	if ((fd = diag_open_input(o.file)) == -1)
		return EXIT_FAIL;
	request_init(&q, o.integration, o.input, (size_t)o.maxbytes);

	rc = convert(fd, &o, &q, &n);
	diag_close_input(fd);
	request_free(&q);
	status = diag_close_stdout();
	if (rc == 0 && status == EXIT_OK && o.verbose)
		report(&o, &n);
	return rc == -1 ? EXIT_FAIL : status;
}
