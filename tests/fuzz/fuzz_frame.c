/*
 * fuzz_frame.c - the frame merger of lib/frame.h under libFuzzer.
 *
 * The input is a stream of JSON answers; the frames clarify_data finds in
 * them are added to one table with frame_add and the table is written
 * with frame_write_csv.  Alongside, a plain model of the table is kept
 * here: each frame is judged by the rules in frame.h (frame_add must
 * take exactly the frames they allow), and the accepted frames' values
 * are merged by them, the last number of a time and key winning and a
 * null erasing nothing.  The CSV written must read back with the CSV
 * reader as that table: the header, a row per time with a number, in
 * time order, times as time_format writes them and each number as the
 * text it had; and the counts frame_write_csv gives must be the model's.
 */
#include "clarify.h"
#include "csv.h"
#include "frame.h"
#include "fuzz.h"
#include "json.h"
#include "timestamp.h"

struct cell {
	int64_t	 t;
	size_t	 col;
	const char *text;	/* a number's text, or NULL for null */
	size_t	 len;
	char	*own;
};

struct model {
	char	**key;		/* columns, in order of first appearance */
	size_t	 *keylen;
	size_t	  nkey;
	struct cell *cell;
	size_t	  ncell;
	int64_t	 *tl;		/* every time of every frame taken */
	size_t	  frames, times;
};

static void *
grow(void *p, size_t n, size_t size)
{
	if ((p = realloc(p, (n + 1) * size)) == NULL)
		abort();
	return p;
}

static long
find_key(const struct model *m, const char *k, size_t len)
{
	size_t i;

	for (i = 0; i < m->nkey; i++)
		if (m->keylen[i] == len && memcmp(m->key[i], k, len) == 0)
			return (long)i;
	return -1;
}

/* Has object V a member named NAME more than once? */
static int
repeated(const struct json *v, const char *name)
{
	const struct json_key *k;
	size_t i, n = 0;

	for (i = 0; i < v->len; i++) {
		k = json_key(v, i);
		n += k->len == strlen(name) &&
		    memcmp(k->name, name, k->len) == 0;
	}
	return n > 1;
}

/*
 * Is F a frame frame.h allows?  1 yes, 0 no, -1 when frame.h does not
 * say (a frame with "times" or "series" twice).
 */
static int
allowed(const struct json *f)
{
	const struct json *times, *series, *s;
	const struct json_key *a, *b;
	int64_t us;
	size_t i, j, k;

	if (f->type != JSON_OBJECT)
		return 0;
	if (repeated(f, "times") || repeated(f, "series"))
		return -1;
	times = json_get(f, "times");
	series = json_get(f, "series");
	if (times == NULL || times->type != JSON_ARRAY || series == NULL ||
	    series->type != JSON_OBJECT)
		return 0;
	for (i = 0; i < times->len; i++)
		if (times->item[i].type != JSON_STRING ||
		    time_parse(times->item[i].str, times->item[i].len,
		    &us) != NULL)
			return 0;
	for (k = 0; k < series->len; k++) {
		s = &series->item[k];
		if (s->type != JSON_ARRAY || s->len != times->len)
			return 0;
		for (i = 0; i < s->len; i++)
			if (s->item[i].type != JSON_NUMBER &&
			    s->item[i].type != JSON_NULL)
				return 0;
		a = json_key(series, k);
		if (a->len == 4 && memcmp(a->name, "time", 4) == 0)
			return 0;
		/* A NUL cannot go into a CSV header. */
		if (memchr(a->name, '\0', a->len) != NULL)
			return 0;
		for (j = 0; j < k; j++) {
			b = json_key(series, j);
			if (b->len == a->len &&
			    memcmp(b->name, a->name, a->len) == 0)
				return 0;
		}
	}
	return 1;
}

static void
model_add(struct model *m, const struct json *f)
{
	const struct json *times = json_get(f, "times");
	const struct json *series = json_get(f, "series"), *v;
	struct cell *c;
	size_t i, k;
	long col;

	m->frames++;
	for (i = 0; i < times->len; i++) {
		m->tl = grow(m->tl, m->times, sizeof *m->tl);
		if (time_parse(times->item[i].str, times->item[i].len,
		    &m->tl[m->times++]) != NULL)
			abort();
	}
	for (k = 0; k < series->len; k++) {
		if ((col = find_key(m, json_key(series, k)->name,
		    json_key(series, k)->len)) == -1) {
			m->key = grow(m->key, m->nkey, sizeof *m->key);
			m->keylen = grow(m->keylen, m->nkey,
			    sizeof *m->keylen);
			m->key[m->nkey] = fuzz_copy(json_key(series, k)->name,
			    json_key(series, k)->len + 1);
			m->keylen[m->nkey] = json_key(series, k)->len;
			col = (long)m->nkey++;
		}
		for (i = 0; i < times->len; i++) {
			v = &series->item[k].item[i];
			m->cell = grow(m->cell, m->ncell, sizeof *m->cell);
			c = &m->cell[m->ncell++];
			if (time_parse(times->item[i].str, times->item[i].len,
			    &c->t) != NULL)
				abort();
			c->col = (size_t)col;
			c->own = NULL;
			c->text = NULL;
			c->len = 0;
			if (v->type == JSON_NUMBER) {
				c->own = fuzz_copy(v->str, v->len);
				c->text = c->own;
				c->len = v->len;
			}
		}
	}
}

