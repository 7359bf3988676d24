/* test_frame.c - merging data frames into rows. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"
#include "json.h"
#include "unit.h"

static struct json_reader *rd;

/* Parse the single value S. */
static const struct json *
parse(const char *s)
{
	struct err e;
	struct json *v;

	json_close(rd);
	if ((rd = json_open_mem(s, strlen(s), &e)) == NULL ||
	    json_next(rd, &v, &e) != 1) {
		fprintf(stderr, "  cannot parse %s: %s\n", s, e.msg);
		return NULL;
	}
	return v;
}

/* Add the frame S to T; 0 or -1 with E. */
static int
add(struct frame_table *t, const char *s, struct err *e)
{
	const struct json *v = parse(s);

	return v == NULL ? -2 : frame_add(t, v, e);
}

/* T written as CSV, in a string the caller frees. */
static char *
csv(struct frame_table *t, struct frame_stats *st, int *rc)
{
	char *buf = NULL;
	size_t n = 0;
	struct err e;
	FILE *fp = open_memstream(&buf, &n);

	if (fp == NULL)
		return NULL;
	*rc = frame_write_csv(t, fp, st, &e);
	fclose(fp);
	return buf;
}

static int
writes(struct frame_table *t, const char *want)
{
	struct frame_stats st;
	int rc, ok;
	char *got = csv(t, &st, &rc);

	ok = got != NULL && rc == 0 && strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "  got:\n%s  want:\n%s", got ? got : "", want);
	free(got);
	return ok;
}

/* Does adding S fail at LINE:COL with MSG? */
static int
refuses(const char *s, long line, long col, const char *msg)
{
	struct frame_table *t = frame_new();
	struct err e;
	int ok;

	ok = t != NULL && add(t, s, &e) == -1 && e.line == line &&
	    e.col == col && strstr(e.msg, msg) != NULL;
	if (!ok)
		fprintf(stderr, "  %s: got %ld:%ld: %s\n", s, e.line, e.col,
		    e.msg);
	frame_free(t);
	return ok;
}

static void
test_merge(void)
{
	struct frame_table *t = frame_new();
	struct frame_stats st;
	struct err e;
	char *out;
	int rc;

	CHECK(add(t, "{\"times\":[\"2024-05-01T10:01:00Z\","
	    "\"2024-05-01T10:00:00+01:00\",\"2024-05-01T10:02:00Z\"],"
	    "\"series\":{\"a\":[1,null,null],\"b\":[null,2.50,null]}}",
	    &e) == 0);
	CHECK(add(t, "{\"times\":[\"2024-05-01T10:01:00Z\","
	    "\"2024-05-01T08:00:00Z\"],"
	    "\"series\":{\"c\":[3,4],\"a\":[null,-5e-3]}}", &e) == 0);
	CHECK(add(t, "{\"times\":[],\"series\":{\"d\":[]}}", &e) == 0);
	out = csv(t, &st, &rc);
	CHECK(rc == 0 && out != NULL && strcmp(out,
	    "time,a,b,c,d\n"
	    "2024-05-01T08:00:00Z,-5e-3,,4,\n"
	    "2024-05-01T09:00:00Z,,2.50,,\n"
	    "2024-05-01T10:01:00Z,1,,3,\n") == 0);
	free(out);
	CHECK(st.frames == 3 && st.times == 5 && st.rows == 3 &&
	    st.merged == 1 && st.dropped == 1);

	CHECK(frame_rename(t, "b", "flow, in m3/h", &e) == 1);
	CHECK(frame_rename(t, "a", "level", &e) == 1);
	CHECK(writes(t, "time,level,\"flow, in m3/h\",c,d\n"
	    "2024-05-01T08:00:00Z,-5e-3,,4,\n"
	    "2024-05-01T09:00:00Z,,2.50,,\n"
	    "2024-05-01T10:01:00Z,1,,3,\n"));

	/* A name is given once, and to one column. */
	CHECK(frame_rename(t, "a", "x", &e) == -1 && e.line == 0 &&
	    strcmp(e.msg, "series \"a\" renamed twice") == 0);
	CHECK(frame_rename(t, "c", "d", &e) == -1 && strcmp(e.msg,
	    "column \"d\" would appear twice in the header (series \"c\" "
	    "and \"d\")") == 0);
	CHECK(frame_rename(t, "c", "level", &e) == -1 && strcmp(e.msg,
	    "column \"level\" would appear twice in the header (series \"c\" "
	    "and \"a\")") == 0);
	CHECK(frame_rename(t, "c", "time", &e) == -1 && strcmp(e.msg,
	    "column \"time\" would appear twice in the header (series \"c\" "
	    "and the times)") == 0);
	CHECK(frame_rename(t, "new", "d", &e) == -1);
	CHECK(frame_rename(t, "d", "d", &e) == 1);
	CHECK(writes(t, "time,level,\"flow, in m3/h\",c,d\n"
	    "2024-05-01T08:00:00Z,-5e-3,,4,\n"
	    "2024-05-01T09:00:00Z,,2.50,,\n"
	    "2024-05-01T10:01:00Z,1,,3,\n"));

	/* A name a rename gave up is free again. */
	CHECK(frame_rename(t, "c", "a", &e) == 1);
	CHECK(writes(t, "time,level,\"flow, in m3/h\",a,d\n"
	    "2024-05-01T08:00:00Z,-5e-3,,4,\n"
	    "2024-05-01T09:00:00Z,,2.50,,\n"
	    "2024-05-01T10:01:00Z,1,,3,\n"));
	frame_free(t);
}

