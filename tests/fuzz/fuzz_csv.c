/*
 * fuzz_csv.c - lib/csv.h under libFuzzer.
 *
 * The first byte picks the record limit given to csv_open (its low four
 * bits) and whether the rest is repeated past the reader's block size,
 * so that records straddle reads (its top two bits both set); the rest
 * is the CSV text.  Every record read is
 * checked against the input and the header:
 *
 *  - its raw bytes are the input's bytes at that place, between line
 *    ends and blank lines, and no longer than the limit, nor any field;
 *  - its fields are NUL-terminated, hold no NUL, and their count is the
 *    header's (a different count must be an error);
 *  - the fields written back with csv_put_field read again as the same;
 *  - csv_numbers agrees with num_double field by field, and csv_find,
 *    csv_names_find and csv_names_repeat with a plain scan of the header;
 *  - an input holding a NUL byte ends in an error, and an error that
 *    stops the reader is given again on the next call.
 */
#include <limits.h>

#include "csv.h"
#include "fuzz.h"
#include "num.h"

static const size_t limits[16] = {
	0, 1, 2, 3, 4, 5, 8, 16, 31, 64, 100, 255, 1000, 4096, 65536, 200000
};

/* Bytes the repeated input reaches: more than csv.c's first read. */
#define REPEAT_TO	((size_t)140 << 10)

struct fields {
	char	**f;
	size_t	 *len;
	size_t	  n;
};

static void
keep(struct fields *k, const struct csv_record *rec)
{
	size_t i;

	k->n = rec->nfield;
	k->f = calloc(k->n, sizeof *k->f);
	k->len = calloc(k->n, sizeof *k->len);
	if (k->f == NULL || k->len == NULL)
		abort();
	for (i = 0; i < k->n; i++) {
		k->f[i] = fuzz_copy(rec->field[i], rec->len[i] + 1);
		k->len[i] = rec->len[i];
	}
}

static void
drop(struct fields *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->f[i]);
	free(k->f);
	free(k->len);
	memset(k, 0, sizeof *k);
}

/* The header's names against csv_find and the csv_names index. */
static void
check_names(const struct csv_record *hdr)
{
	struct csv_names ix;
	struct err e;
	size_t i, j, count, want_count, repeat, n = hdr->nfield, some;
	long first, want_first;

	if (csv_names_init(&ix, hdr->field, n, &e) == -1)
		FUZZ_FAIL("csv_names_init: %s", e.msg);
	/* A plain scan is quadratic; a wide header is checked in part. */
	some = n <= 2000 ? 300 : 10;
	repeat = n;
	for (i = 0; i < n && i < some; i++) {
		want_first = -1;
		want_count = 0;
		for (j = 0; j < n; j++)
			if (strcmp(hdr->field[j], hdr->field[i]) == 0) {
				if (want_first == -1)
					want_first = (long)j;
				want_count++;
				if (j < i && i < repeat)
					repeat = i;
			}
		first = csv_names_find(&ix, hdr->field[i], &count);
		if (first != want_first || count != want_count)
			FUZZ_FAIL("csv_names_find \"%s\": %ld, %zu times; "
			    "the header has it at %ld, %zu times",
			    hdr->field[i], first, count, want_first,
			    want_count);
		if (csv_find(hdr, hdr->field[i]) != want_first)
			FUZZ_FAIL("csv_find \"%s\"", hdr->field[i]);
	}
	if (n <= some && csv_names_repeat(&ix) != repeat)
		FUZZ_FAIL("csv_names_repeat %zu, not %zu",
		    csv_names_repeat(&ix), repeat);
	/* A name the header lacks (the input may hold even this one). */
	for (j = 0, want_count = 0; j < n; j++)
		want_count += strcmp(hdr->field[j], "\x01 no such name") == 0;
	first = csv_names_find(&ix, "\x01 no such name", &count);
	if (want_count == 0 && (first != -1 || count != 0))
		FUZZ_FAIL("csv_names_find found a name not in the header");
	if (count != want_count)
		FUZZ_FAIL("csv_names_find counted a name %zu times, not %zu",
		    count, want_count);
	csv_names_free(&ix);
}

