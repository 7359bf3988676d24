/*
 * model.c - the model file.
 *
 * A model is a text file of lines, each ended by one LF, in this order:
 *
 *	iforest-model 1		magic and format version
 *	features N		N >= 1 feature columns, then N lines
 *	feature NAME		... one per feature, in order
 *	trees T			1 to 100000
 *	samples auto|S		the sample size asked for
 *	rows R			rows trained on, >= 1
 *	psi P			rows per tree: min(S or 256, R)
 *	seed S			the seed, 0 to 2^64 - 1
 *	contamination auto|F	F in (0, 0.5]
 *	threshold X		in (0, 1]; 0.5 with contamination auto
 *	tree K			T times: a tree of K nodes, then K lines,
 *	s FEATURE SPLIT RIGHT	... a split node, or
 *	l SIZE			... a leaf
 *	checksum HHHHHHHHHHHHHHHH 16 lower-case hex digits
 *
 * Fields are separated by exactly one space; nothing may follow the
 * checksum line.  Numbers are decimal: counts are unsigned integers
 * without a sign or a leading zero, and real values (F, X, SPLIT) are the
 * text num_format gives, the shortest that reads back as the same double,
 * with "." as the decimal point whatever the locale.
 *
 * NAME is everything after "feature ", spaces included, with these bytes
 * escaped so that any name survives: backslash as \\, LF as \n, CR as \r,
 * tab as \t and any other byte below 0x20, and 0x7f, as \xHH.  Other
 * bytes, UTF-8 included, are written as they are.  A name is at most
 * MODEL_MAXNAME bytes, and the names are distinct.
 *
 * A tree's nodes are in preorder, numbered from 0 at the root.  A split
 * node sends rows whose value of feature FEATURE (0-based, in the order
 * of the feature lines) is <= SPLIT to its left child, which is the next
 * node, and the others to node RIGHT.  A leaf records SIZE, how many of
 * the tree's psi training rows reached it.  A tree has at most 2 psi - 1
 * nodes, its leaves' sizes add up to psi and no node is deeper than
 * ceil(log2(max(psi, 2))).  Depths and path lengths are recomputed on
 * reading, never taken from the file.
 *
 * The checksum is the 64-bit FNV-1a hash (offset basis
 * 0xcbf29ce484222325, prime 0x100000001b3) of every byte of the file
 * before the checksum line.
 *
 * Reading is canonical: a file is accepted only when it is, byte for
 * byte, what model_write gives for the forest it describes.  The checksum
 * keeps out damage, not intent, and a reader that took other spellings
 * ("0100", "0.50", "\x79") would make two files of one model, and let
 * text through that no tool of ours wrote.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "forest.h"
#include "model.h"
#include "num.h"

#define FNV_BASIS	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t
fnv1a(uint64_t h, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= FNV_PRIME;
	}
	return h;
}

/* Writing: everything goes through put() so that the checksum sees it. */

struct writer {
	FILE	*fp;
	uint64_t sum;
};

static void
put(struct writer *w, const char *s, size_t n)
{
	w->sum = fnv1a(w->sum, s, n);
	fwrite(s, 1, n, w->fp);
}

static void
put_str(struct writer *w, const char *s)
{
	put(w, s, strlen(s));
}

static void
put_u64(struct writer *w, unsigned long long v)
{
	char buf[32];
	int n = snprintf(buf, sizeof buf, "%llu", v);

	put(w, buf, (size_t)n);
}

static void
put_double(struct writer *w, double v)
{
	char buf[NUM_BUFSZ];

	put(w, buf, num_format(buf, v));
}

static void
put_line_u64(struct writer *w, const char *key, unsigned long long v)
{
	put_str(w, key);
	put_str(w, " ");
	put_u64(w, v);
	put_str(w, "\n");
}

static void
put_name(struct writer *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[4];
	const char *run = s;
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != 0x7f && c != '\\')
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		esc[0] = '\\';
		if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
			esc[1] = c == '\\' ? '\\' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : 't';
			put(w, esc, 2);
		} else {
			esc[1] = 'x';
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 0xf];
			put(w, esc, 4);
		}
	}
	put(w, run, (size_t)(s - run));
}

