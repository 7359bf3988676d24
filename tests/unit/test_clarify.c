/* test_clarify.c - answer shapes, identifiers, credentials files. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clarify.h"
#include "json.h"
#include "unit.h"

static struct json_reader *rd;

static const struct json *
parse(const char *s)
{
	struct err e;
	struct json *v;

	json_close(rd);
	if ((rd = json_open_mem(s, strlen(s), &e)) == NULL ||
	    json_next(rd, &v, &e) != 1)
		return NULL;
	return v;
}

/* Does clarify_data find, in S, the value that starts at column COL? */
static int
finds(const char *s, long col)
{
	const struct json *v = parse(s), *d;
	struct err e;

	d = v == NULL ? NULL : clarify_data(v, &e);
	if (d == NULL && v != NULL)
		fprintf(stderr, "  %s: %s\n", s, e.msg);
	return d != NULL && d->col == col;
}

/* Does clarify_data refuse S at LINE:COL with exactly MSG? */
static int
refuses(const char *s, long line, long col, const char *msg)
{
	const struct json *v = parse(s);
	struct err e;
	int ok;

	ok = v != NULL && clarify_data(v, &e) == NULL && e.line == line &&
	    e.col == col && strcmp(e.msg, msg) == 0;
	if (!ok && v != NULL)
		fprintf(stderr, "  %s: got %ld:%ld: %s\n", s, e.line, e.col,
		    e.msg);
	return ok;
}

static void
test_ids(void)
{
	CHECK(clarify_is_id("c8ktonqsahsmemfs7lv0", 20));
	CHECK(clarify_is_id("aaaaaaaaaaaaaaaaaaav", 20));
	CHECK(!clarify_is_id("aaaaaaaaaaaaaaaaaaaw", 20));
	CHECK(!clarify_is_id("Aaaaaaaaaaaaaaaaaaaa", 20));
	CHECK(!clarify_is_id("c8ktonqsahsmemfs7lv", 19));
	CHECK(!clarify_is_id("c8ktonqsahsmemfs7lv00", 21));
	CHECK(!clarify_is_id("c8ktonqsahsmemfs7lv\0", 20));

	CHECK(clarify_is_input_id("my_alerts", 9));
	CHECK(clarify_is_input_id("a-Z_0:9.#+/", 11));
	CHECK(!clarify_is_input_id("", 0));
	CHECK(!clarify_is_input_id("a b", 3));
	CHECK(!clarify_is_input_id("a\0b", 3));
	CHECK(!clarify_is_input_id("caf\xc3\xa9", 5));
	CHECK(!clarify_is_input_id("a,b", 3));
	{
		char s[130];

		memset(s, 'x', sizeof s);
		CHECK(clarify_is_input_id(s, 128));
		CHECK(!clarify_is_input_id(s, 129));
	}
}

static void
test_shapes(void)
{
	CHECK(finds("{\"times\":[],\"series\":{}}", 1));
	CHECK(finds("{\"series\":{}}", 1));
	CHECK(finds("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"meta\":{},"
	    "\"data\":{\"times\":[],\"series\":{}}}}", 52));
	CHECK(finds("{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"data\":[]}}",
	    42));
	CHECK(finds("{\"result\":{\"items\":{},\"data\":{}},\"error\":null}",
	    30));

	CHECK(refuses("[]", 1, 1, "expected a clarify.dataFrame result, a "
	    "selectItems result or a data frame, found an array"));
	CHECK(refuses("{\"id\":1}", 1, 1, "expected a clarify.dataFrame "
	    "result, a selectItems result or a data frame"));
	CHECK(refuses("{\"jsonrpc\":\"2.0\",\"id\":1}", 1, 1, "a JSON-RPC "
	    "response with neither a result nor an error"));
	CHECK(refuses("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}", 1, 1,
	    "a JSON-RPC request, not a response: expected a "
	    "clarify.dataFrame result, a selectItems result or a data frame"));
	CHECK(refuses("{\"result\":[1]}", 1, 11, "the result is an array: "
	    "expected a clarify.dataFrame result, a selectItems result or a "
	    "data frame"));
	CHECK(refuses("{\"result\":{\"items\":{}}}", 1, 11, "a "
	    "clarify.selectItems result without data (ask for it with "
	    "data.include true)"));
	CHECK(refuses("{\"result\":{\"data\":null}}", 1, 19, "the result's "
	    "data is null, expected a data frame or an array of them"));
	CHECK(refuses("{\"result\":{\"data\":[{\"type\":\"items\",\"id\":\"x\","
	    "\"attributes\":{}}]}}", 1, 19, "the result holds item metadata, "
	    "not data (clarify.selectItems of API 1.1 has none; ask "
	    "clarify.dataFrame)"));
}

