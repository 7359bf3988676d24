/*
 * test_forest.c - the Isolation Forest: c(n), path lengths and scores on
 * trees built by hand, and the behaviour of trained forests.
 */
#include <sys/resource.h>

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forest.h"
#include "model.h"
#include "rng.h"
#include "unit.h"

static char *names1[] = { "x" };
static char *names2[] = { "x", "y" };

/* The first N (up to 10) of ten feature names. */
static char **
names_n(size_t n)
{
	static char *names[] = { "a", "b", "c", "d", "e", "f", "g", "h",
	    "i", "j" };

	(void)n;
	return names;
}

/* A standard normal deviate (Box-Muller), from the test's own stream. */
static double
normal(struct rng *r)
{
	double u = rng_uniform(r), v = rng_uniform(r);

	return sqrt(-2 * log(1 - u)) * cos(2 * 3.14159265358979323846 * v);
}

static struct iforest_params
params(size_t ntree, size_t sample, double contamination, uint64_t seed)
{
	struct iforest_params p;

	memset(&p, 0, sizeof p);
	p.ntree = ntree;
	p.sample_size = sample;
	p.contamination = contamination;
	p.seed = seed;
	return p;
}

/* Train on N rows of NF values at ROWS. */
static struct iforest *
train(const struct iforest_params *p, size_t nf, char **names,
    const double *rows, size_t n)
{
	struct iforest_trainer *t;
	struct err e;
	size_t i;

	t = iforest_train_begin(p, nf, names, &e);
	CHECK(t != NULL);
	if (t == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		if (iforest_train_add(t, rows + i * nf, &e) == -1) {
			CHECK(!"row refused");
			iforest_train_abort(t);
			return NULL;
		}
	return iforest_train_end(t, &e);
}

/* The model file's bytes, to compare two forests whole. */
static char *
model_bytes(const struct iforest *f, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	struct err e;

	CHECK(fp != NULL);
	CHECK(model_write(fp, f, &e) == 0);
	fclose(fp);
	return buf;
}

/* Values computed independently with Python's math.log. */
static void
test_c(void)
{
	CHECK(iforest_c(0) == 0);
	CHECK(iforest_c(1) == 0);
	CHECK(iforest_c(2) == 1);
	CHECK_NEAR(iforest_c(3), 1.207392357589623, 1e-14);
	CHECK_NEAR(iforest_c(4), 1.8516559071392855, 1e-14);
	CHECK_NEAR(iforest_c(16), 4.695531732007486, 1e-14);
	CHECK_NEAR(iforest_c(256), 10.244770920119917, 1e-13);
	CHECK_NEAR(iforest_c(1000), 12.969940887100174, 1e-13);
	CHECK_NEAR(iforest_c(65536), 21.335141107488486, 1e-13);
}

static void
set_split(struct iforest_node *n, uint32_t depth, int32_t feature,
    double split, uint32_t right)
{
	memset(n, 0, sizeof *n);
	n->depth = depth;
	n->feature = feature;
	n->split = split;
	n->right = right;
}

static void
set_leaf(struct iforest_node *n, uint32_t depth, uint32_t size)
{
	memset(n, 0, sizeof *n);
	n->depth = depth;
	n->feature = -1;
	n->size = size;
	n->pathlen = depth + iforest_c(size);
}

/*
 * Two trees over psi = 8 rows of (x, y):
 *
 *	tree 0: x <= 0.5 ? (y <= 2 ? leaf 1 : leaf 3) : leaf 4
 *	tree 1: one leaf of all 8 rows
 */
static void
test_hand_built(void)
{
	struct iforest_node n0[5], n1[1];
	struct iforest_tree tr[2] = { { 5, n0 }, { 1, n1 } };
	struct iforest f;
	double row[2], c8 = iforest_c(8), h;

	set_split(&n0[0], 0, 0, 0.5, 4);
	set_split(&n0[1], 1, 1, 2, 3);
	set_leaf(&n0[2], 2, 1);
	set_leaf(&n0[3], 2, 3);
	set_leaf(&n0[4], 1, 4);
	set_leaf(&n1[0], 0, 8);
	memset(&f, 0, sizeof f);
	f.nfeature = 2;
	f.ntree = 2;
	f.tree = tr;
	f.psi = 8;
	f.threshold = 0.5;

	/* x = 0.5 is not above the split: left, then y = 2 left again. */
	row[0] = 0.5;
	row[1] = 2;
	h = (2 + 0 + c8) / 2;
	CHECK(iforest_pathlen(&f, row) == h);
	CHECK_NEAR(iforest_score(&f, row), pow(2, -h / c8), 1e-15);

	row[1] = 2.0000001;
	h = (2 + iforest_c(3) + c8) / 2;
	CHECK(iforest_pathlen(&f, row) == h);
	CHECK_NEAR(iforest_score(&f, row), pow(2, -h / c8), 1e-15);

	row[0] = 0.50001;
	h = (1 + iforest_c(4) + c8) / 2;
	CHECK(iforest_pathlen(&f, row) == h);
	CHECK_NEAR(iforest_score(&f, row), pow(2, -h / c8), 1e-15);

	/* The index gives the same results, to the last bit. */
	iforest_prepare(&f);
	CHECK(f.index != NULL);
	CHECK(iforest_pathlen(&f, row) == h);
	row[0] = 0.5;
	row[1] = 2;
	CHECK(iforest_pathlen(&f, row) == (2 + 0 + c8) / 2);
	row[1] = NAN;
	CHECK(iforest_pathlen(&f, row) == (2 + iforest_c(3) + c8) / 2);
	f.ntree = 0;
	iforest_prepare(&f);
	CHECK(f.index == NULL);

	/* A lone leaf of psi rows is exactly neutral. */
	f.ntree = 1;
	f.tree = &tr[1];
	CHECK(iforest_pathlen(&f, row) == c8);
	CHECK(iforest_score(&f, row) == 0.5);
}

/*
 * Is H the mean, rounded to nearest with ties to even, of N path lengths
 * that add up to N BASE + EXCESS units of 2^-52, where BASE, a path
 * length in units, is no more than H?  With H = M units, of which the last
 * place is worth U units, the exact mean BASE + EXCESS / N is at most
 * U / 2 away, and at U / 2 only if M / U is even.
 */
static int
rounded(double h, size_t n, uint64_t base, uint64_t excess)
{
	uint64_t m = (uint64_t)(h * 0x1p52), u = (uint64_t)1 << ilogb(h);
	uint64_t d = (m - base) * n;
	uint64_t dist = d > excess ? d - excess : excess - d;

	return 2 * dist < u * n || (2 * dist == u * n && (m / u) % 2 == 0);
}

/*
 * The mean path length is the exact mean rounded to nearest, ties to
 * even, whatever the order of the trees.  Each of N trees splits at 0
 * into leaves of S and 1000 - S rows, and the row goes left, so tree t
 * adds 1 + c(S_t), which is 1 for S = 1.  Path lengths of at least 1 are
 * whole numbers of units of 2^-52, so rounded() checks in whole numbers.
 */
static void
test_mean_rounding(void)
{
	struct iforest_node node[16][3];
	struct iforest_tree tr[16], rev[16];
	struct iforest f;
	struct rng r;
	double row[1] = { -1 }, h, hrev;
	uint64_t sum;
	size_t n, t, trial, bad = 0, reordered = 0;

	rng_seed(&r, 11);
	memset(&f, 0, sizeof f);
	f.nfeature = 1;
	f.psi = 1000;
	f.threshold = 0.5;
	for (trial = 0; trial < 20000; trial++) {
		n = 1 + (size_t)rng_below(&r, 16);
		sum = 0;
		for (t = 0; t < n; t++) {
			/* Leaves of one row often, for means below 2. */
			uint32_t size = rng_below(&r, 4) ? 1 :
			    1 + (uint32_t)rng_below(&r, 999);

			set_split(&node[t][0], 0, 0, 0, 2);
			set_leaf(&node[t][1], 1, size);
			set_leaf(&node[t][2], 1, 1000 - size);
			tr[t] = (struct iforest_tree){ 3, node[t] };
			rev[n - 1 - t] = tr[t];
			sum += (uint64_t)(node[t][1].pathlen * 0x1p52);
		}
		f.ntree = n;
		f.tree = tr;
		h = iforest_pathlen(&f, row);
		f.tree = rev;
		hrev = iforest_pathlen(&f, row);
		reordered += memcmp(&h, &hrev, sizeof h) != 0;
		bad += !rounded(h, n, 0, sum);
	}
	CHECK(bad == 0);
	CHECK(reordered == 0);
}

/*
 * The same with hundreds to thousands of trees of psi = 2^20 rows, whose
 * path lengths add up past 2^64 units: N - 1 trees alike, with a leaf of
 * SA rows, and somewhere among them one with SB >= SA rows; every way of
 * scoring gives the same bits (the plain walk, the breakpoints of one
 * feature, the complete trees of two).
 */
static void
test_mean_wide(void)
{
	enum { MOST = 5000 };
	struct iforest_node a[3], b[3];
	struct iforest_tree *tr = malloc(MOST * sizeof *tr);
	struct iforest f;
	struct rng r;
	double row[2] = { -1, 0 }, h[3];
	uint64_t ua, ub, psi = (uint64_t)1 << 20;
	uint32_t sa, sb;
	size_t n, t, at, k, trial, bad = 0, differ = 0, past = 0, used = 0;

	if (tr == NULL) {
		CHECK(!"out of memory");
		return;
	}
	rng_seed(&r, 12);
	memset(&f, 0, sizeof f);
	f.psi = psi;
	f.threshold = 0.5;
	for (trial = 0; trial < 200; trial++) {
		n = 200 + (size_t)rng_below(&r, MOST - 200);
		sa = 1 + (uint32_t)rng_below(&r, psi - 1);
		sb = sa + (uint32_t)rng_below(&r, psi - sa);
		set_split(&a[0], 0, 0, 0, 2);
		set_leaf(&a[1], 1, sa);
		set_leaf(&a[2], 1, (uint32_t)(psi - sa));
		set_split(&b[0], 0, 0, 0, 2);
		set_leaf(&b[1], 1, sb);
		set_leaf(&b[2], 1, (uint32_t)(psi - sb));
		at = (size_t)rng_below(&r, n);
		for (t = 0; t < n; t++)
			tr[t] = (struct iforest_tree){ 3, t == at ? b : a };
		ua = (uint64_t)(a[1].pathlen * 0x1p52);
		ub = (uint64_t)(b[1].pathlen * 0x1p52);
		past += ua > UINT64_MAX / n;
		f.tree = tr;
		for (k = 0; k < 3; k++) {
			f.ntree = n;
			f.nfeature = k == 2 ? 2 : 1;
			if (k > 0) {
				iforest_prepare(&f);
				used += f.index != NULL;
			}
			h[k] = iforest_pathlen(&f, row);
			f.ntree = 0;
			iforest_prepare(&f);	/* frees the index */
		}
		differ += memcmp(&h[0], &h[1], sizeof *h) != 0 ||
		    memcmp(&h[0], &h[2], sizeof *h) != 0;
		bad += !rounded(h[0], n, ua, ub - ua);
	}
	CHECK(past > 150);
	CHECK(used == 2 * trial);
	CHECK(bad == 0);
	CHECK(differ == 0);
	free(tr);
}

/* 1000 rows around the origin and 5 far away: those 5 score highest. */
static void
test_outliers(void)
{
	enum { N = 1000, FAR = 5 };
	static const double far[FAR][2] = {
		{ 8, 8 }, { -9, 7 }, { 10, -1 }, { 0, -12 }, { -7, -7 }
	};
	double *rows, *s, lowest_far = 1, highest_near = 0;
	struct iforest_params p = params(0, 0, -1, 42);
	struct iforest *f;
	struct rng r;
	size_t i, flagged = 0;

	rows = malloc((N + FAR) * 2 * sizeof *rows);
	s = malloc((N + FAR) * sizeof *s);
	rng_seed(&r, 7);
	for (i = 0; i < N; i++) {
		rows[2 * i] = normal(&r);
		rows[2 * i + 1] = normal(&r);
	}
	/* Spread the far points through the stream. */
	for (i = 0; i < FAR; i++) {
		rows[2 * (N + i)] = rows[2 * (i * 150)];
		rows[2 * (N + i) + 1] = rows[2 * (i * 150) + 1];
		rows[2 * (i * 150)] = far[i][0];
		rows[2 * (i * 150) + 1] = far[i][1];
	}
	f = train(&p, 2, names2, rows, N + FAR);
	CHECK(f != NULL);
	if (f == NULL)
		goto out;
	CHECK(f->ntree == IFOREST_TREES);
	CHECK(f->psi == IFOREST_SAMPLE);
	CHECK(f->nrow == N + FAR);
	CHECK(f->threshold == 0.5);
	for (i = 0; i < N + FAR; i++) {
		s[i] = iforest_score(f, rows + 2 * i);
		CHECK(s[i] > 0 && s[i] <= 1);
		if (i % 150 == 0 && i / 150 < FAR) {
			if (s[i] < lowest_far)
				lowest_far = s[i];
		} else if (s[i] > highest_near)
			highest_near = s[i];
		flagged += s[i] > f->threshold;
	}
	CHECK(lowest_far > highest_near);
	CHECK(lowest_far > 0.7);
	/*
	 * "auto" (0.5) flags the far points, and in light-tailed data like
	 * this a tenth or so of the others: scikit-learn flags 114 to 142
	 * of these rows with seeds 0 to 4.
	 */
	CHECK(lowest_far > f->threshold);
	CHECK(flagged >= 60 && flagged <= 200);
	iforest_free(f);
out:
	free(rows);
	free(s);
}

/* All rows the same: every tree is one leaf of psi rows, score 0.5. */
static void
test_constant(void)
{
	enum { N = 500 };
	double *rows = malloc(N * 2 * sizeof *rows), row[2];
	struct iforest_params p = params(0, 0, -1, 1);
	struct iforest *f;
	struct rng r;
	size_t i, t, j, bad = 0;

	for (i = 0; i < N; i++) {
		rows[2 * i] = 3.25;
		rows[2 * i + 1] = -1;
	}
	f = train(&p, 2, names2, rows, N);
	CHECK(f != NULL);
	if (f == NULL)
		goto out;
	CHECK(f->psi == 256);
	for (t = 0; t < f->ntree; t++) {
		CHECK(f->tree[t].nnode == 1);
		CHECK(f->tree[t].node[0].feature == -1);
		CHECK(f->tree[t].node[0].size == 256);
		CHECK(f->tree[t].node[0].pathlen == iforest_c(256));
	}
	CHECK(iforest_score(f, rows) == 0.5);
	row[0] = 1e6;
	row[1] = -1e6;
	CHECK(iforest_score(f, row) == 0.5);
	CHECK(!(iforest_score(f, rows) > f->threshold));
	iforest_free(f);

	/* With a contamination, the threshold is 0.5 too: nothing flagged. */
	p = params(0, 0, 0.1, 1);
	f = train(&p, 2, names2, rows, N);
	CHECK(f != NULL && f->threshold == 0.5);
	iforest_free(f);

	/* A constant column among varying ones is never split on. */
	rng_seed(&r, 3);
	for (i = 0; i < N; i++)
		rows[2 * i] = normal(&r);
	p = params(50, 0, -1, 5);
	f = train(&p, 2, names2, rows, N);
	CHECK(f != NULL);
	if (f == NULL)
		goto out;
	for (t = 0; t < f->ntree; t++)
		for (j = 0; j < f->tree[t].nnode; j++)
			bad += f->tree[t].node[j].feature == 1;
	CHECK(bad == 0);
	CHECK(f->tree[0].nnode > 1);
	iforest_free(f);
out:
	free(rows);
}

/*
 * The mean of equal path lengths is that very value: forests of T trees,
 * each one leaf of psi rows, score exactly 0.5, with or without the
 * index, whatever the rounding of a running sum would do.
 */
static void
test_neutral(void)
{
	static const size_t trees[] = { 1, 3, 7, 10, 100, 333, 1000, 4099 };
	static const uint32_t psis[] = { 2, 3, 5, 17, 100, 256, 1000, 65536 };
	struct iforest_node leaf;
	struct iforest_tree *tr;
	struct iforest f;
	size_t i, j, t, bad = 0;
	double row[2] = { 1, 2 };

	tr = malloc(4099 * sizeof *tr);
	for (i = 0; i < sizeof psis / sizeof psis[0]; i++) {
		set_leaf(&leaf, 0, psis[i]);
		for (t = 0; t < 4099; t++) {
			tr[t].nnode = 1;
			tr[t].node = &leaf;
		}
		for (j = 0; j < sizeof trees / sizeof trees[0]; j++) {
			memset(&f, 0, sizeof f);
			f.nfeature = 1 + j % 2;
			f.ntree = trees[j];
			f.tree = tr;
			f.psi = psis[i];
			bad += iforest_pathlen(&f, row) != leaf.pathlen;
			bad += iforest_score(&f, row) != 0.5;
			iforest_prepare(&f);
			bad += f.index == NULL;
			bad += iforest_pathlen(&f, row) != leaf.pathlen;
			bad += iforest_score(&f, row) != 0.5;
			f.ntree = 0;
			iforest_prepare(&f);
		}
	}
	CHECK(bad == 0);
	free(tr);
}

/* Duplicates: a leaf of equal rows gets c(size) added to its depth. */
static void
test_duplicates(void)
{
	enum { N = 300 };
	double rows[N];
	struct iforest_params p = params(20, 0, -1, 9);
	struct iforest *f;
	size_t i, t, j, found = 0;
	struct iforest_node *nd;

	/* 290 rows of 1, and 10 rows of 2 to 11. */
	for (i = 0; i < N; i++)
		rows[i] = i < 290 ? 1 : (double)(i - 288);
	f = train(&p, 1, names1, rows, N);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (t = 0; t < f->ntree; t++)
		for (j = 0; j < f->tree[t].nnode; j++) {
			nd = &f->tree[t].node[j];
			if (nd->feature >= 0 || nd->size < 200)
				continue;
			/* A leaf this big can only be the ones. */
			found++;
			CHECK(nd->pathlen == nd->depth + iforest_c(nd->size));
			CHECK(nd->depth < 8);
		}
	CHECK(found == f->ntree);
	iforest_free(f);
}

/* psi = min(sample size, rows); depths within ceil(log2 psi). */
static void
test_sample_size(void)
{
	enum { N = 1000 };
	double rows[N];
	struct iforest_params p;
	struct iforest *f;
	struct rng r;
	size_t i, t, j, sum, deepest;

	rng_seed(&r, 11);
	for (i = 0; i < N; i++)
		rows[i] = normal(&r);

	p = params(10, 256, -1, 1);
	f = train(&p, 1, names1, rows, 50);
	CHECK(f != NULL && f->psi == 50);
	iforest_free(f);

	p = params(10, 0, -1, 1);
	f = train(&p, 1, names1, rows, 100);
	CHECK(f != NULL && f->psi == 100);
	iforest_free(f);

	p = params(30, 64, -1, 1);
	f = train(&p, 1, names1, rows, N);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK(f->psi == 64);
	deepest = 0;
	for (t = 0; t < f->ntree; t++) {
		sum = 0;
		for (j = 0; j < f->tree[t].nnode; j++) {
			if (f->tree[t].node[j].depth > deepest)
				deepest = f->tree[t].node[j].depth;
			if (f->tree[t].node[j].feature < 0)
				sum += f->tree[t].node[j].size;
		}
		CHECK(sum == 64);
		CHECK(f->tree[t].nnode <= 2 * 64 - 1);
	}
	CHECK(deepest == 6);
	iforest_free(f);

	/* One row: one leaf of one row, and every score is neutral. */
	p = params(5, 0, -1, 1);
	f = train(&p, 1, names1, rows, 1);
	CHECK(f != NULL && f->psi == 1);
	if (f != NULL)
		CHECK(iforest_score(f, rows + 1) == 0.5);
	iforest_free(f);
}

/* The same seed gives the same forest; another seed another one. */
static void
test_seed(void)
{
	enum { N = 2000 };
	double *rows = malloc(N * 3 * sizeof *rows);
	char *names3[] = { "a", "b", "c" };
	struct iforest_params p = params(50, 128, 0.05, 12345);
	struct iforest *f1, *f2, *f3;
	char *b1, *b2, *b3;
	size_t l1 = 0, l2 = 0, l3 = 0;
	struct rng r;
	size_t i;

	rng_seed(&r, 99);
	for (i = 0; i < 3 * N; i++)
		rows[i] = normal(&r);
	f1 = train(&p, 3, names3, rows, N);
	f2 = train(&p, 3, names3, rows, N);
	p.seed = 12346;
	f3 = train(&p, 3, names3, rows, N);
	CHECK(f1 != NULL && f2 != NULL && f3 != NULL);
	if (f1 == NULL || f2 == NULL || f3 == NULL)
		goto out;
	b1 = model_bytes(f1, &l1);
	b2 = model_bytes(f2, &l2);
	b3 = model_bytes(f3, &l3);
	CHECK(l1 > 0 && l1 == l2 && memcmp(b1, b2, l1) == 0);
	CHECK(l1 != l3 || memcmp(b1, b3, l1) != 0);
	CHECK(f1->threshold == f2->threshold);
	CHECK(f1->threshold != f3->threshold);
	free(b1);
	free(b2);
	free(b3);
out:
	iforest_free(f1);
	iforest_free(f2);
	iforest_free(f3);
	free(rows);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Contamination F flags about F of the rows, and the threshold is the
 * (1 - F) quantile of the training scores, interpolated linearly.
 */
static void
test_contamination(void)
{
	enum { N = 3000 };
	static const double fr[] = { 0.01, 0.05, 0.1, 0.25, 0.5 };
	double *rows = malloc(N * 2 * sizeof *rows), *s, pos, want;
	struct iforest_params p;
	struct iforest *f;
	struct rng r;
	size_t i, k, flagged;

	s = malloc(N * sizeof *s);
	rng_seed(&r, 5);
	for (i = 0; i < 2 * N; i++)
		rows[i] = normal(&r);
	for (k = 0; k < sizeof fr / sizeof fr[0]; k++) {
		p = params(100, 0, fr[k], 77);
		f = train(&p, 2, names2, rows, N);
		CHECK(f != NULL);
		if (f == NULL)
			continue;
		flagged = 0;
		for (i = 0; i < N; i++) {
			s[i] = iforest_score(f, rows + 2 * i);
			flagged += s[i] > f->threshold;
		}
		CHECK(fabs((double)flagged - fr[k] * N) <= 0.005 * N + 1);
		qsort(s, N, sizeof *s, cmp_double);
		pos = (N - 1) * (1 - fr[k]);
		i = (size_t)pos;
		want = s[i] + (s[i + 1] - s[i]) * (pos - (double)i);
		CHECK_NEAR(f->threshold, want, 1e-15);
		iforest_free(f);

		/* From a sample of the rows, the threshold is close. */
		p.threshold_sample = 1000;
		f = train(&p, 2, names2, rows, N);
		CHECK(f != NULL);
		if (f == NULL)
			continue;
		flagged = 0;
		for (i = 0; i < N; i++)
			if (iforest_score(f, rows + 2 * i) > f->threshold)
				flagged++;
		CHECK(fabs((double)flagged - fr[k] * N) <= 0.03 * N);
		iforest_free(f);
	}
	free(rows);
	free(s);
}

/*
 * Every row has the same chance to be sampled.  The rows come in 8
 * blocks of equal length, each row holding its block's number; a tree
 * isolates each block value in a leaf whose size is how many rows of the
 * block it sampled.  Summed over 1000 trees, each block should get an
 * eighth of the samples (32000, standard deviation about 170).
 */
static void
test_reservoir(void)
{
	enum { N = 80000, B = 8, TREES = 1000 };
	struct iforest_params p = params(TREES, 256, -1, 2024);
	struct iforest_trainer *t;
	struct iforest *f;
	struct err e;
	double x, count[B] = { 0 };
	uint32_t leaf[B];
	size_t i, b, c, k, clash = 0;
	const struct iforest_node *node;

	t = iforest_train_begin(&p, 1, names1, &e);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	for (i = 0; i < N; i++) {
		x = (double)(i / (N / B));
		iforest_train_add(t, &x, &e);
	}
	f = iforest_train_end(t, &e);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (k = 0; k < f->ntree; k++) {
		node = f->tree[k].node;
		for (b = 0; b < B; b++) {
			c = 0;
			while (node[c].feature >= 0)
				c = (double)b <= node[c].split ? c + 1 :
				    node[c].right;
			leaf[b] = (uint32_t)c;
			count[b] += node[c].size;
			if (b > 0 && leaf[b] == leaf[b - 1])
				clash++;
		}
	}
	CHECK(clash == 0);
	for (b = 0; b < B; b++)
		CHECK_NEAR(count[b], 256.0 * TREES / B, 1000);
	iforest_free(f);
}

/*
 * Memory does not grow with the rows: two million rows of two values
 * (32 MB if they were kept) leave the peak resident size far below that.
 */
static void
test_memory(void)
{
	struct iforest_params p = params(100, 256, 0.01, 3);
	struct iforest_trainer *t;
	struct iforest *f;
	struct rusage before, after;
	struct err e;
	struct rng r;
	double row[2];
	size_t i, fails = 0;

	p.threshold_sample = 10000;
	getrusage(RUSAGE_SELF, &before);
	t = iforest_train_begin(&p, 2, names2, &e);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	rng_seed(&r, 1);
	for (i = 0; i < 2000000; i++) {
		row[0] = rng_uniform(&r);
		row[1] = (double)i;
		fails += iforest_train_add(t, row, &e) != 0;
	}
	CHECK(fails == 0);
	f = iforest_train_end(t, &e);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	getrusage(RUSAGE_SELF, &after);
	CHECK(f->nrow == 2000000);
	CHECK(f->psi == 256);
	CHECK(f->ntree == 100);
	/* ru_maxrss is in kilobytes on Linux and the BSDs. */
	CHECK(after.ru_maxrss - before.ru_maxrss < 12 * 1024);
	iforest_free(f);
}

static void
test_errors(void)
{
	struct iforest_params p = params(0, 0, -1, 0);
	struct iforest_trainer *t;
	struct err e;
	double row[2] = { 1, 2 };

	p.ntree = IFOREST_MAXTREES + 1;
	CHECK(iforest_train_begin(&p, 1, names1, &e) == NULL);
	CHECK_STR(e.msg, "number of trees must be 1 to 100000");
	p.ntree = 0;
	p.sample_size = IFOREST_MAXSAMPLE + 1;
	CHECK(iforest_train_begin(&p, 1, names1, &e) == NULL);
	CHECK_STR(e.msg, "sample size must be 1 to 16777216");
	p.sample_size = 0;
	p.contamination = 0;
	CHECK(iforest_train_begin(&p, 1, names1, &e) == NULL);
	CHECK_STR(e.msg, "contamination must be in (0, 0.5] or auto");
	p.contamination = 0.51;
	CHECK(iforest_train_begin(&p, 1, names1, &e) == NULL);
	p.contamination = NAN;
	CHECK(iforest_train_begin(&p, 1, names1, &e) == NULL);
	p.contamination = 0.5;
	CHECK(iforest_train_begin(&p, 0, names1, &e) == NULL);
	CHECK_STR(e.msg, "no features to train on");

	t = iforest_train_begin(&p, 2, names2, &e);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(iforest_train_end(t, &e) == NULL);
	CHECK_STR(e.msg, "no rows to train on");

	t = iforest_train_begin(&p, 2, names2, &e);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	CHECK(iforest_train_add(t, row, &e) == 0);
	row[1] = NAN;
	CHECK(iforest_train_add(t, row, &e) == -1);
	CHECK_STR(e.msg, "value of feature 'y' is not a finite number");
	row[1] = 2;
	row[0] = -INFINITY;
	CHECK(iforest_train_add(t, row, &e) == -1);
	CHECK_STR(e.msg, "value of feature 'x' is not a finite number");
	iforest_train_abort(t);
}

/* Values at the ends of the double range still split sensibly. */
static void
test_extremes(void)
{
	double rows[] = { -1.7e308, 1.7e308, 0, 5e-324, -5e-324, 1e300 };
	struct iforest_params p = params(20, 0, -1, 8);
	struct iforest *f;
	size_t t, j, bad = 0;
	const struct iforest_node *nd;

	f = train(&p, 1, names1, rows, 6);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (t = 0; t < f->ntree; t++)
		for (j = 0; j < f->tree[t].nnode; j++) {
			nd = &f->tree[t].node[j];
			if (nd->feature >= 0 && !isfinite(nd->split))
				bad++;
		}
	CHECK(bad == 0);
	for (j = 0; j < 6; j++)
		CHECK(iforest_score(f, rows + j) > 0);
	iforest_free(f);
}

/* Compare the scores of F with and without its index at ROW. */
static size_t
differ(const struct iforest *f, const double *row)
{
	struct iforest plain = *f;

	plain.index = NULL;
	return iforest_pathlen(f, row) != iforest_pathlen(&plain, row) ||
	    iforest_score(f, row) != iforest_score(&plain, row);
}

/*
 * The index changes no result: for one feature, at every split value and
 * on either side of it, and far out; for three, at random points.
 */
static void
test_index(void)
{
	enum { N = 5000 };
	static const double odd[] = { -INFINITY, INFINITY, NAN, -DBL_MAX,
	    DBL_MAX, 0, -0.0 };
	double *rows = malloc(N * 3 * sizeof *rows), x, row[3];
	char *names3[] = { "a", "b", "c" };
	struct iforest_params p = params(0, 0, 0.1, 31);
	struct iforest *f;
	struct rng r;
	size_t i, t, j, bad = 0, seen = 0;
	const struct iforest_node *nd;

	rng_seed(&r, 8);
	for (i = 0; i < 3 * N; i++)
		rows[i] = i % 3 == 1 ? (double)(rng_next(&r) % 5) : normal(&r);
	f = train(&p, 1, names1, rows, 3 * N);
	CHECK(f != NULL && f->index != NULL);
	if (f == NULL)
		goto out;
	for (t = 0; t < f->ntree; t++)
		for (j = 0; j < f->tree[t].nnode; j++) {
			nd = &f->tree[t].node[j];
			if (nd->feature < 0)
				continue;
			seen++;
			x = nd->split;
			bad += differ(f, &x);
			x = nextafter(nd->split, INFINITY);
			bad += differ(f, &x);
			x = nextafter(nd->split, -INFINITY);
			bad += differ(f, &x);
		}
	for (i = 0; i < sizeof odd / sizeof odd[0]; i++)
		bad += differ(f, &odd[i]);
	for (i = 0; i < 3 * N; i++)
		bad += differ(f, rows + i);
	CHECK(seen > 1000);
	CHECK(bad == 0);
	iforest_free(f);

	p = params(37, 0, 0.1, 32);
	f = train(&p, 3, names3, rows, N);
	CHECK(f != NULL && f->index != NULL);
	if (f == NULL)
		goto out;
	bad = 0;
	for (i = 0; i < N; i++) {
		bad += differ(f, rows + 3 * i);
		row[0] = normal(&r) * 3;
		row[1] = (double)(rng_next(&r) % 7) - 1;
		row[2] = odd[rng_next(&r) % 7];
		bad += differ(f, row);
	}
	CHECK(bad == 0);
	iforest_free(f);
out:
	free(rows);
}

/*
 * A forest copy that walks its trees plainly (no index), or that uses the
 * complete trees even with one feature, where the index would otherwise
 * be the breakpoints: the copy claims WIDTH features, of which the trees
 * use the first.  Undo with unshare().
 */
static struct iforest
share(const struct iforest *f, size_t width, int index)
{
	struct iforest c = *f;

	c.index = NULL;
	c.nfeature = width;
	if (index)
		iforest_prepare(&c);
	return c;
}

static void
unshare(struct iforest *c)
{
	c->ntree = 0;
	iforest_prepare(c);		/* frees the copy's own index */
}

/* Do all ways of scoring the N rows at ROWS give the same bits? */
static size_t
fast_differs(const struct iforest *f, const double *rows, size_t n)
{
	struct iforest plain = share(f, f->nfeature, 0), wide;
	double *batch = malloc(n * sizeof *batch), *wrows, a, b, h;
	size_t i, j, k, bad = 0, nf = f->nfeature;

	wide = share(f, nf + 1, 1);
	wrows = malloc(n * (nf + 1) * sizeof *wrows);
	if (batch == NULL || wrows == NULL) {
		CHECK(!"out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		for (j = 0; j < nf; j++)
			wrows[i * (nf + 1) + j] = rows[i * nf + j];
		wrows[i * (nf + 1) + nf] = 0;
	}
	iforest_score_rows(f, rows, n, batch);
	for (i = 0; i < n; i++) {
		a = iforest_score(&plain, rows + i * nf);
		h = iforest_pathlen(&plain, rows + i * nf);
		b = iforest_pathlen(f, rows + i * nf);
		bad += memcmp(&h, &b, sizeof h) != 0;
		b = iforest_score(f, rows + i * nf);
		bad += memcmp(&a, &b, sizeof a) != 0;
		bad += memcmp(&a, &batch[i], sizeof a) != 0;
		b = iforest_score(&wide, wrows + i * (nf + 1));
		bad += memcmp(&a, &b, sizeof a) != 0;
	}
	iforest_score_rows(&wide, wrows, n, batch);
	for (i = 0; i < n; i++) {
		a = iforest_score(&plain, rows + i * nf);
		bad += memcmp(&a, &batch[i], sizeof a) != 0;
	}
	/* Batches of every size up to a few lanes, odd lengths included. */
	for (i = 0, k = 1; i < n; i += k, k = k % 37 + 1) {
		if (k > n - i)
			k = n - i;
		iforest_score_rows(f, rows + i * nf, k, batch + i);
	}
	for (i = 0; i < n; i++) {
		a = iforest_score(&plain, rows + i * nf);
		bad += memcmp(&a, &batch[i], sizeof a) != 0;
	}
out:
	unshare(&wide);
	free(batch);
	free(wrows);
	return bad;
}

/* A value for feature J of a training row: of several awkward kinds. */
static double
awkward(struct rng *r, size_t j, int kind)
{
	static const double huge[] = { -DBL_MAX, DBL_MAX, -1e300, 1e300,
	    -0.0, 0, 0x1p-1074 };

	switch (kind) {
	case 0:
		return normal(r) * (double)(j + 1);
	case 1:		/* a feature that is constant */
		return j % 3 == 0 ? 7 : normal(r);
	case 2:		/* few distinct values: many duplicates */
		return (double)rng_below(r, 4);
	default:	/* now and then at the ends of the doubles */
		if (rng_below(r, 16) == 0)
			return huge[rng_below(r, 7)];
		return normal(r) * 1e6;
	}
}

/*
 * Every fast path gives the plain walk's scores, bit for bit: the
 * breakpoints (one feature), the complete trees walked one row at a time
 * and a block of rows at a time, on forests of 1 to 10 features, 1 to 30
 * trees and samples of 1 to 512 rows, grown on data with constant
 * features, duplicates and huge values; scored at random points, at every
 * split value and the doubles either side of it, and at extreme values
 * and NaNs of either sign.
 */
static void
test_fast_paths(void)
{
	static const size_t psis[] = { 1, 2, 3, 5, 16, 100, 256, 512 };
	static const double odd[] = { -INFINITY, INFINITY, -DBL_MAX, DBL_MAX,
	    0, -0.0, 1e300, -1e300, NAN, -NAN };
	enum { NTRAIN = 600, NTEST = 400, NF = 10, NODD = 10 };
	double *train_rows, *test_rows, *row;
	struct iforest_params p;
	const struct iforest_node *nd;
	struct iforest *f;
	struct rng r;
	size_t seed, nf, i, j, t, k, n, bad = 0, forests = 0, complete = 0;
	int kind;

	train_rows = malloc(NTRAIN * NF * sizeof *train_rows);
	test_rows = malloc((NTEST + 3 * 4096) * NF * sizeof *test_rows);
	if (train_rows == NULL || test_rows == NULL)
		goto out;
	for (seed = 0; seed < 60; seed++) {
		rng_seed(&r, 1000 + seed);
		nf = 1 + seed % NF;
		kind = (int)(seed / NF % 4);
		for (i = 0; i < NTRAIN * nf; i++)
			train_rows[i] = awkward(&r, i % nf, kind);
		p = params(1 + (size_t)rng_below(&r, 30),
		    psis[seed % (sizeof psis / sizeof psis[0])], 0.1, seed);
		if (p.sample_size > NTRAIN)
			p.sample_size = 0;
		f = train(&p, nf, names_n(nf), train_rows, NTRAIN);
		if (f == NULL)
			continue;
		forests++;
		complete += f->index != NULL;

		/* Random rows, then rows at and around every split. */
		n = 0;
		for (i = 0; i < NTEST; i++, n++)
			for (j = 0; j < nf; j++)
				test_rows[n * nf + j] = rng_below(&r, 8) == 0 ?
				    odd[rng_below(&r, NODD)] :
				    awkward(&r, j, kind);
		for (t = 0; t < f->ntree; t++)
			for (k = 0; k < f->tree[t].nnode && n + 3 <=
			    NTEST + 3 * 4096; k++) {
				nd = &f->tree[t].node[k];
				if (nd->feature < 0)
					continue;
				for (i = 0; i < 3; i++, n++) {
					row = test_rows + n * nf;
					memcpy(row, train_rows + (size_t)
					    rng_below(&r, NTRAIN) * nf,
					    nf * sizeof *row);
					row[nd->feature] = i == 0 ? nd->split :
					    nextafter(nd->split, i == 1 ?
					    INFINITY : -INFINITY);
				}
			}
		bad += fast_differs(f, test_rows, n);
		iforest_free(f);
	}
	CHECK(forests == 60);
	CHECK(complete == forests);
	CHECK(bad == 0);

	/*
	 * Samples of 2^17 rows grow trees 17 deep, too deep for complete
	 * trees: the flat layout walks them.
	 */
	free(train_rows);
	n = ((size_t)1 << 17) + 5000;
	if ((train_rows = malloc(n * 2 * sizeof *train_rows)) == NULL)
		goto out;
	rng_seed(&r, 77);
	for (i = 0; i < n * 2; i++)
		train_rows[i] = awkward(&r, i % 2, (int)(i / 50000 % 4));
	p = params(3, (size_t)1 << 17, 0.1, 78);
	f = train(&p, 2, names2, train_rows, n);
	CHECK(f != NULL && f->index != NULL);
	if (f != NULL) {
		CHECK(fast_differs(f, train_rows, 20000) == 0);
		CHECK(fast_differs(f, test_rows, NTEST) == 0);
		iforest_free(f);
	}
out:
	free(train_rows);
	free(test_rows);
}

/*
 * Splits at zero of either sign, met by zeros of either sign: -0 <= +0
 * and +0 <= -0 both hold, and every fast path must agree.  The splits of
 * a trained forest are set to +0 and -0 in turn, which changes where its
 * rows go but leaves each a valid tree; then one to NaN.
 */
static void
test_signed_zeros(void)
{
	static const double vals[] = { 0, -0.0, 1, -1, NAN };
	enum { NF = 3, N = 125 };
	double rows[N * NF], train_rows[300 * NF];
	struct iforest_params p = params(20, 64, 0.1, 5);
	struct iforest *f;
	struct rng r;
	size_t i, j, t, k = 0;

	rng_seed(&r, 6);
	for (i = 0; i < 300 * NF; i++)
		train_rows[i] = normal(&r);
	f = train(&p, NF, names_n(NF), train_rows, 300);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (t = 0; t < f->ntree; t++)
		for (j = 0; j < f->tree[t].nnode; j++)
			if (f->tree[t].node[j].feature >= 0)
				f->tree[t].node[j].split = k++ % 2 ? -0.0 : 0.0;
	iforest_prepare(f);
	CHECK(f->index != NULL);
	/* Every row of three values from vals: all 125 of them. */
	for (i = 0; i < N; i++)
		for (j = 0, k = i; j < NF; j++, k /= 5)
			rows[i * NF + j] = vals[k % 5];
	CHECK(fast_differs(f, rows, N) == 0);

	/* A NaN split, which only a hand can make, sends every row right. */
	f->tree[0].node[0].split = NAN;
	iforest_prepare(f);
	CHECK(fast_differs(f, rows, N) == 0);
	iforest_free(f);
}

/* Interpolation between two neighbouring scores, from the nearer one. */
static void
test_between(void)
{
	CHECK(iforest_between(1, 3, 0) == 1);
	CHECK(iforest_between(1, 3, 0.25) == 1.5);
	CHECK(iforest_between(1, 3, 0.5) == 2);
	CHECK(iforest_between(1, 3, 0.75) == 2.5);
	CHECK(iforest_between(0.4, 0.4, 0.9) == 0.4);
	/* Near HI the step is taken down from HI, so the result is HI. */
	CHECK(iforest_between(0.1, 0.7, 1 - 0x1p-60) == 0.7);
}

/* The contamination of an option: auto, or a fraction in (0, 0.5]. */
static void
test_contamination_option(void)
{
	struct err e;
	double c = 0;

	CHECK(iforest_contamination("auto", &c, &e) == 0 && c == -1);
	CHECK(iforest_contamination("0.5", &c, &e) == 0 && c == 0.5);
	CHECK(iforest_contamination("1e-3", &c, &e) == 0 && c == 0.001);
	CHECK(iforest_contamination("0", &c, &e) == -1);
	CHECK(strcmp(e.msg, "contamination must be auto or a fraction in"
	    " (0, 0.5]") == 0);
	CHECK(iforest_contamination("0.51", &c, &e) == -1);
	CHECK(iforest_contamination("nan", &c, &e) == -1);
	CHECK(iforest_contamination("Auto", &c, &e) == -1);
	CHECK(iforest_contamination("", &c, &e) == -1);
}

int
main(void)
{
	test_memory();		/* first, while the peak is still low */
	test_c();
	test_between();
	test_hand_built();
	test_mean_rounding();
	test_mean_wide();
	test_outliers();
	test_constant();
	test_neutral();
	test_duplicates();
	test_sample_size();
	test_seed();
	test_contamination();
	test_contamination_option();
	test_reservoir();
	test_errors();
	test_extremes();
	test_index();
	test_fast_paths();
	test_signed_zeros();
	return unit_done();
}
