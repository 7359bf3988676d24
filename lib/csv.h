/*
 * csv.h - reading and writing CSV (RFC 4180) as people really write it.
 *
 * The reader takes records from a file descriptor in large blocks and
 * accepts: LF or CRLF line ends, a UTF-8 byte-order mark before the first
 * record (dropped), quoted fields holding commas, doubled quotes and line
 * breaks, a last record without a final newline, and records of any
 * length up to the limit given to csv_open.  Blank lines are skipped
 * (so is a line holding only a CR).
 *
 * It refuses, with the line and column in the error: a quote inside an
 * unquoted field, a CR that ends no line outside quotes, text after a
 * closing quote, a quoted field still open at the end of the input, a NUL
 * byte, a record longer than the limit, and a record whose field count
 * differs from the first record's (the header's).
 *
 * csv_read fills a struct csv_record that stays valid until the next call.
 * Each field is unquoted and NUL-terminated; `raw` is the record's bytes
 * exactly as read, without its line end, for programs that pass rows
 * through untouched.  Everything belongs to the reader.
 *
 * Returns: csv_read gives 1 for a record, 0 at the end of the input and
 * -1 on an error (in *e).  csv_open gives NULL only when out of memory.
 */
#ifndef CSV_H
#define CSV_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

/* Default longest record, in bytes: generous, but not unbounded. */
#define CSV_MAXRECORD ((size_t)64 << 20)

struct csv_record {
	char	**field;	/* nfield unquoted, NUL-terminated fields */
	size_t	 *len;		/* their lengths (a field may hold no NUL) */
	size_t	  nfield;
	const char *raw;	/* the record as read, line end excluded */
	size_t	  rawlen;
	long	  line;		/* line on which the record starts */
};

struct csv_reader;

/*
 * Read from the open descriptor FD (not closed by csv_close).  MAXRECORD
 * bounds one record's size; 0 means CSV_MAXRECORD.
 */
struct csv_reader *csv_open(int fd, size_t maxrecord);
void	csv_close(struct csv_reader *r);

int	csv_read(struct csv_reader *r, struct csv_record *rec, struct err *e);

/*
 * Read the header, the first record, as csv_read does; input with no
 * record at all is an error here.  Returns 0, or -1.
 */
int	csv_header(struct csv_reader *r, struct csv_record *rec,
	    struct err *e);

/*
 * Can csv_read return without reading more input, because R holds a whole
 * line or the input has ended?  A program that holds output back asks
 * this before csv_read, which may wait long on a slow source.  (A record
 * with a quoted line break may still need a read.)
 */
int	csv_ready(const struct csv_reader *r);

/* Index of the field named NAME in the header HDR, or -1. */
long	csv_find(const struct csv_record *hdr, const char *name);

/*
 * Read the fields of REC at columns COL[0..N-1], named NAME[0..N-1], as
 * numbers (lib/num.h) into X.  Returns 1 for a complete row and 0 when a
 * field is empty (a missing value; the other fields are still checked).
 * A field that is not a finite number gives -1 and an error naming its
 * column and quoting it, at the record's line.
 */
int	csv_numbers(const struct csv_record *rec, const size_t *col,
	    char *const *name, size_t n, double *x, struct err *e);

/*
 * An index of N names (a header's fields, a list from an option) sorted
 * once, so that a name and the number of times it occurs are found in
 * O(log N) however wide the header: a scan per name would take time in
 * the square of the columns, minutes for a few hundred thousand.  The
 * names are not copied and must outlive the index.
 */
struct csv_names {
	size_t	 n;
	struct csv_name {
		const char *name;
		size_t	 i;		/* position in the given order */
	} *by_name;
};

/* Index NAMES[0..N-1].  Returns 0, or -1 when out of memory. */
int	csv_names_init(struct csv_names *ix, char *const *names, size_t n,
	    struct err *e);

/*
 * The position of the first NAME in the given order, or -1 when there is
 * none; *COUNT (when not NULL) gets how many times NAME occurs.
 */
long	csv_names_find(const struct csv_names *ix, const char *name,
	    size_t *count);

/*
 * The earliest position at which a name occurs for the second (or later)
 * time, or ix->n when every name is distinct.
 */
size_t	csv_names_repeat(const struct csv_names *ix);

void	csv_names_free(struct csv_names *ix);

/*
 * Find each of the N NAMES (a model's features) among the fields of the
 * header HDR: COL[i] gets the position of NAMES[i].  A name absent from
 * the header, or present twice, gives -1 and an error at the header's
 * line that quotes it; an absent one's message ends with ": " and WHY
 * (such as "the model needs it").  Out of memory gives -1 at line 0.
 */
int	csv_columns(const struct csv_record *hdr, char *const *names,
	    size_t n, const char *why, size_t *col, struct err *e);

/*
 * Does a field of these bytes need quotes on output?  It does when it
 * holds a comma, a quote or a line break, or starts with a UTF-8
 * byte-order mark (which a reader drops at the start of its input).
 */
int	csv_needs_quotes(const char *s, size_t len);

/*
 * Write the LEN bytes at S as one field, quoted only when it must be.
 * Returns 0, or -1 when the stream reports an error.
 */
int	csv_put_field(FILE *fp, const char *s, size_t len);

#endif
