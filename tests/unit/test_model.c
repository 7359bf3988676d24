/*
 * test_model.c - the model file: exact round trips, strict reading of
 * damaged and hand-made files, and atomic saving.
 */
/* mknod, for a block device node of our own. */
#define _XOPEN_SOURCE 700

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "forest.h"
#include "model.h"
#include "num.h"
#include "rng.h"
#include "unit.h"

/* Names that need every kind of escape, and one that needs none. */
static char *names[] = {
	"temp \xc2\xb0" "C",
	"a\\b\nc\td\re\x01" "f\x7f" "g",
	" spaced out ",
};

static struct iforest *
train(size_t ntree, size_t sample, double contamination, uint64_t seed,
    size_t n)
{
	struct iforest_params p;
	struct iforest_trainer *t;
	struct err e;
	struct rng r;
	double row[3];
	size_t i;

	memset(&p, 0, sizeof p);
	p.ntree = ntree;
	p.sample_size = sample;
	p.contamination = contamination;
	p.seed = seed;
	if ((t = iforest_train_begin(&p, 3, names, &e)) == NULL)
		return NULL;
	rng_seed(&r, seed + 1000);
	for (i = 0; i < n; i++) {
		row[0] = rng_uniform(&r) * 100 - 50;
		row[1] = (double)(rng_next(&r) % 7);	/* many ties */
		row[2] = rng_uniform(&r) * 1e-300;
		iforest_train_add(t, row, &e);
	}
	return iforest_train_end(t, &e);
}

static char *
to_text(const struct iforest *f, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	struct err e;

	if (fp == NULL)
		return NULL;
	CHECK(model_write(fp, f, &e) == 0);
	fclose(fp);
	return buf;
}

/* Read LEN bytes of TEXT as a model; fills *E. */
static struct iforest *
from_text(const char *text, size_t len, struct err *e)
{
	FILE *fp = fmemopen(len > 0 ? (void *)text : "", len, "r");
	struct iforest *f;

	memset(e, 0, sizeof *e);
	if (fp == NULL) {
		CHECK(!"fmemopen");
		return NULL;
	}
	f = model_read(fp, e);
	fclose(fp);
	return f;
}

/* Does reading TEXT fail at LINE with a message starting with MSG? */
static int
refused(const char *text, long line, const char *msg)
{
	struct iforest *f;
	struct err e;

	f = from_text(text, strlen(text), &e);
	if (f != NULL) {
		iforest_free(f);
		fprintf(stderr, "accepted:\n%s", text);
		return 0;
	}
	if (e.line != line || strncmp(e.msg, msg, strlen(msg)) != 0) {
		fprintf(stderr, "got %ld: %s\nwant %ld: %s\n", e.line, e.msg,
		    line, msg);
		return 0;
	}
	return 1;
}

static size_t
count_lines(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n;
}

/* Written, read and written again: the same bytes and the same scores. */
static void
test_round_trip(void)
{
	struct iforest *f, *g;
	struct err e;
	char *t1, *t2;
	size_t l1 = 0, l2 = 0, i, j, k, same = 0, diff = 0;
	struct rng r;
	double row[3];

	f = train(20, 64, 0.1, 77, 5000);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	t1 = to_text(f, &l1);
	g = from_text(t1, l1, &e);
	CHECK(g != NULL);
	if (g == NULL) {
		fprintf(stderr, "line %ld: %s\n", e.line, e.msg);
		goto out;
	}
	t2 = to_text(g, &l2);
	CHECK(l1 == l2 && memcmp(t1, t2, l1) == 0);
	free(t2);

	CHECK(g->nfeature == 3);
	for (i = 0; i < 3; i++)
		CHECK_STR(g->feature[i], names[i]);
	CHECK(g->ntree == 20 && g->psi == 64 && g->nrow == 5000);
	CHECK(g->threshold == f->threshold);
	CHECK(g->params.contamination == 0.1);
	CHECK(g->params.seed == 77 && g->params.sample_size == 64);
	for (i = 0; i < f->ntree; i++) {
		CHECK(f->tree[i].nnode == g->tree[i].nnode);
		for (j = 0; j < f->tree[i].nnode; j++) {
			const struct iforest_node *a = &f->tree[i].node[j];
			const struct iforest_node *b = &g->tree[i].node[j];

			k = a->feature == b->feature && a->depth == b->depth &&
			    a->split == b->split && a->pathlen == b->pathlen &&
			    a->size == b->size &&
			    (a->feature < 0 || a->right == b->right);
			same += k;
			diff += !k;
		}
	}
	CHECK(same > 0 && diff == 0);

	/* Scores identical to the last bit, at and between the rows. */
	rng_seed(&r, 4);
	diff = 0;
	for (i = 0; i < 20000; i++) {
		row[0] = rng_uniform(&r) * 120 - 60;
		row[1] = (double)(rng_next(&r) % 9) - 1;
		row[2] = rng_uniform(&r) * 1e-300;
		diff += iforest_score(f, row) != iforest_score(g, row);
	}
	CHECK(diff == 0);
	iforest_free(g);

	/* Contamination auto is recorded as such, with threshold 0.5. */
	iforest_free(f);
	f = train(3, 0, -1, 0, 10);
	t2 = to_text(f, &l2);
	CHECK(t2 != NULL && strstr(t2, "\nsamples auto\n") != NULL);
	CHECK(t2 != NULL && strstr(t2, "\ncontamination auto\n"
	    "threshold 0.5\n") != NULL);
	CHECK(t2 != NULL && strstr(t2, "\npsi 10\n") != NULL);
	g = from_text(t2, l2, &e);
	CHECK(g != NULL && g->params.contamination < 0 &&
	    g->params.sample_size == 0 && g->threshold == 0.5);
	iforest_free(g);
	free(t2);
out:
	iforest_free(f);
	free(t1);
}