/* csv_numbers on every column of REC, against num_double. */
static void
check_numbers(const struct csv_record *rec, const struct fields *hdr)
{
	size_t *col, i;
	double *x, v;
	struct err e;
	int want = 1, got;

	if ((col = calloc(rec->nfield, sizeof *col)) == NULL ||
	    (x = calloc(rec->nfield, sizeof *x)) == NULL)
		abort();
	for (i = 0; i < rec->nfield; i++) {
		col[i] = i;
		if (rec->len[i] == 0) {
			if (want == 1)
				want = 0;
		} else if (num_double(rec->field[i], &v) != NULL)
			want = -1;
	}
	got = csv_numbers(rec, col, hdr->f, rec->nfield, x, &e);
	if (got != want)
		FUZZ_FAIL("csv_numbers gave %d, not %d, on line %ld", got,
		    want, rec->line);
	if (got == -1 && (e.line != rec->line || e.msg[0] == '\0'))
		FUZZ_FAIL("csv_numbers error at line %ld for line %ld",
		    e.line, rec->line);
	for (i = 0; got == 1 && i < rec->nfield; i++) {
		if (num_double(rec->field[i], &v) != NULL ||
		    memcmp(&v, &x[i], sizeof v) != 0)
			FUZZ_FAIL("csv_numbers column %zu", i);
	}
	free(col);
	free(x);
}

/* Write REC's fields with csv_put_field as one line onto FP. */
static void
put_record(FILE *fp, const struct csv_record *rec)
{
	size_t i;

	/* A lone empty field would be a blank line, which is skipped. */
	if (rec->nfield == 1 && rec->len[0] == 0) {
		fputs("\"\"\n", fp);
		return;
	}
	for (i = 0; i < rec->nfield; i++) {
		if (i > 0)
			putc(',', fp);
		if (csv_put_field(fp, rec->field[i], rec->len[i]) == -1)
			FUZZ_FAIL("csv_put_field failed");
	}
	putc('\n', fp);
}

