/*
 * test_mail.c - encoded-words, quoted-printable, dates, folding and
 * addresses of lib/mail.c.
 *
 * Encoded output is checked two ways: against text worked out by hand
 * for short cases, and, for long ones, by decoding it again with the
 * small decoders below and comparing with what went in.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "timestamp.h"
#include "unit.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode one Q encoded-word, W of LEN bytes, onto OUT.  Returns 0, or -1
 * when W is not "=?UTF-8?Q?...?=" with valid Q text inside.
 */
static int
q_decode(struct mail_buf *out, const char *w, size_t len)
{
	size_t i;
	int hi, lo;
	char c;

	if (len < 12 || strncmp(w, "=?UTF-8?Q?", 10) != 0 ||
	    strncmp(w + len - 2, "?=", 2) != 0)
		return -1;
	for (i = 10; i < len - 2; i++) {
		if (w[i] == '_') {
			c = ' ';
		} else if (w[i] == '=') {
			if (i + 2 >= len - 2 || (hi = hexval(w[i + 1])) < 0 ||
			    (lo = hexval(w[i + 2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			i += 2;
		} else if (w[i] == '?' || w[i] == ' ') {
			return -1;
		} else {
			c = w[i];
		}
		mail_buf_add(out, &c, 1);
	}
	return 0;
}

/* Is every character of the LEN bytes at S whole, valid UTF-8? */
static int
utf8_whole(const char *s, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n)
		if ((n = mail_utf8(s + i, len - i)) == 0)
			return 0;
	return 1;
}

/*
 * Check header H (one header, folded, CRLF line ends): every line at
 * most MAXCOL columns and no line white space alone; continuation lines
 * start with white space.  Unfold it into *U (the CRLFs removed).
 */
static void
check_folded(const char *h, size_t maxcol, struct mail_buf *u)
{
	const char *p = h, *nl;
	size_t n, i;
	int first = 1, blank;

	while ((nl = strstr(p, "\r\n")) != NULL) {
		n = (size_t)(nl - p);
		CHECK(n <= maxcol);
		if (!first)
			CHECK(n > 0 && (p[0] == ' ' || p[0] == '\t'));
		for (blank = 1, i = 0; i < n; i++)
			if (p[i] != ' ' && p[i] != '\t')
				blank = 0;
		CHECK(!blank);
		mail_buf_add(u, p, n);
		p = nl + 2;
		first = 0;
	}
	CHECK(*p == '\0');
}

/*
 * Decode an unfolded Subject value made of encoded-words separated by
 * single spaces; check each word is at most 75 characters and decodes to
 * whole UTF-8 characters on its own.
 */
static void
check_words(const char *v, struct mail_buf *out)
{
	struct mail_buf one = { NULL, 0, 0, 0 };
	const char *sp;
	size_t n;

	for (;;) {
		sp = strchr(v, ' ');
		n = sp != NULL ? (size_t)(sp - v) : strlen(v);
		CHECK(n <= MAIL_WORD_MAX);
		one.len = 0;
		CHECK(q_decode(&one, v, n) == 0);
		CHECK(utf8_whole(one.data, one.len));
		mail_buf_add(out, one.data, one.len);
		if (sp == NULL)
			break;
		v = sp + 1;
	}
	mail_buf_free(&one);
}

/* The header SUBJECT makes, as mail_add_text writes it with CRLF. */
static char *
subject(const char *value)
{
	struct mail_msg m;
	struct err e;
	char *s = NULL;

	mail_init(&m, "\r\n");
	if (mail_add_text(&m, "Subject", value, &e) == 0) {
		s = m.buf.data;
		m.buf.data = NULL;
	}
	mail_free(&m);
	return s;
}

static void
test_utf8(void)
{
	CHECK(mail_utf8("a", 1) == 1);
	CHECK(mail_utf8("\xc3\xa9", 2) == 2);
	CHECK(mail_utf8("\xe2\x82\xac", 3) == 3);
	CHECK(mail_utf8("\xf0\x9f\x94\xa5", 4) == 4);
	CHECK(mail_utf8("\xc3", 1) == 0);		/* cut short */
	CHECK(mail_utf8("\xc0\x80", 2) == 0);		/* overlong NUL */
	CHECK(mail_utf8("\xe0\x80\xaf", 3) == 0);	/* overlong '/' */
	CHECK(mail_utf8("\xed\xa0\x80", 3) == 0);	/* surrogate */
	CHECK(mail_utf8("\xf4\x90\x80\x80", 4) == 0);	/* > U+10FFFF */
	CHECK(mail_utf8("\x80", 1) == 0);
	CHECK(mail_utf8("\xff", 1) == 0);
}

static void
test_check_text(void)
{
	struct err e;

	CHECK(mail_check_text("subject", "ok\ttab", 6, &e) == 0);
	CHECK(mail_check_text("subject", "Temp\xc3\xa9rature", 12, &e) == 0);
	CHECK(mail_check_text("subject", "a\nb", 3, &e) == -1);
	CHECK_STR(e.msg, "subject contains a line break");
	CHECK(mail_check_text("item name", "a\rb", 3, &e) == -1);
	CHECK_STR(e.msg, "item name contains a line break");
	CHECK(mail_check_text("subject", "a\033b", 3, &e) == -1);
	CHECK_STR(e.msg, "subject contains a control character");
	CHECK(mail_check_text("subject", "a\xe9t\xe9", 4, &e) == -1);
	CHECK_STR(e.msg, "subject is not valid UTF-8");
}

static void
test_words(void)
{
	static const char temp[] = "Temp\xc3\xa9rature \xc3\xa9lev\xc3\xa9" "e";
	struct mail_buf u = { NULL, 0, 0, 0 }, d = { NULL, 0, 0, 0 };
	struct mail_buf long_text = { NULL, 0, 0, 0 };
	char *h;
	int i;

	/* ASCII is left alone. */
	h = subject("Anomaly detected in Boiler 3");
	CHECK_STR(h, "Subject: Anomaly detected in Boiler 3\r\n");
	free(h);

	/* Non-ASCII becomes one Q word here, and decodes back. */
	h = subject(temp);
	CHECK_STR(h, "Subject: =?UTF-8?Q?Temp=C3=A9rature_=C3=A9lev=C3=A9e?="
	    "\r\n");
	if (h != NULL) {
		check_folded(h, MAIL_LINE_SOFT, &u);
		check_words(u.data + 9, &d);
		CHECK(d.len == strlen(temp) &&
		    memcmp(d.data, temp, d.len) == 0);
	}
	free(h);

	/* Text that would read as an encoded-word is encoded itself. */
	h = subject("see =?x?=");
	CHECK_STR(h, "Subject: =?UTF-8?Q?see_=3D=3Fx=3F=3D?=\r\n");
	free(h);

	/*
	 * A long subject of two- and four-byte characters: several words,
	 * none over 75 characters or splitting a character, every line
	 * within 78 columns, and the same text after decoding.
	 */
	for (i = 0; i < 12; i++) {
		mail_buf_str(&long_text, temp);
		mail_buf_str(&long_text, " \xf0\x9f\x94\xa5 ");
	}
	h = subject(long_text.data);
	CHECK(h != NULL);
	if (h != NULL) {
		u.len = d.len = 0;
		check_folded(h, MAIL_LINE_SOFT, &u);
		CHECK(strncmp(u.data, "Subject: ", 9) == 0);
		CHECK(strchr(u.data + 9, ' ') != NULL);	/* several words */
		check_words(u.data + 9, &d);
		CHECK(d.len == long_text.len &&
		    memcmp(d.data, long_text.data, d.len) == 0);
	}
	free(h);

	/*
	 * The first word fits the room left on its line, when that room
	 * holds a character at all.
	 */
	u.len = 0;
	CHECK(mail_encode_words(&u, "\xc3\xa9\xc3\xa9\xc3\xa9", 6, 29) == 0);
	CHECK_STR(u.data, "=?UTF-8?Q?=C3=A9=C3=A9?= =?UTF-8?Q?=C3=A9?=");
	u.len = 0;
	CHECK(mail_encode_words(&u, "\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5", 8,
	    24) == 0);
	CHECK_STR(u.data, "=?UTF-8?Q?=F0=9F=94=A5?= =?UTF-8?Q?=F0=9F=94=A5?=");
	u.len = 0;
	CHECK(mail_encode_words(&u, "\xf0\x9f\x94\xa5\xf0\x9f\x94\xa5", 8,
	    23) == 0);
	CHECK_STR(u.data, "=?UTF-8?Q?=F0=9F=94=A5=F0=9F=94=A5?=");

	mail_buf_free(&u);
	mail_buf_free(&d);
	mail_buf_free(&long_text);
}

static void
test_fold_text(void)
{
	struct mail_buf u = { NULL, 0, 0, 0 }, want = { NULL, 0, 0, 0 };
	char *h;
	int i;

	/* A long ASCII subject folds at its spaces and unfolds exactly. */
	mail_buf_str(&want, "Subject: ");
	for (i = 0; i < 30; i++)
		mail_buf_str(&want, i == 7 ? "two  spaces " : "word ");
	mail_buf_str(&want, "end");
	h = subject(want.data + 9);
	CHECK(h != NULL);
	if (h != NULL) {
		CHECK(strstr(h, "\r\n ") != NULL);
		check_folded(h, MAIL_LINE_SOFT, &u);
		CHECK_STR(u.data, want.data);
	}
	free(h);

	/*
	 * One word too long to fold under 998 bytes is encoded, which
	 * can be cut anywhere.
	 */
	want.len = 0;
	for (i = 0; i < 1200; i++)
		mail_buf_add(&want, "x", 1);
	h = subject(want.data);
	CHECK(h != NULL && strncmp(h, "Subject: =?UTF-8?Q?", 19) == 0);
	if (h != NULL) {
		u.len = 0;
		check_folded(h, MAIL_LINE_SOFT, &u);
	}
	free(h);

	mail_buf_free(&u);
	mail_buf_free(&want);
}

static void
test_addrs(void)
{
	static const char *good[] = {
		"ops@example.org",
		"first.last+tag@sub.example.org",
		"x@[192.0.2.1]",
		"Jane Doe <jane@example.org>",
		"  <bare@example.org>  ",
		"\"Doe, Jane\" <jane@example.org>",
	};
	static const struct {
		const char *addr;
		const char *msg;
	} bad[] = {
		{ "", "bad address \"\": empty address" },
		{ "ops", "bad address \"ops\": no @" },
		{ "a@@b", "bad address \"a@@b\": more than one @" },
		{ "a@b@c", "bad address \"a@b@c\": more than one @" },
		{ "a b@c", "bad address \"a b@c\": contains white space" },
		{ "a@", "bad address \"a@\": empty domain" },
		{ "@b", "bad address \"@b\": empty local part" },
		{ "a..b@c", "bad address \"a..b@c\": misplaced dot" },
		{ "a@b.", "bad address \"a@b.\": misplaced dot" },
		{ "<a@b", "bad address \"<a@b\": '<' not allowed" },
		{ "a@b>", "bad address \"a@b>\": '>' without '<'" },
		{ "a@b\r\nBcc: x@y", "bad address: contains a line break" },
		{ "j\xc3\xbcrgen@example.org",
		    "bad address \"j\xc3\xbcrgen@example.org\": contains a"
		    " non-ASCII character" },
		{ "Ops\n <ops@x>",
		    "display name contains a line break" },
		{ "a\"b <a@b>",
		    "bad address \"a\"b <a@b>\": unterminated quote" },
		{ "a\"b\" <a@b>",
		    "bad address: '\"' in the display name" },
		{ "x@[1.2.3.4", "bad address \"x@[1.2.3.4\": unterminated"
		    " domain literal" },
	};
	struct mail_addr a, *v = NULL;
	struct err e;
	size_t i, n = 0;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		CHECK(mail_addr_parse(&a, good[i], strlen(good[i]), &e) == 0);
		free(a.name);
		free(a.spec);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		CHECK(mail_addr_parse(&a, bad[i].addr, strlen(bad[i].addr),
		    &e) == -1);
		CHECK_STR(e.msg, bad[i].msg);
	}

	CHECK(mail_addr_parse(&a, "\"Doe, \\\"J\\\"\" <j@x.org>", 22,
	    &e) == 0);
	CHECK_STR(a.name, "Doe, \"J\"");
	CHECK_STR(a.spec, "j@x.org");
	CHECK_STR(mail_addr_domain(&a), "x.org");
	free(a.name);
	free(a.spec);

	/* Lists: commas inside quotes do not split. */
	CHECK(mail_addr_list(&v, &n, "a@x.org, \"Doe, Jane\" <j@x.org>",
	    &e) == 0);
	CHECK(mail_addr_list(&v, &n, "b@x.org", &e) == 0);
	CHECK(n == 3);
	if (n == 3) {
		CHECK(v[0].name == NULL);
		CHECK_STR(v[0].spec, "a@x.org");
		CHECK_STR(v[1].name, "Doe, Jane");
		CHECK_STR(v[1].spec, "j@x.org");
		CHECK_STR(v[2].spec, "b@x.org");
	}
	CHECK(mail_addr_list(&v, &n, "c@x.org,,d@x.org", &e) == -1);
	CHECK_STR(e.msg, "bad address: empty member in the list"
	    " \"c@x.org,,d@x.org\"");
	CHECK(mail_addr_list(&v, &n, "\"Doe, Jane <j@x.org>", &e) == -1);
	CHECK_STR(e.msg, "bad address \"\"Doe, Jane <j@x.org>\":"
	    " unterminated quote");
	CHECK(n == 4);		/* c@x.org went in before the error */
	mail_addr_free(v, n);
}

static void
test_addr_header(void)
{
	struct mail_buf u = { NULL, 0, 0, 0 };
	struct mail_addr *v = NULL;
	struct mail_msg m;
	struct err e;
	size_t n = 0;
	int i;

	/* Names: bare, quoted, escaped and encoded as each needs. */
	CHECK(mail_addr_list(&v, &n, "Jane Doe <j@x.org>,"
	    " \"Doe, J.\" <d@x.org>, \"a \\\"b\\\"\" <ab@x.org>,"
	    " J\xc3\xbcrgen <ju@x.org>", &e) == 0);
	mail_init(&m, "\r\n");
	CHECK(mail_add_addrs(&m, "To", v, n, &e) == 0);
	u.len = 0;
	check_folded(m.buf.data, MAIL_LINE_SOFT, &u);
	CHECK_STR(u.data, "To: Jane Doe <j@x.org>, \"Doe, J.\" <d@x.org>,"
	    " \"a \\\"b\\\"\" <ab@x.org>, =?UTF-8?Q?J=C3=BCrgen?= <ju@x.org>");
	mail_free(&m);
	mail_addr_free(v, n);

	/* Many recipients: folded after commas, each line within 78. */
	v = NULL;
	n = 0;
	for (i = 0; i < 20; i++)
		CHECK(mail_addr_list(&v, &n,
		    "operator.on.duty@plant.example.org", &e) == 0);
	mail_init(&m, "\r\n");
	CHECK(mail_add_addrs(&m, "To", v, n, &e) == 0);
	CHECK(strstr(m.buf.data, ",\r\n operator") != NULL);
	CHECK(strstr(m.buf.data, "org\r\n ") == NULL);	/* only at commas */
	u.len = 0;
	check_folded(m.buf.data, MAIL_LINE_SOFT, &u);
	CHECK(u.len == 3 + 20 * (1 + 34 + 1) - 1);
	mail_free(&m);
	mail_addr_free(v, n);

	mail_init(&m, "\r\n");
	CHECK(mail_add_addrs(&m, "To", NULL, 0, &e) == -1);
	CHECK(mail_add_raw(&m, "Bad Name", "x", &e) == -1);
	CHECK(mail_add_raw(&m, "X-Test", "a\r\nb", &e) == -1);
	CHECK_STR(e.msg, "header value contains a line break");
	mail_free(&m);
	mail_buf_free(&u);
}

/* Decode quoted-printable S with CRLF line ends onto OUT (LF ends). */
static int
qp_decode(struct mail_buf *out, const char *s)
{
	int hi, lo;
	char c;

	while (*s != '\0') {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 3;
		} else if (s[0] == '=') {
			if ((hi = hexval(s[1])) < 0 || (lo = hexval(s[2])) < 0)
				return -1;
			c = (char)(hi * 16 + lo);
			mail_buf_add(out, &c, 1);
			s += 3;
		} else if (s[0] == '\r' && s[1] == '\n') {
			mail_buf_add(out, "\n", 1);
			s += 2;
		} else {
			mail_buf_add(out, s++, 1);
		}
	}
	return 0;
}

/*
 * Every line of S (CRLF ends) at most 76 characters, none ends in WSP,
 * none starts with a dot.
 */
static void
check_qp_lines(const char *s)
{
	const char *nl;
	size_t n;

	while ((nl = strstr(s, "\r\n")) != NULL) {
		n = (size_t)(nl - s);
		CHECK(n <= 76);
		if (n > 0)
			CHECK(s[n - 1] != ' ' && s[n - 1] != '\t');
		CHECK(s[0] != '.');
		s = nl + 2;
	}
	CHECK(strlen(s) <= 76);
	CHECK(s[0] != '.');
}

static void
test_qp(void)
{
	struct mail_buf b = { NULL, 0, 0, 0 }, d = { NULL, 0, 0, 0 };
	struct mail_buf in = { NULL, 0, 0, 0 };
	int i;

	CHECK(mail_qp(&b, "a=b\n", 4, "\r\n") == 0);
	CHECK_STR(b.data, "a=3Db\r\n");

	/* Trailing white space is encoded, inner white space is not. */
	b.len = 0;
	mail_qp(&b, "a b \nc\t\n", 8, "\r\n");
	CHECK_STR(b.data, "a b=20\r\nc=09\r\n");

	/* CRLF in the text is a line break; a lone CR is encoded. */
	b.len = 0;
	mail_qp(&b, "x\r\ny\rz", 6, "\r\n");
	CHECK_STR(b.data, "x\r\ny=0Dz");
	b.len = 0;
	mail_qp(&b, "x\r\ny", 4, "\n");
	CHECK_STR(b.data, "x\ny");

	/* Non-ASCII bytes are encoded. */
	b.len = 0;
	mail_qp(&b, "\xc3\xa9", 2, "\r\n");
	CHECK_STR(b.data, "=C3=A9");

	/* 100 characters: 75 and a soft break, then the rest. */
	for (i = 0; i < 100; i++)
		mail_buf_add(&in, "x", 1);
	b.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	CHECK(b.len == 75 + 3 + 25);
	CHECK(b.len > 78 && strncmp(b.data + 75, "=\r\n", 3) == 0);

	/* Exactly 76 fit on a line without a soft break. */
	in.len = 76;
	b.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	CHECK(b.len == 76 && strchr(b.data, '=') == NULL);

	/* "=3D" is not split by a soft break. */
	in.len = 74;
	mail_buf_str(&in, "==");
	b.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	CHECK(b.len > 75 && strcmp(b.data + 74, "=\r\n=3D=3D") == 0);

	/* Round trip of a long mixed text. */
	in.len = 0;
	for (i = 0; i < 40; i++)
		mail_buf_str(&in, "Temp\xc3\xa9rature = 97.5 \t ");
	mail_buf_str(&in, "\nshort line \n\n=\n");
	b.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	check_qp_lines(b.data);
	CHECK(qp_decode(&d, b.data) == 0);
	CHECK(d.len == in.len && memcmp(d.data, in.data, in.len) == 0);

	/*
	 * A dot that starts a line is encoded, whether the line starts
	 * after a break in the text or after a soft break; other dots
	 * are not.
	 */
	b.len = 0;
	mail_qp(&b, ".\na.b\n..\n.", 10, "\r\n");
	CHECK_STR(b.data, "=2E\r\na.b\r\n=2E.\r\n=2E");
	in.len = 0;
	for (i = 0; i < 75; i++)
		mail_buf_add(&in, "x", 1);
	mail_buf_str(&in, ".y");
	b.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	CHECK(b.len == 75 + 3 + 4 && strcmp(b.data + 75, "=\r\n=2Ey") == 0);

	/*
	 * Dots at every offset from a soft break: no encoded line starts
	 * with one, and the text decodes back whole.
	 */
	in.len = 0;
	for (i = 0; i < 300; i++) {
		mail_buf_add(&in, i % 7 == 0 ? "." : "x", 1);
		if (i % 97 == 96)
			mail_buf_str(&in, "\n.\n");
	}
	b.len = d.len = 0;
	mail_qp(&b, in.data, in.len, "\r\n");
	check_qp_lines(b.data);
	CHECK(qp_decode(&d, b.data) == 0);
	CHECK(d.len == in.len && memcmp(d.data, in.data, in.len) == 0);

	CHECK(mail_is_7bit("plain\ntext\n", 11));
	CHECK(mail_is_7bit("a.b\n", 4));
	CHECK(!mail_is_7bit(".\n", 2));
	CHECK(!mail_is_7bit("a\r\n.b\r\n", 8));
	CHECK(mail_is_7bit("crlf\r\ntext\r\n", 12));
	CHECK(!mail_is_7bit("trailing \n", 10));
	CHECK(!mail_is_7bit("bare\rcr", 7));
	CHECK(!mail_is_7bit("caf\xc3\xa9\n", 6));
	in.len = 0;
	for (i = 0; i < 79; i++)
		mail_buf_add(&in, "x", 1);
	CHECK(!mail_is_7bit(in.data, in.len));
	CHECK(mail_is_7bit(in.data, 78));

	mail_buf_free(&b);
	mail_buf_free(&d);
	mail_buf_free(&in);
}

static void
test_date(void)
{
	static const struct {
		const char *rfc3339;
		const char *want;
	} cases[] = {
		{ "1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 +0000" },
		{ "2026-12-04T17:18:16+01:00",
		    "Fri, 04 Dec 2026 16:18:16 +0000" },
		{ "2024-02-29T12:00:00.999Z",
		    "Thu, 29 Feb 2024 12:00:00 +0000" },
		{ "2000-02-29T23:59:59Z", "Tue, 29 Feb 2000 23:59:59 +0000" },
		{ "2100-03-01T00:00:00Z", "Mon, 01 Mar 2100 00:00:00 +0000" },
		{ "1969-12-31T23:59:59.5Z",
		    "Wed, 31 Dec 1969 23:59:59 +0000" },
		{ "1900-01-01T00:00:00Z", "Mon, 01 Jan 1900 00:00:00 +0000" },
		{ "9999-12-31T23:59:59.999999Z",
		    "Fri, 31 Dec 9999 23:59:59 +0000" },
	};
	char buf[MAIL_DATE_BUFSZ];
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		CHECK(time_parse(cases[i].rfc3339, strlen(cases[i].rfc3339),
		    &us) == NULL);
		CHECK(mail_date(buf, us) == strlen(cases[i].want));
		CHECK_STR(buf, cases[i].want);
	}
	CHECK(mail_date(buf, MAIL_DATE_MIN) == 31);
	CHECK_STR(buf, "Mon, 01 Jan 1900 00:00:00 +0000");
	CHECK(mail_date(buf, 1796401096LL * 1000000) == 31);
	CHECK_STR(buf, "Fri, 04 Dec 2026 16:18:16 +0000");
}

