/*
 * alert-mail - write the alert mail for the anomalous rows of a CSV file.
 *
 * The whole message is composed in memory and written in one go at the
 * end.  A bad row anywhere, or a header that cannot be encoded, thus
 * leaves standard output empty: half a message piped into msmtp -t would
 * be sent as it stands.
 */

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "mail.h"
#include "num.h"
#include "timestamp.h"

/* Exit statuses, as grep(1) has them. */
enum {
	EXIT_SENT = 0,
	EXIT_NONE = 1,
	EXIT_TROUBLE = 2
};

/* A field is quoted in a message up to this many bytes. */
#define SHOWN		40

/*
 * A value or score longer than this is cut (to a whole character) and
 * ends in "...": a table line then stays far below the 998 bytes a mail
 * line may have, padding included.
 */
#define CELL_MAX	256

/* The first sentence of the text is wrapped at this width. */
#define WRAP		72

/* The last second that timestamp.h can write, in seconds since the epoch. */
#define EPOCH_MAX	253402300799ULL

struct options {
	struct mail_addr *from;
	size_t	  nfrom;
	struct mail_addr *to;
	size_t	  nto;
	const char *column;	/* -c, or NULL for the first after the time */
	const char *item;	/* -n, or NULL for the column's name */
	const char *subject;	/* -s, or NULL for the default */
	const char *input;	/* NULL or "-" for standard input */
	int64_t	  date;		/* -d, in microseconds */
	int	  dflag;
	int	  fflag;	/* -f seen */
	int	  verbose;
};

struct row {
	int64_t	  time;
	char	 *value;
	char	 *score;	/* NULL when there is no score column */
};

/* The anomalous rows and what the text says about them. */
struct table {
	struct row *row;
	size_t	  n;
	size_t	  cap;
	char	 *item;		/* the item's display name */
	int64_t	  first, last;	/* the earliest and latest time */
	uint64_t  read;		/* data rows read */
};

static const char usage_text[] =
    "usage: alert-mail [-v] -f from -t to [-t to]... [-c column] [-d date]"
    " [-n item]\n"
    "                  [-s subject] [file]\n";

static const char help_text[] =
    "\n"
    "Write one mail message, for msmtp -t or sendmail -t, reporting the\n"
    "anomalous rows of FILE (standard input when FILE is absent or \"-\"):\n"
    "the CSV that iforest-score writes, whole or only its anomalous rows.\n"
    "When no row is anomalous nothing is written and the exit status is 1.\n"
    "\n"
    "  -c, --column=NAME      the value column to show (default: the first\n"
    "                         after the time but score and anomaly)\n"
    "  -d, --date=TIME        date the message TIME, RFC 3339, not now;\n"
    "                         without -d, SOURCE_DATE_EPOCH if it is set\n"
    "  -f, --from=ADDRESS     the sender, as plant@example.org or\n"
    "                         \"Plant 3 <plant@example.org>\"\n"
    "  -n, --item=NAME        the item's name in the subject and text\n"
    "                         (default: the value column's name)\n"
    "  -s, --subject=TEXT     the subject (default: \"Anomaly detected in\n"
    "                         ITEM\" or \"N anomalies detected in ITEM\")\n"
    "  -t, --to=ADDRESS       a recipient, or several separated by commas;\n"
    "                         may be repeated\n"
    "  -v, --verbose          report rows read and anomalies found on\n"
    "                         standard error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "Exit status: 0 a message was written, 1 no anomaly, 2 trouble.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "column",	required_argument, NULL, 'c' },
	{ "date",	required_argument, NULL, 'd' },
	{ "from",	required_argument, NULL, 'f' },
	{ "item",	required_argument, NULL, 'n' },
	{ "subject",	required_argument, NULL, 's' },
	{ "to",		required_argument, NULL, 't' },
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
	const char *why;
	struct err e;
	int c;

	while ((c = getopt_long(argc, argv, "c:d:f:n:s:t:v", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			o->column = optarg;
			break;
		case 'd':
			if ((why = time_parse(optarg, strlen(optarg),
			    &o->date)) != NULL) {
				diag_warn("-d: bad date \"%s\": %s", optarg,
				    why);
				return diag_usage(usage_text);
			}
			if (o->date < MAIL_DATE_MIN) {
				diag_warn("-d: %s: a mail date cannot be"
				    " before 1900", optarg);
				return diag_usage(usage_text);
			}
			o->dflag = 1;
			break;
		case 'f':
			if (o->nfrom == 0 && mail_addr_list(&o->from,
			    &o->nfrom, optarg, &e) == -1) {
				diag_warn("-f: %s", e.msg);
				return diag_usage(usage_text);
			}
			if (o->nfrom != 1 || o->fflag++ > 0) {
				diag_warn("-f: one sender only");
				return diag_usage(usage_text);
			}
			break;
		case 'n':
			if (*optarg == '\0') {
				diag_warn("item name is empty");
				return diag_usage(usage_text);
			}
			if (mail_check_text("item name", optarg,
			    strlen(optarg), &e) == -1) {
				diag_warn("%s", e.msg);
				return diag_usage(usage_text);
			}
			o->item = optarg;
			break;
		case 's':
			if (mail_check_text("subject", optarg,
			    strlen(optarg), &e) == -1) {
				diag_warn("%s", e.msg);
				return diag_usage(usage_text);
			}
			o->subject = optarg;
			break;
		case 't':
			if (mail_addr_list(&o->to, &o->nto, optarg,
			    &e) == -1) {
				diag_warn("-t: %s", e.msg);
				return diag_usage(usage_text);
			}
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_HELP:
			return diag_help(usage_text, help_text) == 0 ?
			    EXIT_SENT : EXIT_TROUBLE;
		case OPT_VERSION:
			diag_version();
			return diag_close_stdout() == 0 ? EXIT_SENT :
			    EXIT_TROUBLE;
		default:
			return diag_usage(usage_text);
		}
	}
	if (o->nfrom == 0 || o->nto == 0) {
		diag_warn("no %s: %s is required", o->nfrom == 0 ?
		    "sender" : "recipient", o->nfrom == 0 ? "-f from" :
		    "-t to");
		return diag_usage(usage_text);
	}
	return diag_operand(argc, argv, optind, usage_text, &o->input);
}

