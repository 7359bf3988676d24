/* test_json.c - the JSON reader and writer. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "unit.h"

static struct json_reader *rd;

/* Open the LEN bytes at S and read the first value, or NULL. */
static struct json *
first(const char *s, size_t len)
{
	struct err e;
	struct json *v;

	json_close(rd);
	rd = json_open_mem(s, len, &e);
	if (rd == NULL || json_next(rd, &v, &e) != 1)
		return NULL;
	return v;
}

static struct json *
one(const char *s)
{
	return first(s, strlen(s));
}

/*
 * Does reading the LEN bytes at S fail at LINE:COL with a message that
 * holds MSG?  Values before the bad one are read and dropped.
 */
static int
bad_n(const char *s, size_t len, long line, long col, const char *msg)
{
	struct err e;
	struct json *v;
	int rc;

	json_close(rd);
	if ((rd = json_open_mem(s, len, &e)) == NULL)
		return 0;
	while ((rc = json_next(rd, &v, &e)) == 1)
		;
	if (rc != -1)
		return 0;
	if (e.line != line || e.col != col || strstr(e.msg, msg) == NULL) {
		fprintf(stderr, "  %.40s: got %ld:%ld: %s\n", s, e.line, e.col,
		    e.msg);
		return 0;
	}
	return 1;
}

static int
bad(const char *s, long line, long col, const char *msg)
{
	return bad_n(s, strlen(s), line, col, msg);
}

/* Is V the string WANT (LEN bytes)? */
static int
isstr(const struct json *v, const char *want, size_t len)
{
	return v != NULL && v->type == JSON_STRING && v->len == len &&
	    memcmp(v->str, want, len) == 0 && v->str[len] == '\0';
}

static void
test_scalars(void)
{
	struct json *v;

	CHECK((v = one("true")) != NULL && v->type == JSON_TRUE);
	CHECK((v = one("false")) != NULL && v->type == JSON_FALSE);
	CHECK((v = one(" null ")) != NULL && v->type == JSON_NULL);
	CHECK((v = one("\"\"")) != NULL && isstr(v, "", 0));
	CHECK((v = one("\"abc\"")) != NULL && isstr(v, "abc", 3));
	CHECK((v = one("\n\n  42")) != NULL && v->type == JSON_NUMBER &&
	    v->line == 3 && v->col == 3);
}

