/*
 * frame.c - Clarify data frames merged into one table of rows.
 *
 * Each frame added is kept as read, column-major: its times go to a list
 * of row references (time, frame, index), its series to a list mapping
 * each to its column, and its values to a list of cells, one run of cells
 * per series.  A frame thus costs what it holds, whatever the number of
 * columns other frames brought; rows are put together only when written.
 * Writing sorts the references by time, stably, so that references to
 * one time stay in the order they were read and the merge can simply let
 * a later number win.
 *
 * The sort is a merge of the runs already in order.  A frame's times are
 * ascending, and the chunks of a long window come one after the other,
 * so the usual input is one run and costs one pass.
 *
 * Columns are found by key, and names checked for a clash, in two AVL
 * trees threaded through the columns.  A hash table would be quicker on
 * average, but keys come from the input, and keys chosen to collide
 * would make every lookup a scan; a balanced tree has no bad input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "frame.h"
#include "timestamp.h"

/* No column: an empty subtree, a key not seen. */
#define NONE ((size_t)-1)

/* The two trees: columns by key, and by the name that heads them. */
enum { BYKEY, BYNAME };

struct link {
	size_t	 kid[2];	/* the lesser and the greater subtree */
	int	 height;
};

struct col {
	char	*key;
	size_t	 keylen;
	char	*name;		/* from frame_rename, or NULL for the key */
	size_t	 namelen;
	struct link link[2];	/* in the tree BYKEY and the tree BYNAME */
	size_t	 first;		/* its place among the keys seen, or NONE */
	size_t	 mark;		/* the last frame_add call that held it */
};

/* One frame as added. */
struct chunk {
	size_t	 nrow;		/* its times */
	size_t	 nseries;
	size_t	 slotbase;	/* series s is column slot[slotbase + s] */
	size_t	 cellbase;	/* series s, row i: cell[cellbase+s*nrow+i] */
};

struct ref {
	int64_t	 t;
	size_t	 chunk;
	size_t	 row;
};

/*
 * A value: a number's text, or null.  A text of up to 7 bytes, which is
 * what measured values mostly take, is held in the cell itself, so that
 * a cell is no bigger than an offset would be; a longer one goes to the
 * pool, preceded by its length, and the cell holds its offset there.
 */
#define CELL_SHORT 7		/* bytes of text a cell holds */
#define CELL_NULL 0		/* len of a null */
#define CELL_LONG 0xff		/* len of a text in the pool */

struct cell {
	unsigned char len;	/* of a short text; CELL_NULL, CELL_LONG */
	char	 text[CELL_SHORT];	/* a short text, or the offset of a
					   long one, low byte first */
};

struct frame_table {
	struct col *col;
	size_t	 ncol, capcol;
	size_t	 root[2];	/* of the trees BYKEY and BYNAME */
	size_t	 nseen;		/* columns whose key a frame held */
	size_t	 serial;	/* frame_add calls */
	struct chunk *chunk;
	size_t	 nchunk, capchunk;
	size_t	*slot;
	size_t	 nslot, capslot;
	struct ref *ref;
	size_t	 nref, capref;
	struct cell *cell;
	size_t	 ncell, capcell;
	char	*pool;
	size_t	 npool, cappool;
};

/* Make room for NEED elements of SIZE in *ARR.  -1 when out of memory. */
static int
reserve(void *arr, size_t *cap, size_t need, size_t size)
{
	void **p = arr, *n;
	size_t ncap = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return -1;
		ncap *= 2;
	}
	if (ncap > SIZE_MAX / size || (n = realloc(*p, ncap * size)) == NULL)
		return -1;
	*p = n;
	*cap = ncap;
	return 0;
}

struct frame_table *
frame_new(void)
{
	struct frame_table *t;

	if ((t = calloc(1, sizeof *t)) == NULL)
		return NULL;
	t->root[BYKEY] = t->root[BYNAME] = NONE;
	return t;
}

