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
 * neither a number nor null, a series key that appears twice in one
 * frame (JSON does not say which of the two would count), and a new key
 * whose column would take a name the header already has: "time", or a
 * name frame_rename gave.  A refused frame leaves the table as it was.
 *
 * The table has a column per series key, in the order the keys first
 * appear, then a column per renamed key that no frame holds, in the order
 * of the renames; and a row per distinct time, in time order.  A time that
 * comes more than once, in one frame or in several, gives one row, merged
 * column by column: a later number replaces an earlier one, and a null
 * never erases a number.  A time with no number in any column gives no
 * row at all.
 *
 * The table keeps the text of each number, in eight bytes per value when
 * it is no longer than seven, and a few words per time, per series of a
 * frame and per column: memory grows with the input, never with the
 * product of its times and columns.  Keys are
 * looked up in balanced trees, so no input costs more than n log n.
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
 * Head the column of series KEY with NAME instead of KEY.  Rename before
 * adding frames, so that frame_add refuses a key whose column would take
 * NAME where the key appears; a rename after works too.  A renamed key
 * that no frame holds still has its column, empty.  Returns 1 when a frame
 * added so far holds KEY, 0 when none does, or -1 with E filled: KEY was
 * renamed before, or NAME is "time" or another column's name; or
 * FRAME_NOMEM with E filled when memory ran out.
 */
#define FRAME_NOMEM (-2)

int	frame_rename(struct frame_table *t, const char *key, const char *name,
	    struct err *e);

/* Does a frame added so far hold series KEY? */
int	frame_has(const struct frame_table *t, const char *key);

/*
 * Write the table to FP.  Returns 0, or -1 with E filled: out of memory,
 * or a stream error ("write error", with ferror(FP) set).  *ST, when not
 * NULL, gets the counts.
 */
int	frame_write_csv(struct frame_table *t, FILE *fp,
	    struct frame_stats *st, struct err *e);

#endif
