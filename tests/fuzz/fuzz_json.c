/*
 * fuzz_json.c - lib/json.h under libFuzzer.
 *
 * The input is read as a stream of values by json_next and, separately,
 * checked by a small validator written here from RFC 8259 and json.h
 * (values one after another, a byte-order mark allowed at the start,
 * nesting to JSON_MAXDEPTH, numbers that fit a double): both must take
 * the same inputs and count the same values.  Each value read must be
 * well formed (strings NUL-terminated UTF-8, numbers in JSON's grammar
 * with the value num_double gives their text, json_get finding the last
 * member of a name), and the values written back with json_put_string
 * must read again and write the same bytes a second time.
 */
#include <math.h>

#include "fuzz.h"
#include "json.h"
#include "num.h"

struct ref {
	const unsigned char *p, *end;
};

static int ref_value(struct ref *, int);

static void
ref_ws(struct ref *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' ||
	    *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static int
ref_at(const struct ref *r, int c)
{
	return r->p < r->end && *r->p == c;
}

static int
ref_isdigit(const struct ref *r)
{
	return r->p < r->end && *r->p >= '0' && *r->p <= '9';
}

static int
ref_alnum(const struct ref *r)
{
	int c;

	if (r->p == r->end)
		return 0;
	c = *r->p;
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
ref_hex4(struct ref *r, unsigned *v)
{
	int i, c;

	*v = 0;
	if (r->end - r->p < 4)
		return 0;
	for (i = 0; i < 4; i++) {
		c = *r->p++;
		if (c >= '0' && c <= '9')
			c -= '0';
		else if (c >= 'a' && c <= 'f')
			c -= 'a' - 10;
		else if (c >= 'A' && c <= 'F')
			c -= 'A' - 10;
		else
			return 0;
		*v = *v << 4 | (unsigned)c;
	}
	return 1;
}

static int
ref_string(struct ref *r)
{
	const unsigned char *run;
	unsigned u, lo;

	r->p++;
	for (;;) {
		run = r->p;
		while (r->p < r->end && *r->p != '"' && *r->p != '\\' &&
		    *r->p >= 0x20)
			r->p++;
		if (!fuzz_utf8((const char *)run, (size_t)(r->p - run)))
			return 0;
		if (r->p == r->end || *r->p < 0x20)
			return 0;
		if (*r->p++ == '"')
			return 1;
		if (r->p == r->end)
			return 0;
		switch (*r->p++) {
		case '"': case '\\': case '/': case 'b': case 'f':
		case 'n': case 'r': case 't':
			break;
		case 'u':
			if (!ref_hex4(r, &u))
				return 0;
			if (u >= 0xdc00 && u <= 0xdfff)
				return 0;
			if (u >= 0xd800 && u <= 0xdbff) {
				if (r->end - r->p < 2 || r->p[0] != '\\' ||
				    r->p[1] != 'u')
					return 0;
				r->p += 2;
				if (!ref_hex4(r, &lo) || lo < 0xdc00 ||
				    lo > 0xdfff)
					return 0;
			}
			break;
		default:
			return 0;
		}
	}
}

static int
ref_number(struct ref *r)
{
	const unsigned char *start = r->p;
	char *text;
	double v;

	if (ref_at(r, '-'))
		r->p++;
	if (ref_at(r, '0'))
		r->p++;
	else if (ref_isdigit(r))
		while (ref_isdigit(r))
			r->p++;
	else
		return 0;
	if (ref_at(r, '.')) {
		r->p++;
		if (!ref_isdigit(r))
			return 0;
		while (ref_isdigit(r))
			r->p++;
	}
	if (ref_at(r, 'e') || ref_at(r, 'E')) {
		r->p++;
		if (ref_at(r, '+') || ref_at(r, '-'))
			r->p++;
		if (!ref_isdigit(r))
			return 0;
		while (ref_isdigit(r))
			r->p++;
	}
	/* "12a", "1.2.3", "1-2": no number ends there. */
	if (ref_alnum(r) || ref_at(r, '.') || ref_at(r, '+') ||
	    ref_at(r, '-'))
		return 0;
	text = fuzz_str(start, (size_t)(r->p - start));
	v = strtod(text, NULL);
	free(text);
	return isfinite(v);
}

static int
ref_word(struct ref *r)
{
	const unsigned char *start = r->p;
	size_t n;

	while (ref_alnum(r) || ref_at(r, '_'))
		r->p++;
	n = (size_t)(r->p - start);
	return (n == 4 && memcmp(start, "true", 4) == 0) ||
	    (n == 5 && memcmp(start, "false", 5) == 0) ||
	    (n == 4 && memcmp(start, "null", 4) == 0);
}

static int
ref_container(struct ref *r, int depth)
{
	int close = *r->p == '[' ? ']' : '}';

	if (depth == JSON_MAXDEPTH)
		return 0;
	r->p++;
	ref_ws(r);
	if (ref_at(r, close)) {
		r->p++;
		return 1;
	}
	for (;;) {
		if (close == '}') {
			if (!ref_at(r, '"') || !ref_string(r))
				return 0;
			ref_ws(r);
			if (!ref_at(r, ':'))
				return 0;
			r->p++;
			ref_ws(r);
		}
		if (!ref_value(r, depth + 1))
			return 0;
		ref_ws(r);
		if (ref_at(r, close)) {
			r->p++;
			return 1;
		}
		if (!ref_at(r, ','))
			return 0;
		r->p++;
		ref_ws(r);
	}
}

static int
ref_value(struct ref *r, int depth)
{
	if (r->p == r->end)
		return 0;
	switch (*r->p) {
	case '[':
	case '{':
		return ref_container(r, depth);
	case '"':
		return ref_string(r);
	case '-':
		return ref_number(r);
	default:
		if (ref_isdigit(r))
			return ref_number(r);
		if (ref_alnum(r))
			return ref_word(r);
		return 0;
	}
}

/* The number of values in the stream, or -1 when it is not JSON. */
static long
ref_stream(const char *s, size_t len)
{
	struct ref r;
	long n = 0;

	r.p = (const unsigned char *)s;
	r.end = r.p + len;
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		r.p += 3;
	for (;;) {
		ref_ws(&r);
		if (r.p == r.end)
			return n;
		if (!ref_value(&r, 0))
			return -1;
		n++;
	}
}

/* Check V and write it as JSON onto FP. */
static void
walk(const struct json *v, FILE *fp, int depth)
{
	const struct json *got, *want;
	const struct json_key *k;
	char *text;
	double x;
	size_t i, j, n;

	if (depth > JSON_MAXDEPTH || v->line < 1 || v->col < 1)
		FUZZ_FAIL("value at %ld:%ld, depth %d", (long)v->line,
		    (long)v->col, depth);
	switch (v->type) {
	case JSON_NULL:
		fputs("null", fp);
		break;
	case JSON_FALSE:
		fputs("false", fp);
		break;
	case JSON_TRUE:
		fputs("true", fp);
		break;
	case JSON_NUMBER:
		if (!num_is_json(v->str, v->len))
			FUZZ_FAIL("number \"%.*s\" at %ld:%ld", (int)v->len,
			    v->str, v->line, v->col);
		text = fuzz_str(v->str, v->len);
		if (num_double(text, &x) != NULL || x != json_num(v) ||
		    signbit(x) != signbit(json_num(v)))
			FUZZ_FAIL("number \"%s\" read as %.17g", text,
			    json_num(v));
		free(text);
		fwrite(v->str, 1, v->len, fp);
		break;
	case JSON_STRING:
		if (v->str[v->len] != '\0' || !fuzz_utf8(v->str, v->len))
			FUZZ_FAIL("string at %ld:%ld", v->line, v->col);
		if (json_put_string(fp, v->str, v->len) == -1)
			FUZZ_FAIL("json_put_string failed");
		break;
	case JSON_ARRAY:
		putc('[', fp);
		for (i = 0; i < v->len; i++) {
			if (i > 0)
				putc(',', fp);
			walk(&v->item[i], fp, depth + 1);
		}
		putc(']', fp);
		break;
	case JSON_OBJECT:
		putc('{', fp);
		for (i = 0; i < v->len; i++) {
			k = json_key(v, i);
			if (k->name[k->len] != '\0' ||
			    !fuzz_utf8(k->name, k->len))
				FUZZ_FAIL("member name at %ld:%ld",
				    (long)v->line, (long)v->col);
			/* json_get takes the name up to a NUL; the last wins. */
			n = strlen(k->name);
			want = NULL;
			for (j = v->len; j-- > 0 && want == NULL;)
				if (json_key(v, j)->len == n && memcmp(
				    json_key(v, j)->name, k->name, n) == 0)
					want = &v->item[j];
			got = json_get(v, k->name);
			if (got != want)
				FUZZ_FAIL("json_get \"%s\" at %ld:%ld",
				    k->name, (long)v->line, (long)v->col);
			if (i > 0)
				putc(',', fp);
			json_put_string(fp, k->name, k->len);
			putc(':', fp);
			walk(&v->item[i], fp, depth + 1);
		}
		putc('}', fp);
		break;
	default:
		FUZZ_FAIL("type %d", (int)v->type);
	}
}

/*
 * Read every value of the LEN bytes at S, check them, and write them
 * back one a line into *OUT.  Returns the number of values, or -1.
 */
static long
read_all(const char *s, size_t len, char **out, size_t *outlen)
{
	struct json_reader *r;
	struct json *v;
	struct err e;
	long n = 0;
	int rc;
	FILE *fp;

	if ((fp = open_memstream(out, outlen)) == NULL)
		abort();
	if ((r = json_open_mem(s, len, &e)) == NULL)
		FUZZ_FAIL("json_open_mem: %s", e.msg);
	while ((rc = json_next(r, &v, &e)) == 1) {
		walk(v, fp, 0);
		putc('\n', fp);
		n++;
	}
	if (rc == -1) {
		if (e.line < 1 || e.col < 1 || e.msg[0] == '\0')
			FUZZ_FAIL("error at %ld:%ld: \"%s\"", e.line, e.col,
			    e.msg);
		/* An error is final. */
		if (json_next(r, &v, &e) != -1)
			FUZZ_FAIL("json_next went on after an error");
		n = -1;
	} else if (json_next(r, &v, &e) != 0)
		FUZZ_FAIL("json_next went on after the end");
	json_close(r);
	if (fclose(fp) != 0)
		abort();
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out1 = NULL, *out2 = NULL;
	size_t len1 = 0, len2 = 0;
	long n, want, again;

	in = fuzz_copy(data, size);
	want = ref_stream(in, size);
	n = read_all(in, size, &out1, &len1);
	if (n != want)
		FUZZ_FAIL("json_next read %ld values, the reference %ld", n,
		    want);
	if (n > 0) {
		if (ref_stream(out1, len1) != n)
			FUZZ_FAIL("the values written back are not JSON");
		again = read_all(out1, len1, &out2, &len2);
		if (again != n || len1 != len2 ||
		    memcmp(out1, out2, len1) != 0)
			FUZZ_FAIL("the values written back read differently");
	}
	free(out1);
	free(out2);
	free(in);
	return 0;
}
