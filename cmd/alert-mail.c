/*
 * alert-mail - write the alert mail for the anomalous rows of a CSV file.
 *
 * The program reads the whole input into a table of anomalous rows, then
 * composes the message in memory and writes it in one go at the end.  A
 * bad row anywhere, or a header that cannot be encoded, thus leaves
 * standard output empty: half a message piped into msmtp -t would be sent
 * as it stands.
 */

#include <errno.h>
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

/*
 * A value or score longer than this is cut (to a whole character) and
 * ends in "...": a table line then stays far below the 998 bytes a mail
 * line may have, padding included.
 */
#define CELL_MAX	256

/* The first sentence of the text is wrapped at this width. */
#define WRAP		72

/* Spaces between the columns of the table. */
#define GAP		2

/* The last second that timestamp.h can write, in seconds since the epoch. */
#define EPOCH_MAX	253402300799ULL

/* Points listed when -m does not say, and the most -m may ask for. */
#define LIST_DEFAULT	20
#define LIST_MAX	1000000L

/*
 * The largest plot taken, and the longest item id and link base: mail
 * systems refuse large messages, and a link is to fit a mail line.
 */
#define PLOT_MAX	(16UL << 20)
#define ID_MAX		128
#define LINK_MAX	512

/* The plot's attachment is named after its file when the name is plain. */
#define FILENAME_MAX_LEN	64
#define FILENAME_DEFAULT	"plot.png"

static const unsigned char png_sig[8] = {
	0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'
};

struct options {
	struct mail_addr *from;
	size_t	  nfrom;
	struct mail_addr *to;
	size_t	  nto;
	const char *time;	/* --time, or NULL for the first column */
	const char *column;	/* -c, or NULL to take the first value column */
	const char *item;	/* -n, or NULL for the value column's name */
	const char *subject;	/* -s, or NULL for the default */
	const char *input;	/* NULL or "-" for standard input */
	const char *plot;	/* -p, or NULL */
	const char *item_id;	/* -i, or NULL */
	const char *link;	/* -l, or NULL */
	long	  list;		/* -m: points listed, 0 for all */
	int64_t	  date;		/* -d, in microseconds */
	int	  dflag;	/* -d seen */
	int	  verbose;
};

/* Where the columns the program reads are in a row. */
struct columns {
	long	  time;
	char	 *time_name;	/* the time column's name, for messages */
	long	  value;
	long	  score;	/* -1 when there is none */
	long	  anomaly;	/* -1 when there is none */
};

struct row {
	int64_t	  time;
	char	 *value;
	char	 *score;	/* NULL when there is no score column */
	double	  rank;		/* the score as a number */
	int	  ranked;	/* there is a score to rank by */
	size_t	  seq;		/* place in the input */
};

/* The anomalous rows and what the text says about them. */
struct table {
	struct row *row;
	size_t	  n;
	size_t	  cap;
	char	 *item;		/* the item's name, for subject and text */
	char	 *heading;	/* the value column's heading in the table */
	int	  scored;	/* the rows have a score */
	int64_t	  first, last;	/* the earliest and latest time */
	uint64_t  read;		/* data rows read */
};

/* The plot, read from the file -p names. */
struct plot {
	unsigned char *png;
	size_t	  len;
	unsigned long width, height;	/* from its IHDR chunk */
	const char *filename;	/* the attachment's name */
};

static const char usage_text[] =
    "usage: alert-mail [-v] -f from -t to [-t to]... [-c column] [-d date]\n"
    "                  [-i id [-l link]] [-m max] [-n item] [-p plot]\n"
    "                  [-s subject] [--time=column] [file]\n";

static const char help_text[] =
    "\n"
    "Write one mail message, for msmtp -t or sendmail -t, reporting the\n"
    "anomalous rows of FILE (standard input when FILE is absent or \"-\"):\n"
    "the CSV that iforest-score writes, whole or only its anomalous rows.\n"
    "When no row is anomalous nothing is written and the exit status is 1.\n"
    "\n"
    "  -c, --column=NAME      the value column to show (default: the first\n"
    "                         that is not the time, score or anomaly)\n"
    "  -d, --date=TIME        date the message TIME, RFC 3339, not now;\n"
    "                         without -d, SOURCE_DATE_EPOCH if it is set\n"
    "  -f, --from=ADDRESS     the sender, as plant@example.org or\n"
    "                         \"Plant 3 <plant@example.org>\"\n"
    "  -i, --item-id=ID       the item's id, shown in the text\n"
    "  -l, --link=BASE        link to the item: BASE with the id appended\n"
    "  -m, --max=N            list the N most anomalous points (default\n"
    "                         20; 0 lists all)\n"
    "  -n, --item=NAME        the item's name in the subject and text\n"
    "                         (default: the value column's name)\n"
    "  -p, --plot=FILE        a PNG plot to show in the text and attach\n"
    "  -s, --subject=TEXT     the subject (default: \"Anomaly detected in\n"
    "                         ITEM\" or \"N anomalies detected in ITEM\")\n"
    "  -t, --to=ADDRESS       a recipient, or several separated by commas;\n"
    "                         may be repeated\n"
    "      --time=COLUMN      the time column (default: the first column)\n"
    "  -v, --verbose          report rows read and anomalies found on\n"
    "                         standard error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "Exit status: 0 a message was written, 1 no anomaly, 2 trouble.\n";

enum { OPT_HELP = 256, OPT_VERSION, OPT_TIME };

