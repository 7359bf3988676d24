/*
 * forest.c - growing an Isolation Forest from a stream of rows, and
 * scoring rows with it.
 *
 * Training keeps one reservoir of at most K rows per tree (K is the sample
 * size, 256 for "auto") and, when a contamination is given, one more of at
 * most threshold_sample rows.  The reservoirs skip ahead with Li's
 * Algorithm L (1994): after a reservoir is full, the index of the next row
 * it takes is drawn directly, so most rows cost each tree nothing.  A
 * min-heap keyed on those indices finds the trees that want the current
 * row with one comparison per row.
 *
 * Every random number comes from lib/rng.h, one stream per tree and one
 * for the threshold sample, all derived from the seed.  The logarithms
 * and powers that the sampling and the score need are computed here from
 * + - * / only, which IEEE 754 rounds the same way everywhere, rather
 * than by libm, whose last bit may differ between systems: the same rows,
 * parameters and seed therefore give the same forest, bit for bit, on any
 * machine.  Expressions that a compiler could fuse into a multiply-add
 * are split into statements, which C forbids it to fuse.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "forest.h"
#include "num.h"
#include "rng.h"

#define EULER_GAMMA	0.5772156649015329
#define LN2		0.69314718055994530942
#define LN2_HI		6.93147180369123816490e-01	/* ln 2, in two parts */
#define LN2_LO		1.90821492927058770002e-10
#define SQRT_HALF	0.70710678118654752440

/* A reservoir: a uniform sample without replacement of the rows seen. */
struct reservoir {
	struct rng rng;
	double	*row;		/* n rows of nfeature values */
	size_t	 n;		/* rows held */
	size_t	 cap;		/* rows allocated, grows up to k */
	size_t	 k;		/* rows wanted */
	uint64_t next;		/* once full: index of the next row taken */
	double	 lw;		/* once full: log W of Algorithm L */
};

struct iforest_trainer {
	struct iforest_params p;	/* as asked */
	size_t	 ntree;
	size_t	 nfeature;
	char	**names;
	struct reservoir *tree;		/* one per tree */
	size_t	*heap;			/* trees by their next wanted row */
	int	 full;			/* have the tree reservoirs filled? */
	int	 want_threshold;
	struct reservoir thr;		/* rows that place the threshold */
	uint64_t nrow;
};

/*
 * Natural logarithm of X > 0 from frexp (exact) and the series
 * ln m = 2 atanh z, z = (m - 1) / (m + 1), with m in [sqrt(1/2), sqrt(2)).
 */
static double
det_log(double x)
{
	double m, z, z2, sum, term, hi;
	int ex, k;

	m = frexp(x, &ex);
	if (m < SQRT_HALF) {
		m *= 2;
		ex--;
	}
	z = (m - 1) / (m + 1);
	z2 = z * z;
	sum = 0;
	for (k = 23; k >= 1; k -= 2) {
		term = sum * z2;
		sum = term + 1.0 / k;
	}
	sum = sum * z;
	sum = sum * 2;
	hi = ex * LN2_HI;
	term = ex * LN2_LO;
	sum = sum + term;
	return hi + sum;
}

/* ln(1 - W) for W in (0, 1), accurate for small W too. */
static double
det_log1m(double w)
{
	double z, z2, sum, term;
	int k;

	if (w > 0.25)
		return det_log(1 - w);
	z = w / (2 - w);		/* 1 - w = (1 - z) / (1 + z) */
	z2 = z * z;
	sum = 0;
	for (k = 19; k >= 1; k -= 2) {
		term = sum * z2;
		sum = term + 1.0 / k;
	}
	sum = sum * z;
	return -2 * sum;
}

/*
 * X times 2^N, as ldexp gives it, but without the call when 2^N is a
 * normal double: the product is then rounded once, as ldexp rounds it.
 */
static double
times_pow2(double x, int n)
{
	uint64_t bits;
	double p;

	if (n < -1022 || n > 1023)
		return ldexp(x, n);
	bits = (uint64_t)(n + 1023) << 52;
	memcpy(&p, &bits, sizeof p);
	return x * p;
}

/* One step of det_exp2's series, from its last term K down: SUM r / K + 1,
 * in statements apart (see the top of this file). */
static inline double
term(double sum, double r, double k)
{
	double t;

	t = sum * r;
	t = t / k;
	return t + 1;
}

/* 2^X for X <= 0 (or moderately positive): exact for whole X. */
static double
det_exp2(double x)
{
	double n, r, sum;

	if (x < -1100)
		return 0;
	n = floor(x);
	r = x - n;			/* exact, in [0, 1) */
	r = r * LN2;
	/* The series 1 + r (1 + r/2 (1 + r/3 (...))), written out so that
	 * each k is a constant: dividing by 1, 2, 4, 8 or 16 is then done as
	 * multiplying by the exact inverse: the same result, without the
	 * wait on a division. */
	sum = 1;
	sum = term(sum, r, 18);
	sum = term(sum, r, 17);
	sum = term(sum, r, 16);
	sum = term(sum, r, 15);
	sum = term(sum, r, 14);
	sum = term(sum, r, 13);
	sum = term(sum, r, 12);
	sum = term(sum, r, 11);
	sum = term(sum, r, 10);
	sum = term(sum, r, 9);
	sum = term(sum, r, 8);
	sum = term(sum, r, 7);
	sum = term(sum, r, 6);
	sum = term(sum, r, 5);
	sum = term(sum, r, 4);
	sum = term(sum, r, 3);
	sum = term(sum, r, 2);
	sum = term(sum, r, 1);
	return times_pow2(sum, (int)n);
}

/* e^X, X <= 0. */
static double
det_exp(double x)
{
	return det_exp2(x / LN2);
}

double
iforest_c(double n)
{
	double a, b;

	if (n <= 1)
		return 0;
	if (n <= 2)
		return 1;
	a = det_log(n - 1);
	a = a + EULER_GAMMA;
	a = 2 * a;
	b = 2 * (n - 1);
	b = b / n;
	return a - b;
}

/* ceil(log2(max(psi, 2))), in integers so that no rounding can move it. */
static unsigned
max_depth(size_t psi)
{
	unsigned d = 1;

	while (d < 64 && ((size_t)1 << d) < psi)
		d++;
	return d;
}

/* A uniform double in (0, 1): never 0, so its logarithm is finite. */
static double
open_uniform(struct rng *r)
{
	double u = (double)(rng_next(r) >> 11);

	u = u + 0.5;
	return u * 0x1.0p-53;
}

/*
 * Algorithm L: advance the reservoir's W and draw how many rows to pass
 * over before the next one it takes, which is row I + 1 + skip.
 */
static void
reservoir_skip(struct reservoir *r, uint64_t i)
{
	double w, skip, lu;

	lu = det_log(open_uniform(&r->rng));
	r->lw += lu / (double)r->k;
	w = det_exp(r->lw);
	lu = det_log(open_uniform(&r->rng));
	if (w >= 1)
		skip = 0;
	else if (w <= 0)
		skip = 1e19;
	else
		skip = floor(lu / det_log1m(w));
	/* A skip past 2^63 rows is never reached: park it there. */
	if (!(skip < 0x1.0p63))
		skip = 0x1.0p63;
	r->next = i + 1 + (uint64_t)skip;
}

