/*
 * fuzz_clarify.c - lib/clarify.h under libFuzzer.
 *
 * The input is read as a credentials file by clarify_integration and as
 * a stream of answers by clarify_data.  Checked:
 *
 *  - an integration ID read is 20 characters of [a-v0-9] and is the
 *    string of the file's "integration" member;
 *  - a refused credentials file says only "not valid JSON" for a syntax
 *    error, and no message quotes a string of the file (a secret) other
 *    than the "integration" member's (strings with one of "#$%&*~^|");
 *  - clarify_data gives the value itself, its result's data, or an error
 *    whose message is UTF-8 without control characters (the server's
 *    text is escaped), and never a value of another type;
 *  - clarify_is_id and clarify_is_input_id agree with their patterns.
 */
#include "clarify.h"
#include "fuzz.h"
#include "json.h"

static int
ref_id(const char *s, size_t len)
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

static int
ref_input_id(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > CLARIFY_INPUTMAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr("-_:.#+/", s[i]) != NULL)))
			return 0;
	return 1;
}

static void
check_ids(const char *s, size_t len)
{
	if (clarify_is_id(s, len) != ref_id(s, len))
		FUZZ_FAIL("clarify_is_id on %zu bytes", len);
	if (clarify_is_input_id(s, len) != ref_input_id(s, len))
		FUZZ_FAIL("clarify_is_input_id on %zu bytes", len);
}

static void
check_msg(const struct err *e)
{
	size_t i, n = strlen(e->msg);

	if (n == 0 || !fuzz_utf8(e->msg, n))
		FUZZ_FAIL("message \"%s\"", e->msg);
	for (i = 0; i < n; i++)
		if ((unsigned char)e->msg[i] < 0x20 || e->msg[i] == 0x7f)
			FUZZ_FAIL("a control character in \"%s\"", e->msg);
}

/*
 * No string of V, bar SKIP, in MSG.  Only strings that no message could
 * hold by chance are looked for: 6 bytes or more, with a character that
 * the messages' own words lack, and not within the SKIP string, which a
 * message may quote.
 */
static void
no_secret(const struct json *v, const struct json *skip, const char *msg)
{
	size_t i;

	if (v == skip)
		return;
	switch (v->type) {
	case JSON_STRING:
		check_ids(v->str, v->len);
		if (v->len >= 6 && strpbrk(v->str, "#$%&*~^|") != NULL &&
		    strlen(v->str) == v->len &&
		    (skip == NULL || skip->type != JSON_STRING ||
		    !fuzz_contains(skip->str, skip->len, v->str)) &&
		    fuzz_contains(msg, strlen(msg), v->str))
			FUZZ_FAIL("\"%s\" quotes the file's \"%s\"", msg,
			    v->str);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		for (i = 0; i < v->len; i++)
			no_secret(&v->item[i], skip, msg);
		break;
	default:
		break;
	}
}

/* Is P the value V or one inside it? */
static int
within(const struct json *v, const struct json *p)
{
	size_t i;

	if (v == p)
		return 1;
	if (v->type == JSON_ARRAY || v->type == JSON_OBJECT)
		for (i = 0; i < v->len; i++)
			if (within(&v->item[i], p))
				return 1;
	return 0;
}

static void
check_credentials(const char *s, size_t len)
{
	struct json_reader *r;
	struct json *v = NULL;
	const struct json *in = NULL;
	struct err e, je;
	char id[CLARIFY_IDLEN + 1];
	int rc, jrc;

	memset(&e, 0, sizeof e);
	memset(id, 'x', sizeof id);
	rc = clarify_integration(fuzz_fd(s, len), id, &e);

	if ((r = json_open_mem(s, len, &je)) == NULL)
		abort();
	jrc = json_next(r, &v, &je);
	if (jrc == 1)
		in = json_get(v, "integration");

	if (rc == 0) {
		if (strlen(id) != CLARIFY_IDLEN ||
		    !clarify_is_id(id, CLARIFY_IDLEN))
			FUZZ_FAIL("integration \"%.21s\"", id);
		if (in == NULL || in->type != JSON_STRING ||
		    in->len != CLARIFY_IDLEN ||
		    memcmp(in->str, id, CLARIFY_IDLEN) != 0)
			FUZZ_FAIL("integration \"%s\" is not the file's", id);
	} else {
		if (rc != -1)
			FUZZ_FAIL("clarify_integration returned %d", rc);
		check_msg(&e);
		if (jrc == -1 && strcmp(e.msg, "not valid JSON") != 0)
			FUZZ_FAIL("a JSON error reported as \"%s\"", e.msg);
		if (jrc == 1)
			no_secret(v, in, e.msg);
	}
	json_close(r);
}

static void
check_data(const char *s, size_t len)
{
	struct json_reader *r;
	struct json *v;
	const struct json *d, *res;
	struct err e;

	if ((r = json_open_mem(s, len, &e)) == NULL)
		abort();
	while (json_next(r, &v, &e) == 1) {
		memset(&e, 0, sizeof e);
		if ((d = clarify_data(v, &e)) == NULL) {
			check_msg(&e);
			continue;
		}
		res = json_get(v, "result");
		if (d != v && (res == NULL || d != json_get(res, "data")))
			FUZZ_FAIL("clarify_data gave a value from elsewhere");
		if (!within(v, d) || (d->type != JSON_OBJECT &&
		    d->type != JSON_ARRAY))
			FUZZ_FAIL("clarify_data gave %s",
			    json_typename(d->type));
	}
	json_close(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	s = fuzz_copy(data, size);
	check_ids(s, size);
	check_credentials(s, size);
	check_data(s, size);
	free(s);
	return 0;
}