static const struct option longopts[] = {
	{ "column",	required_argument, NULL, 'c' },
	{ "date",	required_argument, NULL, 'd' },
	{ "from",	required_argument, NULL, 'f' },
	{ "item-id",	required_argument, NULL, 'i' },
	{ "link",	required_argument, NULL, 'l' },
	{ "max",	required_argument, NULL, 'm' },
	{ "item",	required_argument, NULL, 'n' },
	{ "plot",	required_argument, NULL, 'p' },
	{ "subject",	required_argument, NULL, 's' },
	{ "to",		required_argument, NULL, 't' },
	{ "time",	required_argument, NULL, OPT_TIME },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

/*
 * What follows the part of a text of LEN bytes that a message quotes (see
 * err_shown): "..." when it is cut short.
 */
static const char *
cut(size_t len)
{
	return len > ERR_SHOWN ? "..." : "";
}

/*
 * Check text the message is to carry: valid UTF-8 with no control
 * character, a tab included.  RFC 5322 would let a tab through in a
 * Subject or a display name, but the item's name is also in the text,
 * whose wrapping and table count a tab as one column, and a tab in a
 * name is most often a paste gone wrong: one rule for all of them.
 * Returns 0, or -1 with *E filled.
 */
static int
check_text(const char *what, const char *s, size_t len, struct err *e)
{
	if (mail_check_text(what, s, len, e) == -1)
		return -1;
	if (memchr(s, '\t', len) != NULL)
		return err_set(e, 0, 0, "%s contains a tab", what);
	return 0;
}

/*
 * Append the addresses of the list S to *V, *N, for option OPT, and
 * check their display names with check_text.  Returns 0, or -1 with the
 * message printed.
 */
static int
add_addrs(struct mail_addr **v, size_t *n, const char *s, int opt)
{
	struct err e;
	size_t i = *n;

	if (mail_addr_list(v, n, s, &e) == -1) {
		diag_warn("-%c: %s", opt, e.msg);
		return -1;
	}
	for (; i < *n; i++)
		if ((*v)[i].name != NULL && check_text("display name",
		    (*v)[i].name, strlen((*v)[i].name), &e) == -1) {
			diag_warn("-%c: %s", opt, e.msg);
			return -1;
		}
	return 0;
}

/* Is C an ASCII letter or digit, or one of the characters of EXTRA? */
static int
plain_char(char c, const char *extra)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr(extra, c) != NULL);
}

/*
 * Why S is no item id, or NULL when it is one: 1 to ID_MAX letters,
 * digits and "-._~", the characters a URL carries as they are, so that
 * the link is the base and the id with nothing to escape.
 */
static const char *
check_id(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (!plain_char(s[i], "-._~"))
			return "only letters, digits and \"-._~\" are allowed";
	if (i == 0)
		return "empty";
	if (i > ID_MAX)
		return "longer than 128 bytes";
	return NULL;
}

/*
 * Why S is no link base, or NULL when it is one: an http or https URL of
 * at most LINK_MAX bytes, printable ASCII without spaces and without the
 * characters that a URL must not hold as they are ('"', "<", ">", "\\",
 * "^", "`", "{", "|", "}").
 */
static const char *
check_link(const char *s, char *what, size_t whatsz)
{
	const char *host;
	size_t i;

	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return "not an http:// or https:// URL";
	host = s + (s[4] == 's' ? 8 : 7);
	if (*host == '\0' || *host == '/')
		return "no host after the scheme";
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] <= ' ' || s[i] >= 0x7f)
			return "white space, a control or a non-ASCII"
			    " character";
		if (strchr("\"<>\\^`{|}", s[i]) != NULL) {
			snprintf(what, whatsz, "'%c' not allowed", s[i]);
			return what;
		}
	}
	if (i > LINK_MAX)
		return "longer than 512 bytes";
	return NULL;
}

