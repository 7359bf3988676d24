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

/* A field is quoted in a message up to this many bytes. */
#define SHOWN 40

/* Digits of the largest request id. */
#define IDDIGITS 20

struct options {
	const char *input;		/* -i */
	const char *integration;	/* -n */
	const char *credentials;	/* -C */
	const char *column;		/* -c */
	long	  maxbytes;		/* -b */
	const char *file;		/* NULL or "-" for standard input */
	int	  verbose;
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
static const char tail[] = "]}}}}";

struct counts {
	unsigned long long rows, points, requests, empty;
};

static const char usage_text[] =
    "usage: ts-tojson -i input-id [-n integration | -C credentials]"
    " [-c column]\n"
    "                 [-b max-bytes] [-v] [file]\n";

static const char help_text[] =
    "\n"
    "Turn a CSV series (a time column first, then values) read from FILE,\n"
    "or standard input, into Clarify integration.insert JSON-RPC requests,\n"
    "one per line, that write the values under INPUT-ID.\n"
    "\n"
    "  -i, --input=ID          the input ID the values are written under\n"
    "  -n, --integration=ID    the integration ID\n"
    "  -C, --credentials=FILE  take the integration ID from this Clarify\n"
    "                          credentials file\n"
    "  -c, --column=NAME       the value column (default: the first after\n"
    "                          the time)\n"
    "  -b, --max-bytes=N       keep every request at most N bytes long\n"
    "                          (default 8000000)\n"
    "  -v, --verbose           report rows, points and requests on\n"
    "                          standard error\n"
    "      --help              print this help and exit\n"
    "      --version           print the version and exit\n"
    "\n"
    "Rows with an empty value are skipped.  A bad row stops the program\n"
    "with status 1; the requests written before it stay written.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "max-bytes",	 required_argument, NULL, 'b' },
	{ "credentials", required_argument, NULL, 'C' },
	{ "column",	 required_argument, NULL, 'c' },
	{ "input",	 required_argument, NULL, 'i' },
	{ "integration", required_argument, NULL, 'n' },
	{ "verbose",	 no_argument,	    NULL, 'v' },
	{ "help",	 no_argument,	    NULL, OPT_HELP },
	{ "version",	 no_argument,	    NULL, OPT_VERSION },
	{ NULL,		 0,		    NULL, 0 }
};