static void
add(struct frame_table *t, struct model *m, const struct json *f)
{
	struct err e;
	int ok, rc;

	memset(&e, 0, sizeof e);
	ok = allowed(f);
	rc = frame_add(t, f, &e);
	if (rc != 0 && rc != -1)
		FUZZ_FAIL("frame_add returned %d", rc);
	if (ok == 1 && rc == -1)
		FUZZ_FAIL("frame_add refused a frame: %s", e.msg);
	if (ok == 0 && rc == 0)
		FUZZ_FAIL("frame_add took a frame that frame.h refuses");
	if (rc == -1 && (e.msg[0] == '\0' || e.line < 1))
		FUZZ_FAIL("frame_add error at line %ld: \"%s\"", e.line,
		    e.msg);
	if (rc == 0)
		model_add(m, f);
}

static int
cmp_time(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The CSV at OUT against the model. */
static void
compare(struct model *m, const char *out, size_t outlen,
    const struct frame_stats *st)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	int64_t *t;
	size_t nt = 0, i, j, k, rows = 0, dropped = 0;
	char when[TIME_BUFSZ];
	const struct cell *val;
	int rc, any;

	if ((r = csv_open(fuzz_fd(out, outlen), 0)) == NULL)
		abort();
	if ((rc = csv_read(r, &rec, &e)) != 1)
		FUZZ_FAIL("the CSV written has no header: %s",
		    rc == -1 ? e.msg : "empty");
	if (rec.nfield != m->nkey + 1 || strcmp(rec.field[0], "time") != 0)
		FUZZ_FAIL("header of %zu fields for %zu keys", rec.nfield,
		    m->nkey);
	for (k = 0; k < m->nkey; k++)
		if (rec.len[k + 1] != m->keylen[k] ||
		    memcmp(rec.field[k + 1], m->key[k], m->keylen[k]) != 0)
			FUZZ_FAIL("column %zu is not key %zu", k + 1, k);

	/* The distinct times, in order. */
	if ((t = calloc(m->times + 1, sizeof *t)) == NULL)
		abort();
	for (i = 0; i < m->times; i++)
		t[nt++] = m->tl[i];
	qsort(t, nt, sizeof *t, cmp_time);
	for (i = 0, j = 0; i < nt; i++)
		if (j == 0 || t[j - 1] != t[i])
			t[j++] = t[i];
	nt = j;

	for (i = 0; i < nt; i++) {
		any = 0;
		for (j = 0; j < m->ncell; j++)
			any |= m->cell[j].t == t[i] && m->cell[j].text != NULL;
		if (!any) {
			dropped++;
			continue;
		}
		if ((rc = csv_read(r, &rec, &e)) != 1)
			FUZZ_FAIL("row %zu missing: %s", rows,
			    rc == -1 ? e.msg : "end");
		rows++;
		time_format(when, t[i]);
		if (strcmp(rec.field[0], when) != 0)
			FUZZ_FAIL("row %zu at %s, not %s", rows,
			    rec.field[0], when);
		for (k = 0; k < m->nkey; k++) {
			val = NULL;
			for (j = 0; j < m->ncell; j++)
				if (m->cell[j].t == t[i] &&
				    m->cell[j].col == k &&
				    m->cell[j].text != NULL)
					val = &m->cell[j];
			if (val == NULL ? rec.len[k + 1] != 0 :
			    rec.len[k + 1] != val->len ||
			    memcmp(rec.field[k + 1], val->text, val->len) != 0)
				FUZZ_FAIL("%s, column %zu: \"%s\", not \"%.*s\"",
				    when, k + 1, rec.field[k + 1],
				    val == NULL ? 0 : (int)val->len,
				    val == NULL ? "" : val->text);
		}
	}
	if ((rc = csv_read(r, &rec, &e)) != 0)
		FUZZ_FAIL("more rows than times: %d", rc);
	if (st->rows != rows || st->frames != m->frames ||
	    st->times != m->times || st->dropped != dropped)
		FUZZ_FAIL("counts %zu rows, %zu frames, %zu times, %zu "
		    "dropped; the model's %zu, %zu, %zu, %zu", st->rows,
		    st->frames, st->times, st->dropped, rows, m->frames,
		    m->times, dropped);
	csv_close(r);
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_reader *jr;
	struct json *v;
	const struct json *d;
	struct frame_table *t;
	struct frame_stats st;
	struct model m;
	struct err e;
	char *out = NULL;
	size_t outlen = 0, i;
	FILE *fp;

	memset(&m, 0, sizeof m);
	if ((t = frame_new()) == NULL)
		abort();
	if ((jr = json_open_mem((const char *)data, size, &e)) == NULL)
		abort();
	while (json_next(jr, &v, &e) == 1) {
		if ((d = clarify_data(v, &e)) == NULL)
			continue;
		if (d->type == JSON_ARRAY)
			for (i = 0; i < d->len; i++)
				add(t, &m, &d->item[i]);
		else
			add(t, &m, d);
	}
	json_close(jr);

	if ((fp = open_memstream(&out, &outlen)) == NULL)
		abort();
	if (frame_write_csv(t, fp, &st, &e) == -1)
		FUZZ_FAIL("frame_write_csv: %s", e.msg);
	if (fclose(fp) != 0)
		abort();
	compare(&m, out, outlen, &st);

	frame_free(t);
	free(out);
	for (i = 0; i < m.nkey; i++)
		free(m.key[i]);
	for (i = 0; i < m.ncell; i++)
		free(m.cell[i].own);
	free(m.key);
	free(m.keylen);
	free(m.cell);
	free(m.tl);
	return 0;
}