/*
 * Read the options into *O.  Returns -1 when the program is to go on, or
 * the exit status when it is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	const char *why;
	char what[32];
	struct err e;
	int c;

	o->list = LIST_DEFAULT;
	while ((c = getopt_long(argc, argv, "c:d:f:i:l:m:n:p:s:t:v", longopts,
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
			if (o->nfrom > 0) {
				diag_warn("-f: one sender only");
				return diag_usage(usage_text);
			}
			if (add_addrs(&o->from, &o->nfrom, optarg,
			    'f') == -1)
				return diag_usage(usage_text);
			if (o->nfrom > 1) {
				diag_warn("-f: one sender only");
				return diag_usage(usage_text);
			}
			break;
		case 'i':
			if ((why = check_id(optarg)) != NULL) {
				diag_warn("-i: bad item id \"%.*s%s\": %s",
				    err_shown(optarg, strlen(optarg)), optarg,
				    cut(strlen(optarg)), why);
				return diag_usage(usage_text);
			}
			o->item_id = optarg;
			break;
		case 'l':
			if ((why = check_link(optarg, what,
			    sizeof what)) != NULL) {
				diag_warn("-l: bad link \"%.*s%s\": %s",
				    err_shown(optarg, strlen(optarg)), optarg,
				    cut(strlen(optarg)), why);
				return diag_usage(usage_text);
			}
			o->link = optarg;
			break;
		case 'm':
			if ((why = num_long(optarg, 0, LIST_MAX,
			    &o->list)) != NULL) {
				diag_warn("-m: bad count \"%.*s%s\": %s",
				    err_shown(optarg, strlen(optarg)), optarg,
				    cut(strlen(optarg)), why);
				return diag_usage(usage_text);
			}
			break;
		case 'p':
			if (*optarg == '\0') {
				diag_warn("-p: the plot's file name is empty");
				return diag_usage(usage_text);
			}
			o->plot = optarg;
			break;
		case 'n':
			if (*optarg == '\0') {
				diag_warn("item name is empty");
				return diag_usage(usage_text);
			}
			if (check_text("item name", optarg, strlen(optarg),
			    &e) == -1) {
				diag_warn("%s", e.msg);
				return diag_usage(usage_text);
			}
			o->item = optarg;
			break;
		case 's':
			if (check_text("subject", optarg, strlen(optarg),
			    &e) == -1) {
				diag_warn("%s", e.msg);
				return diag_usage(usage_text);
			}
			o->subject = optarg;
			break;
		case 't':
			if (add_addrs(&o->to, &o->nto, optarg, 't') == -1)
				return diag_usage(usage_text);
			break;
		case 'v':
			o->verbose = 1;
			break;
		case OPT_TIME:
			o->time = optarg;
			break;
		case OPT_HELP:
			return diag_help(usage_text, help_text) == 0 ?
			    EXIT_SENT : EXIT_TROUBLE;
		case OPT_VERSION:
			return diag_version() == 0 ? EXIT_SENT : EXIT_TROUBLE;
		default:
			return diag_usage(usage_text);
		}
	}
	if (o->nfrom == 0) {
		diag_warn("no sender: -f from is required");
		return diag_usage(usage_text);
	}
	if (o->nto == 0) {
		diag_warn("no recipient: -t to is required");
		return diag_usage(usage_text);
	}
	if (o->link != NULL && o->item_id == NULL) {
		diag_warn("-l: a link needs the item's id: give it with -i");
		return diag_usage(usage_text);
	}
	if ((c = diag_operand(argc, argv, optind, usage_text,
	    &o->input)) != -1)
		return c;
	if (diag_stdin_twice(o->plot, o->input)) {
		diag_warn("-p -: standard input is the CSV already");
		return diag_usage(usage_text);
	}
	return -1;
}

/*
 * The message's date: -d, else SOURCE_DATE_EPOCH (seconds since 1970, as
 * date +%s writes them, for reproducible output), else the clock.
 * Returns 0, or -1 with the message printed.
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
		if (*env == '-' && num_u64(env + 1, &sec) == NULL)
			why = "negative";
		else if ((why = num_u64(env, &sec)) == NULL &&
		    sec > EPOCH_MAX)
			why = "after the year 9999";
		if (why != NULL) {
			diag_warn("SOURCE_DATE_EPOCH: \"%.*s%s\" is %s:"
			    " expected seconds since 1970",
			    err_shown(env, strlen(env)), env, cut(strlen(env)),
			    why);
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
 * Check that column COL of the header HDR (none when COL is -1) has a
 * name no other column has.  A file scored twice has two "anomaly"
 * columns, and taking the first would mail stale flags or miss an alarm.
 * A column without a name goes by its place, not its name, and is not
 * compared.  One pass over the header.  Returns 0, or -1 with the
 * message printed.
 */
static int
check_unique(const char *file, const struct csv_record *hdr, long col)
{
	const char *name;
	size_t i, len, n = 0;

	if (col < 0 || hdr->len[col] == 0)
		return 0;
	name = hdr->field[col];
	len = hdr->len[col];
	for (i = 0; i < hdr->nfield; i++)
		if (hdr->len[i] == len && memcmp(hdr->field[i], name,
		    len) == 0)
			n++;
	if (n > 1) {
		diag_at(file, hdr->line, "column \"%.*s%s\" appears %zu times"
		    " in the header", err_shown(name, len), name, cut(len), n);
		return -1;
	}
	return 0;
}

/*
 * Find the columns in the header HDR: the time (--time, else the first),
 * the value (-c, else the first that is neither the time nor score or
 * anomaly), the score and anomaly columns when there are any.  Each must
 * be the only column of its name.  Returns 0, or -1 with the message
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
	col->time_name = NULL;
	if (o->time != NULL) {
		if ((col->time = csv_find(hdr, o->time)) < 0) {
			diag_at(file, hdr->line, "no column \"%s\" in the"
			    " header", o->time);
			return -1;
		}
		if (col->time == col->score || col->time == col->anomaly) {
			diag_at(file, hdr->line, "column \"%s\" is"
			    " iforest-score's output, not the time", o->time);
			return -1;
		}
	}
	if ((col->time_name = strdup(hdr->field[col->time])) == NULL) {
		diag_sys("out of memory");
		return -1;
	}

	if (o->column != NULL) {
		if ((col->value = csv_find(hdr, o->column)) < 0) {
			diag_at(file, hdr->line, "no column \"%s\" in the"
			    " header", o->column);
			return -1;
		}
		if (col->value == col->time) {
			diag_at(file, hdr->line, "column \"%s\" is the time,"
			    " not a value", o->column);
			return -1;
		}
	} else {
		for (i = 0; i < hdr->nfield; i++) {
			col->value = (long)i;
			if (col->value != col->time &&
			    col->value != col->score &&
			    col->value != col->anomaly)
				break;
		}
		if (i == hdr->nfield) {
			diag_at(file, hdr->line, "no value column: the header"
			    " has only the time, score and anomaly");
			return -1;
		}
	}

	if (check_unique(file, hdr, col->anomaly) == -1 ||
	    check_unique(file, hdr, col->score) == -1 ||
	    check_unique(file, hdr, col->time) == -1 ||
	    check_unique(file, hdr, col->value) == -1)
		return -1;
	return 0;
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

	if (check_text(what, s, len, &e) == -1) {
		diag_at(file, line, "%s", e.msg);
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

/*
 * Name what the message is about, from the header HDR: the item, for the
 * subject and the text (-n, else the value column's name), and the value
 * column's heading in the table (its name, or "value" when it has none and
 * -n gives the item).  Returns 0, or -1 with the message printed.
 */
