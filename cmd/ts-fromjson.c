/*
 * ts-fromjson - Clarify's JSON-RPC answers to one CSV table.
 *
 * Every input is read and checked before a byte is written, so that a
 * bad answer anywhere (an error response from the service, a truncated
 * download) leaves no partial table behind: output is all or nothing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clarify.h"
#include "diag.h"
#include "frame.h"
#include "json.h"

struct rename {
	const char *key;	/* points into argv */
	const char *name;
};

struct options {
	struct rename *rename;
	size_t	  nrename;
	int	  verbose;
};

static const char usage_text[] =
    "usage: ts-fromjson [-v] [-r key=name]... [file ...]\n";

static const char help_text[] =
    "\n"
    "Turn Clarify JSON-RPC answers (clarify.dataFrame or selectItems\n"
    "results, or bare data frames) read from the FILEs, or standard input,\n"
    "into one CSV table: a time column and a column per series, rows\n"
    "sorted by time, repeated times merged.\n"
    "\n"
    "  -r, --rename=KEY=NAME  head the column of series KEY with NAME\n"
    "                         (once per series); the column is written\n"
    "                         even when no answer holds KEY\n"
    "  -v, --verbose          report values, frames and rows on standard\n"
    "                         error\n"
    "      --help             print this help and exit\n"
    "      --version          print the version and exit\n"
    "\n"
    "Nothing is written unless all input is good.  A JSON-RPC error\n"
    "response is reported with its code, message and trace and is a\n"
    "failure.\n";

enum { OPT_HELP = 256, OPT_VERSION };

static const struct option longopts[] = {
	{ "rename",	required_argument, NULL, 'r' },
	{ "verbose",	no_argument,	   NULL, 'v' },
	{ "help",	no_argument,	   NULL, OPT_HELP },
	{ "version",	no_argument,	   NULL, OPT_VERSION },
	{ NULL,		0,		   NULL, 0 }
};

/* Take "KEY=NAME" from -r.  Returns -1 to go on, or the exit status. */
static int
add_rename(struct options *o, char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		diag_warn("-r wants key=name, with a key and a name, not "
		    "\"%s\"", arg);
		return diag_usage(usage_text);
	}
	*eq = '\0';
	o->rename[o->nrename].key = arg;
	o->rename[o->nrename].name = eq + 1;
	o->nrename++;
	return -1;
}

/*
 * Read the options into *O.  Returns -1 to go on, or the exit status
 * when the program is done (--help, --version, a usage error).
 */
static int
parse_options(int argc, char *argv[], struct options *o)
{
	int c, rc;

	/*
	 * Each -r takes at least two arguments' room in argv; one more so
	 * that even an empty argv asks calloc for something.
	 */
	if ((o->rename = calloc((size_t)argc + 1, sizeof *o->rename)) ==
	    NULL) {
		diag_sys("out of memory");
		return EXIT_FAIL;
	}
	while ((c = getopt_long(argc, argv, "r:v", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if ((rc = add_rename(o, optarg)) != -1)
				return rc;
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
	return -1;
}

/* Add each data frame of the value V.  Returns 0, or -1 with E filled. */
static int
add_value(struct frame_table *t, const struct json *v, struct err *e)
{
	const struct json *d;
	size_t i;

	if ((d = clarify_data(v, e)) == NULL)
		return -1;
	if (d->type != JSON_ARRAY)
		return frame_add(t, d, e);
	for (i = 0; i < d->len; i++)
		if (frame_add(t, &d->item[i], e) == -1)
			return -1;
	return 0;
}

/*
 * Read every value of the file PATH (NULL or "-" for standard input) into
 * the table.  Returns 0, or -1 with the message printed.
 */
static int
read_file(struct frame_table *t, const char *path, int verbose)
{
	const char *file = diag_name(path);
	struct json_reader *r;
	struct json *v;
	struct err e;
	size_t nvalue = 0;
	int fd, rc;

	if ((fd = diag_open_input(path)) == -1)
		return -1;
	r = json_open(fd, &e);
	diag_close_input(fd);
	if (r == NULL) {
		diag_err(file, &e);
		return -1;
	}
	while ((rc = json_next(r, &v, &e)) == 1) {
		nvalue++;
		if ((rc = add_value(t, v, &e)) == -1)
			break;
	}
	json_close(r);
	if (rc == -1) {
		diag_err(file, &e);
		return -1;
	}
	if (nvalue == 0) {
		diag_at(file, 0, "no input (not a single JSON value)");
		return -1;
	}
	if (verbose)
		diag_warn("%s: %zu JSON value%s", file, nvalue,
		    diag_plural(nvalue));
	return 0;
}

/*
 * Give the table the names of -r before any frame, so that a key whose
 * column would clash with one of them is refused where it appears.
 * Returns -1 to go on, or the exit status.
 */
static int
rename_columns(struct frame_table *t, const struct options *o)
{
	struct err e;
	size_t i;
	int rc;

	for (i = 0; i < o->nrename; i++) {
		rc = frame_rename(t, o->rename[i].key, o->rename[i].name, &e);
		if (rc == FRAME_NOMEM) {
			diag_warn("%s", e.msg);
			return EXIT_FAIL;
		}
		if (rc == -1) {
			diag_warn("-r: %s", e.msg);
			return diag_usage(usage_text);
		}
	}
	return -1;
}

int
main(int argc, char *argv[])
{
	struct options o;
	struct frame_table *t;
	struct frame_stats st;
	struct err e;
	size_t i;
	int status, rc = 0;

	/* An empty argv (argc 0) is a run with no arguments. */
	diag_init(argc > 0 ? argv[0] : "ts-fromjson");
	if (argc > 0)
		argv[0] = (char *)diag_prog();
	memset(&o, 0, sizeof o);
	if ((status = parse_options(argc, argv, &o)) != -1) {
		free(o.rename);
		return status;
	}
	if ((t = frame_new()) == NULL) {
		diag_sys("out of memory");
		free(o.rename);
		return EXIT_FAIL;
	}
	if ((status = rename_columns(t, &o)) != -1) {
		frame_free(t);
		free(o.rename);
		return status;
	}

	if (optind >= argc)
		rc = read_file(t, NULL, o.verbose);
	for (i = (size_t)optind; rc == 0 && i < (size_t)argc; i++)
		rc = read_file(t, argv[i], o.verbose);
	for (i = 0; rc == 0 && o.verbose && i < o.nrename; i++)
		if (!frame_has(t, o.rename[i].key))
			diag_warn("-r %s: no series has that key; its column "
			    "is empty", o.rename[i].key);
	if (rc == 0) {
		if (!isatty(STDOUT_FILENO))
			setvbuf(stdout, NULL, _IOFBF, (size_t)1 << 16);
		if ((rc = frame_write_csv(t, stdout, &st, &e)) == -1 &&
		    !ferror(stdout))
			diag_err(NULL, &e);
	}
	frame_free(t);
	free(o.rename);

	status = diag_close_stdout();
	if (rc == 0 && status == EXIT_OK && o.verbose)
		diag_warn("%zu row%s written from %zu time%s in %zu frame%s "
		    "(%zu merged into a row of the same time, %zu dropped "
		    "with no value)", st.rows, diag_plural(st.rows), st.times,
		    diag_plural(st.times), st.frames, diag_plural(st.frames),
		    st.merged, st.dropped);
	return rc == -1 ? EXIT_FAIL : status;
}