/* Read back what put_record wrote: the same records, field for field. */
static void
check_rewritten(const char *text, size_t len, struct fields *want,
    size_t nwant)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	size_t i, k;
	int rc;

	if ((r = csv_open(fuzz_fd(text, len), 0)) == NULL)
		abort();
	for (k = 0; k < nwant; k++) {
		if ((rc = csv_read(r, &rec, &e)) != 1)
			FUZZ_FAIL("record %zu written back reads as %d: %s", k,
			    rc, rc == -1 ? e.msg : "end");
		if (rec.nfield != want[k].n)
			FUZZ_FAIL("record %zu written back: %zu fields, "
			    "not %zu", k, rec.nfield, want[k].n);
		for (i = 0; i < rec.nfield; i++)
			if (rec.len[i] != want[k].len[i] ||
			    memcmp(rec.field[i], want[k].f[i],
			    rec.len[i]) != 0)
				FUZZ_FAIL("record %zu field %zu written back "
				    "reads differently", k, i);
	}
	if ((rc = csv_read(r, &rec, &e)) != 0)
		FUZZ_FAIL("more than the records written back: %d", rc);
	csv_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct fields hdr = { NULL, NULL, 0 }, *kept = NULL;
	struct err e, last;
	char *in, *out = NULL;
	size_t limit, len, pos = 0, i, nkept = 0, outlen = 0, nfield = 0;
	long line = 0;
	int rc, errors = 0, again = 0;
	FILE *fp;

	if (size == 0)
		return 0;
	limit = limits[data[0] & 15];
	data++;
	size--;
	len = size;
	if ((data[-1] & 0xc0) == 0xc0 && size > 0)
		len = (REPEAT_TO / size + 1) * size;
	if ((in = malloc(len > 0 ? len : 1)) == NULL)
		abort();
	for (i = 0; i < len; i += size)
		memcpy(in + i, data, size);

	if ((r = csv_open(fuzz_fd(in, len), limit)) == NULL)
		abort();
	if (limit == 0)
		limit = CSV_MAXRECORD;
	if ((fp = open_memstream(&out, &outlen)) == NULL)
		abort();
	memset(&last, 0, sizeof last);
	for (;;) {
		memset(&e, 0, sizeof e);
		rc = csv_read(r, &rec, &e);
		if (rc == 0)
			break;
		if (rc == -1) {
			if (e.msg[0] == '\0')
				FUZZ_FAIL("an error without a message");
			/* The same error twice: the reader has stopped. */
			if (again && e.line == last.line &&
			    strcmp(e.msg, last.msg) == 0)
				break;
			if (again)
				FUZZ_FAIL("an error, then another: \"%s\", "
				    "\"%s\"", last.msg, e.msg);
			last = e;
			errors++;
			/* A ragged record gives its record; the rest stop. */
			if (nfield > 0 && rec.nfield != nfield &&
			    rec.line == e.line && rec.line > line)
				goto record;
			again = 1;
			continue;
		}
		if (again)
			FUZZ_FAIL("a record after the error \"%s\"", last.msg);
record:
		if (rec.rawlen > limit)
			FUZZ_FAIL("a record of %zu bytes, limit %zu",
			    rec.rawlen, limit);
		if (rec.nfield == 0 || rec.line <= line)
			FUZZ_FAIL("record at line %ld after line %ld, "
			    "%zu fields", rec.line, line, rec.nfield);
		line = rec.line;
		for (i = 0; i < rec.nfield; i++) {
			if (rec.len[i] > rec.rawlen || rec.len[i] > limit ||
			    rec.field[i][rec.len[i]] != '\0' ||
			    memchr(rec.field[i], '\0', rec.len[i]) != NULL)
				FUZZ_FAIL("field %zu of line %ld", i,
				    rec.line);
		}

		/* The raw bytes are the input's, after blank lines. */
		if (pos == 0 && len >= 3 && memcmp(in, "\xef\xbb\xbf", 3) == 0)
			pos = 3;
		while (pos < len && (in[pos] == '\r' || in[pos] == '\n'))
			pos++;
		if (len - pos < rec.rawlen ||
		    memcmp(in + pos, rec.raw, rec.rawlen) != 0)
			FUZZ_FAIL("raw bytes of line %ld are not the input's",
			    rec.line);
		pos += rec.rawlen;
		if (pos < len && in[pos] != '\n' && !(in[pos] == '\r' &&
		    (pos + 1 == len || in[pos + 1] == '\n')))
			FUZZ_FAIL("line %ld ends before its line end",
			    rec.line);

		if (nfield == 0) {
			nfield = rec.nfield;
			keep(&hdr, &rec);
			check_names(&rec);
		} else if (rec.nfield != nfield) {
			if (rc != -1)
				FUZZ_FAIL("line %ld: %zu fields, the header "
				    "%zu", rec.line, rec.nfield, nfield);
			continue;
		} else if (nkept < 64 || rec.line % 64 == 0)
			check_numbers(&rec, &hdr);	/* some of a long file */
		if (nkept < 64) {
			struct fields *nk;

			if ((nk = realloc(kept, (nkept + 1) *
			    sizeof *kept)) == NULL)
				abort();
			kept = nk;
			keep(&kept[nkept++], &rec);
			put_record(fp, &rec);
		}
	}
	if (memchr(in, '\0', len) != NULL && errors == 0)
		FUZZ_FAIL("an input holding a NUL byte was read");
	csv_close(r);
	if (fclose(fp) != 0)
		abort();
	check_rewritten(out, outlen, kept, nkept);

	for (i = 0; i < nkept; i++)
		drop(&kept[i]);
	free(kept);
	drop(&hdr);
	free(out);
	free(in);
	return 0;
}