static int
name_table(const char *file, const struct options *o,
    const struct csv_record *hdr, const struct columns *col,
    struct table *t)
{
	const char *name = hdr->field[col->value];
	size_t len = hdr->len[col->value];

	if (len == 0) {
		if (o->item == NULL) {
			diag_at(file, hdr->line, "the value column has no"
			    " name: give the item's name with -n");
			return -1;
		}
		name = "value";
		len = strlen(name);
	}
	if ((t->heading = cell(file, hdr->line, "the value column's name",
	    name, len)) == NULL)
		return -1;
	if ((t->item = strdup(o->item != NULL ? o->item : name)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}
	t->scored = col->score >= 0;
	return 0;
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
 * Does the row REC count?  It does when its anomaly field is 1, or always
 * when there is no anomaly column; 0 and empty (a row iforest-score could
 * not score) do not.  Returns 1 or 0, or -1 with the message printed.
 */
static int
is_anomalous(const char *file, const struct csv_record *rec,
    const struct columns *col)
{
	const char *a;
	size_t len;

	if (col->anomaly < 0)
		return 1;
	a = rec->field[col->anomaly];
	len = rec->len[col->anomaly];
	if (strcmp(a, "1") == 0)
		return 1;
	if (strcmp(a, "0") == 0 || len == 0)
		return 0;
	diag_at(file, rec->line, "anomaly is \"%.*s%s\", expected 0 or 1",
	    err_shown(a, len), a, cut(len));
	return -1;
}

/*
 * Add the anomalous row REC to T.  Returns 0, or -1 with the message
 * printed.
 */
static int
take_row(const char *file, const struct csv_record *rec,
    const struct columns *col, struct table *t)
{
	const char *s = rec->field[col->time], *name = col->time_name, *why;
	size_t len = rec->len[col->time];
	struct row row = { 0, NULL, NULL, 0, 0, 0 };

	/*
	 * The column's name tells a reader whose time is not in the first
	 * column that --time must name it.
	 */
	if ((why = time_parse(s, len, &row.time)) != NULL) {
		diag_at(file, rec->line, "bad time \"%.*s%s\" in column"
		    " \"%.*s%s\": %s", err_shown(s, len), s, cut(len),
		    err_shown(name, strlen(name)), name, cut(strlen(name)),
		    why);
		return -1;
	}
	if ((row.value = cell(file, rec->line, "value",
	    rec->field[col->value], rec->len[col->value])) == NULL)
		return -1;
	if (col->score >= 0 && (row.score = cell(file, rec->line, "score",
	    rec->field[col->score], rec->len[col->score])) == NULL) {
		free(row.value);
		return -1;
	}
	/*
	 * The score ranks the points.  An empty one (no anomaly column and
	 * a row iforest-score could not score) ranks last; anything else
	 * that is not a number is not iforest-score's.
	 */
	if (col->score >= 0 && rec->len[col->score] > 0) {
		s = rec->field[col->score];
		len = rec->len[col->score];
		if ((why = num_double(s, &row.rank)) != NULL) {
			diag_at(file, rec->line, "bad score \"%.*s%s\": %s",
			    err_shown(s, len), s, cut(len), why);
			free(row.value);
			free(row.score);
			return -1;
		}
		row.ranked = 1;
	}
	row.seq = t->n;
	if (add_row(t, &row) == -1) {
		free(row.value);
		free(row.score);
		return -1;
	}
	return 0;
}

/*
 * Read the header and the anomalous rows of FD into T.  Returns 0, or -1
 * with the message printed.
 */
static int
read_table(int fd, const struct options *o, struct table *t)
{
	const char *file = diag_name(o->input);
	struct csv_reader *r;
	struct csv_record rec;
	struct columns col = { 0, NULL, -1, -1, -1 };
	struct err e;
	int got, counts, rc = -1;

	if ((r = csv_open(fd, 0)) == NULL) {
		diag_sys("out of memory");
		return -1;
	}

	if (csv_header(r, &rec, &e) == -1) {
		diag_err(file, &e);
		goto out;
	}
	if (find_columns(file, o, &rec, &col) == -1 ||
	    name_table(file, o, &rec, &col, t) == -1)
		goto out;

	while ((got = csv_read(r, &rec, &e)) == 1) {
		t->read++;
		if ((counts = is_anomalous(file, &rec, &col)) == -1)
			goto out;
		if (counts == 1 && take_row(file, &rec, &col, t) == -1)
			goto out;
	}
	if (got == -1) {
		diag_err(file, &e);
		goto out;
	}
	rc = 0;
out:
	free(col.time_name);
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
		/* The next word: S[start] to S[i], CHARS characters. */
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
 * The order of the list: the highest score first, points without a score
 * after those with one, then the earlier time, then the input's order,
 * so that the order is total and the message the same on every system.
 */
static int
by_rank(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->ranked != y->ranked)
		return x->ranked ? -1 : 1;
	if (x->ranked && x->rank != y->rank)
		return x->rank > y->rank ? -1 : 1;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* How many points the list shows: -m of them, or all. */
static size_t
listed(const struct options *o, const struct table *t)
{
	if (o->list == 0 || (unsigned long)o->list >= t->n)
		return t->n;
	return (size_t)o->list;
}

/*
 * The first sentence of the text, unwrapped: how many points were found,
 * in which item, and when, from the earliest time to the latest.
 */
static void
put_summary(struct mail_buf *s, const struct table *t)
{
	char when[TIME_BUFSZ], num[32];

	snprintf(num, sizeof num, "%zu", t->n);
	mail_buf_str(s, num);
	mail_buf_str(s, t->n == 1 ? " anomalous point was found in " :
	    " anomalous points were found in ");
	mail_buf_str(s, t->item);
	time_format(when, t->first);
	if (t->first == t->last) {
		mail_buf_str(s, " at ");
		mail_buf_str(s, when);
	} else {
		mail_buf_str(s, " between ");
		mail_buf_str(s, when);
		mail_buf_str(s, " and ");
		time_format(when, t->last);
		mail_buf_str(s, when);
	}
	mail_buf_str(s, " (UTC).");
}

/* What the list is headed with, and how it ends when it is cut short. */
static const char *
list_heading(const struct table *t)
{
	return t->scored ? "Most anomalous first:" : "Earliest first:";
}

static void
put_more(struct mail_buf *b, size_t more)
{
	char num[48];

	snprintf(num, sizeof num, "and %zu more", more);
	mail_buf_str(b, num);
}

/*
 * One line of the table: TIME padded to width TW, VALUE padded to VW and
 * SCORE, when it is not NULL.
 */
static void
put_line(struct mail_buf *b, const char *time, size_t tw, const char *value,
    size_t vw, const char *score)
{
	put_padded(b, time, tw + GAP);
	put_padded(b, value, vw + GAP);
	if (score != NULL)
		mail_buf_str(b, score);
	/* No white space at a line's end: it would force quoted-printable. */
	while (b->len > 0 && b->data[b->len - 1] == ' ')
		b->len--;
	mail_buf_add(b, "\n", 1);
}

/*
 * The table of the first N points: the time, the value and the score, if
 * any, under their headings, in aligned columns.
 */
static void
put_table(struct mail_buf *b, const struct table *t, size_t n)
{
	char when[TIME_BUFSZ];
	size_t i, w, tw = width("time"), vw = width(t->heading);

	for (i = 0; i < n; i++) {
		if ((w = time_format(when, t->row[i].time)) > tw)
			tw = w;
		if ((w = width(t->row[i].value)) > vw)
			vw = w;
	}
	put_line(b, "time", tw, t->heading, vw, t->scored ? "score" : NULL);
	for (i = 0; i < n; i++) {
		time_format(when, t->row[i].time);
		put_line(b, when, tw, t->row[i].value, vw, t->row[i].score);
	}
}

/* What both parts of the message say, worked out once. */
struct content {
	struct mail_buf summary;	/* the first sentence */
	struct mail_buf subject;
	struct mail_buf link;		/* -l and -i, or empty */
	struct mail_buf cid;		/* the plot's Content-ID, no <> */
	struct mail_buf cid_url;	/* the same as a cid: URL */
	size_t	  n;			/* the points listed */
};

/* The plain text. */
static void
put_text(struct mail_buf *b, const struct options *o, const struct table *t,
    const struct plot *pl, const struct content *c)
{
	wrap(b, c->summary.data, c->summary.len, WRAP);
	mail_buf_str(b, "\n\n");
	if (o->item_id != NULL) {
		mail_buf_str(b, "Item id: ");
		mail_buf_str(b, o->item_id);
		mail_buf_str(b, "\n");
	}
	if (c->link.len > 0) {
		mail_buf_str(b, "In Clarify: ");
		mail_buf_str(b, c->link.data);
		mail_buf_str(b, "\n");
	}
	if (pl != NULL) {
		mail_buf_str(b, "Plot: attached as ");
		mail_buf_str(b, pl->filename);
		mail_buf_str(b, "\n");
	}
	if (o->item_id != NULL || pl != NULL)
		mail_buf_str(b, "\n");
	mail_buf_str(b, list_heading(t));
	mail_buf_str(b, "\n\n");
	put_table(b, t, c->n);
	if (c->n < t->n) {
		put_more(b, t->n - c->n);
		mail_buf_str(b, "\n");
	}
}

/* Append the NUL-terminated S to B, HTML-escaped. */
static void
put_esc(struct mail_buf *b, const char *s)
{
	mail_html(b, s, strlen(s));
}

/* One cell of the HTML table, of kind TAG ("th" or "td"). */
static void
put_cell(struct mail_buf *b, const char *tag, const char *s)
{
	mail_buf_str(b, "<");
	mail_buf_str(b, tag);
	mail_buf_str(b, strcmp(tag, "th") == 0 ? " align=\"left\">" : ">");
	put_esc(b, s);
	mail_buf_str(b, "</");
	mail_buf_str(b, tag);
	mail_buf_str(b, ">");
}

/*
 * The HTML: the same as the text, in a plain page that common mail
 * readers show alike: no style sheet, only inline styles, and a table.
 * Everything that comes from the input or the options is escaped.
 */
static void
put_html(struct mail_buf *b, const struct options *o, const struct table *t,
    const struct plot *pl, const struct content *c)
{
	struct mail_buf esc = { NULL, 0, 0, 0 };
	char when[TIME_BUFSZ], num[32];
	size_t i;

	mail_buf_str(b, "<!DOCTYPE html>\n<html>\n<head>\n"
	    "<meta charset=\"UTF-8\">\n<title>");
	put_esc(b, c->subject.data);
	mail_buf_str(b, "</title>\n</head>\n"
	    "<body style=\"font-family: sans-serif; color: #222222;\">\n"
	    "<p>");
	/* Wrapped as the text is, to keep the lines short. */
	put_esc(&esc, c->summary.data);
	if (esc.nomem)
		b->nomem = 1;
	else
		wrap(b, esc.data, esc.len, WRAP);
	mail_buf_free(&esc);
	mail_buf_str(b, "</p>\n");
	if (o->item_id != NULL) {
		mail_buf_str(b, "<p>Item id: <code>");
		put_esc(b, o->item_id);
		mail_buf_str(b, "</code>");
		if (c->link.len > 0) {
			mail_buf_str(b, "<br>\n<a href=\"");
			put_esc(b, c->link.data);
			mail_buf_str(b, "\">View ");
			put_esc(b, t->item);
			mail_buf_str(b, " in Clarify</a>");
		}
		mail_buf_str(b, "</p>\n");
	}
	if (pl != NULL) {
		mail_buf_str(b, "<p><img src=\"cid:");
		put_esc(b, c->cid_url.data);
		snprintf(num, sizeof num, "%lu", pl->width);
		mail_buf_str(b, "\" width=\"");
		mail_buf_str(b, num);
		snprintf(num, sizeof num, "%lu", pl->height);
		mail_buf_str(b, "\" height=\"");
		mail_buf_str(b, num);
		mail_buf_str(b, "\" alt=\"Plot of ");
		put_esc(b, t->item);
		mail_buf_str(b, "\" style=\"max-width: 100%; height: auto;\">"
		    "</p>\n");
	}
	mail_buf_str(b, "<p>");
	mail_buf_str(b, list_heading(t));
	mail_buf_str(b, "</p>\n<table cellpadding=\"4\" cellspacing=\"0\""
	    " border=\"1\"\n style=\"border-collapse: collapse;"
	    " border: 1px solid #999999;\">\n<tr>");
	put_cell(b, "th", "time");
	put_cell(b, "th", t->heading);
	if (t->scored)
		put_cell(b, "th", "score");
	mail_buf_str(b, "</tr>\n");
	for (i = 0; i < c->n; i++) {
		time_format(when, t->row[i].time);
		mail_buf_str(b, "<tr>");
		put_cell(b, "td", when);
		put_cell(b, "td", t->row[i].value);
		if (t->row[i].score != NULL)
			put_cell(b, "td", t->row[i].score);
		mail_buf_str(b, "</tr>\n");
	}
	mail_buf_str(b, "</table>\n");
	if (c->n < t->n) {
		mail_buf_str(b, "<p>");
		put_more(b, t->n - c->n);
		mail_buf_str(b, "</p>\n");
	}
	mail_buf_str(b, "</body>\n</html>\n");
}

/* The subject: -s, or how many anomalies were found in the item. */
static void
put_subject(struct mail_buf *b, const struct options *o,
    const struct table *t)
{
	char num[32];

	if (o->subject != NULL) {
		mail_buf_str(b, o->subject);
		return;
	}
	if (t->n == 1) {
		mail_buf_str(b, "Anomaly detected in ");
	} else {
		snprintf(num, sizeof num, "%zu", t->n);
		mail_buf_str(b, num);
		mail_buf_str(b, " anomalies detected in ");
	}
	mail_buf_str(b, t->item);
}

/*
 * The plot's Content-ID, "plot.HASH@DOMAIN" with the hash of its bytes
 * and the sender's domain, into C->cid, and the same as the address of
 * a cid: URL (RFC 2392) into C->cid_url: a domain literal's brackets,
 * or any other character a URL cannot carry, as %XX.
 */
static void
put_cid(struct content *c, const struct plot *pl, const char *domain)
{
	static const char hex[] = "0123456789ABCDEF";
	char t[40];
	size_t i;
	unsigned char ch;

	snprintf(t, sizeof t, "plot.%016llx@", (unsigned long long)
	    mail_hash(MAIL_HASH_INIT, pl->png, pl->len));
	mail_buf_str(&c->cid, t);
	mail_buf_str(&c->cid, domain);
	for (i = 0; i < c->cid.len && !c->cid.nomem; i++) {
		ch = (unsigned char)c->cid.data[i];
		if (plain_char((char)ch, ".-_@")) {
			mail_buf_add(&c->cid_url, &ch, 1);
		} else {
			t[0] = '%';
			t[1] = hex[ch >> 4];
			t[2] = hex[ch & 15];
			mail_buf_add(&c->cid_url, t, 3);
		}
	}
}

/*
 * A part holding the plot, shown as DISP ("inline" or "attachment"), and
 * with the Content-ID CID when it is not NULL.  Returns the part, or NULL
 * with *E filled.
 */
static struct mail_part *
plot_part(const struct plot *pl, const char *disp, const char *cid,
    struct err *e)
{
	struct mail_buf type = { NULL, 0, 0, 0 }, hdr = { NULL, 0, 0, 0 };
	struct mail_part *p = NULL;

	mail_buf_str(&type, "image/png; name=\"");
	mail_buf_str(&type, pl->filename);
	mail_buf_str(&type, "\"");
	mail_buf_str(&hdr, disp);
	mail_buf_str(&hdr, "; filename=\"");
	mail_buf_str(&hdr, pl->filename);
	mail_buf_str(&hdr, "\"");
	if (type.nomem || hdr.nomem) {
		err_set(e, 0, 0, "out of memory");
		goto out;
	}
	if ((p = mail_part_data(type.data, pl->png, pl->len, e)) == NULL)
		goto out;
	if (mail_part_header(p, "Content-Disposition", hdr.data, e) == -1)
		goto fail;
	if (cid != NULL) {
		hdr.len = 0;
		mail_buf_str(&hdr, "<");
		mail_buf_str(&hdr, cid);
		mail_buf_str(&hdr, ">");
		if (hdr.nomem) {
			err_set(e, 0, 0, "out of memory");
			goto fail;
		}
		if (mail_part_header(p, "Content-ID", hdr.data, e) == -1)
			goto fail;
	}
	goto out;
fail:
	mail_part_free(p);
	p = NULL;
out:
	mail_buf_free(&type);
	mail_buf_free(&hdr);
	return p;
}

/*
 * The body: text and HTML as alternatives; with a plot, those in a
 * multipart/related with the plot the HTML shows, and that in a
 * multipart/mixed with the plot again as an attachment, which readers
 * that do not show related parts still offer.  Returns the root part, or
 * NULL with *E filled.
 */
static struct mail_part *
build_body(const struct mail_buf *text, const struct mail_buf *html,
    const struct plot *pl, const char *cid, struct err *e)
{
	struct mail_part *alt = NULL, *rel = NULL, *mixed = NULL, *p = NULL;

	if ((alt = mail_part_multi("alternative", e)) == NULL ||
	    (p = mail_part_text("plain", text->data, text->len, e)) == NULL ||
	    mail_part_add(alt, p, e) == -1)
		goto fail;
	if ((p = mail_part_text("html", html->data, html->len, e)) == NULL ||
	    mail_part_add(alt, p, e) == -1)
		goto fail;
	p = NULL;
	if (pl == NULL)
		return alt;

	if ((rel = mail_part_multi("related", e)) == NULL ||
	    mail_part_add(rel, alt, e) == -1)
		goto fail;
	alt = NULL;
	if ((p = plot_part(pl, "inline", cid, e)) == NULL ||
	    mail_part_add(rel, p, e) == -1)
		goto fail;
	p = NULL;
	if ((mixed = mail_part_multi("mixed", e)) == NULL ||
	    mail_part_add(mixed, rel, e) == -1)
		goto fail;
	rel = NULL;
	if ((p = plot_part(pl, "attachment", NULL, e)) == NULL ||
	    mail_part_add(mixed, p, e) == -1)
		goto fail;
	return mixed;
fail:
	mail_part_free(p);
	mail_part_free(alt);
	mail_part_free(rel);
	mail_part_free(mixed);
	return NULL;
}

/*
 * Build the message for the rows of T, and the plot PL when it is not
 * NULL, into *M.  Returns 0, or -1 with the message printed.
 */
static int
compose(const struct options *o, struct table *t, const struct plot *pl,
    struct mail_msg *m)
{
	struct content c;
	struct mail_buf text = { NULL, 0, 0, 0 }, html = { NULL, 0, 0, 0 };
	struct mail_buf id = { NULL, 0, 0, 0 };
	struct mail_part *body = NULL;
	const char *domain = mail_addr_domain(&o->from[0]);
	char date[MAIL_DATE_BUFSZ];
	struct err e;
	uint64_t h;
	int rc = -1;

	memset(&c, 0, sizeof c);
	qsort(t->row, t->n, sizeof *t->row, by_rank);
	c.n = listed(o, t);
	put_summary(&c.summary, t);
	put_subject(&c.subject, o, t);
	if (o->link != NULL) {
		mail_buf_str(&c.link, o->link);
		mail_buf_str(&c.link, o->item_id);
	}
	if (pl != NULL)
		put_cid(&c, pl, domain);
	if (c.summary.nomem || c.subject.nomem || c.link.nomem ||
	    c.cid.nomem || c.cid_url.nomem) {
		diag_sys("out of memory");
		goto out;
	}
	put_text(&text, o, t, pl, &c);
	put_html(&html, o, t, pl, &c);
	if (text.nomem || html.nomem) {
		diag_sys("out of memory");
		goto out;
	}
	if ((body = build_body(&text, &html, pl, c.cid.data, &e)) == NULL) {
		diag_warn("%s", e.msg);
		goto out;
	}
	mail_date(date, o->date);

	if (mail_add_addrs(m, "From", o->from, 1, &e) == -1 ||
	    mail_add_addrs(m, "To", o->to, o->nto, &e) == -1 ||
	    mail_add_text(m, "Subject", c.subject.data, &e) == -1 ||
	    mail_add_raw(m, "Date", date, &e) == -1) {
		diag_warn("%s", e.msg);
		goto out;
	}

	/*
	 * The ID's hash covers the headers written so far, display names
	 * included, and the encoded body, plot and all: messages that
	 * differ anywhere get different IDs, and the same run with the
	 * same -d the same ID.
	 */
	h = mail_hash(MAIL_HASH_INIT, m->buf.data, m->buf.len);
	h = mail_part_hash(h, body);
	if (mail_message_id(&id, o->date, h, domain) == -1) {
		diag_sys("out of memory");
		goto out;
	}

	if (mail_add_raw(m, "Message-ID", id.data, &e) == -1 ||
	    mail_set_part(m, body, &e) == -1) {
		diag_warn("%s", e.msg);
		goto out;
	}
	rc = 0;
out:
	mail_part_free(body);
	mail_buf_free(&c.summary);
	mail_buf_free(&c.subject);
	mail_buf_free(&c.link);
	mail_buf_free(&c.cid);
	mail_buf_free(&c.cid_url);
	mail_buf_free(&text);
	mail_buf_free(&html);
	mail_buf_free(&id);
	return rc;
}

/* A 32-bit big-endian number at P, as PNG writes them. */
static unsigned long
be32(const unsigned char *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 |
	    (unsigned long)p[2] << 8 | p[3];
}

/*
 * The attachment's name: the last component of PATH when it is plain (1
 * to FILENAME_MAX_LEN letters, digits and "-._", not starting with a
 * dot), so that it needs no quoting or encoding, and "plot.png" else.
 */
static const char *
attachment_name(const char *path)
{
	const char *base = strrchr(path, '/'), *p;

	base = base != NULL ? base + 1 : path;
	if (*base == '\0' || *base == '.' ||
	    strlen(base) > FILENAME_MAX_LEN || strcmp(path, "-") == 0)
		return FILENAME_DEFAULT;
	for (p = base; *p != '\0'; p++)
		if (!plain_char(*p, "-._"))
			return FILENAME_DEFAULT;
	return base;
}

/*
 * Read the plot -p names into *PL and check that it is a PNG file: the
 * signature, then an IHDR chunk, which gives the size the HTML shows it
 * at.  Returns 0, or -1 with the message printed.
 */
static int
read_plot(const char *path, struct plot *pl)
{
	const char *name = diag_name(path);
	unsigned char *np;
	size_t cap = 0;
	ssize_t got;
	int fd, rc = -1;

	if ((fd = diag_open_input(path)) == -1)
		return -1;
	for (;;) {
		if (pl->len == cap) {
			if (cap > PLOT_MAX) {
				diag_at(name, 0, "the plot is larger than"
				    " 16 MiB: too large to mail");
				goto out;
			}
			cap = cap > 0 ? cap * 2 : 65536;
			if ((np = realloc(pl->png, cap)) == NULL) {
				diag_sys("out of memory");
				goto out;
			}
			pl->png = np;
		}
		got = read(fd, pl->png + pl->len, cap - pl->len);
		if (got == 0)
			break;
		if (got == -1) {
			if (errno == EINTR)
				continue;
			diag_sys("%s", name);
			goto out;
		}
		pl->len += (size_t)got;
	}
	if (pl->len < sizeof png_sig ||
	    memcmp(pl->png, png_sig, sizeof png_sig) != 0) {
		diag_at(name, 0, "not a PNG file: it does not start with the"
		    " PNG signature");
		goto out;
	}
	if (pl->len < 33 || be32(pl->png + 8) != 13 ||
	    memcmp(pl->png + 12, "IHDR", 4) != 0) {
		diag_at(name, 0, "not a PNG file: no IHDR chunk after the"
		    " signature");
		goto out;
	}
	pl->width = be32(pl->png + 16);
	pl->height = be32(pl->png + 20);
	if (pl->width == 0 || pl->height == 0) {
		diag_at(name, 0, "not a PNG file: the image is empty");
		goto out;
	}
	pl->filename = attachment_name(path);
	rc = 0;
out:
	diag_close_input(fd);
	return rc;
}

/*
 * Read the input, and write the message when there is anything to report.
 * Returns the exit status.
 */
static int
run(struct options *o, struct table *t, struct plot *pl, struct mail_msg *m)
{
	const char *file = diag_name(o->input);
	int fd, rc;

	if (choose_date(o) == -1)
		return EXIT_TROUBLE;
	/*
	 * The plot is read first: a broken one is trouble to report even
	 * in an hour without anomalies.
	 */
	if (o->plot != NULL && read_plot(o->plot, pl) == -1)
		return EXIT_TROUBLE;
	if ((fd = diag_open_input(o->input)) == -1)
		return EXIT_TROUBLE;
	rc = read_table(fd, o, t);
	diag_close_input(fd);
	if (rc == -1)
		return EXIT_TROUBLE;

	if (t->n == 0) {
		if (o->verbose)
			diag_warn("%s: %llu row%s read, none anomalous: no"
			    " message", file, (unsigned long long)t->read,
			    diag_plural(t->read));
		return EXIT_NONE;
	}

	if (compose(o, t, o->plot != NULL ? pl : NULL, m) == -1)
		return EXIT_TROUBLE;
	fwrite(m->buf.data, 1, m->buf.len, stdout);
	if (diag_close_stdout() != 0)
		return EXIT_TROUBLE;
	if (o->verbose)
		diag_warn("%s: %llu row%s read, %zu anomalous, %zu listed; a"
		    " message of %zu byte%s to %zu recipient%s", file,
		    (unsigned long long)t->read, diag_plural(t->read), t->n,
		    listed(o, t), m->buf.len, diag_plural(m->buf.len), o->nto,
		    diag_plural(o->nto));
	return EXIT_SENT;
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
	free(t->heading);
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct table t;
	struct mail_msg m;
	struct plot pl;
	int status;

	diag_init(argv[0]);
	/* getopt's own messages name argv[0]; make it the short name. */
	argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	memset(&t, 0, sizeof t);
	memset(&pl, 0, sizeof pl);
	mail_init(&m, "\n");

	if ((status = parse_options(argc, argv, &o)) == -1)
		status = run(&o, &t, &pl, &m);

	mail_free(&m);
	free(pl.png);
	free_table(&t);
	mail_addr_free(o.from, o.nfrom);
	mail_addr_free(o.to, o.nto);
	return status;
}