void
frame_free(struct frame_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ncol; i++) {
		free(t->col[i].key);
		free(t->col[i].name);
	}
	free(t->col);
	free(t->chunk);
	free(t->slot);
	free(t->ref);
	free(t->cell);
	free(t->pool);
	free(t);
}

/* The text column I is ordered by in tree W. */
static const char *
text(const struct frame_table *t, int w, size_t i, size_t *len)
{
	const struct col *c = &t->col[i];

	if (w == BYNAME && c->name != NULL) {
		*len = c->namelen;
		return c->name;
	}
	*len = c->keylen;
	return c->key;
}

/* Byte strings in order, a prefix first. */
static int
compare(const char *a, size_t alen, const char *b, size_t blen)
{
	int r = memcmp(a, b, alen < blen ? alen : blen);

	return r != 0 ? r : (alen > blen) - (alen < blen);
}

/* Which side of column ROOT column I goes to in tree W. */
static int
side(const struct frame_table *t, int w, size_t root, size_t i)
{
	const char *a, *b;
	size_t alen, blen;

	a = text(t, w, i, &alen);
	b = text(t, w, root, &blen);
	return compare(a, alen, b, blen) > 0;
}

/* The column whose text in tree W is the LEN bytes at S, or NONE. */
static size_t
find(const struct frame_table *t, int w, const char *s, size_t len)
{
	const char *u;
	size_t i = t->root[w], ulen;
	int r;

	while (i != NONE) {
		u = text(t, w, i, &ulen);
		if ((r = compare(s, len, u, ulen)) == 0)
			break;
		i = t->col[i].link[w].kid[r > 0];
	}
	return i;
}

static int
height(const struct frame_table *t, int w, size_t i)
{
	return i == NONE ? 0 : t->col[i].link[w].height;
}

static void
set_height(struct frame_table *t, int w, size_t i)
{
	struct link *l = &t->col[i].link[w];
	int a = height(t, w, l->kid[0]), b = height(t, w, l->kid[1]);

	l->height = 1 + (a > b ? a : b);
}

/* Lift the child of I on side D above I; returns the subtree's root. */
static size_t
rotate(struct frame_table *t, int w, size_t i, int d)
{
	struct link *a = &t->col[i].link[w];
	size_t j = a->kid[d];
	struct link *b = &t->col[j].link[w];

	a->kid[d] = b->kid[!d];
	b->kid[!d] = i;
	set_height(t, w, i);
	set_height(t, w, j);
	return j;
}

/*
 * Restore the balance of the subtree at I, whose subtrees are balanced
 * and differ in height by at most 2.  Returns the subtree's root.
 */
static size_t
balance(struct frame_table *t, int w, size_t i)
{
	struct link *a = &t->col[i].link[w], *b;
	int d, diff = height(t, w, a->kid[0]) - height(t, w, a->kid[1]);

	if (diff >= -1 && diff <= 1) {
		set_height(t, w, i);
		return i;
	}
	d = diff < 0;
	b = &t->col[a->kid[d]].link[w];
	if (height(t, w, b->kid[!d]) > height(t, w, b->kid[d]))
		a->kid[d] = rotate(t, w, a->kid[d], !d);
	return rotate(t, w, i, d);
}

/* Put column I, whose text is in no other, into the subtree at ROOT. */
static size_t
insert(struct frame_table *t, int w, size_t root, size_t i)
{
	size_t *kid;

	if (root == NONE) {
		t->col[i].link[w].kid[0] = t->col[i].link[w].kid[1] = NONE;
		t->col[i].link[w].height = 1;
		return i;
	}
	kid = &t->col[root].link[w].kid[side(t, w, root, i)];
	*kid = insert(t, w, *kid, i);
	return balance(t, w, root);
}

/* Take the least column of the subtree at ROOT out, into *LEAST. */
static size_t
take_least(struct frame_table *t, int w, size_t root, size_t *least)
{
	struct link *a = &t->col[root].link[w];

	if (a->kid[0] == NONE) {
		*least = root;
		return a->kid[1];
	}
	a->kid[0] = take_least(t, w, a->kid[0], least);
	return balance(t, w, root);
}

