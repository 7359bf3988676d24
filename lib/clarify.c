/* clarify.c - Clarify's answers, identifiers and credentials file. */
#include <stdio.h>
#include <string.h>

#include "clarify.h"

#define SHAPES "expected a clarify.dataFrame result, a selectItems result " \
	"or a data frame"

/* Server text is shown up to this many bytes. */
#define SHOWN 160

int
clarify_is_id(const char *s, size_t len)
{
	size_t i;

	if (len != CLARIFY_IDLEN)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'v') ||
		    (s[i] >= '0' && s[i] <= '9')))
			return 0;
	return 1;
}

int
clarify_is_input_id(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len < 1 || len > CLARIFY_INPUTMAX)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		/* strchr would find the NUL that ends its own string. */
		if (c == '\0')
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_:.#+/", c) != NULL))
			return 0;
	}
	return 1;
}

/*
 * Copy the text of V (a string or a number) into BUF of SIZE bytes with
 * control characters and backslashes escaped, cut short with "..." when
 * it does not fit, between two characters; or DFLT when V is neither.
 * Returns BUF.
 */
static const char *
quote(char *buf, size_t size, const struct json *v, const char *dflt)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, k, n = 0;
	unsigned char c;

	if (v == NULL || (v->type != JSON_STRING && v->type != JSON_NUMBER)) {
		snprintf(buf, size, "%s", dflt);
		return buf;
	}
	for (i = 0; i < v->len; i += k) {
		c = (unsigned char)v->str[i];
		/* A UTF-8 character goes whole or not at all. */
		for (k = 1; c >= 0xc0 && k < 4 && i + k < v->len &&
		    ((unsigned char)v->str[i + k] & 0xc0) == 0x80; k++)
			;
		/* Room for the longest form of one character, and "...". */
		if (n + 4 + sizeof "..." > size) {
			memcpy(buf + n, "...", sizeof "...");
			return buf;
		}
		if (c >= 0x20 && c != 0x7f && c != '\\') {
			memcpy(buf + n, v->str + i, k);
			n += k;
			continue;
		}
		buf[n++] = '\\';
		switch (c) {
		case '\\':
			buf[n++] = '\\';
			break;
		case '\n':
			buf[n++] = 'n';
			break;
		case '\t':
			buf[n++] = 't';
			break;
		default:
			buf[n++] = 'x';
			buf[n++] = hex[c >> 4];
			buf[n++] = hex[c & 15];
			break;
		}
	}
	buf[n] = '\0';
	return buf;
}

/*
 * Report the JSON-RPC error object ERR.  The three quotes are bounded so
 * that the message fits in E whole and is never cut by err_set, which
 * knows nothing of characters.
 */
static const struct json *
rpc_error(const struct json *err, struct err *e)
{
	const struct json *data = json_get(err, "data");
	const struct json *trace = json_get(data, "trace");
	char code[24], msg[SHOWN], tr[40];

	_Static_assert(sizeof code + SHOWN + sizeof tr + 32 <=
	    sizeof e->msg, "a clarify error fits in struct err");
	quote(code, sizeof code, json_get(err, "code"), "(no code)");
	quote(msg, sizeof msg, err->type == JSON_STRING ? err :
	    json_get(err, "message"), "(no message)");
	if (trace != NULL && trace->type == JSON_STRING)
		err_set(e, err->line, 0, "clarify error %s: %s (trace %s)",
		    code, msg, quote(tr, sizeof tr, trace, ""));
	else
		err_set(e, err->line, 0, "clarify error %s: %s", code, msg);
	return NULL;
}

/* Does the array of frames A hold item resources instead? */
static int
is_resources(const struct json *a)
{
	const struct json *x = a->len > 0 ? &a->item[0] : NULL;

	return x != NULL && json_get(x, "times") == NULL &&
	    json_get(x, "attributes") != NULL && json_get(x, "type") != NULL;
}