static void
test_numbers(void)
{
	static const char *const text[] = {
		"0", "-0", "1", "-1", "12.5", "0.1", "1e-05", "1E+2", "1e2",
		"-0.0012345", "123456789012345678", "9007199254740993",
		"0.30000000000000004", "2.2250738585072014e-308",
		"4.9e-324", "1.7976931348623157e308", "1e22", "1e23",
		"123456789012345678901234567890", "0.000001", "5e-1",
		"100000000000000000000000.5", "3.14159265358979323846",
		"123456789012345", "1234567890123456", "12345678901234567",
		"-0.0000000000000000000000000000001", "0.1e23", "10e-23"
	};
	struct json *v;
	size_t i;
	char buf[64];
	unsigned long seed = 12345;

	for (i = 0; i < sizeof text / sizeof text[0]; i++) {
		v = one(text[i]);
		CHECK(v != NULL && v->type == JSON_NUMBER);
		if (v == NULL)
			continue;
		CHECK(v->len == strlen(text[i]) &&
		    memcmp(v->str, text[i], v->len) == 0);
		CHECK(json_num(v) == strtod(text[i], NULL));
	}
	CHECK((v = one("-0")) != NULL && signbit(json_num(v)));
	CHECK((v = one("2.5e-3")) != NULL);
	CHECK_NEAR(v ? json_num(v) : 0, 0.0025, 0);
	CHECK((v = one("1e-400")) != NULL && json_num(v) == 0);
	CHECK((v = one("[1.5,2]")) != NULL && v->item[0].len == 3 &&
	    memcmp(v->item[0].str, "1.5", 3) == 0);

	/*
	 * json_num reads the text and not a byte past it, even one that
	 * would extend it, as a comma does in a locale whose decimal point
	 * is one: here a digit, in any locale.
	 */
	{
		static const char after[] = "9007199254740993" "9";
		struct json n;

		memset(&n, 0, sizeof n);
		n.type = JSON_NUMBER;
		n.str = after;
		n.len = 16;
		CHECK(json_num(&n) == 9007199254740992.0);
	}

	/*
	 * The exact shortcut must agree with strtod to the last bit: random
	 * mantissas with random exponents on both sides of its limits.
	 */
	for (i = 0; i < 20000; i++) {
		unsigned long long m;
		int ex, fd, ok;

		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		m = (unsigned long long)(seed >> 11) % 100000000000000000ULL;
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		ex = (int)((seed >> 33) % 61) - 30;
		fd = (int)((seed >> 40) % 18);
		snprintf(buf, sizeof buf, "%llu", m);
		if (fd > 0 && (size_t)fd < strlen(buf)) {
			size_t n = strlen(buf);

			memmove(buf + n - fd + 1, buf + n - fd, (size_t)fd + 1);
			buf[n - fd] = '.';
		}
		snprintf(buf + strlen(buf), 16, "e%d", ex);
		v = one(buf);
		ok = v != NULL && json_num(v) == strtod(buf, NULL);
		if (!ok)
			fprintf(stderr, "  %s: %.17g\n", buf,
			    v ? json_num(v) : 0.0);
		CHECK(ok);
	}

	CHECK(bad("1e400", 1, 1, "number out of range"));
	CHECK(bad("[0, -1e400]", 1, 5, "number out of range"));
	CHECK(bad("1797693134862315800000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000"
	    "0000000000000000000000000000000000000000000000000000000000000"
	    "000000000000000000000", 1, 1, "number out of range"));
	CHECK(bad("01", 1, 1, "leading zero"));
	CHECK(bad("[-012]", 1, 3, "leading zero"));
	CHECK(bad("1.", 1, 3, "end of input inside a number"));
	CHECK(bad("[1.]", 1, 4, "expected a digit after the decimal point"));
	CHECK(bad("-", 1, 2, "end of input inside a number"));
	CHECK(bad("[-]", 1, 3, "expected a digit after '-'"));
	CHECK(bad("[1e]", 1, 4, "expected a digit in the exponent"));
	CHECK(bad("[1e+]", 1, 5, "expected a digit in the exponent"));
	CHECK(bad(".5", 1, 1, "must start with a digit"));
	CHECK(bad("+1", 1, 1, "must start with a digit"));
	CHECK(bad("0x10", 1, 2, "unexpected 'x' after a number"));
	CHECK(bad("1.2.3", 1, 4, "unexpected '.' after a number"));
	CHECK(bad("12abc", 1, 3, "unexpected 'a' after a number"));
	CHECK(bad("[NaN]", 1, 2, "NaN is not a JSON number"));
	CHECK(bad("nan", 1, 1, "NaN is not a JSON number"));
	CHECK(bad("[1, Infinity]", 1, 5, "Infinity is not a JSON number"));
	CHECK(bad("-Infinity", 1, 1, "-Infinity is not a JSON number"));
	CHECK(bad("inf", 1, 1, "Infinity is not a JSON number"));
	CHECK(bad("-NaN", 1, 1, "-NaN is not a JSON number"));
	CHECK(bad("inferior", 1, 1, "invalid literal"));
}

static void
test_literals(void)
{
	CHECK(bad("tru", 1, 4, "end of input inside a literal"));
	CHECK(bad("[nul", 1, 5, "end of input inside a literal"));
	CHECK(bad("trUe", 1, 1, "invalid literal"));
	CHECK(bad("truex", 1, 1, "invalid literal"));
	CHECK(bad("[True]", 1, 2, "invalid literal"));
	/* The word itself is never repeated: it may be a secret. */
	CHECK(bad("{\"secret\": hunter2}", 1, 12, "invalid literal") &&
	    1);
	{
		struct err e;
		struct json *v;

		json_close(rd);
		rd = json_open_mem("{\"s\": hunter2}", 14, &e);
		CHECK(rd != NULL && json_next(rd, &v, &e) == -1 &&
		    strstr(e.msg, "hunter") == NULL);
	}
}

