/*
 * frame.c - Clarify data frames merged into one table of rows.
 *
 * Each frame added is kept as read, column-major: its times go to a list
 * of row references (time, frame, index) and its values to a list of
 * cells, one run of cells per series.  Writing sorts the references by
 * time, stably, so that references to one time stay in the order they
 * were read and the merge can simply let a later number win.
 *
 * The sort is a merge of the runs already in order.  A frame's times are
 * ascending, and the chunks of a long window come one after the other,
 * so the usual input is one run and costs one pass.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "frame.h"
#include "timestamp.h"

/* A slot of a frame's column map with no series in that frame. */
#define NONE ((size_t)-1)

/* A key or a time is shown in a message up to this many bytes. */
#define SHOWN 40

struct col {
	char	*key;
	size_t	 keylen;
	char	*name;		/* from frame_rename, or NULL for the key */
};

/* One frame as added. */
struct chunk {
	size_t	 nrow;		/* its times */
	size_t	 ncol;		/* columns of the table after it was added */
	size_t	 slotbase;	/* column c's series: slot[slotbase + c] */
	size_t	 cellbase;	/* series s, row i: cell[cellbase+s*nrow+i] */
};

struct ref {
	int64_t	 t;
	size_t	 chunk;
	size_t	 row;
};

/* A number's text in the pool; len 0 for null. */
struct cell {
	size_t	 off;
	size_t	 len;
};

struct frame_table {
	struct col *col;
	size_t	 ncol, capcol;
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
	return calloc(1, sizeof(struct frame_table));
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

/* At most SHOWN bytes of S for a message, control characters as '?'. */
static const char *
shown(char *buf, const char *s, size_t len)
{
	size_t i, n = len > SHOWN ? SHOWN : len;

	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ?
		    '?' : s[i];
	strcpy(buf + n, len > SHOWN ? "..." : "");
	return buf;
}

/* The column of series KEY, added when new; NONE when out of memory. */
static size_t
column(struct frame_table *t, const char *key, size_t keylen)
{
	struct col *c;
	size_t i;

	for (i = 0; i < t->ncol; i++)
		if (t->col[i].keylen == keylen &&
		    memcmp(t->col[i].key, key, keylen) == 0)
			return i;
	if (reserve(&t->col, &t->capcol, t->ncol + 1, sizeof *t->col) == -1)
		return NONE;
	c = &t->col[t->ncol];
	if ((c->key = malloc(keylen + 1)) == NULL)
		return NONE;
	memcpy(c->key, key, keylen);
	c->key[keylen] = '\0';
	c->keylen = keylen;
	c->name = NULL;
	return t->ncol++;
}

/* Read the times of F into references; -1 with E filled. */
static int
add_times(struct frame_table *t, const struct json *times, struct err *e)
{
	const struct json *x;
	const char *why;
	char buf[SHOWN + 4];
	size_t i, n = times->len;
	struct ref *r;

	if (reserve(&t->ref, &t->capref, t->nref + n, sizeof *t->ref) == -1)
		return err_set(e, 0, 0, "out of memory");
	r = t->ref + t->nref;
	for (i = 0; i < n; i++, r++) {
		x = &times->item[i];
		if (x->type != JSON_STRING)
			return err_set(e, x->line, x->col, "times[%zu] is %s, "
			    "expected an RFC 3339 time", i,
			    json_typename(x->type));
		if ((why = time_parse(x->str, x->len, &r->t)) != NULL)
			return err_set(e, x->line, x->col, "times[%zu]: bad "
			    "time \"%s\": %s", i, shown(buf, x->str, x->len),
			    why);
		r->chunk = t->nchunk;
		r->row = i;
	}
	return 0;
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
			if (reserve(&t->pool, &t->cappool, t->npool + x->len,
			    1) == -1)
				return err_set(e, 0, 0, "out of memory");
			memcpy(t->pool + t->npool, x->str, x->len);
			c->off = t->npool;
			c->len = x->len;
			t->npool += x->len;
		} else if (x->type == JSON_NULL) {
			c->len = 0;
		} else {
			return err_set(e, x->line, x->col, "series \"%s\"[%zu] "
			    "is %s, expected a number or null", key, i,
			    json_typename(x->type));
		}
	}
	return 0;
}