/* Take column I, which is there, out of the subtree at ROOT. */
static size_t
remove_col(struct frame_table *t, int w, size_t root, size_t i)
{
	struct link *a = &t->col[root].link[w], *b;
	size_t least, rest;
	int d;

	if (root != i) {
		d = side(t, w, root, i);
		a->kid[d] = remove_col(t, w, a->kid[d], i);
		return balance(t, w, root);
	}
	if (a->kid[1] == NONE)
		return a->kid[0];
	rest = take_least(t, w, a->kid[1], &least);
	b = &t->col[least].link[w];
	b->kid[0] = a->kid[0];
	b->kid[1] = rest;
	return balance(t, w, least);
}

/*
 * Add a column for the LEN bytes of KEY, headed by NAME (taken over) or
 * by the key.  Returns its index, or NONE when out of memory.
 */
static size_t
add_column(struct frame_table *t, const char *key, size_t keylen,
    char *name)
{
	struct col *c;

	if (reserve(&t->col, &t->capcol, t->ncol + 1, sizeof *t->col) == -1)
		return NONE;
	c = &t->col[t->ncol];
	if ((c->key = malloc(keylen + 1)) == NULL)
		return NONE;
	memcpy(c->key, key, keylen);
	c->key[keylen] = '\0';
	c->keylen = keylen;
	c->name = name;
	c->namelen = name != NULL ? strlen(name) : 0;
	c->first = NONE;
	c->mark = 0;
	t->root[BYKEY] = insert(t, BYKEY, t->root[BYKEY], t->ncol);
	t->root[BYNAME] = insert(t, BYNAME, t->root[BYNAME], t->ncol);
	return t->ncol++;
}

/* Is the name of LEN bytes at S that of the time column? */
static int
is_time(const char *s, size_t len)
{
	return len == 4 && memcmp(s, "time", 4) == 0;
}

/* Read the times of F into references; -1 with E filled. */
static int
add_times(struct frame_table *t, const struct json *times, struct err *e)
{
	const struct json *x;
	const char *why;
	char buf[ERR_QUOTESZ];
	size_t i, n = times->len;
	struct ref *r;

	if (reserve(&t->ref, &t->capref, t->nref + n, sizeof *t->ref) == -1)
		return err_set(e, 0, 0, "out of memory");
	for (i = 0; i < n; i++) {
		x = &times->item[i];
		r = &t->ref[t->nref + i];
		if (x->type != JSON_STRING)
			return err_set(e, x->line, x->col, "times[%zu] is %s, "
			    "expected an RFC 3339 time", i,
			    json_typename(x->type));
		if ((why = time_parse(x->str, x->len, &r->t)) != NULL)
			return err_set(e, x->line, x->col, "times[%zu]: bad "
			    "time \"%s\": %s", i,
			    err_quote(buf, x->str, x->len), why);
		r->chunk = t->nchunk;
		r->row = i;
	}
	return 0;
}

/* Put the LEN bytes of text at S in the cell C.  -1 when out of memory. */
static int
set_cell(struct frame_table *t, struct cell *c, const char *s, size_t len)
{
	static const struct cell zero;
	size_t off = t->npool, i;

	/* The bytes after a short text are zero: put_cell copies them. */
	if (len <= CELL_SHORT) {
		*c = zero;
		c->len = (unsigned char)len;
		memcpy(c->text, s, len);
		return 0;
	}
	if (len > SIZE_MAX - sizeof len - off ||
	    reserve(&t->pool, &t->cappool, off + sizeof len + len, 1) == -1)
		return -1;
	memcpy(t->pool + off, &len, sizeof len);
	memcpy(t->pool + off + sizeof len, s, len);
	t->npool += sizeof len + len;
	c->len = CELL_LONG;
	for (i = 0; i < CELL_SHORT; i++, off >>= 8)
		c->text[i] = (char)(off & 0xff);
	return 0;
}