int
model_write(FILE *fp, const struct iforest *f, struct err *e)
{
	struct writer w = { fp, FNV_BASIS };
	const struct iforest_node *nd;
	size_t i, j, n;

	/* A model no reader would take is not written at all. */
	for (i = 0; i < f->nfeature; i++)
		if ((n = strlen(f->feature[i])) > MODEL_MAXNAME)
			return err_set(e, 0, 0, "feature %zu: name of %zu "
			    "bytes, longer than a model allows (%d)", i + 1, n,
			    MODEL_MAXNAME);

	put_str(&w, MODEL_MAGIC " ");
	put_u64(&w, MODEL_VERSION);
	put_str(&w, "\n");
	put_line_u64(&w, "features", f->nfeature);
	for (i = 0; i < f->nfeature; i++) {
		put_str(&w, "feature ");
		put_name(&w, f->feature[i]);
		put_str(&w, "\n");
	}
	put_line_u64(&w, "trees", f->ntree);
	if (f->params.sample_size == 0)
		put_str(&w, "samples auto\n");
	else
		put_line_u64(&w, "samples", f->params.sample_size);
	put_line_u64(&w, "rows", f->nrow);
	put_line_u64(&w, "psi", f->psi);
	put_line_u64(&w, "seed", f->params.seed);
	if (f->params.contamination < 0)
		put_str(&w, "contamination auto\n");
	else {
		put_str(&w, "contamination ");
		put_double(&w, f->params.contamination);
		put_str(&w, "\n");
	}
	put_str(&w, "threshold ");
	put_double(&w, f->threshold);
	put_str(&w, "\n");

	for (i = 0; i < f->ntree; i++) {
		put_line_u64(&w, "tree", f->tree[i].nnode);
		for (j = 0; j < f->tree[i].nnode; j++) {
			nd = &f->tree[i].node[j];
			if (nd->feature < 0) {
				put_line_u64(&w, "l", nd->size);
				continue;
			}
			put_str(&w, "s ");
			put_u64(&w, (unsigned long long)nd->feature);
			put_str(&w, " ");
			put_double(&w, nd->split);
			put_str(&w, " ");
			put_u64(&w, nd->right);
			put_str(&w, "\n");
		}
	}
	fprintf(fp, "checksum %016llx\n", (unsigned long long)w.sum);

	/* Flush, so that a full disk is reported here and not lost. */
	if (fflush(fp) != 0 || ferror(fp))
		return err_sys(e, "write error");
	return 0;
}

/*
 * Reading.  Each line is checked as it comes and e->line names it; the
 * checksum, known only at the end, is checked last.
 */

struct reader {
	FILE	*fp;
	char	*buf;
	size_t	 cap;
	size_t	 len;		/* of the current line, LF removed */
	long	 line;
	uint64_t sum;		/* hash of the lines before the current one */
	uint64_t upto;		/* hash including the current one */
	struct err *e;
};

/* Make room for N bytes in the line buffer. */
static int
reserve(struct reader *r, size_t n)
{
	size_t cap = r->cap == 0 ? 256 : r->cap;
	char *p;

	if (n <= r->cap)
		return 0;
	while (cap < n)
		cap *= 2;
	if ((p = realloc(r->buf, cap)) == NULL)
		return err_set(r->e, 0, 0, "out of memory");
	r->buf = p;
	r->cap = cap;
	return 0;
}

/*
 * Read the next line: 1, or 0 at the end of the file, or -1.  No model
 * line is long, so a line that is stops the reading at once, however much
 * of it there is (a model named /dev/zero is one endless line).
 */
static int
next_line(struct reader *r)
{
	size_t n = 0;
	int c;

	while ((c = getc(r->fp)) != EOF) {
		if (c != '\n' && n == MODEL_MAXLINE)
			return err_set(r->e, r->line + 1, 0,
			    "line longer than %d bytes", MODEL_MAXLINE);
		if (reserve(r, n + 2) == -1)
			return -1;
		r->buf[n++] = (char)c;
		if (c == '\n')
			break;
	}
	/* A read error is no end of file, even after a partial line. */
	if (c == EOF && ferror(r->fp))
		return err_sys(r->e, "cannot read");
	if (n == 0)
		return 0;
	r->line++;
	r->sum = r->upto;
	r->upto = fnv1a(r->upto, r->buf, n);
	if (r->buf[n - 1] != '\n')
		return err_set(r->e, r->line, 0,
		    "truncated: the file ends inside this line");
	r->buf[--n] = '\0';
	r->len = n;
	if (memchr(r->buf, '\0', r->len) != NULL)
		return err_set(r->e, r->line, 0, "NUL byte in the line");
	if (n > 0 && r->buf[n - 1] == '\r')
		return err_set(r->e, r->line, 0,
		    "line ends with CR: the file was converted to CRLF");
	return 1;
}

/* A line must come: say what was expected if the file ends. */
static int
need_line(struct reader *r, const char *what)
{
	int rc = next_line(r);

	if (rc == 0)
		return err_set(r->e, r->line + 1, 0, "truncated: expected %s",
		    what);
	return rc == 1 ? 0 : -1;
}

/* The text after "KEY ", or NULL when the line is not a KEY line. */
static const char *
value_of(const struct reader *r, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(r->buf, key, n) != 0 || r->buf[n] != ' ')
		return NULL;
	return r->buf + n + 1;
}

/* The bytes of S to quote in a message, and "..." when they are cut. */
#define QUOTED(s)	err_shown((s), strlen(s)), (s), \
	    strlen(s) > ERR_SHOWN ? "..." : ""

/*
 * Refuse the number text V, read as a whole number, unless it is spelled
 * as the writer spells it: without a leading zero.  (num_u64 has already
 * refused a sign.)
 */
static int
canonical_u64(struct reader *r, const char *v)
{
	const char *p = v;

	if (v[0] != '0' || v[1] == '\0')
		return 0;
	while (p[0] == '0' && p[1] != '\0')
		p++;
	return err_set(r->e, r->line, 0, "not in canonical form: "
	    "\"%.*s%s\" (the writer writes \"%s\")", QUOTED(v), p);
}