/*
 * Is a long error message, "a" and N times the character C, cut short
 * between two characters: is the part shown made of whole ones?
 */
static int
cut_whole(const char *c, int n)
{
	char msg[1024];
	const struct json *v;
	struct err e;
	const char *p, *end;
	size_t len = strlen(c), k;
	int i;

	k = (size_t)snprintf(msg, sizeof msg, "{\"error\":{\"code\":1,"
	    "\"message\":\"a");
	for (i = 0; i < n; i++)
		k += (size_t)snprintf(msg + k, sizeof msg - k, "%s", c);
	snprintf(msg + k, sizeof msg - k, "\"}}");
	if ((v = parse(msg)) == NULL || clarify_data(v, &e) != NULL)
		return 0;
	p = e.msg + strlen("clarify error 1: a");
	if (strncmp(e.msg, "clarify error 1: a", strlen("clarify error 1: a"))
	    != 0 || (end = strstr(p, "...")) == NULL || end[3] != '\0')
		return 0;
	for (; p < end; p += len)
		if ((size_t)(end - p) < len || memcmp(p, c, len) != 0)
			return 0;
	return 1;
}

static void
test_errors(void)
{
	char msg[400];

	CHECK(refuses("{\"jsonrpc\":\"2.0\",\"id\":1,\n\"error\":{\"code\":"
	    "-32602,\"message\":\"Invalid params\",\"data\":{\"trace\":"
	    "\"00000000000000000000\"}}}", 2, 0, "clarify error -32602: "
	    "Invalid params (trace 00000000000000000000)"));
	CHECK(refuses("{\"error\":{\"code\":-32015,\"message\":\"Try\\nagain"
	    "\\t\\u001b[31m\\\\\"}}", 1, 0, "clarify error -32015: "
	    "Try\\nagain\\t\\x1b[31m\\\\"));
	CHECK(refuses("{\"error\":{}}", 1, 0,
	    "clarify error (no code): (no message)"));
	CHECK(refuses("{\"error\":\"boom\",\"result\":{}}", 1, 0,
	    "clarify error (no code): boom"));
	CHECK(refuses("{\"error\":{\"code\":1,\"data\":{\"trace\":7}}}", 1, 0,
	    "clarify error 1: (no message)"));

	/* A long message is cut short; the trace still shows. */
	snprintf(msg, sizeof msg, "{\"error\":{\"code\":1,\"message\":\"%0300d"
	    "\",\"data\":{\"trace\":\"t1\"}}}", 0);
	{
		const struct json *v = parse(msg);
		struct err e;
		const char *p;

		CHECK(v != NULL && clarify_data(v, &e) == NULL);
		p = strstr(e.msg, "...");
		CHECK(p != NULL && strcmp(p, "... (trace t1)") == 0);
		CHECK(strlen(e.msg) < 200);
	}

	/* Server text of two-, three- and four-byte characters. */
	CHECK(cut_whole("\xc3\xa9", 150));
	CHECK(cut_whole("\xe2\x80\x94", 100));
	CHECK(cut_whole("\xf0\x9f\x92\xa5", 80));
}

/* Write S to a temporary file and read its integration ID. */
static int
creds(const char *s, char *id, struct err *e)
{
	char path[] = "/tmp/test_clarifyXXXXXX";
	int fd = mkstemp(path), rc;

	if (fd == -1)
		return -2;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
		close(fd);
		unlink(path);
		return -2;
	}
	close(fd);
	if ((fd = open(path, O_RDONLY)) == -1) {
		unlink(path);
		return -2;
	}
	rc = clarify_integration(fd, id, e);
	/* The descriptor is the caller's: still open, and at the end. */
	if (lseek(fd, 0, SEEK_CUR) != (off_t)strlen(s))
		rc = -3;
	close(fd);
	unlink(path);
	return rc;
}

/* Read the credentials S from a pipe, as from standard input. */
static int
creds_pipe(const char *s, char *id, struct err *e)
{
	int p[2], rc;

	if (pipe(p) == -1)
		return -2;
	if (write(p[1], s, strlen(s)) != (ssize_t)strlen(s)) {
		close(p[0]);
		close(p[1]);
		return -2;
	}
	close(p[1]);
	rc = clarify_integration(p[0], id, e);
	close(p[0]);
	return rc;
}