/*
 * The message's date: -d, else SOURCE_DATE_EPOCH (seconds since the
 * epoch, for reproducible output), else the clock.  Returns 0, or -1
 * with the message printed.
 */
static int
choose_date(struct options *o)
{
	const char *env, *why;
	unsigned long long sec;
	struct timespec ts;

	if (o->dflag)
		return 0;
	env = getenv("SOURCE_DATE_EPOCH");
	if (env != NULL && *env != '\0') {
		if ((why = num_u64(env, &sec)) == NULL && sec > EPOCH_MAX)
			why = "out of range";
		if (why != NULL) {
			diag_warn("SOURCE_DATE_EPOCH: bad value \"%.*s\": %s",
			    SHOWN, env, why);
			return -1;
		}
		o->date = (int64_t)sec * 1000000;
		return 0;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == -1) {
		diag_sys("cannot read the clock");
		return -1;
	}
	o->date = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	return 0;
}

/*
 * Find the value column in the header HDR: -c's, or the first after the
 * time that is neither score nor anomaly.  Returns its index, or -1 with
 * the message printed.
 */
static long
value_column(const char *file, const struct options *o,
    const struct csv_record *hdr)
{
	size_t i;
	long c;

	if (o->column != NULL) {
		if ((c = csv_find(hdr, o->column)) < 0)
			diag_at(file, hdr->line, "no column \"%s\" in the"
			    " header", o->column);
		else if (c == 0)
			diag_at(file, hdr->line, "column \"%s\" is the time,"
			    " not a value", o->column);
		return c > 0 ? c : -1;
	}
	for (i = 1; i < hdr->nfield; i++)
		if (strcmp(hdr->field[i], "score") != 0 &&
		    strcmp(hdr->field[i], "anomaly") != 0)
			return (long)i;
	diag_at(file, hdr->line, "no value column after the time (score and"
	    " anomaly do not count)");
	return -1;
}

/*
 * Copy field S, LEN bytes, of column WHAT into a table cell: it must be
 * text that a mail may carry, and is cut to CELL_MAX bytes.  Returns the
 * copy, or NULL with the message printed.
 */
