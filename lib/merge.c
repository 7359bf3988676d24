/*
 * merge.c - one forest from forests grown apart; see merge.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

/* Does PART fit FIRST?  0, or -1 with E saying how it differs. */
static int
fits(const struct iforest *first, const struct iforest *part,
    struct err *e)
{
	char a[ERR_QUOTESZ], b[ERR_QUOTESZ];
	size_t i;

	if (part->nfeature != first->nfeature)
		return err_set(e, 0, 0, "%zu feature%s where the first model"
		    " has %zu", part->nfeature, part->nfeature == 1 ? "" : "s",
		    first->nfeature);
	for (i = 0; i < first->nfeature; i++) {
		if (strcmp(part->feature[i], first->feature[i]) == 0)
			continue;
		return err_set(e, 0, 0, "feature %zu is \"%s\" where the"
		    " first model has \"%s\": the features must be the same,"
		    " in the same order", i + 1,
		    err_quote(a, part->feature[i], strlen(part->feature[i])),
		    err_quote(b, first->feature[i],
		    strlen(first->feature[i])));
	}
	if (part->psi != first->psi)
		return err_set(e, 0, 0, "trees of %zu rows where the first"
		    " model's have %zu: train every part with the same -s,"
		    " on at least that many rows", part->psi, first->psi);
	return 0;
}

static int
copy_tree(struct iforest_tree *to, const struct iforest_tree *from)
{
	if (from->nnode > SIZE_MAX / sizeof *to->node)
		return -1;
	if ((to->node = malloc(from->nnode * sizeof *to->node)) == NULL)
		return -1;
	memcpy(to->node, from->node, from->nnode * sizeof *to->node);
	to->nnode = from->nnode;
	return 0;
}

struct iforest *
merge_forests(struct iforest *const *part, size_t n, size_t *bad,
    struct err *e)
{
	const struct iforest *first;
	struct iforest *f;
	size_t i, k, t, ntree = 0;
	uint64_t nrow = 0;

	*bad = 0;
	if (n == 0) {
		err_set(e, 0, 0, "no model to merge");
		return NULL;
	}
	first = part[0];
	for (i = 0; i < n; i++) {
		if (fits(first, part[i], e) == -1) {
			*bad = i;
			return NULL;
		}
		if (part[i]->ntree > IFOREST_MAXTREES - ntree) {
			*bad = i;
			err_set(e, 0, 0, "more than %d trees in all",
			    IFOREST_MAXTREES);
			return NULL;
		}
		ntree += part[i]->ntree;
		if (part[i]->nrow > UINT64_MAX - nrow) {
			*bad = i;
			err_set(e, 0, 0, "more than 2^64 - 1 rows in all");
			return NULL;
		}
		nrow += part[i]->nrow;
	}

	if ((f = calloc(1, sizeof *f)) == NULL)
		goto nomem;
	f->params = first->params;
	f->params.ntree = ntree;
	f->params.contamination = -1;
	f->threshold = 0.5;
	f->psi = first->psi;
	f->nrow = nrow;
	/*
	 * psi is the smaller of the samples asked for and the rows; with the
	 * rows added up, a part that had fewer rows than it asked for would
	 * now say more.  Asking for psi keeps the model true to its trees.
	 */
	k = f->params.sample_size == 0 ? IFOREST_SAMPLE :
	    f->params.sample_size;
	if (((uint64_t)k < nrow ? (uint64_t)k : nrow) != f->psi)
		f->params.sample_size = f->psi;

	if ((f->feature = calloc(first->nfeature, sizeof *f->feature)) ==
	    NULL)
		goto nomem;
	for (i = 0; i < first->nfeature; i++) {
		if ((f->feature[i] = malloc(strlen(first->feature[i]) + 1)) ==
		    NULL)
			goto nomem;
		strcpy(f->feature[i], first->feature[i]);
		f->nfeature = i + 1;
	}
	if ((f->tree = calloc(ntree, sizeof *f->tree)) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		for (t = 0; t < part[i]->ntree; t++) {
			if (copy_tree(&f->tree[f->ntree], &part[i]->tree[t]) ==
			    -1)
				goto nomem;
			f->ntree++;
		}
	iforest_prepare(f);
	return f;

nomem:
	iforest_free(f);
	err_set(e, 0, 0, "out of memory");
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * The quantile is computed as iforest-train computes its own: between
 * the neighbours lo and hi at the fraction frac of the way, stepping from
 * the nearer one, so that a threshold placed on the same scores is the
 * same double either way.
 */
int
merge_threshold(struct iforest *f, double contamination, double *score,
    size_t n, struct err *e)
{
	double pos, frac, lo, hi, v;
	size_t i, k;

	if (!(contamination > 0 && contamination <= 0.5))
		return err_set(e, 0, 0, "contamination must be in (0, 0.5]");
	if (n == 0)
		return err_set(e, 0, 0, "no scores to place the threshold");
	qsort(score, n, sizeof *score, cmp_double);

	pos = (double)(n - 1) * (1 - contamination);
	k = (size_t)floor(pos);
	frac = pos - (double)k;
	lo = score[k];
	hi = k + 1 < n ? score[k + 1] : score[k];
	v = iforest_between(lo, hi, frac);

	f->threshold = v;
	f->params.contamination = contamination;
	f->nthreshold = n;
	f->nabove = 0;
	for (i = n; i > 0 && score[i - 1] > v; i--)
		f->nabove++;
	return 0;
}