static void
test_strings(void)
{
	struct json *v;

	v = one("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\"");
	CHECK(isstr(v, "a\"b\\c/d\b\f\n\r\t", 12));
	CHECK(isstr(one("\"\\u00e9\\u20AC\""), "\xc3\xa9\xe2\x82\xac", 5));
	CHECK(isstr(one("\"\\ud83d\\ude00\""), "\xf0\x9f\x98\x80", 4));
	CHECK(isstr(one("\"\\uDBFF\\uDFFF\""), "\xf4\x8f\xbf\xbf", 4));
	CHECK(isstr(one("\"a\\u0000b\""), "a\0b", 3));
	CHECK(isstr(one("\"\\u0041\""), "A", 1));
	CHECK(isstr(one("\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""),
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	CHECK(isstr(one("\"\xef\xbf\xbf\xf4\x8f\xbf\xbf\""),
	    "\xef\xbf\xbf\xf4\x8f\xbf\xbf", 7));
	/* Decoding in place leaves the next value intact. */
	v = one("[\"\\n\\n\\n\",\"xyz\",1]");
	CHECK(v != NULL && v->len == 3 && isstr(&v->item[0], "\n\n\n", 3) &&
	    isstr(&v->item[1], "xyz", 3) && json_num(&v->item[2]) == 1);

	CHECK(bad("\"\\ud800\"", 1, 2, "lone high surrogate \\ud800"));
	CHECK(bad("\"\\ud800\\u0041\"", 1, 2, "lone high surrogate"));
	CHECK(bad("\"\\ud800\\ud800\"", 1, 2, "lone high surrogate"));
	CHECK(bad("\"ab\\udc00\"", 1, 4, "lone low surrogate \\udc00"));
	CHECK(bad("\"\\uDC00\\uD800\"", 1, 2, "lone low surrogate"));
	CHECK(bad("\"\\x\"", 1, 2, "invalid escape 'x'"));
	CHECK(bad("\"\\'\"", 1, 2, "invalid escape '''"));
	CHECK(bad("\"\\u12\"", 1, 2, "invalid \\u escape"));
	CHECK(bad("\"\\u12G4\"", 1, 2, "invalid \\u escape"));
	CHECK(bad("\"\\u12", 1, 6, "end of input inside a string"));
	CHECK(bad("\"abc\\", 1, 6, "end of input inside a string"));
	CHECK(bad("\"abc", 1, 5, "end of input inside a string"));
	CHECK(bad("\"a\tb\"", 1, 3, "unescaped control character U+0009"));
	CHECK(bad("\"a\nb\"", 1, 3, "unescaped control character U+000A"));
	CHECK(bad_n("\"a\0b\"", 5, 1, 3, "control character U+0000"));
	CHECK(bad("\"\x7f\"", 1, 1, "") == 0);	/* DEL is allowed */

	CHECK(bad("\"\xc0\xaf\"", 1, 2, "overlong UTF-8"));
	CHECK(bad("\"\xc1\xbf\"", 1, 2, "overlong UTF-8"));
	CHECK(bad("\"\xe0\x80\x80\"", 1, 2, "overlong UTF-8"));
	CHECK(bad("\"\xf0\x8f\xbf\xbf\"", 1, 2, "overlong UTF-8"));
	CHECK(bad("\"x\xed\xa0\x80\"", 1, 3, "UTF-8-encoded surrogate"));
	CHECK(bad("\"\xed\xbf\xbf\"", 1, 2, "UTF-8-encoded surrogate"));
	CHECK(bad("\"\xf4\x90\x80\x80\"", 1, 2, "beyond U+10FFFF"));
	CHECK(bad("\"\xf5\x80\x80\x80\"", 1, 2, "beyond U+10FFFF"));
	CHECK(bad("\"\xff\"", 1, 2, "invalid UTF-8 byte 0xff"));
	CHECK(bad("\"\x80\"", 1, 2, "continuation byte 0x80"));
	CHECK(bad("\"\xc3\"", 1, 2, "truncated UTF-8"));
	CHECK(bad("\"\xe2\x82\"", 1, 2, "truncated UTF-8"));
	CHECK(bad("\"\xf0\x9f\x98\"", 1, 2, "truncated UTF-8"));
	CHECK(bad("\"\xc3", 1, 2, "truncated UTF-8"));
}

static void
test_structure(void)
{
	struct json *v;
	const struct json *m;

	v = one("{\"a\": [1, {\"b\": null}], \"c\": \"d\", \"\": true}");
	CHECK(v != NULL && v->type == JSON_OBJECT && v->len == 3);
	if (v != NULL && v->len == 3) {
		CHECK(json_key(v, 0)->len == 1 &&
		    strcmp(json_key(v, 0)->name, "a") == 0);
		CHECK(json_key(v, 2)->len == 0 &&
		    strcmp(json_key(v, 2)->name, "") == 0);
		m = json_get(v, "a");
		CHECK(m != NULL && m->type == JSON_ARRAY && m->len == 2 &&
		    m->col == 7);
		CHECK(m != NULL && json_get(&m->item[1], "b") != NULL &&
		    json_get(&m->item[1], "b")->type == JSON_NULL);
		CHECK(isstr(json_get(v, "c"), "d", 1));
		CHECK(json_get(v, "")->type == JSON_TRUE);
		CHECK(json_get(v, "x") == NULL);
		CHECK(json_get(m, "a") == NULL);
		CHECK(json_get(NULL, "a") == NULL);
	}
	v = one("{\"k\": 1, \"k\": 2}");
	CHECK(v != NULL && json_num(json_get(v, "k")) == 2);
	v = one("{\"a\\u0000b\": 1}");
	CHECK(v != NULL && json_key(v, 0)->len == 3 &&
	    json_get(v, "a") == NULL);
	v = one("[]");
	CHECK(v != NULL && v->type == JSON_ARRAY && v->len == 0);
	v = one("{}");
	CHECK(v != NULL && v->type == JSON_OBJECT && v->len == 0);
	v = one("[[[]], [[1]]]");
	CHECK(v != NULL && v->len == 2 &&
	    json_num(&v->item[1].item[0].item[0]) == 1);

	CHECK(bad("[1,]", 1, 4, "trailing comma in an array"));
	CHECK(bad("{\"a\":1,}", 1, 8, "trailing comma in an object"));
	CHECK(bad("{a:1}", 1, 2, "expected a string (a member name)"));
	CHECK(bad("{'a':1}", 1, 2, "expected a string (a member name)"));
	CHECK(bad("['a']", 1, 2, "single quotes"));
	CHECK(bad("{\"a\" 1}", 1, 6, "expected ':'"));
	CHECK(bad("{\"a\":1 \"b\":2}", 1, 8, "expected ',' or '}'"));
	CHECK(bad("[1 2]", 1, 4, "expected ',' or ']'"));
	CHECK(bad("[1}", 1, 3, "expected ',' or ']' in an array, found '}'"));
	CHECK(bad("{\"a\":1]", 1, 7, "expected ',' or '}'"));
	CHECK(bad("[,1]", 1, 2, "unexpected ','"));
	CHECK(bad("]", 1, 1, "unexpected ']'"));
	CHECK(bad("[1,\n 2,\n\t//x\n]", 3, 2, "comments are not allowed"));
	CHECK(bad("[\x01]", 1, 2, "unexpected byte 0x01"));
	CHECK(bad("\xc3\xa9", 1, 1, "unexpected byte 0xc3"));
	CHECK(bad("[\f]", 1, 2, "unexpected byte 0x0c"));

	CHECK(bad("[1, 2", 1, 6, "unexpected end of input inside an array"));
	CHECK(bad("[", 1, 2, "unexpected end of input inside an array"));
	CHECK(bad("[1,", 1, 4, "unexpected end of input inside an array"));
	CHECK(bad("{\"a\":[1,\n2", 2, 2, "inside an array"));
	CHECK(bad("{", 1, 2, "unexpected end of input inside an object"));
	CHECK(bad("{\"a\"", 1, 5, "end of input inside an object"));
	CHECK(bad("{\"a\":", 1, 6, "end of input inside an object"));
	CHECK(bad("{\"a\":1", 1, 7, "end of input inside an object"));
	CHECK(bad("{\"a\":1,", 1, 8, "end of input inside an object"));
}

static void
test_depth(void)
{
	size_t n = 100000, i;
	char *s = malloc(2 * n + 1);
	struct json *v;
	int depth;

	if (s == NULL)
		return;
	for (i = 0; i < JSON_MAXDEPTH; i++) {
		s[i] = '[';
		s[2 * JSON_MAXDEPTH - 1 - i] = ']';
	}
	v = first(s, 2 * JSON_MAXDEPTH);
	for (depth = 0; v != NULL && v->type == JSON_ARRAY; depth++)
		v = v->len ? &v->item[0] : NULL;
	CHECK(depth == JSON_MAXDEPTH);

	memset(s, '[', n);
	memset(s + n, ']', n);
	CHECK(bad_n(s, 2 * n, 1, JSON_MAXDEPTH + 1,
	    "nesting deeper than 512 levels"));
	CHECK(bad_n(s, 1000, 1, JSON_MAXDEPTH + 1, "nesting deeper"));
	for (i = 0; i < n; i++)
		s[i] = i % 2 ? '[' : '{';
	for (i = 0; i < n; i += 2)
		memcpy(s + i, "[{", 2);
	CHECK(bad_n(s, 2 * n, 1, 3, "expected a string (a member name)"));
	for (i = 0; i + 6 <= n; i += 6)
		memcpy(s + i, "{\"a\":[", 6);
	CHECK(bad_n(s, 6 * 300, 1, 6 * 256 + 1, "nesting deeper"));
	free(s);
}

static void
test_stream(void)
{
	static const char in[] = "\xef\xbb\xbf{}{\"a\":1}\n[1] 2\"x\"\ntrue\n";
	struct err e;
	struct json *v;
	int n = 0, rc;

	json_close(rd);
	rd = json_open_mem(in, sizeof in - 1, &e);
	CHECK(rd != NULL);
	if (rd == NULL)
		return;
	while ((rc = json_next(rd, &v, &e)) == 1)
		n++;
	CHECK(rc == 0 && n == 6);
	CHECK(json_next(rd, &v, &e) == 0);

	CHECK(one("   \n\t\r\n") == NULL);
	CHECK(json_next(rd, &v, &e) == 0);
	CHECK(one("") == NULL);
	CHECK(rd != NULL && json_next(rd, &v, &e) == 0);

	/* Values before a bad one are read; the failure stays. */
	json_close(rd);
	rd = json_open_mem("1 {} ] 2", 8, &e);
	CHECK(json_next(rd, &v, &e) == 1 && json_num(v) == 1);
	CHECK(json_next(rd, &v, &e) == 1 && v->type == JSON_OBJECT);
	CHECK(json_next(rd, &v, &e) == -1 && e.col == 6);
	memset(&e, 0, sizeof e);
	CHECK(json_next(rd, &v, &e) == -1 && e.col == 6 &&
	    strstr(e.msg, "unexpected ']'") != NULL);

	/* A BOM does not count as a column. */
	CHECK(bad("\xef\xbb\xbf[x]", 1, 2, "invalid literal"));
	CHECK(bad("1\r\n2\r\n  ]", 3, 3, "unexpected ']'"));
}

/* Big values: the arena grows, and is reused by the next value. */
static void
test_big(void)
{
	size_t n = 200000, i, len = 0;
	char *s = malloc(n * 24 + 64);
	struct err e;
	struct json *v;
	int ok = 1, round;

	if (s == NULL)
		return;
	for (round = 0; round < 2; round++) {
		len += (size_t)sprintf(s + len, "{\"k\":[");
		for (i = 0; i < n; i++)
			len += (size_t)sprintf(s + len, "%s%zu.5", i ? "," : "",
			    i);
		len += (size_t)sprintf(s + len, "]}\n");
	}
	json_close(rd);
	rd = json_open_mem(s, len, &e);
	for (round = 0; round < 2; round++) {
		CHECK(json_next(rd, &v, &e) == 1);
		v = (struct json *)json_get(v, "k");
		CHECK(v != NULL && v->len == n);
		for (i = 0; v != NULL && i < n; i++)
			ok &= json_num(&v->item[i]) == (double)i + 0.5 &&
			    v->item[i].line == (uint32_t)round + 1;
	}
	CHECK(ok);
	CHECK(json_next(rd, &v, &e) == 0);
	free(s);
}

/* Append "[B, B+1, ..., B+N-1]" to S at *LEN. */
static void
put_run(char *s, size_t *len, size_t b, size_t n)
{
	size_t i;

	s[(*len)++] = '[';
	for (i = 0; i < n; i++)
		*len += (size_t)sprintf(s + *len, "%s%zu", i ? "," : "",
		    b + i);
	s[(*len)++] = ']';
}

/* Does the array V hold B, B+1, ..., B+N-1? */
static int
is_run(const struct json *v, size_t b, size_t n)
{
	size_t i;

	if (v == NULL || v->type != JSON_ARRAY || v->len != n)
		return 0;
	for (i = 0; i < n; i++)
		if (v->item[i].type != JSON_NUMBER ||
		    json_num(&v->item[i]) != (double)(b + i))
			return 0;
	return 1;
}

/*
 * Long arrays inside others, with members before and after them, in
 * values one after another: each long array keeps its members whole
 * while the ones around it are read and the next value reuses memory.
 */
static void
test_long_arrays(void)
{
	size_t len = 0, round;
	char *s = malloc(3 * 40000 * 8 + 1024);
	const struct json *a, *b;
	struct json *v;
	struct err e;

	if (s == NULL)
		return;
	for (round = 0; round < 3; round++) {
		len += (size_t)sprintf(s + len, "{\"x\":1,\"a\":");
		put_run(s, &len, 0, 5000);
		len += (size_t)sprintf(s + len, ",\"b\":[2,");
		put_run(s, &len, 100, 4096);
		s[len++] = ',';
		put_run(s, &len, 7, 3);
		s[len++] = ',';
		put_run(s, &len, 9, 20000);
		len += (size_t)sprintf(s + len, ",\"s\"],\"c\":");
		put_run(s, &len, round, 4095 + round);
		len += (size_t)sprintf(s + len, "}\n");
	}
	json_close(rd);
	rd = json_open_mem(s, len, &e);
	for (round = 0; round < 3; round++) {
		CHECK(json_next(rd, &v, &e) == 1);
		CHECK(v->type == JSON_OBJECT && v->len == 4);
		a = json_get(v, "x");
		CHECK(a != NULL && a->type == JSON_NUMBER && json_num(a) == 1);
		CHECK(is_run(json_get(v, "a"), 0, 5000));
		b = json_get(v, "b");
		CHECK(b != NULL && b->type == JSON_ARRAY && b->len == 5);
		if (b != NULL && b->len == 5) {
			CHECK(json_num(&b->item[0]) == 2);
			CHECK(is_run(&b->item[1], 100, 4096));
			CHECK(is_run(&b->item[2], 7, 3));
			CHECK(is_run(&b->item[3], 9, 20000));
			CHECK(b->item[4].type == JSON_STRING &&
			    strcmp(b->item[4].str, "s") == 0);
		}
		CHECK(is_run(json_get(v, "c"), round, 4095 + round));
	}
	CHECK(json_next(rd, &v, &e) == 0);
	free(s);
}

/* A temporary file holding the N bytes at S, unlinked, at its start. */
static int
temp_file(const char *s, size_t n)
{
	char path[] = "/tmp/test_jsonXXXXXX";
	int fd;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	if (write(fd, s, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) {
		perror("temporary file");
		exit(2);
	}
	return fd;
}

static void
test_open(void)
{
	struct json_reader *r;
	struct err e;
	struct json *v;
	int fd;

	fd = temp_file("{\"a\": [\"b\"]}\n7", 14);
	r = json_open(fd, &e);
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK(json_next(r, &v, &e) == 1 &&
		    isstr(&json_get(v, "a")->item[0], "b", 1));
		CHECK(json_next(r, &v, &e) == 1 && json_num(v) == 7 &&
		    v->line == 2);
		CHECK(json_next(r, &v, &e) == 0);
		json_close(r);
	}
	close(fd);

	/* A file is read from where it stands, as a shell may leave it. */
	fd = temp_file("xx [5]", 6);
	CHECK(lseek(fd, 3, SEEK_SET) == 3);
	r = json_open(fd, &e);
	CHECK(r != NULL && json_next(r, &v, &e) == 1 &&
	    v->type == JSON_ARRAY && json_num(&v->item[0]) == 5 &&
	    json_next(r, &v, &e) == 0);
	json_close(r);
	close(fd);

	/* A file over the limit is refused by its size, before a read. */
	fd = temp_file("", 0);
	CHECK(ftruncate(fd, (off_t)JSON_MAXINPUT + 1) == 0);
	CHECK(json_open(fd, &e) == NULL && e.line == 0 &&
	    strstr(e.msg, "input of 4 GiB or more") != NULL);
	close(fd);

	fd = open("/", O_RDONLY);
	CHECK(fd != -1 && json_open(fd, &e) == NULL &&
	    strstr(e.msg, "cannot read") != NULL && e.line == 0);
	if (fd != -1)
		close(fd);
}

/* Write S with json_put_string and compare with WANT. */
static int
puts_as(const char *s, size_t len, const char *want)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *fp = open_memstream(&buf, &n);
	int ok;

	if (fp == NULL)
		return 0;
	ok = json_put_string(fp, s, len) == 0;
	fclose(fp);
	ok = ok && strcmp(buf, want) == 0;
	if (!ok)
		fprintf(stderr, "  got %s, want %s\n", buf, want);
	free(buf);
	return ok;
}

static void
test_put(void)
{
	static const char s[] = "a\"b\\c\n\t\r\b\f\x01\x1f/\x7f\xc3\xa9";
	char all[32];
	char *buf = NULL;
	size_t n = 0, i;
	FILE *fp;
	struct json *v;

	CHECK(puts_as("", 0, "\"\""));
	CHECK(puts_as("plain", 5, "\"plain\""));
	CHECK(puts_as(s, sizeof s - 1, "\"a\\\"b\\\\c\\n\\t\\r\\b\\f"
	    "\\u0001\\u001f/\x7f\xc3\xa9\""));
	CHECK(puts_as("a\0b", 3, "\"a\\u0000b\""));

	/* Every control character goes out and comes back. */
	for (i = 0; i < sizeof all; i++)
		all[i] = (char)i;
	if ((fp = open_memstream(&buf, &n)) == NULL)
		return;
	CHECK(json_put_string(fp, all, sizeof all) == 0);
	fclose(fp);
	v = first(buf, n);
	CHECK(v != NULL && v->type == JSON_STRING && v->len == sizeof all &&
	    memcmp(v->str, all, sizeof all) == 0);
	free(buf);

	/* A stream error is reported. */
	if ((fp = fopen("/dev/full", "w")) != NULL) {
		setvbuf(fp, NULL, _IONBF, 0);
		CHECK(json_put_string(fp, "x", 1) == -1);
		fclose(fp);
	}
}

static void
test_typename(void)
{
	CHECK_STR(json_typename(JSON_NULL), "null");
	CHECK_STR(json_typename(JSON_FALSE), "false");
	CHECK_STR(json_typename(JSON_TRUE), "true");
	CHECK_STR(json_typename(JSON_NUMBER), "a number");
	CHECK_STR(json_typename(JSON_STRING), "a string");
	CHECK_STR(json_typename(JSON_ARRAY), "an array");
	CHECK_STR(json_typename(JSON_OBJECT), "an object");
}

int
main(void)
{
	test_scalars();
	test_numbers();
	test_literals();
	test_strings();
	test_structure();
	test_depth();
	test_stream();
	test_big();
	test_long_arrays();
	test_open();
	test_put();
	test_typename();
	json_close(rd);
	return unit_done();
}