/* The text of the cell C, which is no null, and its length in *LEN. */
static const char *
cell_text(const struct frame_table *t, const struct cell *c, size_t *len)
{
	size_t off = 0, i;

	if (c->len != CELL_LONG) {
		*len = c->len;
		return c->text;
	}
	for (i = CELL_SHORT; i-- > 0;)
		off = off << 8 | (unsigned char)c->text[i];
	memcpy(len, t->pool + off, sizeof *len);
	return t->pool + off + sizeof *len;
}

/*
 * Write the text of the cell C, which is no null, at W, which has room for
 * CELL_SHORT bytes more than the text takes.  Returns the byte after it.
 */
static char *
put_cell(const struct frame_table *t, const struct cell *c, char *w)
{
	const char *text;
	size_t len;

	if (c->len != CELL_LONG) {
		/* A move of a fixed size, quicker than one of the length. */
		memcpy(w, c->text, CELL_SHORT);
		return w + c->len;
	}
	text = cell_text(t, c, &len);
	memcpy(w, text, len);
	return w + len;
}

/* Read series A (key KEY) into cells: the frame's series S. */
static int
add_series(struct frame_table *t, const struct chunk *ch, size_t s,
    const struct json *a, const char *key, struct err *e)
{
	const struct json *x;
	struct cell *c;
	size_t i;

	for (i = 0; i < a->len; i++) {
		x = &a->item[i];
		c = &t->cell[ch->cellbase + s * ch->nrow + i];
		if (x->type == JSON_NUMBER) {
			if (set_cell(t, c, x->str, x->len) == -1)
				return err_set(e, 0, 0, "out of memory");
		} else if (x->type == JSON_NULL) {
			c->len = CELL_NULL;
		} else {
			return err_set(e, x->line, x->col, "series \"%s\"[%zu] "
			    "is %s, expected a number or null", key, i,
			    json_typename(x->type));
		}
	}
	return 0;
}

/*
 * The column of series A, key KEY (LEN bytes, shown as SHOWN), of the
 * frame CH: found, or added when the key is new.  NONE with E filled.
 */
static size_t
series_column(struct frame_table *t, const struct chunk *ch,
    const struct json *a, const char *key, size_t len, const char *show,
    struct err *e)
{
	char obuf[ERR_QUOTESZ];
	size_t c, other;

	if ((c = find(t, BYKEY, key, len)) == NONE) {
		if (is_time(key, len)) {
			err_set(e, a->line, a->col, "series key \"%s\": "
			    "column \"%s\" would appear twice in the header: "
			    "rename the series with -r", show, show);
			return NONE;
		}
		/* A new key cannot be that of the other: it has a name. */
		if ((other = find(t, BYNAME, key, len)) != NONE) {
			err_set(e, a->line, a->col, "series key \"%s\": "
			    "column \"%s\" would appear twice in the header "
			    "(series \"%s\" is renamed so)", show, show,
			    err_quote(obuf, t->col[other].key,
			    t->col[other].keylen));
			return NONE;
		}
		if ((c = add_column(t, key, len, NULL)) == NONE) {
			err_set(e, 0, 0, "out of memory");
			return NONE;
		}
	} else if (t->col[c].mark == t->serial) {
		/*
		 * JSON leaves a repeated member to the reader's whim; which
		 * of the two series is the data is anyone's guess.
		 */
		err_set(e, a->line, a->col, "series key \"%s\" appears twice",
		    show);
		return NONE;
	}
	t->col[c].mark = t->serial;
	if (t->col[c].first == NONE)
		t->col[c].first = t->nseen++;
	t->slot[ch->slotbase + ch->nseries] = c;
	return c;
}

