/*
 * forest.h - Isolation Forest (Liu, Ting and Zhou, 2008) with the
 * semantics of scikit-learn's IsolationForest.
 *
 * Training reads rows one at a time and keeps, for each tree, a uniform
 * sample of `sample_size` rows drawn without replacement (reservoir
 * sampling), plus a uniform sample of at most `threshold_sample` rows for
 * placing the threshold.  Memory is therefore fixed by the parameters,
 * never by the number of rows.
 *
 * Each tree is grown on its sample: at a node, pick uniformly one feature
 * that is not constant in the node, and a split uniform in [min, max) of
 * that feature (rows with x <= split go left).  A node becomes a leaf when
 * it holds one row, when every feature is constant in it, or at depth
 * ceil(log2(psi)).  A row's path length in a tree is the depth of its leaf
 * plus c(size), the average path length of an unsuccessful search in a
 * binary search tree of the leaf's training rows:
 *
 *	c(n) = 2 (ln(n - 1) + 0.5772156649...) - 2 (n - 1) / n,  n > 2
 *	c(2) = 1,  c(n) = 0 for n <= 1
 *
 * The score is s = 2^(-E[h] / c(psi)) in (0, 1]: higher is more
 * anomalous, 0.5 is neutral.  The threshold is 0.5 with contamination
 * "auto", or else the (1 - contamination) quantile, linearly
 * interpolated, of the scores of the threshold sample (all the training
 * rows when there are no more than threshold_sample of them), which is
 * scikit-learn's offset_.  A row is anomalous when s > threshold.
 *
 * Functions that can fail return -1 (or NULL) and fill *e.
 */
#ifndef FOREST_H
#define FOREST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define IFOREST_TREES		100
#define IFOREST_SAMPLE		256	/* "auto" is min(256, rows) */
#define IFOREST_THRESHOLD_SAMPLE ((size_t)1 << 20)
#define IFOREST_MAXTREES	100000
#define IFOREST_MAXSAMPLE	((size_t)1 << 24)

/*
 * One node of a tree, in preorder: a split node's left child is the next
 * node, its right child is node[right].
 */
struct iforest_node {
	int32_t	 feature;	/* splitting feature, or -1 at a leaf */
	uint32_t right;		/* split: index of the right child */
	uint32_t size;		/* leaf: training rows that reached it */
	uint32_t depth;		/* depth of the node, root 0 */
	double	 split;		/* split: x <= split goes left */
	double	 pathlen;	/* leaf: depth + c(size) */
};

struct iforest_tree {
	size_t	 nnode;
	struct iforest_node *node;
};

struct iforest_params {
	size_t	 ntree;		/* trees; 0 means IFOREST_TREES */
	size_t	 sample_size;	/* rows per tree; 0 means "auto" */
	double	 contamination;	/* in (0, 0.5], or < 0 for "auto" */
	uint64_t seed;
	size_t	 threshold_sample; /* 0 means IFOREST_THRESHOLD_SAMPLE */
};

struct iforest_index;

struct iforest {
	size_t	 nfeature;
	char	**feature;	/* feature (column) names */
	size_t	 ntree;
	struct iforest_tree *tree;
	size_t	 psi;		/* rows each tree was grown on */
	double	 threshold;
	struct iforest_params params; /* as asked, for the record */
	uint64_t nrow;		/* rows trained on */
	size_t	 nthreshold;	/* rows that placed the threshold; 0 for
				   "auto" and in a model read from a file */
	size_t	 nabove;	/* how many of them score above it */
	struct iforest_index *index; /* private: faster scoring, or NULL */
};

/* c(n) above. */
double	iforest_c(double n);

/*
 * The threshold FRAC (in [0, 1)) of the way from the score LO up to the
 * next score HI, stepped from the nearer of the two: the interpolation of
 * iforest_train_end, which lib/merge.c shares so that a threshold placed
 * on the same scores is the same double.
 */
double	iforest_between(double lo, double hi, double frac);

/*
 * Read the contamination of an option, S: "auto" (as -1) or a fraction in
 * (0, 0.5].  Returns 0, or -1 with E saying what is wanted.
 */
int	iforest_contamination(const char *s, double *c, struct err *e);

struct iforest_trainer;

/*
 * Start training on rows of NFEATURE values named NAMES (copied).
 * P is checked here: "auto" or 1 to IFOREST_MAXSAMPLE rows, 1 to
 * IFOREST_MAXTREES trees, contamination in (0, 0.5] or auto.
 */
struct iforest_trainer *iforest_train_begin(const struct iforest_params *p,
	    size_t nfeature, char *const *names, struct err *e);

/* Offer one row of nfeature finite values (copied when sampled). */
int	iforest_train_add(struct iforest_trainer *t, const double *row,
	    struct err *e);

/*
 * Grow the trees, place the threshold and hand over the forest; T is
 * freed either way.  Fails on zero rows.
 */
struct iforest *iforest_train_end(struct iforest_trainer *t, struct err *e);

/* Drop a trainer without building (after an input error). */
void	iforest_train_abort(struct iforest_trainer *t);

/*
 * Build F's private index, which makes scoring faster without changing
 * any score, not even in the last bit.  iforest_train_end and model_read
 * do it; call it again after changing the trees by hand.  Without an
 * index (NULL, as in a forest built by hand) scoring walks the trees.
 * Best effort: when memory is short or the index would take too long to
 * build, there is none.
 */
void	iforest_prepare(struct iforest *f);

/* Mean path length E[h(x)] of ROW over the trees. */
double	iforest_pathlen(const struct iforest *f, const double *row);

/* Anomaly score s(x) of ROW, in (0, 1]. */
double	iforest_score(const struct iforest *f, const double *row);

/*
 * The scores of the N rows at ROWS (one after another, nfeature values
 * each) into SCORE[0..N-1]: the very values iforest_score gives, sooner,
 * as the trees are walked for many rows at a time.
 */
void	iforest_score_rows(const struct iforest *f, const double *rows,
	    size_t n, double *score);

void	iforest_free(struct iforest *f);

#endif
