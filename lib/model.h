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
 * Write F to PATH atomically: into a temporary file beside it, flushed to
 * disk, then renamed over PATH.  On any failure PATH is left as it was
 * and the temporary file is removed.
 */
int	model_save(const char *path, const struct iforest *f, struct err *e);

/* Read a model from FP; NULL on error. */
struct iforest *model_read(FILE *fp, struct err *e);

/* Open PATH and read a model from it. */
struct iforest *model_load(const char *path, struct err *e);

#endif