static void
test_message_id(void)
{
	struct mail_buf b = { NULL, 0, 0, 0 };
	int64_t us;

	/* FNV-1a of nothing and of "a", the published test values. */
	CHECK(mail_hash(MAIL_HASH_INIT, "", 0) == 0xcbf29ce484222325ULL);
	CHECK(mail_hash(MAIL_HASH_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(mail_hash(mail_hash(MAIL_HASH_INIT, "a", 1), "b", 1) ==
	    mail_hash(MAIL_HASH_INIT, "ab", 2));

	CHECK(time_parse("2026-12-04T16:18:16.25Z", 23, &us) == NULL);
	CHECK(mail_message_id(&b, us, 0xaf63dc4c8601ec8cULL,
	    "example.org") == 0);
	CHECK_STR(b.data, "<20261204161816.250000.af63dc4c8601ec8c"
	    "@example.org>");
	mail_buf_free(&b);
}

static void
test_message(void)
{
	struct mail_addr *from = NULL;
	struct mail_msg m;
	struct err e;
	size_t n = 0;
	const char *body;

	CHECK(mail_addr_list(&from, &n, "plant@example.org", &e) == 0);
	mail_init(&m, "\r\n");
	CHECK(mail_add_addrs(&m, "From", from, n, &e) == 0);
	CHECK(mail_add_text(&m, "Subject", "Hi", &e) == 0);
	CHECK(mail_set_text(&m, "one\ntwo", 7, &e) == 0);
	CHECK_STR(m.buf.data, "From: plant@example.org\r\n"
	    "Subject: Hi\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: 7bit\r\n"
	    "\r\n"
	    "one\r\ntwo\r\n");
	CHECK(mail_add_text(&m, "Subject", "late", &e) == -1);
	CHECK_STR(e.msg, "header Subject after the body");
	mail_free(&m);

	/* A body that is not ASCII goes out quoted-printable. */
	mail_init(&m, "\n");
	CHECK(mail_set_text(&m, "caf\xc3\xa9 = 1\n", 10, &e) == 0);
	CHECK(strstr(m.buf.data, "Content-Transfer-Encoding: quoted-printable"
	    "\n") != NULL);
	body = strstr(m.buf.data, "\n\n");
	CHECK(body != NULL && strcmp(body, "\n\ncaf=C3=A9 =3D 1\n") == 0);
	mail_free(&m);

	/*
	 * A line that is a lone dot would end the message for sendmail
	 * without -i: the text goes out quoted-printable, the dot encoded.
	 */
	mail_init(&m, "\n");
	CHECK(mail_set_text(&m, "one\n.\ntwo\n", 10, &e) == 0);
	CHECK(strstr(m.buf.data, "Content-Transfer-Encoding: quoted-printable"
	    "\n") != NULL);
	body = strstr(m.buf.data, "\n\n");
	CHECK(body != NULL && strcmp(body, "\n\none\n=2E\ntwo\n") == 0);
	mail_free(&m);

	mail_init(&m, "\n");
	CHECK(mail_set_text(&m, "bad \xff\n", 6, &e) == -1);
	CHECK_STR(e.msg, "body is not valid UTF-8");
	mail_free(&m);
	mail_addr_free(from, n);
}


/* The value of base64 digit C, or -1. */
static int
b64val(int c)
{
	static const char d[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p;

	if (c == '\0' || (p = strchr(d, c)) == NULL)
		return -1;
	return (int)(p - d);
}

/*
 * Decode the base64 lines at S, LEN bytes with LF line ends, onto OUT,
 * checking on the way that every line but the last is MAIL_B64_LINE
 * characters and that padding is only at the very end.  Returns 0 or -1.
 */
static int
b64_decode(struct mail_buf *out, const char *s, size_t len)
{
	size_t i, col = 0, lines = 0, pad = 0;
	unsigned long v = 0;
	int n = 0, d;
	char c;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			if (col == 0 || col > MAIL_B64_LINE || col % 4 != 0)
				return -1;
			if (col < MAIL_B64_LINE && i + 1 < len)
				return -1;
			lines++;
			col = 0;
			continue;
		}
		col++;
		if (s[i] == '=') {
			pad++;
			d = 0;
		} else if (pad > 0 || (d = b64val(s[i])) < 0) {
			return -1;
		}
		v = v << 6 | (unsigned long)d;
		if (++n == 4) {
			c = (char)(v >> 16);
			mail_buf_add(out, &c, 1);
			c = (char)(v >> 8 & 255);
			if (pad < 2)
				mail_buf_add(out, &c, 1);
			c = (char)(v & 255);
			if (pad < 1)
				mail_buf_add(out, &c, 1);
			n = 0;
			v = 0;
		}
	}
	return n == 0 && col == 0 && pad <= 2 ? 0 : -1;
}

static void
test_base64(void)
{
	struct mail_buf b = { NULL, 0, 0, 0 }, d = { NULL, 0, 0, 0 };
	unsigned char data[1000];
	size_t i, len;

	/* RFC 4648, 10: the test vectors. */
	mail_base64(&b, "", 0, "\n");
	CHECK(b.len == 0);
	mail_base64(&b, "f", 1, "\n");
	mail_base64(&b, "fo", 2, "\n");
	mail_base64(&b, "foo", 3, "\n");
	mail_base64(&b, "foob", 4, "\n");
	mail_base64(&b, "fooba", 5, "\n");
	mail_base64(&b, "foobar", 6, "\r\n");
	CHECK_STR(b.data, "Zg==\nZm8=\nZm9v\nZm9vYg==\nZm9vYmE=\n"
	    "Zm9vYmFy\r\n");
	mail_buf_free(&b);

	/* All byte values, every length up to 1000: lines and round trip. */
	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	for (len = 0; len <= sizeof data; len += len < 200 ? 1 : 97) {
		b.len = d.len = 0;
		CHECK(mail_base64(&b, data, len, "\n") == 0);
		CHECK(b64_decode(&d, b.data, b.len) == 0);
		CHECK(d.len == len && (len == 0 ||
		    memcmp(d.data, data, len) == 0));
		CHECK(b.len == (len + 2) / 3 * 4 + (len + 56) / 57);
	}
	/* 57 bytes are exactly one full line. */
	b.len = 0;
	mail_base64(&b, data, 57, "\n");
	CHECK(b.len == 77 && b.data[76] == '\n');
	b.len = 0;
	mail_base64(&b, data, 58, "\n");
	CHECK(b.len == 77 + 5 && b.data[76] == '\n');
	mail_buf_free(&b);
	mail_buf_free(&d);
}

static void
test_html(void)
{
	struct mail_buf b = { NULL, 0, 0, 0 };

	mail_html(&b, "<script>alert(\"x\" & 'y')</script>", 33);
	CHECK_STR(b.data, "&lt;script&gt;alert(&quot;x&quot; &amp; "
	    "&#39;y&#39;)&lt;/script&gt;");
	b.len = 0;
	mail_html(&b, "caf\xc3\xa9 &amp;", 11);
	CHECK_STR(b.data, "caf\xc3\xa9 &amp;amp;");
	b.len = 0;
	mail_html(&b, "plain", 5);
	CHECK_STR(b.data, "plain");
	b.len = 0;
	mail_html(&b, "", 0);
	CHECK(b.len == 0);
	mail_buf_free(&b);
}

/* The line that starts with PREFIX in S, up to its end, into a buffer. */
static char *
line_of(const char *s, const char *prefix)
{
	static char line[256];
	const char *p = s, *nl;
	size_t n = strlen(prefix);

	for (; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		nl = strchr(p, '\n');
		if (strncmp(p, prefix, n) == 0) {
			n = nl != NULL ? (size_t)(nl - p) : strlen(p);
			if (n >= sizeof line)
				n = sizeof line - 1;
			memcpy(line, p, n);
			line[n] = '\0';
			return line;
		}
	}
	return NULL;
}

static void
test_parts(void)
{
	struct mail_part *mixed, *rel, *alt, *t, *h, *img;
	struct mail_buf d = { NULL, 0, 0, 0 };
	struct mail_msg m, m2;
	unsigned char png[200];
	const char *p, *q;
	char want[128], *ct;
	struct err e;
	size_t i, nl;

	for (i = 0; i < sizeof png; i++)
		png[i] = (unsigned char)(255 - i);

	CHECK(mail_part_text("plain/x", "a", 1, &e) == NULL);
	CHECK_STR(e.msg, "bad text subtype \"plain/x\"");
	CHECK(mail_part_text("plain", "bad \xff", 5, &e) == NULL);
	CHECK_STR(e.msg, "text/plain part is not valid UTF-8");
	CHECK(mail_part_multi("", &e) == NULL);
	CHECK(mail_part_data("image/png\n", png, 1, &e) == NULL);

	/* A leaf is not a multipart, and Content-Type is the part's. */
	t = mail_part_text("plain", "x\n", 2, &e);
	h = mail_part_text("plain", "y\n", 2, &e);
	CHECK(t != NULL && h != NULL);
	CHECK(mail_part_add(t, h, &e) == -1);
	CHECK_STR(e.msg, "text/plain is not a multipart");
	CHECK(mail_part_header(h, "content-type", "text/html", &e) == -1);
	CHECK(mail_part_header(h, "Content-ID", "<a\r\nBcc: x>", &e) == -1);
	mail_part_free(t);
	mail_part_free(h);

	/*
	 * The tree the alert has: mixed(related(alternative(plain, html),
	 * image), image).  The plain text holds a would-be boundary stem
	 * of its own, which is 7bit and must not clash.
	 */
	mixed = mail_part_multi("mixed", &e);
	rel = mail_part_multi("related", &e);
	alt = mail_part_multi("alternative", &e);
	t = mail_part_text("plain", "one\n--=_0123456789abcdef_0_\n", 28, &e);
	h = mail_part_text("html", "<p>caf\xc3\xa9</p>\n", 13, &e);
	img = mail_part_data("image/png; name=\"plot.png\"", png, sizeof png,
	    &e);
	CHECK(mixed && rel && alt && t && h && img);
	CHECK(mail_part_header(img, "Content-ID", "<plot@example.org>",
	    &e) == 0);
	CHECK(mail_part_add(alt, t, &e) == 0);
	CHECK(mail_part_add(alt, h, &e) == 0);
	CHECK(mail_part_add(rel, alt, &e) == 0);
	CHECK(mail_part_add(rel, img, &e) == 0);
	CHECK(mail_part_add(mixed, rel, &e) == 0);
	img = mail_part_data("image/png", png, sizeof png, &e);
	CHECK(mail_part_header(img, "Content-Disposition",
	    "attachment; filename=\"plot.png\"", &e) == 0);
	CHECK(mail_part_add(mixed, img, &e) == 0);

	mail_init(&m, "\n");
	CHECK(mail_add_raw(&m, "Subject", "parts", &e) == 0);
	CHECK(mail_set_part(&m, mixed, &e) == 0);
	CHECK(mail_add_raw(&m, "X-Late", "1", &e) == -1);
	p = m.buf.data;
	CHECK(strncmp(p, "Subject: parts\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/mixed; boundary=\"=_", 75) == 0);

	/* Four boundaries, numbered in order, each opened and closed. */
	ct = line_of(p, "Content-Type: multipart/mixed");
	CHECK(ct != NULL && strlen(ct) == 41 + 21 + 1);
	q = ct != NULL ? strstr(ct, "=_") : NULL;
	if (q != NULL) {
		snprintf(want, sizeof want, "--%.18s_2_", q);
		CHECK(line_of(p, want) != NULL);
		snprintf(want, sizeof want, "--%.18s_1_--", q);
		CHECK(line_of(p, want) != NULL);
		snprintf(want, sizeof want, "--%.18s_0_--", q);
		CHECK(line_of(p, want) != NULL);
		/* The stem is not the one the text holds. */
		CHECK(strncmp(q, "=_0123456789abcdef", 18) != 0);
	}
	CHECK(line_of(p, "Content-Type: multipart/related;"
	    " type=\"multipart/alternative\";") != NULL);
	CHECK(line_of(p, "Content-Type: text/html; charset=UTF-8") != NULL);
	CHECK(strstr(p, "\nContent-Transfer-Encoding: quoted-printable\n\n"
	    "<p>caf=C3=A9</p>\n") != NULL);
	/* A blank line before the delimiter keeps the text's last LF. */
	CHECK(strstr(p, "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 7bit\n\none\n--=_0123456789abcdef_0_\n"
	    "\n--=_") != NULL);
	CHECK(strstr(p, "Content-Type: image/png; name=\"plot.png\"\n"
	    "Content-Transfer-Encoding: base64\n"
	    "Content-ID: <plot@example.org>\n\n") != NULL);

	/* The image decodes to its bytes. */
	q = strstr(p, "Content-Disposition: attachment; filename=\"plot.png\""
	    "\n\n");
	CHECK(q != NULL);
	if (q != NULL) {
		q = strstr(q, "\n\n") + 2;
		CHECK(b64_decode(&d, q, (size_t)(strstr(q, "\n--") - q)) ==
		    0);
		CHECK(d.len == sizeof png && memcmp(d.data, png,
		    sizeof png) == 0);
	}

	/* The same tree, the same bytes; CRLF throughout when asked. */
	mail_init(&m2, "\n");
	CHECK(mail_add_raw(&m2, "Subject", "parts", &e) == 0);
	CHECK(mail_set_part(&m2, mixed, &e) == 0);
	CHECK(m.buf.len == m2.buf.len && strcmp(m.buf.data, m2.buf.data) == 0);
	mail_free(&m2);
	mail_init(&m2, "\r\n");
	CHECK(mail_add_raw(&m2, "Subject", "parts", &e) == 0);
	CHECK(mail_set_part(&m2, mixed, &e) == 0);
	for (i = 0; i < m2.buf.len; i++)
		if (m2.buf.data[i] == '\n' && (i == 0 ||
		    m2.buf.data[i - 1] != '\r'))
			break;
	CHECK(i == m2.buf.len);
	for (i = 0, nl = 0; i < m.buf.len; i++)
		nl += m.buf.data[i] == '\n';
	CHECK(m2.buf.len == m.buf.len + nl);
	mail_free(&m2);

	/* A change anywhere changes the hash, nesting too. */
	CHECK(mail_part_hash(MAIL_HASH_INIT, mixed) !=
	    mail_part_hash(MAIL_HASH_INIT, rel));

	/* A multipart without parts cannot be written. */
	alt = mail_part_multi("alternative", &e);
	mail_init(&m2, "\n");
	CHECK(mail_set_part(&m2, alt, &e) == -1);
	CHECK_STR(e.msg, "multipart/alternative without parts");
	mail_free(&m2);
	mail_part_free(alt);

	mail_free(&m);
	mail_part_free(mixed);
	mail_buf_free(&d);
}

int
main(void)
{
	test_utf8();
	test_check_text();
	test_words();
	test_fold_text();
	test_addrs();
	test_addr_header();
	test_qp();
	test_date();
	test_message_id();
	test_message();
	test_base64();
	test_html();
	test_parts();
	return unit_done();
}