/* Read the series of F; SCOL maps the frame's series to columns. */
static int
add_series_all(struct frame_table *t, struct chunk *ch,
    const struct json *series, size_t *scol, size_t *nseries, struct err *e)
{
	const struct json *a;
	const char *key;
	char buf[SHOWN + 4];
	size_t k, s, c, keylen;

	for (k = 0; k < series->len; k++) {
		a = &series->item[k];
		key = series->key[k];
		keylen = series->keylen[k];
		shown(buf, key, keylen);
		if (memchr(key, '\0', keylen) != NULL)
			return err_set(e, a->line, a->col, "series name \"%s\" "
			    "holds a NUL character", buf);
		if (a->type != JSON_ARRAY)
			return err_set(e, a->line, a->col, "series \"%s\" is "
			    "%s, expected an array of numbers and nulls", buf,
			    json_typename(a->type));
		if (a->len != ch->nrow)
			return err_set(e, a->line, a->col, "series \"%s\" has "
			    "%zu values for %zu times", buf, a->len,
			    ch->nrow);
		if ((c = column(t, key, keylen)) == NONE)
			return err_set(e, 0, 0, "out of memory");
		/*
		 * JSON leaves a repeated member to the reader's whim; which
		 * of the two series is the data is anyone's guess.
		 */
		for (s = 0; s < *nseries; s++)
			if (scol[s] == c)
				return err_set(e, a->line, a->col, "series key "
				    "\"%s\" appears twice", buf);
		scol[(*nseries)++] = c;
		if (reserve(&t->cell, &t->capcell, t->ncell + ch->nrow,
		    sizeof *t->cell) == -1)
			return err_set(e, 0, 0, "out of memory");
		t->ncell += ch->nrow;
		if (add_series(t, ch, s, a, buf, e) == -1)
			return -1;
	}
	return 0;
}

int
frame_add(struct frame_table *t, const struct json *f, struct err *e)
{
	const struct json *times, *series;
	struct chunk ch;
	size_t ncol = t->ncol, npool = t->npool, i, nseries = 0;
	size_t *scol = NULL;

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

	ch.nrow = times->len;
	ch.cellbase = t->ncell;
	if (reserve(&t->chunk, &t->capchunk, t->nchunk + 1,
	    sizeof *t->chunk) == -1 ||
	    (series->len > 0 &&
	    (scol = calloc(series->len, sizeof *scol)) == NULL)) {
		err_set(e, 0, 0, "out of memory");
		goto fail;
	}
	if (add_times(t, times, e) == -1 ||
	    add_series_all(t, &ch, series, scol, &nseries, e) == -1)
		goto fail;

	ch.ncol = t->ncol;
	ch.slotbase = t->nslot;
	if (reserve(&t->slot, &t->capslot, t->nslot + t->ncol,
	    sizeof *t->slot) == -1) {
		err_set(e, 0, 0, "out of memory");
		goto fail;
	}
	for (i = 0; i < t->ncol; i++)
		t->slot[ch.slotbase + i] = NONE;
	for (i = 0; i < nseries; i++)
		t->slot[ch.slotbase + scol[i]] = i;
	t->nslot += t->ncol;
	t->nref += ch.nrow;
	t->chunk[t->nchunk++] = ch;
	free(scol);
	return 0;

fail:
	/* Leave the table as it was before this frame. */
	while (t->ncol > ncol) {
		t->ncol--;
		free(t->col[t->ncol].key);
	}
	t->ncell = ch.cellbase;
	t->npool = npool;
	free(scol);
	return -1;
}