/* Make room for one more row; the storage grows by doubling up to k. */
static int
reservoir_grow(struct reservoir *r, size_t nfeature, struct err *e)
{
	size_t cap;
	double *row;

	if (r->n < r->cap)
		return 0;
	cap = r->cap == 0 ? 16 : r->cap * 2;
	if (cap > r->k)
		cap = r->k;
	if (cap > SIZE_MAX / sizeof(double) / nfeature)
		return err_set(e, 0, 0, "out of memory for the sample");
	row = realloc(r->row, cap * nfeature * sizeof(double));
	if (row == NULL)
		return err_set(e, 0, 0, "out of memory for the sample");
	r->row = row;
	r->cap = cap;
	return 0;
}

/*
 * Offer row number I to reservoir R.  While it fills, every row goes in;
 * after that, only row r->next, into a slot chosen uniformly.
 */
static int
reservoir_offer(struct reservoir *r, const double *row, size_t nfeature,
    uint64_t i, struct err *e)
{
	size_t slot;

	if (r->n < r->k) {
		if (reservoir_grow(r, nfeature, e) == -1)
			return -1;
		memcpy(r->row + r->n * nfeature, row,
		    nfeature * sizeof(double));
		r->n++;
		if (r->n == r->k) {
			r->lw = 0;
			reservoir_skip(r, i);
		}
		return 0;
	}
	if (i != r->next)
		return 0;
	slot = (size_t)rng_below(&r->rng, r->k);
	memcpy(r->row + slot * nfeature, row, nfeature * sizeof(double));
	reservoir_skip(r, i);
	return 0;
}

/* The heap orders trees by next row wanted, ties by tree number. */
static int
heap_less(const struct iforest_trainer *t, size_t a, size_t b)
{
	uint64_t na = t->tree[a].next, nb = t->tree[b].next;

	return na < nb || (na == nb && a < b);
}

static void
heap_down(struct iforest_trainer *t, size_t i)
{
	size_t n = t->ntree, c, tmp;

	for (;;) {
		c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_less(t, t->heap[c + 1], t->heap[c]))
			c++;
		if (!heap_less(t, t->heap[c], t->heap[i]))
			break;
		tmp = t->heap[i];
		t->heap[i] = t->heap[c];
		t->heap[c] = tmp;
		i = c;
	}
}

static char *
copy_string(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = malloc(n);

	if (c != NULL)
		memcpy(c, s, n);
	return c;
}