const struct json *
clarify_data(const struct json *v, struct err *e)
{
	const struct json *res, *err, *data;

	if (v->type != JSON_OBJECT) {
		err_set(e, v->line, v->col, SHAPES ", found %s",
		    json_typename(v->type));
		return NULL;
	}
	if (json_get(v, "times") != NULL || json_get(v, "series") != NULL)
		return v;

	res = json_get(v, "result");
	err = json_get(v, "error");
	if (err != NULL && err->type != JSON_NULL)
		return rpc_error(err, e);
	if (res == NULL) {
		if (json_get(v, "method") != NULL)
			err_set(e, v->line, v->col, "a JSON-RPC request, not "
			    "a response: " SHAPES);
		else if (json_get(v, "jsonrpc") != NULL)
			err_set(e, v->line, v->col, "a JSON-RPC response with "
			    "neither a result nor an error");
		else
			err_set(e, v->line, v->col, SHAPES);
		return NULL;
	}
	if (res->type != JSON_OBJECT) {
		err_set(e, res->line, res->col, "the result is %s: " SHAPES,
		    json_typename(res->type));
		return NULL;
	}
	if ((data = json_get(res, "data")) == NULL) {
		if (json_get(res, "items") != NULL)
			err_set(e, res->line, res->col, "a clarify.selectItems"
			    " result without data (ask for it with "
			    "data.include true)");
		else
			err_set(e, res->line, res->col, "the result has no "
			    "data: " SHAPES);
		return NULL;
	}
	if (data->type == JSON_ARRAY && is_resources(data)) {
		err_set(e, data->line, data->col, "the result holds item "
		    "metadata, not data (clarify.selectItems of API 1.1 has "
		    "none; ask clarify.dataFrame)");
		return NULL;
	}
	if (data->type != JSON_OBJECT && data->type != JSON_ARRAY) {
		err_set(e, data->line, data->col, "the result's data is %s, "
		    "expected a data frame or an array of them",
		    json_typename(data->type));
		return NULL;
	}
	return data;
}

/*
 * Replace the reason of a JSON error in a credentials file with a generic
 * one: the JSON reader quotes the byte it stopped at, and that byte may
 * be part of the secret.  An error with no position (a read error, out of
 * memory) says nothing of the content and is left alone.
 */
static int
not_json(struct err *e)
{
	if (e->line != 0)
		err_set(e, e->line, e->col, "not valid JSON");
	return -1;
}

int
clarify_integration(int fd, char *id, struct err *e)
{
	struct json_reader *r;
	struct json *v, *extra;
	const struct json *in;
	const struct json_key *k;
	size_t i, n;
	int rc = -1;

	if ((r = json_open(fd, e)) == NULL)
		return -1;

	switch (json_next(r, &v, e)) {
	case -1:
		not_json(e);
		goto out;
	case 0:
		err_set(e, 0, 0, "empty file: expected a Clarify credentials "
		    "file");
		goto out;
	}
	if (v->type != JSON_OBJECT) {
		err_set(e, v->line, v->col, "expected a Clarify credentials "
		    "file (an object), found %s", json_typename(v->type));
		goto out;
	}
	if ((in = json_get(v, "integration")) == NULL) {
		err_set(e, v->line, v->col, "no \"integration\" member: "
		    "expected a Clarify credentials file");
		goto out;
	}
	/* JSON does not say which of two counts; points must not guess. */
	for (i = 0, n = 0; i < v->len; i++) {
		k = json_key(v, i);
		n += k->len == sizeof "integration" - 1 &&
		    memcmp(k->name, "integration", k->len) == 0;
	}
	if (n > 1) {
		err_set(e, in->line, in->col, "\"integration\" appears %zu "
		    "times", n);
		goto out;
	}
	if (in->type != JSON_STRING || !clarify_is_id(in->str, in->len)) {
		err_set(e, in->line, in->col, "\"integration\" is not an "
		    "integration ID (20 characters of a-v and 0-9)");
		goto out;
	}
	memcpy(id, in->str, CLARIFY_IDLEN);
	id[CLARIFY_IDLEN] = '\0';
	switch (json_next(r, &extra, e)) {
	case -1:
		not_json(e);
		break;
	case 1:
		err_set(e, extra->line, extra->col, "more than one JSON value "
		    "in a credentials file");
		break;
	case 0:
		rc = 0;
		break;
	}
out:
	json_close(r);
	return rc;
}
