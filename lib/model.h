/*
 * model.h - the model file: a forest written as versioned, portable text.
 *
 * The format is described in iforest-train(1).  Writing is deterministic
 * (the same forest gives the same bytes) and uses the shortest decimal
 * text that reads back exactly, so a model moves between machines without
 * losing a bit.  The last line carries a checksum of everything before it.
 *
 * Reading is strict and canonical: it accepts exactly the text the writer
 * would write for the forest it describes.  A wrong magic or version, a
 * missing or malformed line, a number not spelled as the writer spells it
 * (a leading zero, "0.50" for "0.5"), an escape the writer would not use,
 * a feature named twice, a value out of range, a tree whose structure or
 * leaf counts do not add up, trailing data, a truncated file or a
 * checksum that does not match is refused with the line that is wrong in
 * e->line.  A line longer than MODEL_MAXLINE bytes is refused before more
 * of it is read, and nothing is allocated for a count before the lines it
 * counts are there.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdio.h>

#include "err.h"
#include "forest.h"

#define MODEL_MAGIC	"iforest-model"
#define MODEL_VERSION	1

/*
 * The longest feature name a model holds, in bytes, and the longest line
 * of a model, LF excluded: a feature line of such a name with every byte
 * escaped as \xHH.
 */
#define MODEL_MAXNAME	16384
#define MODEL_MAXLINE	(8 + 4 * MODEL_MAXNAME)

/*
 * Write F to FP.  -1 on a stream error, or, before anything is written,
 * when a feature name is longer than MODEL_MAXNAME.
 */
int	model_write(FILE *fp, const struct iforest *f, struct err *e);

/*
 * Save F at PATH, according to what is there now:
 *
 *  - nothing, or a regular file: written atomically into a temporary file
 *    beside it, flushed to disk, then renamed over PATH.  A file replaced
 *    keeps its permission bits; a new one gets 0644 less the umask.  On
 *    any failure PATH is left as it was and the temporary file removed.
 *  - a symbolic link: the same for the file it leads to, in that file's
 *    own folder, so the link stays; a link to nothing creates the file it
 *    names when that file's folder exists.
 *  - a character device or a FIFO: opened (never created or truncated)
 *    and written into like a stream, which is not atomic.
 *  - a directory, a socket or a block device: refused (a model written
 *    over the start of a disk is never what was meant).
 */
int	model_save(const char *path, const struct iforest *f, struct err *e);

/*
 * As model_save, but for PATH "-" write F to standard output with
 * model_write.  A stream error there returns 0 and is left on stdout,
 * for the program to report when it closes standard output.
 */
int	model_output(const char *path, const struct iforest *f, struct err *e);

/* Read a model from FP; NULL on error. */
struct iforest *model_read(FILE *fp, struct err *e);

/* Open PATH and read a model from it: standard input for "-". */
struct iforest *model_load(const char *path, struct err *e);

#endif
