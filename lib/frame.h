/*
 * frame.h - Clarify data frames merged into one table of rows.
 *
 * A data frame is the column store Clarify answers with:
 *
 *	{"times": [T, ...], "series": {"KEY": [V, ...], ...}}
 *
 * with RFC 3339 times (strings) and, in every series, one value per time:
 * a number, or null for none.  frame_add checks a frame completely and
 * copies what it needs, so the JSON may go away afterwards; it refuses,
 * with the line and column of the offending value, a frame that is no
 * object, missing or mistyped times or series, a time that is no RFC 3339
 * string, a series whose length differs from the times', a value that is
 * neither a number nor null, and a series key that appears twice in one
 * frame (JSON does not say which of the two would count).
 *
 * The table has a column per series key, in the order the keys first
 * appear (frame_rename may declare one before it appears), and a row per
 * distinct time, in time order.  A time that comes
 * more than once, in one frame or in several, gives one row, merged
 * column by column: a later number replaces an earlier one, and a null
 * never erases a number.  A time with no number in any column gives no
 * row at all.
 *
 * frame_write_csv writes the table as CSV: a header "time,KEY,...", then
 * the rows, times in UTC RFC 3339 (time_format), each number as the very
 * text it had in the JSON (which is also CSV number text), and an empty
 * field where a column has no value.
 */
#ifndef FRAME_H
#define FRAME_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "json.h"

struct frame_table;

struct frame_stats {
	size_t	 frames;	/* frames added */
	size_t	 times;		/* times read, repeats included */
	size_t	 rows;		/* rows written */
	size_t	 merged;	/* times merged into an earlier row */
	size_t	 dropped;	/* times with no value in any column */
};

/* A new, empty table, or NULL when out of memory. */
struct frame_table *frame_new(void);
void	frame_free(struct frame_table *t);

/* Add the data frame F.  Returns 0, or -1 with E filled. */
int	frame_add(struct frame_table *t, const struct json *f, struct err *e);

/*
 * Call the column of series KEY NAME in the header.  When no frame added
 * so far has KEY, its column is added now, after those there are, so the
 * header names it even if no frame ever holds the key: the column is then
 * empty.  Returns 1 when the table had the column, 0 when it was added,
 * or -1 when out of memory.
 */
int	frame_rename(struct frame_table *t, const char *key, const char *name);

/*
 * Write the table to FP.  Returns 0, or -1 with E filled: when two
 * columns would have the same name (the time column's included), or on a
 * stream error ("write error", with ferror(FP) set).  *ST, when not NULL,
 * gets the counts.
 */
int	frame_write_csv(struct frame_table *t, FILE *fp,
	    struct frame_stats *st, struct err *e);

#endif
