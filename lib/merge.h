/*
 * merge.h - one forest from forests grown apart, on parts of the data.
 *
 * An Isolation Forest's score depends on each tree only through the mean
 * of its path lengths, and each tree is grown on its own sample alone.
 * Forests grown on parts of the data, on several machines, are therefore
 * one forest once their trees are put together: E[h] over all the trees
 * is the mean of the parts' E[h], weighted by their numbers of trees.
 *
 * The parts must agree on what a tree means: the same features, named
 * alike and in the same order (a tree refers to a feature by number),
 * and the same psi, since c(psi) scales every path length.  Anything
 * else is refused, naming the part that differs from the first.
 *
 * The threshold of a part was placed on that part's rows only, so none
 * is kept: the merged forest has contamination "auto" and threshold 0.5
 * until merge_threshold places one on the scores of a sample, as
 * iforest-train places its own.
 */
#ifndef MERGE_H
#define MERGE_H

#include <stddef.h>

#include "err.h"
#include "forest.h"

/*
 * A new forest holding copies of the trees of PART[0..N-1], in order.
 * The rows trained on add up; the seed and the samples asked for are the
 * first part's, unless the samples asked for would not give the psi the
 * trees were grown with for the rows added up, when they become psi.
 * The forest is prepared for scoring (iforest_prepare).  NULL on error,
 * with *BAD set to the index of the part that does not fit (0 when no
 * part is to blame, as when memory runs out).
 */
struct iforest *merge_forests(struct iforest *const *part, size_t n,
	    size_t *bad, struct err *e);

/*
 * Place F's threshold at the (1 - CONTAMINATION) quantile of the N
 * scores at SCORE (sorted in place), interpolated linearly between
 * neighbours, and record the contamination, the N rows and how many of
 * them score above it.  CONTAMINATION must be in (0, 0.5] and N at least
 * 1.
 */
int	merge_threshold(struct iforest *f, double contamination, double *score,
	    size_t n, struct err *e);

#endif