static char *
cell(const char *file, long line, const char *what, const char *s,
    size_t len)
{
	struct err e;
	size_t keep, n;
	char *c;

	if (mail_check_text(what, s, len, &e) == -1) {
		diag_at(file, line, "%s", e.msg);
		return NULL;
	}
	if (memchr(s, '\t', len) != NULL) {
		diag_at(file, line, "%s contains a tab", what);
		return NULL;
	}
	keep = len;
	if (len > CELL_MAX) {
		for (keep = 0; keep < len; keep += n) {
			n = mail_utf8(s + keep, len - keep);
			if (keep + n > CELL_MAX - 3)
				break;
		}
	}
	if ((c = malloc(keep + 4)) == NULL) {
		diag_sys("out of memory");
		return NULL;
	}
	memcpy(c, s, keep);
	strcpy(c + keep, keep < len ? "..." : "");
	return c;
}

/* Append a row to T.  Returns 0, or -1 with the message printed. */
static int
add_row(struct table *t, const struct row *r)
{
	struct row *nr;
	size_t cap;

	if (t->n == t->cap) {
		cap = t->cap > 0 ? t->cap * 2 : 64;
		if (cap > SIZE_MAX / sizeof *nr ||
		    (nr = realloc(t->row, cap * sizeof *nr)) == NULL) {
			diag_sys("out of memory");
			return -1;
		}
		t->row = nr;
		t->cap = cap;
	}
	if (t->n == 0 || r->time < t->first)
		t->first = r->time;
	if (t->n == 0 || r->time > t->last)
		t->last = r->time;
	t->row[t->n++] = *r;
	return 0;
}

/*
 * Read the header and the anomalous rows of FD into T.  A row counts when
 * its anomaly field is 1, or always when there is no anomaly column; 0 and
 * empty (a row iforest-score could not score) do not.  Returns 0, or -1
 * with the message printed.
 */