static void
free_names(char **names, size_t n)
{
	size_t i;

	if (names == NULL)
		return;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

static int
check_params(const struct iforest_params *p, size_t nfeature,
    struct err *e)
{
	if (p->ntree > IFOREST_MAXTREES)
		return err_set(e, 0, 0, "number of trees must be 1 to %d",
		    IFOREST_MAXTREES);
	if (p->sample_size > IFOREST_MAXSAMPLE)
		return err_set(e, 0, 0, "sample size must be 1 to %zu",
		    IFOREST_MAXSAMPLE);
	if (isnan(p->contamination) || p->contamination == 0 ||
	    p->contamination > 0.5)
		return err_set(e, 0, 0,
		    "contamination must be in (0, 0.5] or auto");
	if (nfeature == 0)
		return err_set(e, 0, 0, "no features to train on");
	if (nfeature > INT32_MAX)
		return err_set(e, 0, 0, "too many features (%zu)", nfeature);
	return 0;
}

struct iforest_trainer *
iforest_train_begin(const struct iforest_params *p, size_t nfeature,
    char *const *names, struct err *e)
{
	struct iforest_trainer *t;
	struct rng seeder;
	size_t i;

	if (check_params(p, nfeature, e) == -1)
		return NULL;
	if ((t = calloc(1, sizeof *t)) == NULL)
		goto nomem;
	t->p = *p;
	if (t->p.contamination < 0)
		t->p.contamination = -1;
	t->ntree = p->ntree == 0 ? IFOREST_TREES : p->ntree;
	t->nfeature = nfeature;
	if ((t->names = calloc(nfeature, sizeof *t->names)) == NULL)
		goto nomem;
	for (i = 0; i < nfeature; i++)
		if ((t->names[i] = copy_string(names[i])) == NULL)
			goto nomem;
	t->tree = calloc(t->ntree, sizeof *t->tree);
	t->heap = calloc(t->ntree, sizeof *t->heap);
	if (t->tree == NULL || t->heap == NULL)
		goto nomem;

	/* Each tree and the threshold sample get a stream of their own. */
	rng_seed(&seeder, p->seed);
	for (i = 0; i < t->ntree; i++) {
		rng_seed(&t->tree[i].rng, rng_next(&seeder));
		t->tree[i].k = p->sample_size == 0 ? IFOREST_SAMPLE :
		    p->sample_size;
		t->heap[i] = i;
	}
	rng_seed(&t->thr.rng, rng_next(&seeder));
	t->thr.k = p->threshold_sample == 0 ? IFOREST_THRESHOLD_SAMPLE :
	    p->threshold_sample;
	t->want_threshold = t->p.contamination > 0;
	return t;

nomem:
	err_set(e, 0, 0, "out of memory");
	iforest_train_abort(t);
	return NULL;
}

void
iforest_train_abort(struct iforest_trainer *t)
{
	size_t i;

	if (t == NULL)
		return;
	free_names(t->names, t->nfeature);
	if (t->tree != NULL)
		for (i = 0; i < t->ntree; i++)
			free(t->tree[i].row);
	free(t->tree);
	free(t->heap);
	free(t->thr.row);
	free(t);
}

int
iforest_train_add(struct iforest_trainer *t, const double *row,
    struct err *e)
{
	size_t i, top;

	for (i = 0; i < t->nfeature; i++)
		if (!isfinite(row[i]))
			return err_set(e, 0, 0,
			    "value of feature '%s' is not a finite number",
			    t->names[i]);

	if (!t->full) {
		/* Every tree holds the same rows until the reservoirs fill. */
		for (i = 0; i < t->ntree; i++)
			if (reservoir_offer(&t->tree[i], row, t->nfeature,
			    t->nrow, e) == -1)
				return -1;
		if (t->tree[0].n == t->tree[0].k) {
			t->full = 1;
			for (i = t->ntree / 2; i-- > 0; )
				heap_down(t, i);
		}
	} else {
		while (t->tree[top = t->heap[0]].next == t->nrow) {
			reservoir_offer(&t->tree[top], row, t->nfeature,
			    t->nrow, e);
			heap_down(t, 0);
		}
	}
	if (t->want_threshold && reservoir_offer(&t->thr, row, t->nfeature,
	    t->nrow, e) == -1)
		return -1;
	t->nrow++;
	return 0;
}

/* Work space shared by the trees while they grow. */
struct grower {
	size_t	 nfeature;
	const double *x;	/* the tree's sample, psi rows */
	uint32_t *idx;		/* row numbers, partitioned as we go */
	size_t	*feat;		/* features not constant in the sample */
	size_t	 nfeat;
	struct task {
		uint32_t lo, hi, depth;
		uint32_t parent;	/* split waiting for its right child */
	}	*stack;
	unsigned maxdepth;
};

#define NO_PARENT UINT32_MAX

/*
 * Pick a feature uniformly among those not constant in rows IDX[0..N),
 * drawing and setting aside constant ones as scikit-learn's random
 * splitter does; -1 when all are constant.
 */
static long
pick_feature(struct grower *g, struct rng *r, const uint32_t *idx,
    size_t n, double *minp, double *maxp)
{
	size_t left = g->nfeat, j, i, f, tmp;
	double lo, hi, v;

	while (left > 0) {
		j = (size_t)rng_below(r, left);
		f = g->feat[j];
		lo = hi = g->x[(size_t)idx[0] * g->nfeature + f];
		for (i = 1; i < n; i++) {
			v = g->x[(size_t)idx[i] * g->nfeature + f];
			if (v < lo)
				lo = v;
			if (v > hi)
				hi = v;
		}
		if (hi > lo) {
			*minp = lo;
			*maxp = hi;
			return (long)f;
		}
		tmp = g->feat[j];
		g->feat[j] = g->feat[left - 1];
		g->feat[left - 1] = tmp;
		left--;
	}
	return -1;
}

/*
 * A split uniform in [lo, hi), so that the row holding lo goes left and
 * the one holding hi goes right.
 */
static double
draw_split(struct rng *r, double lo, double hi)
{
	double u = rng_uniform(r), d = hi - lo, s, a, b;

	if (isfinite(d)) {
		s = d * u;
		s = lo + s;
	} else {
		/* hi - lo overflowed: weigh the ends instead. */
		a = lo * (1 - u);
		b = hi * u;
		s = a + b;
	}
	if (s >= hi || s < lo)
		s = lo;
	return s;
}

static int
add_node(struct iforest_tree *tr, size_t *cap, struct err *e)
{
	struct iforest_node *node;
	size_t n;

	if (tr->nnode < *cap)
		return 0;
	n = *cap == 0 ? 64 : *cap * 2;
	if ((node = realloc(tr->node, n * sizeof *node)) == NULL)
		return err_set(e, 0, 0, "out of memory for the trees");
	tr->node = node;
	*cap = n;
	return 0;
}

/*
 * Grow one tree on PSI rows at g->x.  Nodes are made in preorder with an
 * explicit stack, so a split's left child is the next node and its right
 * child is patched in when the stack reaches it.
 */
static int
grow_tree(struct grower *g, struct rng *r, size_t psi,
    struct iforest_tree *tr, struct err *e)
{
	struct task tk;
	struct iforest_node *nd;
	size_t sp = 0, cap = 0, i, j, n, f;
	uint32_t lo, hi, tmp;
	double min, max, split;
	long feature;

	for (i = 0; i < psi; i++)
		g->idx[i] = (uint32_t)i;

	/* Features constant in the whole sample stay constant below. */
	g->nfeat = 0;
	for (f = 0; f < g->nfeature; f++) {
		for (i = 1; i < psi; i++)
			if (g->x[i * g->nfeature + f] != g->x[f])
				break;
		if (i < psi)
			g->feat[g->nfeat++] = f;
	}

	tr->nnode = 0;
	tr->node = NULL;
	g->stack[sp++] = (struct task){ 0, (uint32_t)psi, 0, NO_PARENT };
	while (sp > 0) {
		tk = g->stack[--sp];
		if (add_node(tr, &cap, e) == -1)
			return -1;
		i = tr->nnode++;
		if (tk.parent != NO_PARENT)
			tr->node[tk.parent].right = (uint32_t)i;
		nd = &tr->node[i];
		memset(nd, 0, sizeof *nd);
		nd->depth = tk.depth;
		n = tk.hi - tk.lo;
		feature = -1;
		if (n > 1 && tk.depth < g->maxdepth)
			feature = pick_feature(g, r, g->idx + tk.lo, n,
			    &min, &max);
		if (feature < 0) {
			nd->feature = -1;
			nd->size = (uint32_t)n;
			nd->pathlen = tk.depth + iforest_c((double)n);
			continue;
		}
		split = draw_split(r, min, max);
		nd->feature = (int32_t)feature;
		nd->split = split;

		/* Partition: rows with x <= split first. */
		lo = tk.lo;
		hi = tk.hi;
		while (lo < hi) {
			j = (size_t)g->idx[lo] * g->nfeature + (size_t)feature;
			if (g->x[j] <= split) {
				lo++;
				continue;
			}
			tmp = g->idx[lo];
			g->idx[lo] = g->idx[--hi];
			g->idx[hi] = tmp;
		}
		g->stack[sp++] = (struct task){ lo, tk.hi, tk.depth + 1,
		    (uint32_t)i };
		g->stack[sp++] = (struct task){ tk.lo, lo, tk.depth + 1,
		    NO_PARENT };
	}

	/* Give back the slack of the doubling. */
	if ((nd = realloc(tr->node, tr->nnode * sizeof *nd)) != NULL)
		tr->node = nd;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of three values, for a pivot. */
static double
median3(double a, double b, double c)
{
	if (a > b) {
		double t = a;

		a = b;
		b = t;
	}
	return c <= a ? a : c >= b ? b : c;
}

/*
 * Reorder S[0..N) so that S[K] is the (K+1)-th smallest, with nothing
 * larger before it and nothing smaller after it (Hoare's FIND): the
 * order statistics the threshold needs in linear time, where sorting a
 * million scores took most of the training.  The values found are those
 * a sort would put there, so the threshold does not change.  Should the
 * pivots keep going wrong, the rest is sorted.
 */
static void
select_kth(double *s, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1, i, j, rounds = 0;
	double pivot, t;

	while (lo < hi) {
		if (++rounds > 64) {
			qsort(s + lo, hi - lo + 1, sizeof *s, cmp_double);
			return;
		}
		pivot = median3(s[lo], s[lo + (hi - lo) / 2], s[hi]);
		i = lo;
		j = hi;
		/* The pivot is in range, so neither scan runs off it. */
		for (;;) {
			while (s[i] < pivot)
				i++;
			while (s[j] > pivot)
				j--;
			if (i >= j)
				break;
			t = s[i];
			s[i++] = s[j];
			s[j--] = t;
		}
		/* Now s[lo..j] <= pivot <= s[j+1..hi]. */
		if (k <= j)
			hi = j;
		else
			lo = j + 1;
	}
}

int
iforest_contamination(const char *s, double *c, struct err *e)
{
	if (strcmp(s, "auto") == 0) {
		*c = -1;
		return 0;
	}
	if (num_double(s, c) != NULL || !(*c > 0 && *c <= 0.5))
		return err_set(e, 0, 0, "contamination must be auto or a"
		    " fraction in (0, 0.5]");
	return 0;
}

/*
 * The product is rounded apart from the sum, in a statement of its own,
 * so that no compiler fuses the two (C allows it within an expression)
 * and the threshold is the same double on every machine.
 */
double
iforest_between(double lo, double hi, double frac)
{
	double d = hi - lo, v;

	if (frac >= 0.5) {
		v = d * (1 - frac);
		return hi - v;
	}
	v = d * frac;
	return lo + v;
}

/*
 * The (1 - contamination) quantile of the scores of the threshold sample,
 * interpolated linearly between neighbours as numpy's percentile does.
 */
static int
place_threshold(struct iforest *f, struct reservoir *thr, struct err *e)
{
	double *s, pos, frac, lo, hi, v;
	size_t i, n = thr->n, k;

	if ((s = malloc(n * sizeof *s)) == NULL)
		return err_set(e, 0, 0, "out of memory for the threshold");
	iforest_score_rows(f, thr->row, n, s);

	pos = (double)(n - 1) * (1 - f->params.contamination);
	k = (size_t)floor(pos);
	frac = pos - (double)k;
	select_kth(s, n, k);
	lo = s[k];
	hi = lo;
	for (i = k + 1; i < n; i++)
		if (i == k + 1 || s[i] < hi)
			hi = s[i];
	v = iforest_between(lo, hi, frac);
	f->threshold = v;

	/* Ties may put far fewer rows above it than asked: say how many. */
	f->nthreshold = n;
	for (i = 0; i < n; i++)
		f->nabove += s[i] > v;
	free(s);
	return 0;
}

struct iforest *
iforest_train_end(struct iforest_trainer *t, struct err *e)
{
	struct iforest *f = NULL;
	struct grower g;
	size_t i, psi;

	memset(&g, 0, sizeof g);
	if (t->nrow == 0) {
		err_set(e, 0, 0, "no rows to train on");
		goto fail;
	}
	psi = t->tree[0].n;
	if ((f = calloc(1, sizeof *f)) == NULL)
		goto nomem;
	f->nfeature = t->nfeature;
	f->feature = t->names;
	t->names = NULL;
	f->psi = psi;
	f->params = t->p;
	f->params.ntree = t->ntree;
	f->nrow = t->nrow;
	f->threshold = 0.5;
	if ((f->tree = calloc(t->ntree, sizeof *f->tree)) == NULL)
		goto nomem;
	f->ntree = t->ntree;

	g.nfeature = t->nfeature;
	g.maxdepth = max_depth(psi);
	g.idx = malloc(psi * sizeof *g.idx);
	g.feat = calloc(t->nfeature, sizeof *g.feat);
	g.stack = malloc((g.maxdepth + 2) * sizeof *g.stack);
	if (g.idx == NULL || g.feat == NULL || g.stack == NULL)
		goto nomem;
	for (i = 0; i < t->ntree; i++) {
		g.x = t->tree[i].row;
		if (grow_tree(&g, &t->tree[i].rng, psi, &f->tree[i], e) == -1)
			goto fail;
		/* The sample is no longer needed: keep the peak low. */
		free(t->tree[i].row);
		t->tree[i].row = NULL;
	}
	iforest_prepare(f);
	if (t->want_threshold && place_threshold(f, &t->thr, e) == -1)
		goto fail;
	free(g.idx);
	free(g.feat);
	free(g.stack);
	iforest_train_abort(t);
	return f;

nomem:
	err_set(e, 0, 0, "out of memory");
fail:
	free(g.idx);
	free(g.feat);
	free(g.stack);
	iforest_free(f);
	iforest_train_abort(t);
	return NULL;
}

/*
 * The index makes scoring fast in two ways.
 *
 * With one feature, a tree sends x to a leaf by comparing it with split
 * values only, so E[h] is constant between consecutive distinct split
 * values of the whole forest: one binary search among them replaces a
 * hundred walks.
 *
 * With more features, every tree of a forest no deeper than
 * COMPLETE_DEPTH is copied into a complete binary tree of the depth D of
 * the deepest leaf, stored as an array: node i has children 2i + 1 and
 * 2i + 2, so a walk is D steps of i = 2i + 1 + (x > split), with no branch
 * to mispredict and no child pointers to load.  A leaf above the bottom
 * level has its path length copied into every bottom slot below it, and
 * its descendant splits are dummies (feature 0 at 0): whichever way they
 * send x, x lands on that same path length, so the walk stops where the
 * tree's own walk stops, even for a NaN.  Several trees are walked side
 * by side, and a processor overlaps those independent chains of loads
 * instead of waiting on each in turn.
 *
 * Deeper forests are copied into a flat layout where a leaf points at
 * itself, walked the same way but with child indices stored in the node,
 * for as many steps as the deepest tree of a group.
 *
 * Either way, the same leaf values are summed exactly (see struct sum),
 * so no result changes.
 */
struct cnode {
	double	 split;
	uint32_t feature;
};
struct flat {
	double	 v;		/* split value, or the leaf's path length */
	uint32_t f;		/* feature; 0 at a leaf */
	uint32_t l, r;		/* children, in the tree; a leaf's are itself */
};

#define WALK_GROUP	16	/* trees walked side by side */
#define LANES		16	/* rows walked side by side (complete_block) */

/* Breakpoints per block of the two-level search (see interval). */
#define BREAK_BLOCK	16

struct iforest_index {
	size_t	 nbreak;	/* one feature: */
	double	*brk;		/* distinct split values, ascending, then
				   +inf up to a whole number of blocks */
	double	*top;		/* the last breakpoint of each block */
	size_t	 nblock;
	double	*h;		/* E[h] on (brk[k-1], brk[k]], and above all */
	double	*score;		/* s on the same intervals */
	struct flat *flat;	/* otherwise: every tree, one after another */
	size_t	*root;		/* where each tree starts in flat */
	uint32_t *steps;	/* per group of trees: depth of the deepest */
	unsigned depth;		/* complete trees: levels of splits, D */
	struct cnode *split;	/* each tree's 2^D - 1 splits in turn */
	uint64_t *leaf;		/* each tree's 2^D bottom path lengths, in
				   units of 2^-52 (see units_of) */
	uint64_t *sv;		/* the splits' values as keys (see key_of),
				   and their features */
	uint32_t *off;		/* times LANES, apart (see complete_block) */
};

/* Deepest forest copied into complete trees, and most bytes spent. */
#define COMPLETE_DEPTH	16
#define COMPLETE_BYTES	((size_t)64 << 20)

/* Most additions spent on the breakpoints: a few tens of milliseconds. */
#define INDEX_WORK	((size_t)1 << 26)
/* Most nodes copied into the flat layout (24 bytes each). */
#define INDEX_NODES	((size_t)1 << 21)

struct cut {
	double	 v;
	size_t	 tree;
};

static int
cmp_cut(const void *a, const void *b)
{
	const struct cut *x = a, *y = b;

	if (x->v != y->v)
		return x->v < y->v ? -1 : 1;
	return (x->tree > y->tree) - (x->tree < y->tree);
}

static double
score_of(double c, double h)
{
	double x;

	/* One training row: no depth to compare with, so neutral. */
	if (c == 0)
		return 0.5;
	x = -h / c;
	return det_exp2(x);
}

/*
 * The sum of the trees' path lengths, kept exactly as a whole number of
 * units of 2^-52.  A path length is 0 or in [1, 64), so a multiple of
 * 2^-52 and a whole number of units below 2^58; the sum of up to
 * IFOREST_MAXTREES of them, below 2^75, is lo plus 2^64 times the carries
 * counted in hi.  Whole numbers add faster than doubles can be added
 * exactly, and their sum is the same in any order.  The mean is then
 * rounded once, to the nearest double.  So the mean of equal path
 * lengths is that very value, and every tree a single leaf of psi rows
 * gives a score of exactly 0.5, as it must, not a hair above or below.
 */
struct sum {
	uint64_t lo, hi;
};

/* A path length in units of 2^-52: exact, for the reason above. */
static inline uint64_t
units_of(double pathlen)
{
	return (uint64_t)(pathlen * 0x1p52);
}

static inline void
sum_add(struct sum *a, uint64_t units)
{
	a->lo += units;
	a->hi += a->lo < units;
}

/*
 * The sum divided by N, rounded to nearest.  The quotient Q and remainder
 * R come from a long division 32 bits at a time, which needs N < 2^32.
 * Q is below 2^58, as the mean is a path length's size; below 2^53 the
 * double Q is exact, and adding R / N rounds as the exact fraction would,
 * since R / N is never within 2^-33 of a half without being one.  Above,
 * Q loses SHIFT low bits, rounded with R as the tie-breaker.
 */
static double
sum_mean(const struct sum *a, size_t n)
{
	uint64_t t, q, r, m, rest, half;
	int shift, up;

	if (a->hi == 0) {
		/* The common case: one division. */
		q = a->lo / n;
		r = a->lo % n;
	} else {
		r = a->hi % n;
		t = r << 32 | a->lo >> 32;
		q = t / n << 32;
		r = t % n;
		t = r << 32 | (a->lo & 0xffffffff);
		q += t / n;
		r = t % n;
	}
	if (q < (uint64_t)1 << 53)
		return ((double)q + (double)r / (double)n) * 0x1p-52;
	for (shift = 1; q >> shift >= (uint64_t)1 << 53; shift++)
		continue;
	m = q >> shift;
	rest = q & (((uint64_t)1 << shift) - 1);
	half = (uint64_t)1 << (shift - 1);
	up = rest > half || (rest == half && (r > 0 || (m & 1)));
	return times_pow2((double)(m + (uint64_t)up), shift - 52);
}

static void
free_index(struct iforest_index *ix)
{
	if (ix == NULL)
		return;
	free(ix->brk);
	free(ix->top);
	free(ix->h);
	free(ix->score);
	free(ix->flat);
	free(ix->root);
	free(ix->steps);
	free(ix->split);
	free(ix->leaf);
	free(ix->sv);
	free(ix->off);
	free(ix);
}

/*
 * Visit a tree in order (left subtree, node, right subtree): its splits
 * come out ascending and its leaves from left to right, that is in the
 * order of the intervals of x they cover.  A tree grown here always
 * qualifies; one edited by hand whose splits are not in order (so that
 * some leaves cannot be reached) does not: -1, and the walk is used.
 */
static int
in_order(const struct iforest_tree *tr, size_t t, uint32_t *stack,
    struct cut *cut, size_t *ncut, double *leaf, size_t *nleaf)
{
	size_t sp = 0, first = *ncut;
	uint32_t i = 0;

	for (;;) {
		while (tr->node[i].feature >= 0)
			stack[sp++] = i++;
		leaf[(*nleaf)++] = tr->node[i].pathlen;
		if (sp == 0)
			return 0;
		i = stack[--sp];
		if (*ncut > first && tr->node[i].split < cut[*ncut - 1].v)
			return -1;
		cut[*ncut].v = tr->node[i].split;
		cut[(*ncut)++].tree = t;
		i = tr->node[i].right;
	}
}

/* The breakpoints of a one-feature forest; -1 when there is no room. */
static int
build_breaks(const struct iforest *f, struct iforest_index *ix)
{
	struct cut *cut;
	double *leaf, c;
	struct sum sum;
	size_t *pos, t, i, k, ncut = 0, nleaf, most = 0;
	uint32_t *stack;
	int rc = -1;

	for (t = 0; t < f->ntree; t++) {
		ncut += f->tree[t].nnode / 2;
		if (f->tree[t].nnode > most)
			most = f->tree[t].nnode;
	}
	if (ncut > INDEX_WORK / f->ntree)
		return -1;
	nleaf = ncut + f->ntree;
	cut = malloc((ncut + 1) * sizeof *cut);
	leaf = malloc(nleaf * sizeof *leaf);
	pos = malloc(f->ntree * sizeof *pos);
	stack = malloc(most * sizeof *stack);
	if (cut == NULL || leaf == NULL || pos == NULL || stack == NULL)
		goto out;
	ncut = nleaf = 0;
	for (t = 0; t < f->ntree; t++) {
		pos[t] = nleaf;
		if (in_order(&f->tree[t], t, stack, cut, &ncut, leaf,
		    &nleaf) == -1)
			goto out;
	}
	qsort(cut, ncut, sizeof *cut, cmp_cut);
	for (i = 0, k = 0; i < ncut; i++)
		k += i == 0 || cut[i].v != cut[i - 1].v;
	ix->nbreak = k;
	ix->nblock = k / BREAK_BLOCK + 1;
	ix->brk = malloc(ix->nblock * BREAK_BLOCK * sizeof *ix->brk);
	ix->top = malloc(ix->nblock * sizeof *ix->top);
	ix->h = malloc((k + 1) * sizeof *ix->h);
	ix->score = malloc((k + 1) * sizeof *ix->score);
	if (ix->brk == NULL || ix->top == NULL || ix->h == NULL ||
	    ix->score == NULL)
		goto out;

	/*
	 * Sweep x upwards: before the k-th distinct split value, pos[t] is
	 * the leaf of tree t for x in the k-th interval; passing a value
	 * moves each tree that splits there to its next leaf.
	 */
	c = iforest_c((double)f->psi);
	for (i = 0, k = 0; ; k++) {
		sum.hi = sum.lo = 0;
		for (t = 0; t < f->ntree; t++)
			sum_add(&sum, units_of(leaf[pos[t]]));
		ix->h[k] = sum_mean(&sum, f->ntree);
		ix->score[k] = score_of(c, ix->h[k]);
		if (i == ncut)
			break;
		ix->brk[k] = cut[i].v;
		for (; i < ncut && cut[i].v == ix->brk[k]; i++)
			pos[cut[i].tree]++;
	}
	for (k = ix->nbreak; k < ix->nblock * BREAK_BLOCK; k++)
		ix->brk[k] = INFINITY;
	for (k = 0; k < ix->nblock; k++)
		ix->top[k] = ix->brk[k * BREAK_BLOCK + BREAK_BLOCK - 1];
	rc = 0;
out:
	free(cut);
	free(leaf);
	free(pos);
	free(stack);
	return rc;
}

/* The flat layout of any forest; -1 when there is no room. */
static int
build_flat(const struct iforest *f, struct iforest_index *ix)
{
	const struct iforest_node *nd;
	struct flat *fl;
	size_t t, i, total = 0, most = 0;
	uint32_t *depth, deepest;

	for (t = 0; t < f->ntree; t++) {
		if (f->tree[t].nnode > INDEX_NODES - total)
			return -1;
		total += f->tree[t].nnode;
		if (f->tree[t].nnode > most)
			most = f->tree[t].nnode;
	}
	ix->flat = malloc(total * sizeof *ix->flat);
	ix->root = malloc(f->ntree * sizeof *ix->root);
	ix->steps = calloc(f->ntree / WALK_GROUP + 1, sizeof *ix->steps);
	depth = malloc(most * sizeof *depth);
	if (ix->flat == NULL || ix->root == NULL || ix->steps == NULL ||
	    depth == NULL) {
		free(depth);
		return -1;
	}
	total = 0;
	for (t = 0; t < f->ntree; t++) {
		ix->root[t] = total;
		fl = ix->flat + total;
		total += f->tree[t].nnode;

		/* Preorder: a node's depth is known before its children's. */
		depth[0] = 0;
		deepest = 0;
		for (i = 0; i < f->tree[t].nnode; i++) {
			nd = &f->tree[t].node[i];
			if (depth[i] > deepest)
				deepest = depth[i];
			if (nd->feature < 0) {
				fl[i] = (struct flat){ nd->pathlen, 0,
				    (uint32_t)i, (uint32_t)i };
				continue;
			}
			fl[i] = (struct flat){ nd->split,
			    (uint32_t)nd->feature, (uint32_t)i + 1, nd->right };
			depth[i + 1] = depth[i] + 1;
			depth[nd->right] = depth[i] + 1;
		}
		if (deepest > ix->steps[t / WALK_GROUP])
			ix->steps[t / WALK_GROUP] = deepest;
	}
	free(depth);
	return 0;
}

/*
 * The depth of every node of TR into DEPTH, from the preorder (a node
 * comes before its children); returns the deepest.
 */
static uint32_t
node_depths(const struct iforest_tree *tr, uint32_t *depth)
{
	const struct iforest_node *nd;
	uint32_t deepest = 0;
	size_t i;

	depth[0] = 0;
	for (i = 0; i < tr->nnode; i++) {
		nd = &tr->node[i];
		if (depth[i] > deepest)
			deepest = depth[i];
		if (nd->feature >= 0) {
			depth[i + 1] = depth[i] + 1;
			depth[nd->right] = depth[i] + 1;
		}
	}
	return deepest;
}

/*
 * A double as a whole number in the same order, so that a walk compares
 * two integers, which is quicker than comparing two doubles: the bits of
 * a positive value are in order already and only need to sort above the
 * negative ones (the sign bit set); those of a negative value are in
 * reverse order (all bits flipped).  -0 becomes +0 first, as -0 <= +0 and
 * +0 <= -0 both hold, and a NaN becomes the largest key, which no split
 * can have: it is never <= a split, as a NaN is not.
 */
static inline uint64_t
key_of(double v)
{
	uint64_t bits;

	if (v != v)
		return UINT64_MAX;
	v += 0.0;
	memcpy(&bits, &v, sizeof bits);
	return bits >> 63 ? ~bits : bits | (uint64_t)1 << 63;
}

/* Every tree as a complete tree (see above); -1 when too deep or big. */
static int
build_complete(const struct iforest *f, struct iforest_index *ix)
{
	const struct iforest_node *nd;
	struct cnode *split;
	uint64_t *leaf, *sv;
	uint32_t *off;
	size_t t, i, k, most = 0, nsplit, c, first, count;
	uint32_t *depth, *pos, d, deepest = 0;
	int rc = -1;

	for (t = 0; t < f->ntree; t++)
		if (f->tree[t].nnode > most)
			most = f->tree[t].nnode;
	depth = malloc(most * sizeof *depth);
	pos = malloc(most * sizeof *pos);
	if (depth == NULL || pos == NULL)
		goto out;
	for (t = 0; t < f->ntree; t++)
		if ((d = node_depths(&f->tree[t], depth)) > deepest)
			deepest = d;
	if (f->nfeature > UINT32_MAX / LANES ||
	    deepest > COMPLETE_DEPTH || ((size_t)1 << deepest) >
	    COMPLETE_BYTES / f->ntree / (sizeof *split + sizeof *leaf))
		goto out;
	ix->depth = deepest;
	nsplit = ((size_t)1 << deepest) - 1;
	ix->split = calloc(f->ntree * nsplit + 1, sizeof *ix->split);
	ix->leaf = malloc(f->ntree * (nsplit + 1) * sizeof *ix->leaf);
	ix->sv = calloc(f->ntree * nsplit + 1, sizeof *ix->sv);
	ix->off = calloc(f->ntree * nsplit + 1, sizeof *ix->off);
	if (ix->split == NULL || ix->leaf == NULL || ix->sv == NULL ||
	    ix->off == NULL)
		goto out;

	for (t = 0; t < f->ntree; t++) {
		split = ix->split + t * nsplit;
		sv = ix->sv + t * nsplit;
		off = ix->off + t * nsplit;
		leaf = ix->leaf + t * (nsplit + 1);
		node_depths(&f->tree[t], depth);
		pos[0] = 0;
		for (i = 0; i < f->tree[t].nnode; i++) {
			nd = &f->tree[t].node[i];
			c = pos[i];
			/* A NaN split has no key; no forest grown has one. */
			if (nd->feature >= 0 && isnan(nd->split))
				goto out;
			if (nd->feature >= 0) {
				split[c].split = nd->split;
				split[c].feature = (uint32_t)nd->feature;
				sv[c] = key_of(nd->split);
				off[c] = (uint32_t)nd->feature * LANES;
				pos[i + 1] = (uint32_t)(2 * c + 1);
				pos[nd->right] = (uint32_t)(2 * c + 2);
				continue;
			}
			/* The bottom slots under node c, at depth d. */
			d = depth[i];
			count = (size_t)1 << (deepest - d);
			first = (c + 1) * count - 1 - nsplit;
			for (k = 0; k < count; k++)
				leaf[first + k] = units_of(nd->pathlen);
		}
	}
	rc = 0;
out:
	free(depth);
	free(pos);
	return rc;
}

void
iforest_prepare(struct iforest *f)
{
	struct iforest_index *ix;

	free_index(f->index);
	f->index = NULL;
	if (f->ntree == 0 || (ix = calloc(1, sizeof *ix)) == NULL)
		return;
	if (f->nfeature == 1 && build_breaks(f, ix) == 0) {
		f->index = ix;
		return;
	}
	free(ix->brk);
	free(ix->top);
	free(ix->h);
	free(ix->score);
	ix->brk = ix->top = ix->h = ix->score = NULL;
	if (build_complete(f, ix) == 0) {
		f->index = ix;
		return;
	}
	free(ix->split);
	free(ix->leaf);
	free(ix->sv);
	free(ix->off);
	ix->split = NULL;
	ix->leaf = NULL;
	ix->sv = NULL;
	ix->off = NULL;
	if (build_flat(f, ix) == 0) {
		f->index = ix;
		return;
	}
	free_index(ix);
}

/*
 * The interval of X from the block START onwards: the second step of
 * interval(), for a block found by the first.  The +inf padding of the
 * last block counts for no X but a NaN.
 */
static inline size_t
interval_in(const struct iforest_index *ix, const double *start, double x)
{
	size_t blk = (size_t)(start - ix->top) + !(x <= *start), k, i;
	const double *b;

	if (blk == ix->nblock)
		return ix->nbreak;
	b = ix->brk + blk * BREAK_BLOCK;
	k = 0;
	for (i = 0; i < BREAK_BLOCK; i++)
		k += !(x <= b[i]);
	k += blk * BREAK_BLOCK;
	return k < ix->nbreak ? k : ix->nbreak;
}

/*
 * The interval of the breakpoints holding X: how many of them X is not
 * <= to.  As in the walk, a NaN is never <= a split: it goes past all.
 *
 * The count is found in two steps, the blocks first and then the
 * breakpoints of one block, with no branch on the data, which a processor
 * could only guess at: the table of the blocks' last breakpoints is small
 * enough to stay in the fastest cache, and a block is two cache lines.
 * Any way of counting gives the same interval, so no score changes.
 */
static size_t
interval(const struct iforest_index *ix, double x)
{
	const double *base = ix->top;
	size_t len = ix->nblock, half;

	/* The first block whose last breakpoint X is <= to. */
	while (len > 1) {
		half = len / 2;
		base += !(x <= base[half - 1]) ? half : 0;
		len -= half;
	}
	return interval_in(ix, base, x);
}

/* Walk N trees from T side by side, without branches; add to *SUM. */
static inline void
flat_walk(const struct iforest_index *ix, size_t t, size_t n,
    const double *row, struct sum *sum)
{
	const struct flat *base[WALK_GROUP], *nd;
	uint32_t at[WALK_GROUP], left, steps, s;
	size_t g;

	for (g = 0; g < n; g++) {
		base[g] = ix->flat + ix->root[t + g];
		at[g] = 0;
	}
	steps = ix->steps[t / WALK_GROUP];
	for (s = 0; s < steps; s++)
		for (g = 0; g < n; g++) {
			nd = base[g] + at[g];
			left = -(uint32_t)(row[nd->f] <= nd->v);
			at[g] = nd->r ^ ((nd->l ^ nd->r) & left);
		}
	for (g = 0; g < n; g++)
		sum_add(sum, units_of(base[g][at[g]].v));
}

/* Walk N complete trees from T side by side; add to *SUM. */
static inline void
complete_walk(const struct iforest_index *ix, size_t t, size_t n,
    const double *row, struct sum *sum)
{
	const struct cnode *split, *nd;
	const uint64_t *leaf;
	size_t at[WALK_GROUP], nsplit, g;
	unsigned s;

	nsplit = ((size_t)1 << ix->depth) - 1;
	split = ix->split + t * nsplit;
	for (g = 0; g < n; g++)
		at[g] = 0;
	for (s = 0; s < ix->depth; s++)
		for (g = 0; g < n; g++) {
			nd = split + g * nsplit + at[g];
			at[g] = 2 * at[g] + 1 +
			    !(row[nd->feature] <= nd->split);
		}
	/* After D steps, at[g] is a bottom slot: nsplit or more. */
	leaf = ix->leaf + t * (nsplit + 1);
	for (g = 0; g < n; g++)
		sum_add(sum, leaf[g * (nsplit + 1) + at[g] - nsplit]);
}

/* A walk of N trees from T for ROW, added to *SUM. */
typedef void walk_fn(const struct iforest_index *, size_t, size_t,
    const double *, struct sum *);

/*
 * The mean path length of ROW, its trees walked WALK_GROUP at a time: a
 * constant group size lets the compiler unroll the walk's inner loop,
 * once it has put the walk in place of WALK, which it does for a static
 * function called with a constant.
 */
static inline double
grouped_pathlen(const struct iforest *f, const double *row, walk_fn *walk)
{
	size_t t;
	struct sum sum = { 0, 0 };

	for (t = 0; t + WALK_GROUP <= f->ntree; t += WALK_GROUP)
		walk(f->index, t, WALK_GROUP, row, &sum);
	if (t < f->ntree)
		walk(f->index, t, f->ntree - t, row, &sum);
	return sum_mean(&sum, f->ntree);
}

double
iforest_pathlen(const struct iforest *f, const double *row)
{
	const struct iforest_tree *tr, *end = f->tree + f->ntree;
	const struct iforest_node *node, *nd;
	struct sum sum = { 0, 0 };
	uint32_t i;

	if (f->index != NULL && f->index->brk != NULL)
		return f->index->h[interval(f->index, row[0])];
	if (f->index != NULL && f->index->split != NULL)
		return grouped_pathlen(f, row, complete_walk);
	if (f->index != NULL)
		return grouped_pathlen(f, row, flat_walk);
	for (tr = f->tree; tr < end; tr++) {
		node = tr->node;
		i = 0;
		while ((nd = &node[i])->feature >= 0)
			i = row[nd->feature] <= nd->split ? i + 1 : nd->right;
		sum_add(&sum, units_of(nd->pathlen));
	}
	return sum_mean(&sum, f->ntree);
}

double
iforest_score(const struct iforest *f, const double *row)
{
	if (f->index != NULL && f->index->brk != NULL)
		return f->index->score[interval(f->index, row[0])];
	return score_of(iforest_c((double)f->psi), iforest_pathlen(f, row));
}

/*
 * Rows scored together by iforest_score_rows: each complete tree is
 * walked for all of them before the next tree, so it stays in the
 * fastest cache, and their walks are independent chains of loads.
 */
#define ROW_BLOCK	256	/* a multiple of LANES */

/*
 * One step down a complete tree from slot A for the row in lane K of the
 * values X: the slot below, 2A + 1 on the left and 2A + 2 on the right,
 * with no branch.
 */
#define DOWN(sv, off, a, x, k)						\
	(2 * (a) + 1 + ((sv)[a] < ((x) + (off)[a])[k]))

/*
 * N <= ROW_BLOCK rows through every complete tree, into SCORE.  The rows
 * go down a tree LANES at a time, all the way, their slots in registers:
 * independent chains of loads, which the processor runs together, with
 * no slot stored and loaded again between steps.  Their values, as keys
 * to compare with the splits' keys (see key_of), are laid out in X
 * feature by feature, the LANES rows' keys of a feature side by side
 * (X[g * LANES * nfeature + f * LANES + k] for row g * LANES + k), so
 * that one base and the node's offset reach any lane's key.  The lanes
 * after row N hold copies of the first row; their results are not used.
 */
static void
complete_block(const struct iforest *f, const double *rows, size_t n,
    uint64_t *x, double *score)
{
	const struct iforest_index *ix = f->index;
	const uint64_t *sv, *xg;
	const uint64_t *leaf;
	const uint32_t *off;
	struct sum sum[ROW_BLOCK];
	/* The lanes' slots, written out: in an array, gcc -O2 keeps them
	 * in memory, a third slower. */
	size_t a0, a1, a2, a3, a4, a5, a6, a7;
	size_t a8, a9, a10, a11, a12, a13, a14, a15;
	size_t at[ROW_BLOCK], nsplit, nf = f->nfeature, t, r, k, j, nwalk;
	double c = iforest_c((double)f->psi);
	unsigned s, depth = ix->depth;

	nsplit = ((size_t)1 << depth) - 1;
	nwalk = (n + LANES - 1) / LANES * LANES;
	for (r = 0; r < nwalk; r += LANES)
		for (k = 0; k < LANES; k++)
			for (j = 0; j < nf; j++)
				x[r * nf + j * LANES + k] = key_of(
				    rows[(r + k < n ? r + k : 0) * nf + j]);
	for (r = 0; r < n; r++)
		sum[r].hi = sum[r].lo = 0;
	for (t = 0; t < f->ntree; t++) {
		sv = ix->sv + t * nsplit;
		off = ix->off + t * nsplit;
		leaf = ix->leaf + t * (nsplit + 1) - nsplit;
		for (r = 0; r < nwalk; r += LANES) {
			xg = x + r * nf;
			a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0;
			a8 = a9 = a10 = a11 = a12 = a13 = a14 = a15 = 0;
			/* The first step, from the root that all share. */
			if (depth > 0) {
				a0 = DOWN(sv, off, 0, xg, 0);
				a1 = DOWN(sv, off, 0, xg, 1);
				a2 = DOWN(sv, off, 0, xg, 2);
				a3 = DOWN(sv, off, 0, xg, 3);
				a4 = DOWN(sv, off, 0, xg, 4);
				a5 = DOWN(sv, off, 0, xg, 5);
				a6 = DOWN(sv, off, 0, xg, 6);
				a7 = DOWN(sv, off, 0, xg, 7);
				a8 = DOWN(sv, off, 0, xg, 8);
				a9 = DOWN(sv, off, 0, xg, 9);
				a10 = DOWN(sv, off, 0, xg, 10);
				a11 = DOWN(sv, off, 0, xg, 11);
				a12 = DOWN(sv, off, 0, xg, 12);
				a13 = DOWN(sv, off, 0, xg, 13);
				a14 = DOWN(sv, off, 0, xg, 14);
				a15 = DOWN(sv, off, 0, xg, 15);
			}
			for (s = 1; s < depth; s++) {
				a0 = DOWN(sv, off, a0, xg, 0);
				a1 = DOWN(sv, off, a1, xg, 1);
				a2 = DOWN(sv, off, a2, xg, 2);
				a3 = DOWN(sv, off, a3, xg, 3);
				a4 = DOWN(sv, off, a4, xg, 4);
				a5 = DOWN(sv, off, a5, xg, 5);
				a6 = DOWN(sv, off, a6, xg, 6);
				a7 = DOWN(sv, off, a7, xg, 7);
				a8 = DOWN(sv, off, a8, xg, 8);
				a9 = DOWN(sv, off, a9, xg, 9);
				a10 = DOWN(sv, off, a10, xg, 10);
				a11 = DOWN(sv, off, a11, xg, 11);
				a12 = DOWN(sv, off, a12, xg, 12);
				a13 = DOWN(sv, off, a13, xg, 13);
				a14 = DOWN(sv, off, a14, xg, 14);
				a15 = DOWN(sv, off, a15, xg, 15);
			}
			at[r] = a0;
			at[r + 1] = a1;
			at[r + 2] = a2;
			at[r + 3] = a3;
			at[r + 4] = a4;
			at[r + 5] = a5;
			at[r + 6] = a6;
			at[r + 7] = a7;
			at[r + 8] = a8;
			at[r + 9] = a9;
			at[r + 10] = a10;
			at[r + 11] = a11;
			at[r + 12] = a12;
			at[r + 13] = a13;
			at[r + 14] = a14;
			at[r + 15] = a15;
		}
		/* Exact sums: in this order as in any other, the same. */
		for (r = 0; r < n; r++)
			sum_add(&sum[r], leaf[at[r]]);
	}
	for (r = 0; r < n; r++)
		score[r] = score_of(c, sum_mean(&sum[r], f->ntree));
}

/*
 * The scores of N rows of one feature at X, from the breakpoints, as
 * interval() finds them but eight rows at a time: the search over the
 * blocks takes the same steps whatever X, so eight rows go down it
 * together, as independent chains of loads that the processor overlaps.
 */
static void
interval_rows(const struct iforest_index *ix, const double *x, size_t n,
    double *score)
{
	const double *b0, *b1, *b2, *b3, *b4, *b5, *b6, *b7;
	size_t len, half, i;

	for (i = 0; i + 8 <= n; i += 8) {
		b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = ix->top;
		for (len = ix->nblock; len > 1; len -= half) {
			half = len / 2;
			b0 += !(x[i] <= b0[half - 1]) ? half : 0;
			b1 += !(x[i + 1] <= b1[half - 1]) ? half : 0;
			b2 += !(x[i + 2] <= b2[half - 1]) ? half : 0;
			b3 += !(x[i + 3] <= b3[half - 1]) ? half : 0;
			b4 += !(x[i + 4] <= b4[half - 1]) ? half : 0;
			b5 += !(x[i + 5] <= b5[half - 1]) ? half : 0;
			b6 += !(x[i + 6] <= b6[half - 1]) ? half : 0;
			b7 += !(x[i + 7] <= b7[half - 1]) ? half : 0;
		}
		score[i] = ix->score[interval_in(ix, b0, x[i])];
		score[i + 1] = ix->score[interval_in(ix, b1, x[i + 1])];
		score[i + 2] = ix->score[interval_in(ix, b2, x[i + 2])];
		score[i + 3] = ix->score[interval_in(ix, b3, x[i + 3])];
		score[i + 4] = ix->score[interval_in(ix, b4, x[i + 4])];
		score[i + 5] = ix->score[interval_in(ix, b5, x[i + 5])];
		score[i + 6] = ix->score[interval_in(ix, b6, x[i + 6])];
		score[i + 7] = ix->score[interval_in(ix, b7, x[i + 7])];
	}
	for (; i < n; i++)
		score[i] = ix->score[interval(ix, x[i])];
}

void
iforest_score_rows(const struct iforest *f, const double *rows, size_t n,
    double *score)
{
	size_t i, k, most;
	uint64_t *x = NULL;

	if (f->index != NULL && f->index->brk != NULL) {
		interval_rows(f->index, rows, n, score);
		return;
	}
	most = n < ROW_BLOCK ? n : ROW_BLOCK;
	most = (most + LANES - 1) / LANES * LANES;
	/* Without room for the lanes, row by row: the same scores. */
	if (f->index == NULL || f->index->split == NULL || n == 0 ||
	    most > SIZE_MAX / sizeof *x / f->nfeature ||
	    (x = malloc(most * f->nfeature * sizeof *x)) == NULL) {
		for (i = 0; i < n; i++)
			score[i] = iforest_score(f, rows + i * f->nfeature);
		return;
	}
	for (i = 0; i < n; i += k) {
		k = n - i < ROW_BLOCK ? n - i : ROW_BLOCK;
		complete_block(f, rows + i * f->nfeature, k, x, score + i);
	}
	free(x);
}

void
iforest_free(struct iforest *f)
{
	size_t i;

	if (f == NULL)
		return;
	free_names(f->feature, f->nfeature);
	if (f->tree != NULL)
		for (i = 0; i < f->ntree; i++)
			free(f->tree[i].node);
	free(f->tree);
	free_index(f->index);
	free(f);
}