/* Read the series of F into the frame CH. */
static int
add_series_all(struct frame_table *t, struct chunk *ch,
    const struct json *series, struct err *e)
{
	const struct json *a;
	const char *key;
	char buf[ERR_QUOTESZ];
	size_t k, s, keylen;

	for (k = 0; k < series->len; k++) {
		a = &series->item[k];
		key = json_key(series, k)->name;
		keylen = json_key(series, k)->len;
		err_quote(buf, key, keylen);
		if (memchr(key, '\0', keylen) != NULL)
			return err_set(e, a->line, a->col, "series name \"%s\" "
			    "holds a NUL character", buf);
		if (a->type != JSON_ARRAY)
			return err_set(e, a->line, a->col, "series \"%s\" is "
			    "%s, expected an array of numbers and nulls", buf,
			    json_typename(a->type));
		if (a->len != ch->nrow)
			return err_set(e, a->line, a->col, "series \"%s\" has "
			    "%zu values for %zu times", buf, (size_t)a->len,
			    ch->nrow);
		if (series_column(t, ch, a, key, keylen, buf, e) == NONE)
			return -1;
		s = ch->nseries++;
		if (reserve(&t->cell, &t->capcell, t->ncell + ch->nrow,
		    sizeof *t->cell) == -1)
			return err_set(e, 0, 0, "out of memory");
		t->ncell += ch->nrow;
		if (add_series(t, ch, s, a, buf, e) == -1)
			return -1;
	}
	return 0;
}

/* Take back what the frame CH added, the table having NCOL columns. */
static void
rollback(struct frame_table *t, const struct chunk *ch, size_t ncol,
    size_t nseen, size_t npool)
{
	size_t i, c;

	/* Columns that were there but first seen now are unseen again. */
	for (i = 0; i < ch->nseries; i++) {
		c = t->slot[ch->slotbase + i];
		if (c < ncol && t->col[c].first >= nseen)
			t->col[c].first = NONE;
	}
	while (t->ncol > ncol) {
		c = --t->ncol;
		t->root[BYKEY] = remove_col(t, BYKEY, t->root[BYKEY], c);
		t->root[BYNAME] = remove_col(t, BYNAME, t->root[BYNAME], c);
		free(t->col[c].key);
	}
	t->nseen = nseen;
	t->nslot = ch->slotbase;
	t->ncell = ch->cellbase;
	t->npool = npool;
}

int
frame_add(struct frame_table *t, const struct json *f, struct err *e)
{
	const struct json *times, *series;
	struct chunk ch;
	size_t ncol = t->ncol, nseen = t->nseen, npool = t->npool;

	if (f->type != JSON_OBJECT)
		return err_set(e, f->line, f->col, "expected a data frame "
		    "(an object with times and series), found %s",
		    json_typename(f->type));
	times = json_get(f, "times");
	series = json_get(f, "series");
	if (times == NULL || series == NULL)
		return err_set(e, f->line, f->col, "a data frame without "
		    "\"%s\"", times == NULL ? "times" : "series");
	if (times->type != JSON_ARRAY)
		return err_set(e, times->line, times->col, "\"times\" is %s, "
		    "expected an array of times", json_typename(times->type));
	if (series->type != JSON_OBJECT)
		return err_set(e, series->line, series->col, "\"series\" is "
		    "%s, expected an object of arrays",
		    json_typename(series->type));

	/* A new mark, even after a refused frame, for repeated keys. */
	t->serial++;
	ch.nrow = times->len;
	ch.nseries = 0;
	ch.slotbase = t->nslot;
	ch.cellbase = t->ncell;
	if (reserve(&t->chunk, &t->capchunk, t->nchunk + 1,
	    sizeof *t->chunk) == -1 ||
	    reserve(&t->slot, &t->capslot, t->nslot + series->len,
	    sizeof *t->slot) == -1)
		return err_set(e, 0, 0, "out of memory");
	if (add_times(t, times, e) == -1 ||
	    add_series_all(t, &ch, series, e) == -1) {
		rollback(t, &ch, ncol, nseen, npool);
		return -1;
	}
	t->nslot += ch.nseries;
	t->nref += ch.nrow;
	t->chunk[t->nchunk++] = ch;
	return 0;
}

int
frame_rename(struct frame_table *t, const char *key, const char *name,
    struct err *e)
{
	size_t keylen = strlen(key), namelen = strlen(name), c, other;
	char kbuf[ERR_QUOTESZ], nbuf[ERR_QUOTESZ], obuf[ERR_QUOTESZ];
	char *s;