static int
read_table(int fd, const struct options *o, struct table *t)
{
	const char *file = diag_name(o->input), *why, *a;
	struct csv_reader *r;
	struct csv_record rec;
	struct row row;
	struct err e;
	long vcol, scol, acol;
	int rc = -1;

	if ((r = csv_open(fd, 0)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	if ((rc = csv_read(r, &rec, &e)) != 1) {
		if (rc == 0)
			diag_at(file, 0, "empty input: expected a header"
			    " line naming the columns");
		else
			diag_err(file, &e);
		rc = -1;
		goto out;
	}
	rc = -1;
	if ((vcol = value_column(file, o, &rec)) == -1)
		goto out;
	scol = csv_find(&rec, "score");
	acol = csv_find(&rec, "anomaly");
	if (o->item == NULL) {
		if (rec.len[vcol] == 0) {
			diag_at(file, rec.line, "the value column has no name:"
			    " give the item's name with -n");
			goto out;
		}
		if (mail_check_text("the value column's name",
		    rec.field[vcol], rec.len[vcol], &e) == -1) {
			diag_at(file, rec.line, "%s", e.msg);
			goto out;
		}
	}
	if ((t->item = strdup(o->item != NULL ? o->item :
	    rec.field[vcol])) == NULL) {
		diag_sys("out of memory");
		goto out;
	}

	while ((rc = csv_read(r, &rec, &e)) == 1) {
		t->read++;
		if (acol >= 0) {
			a = rec.field[acol];
			if (strcmp(a, "0") == 0 || *a == '\0')
				continue;
			if (strcmp(a, "1") != 0) {
				diag_at(file, rec.line, "anomaly is \"%.*s%s\","
				    " expected 0 or 1", (int)(rec.len[acol] >
				    SHOWN ? SHOWN : rec.len[acol]), a,
				    rec.len[acol] > SHOWN ? "..." : "");
				rc = -1;
				goto out;
			}
		}
		if ((why = time_parse(rec.field[0], rec.len[0],
		    &row.time)) != NULL) {
			diag_at(file, rec.line, "bad time \"%.*s%s\": %s",
			    (int)(rec.len[0] > SHOWN ? SHOWN : rec.len[0]),
			    rec.field[0], rec.len[0] > SHOWN ? "..." : "", why);
			rc = -1;
			goto out;
		}
		row.score = NULL;
		if ((row.value = cell(file, rec.line, "value",
		    rec.field[vcol], rec.len[vcol])) == NULL ||
		    (scol >= 0 && (row.score = cell(file, rec.line, "score",
		    rec.field[scol], rec.len[scol])) == NULL) ||
		    add_row(t, &row) == -1) {
			free(row.value);
			free(row.score);
			rc = -1;
			goto out;
		}
	}
	if (rc == -1)
		diag_err(file, &e);
out:
	csv_close(r);
	return rc;
}

/* The width of UTF-8 text S on a terminal, taken as its characters. */
static size_t
width(const char *s)
{
	size_t len = strlen(s), i, n, w = 0;

	for (i = 0; i < len; i += n, w++)
		if ((n = mail_utf8(s + i, len - i)) == 0)
			n = 1;
	return w;
}

/* Append S and then spaces up to width W. */
static void
put_padded(struct mail_buf *b, const char *s, size_t w)
{
	size_t have = width(s);

	mail_buf_str(b, s);
	while (have++ < w)
		mail_buf_add(b, " ", 1);
}

/*
 * Append the LEN bytes at S, lines broken at spaces to stay within W
 * characters where the words allow.
 */
static void
wrap(struct mail_buf *b, const char *s, size_t len, size_t w)
{
	size_t i = 0, start, n, chars, col = 0;

	while (i < len) {
		for (start = i, chars = 0; i < len && s[i] != ' ';
		    i += n, chars++)
			if ((n = mail_utf8(s + i, len - i)) == 0)
				n = 1;
		if (col > 0 && col + 1 + chars > w) {
			mail_buf_add(b, "\n", 1);
			col = 0;
		} else if (col > 0 || start > 0) {
			mail_buf_add(b, " ", 1);
			col++;
		}
		mail_buf_add(b, s + start, i - start);
		col += chars;
		if (i < len)
			i++;
	}
}

/*
 * The text of the message: a sentence saying how many points, where and
 * when, then the table of them, in the order of the input.
 */
static void
compose_text(const struct table *t, struct mail_buf *b)
{
	struct mail_buf s = { NULL, 0, 0, 0 };
	char t1[TIME_BUFSZ], t2[TIME_BUFSZ], num[32];
	size_t i, tw = 4, vw = 5, w;
	int scored = t->n > 0 && t->row[0].score != NULL;

	time_format(t1, t->first);
	time_format(t2, t->last);
	if (t->n == 1) {
		mail_buf_str(&s, "1 anomalous point was found in ");
	} else {
		snprintf(num, sizeof num, "%zu", t->n);
		mail_buf_str(&s, num);
		mail_buf_str(&s, " anomalous points were found in ");
	}
	mail_buf_str(&s, t->item);
	mail_buf_str(&s, t->first == t->last ? " at " : " between ");
	mail_buf_str(&s, t1);
	if (t->first != t->last) {
		mail_buf_str(&s, " and ");
		mail_buf_str(&s, t2);
	}
	mail_buf_str(&s, " (UTC).");
	if (!s.nomem)
		wrap(b, s.data, s.len, WRAP);
	mail_buf_free(&s);
	mail_buf_str(b, "\n\n");

	for (i = 0; i < t->n; i++) {
		if ((w = time_format(t1, t->row[i].time)) > tw)
			tw = w;
		if ((w = width(t->row[i].value)) > vw)
			vw = w;
	}
	put_padded(b, "time", tw + 2);
	if (scored) {
		put_padded(b, "value", vw + 2);
		mail_buf_str(b, "score\n");
	} else {
		mail_buf_str(b, "value\n");
	}
	for (i = 0; i < t->n; i++) {
		time_format(t1, t->row[i].time);
		put_padded(b, t1, tw + 2);
		if (scored) {
			put_padded(b, t->row[i].value, vw + 2);
			mail_buf_str(b, t->row[i].score);
		} else {
			mail_buf_str(b, t->row[i].value);
		}
		/* No white space at a line's end: it would force QP. */
		while (b->len > 0 && b->data[b->len - 1] == ' ')
			b->len--;
		mail_buf_add(b, "\n", 1);
	}
}

/*
 * Build the message for the rows of T into *M.  Returns 0, or -1 with the
 * message printed.
 */
static int
compose(const struct options *o, const struct table *t, struct mail_msg *m)
{
	struct mail_buf text = { NULL, 0, 0, 0 }, subj = { NULL, 0, 0, 0 };
	struct mail_buf id = { NULL, 0, 0, 0 };
	char date[MAIL_DATE_BUFSZ], num[32];
	uint64_t h = MAIL_HASH_INIT;
	struct err e;
	size_t i;
	int rc = -1;

	compose_text(t, &text);
	if (o->subject != NULL) {
		mail_buf_str(&subj, o->subject);
	} else if (t->n == 1) {
		mail_buf_str(&subj, "Anomaly detected in ");
		mail_buf_str(&subj, t->item);
	} else {
		snprintf(num, sizeof num, "%zu", t->n);
		mail_buf_str(&subj, num);
		mail_buf_str(&subj, " anomalies detected in ");
		mail_buf_str(&subj, t->item);
	}

	/*
	 * The Message-ID is the date and a hash of what the message says
	 * and to whom: the same run with the same -d gives the same ID,
	 * another message another one.
	 */
	h = mail_hash(h, o->from[0].spec, strlen(o->from[0].spec) + 1);
	for (i = 0; i < o->nto; i++)
		h = mail_hash(h, o->to[i].spec, strlen(o->to[i].spec) + 1);
	if (!subj.nomem && !text.nomem) {
		h = mail_hash(h, subj.data, subj.len + 1);
		h = mail_hash(h, text.data, text.len);
	}
	mail_date(date, o->date);
	mail_message_id(&id, o->date, h, mail_addr_domain(&o->from[0]));
	if (text.nomem || subj.nomem || id.nomem) {
		diag_sys("out of memory");
		goto out;
	}

	mail_init(m, "\n");
	if (mail_add_addrs(m, "From", o->from, 1, &e) == -1 ||
	    mail_add_addrs(m, "To", o->to, o->nto, &e) == -1 ||
	    mail_add_text(m, "Subject", subj.data, &e) == -1 ||
	    mail_add_raw(m, "Date", date, &e) == -1 ||
	    mail_add_raw(m, "Message-ID", id.data, &e) == -1 ||
	    mail_set_text(m, text.data, text.len, &e) == -1) {
		diag_warn("%s", e.msg);
		goto out;
	}
	rc = 0;
out:
	mail_buf_free(&text);
	mail_buf_free(&subj);
	mail_buf_free(&id);
	return rc;
}

static void
free_table(struct table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->row[i].value);
		free(t->row[i].score);
	}
	free(t->row);
	free(t->item);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct table t;
	struct mail_msg m;
	int fd, status = EXIT_TROUBLE, rc;

	diag_init(argv[0]);
	/* getopt's own messages name argv[0]; make it the short name. */
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	memset(&t, 0, sizeof t);
	mail_init(&m, "\n");
	if ((rc = parse_options(argc, argv, &o)) != -1) {
		status = rc;
		goto out;
	}
	if (choose_date(&o) == -1)
		goto out;
	if ((fd = diag_open_input(o.input)) == -1)
		goto out;

	rc = read_table(fd, &o, &t);
	diag_close_input(fd);
	if (rc == -1)
		goto out;
	if (t.n == 0) {
		if (o.verbose)
			diag_warn("%s: %llu rows read, none anomalous: no"
			    " message", diag_name(o.input),
			    (unsigned long long)t.read);
		status = EXIT_NONE;
		goto out;
	}
	if (compose(&o, &t, &m) == -1)
		goto out;

	fwrite(m.buf.data, 1, m.buf.len, stdout);
	if (diag_close_stdout() != 0)
		goto out;
	if (o.verbose)
		diag_warn("%s: %llu rows read, %zu anomalous; a message of %zu"
		    " bytes to %zu recipient%s", diag_name(o.input),
		    (unsigned long long)t.read, t.n, m.buf.len, o.nto,
		    o.nto == 1 ? "" : "s");
	status = EXIT_SENT;
out:
	mail_free(&m);
	free_table(&t);
	mail_addr_free(o.from, o.nfrom);
	mail_addr_free(o.to, o.nto);
	return status;
}