/*
 * Numbers of up to 7 bytes and longer ones are kept apart (see struct
 * cell); both come out as written, around a refused frame that held a
 * long one, and a long number replaces a short one of the same time.
 */
static void
test_lengths(void)
{
	static char f[2048], want[2048], big[512];
	struct frame_table *t = frame_new();
	struct err e;
	size_t n;

	memset(big, '0', sizeof big - 1);
	big[0] = '1';
	big[1] = '.';
	big[sizeof big - 2] = '7';
	snprintf(f, sizeof f, "{\"times\":[\"2024-05-01T10:00:00Z\","
	    "\"2024-05-01T10:01:00Z\"],\"series\":{\"a\":[1,-1.2345],"
	    "\"b\":[1234567,-1.23456],\"c\":[12345678,%s]}}", big);
	CHECK(add(t, f, &e) == 0);
	snprintf(f, sizeof f, "{\"times\":[\"2024-05-01T10:02:00Z\"],"
	    "\"series\":{\"a\":[%s],\"b\":[\"x\"]}}", big);
	CHECK(add(t, f, &e) == -1);
	big[sizeof big - 2] = '9';
	snprintf(f, sizeof f, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{\"a\":[-0.5e-10],\"b\":[null],"
	    "\"c\":[%s]}}", big);
	CHECK(add(t, f, &e) == 0);
	snprintf(want, sizeof want, "time,a,b,c\n"
	    "2024-05-01T10:00:00Z,-0.5e-10,1234567,%s\n", big);
	big[sizeof big - 2] = '7';
	n = strlen(want);
	snprintf(want + n, sizeof want - n,
	    "2024-05-01T10:01:00Z,-1.2345,-1.23456,%s\n", big);
	CHECK(writes(t, want));
	frame_free(t);
}

/*
 * A renamed key that no frame holds still gets its column, after the
 * keys seen, in the order renamed; once a frame holds the key, the column
 * takes its place among the keys seen.
 */
static void
test_declared(void)
{
	struct frame_table *t = frame_new();
	struct frame_stats st;
	struct err e;
	char *out;
	int rc;

	CHECK(add(t, "{\"times\":[],\"series\":{}}", &e) == 0);
	CHECK(frame_rename(t, "k", "temp", &e) == 0);
	CHECK(!frame_has(t, "k"));
	out = csv(t, &st, &rc);
	CHECK(rc == 0 && out != NULL && strcmp(out, "time,temp\n") == 0);
	CHECK(st.frames == 1 && st.rows == 0);
	free(out);

	CHECK(add(t, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{\"a\":[1]}}", &e) == 0);
	CHECK(frame_rename(t, "z", "zeta", &e) == 0);
	CHECK(frame_rename(t, "y", "why", &e) == 0);
	CHECK(writes(t, "time,a,temp,zeta,why\n"
	    "2024-05-01T10:00:00Z,1,,,\n"));
	CHECK(add(t, "{\"times\":[\"2024-05-01T09:00:00Z\"],"
	    "\"series\":{\"y\":[2],\"k\":[3]}}", &e) == 0);
	CHECK(frame_has(t, "k") && frame_has(t, "a") && !frame_has(t, "z"));
	CHECK(!frame_has(t, "temp") && !frame_has(t, "nosuch"));
	CHECK(writes(t, "time,a,why,temp,zeta\n"
	    "2024-05-01T09:00:00Z,,2,3,\n"
	    "2024-05-01T10:00:00Z,1,,,\n"));
	CHECK(frame_rename(t, "k", "again", &e) == -1);
	frame_free(t);
}

/*
 * A new key whose column would take the name of another, the time
 * column's or one a rename gave, is refused where the key appears.
 */
static void
test_clash(void)
{
	struct frame_table *t = frame_new();
	struct err e;

	CHECK(refuses("{\"times\":[\"2024-05-01T10:00:00Z\"],\n"
	    "\"series\":{\"a\":[1],\"time\":[2]}}", 2, 26,
	    "series key \"time\": column \"time\" would appear twice in "
	    "the header: rename the series with -r"));

	CHECK(frame_rename(t, "time", "t", &e) == 0);
	CHECK(frame_rename(t, "a", "b", &e) == 0);
	CHECK(frame_rename(t, "c", "c", &e) == 0);
	CHECK(add(t, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{\"time\":[1],\"a\":[2],\"c\":[3]}}", &e) == 0);
	CHECK(add(t, "{\"times\":[\"2024-05-01T10:01:00Z\"],"
	    "\"series\":{\"x\":[4],\"b\":[5]}}", &e) == -1);
	CHECK(e.line == 1 && e.col == 57 && strcmp(e.msg, "series key "
	    "\"b\": column \"b\" would appear twice in the header (series "
	    "\"a\" is renamed so)") == 0);
	/* The refused frame took its new key "x" back with it. */
	CHECK(!frame_has(t, "x"));
	CHECK(frame_rename(t, "x", "ex", &e) == 0);
	CHECK(writes(t, "time,t,b,c,ex\n2024-05-01T10:00:00Z,1,2,3,\n"));
	frame_free(t);
}

/* A key repeated within one frame is refused where it comes again. */
static void
test_repeated_key(void)
{
	struct frame_table *t = frame_new();
	struct err e;

	CHECK(add(t, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{\"b\":[0]}}", &e) == 0);
	CHECK(add(t, "{\"times\":[\"2024-05-01T10:00:00Z\","
	    "\"2024-05-01T10:01:00Z\"],\"series\":{\"a\":[1,2],\n"
	    "\"a\":[null,3]}}", &e) == -1);
	CHECK(e.line == 2 && e.col == 5 &&
	    strcmp(e.msg, "series key \"a\" appears twice") == 0);
	CHECK(writes(t, "time,b\n2024-05-01T10:00:00Z,0\n"));
	frame_free(t);

	CHECK(refuses("{\"times\":[],\"series\":{\"x\":[],\"y\":[],"
	    "\"x\":[]}}", 1, 41, "series key \"x\" appears twice"));
}

/* A refused frame leaves the table as it was. */
static void
test_rollback(void)
{
	struct frame_table *t = frame_new();
	struct err e;

	CHECK(add(t, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{\"a\":[1]}}", &e) == 0);
	CHECK(add(t, "{\"times\":[\"2024-05-01T09:00:00Z\"],"
	    "\"series\":{\"new\":[7],\"a\":[true]}}", &e) == -1);
	CHECK(writes(t, "time,a\n2024-05-01T10:00:00Z,1\n"));
	frame_free(t);

	t = frame_new();
	CHECK(writes(t, "time\n"));
	frame_free(t);
}

/*
 * Many keys in a scrambled order, and a refused frame that brought many
 * new ones: what it brought is gone, what was there stays, and a renamed
 * key it held is unseen again.  This works the trees' rotations both
 * ways, in insertion and in removal.
 */
static void
test_rollback_keys(void)
{
	enum { N = 3000, M = 1000 };
	struct frame_table *t = frame_new();
	struct frame_stats st;
	struct err e;
	char *s = malloc((N + M) * 24 + 256), *out, key[32];
	size_t len;
	int i, k, rc, ok;

	if (t == NULL || s == NULL) {
		CHECK(0);
		free(s);
		frame_free(t);
		return;
	}
	CHECK(frame_rename(t, "k2", "two", &e) == 0);
	CHECK(frame_rename(t, "d", "dee", &e) == 0);
	len = (size_t)sprintf(s, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{");
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(s + len, "%s\"k%d\":[%d]", i ? "," : "",
		    (i * 7919 + 13) % N, (i * 7919 + 13) % N);
	strcpy(s + len, "}}");
	CHECK(add(t, s, &e) == 0);

	/* New keys among old ones, then a value that is no number. */
	len = (size_t)sprintf(s, "{\"times\":[\"2024-05-01T11:00:00Z\"],"
	    "\"series\":{");
	for (i = 0; i < M; i++)
		len += (size_t)sprintf(s + len, "\"n%d\":[1],\"k%d\":[2],",
		    (i * 389) % M, i);
	strcpy(s + len, "\"d\":[3],\"bad\":[true]}}");
	CHECK(add(t, s, &e) == -1 && strstr(e.msg, "is true") != NULL);
	CHECK(!frame_has(t, "d"));
	for (i = 0, ok = 1; i < M; i++) {
		sprintf(key, "n%d", i);
		ok = ok && !frame_has(t, key);
	}
	for (i = 0; i < N; i++) {
		sprintf(key, "k%d", i);
		ok = ok && frame_has(t, key);
	}
	CHECK(ok);

	/* The same keys again, in a good frame: now in the header. */
	len = (size_t)sprintf(s, "{\"times\":[\"2024-05-01T11:00:00Z\"],"
	    "\"series\":{");
	for (i = 0; i < M; i++)
		len += (size_t)sprintf(s + len, "%s\"n%d\":[%d]", i ? "," : "",
		    i, i);
	strcpy(s + len, "}}");
	CHECK(add(t, s, &e) == 0);
	out = csv(t, &st, &rc);
	ok = rc == 0 && out != NULL && st.rows == 2 && strncmp(out, "time,",
	    5) == 0;
	len = 5;
	for (i = 0; ok && i < N + M; i++) {
		k = i < N ? (i * 7919 + 13) % N : i - N;
		if (i < N && k == 2)
			strcpy(key, "two");
		else
			sprintf(key, "%c%d", i < N ? 'k' : 'n', k);
		ok = strncmp(out + len, key, strlen(key)) == 0 &&
		    out[len + strlen(key)] == ',';
		len += strlen(key) + 1;
	}
	CHECK(ok && strncmp(out + len, "dee\n", 4) == 0);
	free(out);
	free(s);
	frame_free(t);
}

/*
 * One frame of 100000 series.  A lookup by a scan of the columns makes
 * this quadratic: some 5e9 key comparisons, tens of seconds; the trees
 * take a fraction of one.
 */
static void
test_many_keys(void)
{
	enum { N = 100000 };
	struct frame_table *t = frame_new();
	struct frame_stats st;
	struct err e;
	char *s = malloc(N * 24 + 64), *out, *p;
	size_t len;
	int i, rc, ok;

	if (t == NULL || s == NULL) {
		CHECK(0);
		free(s);
		frame_free(t);
		return;
	}
	len = (size_t)sprintf(s, "{\"times\":[\"2024-05-01T10:00:00Z\"],"
	    "\"series\":{");
	for (i = 0; i < N; i++)
		len += (size_t)sprintf(s + len, "%s\"k%d\":[%d]", i ? "," : "",
		    i, i);
	strcpy(s + len, "}}");
	CHECK(add(t, s, &e) == 0);
	CHECK(frame_rename(t, "k99999", "last", &e) == 1);
	CHECK(frame_rename(t, "k5", "k6", &e) == -1);
	out = csv(t, &st, &rc);
	ok = rc == 0 && out != NULL && st.rows == 1;
	p = ok ? out + 4 : NULL;
	for (i = 0; ok && i < N; i++) {
		if (i < N - 1)
			sprintf(s, ",k%d", i);
		else
			strcpy(s, ",last");
		ok = strncmp(p, s, strlen(s)) == 0;
		p += strlen(s);
	}
	strcpy(s, "\n2024-05-01T10:00:00Z,0,1,2,");
	ok = ok && strncmp(p, s, strlen(s)) == 0;
	CHECK(ok);
	CHECK(ok && strcmp(out + strlen(out) - 13, ",99998,99999\n") == 0);
	free(out);
	free(s);
	frame_free(t);
}

static void
test_refused(void)
{
	CHECK(refuses("[1]", 1, 1, "expected a data frame"));
	CHECK(refuses("{\"series\":{}}", 1, 1, "without \"times\""));
	CHECK(refuses("{\"times\":[]}", 1, 1, "without \"series\""));
	CHECK(refuses("{\"times\":{},\"series\":{}}", 1, 10,
	    "\"times\" is an object"));
	CHECK(refuses("{\"times\":[],\"series\":[]}", 1, 22,
	    "\"series\" is an array"));
	CHECK(refuses("{\"times\":[\"2024-05-01T10:00:00Z\",null],"
	    "\"series\":{}}", 1, 34, "times[1] is null"));
	CHECK(refuses("{\"times\":[\"2024-05-01\",\n\"yesterday\"],"
	    "\"series\":{}}", 2, 1, "times[1]: bad time \"yesterday\""));
	CHECK(refuses("{\"times\":[\"2024-05-01T10:00:60Z\"],"
	    "\"series\":{}}", 1, 11, "leap second"));
	CHECK(refuses("{\"times\":[\"2024-05-01\"],\"series\":{\"k\":1}}",
	    1, 39, "series \"k\" is a number"));
	CHECK(refuses("{\"times\":[\"2024-05-01\"],\"series\":{\"k\":[]}}",
	    1, 39, "series \"k\" has 0 values for 1 times"));
	CHECK(refuses("{\"times\":[\"2024-05-01\"],"
	    "\"series\":{\"k\":[\"1\"]}}", 1, 40,
	    "series \"k\"[0] is a string"));
	CHECK(refuses("{\"times\":[\"2024-05-01\"],"
	    "\"series\":{\"a\\u0000b\":[1]}}", 1, 46, "NUL character"));
	CHECK(refuses("{\"times\":[\"2024-05-01\"],"
	    "\"series\":{\"a\\nb\":[[]]}}", 1, 43,
	    "series \"a?b\"[0] is an array"));
}

/* Append to the string BUF of SIZE bytes. */
static void
cat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

enum { NT = 50, NC = 4, NF = 30, NMAX = 20 };

static unsigned long seed = 99;

static unsigned long
rnd(unsigned long n)
{
	seed = seed * 1103515245 + 12345;
	return (seed >> 16) % n;
}

/*
 * Random frames against a plain reference: each of NT possible times gets,
 * per column, the last number given to it.
 */
static void
test_random(void)
{
	static char frame[1 << 16], want[1 << 16];
	int val[NT][NC], has[NT], tix[NMAX], v[NC][NMAX];
	struct frame_table *t = frame_new();
	struct err e;
	int f, i, k, c, n, ok = 1;

	memset(has, 0, sizeof has);
	memset(val, -1, sizeof val);
	for (f = 0; f < NF && ok; f++) {
		n = (int)rnd(NMAX);
		for (i = 0; i < n; i++) {
			/* Mostly ascending, sometimes not. */
			tix[i] = rnd(7) == 0 ? (int)rnd(NT) :
			    (f * 3 + i * 2) % NT;
			for (k = 0; k < NC; k++)
				v[k][i] = rnd(5) == 0 ? -1 : (int)rnd(1000);
		}
		strcpy(frame, "{\"times\":[");
		for (i = 0; i < n; i++)
			cat(frame, sizeof frame, "%s\"2024-05-01T00:%02d:00Z\"",
			    i ? "," : "", tix[i]);
		cat(frame, sizeof frame, "],\"series\":{");
		for (k = 0; k < NC; k++) {
			/* Columns come in a rotating order. */
			c = (k + f) % NC;
			cat(frame, sizeof frame, "%s\"c%d\":[", k ? "," : "",
			    c);
			for (i = 0; i < n; i++) {
				cat(frame, sizeof frame, "%s", i ? "," : "");
				if (v[c][i] < 0)
					cat(frame, sizeof frame, "null");
				else
					cat(frame, sizeof frame, "%d", v[c][i]);
			}
			cat(frame, sizeof frame, "]");
		}
		cat(frame, sizeof frame, "}}");
		ok = add(t, frame, &e) == 0;
		for (i = 0; i < n; i++) {
			for (k = 0; k < NC; k++) {
				if (v[k][i] >= 0) {
					val[tix[i]][k] = v[k][i];
					has[tix[i]] = 1;
				}
			}
		}
	}
	CHECK(ok);

	/* The header follows the first frame's order: c0 c1 c2 c3. */
	strcpy(want, "time,c0,c1,c2,c3\n");
	for (i = 0; i < NT; i++) {
		if (!has[i])
			continue;
		cat(want, sizeof want, "2024-05-01T00:%02d:00Z", i);
		for (k = 0; k < NC; k++) {
			if (val[i][k] < 0)
				cat(want, sizeof want, ",");
			else
				cat(want, sizeof want, ",%d", val[i][k]);
		}
		cat(want, sizeof want, "\n");
	}
	CHECK(writes(t, want));
	frame_free(t);
}

/* A long input in one run, and the same reversed: the sort's edges. */
static void
test_sort(void)
{
	enum { N = 30000 };
	struct frame_table *t;
	struct frame_stats st;
	struct err e;
	char *s = malloc(N * 40 + 64), *out;
	size_t len;
	int i, rev, rc, ok;

	if (s == NULL)
		return;
	for (rev = 0; rev < 2; rev++) {
		t = frame_new();
		len = (size_t)sprintf(s, "{\"times\":[");
		for (i = 0; i < N; i++)
			len += (size_t)sprintf(s + len, "%s\"2024-05-01T%02d:"
			    "%02d:%02dZ\"", i ? "," : "",
			    (rev ? N - 1 - i : i) / 3600,
			    (rev ? N - 1 - i : i) / 60 % 60,
			    (rev ? N - 1 - i : i) % 60);
		len += (size_t)sprintf(s + len, "],\"series\":{\"k\":[");
		for (i = 0; i < N; i++)
			len += (size_t)sprintf(s + len, "%s%d", i ? "," : "",
			    rev ? N - 1 - i : i);
		sprintf(s + len, "]}}");
		CHECK(add(t, s, &e) == 0);
		out = csv(t, &st, &rc);
		ok = rc == 0 && out != NULL && st.rows == N;
		for (i = 0, len = strlen("time,k\n"); ok && i < N; i++) {
			char row[64];
			int n = sprintf(row, "2024-05-01T%02d:%02d:%02dZ,%d\n",
			    i / 3600, i / 60 % 60, i % 60, i);

			ok = strncmp(out + len, row, (size_t)n) == 0;
			len += (size_t)n;
		}
		CHECK(ok);
		free(out);
		frame_free(t);
	}
	free(s);
}

int
main(void)
{
	test_merge();
	test_lengths();
	test_declared();
	test_clash();
	test_repeated_key();
	test_rollback();
	test_rollback_keys();
	test_many_keys();
	test_refused();
	test_random();
	test_sort();
	json_close(rd);
	return unit_done();
}