	err_quote(kbuf, key, keylen);
	err_quote(nbuf, name, namelen);
	c = find(t, BYKEY, key, keylen);
	if (c != NONE && t->col[c].name != NULL)
		return err_set(e, 0, 0, "series \"%s\" renamed twice", kbuf);
	if (is_time(name, namelen))
		return err_set(e, 0, 0, "column \"time\" would appear twice "
		    "in the header (series \"%s\" and the times)", kbuf);
	other = find(t, BYNAME, name, namelen);
	if (other != NONE && other != c)
		return err_set(e, 0, 0, "column \"%s\" would appear twice in "
		    "the header (series \"%s\" and \"%s\")", nbuf, kbuf,
		    err_quote(obuf, t->col[other].key, t->col[other].keylen));

	if ((s = malloc(namelen + 1)) == NULL) {
		err_set(e, 0, 0, "out of memory");
		return FRAME_NOMEM;
	}
	memcpy(s, name, namelen + 1);
	if (c == NONE) {
		if (add_column(t, key, keylen, s) == NONE) {
			free(s);
			err_set(e, 0, 0, "out of memory");
			return FRAME_NOMEM;
		}
		return 0;
	}
	t->root[BYNAME] = remove_col(t, BYNAME, t->root[BYNAME], c);
	t->col[c].name = s;
	t->col[c].namelen = namelen;
	t->root[BYNAME] = insert(t, BYNAME, t->root[BYNAME], c);
	return t->col[c].first != NONE;
}

int
frame_has(const struct frame_table *t, const char *key)
{
	size_t c = find(t, BYKEY, key, strlen(key));

	return c != NONE && t->col[c].first != NONE;
}

/*
 * Sort the N references at A by time, keeping the order of equal times:
 * find the runs already in order, then merge neighbouring runs until one
 * is left.  -1 when out of memory.
 */
static int
sort_refs(struct ref **a, size_t n)
{
	struct ref *src = *a, *dst, *tmp;
	size_t *run, nrun = 0, i, k, m, x, y, ya, yb;

	for (i = 1; i < n && src[i - 1].t <= src[i].t; i++)
		;
	if (i >= n)
		return 0;
	if ((dst = malloc(n * sizeof *dst)) == NULL)
		return -1;
	if ((run = malloc((n + 1) * sizeof *run)) == NULL) {
		free(dst);
		return -1;
	}
	run[nrun++] = 0;
	for (i = 1; i < n; i++)
		if (src[i - 1].t > src[i].t)
			run[nrun++] = i;
	run[nrun] = n;

	while (nrun > 1) {
		for (k = 0, m = 0; k < nrun; k += 2, m++) {
			x = run[k];
			if (k + 1 == nrun) {
				/* An odd run out: copied as it is. */
				memcpy(dst + x, src + x, (n - x) * sizeof *dst);
				run[m] = x;
				continue;
			}
			i = x;
			y = ya = run[k + 1];
			yb = run[k + 2];
			while (x < ya && y < yb)
				dst[i++] = src[y].t < src[x].t ? src[y++] :
				    src[x++];
			memcpy(dst + i, src + x, (ya - x) * sizeof *dst);
			i += ya - x;
			memcpy(dst + i, src + y, (yb - y) * sizeof *dst);
			run[m] = run[k];
		}
		nrun = m;
		run[nrun] = n;
		tmp = src;
		src = dst;
		dst = tmp;
	}
	*a = src;
	free(dst);
	free(run);
	return 0;
}

/*
 * The columns in header order into ORDER: the keys seen, in the order
 * they came, then those only renamed, in the order of the renames.
 */
static void
header_order(const struct frame_table *t, size_t *order)
{
	size_t i, n = t->nseen;

	for (i = 0; i < t->ncol; i++) {
		if (t->col[i].first != NONE)
			order[t->col[i].first] = i;
		else
			order[n++] = i;
	}
}

