/*
 * model.h - the model file: a forest written as versioned, portable text.
 *
 * The format is described in iforest-train(1).  Writing is deterministic
 * (the same forest gives the same bytes) and uses the shortest decimal
 * text that reads back exactly, so a model moves between machines without
 * losing a bit.  The last line carries a checksum of everything before it.
 *
 * Reading is strict: a wrong magic or version, a missing or malformed
 * line, a value out of range, a tree whose structure or leaf counts do not
 * add up, trailing data, a truncated file or a checksum that does not
 * match is refused with the line that is wrong in e->line.
 */
#ifndef MODEL_H
#define MODEL_H

#include <stdio.h>

#include "err.h"
#include "forest.h"

#define MODEL_MAGIC	"iforest-model"
#define MODEL_VERSION	1

/* Write F to FP.  -1 on a stream error. */
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
 *  - a device or a FIFO: opened (never created or truncated) and written
 *    into like a stream, which is not atomic.
 *  - a directory or a socket: refused.
 */
int	model_save(const char *path, const struct iforest *f, struct err *e);

/* Read a model from FP; NULL on error. */
struct iforest *model_read(FILE *fp, struct err *e);

/* Open PATH and read a model from it. */
struct iforest *model_load(const char *path, struct err *e);

#endif