/* Check the option values that need no file.  -1 or the exit status. */
static int
check_options(int argc, char *argv[], struct options *o)
{
	if (o->input == NULL) {
		diag_warn("no input ID given: -i input-id is required");
		return diag_usage(usage_text);
	}
	if (!clarify_is_input_id(o->input, strlen(o->input))) {
		diag_warn("bad input ID \"%.*s%s\": expected 1 to 128 of "
		    "a-z, A-Z, 0-9 and -_:.#+/", SHOWN, o->input,
		    strlen(o->input) > SHOWN ? "..." : "");
		return diag_usage(usage_text);
	}
	if ((o->integration == NULL) == (o->credentials == NULL)) {
		diag_warn("give the integration with -n or -C (one of them)");
		return diag_usage(usage_text);
	}
	if (o->integration != NULL &&
	    !clarify_is_id(o->integration, strlen(o->integration))) {
		diag_warn("bad integration ID \"%.*s%s\": expected 20 of a-v "
		    "and 0-9", SHOWN, o->integration,
		    strlen(o->integration) > SHOWN ? "..." : "");
		return diag_usage(usage_text);
	}
	return diag_operand(argc, argv, optind, usage_text, &o->file);
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
	while ((c = getopt_long(argc, argv, "b:C:c:i:n:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'b':
			if (num_long(optarg, 1, LONG_MAX, &o->maxbytes) !=
			    NULL) {
				diag_warn("-b wants a number of bytes, not "
				    "\"%s\"", optarg);
				return diag_usage(usage_text);
			}
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
		case 'v':
			o->verbose = 1;
			break;
		case OPT_HELP:
			return diag_help(usage_text, help_text);
		case OPT_VERSION:
			diag_version();
			return diag_close_stdout();
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
 * Returns the size of the longest request with one point.
 */
static size_t
request_init(struct request *q, const char *integration, const char *input,
    size_t max)
{
	memset(q, 0, sizeof *q);
	q->paramslen = (size_t)snprintf(q->params, sizeof q->params,
	    ",\"params\":{\"integration\":\"%s\",\"data\":{\"times\":[",
	    integration);
	q->midlen = (size_t)snprintf(q->mid, sizeof q->mid,
	    "],\"series\":{\"%s\":[", input);
	set_id(q, 1);
	q->max = max;
	return sizeof head - 1 + IDDIGITS + q->paramslen + q->midlen +
	    sizeof tail - 1 + (TIME_BUFSZ - 1 + 2) + NUM_FORMAT_MAX;
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

/* The value column's index in HDR.  -1 with the message printed. */
static long
value_column(const char *file, const struct csv_record *hdr,
    const char *name)
{
	long c;

	if (name == NULL) {
		if (hdr->nfield < 2) {
			diag_at(file, hdr->line, "no value column: the header "
			    "has only the time column");
			return -1;
		}
		return 1;
	}
	if ((c = csv_find(hdr, name)) < 0) {
		diag_at(file, hdr->line, "no column \"%s\" in the header",
		    name);
		return -1;
	}
	if (c == 0) {
		diag_at(file, hdr->line, "column \"%s\" is the time column",
		    name);
		return -1;
	}
	return c;
}

/*
 * Convert one data row.  Returns 0, or -1 with the message printed (or
 * with standard output failed).
 */
static int
convert_row(const char *file, const struct csv_record *rec, long col,
    const char *colname, struct request *q, struct counts *n)
{
	const char *why, *s = rec->field[col];
	size_t len = rec->len[col], tlen;
	char t[TIME_BUFSZ];
	int64_t us;
	double v;

	if ((why = time_parse(rec->field[0], rec->len[0], &us)) != NULL) {
		diag_at(file, rec->line, "bad time \"%.*s%s\": %s",
		    rec->len[0] > SHOWN ? SHOWN : (int)rec->len[0],
		    rec->field[0], rec->len[0] > SHOWN ? "..." : "", why);
		return -1;
	}
	if (len == 0) {
		n->empty++;
		return 0;
	}
	if ((why = num_double(s, &v)) != NULL) {
		diag_at(file, rec->line, "column \"%s\": %s: \"%.*s%s\"",
		    colname, why, len > SHOWN ? SHOWN : (int)len, s,
		    len > SHOWN ? "..." : "");
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
	const char *file = diag_name(o->file), *colname;
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	char *name = NULL;
	long col;
	int rc;

	if ((r = csv_open(fd, 0)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	if ((rc = csv_read(r, &rec, &e)) != 1) {
		if (rc == 0)
			diag_at(file, 0, "empty input: expected a header line "
			    "naming the columns");
		else
			diag_err(file, &e);
		rc = -1;
		goto out;
	}
	if ((col = value_column(file, &rec, o->column)) == -1 ||
	    (name = malloc(rec.len[col] + 1)) == NULL) {
		if (col != -1)
			diag_sys("out of memory");
		rc = -1;
		goto out;
	}
	memcpy(name, rec.field[col], rec.len[col] + 1);
	colname = name;

	while ((rc = csv_read(r, &rec, &e)) == 1) {
		n->rows++;
		if ((rc = convert_row(file, &rec, col, colname, q, n)) == -1)
			goto out;
	}
	if (rc == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (q->npoint > 0)
		rc = request_write(q, n);
out:
	free(name);
	csv_close(r);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct request q;
	struct counts n;
	struct err e;
	char id[CLARIFY_IDLEN + 1];
	size_t least;
	int fd, status, rc;

	diag_init(argv[0]);
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	memset(&n, 0, sizeof n);
	if ((status = parse_options(argc, argv, &o)) != -1)
		return status;

	if (o.credentials != NULL) {
		if (clarify_integration(o.credentials, id, &e) == -1) {
			diag_err(o.credentials, &e);
			return EXIT_FAIL;
		}
		o.integration = id;
	}
	least = request_init(&q, o.integration, o.input, (size_t)o.maxbytes);
	if ((unsigned long)o.maxbytes < least) {
		diag_warn("-b %ld is too small: a request with one point may "
		    "need %zu bytes", o.maxbytes, least);
		return diag_usage(usage_text);
	}
	if ((fd = diag_open_input(o.file)) == -1)
		return EXIT_FAIL;

	rc = convert(fd, &o, &q, &n);
	diag_close_input(fd);
	request_free(&q);
	status = diag_close_stdout();
	if (rc == 0 && status == EXIT_OK && o.verbose)
		diag_warn("%s: %llu rows, %llu points in %llu requests, %llu "
		    "empty values skipped", diag_name(o.file), n.rows,
		    n.points, n.requests, n.empty);
	return rc == -1 ? EXIT_FAIL : status;
}