/* Refuse V, read as X, unless it is the very text the writer gives X. */
static int
canonical_real(struct reader *r, const char *v, double x)
{
	char buf[NUM_BUFSZ];

	num_format(buf, x);
	if (strcmp(v, buf) == 0)
		return 0;
	return err_set(r->e, r->line, 0, "not in canonical form: "
	    "\"%.*s%s\" (the writer writes \"%s\")", QUOTED(v), buf);
}

/* Parse the current line as "KEY N" with N in [MIN, MAX]. */
static int
parse_count(struct reader *r, const char *key, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	const char *v, *why;

	if ((v = value_of(r, key)) == NULL)
		return err_set(r->e, r->line, 0, "expected '%s N'", key);
	if ((why = num_u64(v, out)) != NULL)
		return err_set(r->e, r->line, 0, "bad %s '%.*s%s': %s", key,
		    QUOTED(v), why);
	if (canonical_u64(r, v) == -1)
		return -1;
	if (*out < min || *out > max)
		return err_set(r->e, r->line, 0,
		    "%s %llu out of range (%llu to %llu)", key, *out, min, max);
	return 0;
}

/* Read a line "KEY N" with N in [MIN, MAX]. */
static int
read_count(struct reader *r, const char *key, unsigned long long min,
    unsigned long long max, unsigned long long *out)
{
	char what[64];

	snprintf(what, sizeof what, "'%s N'", key);
	if (need_line(r, what) == -1)
		return -1;
	return parse_count(r, key, min, max, out);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The escape put_name writes for the byte C: 'n', 'x' and so on, or 0. */
static int
escape_of(int c)
{
	switch (c) {
	case '\\':
		return '\\';
	case '\n':
		return 'n';
	case '\r':
		return 'r';
	case '\t':
		return 't';
	}
	return c < 0x20 || c == 0x7f ? 'x' : 0;
}

/*
 * Undo put_name's escapes; the result never grows.  Only the escapes
 * put_name writes are taken: "\x79" for "y", or "\x0a" for "\n", would
 * spell the same name another way.
 */
static char *
read_name(struct reader *r, const char *s)
{
	char *name, *o;
	int hi, lo, c, want;

	if ((name = malloc(strlen(s) + 1)) == NULL) {
		err_set(r->e, 0, 0, "out of memory");
		return NULL;
	}
	for (o = name; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			err_set(r->e, r->line, 0,
			    "control byte 0x%02x in a feature name "
			    "(it should be escaped)", (unsigned)c);
			goto fail;
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		switch (*++s) {
		case '\\':
			c = '\\';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'x':
			if ((hi = hexval(s[1])) < 0 ||
			    (lo = hexval(s[2])) < 0) {
				err_set(r->e, r->line, 0, "bad \\x escape "
				    "in a feature name: expected two "
				    "lower-case hex digits");
				goto fail;
			}
			c = hi << 4 | lo;
			if (c == 0) {
				err_set(r->e, r->line, 0,
				    "NUL byte in a feature name");
				goto fail;
			}
			if ((want = escape_of(c)) == 'x')
				break;
			if (want != 0)
				err_set(r->e, r->line, 0, "not in canonical "
				    "form: \"\\x%.2s\" in a feature name (the "
				    "writer writes \"\\%c\")", s + 1, want);
			else
				err_set(r->e, r->line, 0, "not in canonical "
				    "form: \"\\x%.2s\" in a feature name (the "
				    "writer writes the byte itself)", s + 1);
			goto fail;
		default:
			err_set(r->e, r->line, 0, "bad escape in a feature "
			    "name: expected \\\\, \\n, \\r, \\t or \\xHH");
			goto fail;
		}
		*o++ = (char)c;
		if (*s == 'x')
			s += 2;
	}
	*o = '\0';
	if ((size_t)(o - name) > MODEL_MAXNAME) {
		err_set(r->e, r->line, 0, "feature name of %zu bytes, longer "
		    "than a model allows (%d)", (size_t)(o - name),
		    MODEL_MAXNAME);
		goto fail;
	}
	return name;

fail:
	free(name);
	return NULL;
}

/* A feature name and its place, for finding names given twice. */
struct named {
	const char *name;
	size_t	 i;
};

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->i < y->i ? -1 : x->i > y->i;
}

/*
 * Refuse a feature named twice: a column name would then stand for two
 * features.  Sorting finds the pairs in O(n log n), where comparing each
 * name with the others would take hours for a million.  The message names
 * the first line, in file order, that repeats an earlier one; FIRST is
 * the line of feature 0.
 */