/*
 * Cut the model at every line end and inside every line: each cut is
 * refused as truncated, at the line where the text stops.
 */
static void
test_truncated(void)
{
	struct iforest *f = train(3, 16, 0.05, 1, 100), *g;
	struct err e;
	char *text;
	size_t len = 0, cut, line = 1, bad = 0, seen = 0;
	const char *want;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	text = to_text(f, &len);
	for (cut = 0; cut < len; cut++) {
		g = from_text(text, cut, &e);
		if (g != NULL) {
			iforest_free(g);
			bad++;
			continue;
		}
		if (cut == 0)
			want = "empty file";
		else if (text[cut - 1] == '\n')
			want = "truncated: expected ";
		else
			want = "truncated: the file ends inside this line";
		if (cut > 0 && (e.line != (long)line ||
		    strncmp(e.msg, want, strlen(want)) != 0)) {
			fprintf(stderr, "cut %zu: got %ld: %s\n", cut, e.line,
			    e.msg);
			bad++;
		}
		seen++;
		if (text[cut] == '\n' && cut + 1 < len)
			line++;
	}
	CHECK(bad == 0);
	CHECK(seen == len);
	CHECK(line == count_lines(text, len));

	/* The whole file is fine. */
	g = from_text(text, len, &e);
	CHECK(g != NULL);
	iforest_free(g);
	free(text);
	iforest_free(f);
}

/* Replace the first occurrence of FROM in TEXT by TO (same length). */
static int
edit(char *text, const char *from, const char *to)
{
	char *p = strstr(text, from);

	if (p == NULL || strlen(from) != strlen(to))
		return 0;
	memcpy(p, to, strlen(to));
	return 1;
}

/*
 * Change one digit of the number that starts at P and ends at a space so
 * that it is still the text num_format gives for its value.  0 if no
 * digit can be so changed.
 */
static int
canonical_edit(char *p)
{
	char num[NUM_BUFSZ], back[NUM_BUFSZ];
	size_t n = strcspn(p, " "), k;
	double x;
	int d, was;

	if (n >= sizeof num)
		return 0;
	for (k = n; k-- > 0;) {
		if (p[k] < '0' || p[k] > '9')
			continue;
		was = p[k];
		for (d = '0'; d <= '9'; d++) {
			if (d == was)
				continue;
			p[k] = (char)d;
			memcpy(num, p, n);
			num[n] = '\0';
			if (num_double(num, &x) == NULL) {
				num_format(back, x);
				if (strcmp(back, num) == 0)
					return 1;
			}
		}
		p[k] = (char)was;
	}
	return 0;
}

/* Any edit that keeps the syntax is caught by the checksum. */
static void
test_edited(void)
{
	struct iforest *f = train(3, 16, 0.05, 1, 100);
	char *text, *copy, *p;
	size_t len = 0, lines;
	long last;
	char buf[128];

	CHECK(f != NULL);
	if (f == NULL)
		return;
	text = to_text(f, &len);
	lines = count_lines(text, len);
	last = (long)lines;

	/*
	 * A digit of a split value, changed so that the number is still
	 * spelled as the writer would spell it: only the checksum can tell.
	 */
	copy = strdup(text);
	p = strstr(copy, "\ns ");
	CHECK(p != NULL);
	p = strchr(p + 3, ' ') + 1;	/* the split value */
	CHECK(canonical_edit(p));
	CHECK(refused(copy, last, "checksum mismatch: the file was edited "
	    "or damaged"));
	free(copy);

	/* The seed, the threshold, a feature name. */
	copy = strdup(text);
	CHECK(edit(copy, "\nseed 1\n", "\nseed 2\n"));
	CHECK(refused(copy, last, "checksum mismatch"));
	free(copy);
	copy = strdup(text);
	p = strstr(copy, "\nthreshold 0.") + 13;
	*p = *p == '9' ? '8' : *p + 1;
	CHECK(refused(copy, last, "checksum mismatch"));
	free(copy);
	copy = strdup(text);
	CHECK(edit(copy, "feature  spaced", "feature  spaceD"));
	CHECK(refused(copy, last, "checksum mismatch"));
	free(copy);

	/* The checksum itself. */
	copy = strdup(text);
	p = strstr(copy, "\nchecksum ") + 10;
	*p = *p == 'f' ? 'e' : *p == '9' ? 'a' : *p + 1;
	CHECK(refused(copy, last, "checksum mismatch"));
	free(copy);
	copy = strdup(text);
	p = strstr(copy, "\nchecksum ") + 10;
	p[15] = '\n';
	p[16] = '\0';
	CHECK(refused(copy, last, "bad checksum"));
	free(copy);

	/* Converted to CRLF: the first line is refused, saying why. */
	snprintf(buf, sizeof buf, "iforest-model 1\r\n%s",
	    strchr(text, '\n') + 1);
	CHECK(refused(buf, 1, "line ends with CR"));

	/* Trailing data. */
	copy = malloc(len + 3);
	memcpy(copy, text, len);
	memcpy(copy + len, "x\n", 3);
	CHECK(refused(copy, last + 1, "trailing data after the checksum"));
	memcpy(copy + len, "\n", 2);
	CHECK(refused(copy, last + 1, "trailing data after the checksum"));
	free(copy);

	/* Version 2 and other strangers. */
	copy = strdup(text);
	CHECK(edit(copy, "iforest-model 1", "iforest-model 2"));
	CHECK(refused(copy, 1, "unsupported model version 2 (this program "
	    "reads version 1)"));
	CHECK(edit(copy, "iforest-model 2", "iforest-modle 1"));
	CHECK(refused(copy, 1, "not a model file"));
	CHECK(edit(copy, "iforest-modle 1", "iforest-model x"));
	CHECK(refused(copy, 1, "not a model file: bad version 'x'"));
	free(copy);
	CHECK(refused("time,value\n2024-01-01T00:00:00Z,1\n", 1,
	    "not a model file"));
	CHECK(refused("", 0, "empty file: not a model file"));
	CHECK(refused("\n", 1, "not a model file"));

	/* Counts that do not match what follows. */
	copy = strdup(text);
	CHECK(edit(copy, "\ntrees 3\n", "\ntrees 4\n"));
	CHECK(refused(copy, last, "expected 'tree N'"));
	CHECK(edit(copy, "\ntrees 4\n", "\ntrees 2\n"));
	p = strstr(copy, "\ntree ");
	p = strstr(p + 1, "\ntree ");
	p = strstr(p + 1, "\ntree ");
	CHECK(refused(copy, (long)count_lines(copy, (size_t)(p - copy)) + 2,
	    "expected 'checksum HEX' after the last tree"));
	free(copy);
	copy = strdup(text);
	CHECK(edit(copy, "\nfeatures 3\n", "\nfeatures 4\n"));
	CHECK(refused(copy, 6, "expected 'feature NAME'"));
	CHECK(edit(copy, "\nfeatures 4\n", "\nfeatures 0\n"));
	CHECK(refused(copy, 2, "features 0 out of range"));
	free(copy);

	free(text);
	iforest_free(f);
}

