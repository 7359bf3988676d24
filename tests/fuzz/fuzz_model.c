/*
 * fuzz_model.c - the model reader of lib/model.h under libFuzzer.
 *
 * The input is given to model_read twice: as it is, and with its
 * checksum line put right (everything from the last line that starts
 * with "checksum " is replaced by the checksum of what comes before), so
 * that changes to the body get past the checksum and reach the checks
 * behind it.  A model that loads must
 *
 *  - be, byte for byte, what model_write writes for it (reading is
 *    canonical), and load again from those bytes to write them again;
 *  - score a few rows (zeros, and each split value and the double above
 *    it) in (0, 1], and the same to the last bit with and without the
 *    index that model_read builds.
 *
 * A model refused must say why, on a line of the input.
 */
#include <math.h>

#include "forest.h"
#include "fuzz.h"
#include "model.h"

static uint64_t
fnv1a(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static struct iforest *
read_mem(const char *s, size_t len, struct err *e)
{
	struct iforest *f;
	FILE *fp;

	/* fmemopen refuses a size of 0; /dev/null is the empty file. */
	fp = len > 0 ? fmemopen((void *)s, len, "r") : fopen("/dev/null", "r");
	if (fp == NULL)
		abort();
	memset(e, 0, sizeof *e);
	f = model_read(fp, e);
	fclose(fp);
	return f;
}

static void
write_mem(const struct iforest *f, char **out, size_t *outlen)
{
	struct err e;
	FILE *fp;

	if ((fp = open_memstream(out, outlen)) == NULL)
		abort();
	if (model_write(fp, f, &e) == -1)
		FUZZ_FAIL("model_write: %s", e.msg);
	if (fclose(fp) != 0)
		abort();
}

/* Score ROW with and without the index: the same, in (0, 1]. */
static void
check_score(struct iforest *f, const double *row)
{
	struct iforest_index *ix = f->index;
	double a, b;

	a = iforest_score(f, row);
	f->index = NULL;
	b = iforest_score(f, row);
	f->index = ix;
	if (!(a > 0 && a <= 1) || memcmp(&a, &b, sizeof a) != 0)
		FUZZ_FAIL("score %.17g with the index, %.17g without", a, b);
}

static void
check_scores(struct iforest *f)
{
	double *row;
	size_t t, k, j, tried = 0;

	if ((row = calloc(f->nfeature, sizeof *row)) == NULL)
		abort();
	check_score(f, row);
	for (t = 0; t < f->ntree && tried < 64; t++)
		for (k = 0; k < f->tree[t].nnode && tried < 64; k++) {
			const struct iforest_node *nd = &f->tree[t].node[k];

			if (nd->feature < 0)
				continue;
			j = (size_t)nd->feature;
			row[j] = nd->split;
			check_score(f, row);
			row[j] = nextafter(nd->split, HUGE_VAL);
			check_score(f, row);
			tried++;
		}
	free(row);
}

/* Whatever loads is canonical, reloads, and scores consistently. */
static void
check(const char *s, size_t len)
{
	struct iforest *f, *g;
	struct err e;
	char *out = NULL, *again = NULL;
	size_t outlen = 0, againlen = 0, lines = 1, i;

	if ((f = read_mem(s, len, &e)) == NULL) {
		for (i = 0; i < len; i++)
			lines += s[i] == '\n';
		/* An empty file has no line to name. */
		if (e.msg[0] == '\0' || e.line < (len > 0) ||
		    e.line > (long)lines)
			FUZZ_FAIL("refused at line %ld of %zu: \"%s\"", e.line,
			    lines, e.msg);
		return;
	}
	write_mem(f, &out, &outlen);
	if (outlen != len || memcmp(out, s, len) != 0)
		FUZZ_FAIL("a model of %zu bytes loads, and writes as %zu "
		    "other bytes", len, outlen);
	if ((g = read_mem(out, outlen, &e)) == NULL)
		FUZZ_FAIL("a model written does not load: line %ld: %s",
		    e.line, e.msg);
	write_mem(g, &again, &againlen);
	if (againlen != outlen || memcmp(again, out, outlen) != 0)
		FUZZ_FAIL("a model written and loaded writes differently");
	check_scores(f);
	iforest_free(f);
	iforest_free(g);
	free(out);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, *fixed;
	size_t body = 0, i;
	int n;

	s = fuzz_copy(data, size);
	check(s, size);

	/* The body up to the last line that starts "checksum ". */
	for (i = 0; i + 9 <= size; i++)
		if ((i == 0 || s[i - 1] == '\n') &&
		    memcmp(s + i, "checksum ", 9) == 0)
			body = i;
	if (body == 0 && size > 0 && s[size - 1] == '\n')
		body = size;
	if (body > 0) {
		if ((fixed = malloc(body + 27)) == NULL)
			abort();
		memcpy(fixed, s, body);
		n = snprintf(fixed + body, 27, "checksum %016llx\n",
		    (unsigned long long)fnv1a(s, body));
		check(fixed, body + (size_t)n);
		free(fixed);
	}
	free(s);
	return 0;
}