static void
test_credentials(void)
{
	char id[CLARIFY_IDLEN + 1];
	struct err e;
	int fd;

	CHECK(creds("{\"apiUrl\":\"https://api.clarify.io/v1/\","
	    "\"integration\":\"c8ktonqsahsmemfs7lv0\",\"credentials\":"
	    "{\"type\":\"client-credentials\",\"clientId\":\"a\","
	    "\"clientSecret\":\"b\"}}\n", id, &e) == 0 &&
	    strcmp(id, "c8ktonqsahsmemfs7lv0") == 0);
	CHECK(creds("", id, &e) == -1 && e.line == 0 &&
	    strstr(e.msg, "empty file") != NULL);
	CHECK(creds("[]", id, &e) == -1 && e.line == 1 && e.col == 1 &&
	    strstr(e.msg, "found an array") != NULL);
	CHECK(creds("{\"credentials\":{}}", id, &e) == -1 &&
	    strstr(e.msg, "no \"integration\"") != NULL);
	CHECK(creds("{\n \"integration\": 12}", id, &e) == -1 &&
	    e.line == 2 && e.col == 17 &&
	    strstr(e.msg, "not an integration ID") != NULL);
	CHECK(creds("{\"integration\":\"c8ktonqsahsmemfs7lv0\"} {}", id,
	    &e) == -1 && e.col == 40 &&
	    strstr(e.msg, "more than one") != NULL);
	CHECK(creds("{\"integration\":\"c8ktonqsahsmemfs7lv0\",\n"
	    "\"clientSecret\":s3cr3t}", id, &e) == -1 && e.line == 2 &&
	    strstr(e.msg, "s3cr3t") == NULL);
	memset(id, 0, sizeof id);
	CHECK(creds_pipe("{\"integration\": \"0123456789abcdefghij\"}", id,
	    &e) == 0 && strcmp(id, "0123456789abcdefghij") == 0);
	CHECK(creds_pipe("{\"integration\": \"0123456789abcdefghiw\"}", id,
	    &e) == -1 && e.line == 1 && e.col == 17);
	fd = open("/", O_RDONLY);
	CHECK(fd != -1 && clarify_integration(fd, id, &e) == -1 &&
	    e.line == 0 && strstr(e.msg, "cannot read") != NULL);
	if (fd != -1)
		close(fd);
}

/*
 * A credentials file that is not JSON is reported by position alone: the
 * reader's own messages quote the byte they stopped at, which here may
 * belong to the secret "S3cr3t" ("after a number", "invalid escape",
 * "expected ':'", ...), or the digits of a \u escape.
 */
static void
test_secret(void)
{
	static const struct {
		const char *s;
		long line, col;
	} bad[] = {
		{ "{\"integration\":\"c8ktonqsahsmemfs7lv0\",\n"
		    "\"clientSecret\":0S3cr3t}", 2, 17 },
		{ "{\"clientSecret\":\"\\S3cr3t\"}", 1, 18 },
		{ "{\"clientSecret\":\"\\uD8S3\"}", 1, 18 },
		{ "{\"clientSecret\":\"\\udc3S\"}", 1, 18 },
		{ "{\"clientSecret\" S3cr3t}", 1, 17 },
		{ "{\"clientSecret\":[1 S3cr3t]}", 1, 20 },
		{ "{\"clientSecret\":{S3cr3t}}", 1, 18 },
		{ "{\"clientSecret\":\"a\" S3cr3t}", 1, 21 },
		{ "{\"clientSecret\":\"\xc3S3cr3t\"}", 1, 18 },
		{ "{\"clientSecret\":'S3cr3t'}", 1, 17 },
		{ "{\"integration\":\"c8ktonqsahsmemfs7lv0\"} 1S3cr3t", 1,
		    41 },
	};
	char id[CLARIFY_IDLEN + 1];
	struct err e;
	size_t i;
	int ok;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok = creds(bad[i].s, id, &e) == -1 && e.line == bad[i].line &&
		    e.col == bad[i].col && strcmp(e.msg, "not valid JSON") == 0;
		if (!ok)
			fprintf(stderr, "  %s: got %ld:%ld: %s\n", bad[i].s,
			    e.line, e.col, e.msg);
		CHECK(ok);
	}
}

int
main(void)
{
	test_ids();
	test_shapes();
	test_errors();
	test_credentials();
	test_secret();
	json_close(rd);
	return unit_done();
}