/* FNV-1a, written again here so that the test does not trust model.c. */
static uint64_t
fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* A model from its header and body, with a correct checksum appended. */
static char *
sealed(const char *head, const char *body)
{
	static char buf[4096];
	size_t n;

	snprintf(buf, sizeof buf, "%s%s", head, body);
	n = strlen(buf);
	snprintf(buf + n, sizeof buf - n, "checksum %016llx\n",
	    (unsigned long long)fnv(buf));
	return buf;
}

#define HEAD(psi) \
	"iforest-model 1\n" "features 1\n" "feature x\n" "trees 1\n" \
	"samples " #psi "\n" "rows 1000\n" "psi " #psi "\n" "seed 0\n" \
	"contamination auto\n" "threshold 0.5\n"

/* Hand-made models: well-formed ones load, every flaw is named. */
static void
test_hand_made(void)
{
	struct iforest *f;
	struct err e;
	const char *m;
	double x, h;

	/* psi 4: x <= 0.5 -> leaf of 1 (depth 1), else leaf of 3. */
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 1\n" "l 3\n");
	f = from_text(m, strlen(m), &e);
	CHECK(f != NULL);
	if (f != NULL) {
		x = 0.5;
		CHECK(iforest_pathlen(f, &x) == 1);
		CHECK(f->tree[0].node[2].depth == 1);
		x = 0.75;
		h = 1 + iforest_c(3);
		CHECK(iforest_pathlen(f, &x) == h);
		CHECK_NEAR(iforest_score(f, &x), pow(2, -h / iforest_c(4)),
		    1e-15);
		iforest_free(f);
	}

	/*
	 * Splits out of order (a left child splitting above its parent)
	 * are allowed: the walk decides, and a leaf may be unreachable.
	 */
	m = sealed(HEAD(4), "tree 5\n" "s 0 0.5 4\n" "s 0 0.8 3\n" "l 1\n"
	    "l 2\n" "l 1\n");
	f = from_text(m, strlen(m), &e);
	CHECK(f != NULL);
	if (f != NULL) {
		x = 0.3;
		CHECK(iforest_pathlen(f, &x) == 2);
		x = 0.6;
		CHECK(iforest_pathlen(f, &x) == 1);
		x = 0.9;
		CHECK(iforest_pathlen(f, &x) == 1);
		iforest_free(f);
	}

	/* Node links that point backwards, at themselves, or outside. */
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 0\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "right child 0 must be a later node"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 1\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "right child 1 must be a later node"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 3\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "right child 3 must be a later node"));
	m = sealed(HEAD(4), "tree 5\n" "s 0 0.5 3\n" "s 0 0.2 4\n"
	    "l 1\n" "l 1\n" "l 2\n");
	CHECK(refused(m, 13, "right child 4 lies outside"));

	/* A leaf where a subtree must be, and leaves that do not add up. */
	m = sealed(HEAD(4), "tree 4\n" "s 0 0.5 3\n" "l 1\n" "l 1\n"
	    "l 2\n");
	CHECK(refused(m, 13, "a leaf where the tree needs a split node"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 1\n" "l 2\n");
	CHECK(refused(m, 11, "leaf sizes add up to 3, not psi 4"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 0\n" "l 4\n");
	CHECK(refused(m, 13, "leaf size 0 out of range"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 5\n" "l 4\n");
	CHECK(refused(m, 13, "leaf size 5 out of range"));

	/* Deeper than ceil(log2 4) = 2. */
	m = sealed(HEAD(4), "tree 7\n" "s 0 3 6\n" "s 0 2 5\n" "s 0 1 4\n"
	    "l 1\n" "l 1\n" "l 1\n" "l 1\n");
	CHECK(refused(m, 15, "node at depth 3, deeper than the limit of 2"));

	/* Bad fields. */
	m = sealed(HEAD(4), "tree 3\n" "s 1 0.5 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "feature number 1 out of range (0 to 0)"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 nan 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "bad split value 'nan'"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 1e999 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "bad split value '1e999'"));
	m = sealed(HEAD(4), "tree 3\n" "s 0  0.5 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "expected 's FEATURE SPLIT RIGHT'"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2 \n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "expected 's FEATURE SPLIT RIGHT'"));
	m = sealed(HEAD(4), "tree 3\n" "x 0 0.5 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "expected a node"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 1\n" "l 3 3\n");
	CHECK(refused(m, 14, "expected 'l SIZE'"));
	m = sealed(HEAD(4), "tree 3\n" "s 0 0.5 2\n" "l 1\n" "l +3\n");
	CHECK(refused(m, 14, "bad leaf size '+3'"));
	m = sealed(HEAD(4), "tree 2\n" "s 0 0.5 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 12, "right child 2 must be a later node"));
	m = sealed(HEAD(4), "tree 8\n" "l 4\n");
	CHECK(refused(m, 11, "tree 8 out of range (1 to 7)"));
	m = sealed(HEAD(4), "tree 4\n" "s 0 0.5 2\n" "l 1\n" "l 3\n");
	CHECK(refused(m, 15, "expected a node"));

	/* The header's values. */
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples 4\nrows 3\npsi 4\n", "");
	CHECK(refused(m, 7, "psi 4 should be 3, the smaller of samples"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples auto\nrows 1000\npsi 256\nseed 0\n"
	    "contamination 0.6\n", "");
	CHECK(refused(m, 9, "contamination must be in (0, 0.5] or auto"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples auto\nrows 1000\npsi 256\nseed 0\n"
	    "contamination auto\nthreshold 0.7\n", "");
	CHECK(refused(m, 10, "threshold must be 0.5 with contamination "
	    "auto"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples auto\nrows 1000\npsi 256\nseed 0\n"
	    "contamination 0.1\nthreshold 1.5\n", "");
	CHECK(refused(m, 10, "threshold must be in (0, 1]"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples auto\nrows 1000\npsi 256\nseed -1\n", "");
	CHECK(refused(m, 8, "bad seed '-1'"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "rows 1000\n", "");
	CHECK(refused(m, 5, "expected 'samples auto|N'"));

	/* Escapes in names. */
	m = sealed("iforest-model 1\nfeatures 1\nfeature a\\qb\n", "");
	CHECK(refused(m, 3, "bad escape in a feature name"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature a\\x0\n", "");
	CHECK(refused(m, 3, "bad \\x escape"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature a\\x00\n", "");
	CHECK(refused(m, 3, "NUL byte in a feature name"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature a\tb\n", "");
	CHECK(refused(m, 3, "control byte 0x09 in a feature name"));
}

/*
 * A valid model of two features, a tree of three nodes.  Each case below
 * changes one thing in it and seals it with a correct checksum, so what
 * refuses it is the reader's own check.
 */
#define BASE \
	"iforest-model 1\n" "features 2\n" "feature x\n" "feature y\n" \
	"trees 1\n" "samples 4\n" "rows 1000\n" "psi 4\n" "seed 0\n" \
	"contamination 0.25\n" "threshold 0.5\n" "tree 3\n" "s 1 0.5 2\n" \
	"l 1\n" "l 3\n"

/* BASE with its first FROM replaced by TO, and sealed. */
static char *
variant(const char *from, const char *to)
{
	static char buf[1024];
	const char *p = strstr(BASE, from);

	if (p == NULL) {
		CHECK(!"variant: no such text in BASE");
		return sealed(BASE, "");
	}
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(p - BASE), BASE, to,
	    p + strlen(from));
	return sealed(buf, "");
}

/* Does BASE with FROM replaced by TO read as a model? */
static int
accepted(const char *from, const char *to)
{
	const char *m = variant(from, to);
	struct iforest *f;
	struct err e;

	if ((f = from_text(m, strlen(m), &e)) == NULL) {
		fprintf(stderr, "refused (%ld: %s):\n%s", e.line, e.msg, m);
		return 0;
	}
	iforest_free(f);
	return 1;
}

/*
 * Reading is canonical: numbers spelled otherwise than the writer spells
 * them, escapes it does not use and a feature named twice are refused,
 * each with its line, even under a correct checksum.
 */
static void
test_canonical(void)
{
	CHECK(accepted("x", "x"));

	/* Whole numbers: no leading zero. */
	CHECK(refused(variant("iforest-model 1\n", "iforest-model 01\n"), 1,
	    "not in canonical form: \"01\" (the writer writes \"1\")"));
	CHECK(refused(variant("features 2\n", "features 02\n"), 2,
	    "not in canonical form: \"02\" (the writer writes \"2\")"));
	CHECK(refused(variant("trees 1\n", "trees 0001\n"), 5,
	    "not in canonical form: \"0001\" (the writer writes \"1\")"));
	CHECK(refused(variant("samples 4\n", "samples 04\n"), 6,
	    "not in canonical form: \"04\""));
	CHECK(refused(variant("rows 1000\n", "rows 01000\n"), 7,
	    "not in canonical form: \"01000\" (the writer writes "
	    "\"1000\")"));
	CHECK(refused(variant("psi 4\n", "psi 004\n"), 8,
	    "not in canonical form: \"004\""));
	CHECK(refused(variant("seed 0\n", "seed 00\n"), 9,
	    "not in canonical form: \"00\" (the writer writes \"0\")"));
	CHECK(refused(variant("tree 3\n", "tree 03\n"), 12,
	    "not in canonical form: \"03\""));
	CHECK(refused(variant("s 1 0.5 2\n", "s 01 0.5 2\n"), 13,
	    "not in canonical form: \"01\""));
	CHECK(refused(variant("s 1 0.5 2\n", "s 1 0.5 02\n"), 13,
	    "not in canonical form: \"02\""));
	CHECK(refused(variant("l 3\n", "l 03\n"), 15,
	    "not in canonical form: \"03\" (the writer writes \"3\")"));
	CHECK(refused(variant("rows 1000\n", "rows +1000\n"), 7,
	    "bad rows '+1000'"));

	/* Reals: exactly the text num_format gives. */
	CHECK(refused(variant("contamination 0.25\n",
	    "contamination 0.250\n"), 10, "not in canonical form: "
	    "\"0.250\" (the writer writes \"0.25\")"));
	CHECK(refused(variant("contamination 0.25\n",
	    "contamination +0.25\n"), 10, "not in canonical form: "
	    "\"+0.25\" (the writer writes \"0.25\")"));
	CHECK(refused(variant("contamination 0.25\n",
	    "contamination .25\n"), 10, "not in canonical form: \".25\""));
	CHECK(refused(variant("contamination 0.25\n",
	    "contamination 2.5e-1\n"), 10, "not in canonical form: "
	    "\"2.5e-1\""));
	CHECK(refused(variant("threshold 0.5\n", "threshold 0.50\n"), 11,
	    "not in canonical form: \"0.50\" (the writer writes \"0.5\")"));
	CHECK(refused(variant("threshold 0.5\n", "threshold +.5\n"), 11,
	    "not in canonical form: \"+.5\" (the writer writes \"0.5\")"));
	CHECK(refused(variant("threshold 0.5\n", "threshold 5e-1\n"), 11,
	    "not in canonical form: \"5e-1\" (the writer writes \"0.5\")"));
	CHECK(refused(variant("threshold 0.5\n", "threshold 0.5e0\n"), 11,
	    "not in canonical form: \"0.5e0\""));
	CHECK(refused(variant("s 1 0.5 2\n", "s 1 0.500 2\n"), 13,
	    "not in canonical form: \"0.500\" (the writer writes \"0.5\")"));
	CHECK(refused(variant("s 1 0.5 2\n", "s 1 -0.0 2\n"), 13,
	    "not in canonical form: \"-0.0\" (the writer writes \"-0\")"));
	CHECK(refused(variant("s 1 0.5 2\n", "s 1 1e-400 2\n"), 13,
	    "not in canonical form: \"1e-400\" (the writer writes \"0\")"));
	CHECK(accepted("s 1 0.5 2\n", "s 1 -0 2\n"));
	CHECK(accepted("s 1 0.5 2\n", "s 1 1e-05 2\n"));
	CHECK(accepted("s 1 0.5 2\n", "s 1 0.1 2\n"));
	CHECK(refused(variant("s 1 0.5 2\n", "s 1 0.10000000000000001 2\n"),
	    13, "not in canonical form: \"0.10000000000000001\" (the "
	    "writer writes \"0.1\")"));

	/* Only auto or a fraction in (0, 0.5]: -1 is not auto. */
	CHECK(refused(variant("contamination 0.25\n", "contamination -1\n"),
	    10, "contamination must be in (0, 0.5] or auto"));
	CHECK(refused(variant("contamination 0.25\n", "contamination 0\n"),
	    10, "contamination must be in (0, 0.5] or auto"));
	CHECK(accepted("contamination 0.25\n", "contamination 0.5\n"));
	CHECK(accepted("contamination 0.25\n", "contamination auto\n"));

	/* Escapes: only for the bytes the writer escapes. */
	CHECK(refused(variant("feature x\n", "feature \\x78\n"), 3,
	    "not in canonical form: \"\\x78\" in a feature name (the writer "
	    "writes the byte itself)"));
	CHECK(refused(variant("feature x\n", "feature x\\xaa\n"), 3,
	    "not in canonical form: \"\\xaa\" in a feature name (the writer "
	    "writes the byte itself)"));
	CHECK(refused(variant("feature x\n", "feature x\\x0a\n"), 3,
	    "not in canonical form: \"\\x0a\" in a feature name (the writer "
	    "writes \"\\n\")"));
	CHECK(refused(variant("feature x\n", "feature x\\x09\n"), 3,
	    "not in canonical form: \"\\x09\" in a feature name (the writer "
	    "writes \"\\t\")"));
	CHECK(refused(variant("feature x\n", "feature x\\x0d\n"), 3,
	    "not in canonical form: \"\\x0d\" in a feature name (the writer "
	    "writes \"\\r\")"));
	CHECK(refused(variant("feature x\n", "feature x\\x5c\n"), 3,
	    "not in canonical form: \"\\x5c\" in a feature name (the writer "
	    "writes \"\\\\\")"));
	CHECK(accepted("feature x\n", "feature x\\x01\\x1f\\x7f\n"));
	CHECK(accepted("feature x\n", "feature x\xaa\xc2\xb0\n"));
	CHECK(accepted("feature x\n", "feature x\\n\\r\\t\\\\\n"));

	/* Feature names are distinct; the first repeat is named. */
	CHECK(refused(variant("feature y\n", "feature x\n"), 4,
	    "feature \"x\" named twice, on lines 3 and 4"));
	CHECK(refused(variant("features 2\nfeature x\nfeature y\n",
	    "features 4\nfeature b\nfeature a\nfeature b\nfeature a\n"), 5,
	    "feature \"b\" named twice, on lines 3 and 5"));
	CHECK(refused(variant("features 2\nfeature x\nfeature y\n",
	    "features 3\nfeature a\\n\nfeature b\nfeature a\\n\n"), 5,
	    "feature \"a\n\" named twice, on lines 3 and 5"));
	CHECK(accepted("feature y\n", "feature x \n"));
	CHECK(accepted("feature y\n", "feature X\n"));
}

/* A string of N bytes C, as a new string. */
static char *
repeat(int c, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memset(s, c, n);
		s[n] = '\0';
	}
	return s;
}

/*
 * Lines are bounded: the longest a writer makes, a name of MODEL_MAXNAME
 * control bytes, reads back; a longer name is not written; a longer line
 * is refused as soon as it is too long, whatever follows.
 */
static void
test_long_lines(void)
{
	struct iforest *f = train(2, 8, -1, 3, 50), *g;
	struct err e;
	char *name, *text, *saved, *m, *p;
	size_t len = 0, n;
	FILE *fp;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	saved = f->feature[0];

	/* The longest line there is: exactly MODEL_MAXLINE bytes. */
	f->feature[0] = name = repeat('\x01', MODEL_MAXNAME);
	text = to_text(f, &len);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	p = strstr(text, "\nfeature ") + 1;	/* line 3 */
	CHECK((size_t)(strchr(p, '\n') - p) == MODEL_MAXLINE);
	g = from_text(text, len, &e);
	CHECK(g != NULL && strcmp(g->feature[0], name) == 0);
	iforest_free(g);
	free(text);
	free(name);

	/* One byte more is not written at all. */
	f->feature[0] = name = repeat('x', MODEL_MAXNAME + 1);
	text = NULL;
	len = 0;
	fp = open_memstream(&text, &len);
	CHECK(fp != NULL && model_write(fp, f, &e) == -1);
	CHECK_STR(e.msg, "feature 1: name of 16385 bytes, longer than a "
	    "model allows (16384)");
	if (fp != NULL)
		fclose(fp);
	CHECK(len == 0);
	free(text);
	free(name);
	f->feature[0] = saved;
	iforest_free(f);

	/* Nor read, though its line is short enough. */
	name = repeat('x', MODEL_MAXNAME + 1);
	n = strlen(name) + 64;
	m = malloc(n);
	snprintf(m, n, "iforest-model 1\nfeatures 1\nfeature %s\n", name);
	CHECK(refused(m, 3, "feature name of 16385 bytes, longer than a "
	    "model allows (16384)"));
	free(m);
	free(name);

	/* A line one byte longer than the longest, and an endless one. */
	name = repeat('y', MODEL_MAXLINE - 8 + 1);
	n = strlen(name) + 64;
	m = malloc(n);
	snprintf(m, n, "iforest-model 1\nfeatures 1\nfeature %s\n", name);
	CHECK(refused(m, 3, "line longer than 65544 bytes"));
	free(m);
	free(name);

	/*
	 * A megabyte of NUL bytes, as /dev/zero gives without end: the
	 * reading stops right after the longest line allowed.
	 */
	m = calloc(1, (size_t)1 << 20);
	fp = m == NULL ? NULL : fmemopen(m, (size_t)1 << 20, "r");
	CHECK(fp != NULL);
	if (fp != NULL) {
		if ((g = model_read(fp, &e)) != NULL)
			iforest_free(g);
		CHECK(g == NULL && e.line == 1);
		CHECK_STR(e.msg, "line longer than 65544 bytes");
		CHECK(ftell(fp) == MODEL_MAXLINE + 1);
		fclose(fp);
	}
	free(m);

	/* A read error is reported as one, not as the end of the file. */
	if ((g = model_load("/", &e)) != NULL)
		iforest_free(g);
	CHECK(g == NULL && e.line == 0);
	CHECK(strncmp(e.msg, "cannot read: ", 13) == 0);
}

/*
 * Absurd counts are refused before anything is allocated for them: a
 * file claiming two billion features but holding one fails at once.
 */
static void
test_huge_counts(void)
{
	struct rusage before, after;
	const char *m;

	getrusage(RUSAGE_SELF, &before);
	m = sealed("iforest-model 1\nfeatures 2147483647\nfeature x\n", "");
	CHECK(refused(m, 4, "expected 'feature NAME'"));
	m = sealed("iforest-model 1\nfeatures 2147483648\n", "");
	CHECK(refused(m, 2, "features 2147483648 out of range"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\n"
	    "trees 4000000000\n", "");
	CHECK(refused(m, 4, "trees 4000000000 out of range (1 to 100000)"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples 99999999999\n", "");
	CHECK(refused(m, 5, "samples 99999999999 out of range"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 1\n"
	    "samples auto\nrows 99999999999999999999\n", "");
	CHECK(refused(m, 6, "bad rows '99999999999999999999': too large"));
	m = sealed("iforest-model 1\nfeatures 1\nfeature x\ntrees 100000\n"
	    "samples 16777216\nrows 16777216\npsi 16777216\nseed 0\n"
	    "contamination auto\nthreshold 0.5\ntree 33554431\nl 1\n", "");
	CHECK(refused(m, 13, "expected a node"));
	getrusage(RUSAGE_SELF, &after);
	/* ru_maxrss is in kilobytes. */
	CHECK(after.ru_maxrss - before.ru_maxrss < 16 * 1024);
}

/* Entries of DIR other than "." and "..". */
static int
entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	*len = fread(buf, 1, (size_t)n, fp);
	fclose(fp);
	return buf;
}

static int
is_link(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

static void
test_save(void)
{
	char dir[] = "/tmp/test_model.XXXXXX", path[256], sub[256];
	struct iforest *a = train(5, 32, 0.1, 1, 300);
	struct iforest *b = train(200, 256, -1, 2, 3000), *g;
	struct err e;
	struct stat st;
	char *text, *want;
	size_t len = 0, wlen = 0;
	mode_t old;
	pid_t pid;
	int status = 0;

	CHECK(a != NULL && b != NULL && mkdtemp(dir) != NULL);
	if (a == NULL || b == NULL)
		goto out;
	snprintf(path, sizeof path, "%s/item.model", dir);

	/* A saved model reads back, with the mode the umask allows. */
	old = umask(027);
	CHECK(model_save(path, a, &e) == 0);
	umask(old);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(entries(dir) == 1);
	g = model_load(path, &e);
	CHECK(g != NULL);
	text = slurp(path, &len);
	want = to_text(a, &wlen);
	CHECK(text != NULL && len == wlen && memcmp(text, want, len) == 0);
	free(text);
	free(want);
	iforest_free(g);

	/* "-" is standard input to model_load; any other name a file. */
	CHECK(model_output(path, b, &e) == 0);
	CHECK(freopen(path, "r", stdin) != NULL);
	g = model_load("-", &e);
	CHECK(g != NULL && g->ntree == b->ntree);
	iforest_free(g);
	CHECK(model_output(path, a, &e) == 0);

	/* A model replaced keeps its mode, whatever the umask says. */
	old = umask(022);
	CHECK(model_save(path, b, &e) == 0);
	umask(old);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(chmod(path, 0604) == 0);
	CHECK(model_save(path, a, &e) == 0);
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0604);
	CHECK(chmod(path, 0644) == 0);
	CHECK(entries(dir) == 1);

	/* Nowhere to write: nothing is created. */
	snprintf(sub, sizeof sub, "%s/missing/item.model", dir);
	CHECK(model_save(sub, a, &e) == -1);
	CHECK(strstr(e.msg, "cannot create a temporary file") != NULL);
	CHECK(entries(dir) == 1);

	/* A directory in the way is refused, empty or not. */
	snprintf(sub, sizeof sub, "%s/taken", dir);
	CHECK(mkdir(sub, 0755) == 0);
	CHECK(model_save(sub, a, &e) == -1);
	CHECK_STR(e.msg, "is a directory");
	snprintf(sub, sizeof sub, "%s/taken/x", dir);
	CHECK(mkdir(sub, 0755) == 0);
	snprintf(sub, sizeof sub, "%s/taken", dir);
	CHECK(model_save(sub, a, &e) == -1);
	CHECK_STR(e.msg, "is a directory");
	CHECK(entries(dir) == 2);
	CHECK(entries(sub) == 1);
	snprintf(sub, sizeof sub, "%s/taken/x", dir);
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/taken", dir);
	rmdir(sub);

	/*
	 * A full disk, simulated by a file size limit in a child: the big
	 * model cannot be written, the old one stays and no temporary
	 * file is left.
	 */
	want = slurp(path, &wlen);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		_exit(model_save(path, b, &e) == -1 &&
		    strstr(e.msg, "write error") != NULL ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	text = slurp(path, &len);
	CHECK(text != NULL && want != NULL && len == wlen &&
	    memcmp(text, want, len) == 0);
	CHECK(entries(dir) == 1);
	free(text);
	free(want);

	/* A directory without write permission (root writes anyway). */
	if (geteuid() != 0) {
		CHECK(chmod(dir, 0555) == 0);
		CHECK(model_save(path, b, &e) == -1);
		CHECK(chmod(dir, 0755) == 0);
		CHECK(entries(dir) == 1);
	}

	/* A write error on a stream is reported. */
	{
		FILE *fp = fopen("/dev/full", "w");

		if (fp != NULL) {
			CHECK(model_write(fp, b, &e) == -1);
			CHECK(strstr(e.msg, "write error") != NULL);
			fclose(fp);
		}
	}

	/*
	 * A block device is refused, even through a link: a model written
	 * over the start of a disk is never what was meant.  Device 0 has
	 * no driver, so nothing could be written into it by mistake.
	 */
	snprintf(sub, sizeof sub, "%s/disk", dir);
	if (mknod(sub, S_IFBLK | 0600, 0) == 0) {
		CHECK(model_save(sub, a, &e) == -1);
		CHECK_STR(e.msg, "is a block device: refusing to overwrite it");
		CHECK(lstat(sub, &st) == 0 && S_ISBLK(st.st_mode));
		snprintf(sub, sizeof sub, "%s/disk.model", dir);
		CHECK(symlink("disk", sub) == 0);
		CHECK(model_save(sub, a, &e) == -1);
		CHECK_STR(e.msg, "is a block device: refusing to overwrite it");
		CHECK(is_link(sub));
		unlink(sub);
		snprintf(sub, sizeof sub, "%s/disk", dir);
		CHECK(lstat(sub, &st) == 0 && S_ISBLK(st.st_mode));
		unlink(sub);
	}
	CHECK(entries(dir) == 1);

	/* Loading what is not there. */
	snprintf(sub, sizeof sub, "%s/nothing.model", dir);
	CHECK(model_load(sub, &e) == NULL);
	CHECK(strstr(e.msg, "cannot open") != NULL && e.line == 0);

	unlink(path);
	CHECK(rmdir(dir) == 0);
out:
	iforest_free(a);
	iforest_free(b);
}

/* Does the file at PATH hold exactly the model F? */
static int
holds(const char *path, const struct iforest *f)
{
	char *text, *want;
	size_t len = 0, wlen = 0;
	int same;

	text = slurp(path, &len);
	want = to_text(f, &wlen);
	same = text != NULL && want != NULL && len == wlen &&
	    memcmp(text, want, len) == 0;
	free(text);
	free(want);
	return same;
}

/*
 * A symbolic link is written through: its target is replaced, in the
 * target's folder, and the link stays a link.  A link to nothing creates
 * the file it names when that file's folder exists.
 */
static void
test_save_links(void)
{
	char dir[] = "/tmp/test_model.XXXXXX", real[256], link[256];
	char chain[256], sub[256], fresh[256], dangling[256], lost[256];
	struct iforest *a = train(5, 32, 0.1, 1, 300);
	struct iforest *b = train(3, 16, -1, 2, 100);
	struct err e;
	struct stat st;

	CHECK(a != NULL && b != NULL && mkdtemp(dir) != NULL);
	if (a == NULL || b == NULL)
		goto out;
	snprintf(sub, sizeof sub, "%s/models", dir);
	snprintf(real, sizeof real, "%s/models/real.model", dir);
	snprintf(link, sizeof link, "%s/link.model", dir);
	snprintf(chain, sizeof chain, "%s/chain.model", dir);
	CHECK(mkdir(sub, 0755) == 0);

	CHECK(model_save(real, a, &e) == 0);
	CHECK(chmod(real, 0640) == 0);
	CHECK(symlink("models/real.model", link) == 0);
	CHECK(symlink("link.model", chain) == 0);
	CHECK(model_save(link, b, &e) == 0);
	CHECK(is_link(link));
	CHECK(holds(real, b));
	CHECK(stat(real, &st) == 0 && (st.st_mode & 0777) == 0640);
	CHECK(entries(dir) == 3 && entries(sub) == 1);

	/* Through two links. */
	CHECK(model_save(chain, a, &e) == 0);
	CHECK(is_link(chain) && is_link(link));
	CHECK(holds(real, a));
	CHECK(entries(dir) == 3 && entries(sub) == 1);

	/* A link to nothing, in a folder that exists. */
	snprintf(dangling, sizeof dangling, "%s/dangling.model", dir);
	snprintf(fresh, sizeof fresh, "%s/models/fresh.model", dir);
	CHECK(symlink("models/fresh.model", dangling) == 0);
	CHECK(model_save(dangling, b, &e) == 0);
	CHECK(is_link(dangling));
	CHECK(holds(fresh, b));
	CHECK(entries(dir) == 4 && entries(sub) == 2);

	/* A link to nothing, in a folder that does not exist. */
	snprintf(lost, sizeof lost, "%s/lost.model", dir);
	CHECK(symlink("nowhere/x.model", lost) == 0);
	CHECK(model_save(lost, b, &e) == -1);
	CHECK(strstr(e.msg, "nowhere/x.model") != NULL);
	CHECK(strstr(e.msg, "folder") != NULL);
	CHECK(is_link(lost));
	CHECK(entries(dir) == 5 && entries(sub) == 2);

	/* A link to a directory. */
	CHECK(unlink(lost) == 0);
	CHECK(symlink("models", lost) == 0);
	CHECK(model_save(lost, b, &e) == -1);
	CHECK_STR(e.msg, "is a directory");
	CHECK(is_link(lost) && entries(sub) == 2);

	/* A loop of links is an error, and stays a loop. */
	CHECK(unlink(lost) == 0);
	CHECK(symlink("lost.model", lost) == 0);
	CHECK(model_save(lost, b, &e) == -1);
	CHECK(strstr(e.msg, "symbolic link") != NULL);
	CHECK(is_link(lost) && entries(dir) == 5);

	unlink(lost);
	unlink(dangling);
	unlink(chain);
	unlink(link);
	unlink(fresh);
	unlink(real);
	rmdir(sub);
	CHECK(rmdir(dir) == 0);
out:
	iforest_free(a);
	iforest_free(b);
}

/*
 * A FIFO is written into, like a stream, and stays a FIFO.  The reader
 * opens first, without waiting, so that the writer's open does not block;
 * the model is small enough for the pipe's buffer.
 */
static void
test_save_fifo(void)
{
	char dir[] = "/tmp/test_model.XXXXXX", fifo[256];
	struct iforest *a = train(2, 8, -1, 3, 50);
	struct err e;
	struct stat st;
	char *want, buf[4096];
	size_t wlen = 0, len = 0;
	ssize_t n;
	int fd;

	CHECK(a != NULL && mkdtemp(dir) != NULL);
	if (a == NULL)
		return;
	snprintf(fifo, sizeof fifo, "%s/pipe", dir);
	CHECK(mkfifo(fifo, 0600) == 0);
	fd = open(fifo, O_RDONLY | O_NONBLOCK);
	CHECK(fd != -1);
	want = to_text(a, &wlen);
	CHECK(want != NULL && wlen < sizeof buf);
	CHECK(model_save(fifo, a, &e) == 0);
	while (fd != -1 && len < sizeof buf &&
	    (n = read(fd, buf + len, sizeof buf - len)) > 0)
		len += (size_t)n;
	CHECK(want != NULL && len == wlen && memcmp(buf, want, len) == 0);
	CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK(entries(dir) == 1);
	if (fd != -1)
		close(fd);
	free(want);
	unlink(fifo);
	CHECK(rmdir(dir) == 0);
	iforest_free(a);
}

int
main(void)
{
	test_huge_counts();	/* first, while the peak is still low */
	test_round_trip();
	test_canonical();
	test_long_lines();
	test_truncated();
	test_edited();
	test_hand_made();
	test_save();
	test_save_links();
	test_save_fifo();
	return unit_done();
}