static int
distinct_names(struct reader *r, const struct iforest *f, long first)
{
	struct named *v;
	size_t i, dup = SIZE_MAX, orig = 0;

	if (f->nfeature < 2)
		return 0;
	if ((v = calloc(f->nfeature, sizeof *v)) == NULL)
		return err_set(r->e, 0, 0, "out of memory");
	for (i = 0; i < f->nfeature; i++) {
		v[i].name = f->feature[i];
		v[i].i = i;
	}
	qsort(v, f->nfeature, sizeof *v, cmp_named);
	/* In a run of equal names, the second is the first repeat. */
	for (i = 1; i < f->nfeature; i++)
		if (strcmp(v[i].name, v[i - 1].name) == 0 &&
		    (i < 2 || strcmp(v[i - 1].name, v[i - 2].name) != 0) &&
		    v[i].i < dup) {
			dup = v[i].i;
			orig = v[i - 1].i;
		}
	free(v);
	if (dup == SIZE_MAX)
		return 0;
	return err_set(r->e, first + (long)dup, 0, "feature \"%.*s%s\" "
	    "named twice, on lines %ld and %ld", QUOTED(f->feature[dup]),
	    first + (long)orig, first + (long)dup);
}

/* Split the current line at single spaces into exactly N fields. */
static int
fields(struct reader *r, char **f, size_t n)
{
	char *p = r->buf;
	size_t i;

	for (i = 0; i < n; i++) {
		f[i] = p;
		p = strchr(p, ' ');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	return (i == n - 1 && p == NULL) ? 0 : -1;
}

#define NODE_SYNTAX "'s FEATURE SPLIT RIGHT' or 'l SIZE'"

/* Parse node I of a tree of N nodes from the current line. */
static int
read_node(struct reader *r, const struct iforest *f, size_t i, size_t n,
    struct iforest_node *nd)
{
	char *fl[4];
	const char *why;
	unsigned long long u;
	double x;

	memset(nd, 0, sizeof *nd);
	if (r->buf[0] == 'l' && r->buf[1] == ' ') {
		if (fields(r, fl, 2) == -1)
			return err_set(r->e, r->line, 0,
			    "expected 'l SIZE' (a leaf)");
		if ((why = num_u64(fl[1], &u)) != NULL)
			return err_set(r->e, r->line, 0,
			    "bad leaf size '%.*s%s': %s", QUOTED(fl[1]), why);
		if (canonical_u64(r, fl[1]) == -1)
			return -1;
		if (u < 1 || u > f->psi)
			return err_set(r->e, r->line, 0,
			    "leaf size %llu out of range (1 to %zu)", u,
			    f->psi);
		nd->feature = -1;
		nd->size = (uint32_t)u;
		return 0;
	}
	if (r->buf[0] != 's' || r->buf[1] != ' ')
		return err_set(r->e, r->line, 0, "expected a node: "
		    NODE_SYNTAX);
	if (fields(r, fl, 4) == -1)
		return err_set(r->e, r->line, 0,
		    "expected 's FEATURE SPLIT RIGHT' (a split)");
	if ((why = num_u64(fl[1], &u)) != NULL)
		return err_set(r->e, r->line, 0,
		    "bad feature number '%.*s%s': %s", QUOTED(fl[1]), why);
	if (canonical_u64(r, fl[1]) == -1)
		return -1;
	if (u >= f->nfeature)
		return err_set(r->e, r->line, 0,
		    "feature number %llu out of range (0 to %zu)", u,
		    f->nfeature - 1);
	nd->feature = (int32_t)u;
	if ((why = num_double(fl[2], &x)) != NULL)
		return err_set(r->e, r->line, 0,
		    "bad split value '%.*s%s': %s", QUOTED(fl[2]), why);
	if (canonical_real(r, fl[2], x) == -1)
		return -1;
	nd->split = x;
	if ((why = num_u64(fl[3], &u)) != NULL)
		return err_set(r->e, r->line, 0,
		    "bad right child '%.*s%s': %s", QUOTED(fl[3]), why);
	if (canonical_u64(r, fl[3]) == -1)
		return -1;
	if (u <= i + 1 || u >= n)
		return err_set(r->e, r->line, 0, "right child %llu must be a "
		    "later node of this tree, after the left child "
		    "(%zu to %zu)", u, i + 2, n - 1);
	nd->right = (uint32_t)u;
	return 0;
}

/*
 * Check that the nodes form one binary tree laid out in preorder: the
 * subtree at node I spans nodes [I, END), so a leaf must have END = I + 1
 * and a split's children must span [I + 1, RIGHT) and [RIGHT, END).
 * Depths and path lengths are filled in on the way.
 */
static int
check_tree(struct reader *r, const struct iforest *f,
    struct iforest_tree *tr, long first)
{
	struct span {
		size_t i, end;
		uint32_t depth;
	} *stack, s;
	struct iforest_node *nd;
	size_t sp = 0, maxd = 1;
	unsigned long long leaves = 0;
	int rc = -1;

	while (maxd < 64 && ((size_t)1 << maxd) < f->psi)
		maxd++;
	if ((stack = malloc(tr->nnode * sizeof *stack)) == NULL)
		return err_set(r->e, 0, 0, "out of memory");
	stack[sp++] = (struct span){ 0, tr->nnode, 0 };
	while (sp > 0) {
		s = stack[--sp];
		nd = &tr->node[s.i];
		nd->depth = s.depth;
		if (s.depth > maxd) {
			err_set(r->e, first + (long)s.i, 0, "node at depth %u, "
			    "deeper than the limit of %zu for psi %zu",
			    (unsigned)s.depth, maxd, f->psi);
			goto out;
		}
		if (nd->feature < 0) {
			if (s.end != s.i + 1) {
				err_set(r->e, first + (long)s.i, 0, "a leaf "
				    "where the tree needs a split node");
				goto out;
			}
			nd->pathlen = s.depth + iforest_c((double)nd->size);
			leaves += nd->size;
			continue;
		}
		if (nd->right >= s.end) {
			err_set(r->e, first + (long)s.i, 0, "right child %lu "
			    "lies outside this node's subtree (which ends "
			    "before node %zu)", (unsigned long)nd->right,
			    s.end);
			goto out;
		}
		stack[sp++] = (struct span){ nd->right, s.end, s.depth + 1 };
		stack[sp++] = (struct span){ s.i + 1, nd->right, s.depth + 1 };
	}
	if (leaves != f->psi) {
		err_set(r->e, first - 1, 0, "leaf sizes add up to %llu, "
		    "not psi %zu", leaves, f->psi);
		goto out;
	}
	rc = 0;
out:
	free(stack);
	return rc;
}

/* Read a tree; LEFT trees, this one included, are still to come. */
static int
read_tree(struct reader *r, struct iforest *f, struct iforest_tree *tr,
    size_t left)
{
	unsigned long long n;
	size_t i, cap;
	long first;
	struct iforest_node *node;

	switch (next_line(r)) {
	case 0:
		return err_set(r->e, r->line + 1, 0,
		    "truncated: expected %zu more trees", left);
	case -1:
		return -1;
	}
	if (parse_count(r, "tree", 1, 2 * (unsigned long long)f->psi - 1,
	    &n) == -1)
		return -1;
	first = r->line + 1;

	/* Grow with what is really there, not with what the line claims. */
	cap = n < 1024 ? (size_t)n : 1024;
	if ((tr->node = malloc(cap * sizeof *tr->node)) == NULL)
		return err_set(r->e, 0, 0, "out of memory");
	for (i = 0; i < n; i++) {
		if (i == cap) {
			cap = 2 * cap < n ? 2 * cap : (size_t)n;
			node = realloc(tr->node, cap * sizeof *node);
			if (node == NULL)
				return err_set(r->e, 0, 0, "out of memory");
			tr->node = node;
		}
		switch (next_line(r)) {
		case 0:
			return err_set(r->e, r->line + 1, 0,
			    "truncated: expected %llu more nodes",
			    n - (unsigned long long)i);
		case -1:
			return -1;
		}
		if (read_node(r, f, i, (size_t)n, &tr->node[i]) == -1)
			return -1;
		tr->nnode = i + 1;
	}
	return check_tree(r, f, tr, first);
}

/* "KEY auto" or "KEY N"; auto gives 0. */
static int
read_samples(struct reader *r, unsigned long long *out)
{
	const char *v, *why;

	if (need_line(r, "'samples auto|N'") == -1)
		return -1;
	if ((v = value_of(r, "samples")) == NULL)
		return err_set(r->e, r->line, 0, "expected 'samples auto|N'");
	if (strcmp(v, "auto") == 0) {
		*out = 0;
		return 0;
	}
	if ((why = num_u64(v, out)) != NULL)
		return err_set(r->e, r->line, 0, "bad samples '%.*s%s': %s",
		    QUOTED(v), why);
	if (canonical_u64(r, v) == -1)
		return -1;
	if (*out < 1 || *out > IFOREST_MAXSAMPLE)
		return err_set(r->e, r->line, 0,
		    "samples %llu out of range (1 to %zu)", *out,
		    IFOREST_MAXSAMPLE);
	return 0;
}

/*
 * Read "KEY X", a real number, into *OUT.  With AUTOP not NULL, "KEY
 * auto" is allowed too, and *AUTOP says whether it was given.
 */
static int
read_real(struct reader *r, const char *key, double *out, int *autop)
{
	const char *v, *why;
	char what[64];

	snprintf(what, sizeof what, autop != NULL ? "'%s auto|X'" :
	    "'%s X'", key);
	if (need_line(r, what) == -1)
		return -1;
	if ((v = value_of(r, key)) == NULL)
		return err_set(r->e, r->line, 0, "expected %s", what);
	if (autop != NULL && (*autop = strcmp(v, "auto") == 0))
		return 0;
	if ((why = num_double(v, out)) != NULL)
		return err_set(r->e, r->line, 0, "bad %s '%.*s%s': %s", key,
		    QUOTED(v), why);
	return canonical_real(r, v, *out);
}

static int
read_magic(struct reader *r)
{
	const char *v;
	unsigned long long version;
	int rc;

	if ((rc = next_line(r)) == 0)
		return err_set(r->e, 0, 0, "empty file: not a model file");
	if (rc == -1)
		return -1;
	if ((v = value_of(r, MODEL_MAGIC)) == NULL)
		return err_set(r->e, r->line, 0, "not a model file");
	if (num_u64(v, &version) != NULL)
		return err_set(r->e, r->line, 0,
		    "not a model file: bad version '%.*s%s'", QUOTED(v));
	if (canonical_u64(r, v) == -1)
		return -1;
	if (version != MODEL_VERSION)
		return err_set(r->e, r->line, 0, "unsupported model version "
		    "%llu (this program reads version %d)", version,
		    MODEL_VERSION);
	return 0;
}

static int
read_header(struct reader *r, struct iforest *f)
{
	unsigned long long n, samples, rows, psi, want;
	const char *v;
	char **names;
	size_t cap = 0;
	int isauto;

	if (read_magic(r) == -1)
		return -1;
	if (read_count(r, "features", 1, INT32_MAX, &n) == -1)
		return -1;
	while (f->nfeature < n) {
		if (f->nfeature == cap) {
			cap = cap == 0 ? 16 : 2 * cap;
			if (cap > n)
				cap = (size_t)n;
			if (cap > SIZE_MAX / sizeof *names)
				return err_set(r->e, 0, 0, "out of memory");
			names = realloc(f->feature, cap * sizeof *names);
			if (names == NULL)
				return err_set(r->e, 0, 0, "out of memory");
			f->feature = names;
		}
		if (need_line(r, "'feature NAME'") == -1)
			return -1;
		if ((v = value_of(r, "feature")) == NULL)
			return err_set(r->e, r->line, 0,
			    "expected 'feature NAME' (%llu of them)", n);
		if ((f->feature[f->nfeature] = read_name(r, v)) == NULL)
			return -1;
		f->nfeature++;
	}
	if (distinct_names(r, f, 3) == -1)
		return -1;

	if (read_count(r, "trees", 1, IFOREST_MAXTREES, &n) == -1)
		return -1;
	f->params.ntree = (size_t)n;
	if (read_samples(r, &samples) == -1)
		return -1;
	f->params.sample_size = (size_t)samples;
	if (read_count(r, "rows", 1, UINT64_MAX, &rows) == -1)
		return -1;
	f->nrow = rows;
	if (read_count(r, "psi", 1, IFOREST_MAXSAMPLE, &psi) == -1)
		return -1;
	want = samples == 0 ? IFOREST_SAMPLE : samples;
	if (want > rows)
		want = rows;
	if (psi != want)
		return err_set(r->e, r->line, 0, "psi %llu should be %llu, "
		    "the smaller of samples and rows", psi, want);
	f->psi = (size_t)psi;
	if (read_count(r, "seed", 0, UINT64_MAX, &n) == -1)
		return -1;
	f->params.seed = n;

	/* "auto" is kept as -1, a value no file may give. */
	if (read_real(r, "contamination", &f->params.contamination,
	    &isauto) == -1)
		return -1;
	if (isauto)
		f->params.contamination = -1;
	else if (!(f->params.contamination > 0 &&
	    f->params.contamination <= 0.5))
		return err_set(r->e, r->line, 0,
		    "contamination must be in (0, 0.5] or auto");
	if (read_real(r, "threshold", &f->threshold, NULL) == -1)
		return -1;
	if (!(f->threshold > 0 && f->threshold <= 1))
		return err_set(r->e, r->line, 0,
		    "threshold must be in (0, 1]");
	if (f->params.contamination < 0 && f->threshold != 0.5)
		return err_set(r->e, r->line, 0,
		    "threshold must be 0.5 with contamination auto");
	return 0;
}

static int
read_checksum(struct reader *r)
{
	const char *v;
	unsigned long long want = 0;
	size_t i;
	int d, rc;

	if (need_line(r, "'checksum HEX'") == -1)
		return -1;
	if ((v = value_of(r, "checksum")) == NULL)
		return err_set(r->e, r->line, 0, "expected 'checksum HEX' "
		    "after the last tree");
	for (i = 0; v[i] != '\0'; i++) {
		if ((d = hexval(v[i])) < 0 || i >= 16)
			break;
		want = want << 4 | (unsigned)d;
	}
	if (i != 16 || v[i] != '\0')
		return err_set(r->e, r->line, 0, "bad checksum '%s': expected "
		    "16 lower-case hex digits", v);
	if (want != r->sum)
		return err_set(r->e, r->line, 0,
		    "checksum mismatch: the file was edited or damaged");
	if ((rc = next_line(r)) == 1)
		return err_set(r->e, r->line, 0,
		    "trailing data after the checksum line");
	return rc;
}

struct iforest *
model_read(FILE *fp, struct err *e)
{
	struct reader r;
	struct iforest *f;
	struct iforest_tree *tree;
	size_t i, cap = 0;

	memset(&r, 0, sizeof r);
	r.fp = fp;
	r.upto = FNV_BASIS;
	r.e = e;
	if ((f = calloc(1, sizeof *f)) == NULL) {
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	if (read_header(&r, f) == -1)
		goto fail;
	/* As for the nodes: room for the trees that are really there. */
	for (i = 0; i < f->params.ntree; i++) {
		if (i == cap) {
			cap = cap == 0 ? 16 : 2 * cap;
			if (cap > f->params.ntree)
				cap = f->params.ntree;
			if ((tree = realloc(f->tree, cap * sizeof *tree)) ==
			    NULL) {
				err_set(e, 0, 0, "out of memory");
				goto fail;
			}
			f->tree = tree;
		}
		memset(&f->tree[i], 0, sizeof f->tree[i]);
		f->ntree = i + 1;
		if (read_tree(&r, f, &f->tree[i], f->params.ntree - i) == -1)
			goto fail;
	}
	if (read_checksum(&r) == -1)
		goto fail;
	free(r.buf);
	iforest_prepare(f);
	return f;

fail:
	free(r.buf);
	iforest_free(f);
	return NULL;
}

struct iforest *
model_load(const char *path, struct err *e)
{
	FILE *fp;
	struct iforest *f;

	if (strcmp(path, "-") == 0)
		return model_read(stdin, e);
	if ((fp = fopen(path, "r")) == NULL) {
		err_sys(e, "cannot open");
		return NULL;
	}
	f = model_read(fp, e);
	fclose(fp);
	return f;
}

/* The folder holding PATH, as a new string: "." when PATH has no slash. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n;
	char *dir;

	if (slash == NULL)
		return strdup(".");
	n = slash == path ? 1 : (size_t)(slash - path);
	if ((dir = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(dir, path, n);
	dir[n] = '\0';
	return dir;
}

/* Ask the directory holding PATH to keep the rename across a crash. */
static void
sync_dir(const char *path)
{
	char *dir;
	int fd;

	if ((dir = dir_of(path)) == NULL)
		return;
	/* Best effort: some file systems cannot sync a directory. */
	if ((fd = open(dir, O_RDONLY)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/*
 * The text of the symbolic link PATH, as a new string.  The size lstat
 * gives is only a hint (it is 0 for the links under /proc), so grow until
 * the text fits.
 */
static char *
read_link(const char *path, struct err *e)
{
	char *buf = NULL, *p;
	size_t cap = 64;
	ssize_t n;

	for (;;) {
		if ((p = realloc(buf, cap)) == NULL) {
			err_set(e, 0, 0, "out of memory");
			break;
		}
		buf = p;
		if ((n = readlink(path, buf, cap)) == -1) {
			err_sys(e, "cannot read the symbolic link %s", path);
			break;
		}
		if ((size_t)n < cap) {
			buf[n] = '\0';
			return buf;
		}
		if (cap > SIZE_MAX / 2) {
			err_set(e, 0, 0, "out of memory");
			break;
		}
		cap *= 2;
	}
	free(buf);
	return NULL;
}

/* Links followed before giving up, as the kernel's own limit does. */
#define MAXLINKS	40

/*
 * PATH is a symbolic link.  Follow it, link by link, to the name that is
 * not a link, or that does not exist: the file to replace or create.  A
 * relative link is relative to the folder of the link itself.  Returns
 * that name as a new string, or NULL.
 */
static char *
follow_links(const char *path, struct err *e)
{
	struct stat st;
	char *cur, *text, *dir, *next;
	size_t n;
	int hops;

	if ((cur = strdup(path)) == NULL) {
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	for (hops = 0; hops <= MAXLINKS; hops++) {
		if (lstat(cur, &st) == -1) {
			if (errno == ENOENT)
				return cur;
			err_sys(e, "cannot follow the symbolic link to %s",
			    cur);
			goto fail;
		}
		if (!S_ISLNK(st.st_mode))
			return cur;
		if ((text = read_link(cur, e)) == NULL)
			goto fail;
		/* An absolute link, or a link named without a folder. */
		if (text[0] == '/' || strchr(cur, '/') == NULL) {
			free(cur);
			cur = text;
			continue;
		}
		if ((dir = dir_of(cur)) == NULL) {
			free(text);
			err_set(e, 0, 0, "out of memory");
			goto fail;
		}
		n = strlen(dir) + strlen(text) + 2;
		if ((next = malloc(n)) != NULL)
			snprintf(next, n, "%s/%s", dir, text);
		free(dir);
		free(text);
		if (next == NULL) {
			err_set(e, 0, 0, "out of memory");
			goto fail;
		}
		free(cur);
		cur = next;
	}
	errno = ELOOP;
	err_sys(e, "cannot follow the symbolic link");
fail:
	free(cur);
	return NULL;
}

/*
 * Write F straight into PATH, a character device or a FIFO, as into a
 * stream: it cannot be replaced, and renaming a file over it would
 * destroy the node.  Nothing is created and nothing truncated.
 */
static int
write_into(const char *path, const struct iforest *f, struct err *e)
{
	struct stat st;
	FILE *fp;
	int fd;

	if ((fd = open(path, O_WRONLY | O_NOCTTY)) == -1)
		return err_sys(e, "cannot open");
	/* Look again at what was opened: the name may have changed hands. */
	if (fstat(fd, &st) == -1 || S_ISREG(st.st_mode) ||
	    S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
		close(fd);
		return err_set(e, 0, 0, "changed while the model was being "
		    "saved; try again");
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		err_sys(e, "cannot write");
		close(fd);
		return -1;
	}
	if (model_write(fp, f, e) == -1) {
		fclose(fp);
		return -1;
	}
	if (fclose(fp) != 0)
		return err_sys(e, "write error");
	return 0;
}

/* The temporary file, in the model's folder, until it is renamed. */
#define TMPNAME ".iforest-model.XXXXXX"

/*
 * Write F to a temporary file beside PATH, with permission bits MODE, and
 * rename it over PATH.  LINK, when not NULL, is the symbolic link that led
 * to PATH, and messages name PATH as the link's target.
 */
static int
replace(const char *path, const char *link, mode_t mode,
    const struct iforest *f, struct err *e)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash != NULL ? (size_t)(slash - path) + 1 : 0;
	char *tmp;
	FILE *fp = NULL;
	int fd;

	/*
	 * A short name of its own in PATH's folder, not PATH plus a suffix,
	 * which would pass the file-name limit when PATH's last component
	 * is near it.
	 */
	if ((tmp = malloc(n + sizeof TMPNAME)) == NULL)
		return err_set(e, 0, 0, "out of memory");
	memcpy(tmp, path, n);
	memcpy(tmp + n, TMPNAME, sizeof TMPNAME);
	if ((fd = mkstemp(tmp)) == -1) {
		if (link == NULL)
			err_sys(e, "cannot create a temporary file beside it");
		else if (errno == ENOENT || errno == ENOTDIR)
			err_set(e, 0, 0, "symbolic link to %s, in a folder "
			    "that does not exist", path);
		else
			err_sys(e, "cannot create a temporary file beside "
			    "%s, the link's target", path);
		free(tmp);
		return -1;
	}

	/* mkstemp makes the file 0600, which is rarely what is wanted. */
	if (fchmod(fd, mode) == -1) {
		err_sys(e, "cannot set the mode of the temporary file");
		close(fd);
		goto fail;
	}
	if ((fp = fdopen(fd, "w")) == NULL) {
		err_sys(e, "cannot write the temporary file");
		close(fd);
		goto fail;
	}
	if (model_write(fp, f, e) == -1)
		goto fail;
	if (fflush(fp) != 0) {
		err_sys(e, "write error");
		goto fail;
	}
	if (fsync(fileno(fp)) == -1) {
		err_sys(e, "cannot flush the model to disk");
		goto fail;
	}
	if (fclose(fp) != 0) {
		fp = NULL;
		err_sys(e, "write error");
		goto fail;
	}
	fp = NULL;
	if (rename(tmp, path) == -1) {
		err_sys(e, "cannot rename the temporary file into place");
		goto fail;
	}
	sync_dir(path);
	free(tmp);
	return 0;

fail:
	if (fp != NULL)
		fclose(fp);
	unlink(tmp);
	free(tmp);
	return -1;
}

/*
 * Decide what saving to PATH means from what is there now: a regular
 * file, or nothing, is replaced atomically; a link, by its target; a
 * character device or a FIFO is written into; a directory, a socket or a
 * block device is refused.  A model written over the start of a disk or
 * a partition is never what was meant, and would wreck what it holds.
 */
int
model_save(const char *path, const struct iforest *f, struct err *e)
{
	struct stat st, lst, rst;
	char *real;
	mode_t mode;
	int found, saved, rc;

	if ((found = stat(path, &st) == 0)) {
		if (S_ISDIR(st.st_mode))
			return err_set(e, 0, 0, "is a directory");
		if (S_ISSOCK(st.st_mode))
			return err_set(e, 0, 0, "is a socket: a model cannot "
			    "be written into it");
		if (S_ISBLK(st.st_mode))
			return err_set(e, 0, 0, "is a block device: refusing "
			    "to overwrite it");
		if (!S_ISREG(st.st_mode))
			return write_into(path, f, e);
		mode = st.st_mode & 0777;
	} else {
		saved = errno;
		if (saved != ENOENT && lstat(path, &lst) == 0 &&
		    S_ISLNK(lst.st_mode)) {
			errno = saved;
			return err_sys(e, "cannot follow the symbolic link");
		}
		/* New: readable as others are, as far as the umask allows. */
		mode = umask(0);
		umask(mode);
		mode = 0644 & ~mode;
	}
	if (lstat(path, &lst) == -1 || !S_ISLNK(lst.st_mode))
		return replace(path, NULL, mode, f, e);

	/*
	 * Replace what the link leads to, in its own folder, after making
	 * sure that the name found is that very file, or still nothing.
	 */
	if ((real = follow_links(path, e)) == NULL)
		return -1;
	if (found && (stat(real, &rst) == -1 || rst.st_dev != st.st_dev ||
	    rst.st_ino != st.st_ino))
		rc = err_set(e, 0, 0, "cannot find the name of the file the "
		    "symbolic link leads to");
	else if (!found && lstat(real, &rst) == 0)
		rc = err_set(e, 0, 0, "%s appeared while the model was being "
		    "saved; try again", real);
	else
		rc = replace(real, path, mode, f, e);
	free(real);
	return rc;
}

int
model_output(const char *path, const struct iforest *f, struct err *e)
{
	if (strcmp(path, "-") != 0)
		return model_save(path, f, e);
	if (model_write(stdout, f, e) == -1 && !ferror(stdout))
		return -1;
	return 0;
}