int
frame_rename(struct frame_table *t, const char *key, const char *name)
{
	size_t n = t->ncol, c;
	char *s;

	if ((s = malloc(strlen(name) + 1)) == NULL ||
	    (c = column(t, key, strlen(key))) == NONE) {
		free(s);
		return -1;
	}
	strcpy(s, name);
	free(t->col[c].name);
	t->col[c].name = s;
	return c < n;
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

static const char *
colname(const struct col *c, size_t *len)
{
	if (c->name != NULL) {
		*len = strlen(c->name);
		return c->name;
	}
	*len = c->keylen;
	return c->key;
}

/* Refuse a header that names a column twice. */
static int
check_names(const struct frame_table *t, struct err *e)
{
	const char *a, *b;
	char buf[SHOWN + 4];
	size_t i, j, alen, blen;

	for (i = 0; i < t->ncol; i++) {
		a = colname(&t->col[i], &alen);
		if (alen == 4 && memcmp(a, "time", 4) == 0)
			return err_set(e, 0, 0, "column \"time\" would appear "
			    "twice in the header: rename the series with -r");
		for (j = i + 1; j < t->ncol; j++) {
			b = colname(&t->col[j], &blen);
			if (alen == blen && memcmp(a, b, alen) == 0)
				return err_set(e, 0, 0, "column \"%s\" would "
				    "appear twice in the header",
				    shown(buf, a, alen));
		}
	}
	return 0;
}

static int
write_header(const struct frame_table *t, FILE *fp)
{
	const char *name;
	size_t i, len;

	if (fputs("time", fp) == EOF)
		return -1;
	for (i = 0; i < t->ncol; i++) {
		name = colname(&t->col[i], &len);
		if (putc(',', fp) == EOF || csv_put_field(fp, name, len) == -1)
			return -1;
	}
	return putc('\n', fp) == EOF ? -1 : 0;
}

/*
 * Gather into VAL the last number of each column among the references
 * [A, B), which share one time.  Returns the bytes the row needs, or 0
 * when it has no number at all.
 */
static size_t
gather(const struct frame_table *t, const struct ref *a, const struct ref *b,
    const struct cell **val)
{
	const struct chunk *ch;
	const struct cell *c;
	size_t i, s, need = TIME_BUFSZ + t->ncol + 1;
	int any = 0;

	memset(val, 0, t->ncol * sizeof *val);
	for (; a < b; a++) {
		ch = &t->chunk[a->chunk];
		for (i = 0; i < ch->ncol; i++) {
			if ((s = t->slot[ch->slotbase + i]) == NONE)
				continue;
			c = &t->cell[ch->cellbase + s * ch->nrow + a->row];
			if (c->len != 0)
				val[i] = c;
		}
	}
	for (i = 0; i < t->ncol; i++) {
		if (val[i] != NULL) {
			need += val[i]->len;
			any = 1;
		}
	}
	return any ? need : 0;
}

int
frame_write_csv(struct frame_table *t, FILE *fp, struct frame_stats *st,
    struct err *e)
{
	struct frame_stats n;
	const struct cell **val = NULL;
	struct ref *a, *b, *end;
	char *line = NULL;
	size_t cap = 0, len, need, i;
	int rc = -1;

	memset(&n, 0, sizeof n);
	n.frames = t->nchunk;
	n.times = t->nref;
	if (check_names(t, e) == -1)
		return -1;
	if (sort_refs(&t->ref, t->nref) == -1 ||
	    (t->ncol > 0 && (val = calloc(t->ncol, sizeof *val)) == NULL)) {
		err_set(e, 0, 0, "out of memory");
		goto out;
	}
	if (write_header(t, fp) == -1)
		goto werr;

	end = t->ref + t->nref;
	for (a = t->ref; a < end; a = b) {
		for (b = a + 1; b < end && b->t == a->t; b++)
			;
		n.merged += (size_t)(b - a) - 1;
		if ((need = gather(t, a, b, val)) == 0) {
			n.dropped++;
			continue;
		}
		if (reserve(&line, &cap, need, 1) == -1) {
			err_set(e, 0, 0, "out of memory");
			goto out;
		}
		len = time_format(line, a->t);
		for (i = 0; i < t->ncol; i++) {
			line[len++] = ',';
			if (val[i] == NULL)
				continue;
			memcpy(line + len, t->pool + val[i]->off, val[i]->len);
			len += val[i]->len;
		}
		line[len++] = '\n';
		if (fwrite(line, 1, len, fp) != len)
			goto werr;
		n.rows++;
	}
	rc = 0;
	goto out;

werr:
	err_sys(e, "write error");
out:
	if (st != NULL)
		*st = n;
	free(val);
	free(line);
	return rc;
}