static int
write_header(const struct frame_table *t, const size_t *order, FILE *fp)
{
	const char *name;
	size_t i, len;

	if (fputs("time", fp) == EOF)
		return -1;
	for (i = 0; i < t->ncol; i++) {
		name = text(t, BYNAME, order[i], &len);
		if (putc(',', fp) == EOF || csv_put_field(fp, name, len) == -1)
			return -1;
	}
	return putc('\n', fp) == EOF ? -1 : 0;
}

/*
 * Gather into VAL the last number of each column among the references
 * [A, B), which share one time, and the columns that got one into
 * TOUCHED (*NTOUCHED of them).  Returns the bytes the row needs, or 0
 * when it has no number at all.  The work is that of the values there
 * are, not of the columns.
 */
static size_t
gather(const struct frame_table *t, size_t a, size_t b,
    const struct cell **val, size_t *touched, size_t *ntouched)
{
	const struct ref *r;
	const struct chunk *ch;
	const struct cell *c;
	size_t s, col, len, need = TIME_BUFSZ + t->ncol + 1 + CELL_SHORT;
	size_t n = 0;

	for (; a < b; a++) {
		r = &t->ref[a];
		ch = &t->chunk[r->chunk];
		for (s = 0; s < ch->nseries; s++) {
			c = &t->cell[ch->cellbase + s * ch->nrow + r->row];
			if (c->len == CELL_NULL)
				continue;
			col = t->slot[ch->slotbase + s];
			if (val[col] == NULL)
				touched[n++] = col;
			val[col] = c;
		}
	}
	*ntouched = n;
	for (s = 0; s < n; s++) {
		cell_text(t, val[touched[s]], &len);
		need += len;
	}
	return n > 0 ? need : 0;
}

/* Rows are handed to the stream this many bytes at a time, or more. */
#define FLUSH ((size_t)64 << 10)

int
frame_write_csv(struct frame_table *t, FILE *fp, struct frame_stats *st,
    struct err *e)
{
	struct frame_stats n;
	const struct cell **val = NULL, *c;
	size_t *order = NULL, *touched = NULL, ntouched;
	char *buf = NULL, *w;
	size_t cap = 0, len = 0, need, a, b, i;
	int rc = -1;

	memset(&n, 0, sizeof n);
	n.frames = t->nchunk;
	n.times = t->nref;
	if (sort_refs(&t->ref, t->nref) == -1 ||
	    (t->ncol > 0 && ((val = calloc(t->ncol, sizeof *val)) == NULL ||
	    (order = calloc(t->ncol, sizeof *order)) == NULL ||
	    (touched = calloc(t->ncol, sizeof *touched)) == NULL))) {
		err_set(e, 0, 0, "out of memory");
		goto out;
	}
	if (t->ncol > 0)
		header_order(t, order);
	if (write_header(t, order, fp) == -1)
		goto werr;

	for (a = 0; a < t->nref; a = b) {
		for (b = a + 1; b < t->nref && t->ref[b].t == t->ref[a].t; b++)
			;
		n.merged += b - a - 1;
		if ((need = gather(t, a, b, val, touched, &ntouched)) == 0) {
			n.dropped++;
			continue;
		}
		if (need > SIZE_MAX - len ||
		    reserve(&buf, &cap, len + need, 1) == -1) {
			err_set(e, 0, 0, "out of memory");
			goto out;
		}
		w = buf + len;
		w += time_format(w, t->ref[a].t);
		for (i = 0; i < t->ncol; i++) {
			*w++ = ',';
			if ((c = val[order[i]]) != NULL)
				w = put_cell(t, c, w);
		}
		*w++ = '\n';
		len = (size_t)(w - buf);
		for (i = 0; i < ntouched; i++)
			val[touched[i]] = NULL;
		n.rows++;
		if (len >= FLUSH) {
			if (fwrite(buf, 1, len, fp) != len)
				goto werr;
			len = 0;
		}
	}
	if (len > 0 && fwrite(buf, 1, len, fp) != len)
		goto werr;
	rc = 0;
	goto out;

werr:
	err_sys(e, "write error");
out:
	if (st != NULL)
		*st = n;
	free(val);
	free(order);
	free(touched);
	free(buf);
	return rc;
}
