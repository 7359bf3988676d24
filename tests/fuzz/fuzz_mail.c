/*
 * fuzz_mail.c - addresses, headers and bodies of lib/mail.h under
 * libFuzzer.
 *
 * The input is parsed as a list of addresses, used as a Subject and as a
 * body.  Checked:
 *
 *  - every address parsed is local@domain within the limits of mail.h,
 *    and written back as "\"Name\" <spec>" parses to the same;
 *  - a header made of them, or of the text, is one header: printable
 *    ASCII, CRLF only before the white space of a folded line, no line
 *    longer than 998 bytes; and the Subject, unfolded and its
 *    encoded-words decoded, is the text given;
 *  - the quoted-printable body decodes to the text with its line breaks
 *    made CRLF, has no line longer than 76, none that starts with a dot
 *    or ends in white space; mail_is_7bit agrees with its definition.
 */
#include "fuzz.h"
#include "mail.h"

static void
check_addr(const struct mail_addr *a)
{
	size_t n = strlen(a->spec), i, at = 0;
	const char *p;

	for (i = 0; i < n; i++) {
		if ((unsigned char)a->spec[i] <= ' ' ||
		    (unsigned char)a->spec[i] >= 0x7f)
			FUZZ_FAIL("address \"%s\"", a->spec);
		at += a->spec[i] == '@';
	}
	p = strchr(a->spec, '@');
	if (at != 1 || n > MAIL_ADDR_MAX || p == a->spec || p[1] == '\0')
		FUZZ_FAIL("address \"%s\"", a->spec);
	if (strcmp(mail_addr_domain(a), p + 1) != 0)
		FUZZ_FAIL("domain of \"%s\"", a->spec);
	if (a->name == NULL)
		return;
	n = strlen(a->name);
	if (n > MAIL_NAME_MAX || !fuzz_utf8(a->name, n))
		FUZZ_FAIL("display name of %zu bytes", n);
	for (i = 0; i < n; i++)
		if (((unsigned char)a->name[i] < 0x20 && a->name[i] != '\t') ||
		    a->name[i] == 0x7f)
			FUZZ_FAIL("a control character in a display name");
}

/* One header of M from START: printable, folded, lines within limits. */
static void
check_header(const struct mail_msg *m, size_t start, const char *name)
{
	const char *s = m->buf.data + start, *end = m->buf.data + m->buf.len;
	size_t col = 0;

	if ((size_t)(end - s) < strlen(name) + 4 ||
	    memcmp(s, name, strlen(name)) != 0 || s[strlen(name)] != ':')
		FUZZ_FAIL("header does not start with \"%s:\"", name);
	for (; s < end; s++) {
		if (*s == '\r') {
			if (s + 1 == end || s[1] != '\n')
				FUZZ_FAIL("a CR without LF in %s", name);
			s++;
			if (s + 1 != end && s[1] != ' ' && s[1] != '\t')
				FUZZ_FAIL("a second header after %s", name);
			col = 0;
			continue;
		}
		if ((*s < ' ' && *s != '\t') || (unsigned char)*s >= 0x7f)
			FUZZ_FAIL("byte 0x%02x in %s", (unsigned char)*s,
			    name);
		if (++col > MAIL_LINE_MAX)
			FUZZ_FAIL("a line longer than %d in %s",
			    MAIL_LINE_MAX, name);
	}
	if (end - m->buf.data < 2 || end[-1] != '\n' || end[-2] != '\r')
		FUZZ_FAIL("%s does not end with CRLF", name);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode the encoded-word at S, N bytes, onto B; 0 when it is none. */
static int
decode_word(struct mail_buf *b, const char *s, size_t n)
{
	const char *q;
	size_t i;
	int h, l;
	char c;

	if (n < 8 || memcmp(s, "=?", 2) != 0 ||
	    memcmp(s + n - 2, "?=", 2) != 0)
		return 0;
	if ((q = memchr(s + 2, '?', n - 4)) == NULL || q + 3 > s + n - 2 ||
	    (q[1] != 'Q' && q[1] != 'q') || q[2] != '?')
		return 0;
	if (n > MAIL_WORD_MAX)
		FUZZ_FAIL("an encoded-word of %zu characters", n);
	for (i = (size_t)(q + 3 - s); i < n - 2; i++) {
		c = s[i];
		if (c == '_')
			c = ' ';
		else if (c == '=') {
			if (i + 2 >= n - 2 || (h = hexval(s[i + 1])) < 0 ||
			    (l = hexval(s[i + 2])) < 0)
				FUZZ_FAIL("a bad escape in an encoded-word");
			c = (char)(h << 4 | l);
			i += 2;
		} else if (c == '?' || c == ' ')
			FUZZ_FAIL("'%c' in an encoded-word", c);
		mail_buf_add(b, &c, 1);
	}
	return 1;
}

/* The Subject at START of M, unfolded and decoded, is TEXT. */
static void
check_subject(const struct mail_msg *m, size_t start, const char *text)
{
	struct mail_buf v = { NULL, 0, 0, 0 }, d = { NULL, 0, 0, 0 };
	const char *s = m->buf.data + start + strlen("Subject:");
	const char *end = m->buf.data + m->buf.len - 2, *w;
	int words = 1;

	/* Unfold: a CRLF before white space goes. */
	if (s < end && *s == ' ')
		s++;
	for (; s < end; s++)
		if (*s == '\r')
			s++;
		else
			mail_buf_add(&v, s, 1);
	mail_buf_add(&v, "", 0);

	/* Encoded-words, separated by white space, or the text as it is. */
	if (v.len >= 2 && memcmp(v.data, "=?", 2) == 0) {
		for (s = v.data; *s != '\0' && words; s = w) {
			while (*s == ' ' || *s == '\t')
				s++;
			if (*s == '\0')
				break;
			for (w = s; *w != '\0' && *w != ' ' && *w != '\t'; w++)
				;
			words = decode_word(&d, s, (size_t)(w - s));
		}
		mail_buf_add(&d, "", 0);
		if (!words || strcmp(d.data, text) != 0)
			FUZZ_FAIL("Subject \"%s\" decodes as \"%s\"", text,
			    words ? d.data : "(not encoded-words)");
	} else if (strcmp(v.data, text) != 0)
		FUZZ_FAIL("Subject \"%s\" unfolds as \"%s\"", text, v.data);
	mail_buf_free(&v);
	mail_buf_free(&d);
}

static void
check_addrs(const char *s)
{
	struct mail_addr *v = NULL, *w = NULL;
	struct mail_msg m;
	struct mail_buf b = { NULL, 0, 0, 0 };
	struct err e;
	size_t n = 0, nw = 0, i;
	const char *p;

	if (mail_addr_list(&v, &n, s, &e) == -1) {
		if (e.msg[0] == '\0')
			FUZZ_FAIL("an error without a message");
		mail_addr_free(v, n);
		return;
	}
	for (i = 0; i < n; i++) {
		check_addr(&v[i]);
		if (i > 0)
			mail_buf_str(&b, ", ");
		if (v[i].name != NULL) {
			mail_buf_str(&b, "\"");
			for (p = v[i].name; *p != '\0'; p++) {
				if (*p == '"' || *p == '\\')
					mail_buf_add(&b, "\\", 1);
				mail_buf_add(&b, p, 1);
			}
			mail_buf_str(&b, "\" <");
		}
		mail_buf_str(&b, v[i].spec);
		if (v[i].name != NULL)
			mail_buf_str(&b, ">");
	}
	if (n > 0) {
		if (mail_addr_list(&w, &nw, b.data, &e) == -1)
			FUZZ_FAIL("\"%s\" written back does not parse: %s",
			    b.data, e.msg);
		if (nw != n)
			FUZZ_FAIL("%zu addresses written back read as %zu", n,
			    nw);
		for (i = 0; i < n; i++)
			if (strcmp(v[i].spec, w[i].spec) != 0 ||
			    (v[i].name == NULL) != (w[i].name == NULL) ||
			    (v[i].name != NULL &&
			    strcmp(v[i].name, w[i].name) != 0))
				FUZZ_FAIL("address %zu written back as \"%s\""
				    " reads differently", i, b.data);
		mail_init(&m, "\r\n");
		if (mail_add_addrs(&m, "To", v, n, &e) == -1)
			FUZZ_FAIL("mail_add_addrs: %s", e.msg);
		check_header(&m, 0, "To");
		mail_free(&m);
	}
	mail_addr_free(v, n);
	mail_addr_free(w, nw);
	mail_buf_free(&b);
}

static void
check_text(const char *s, size_t len)
{
	struct mail_msg m;
	struct err e;
	int ok;

	ok = mail_check_text("text", s, len, &e) == 0;
	if (ok != (fuzz_utf8(s, len) && strcspn(s, "\x01\x02\x03\x04\x05"
	    "\x06\x07\x08\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15"
	    "\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f\x7f") == len))
		FUZZ_FAIL("mail_check_text gave %d", ok);
	mail_init(&m, "\r\n");
	if (mail_add_text(&m, "Subject", s, &e) == 0) {
		if (!ok)
			FUZZ_FAIL("mail_add_text took what mail_check_text "
			    "refuses");
		check_header(&m, 0, "Subject");
		check_subject(&m, 0, s);
	} else if (ok)
		FUZZ_FAIL("mail_add_text refused a text: %s", e.msg);
	mail_free(&m);
}

static void
check_body(const char *s, size_t len)
{
	struct mail_buf b = { NULL, 0, 0, 0 }, want = { NULL, 0, 0, 0 };
	struct mail_buf got = { NULL, 0, 0, 0 };
	size_t i, col = 0, longest = 0;
	int seven = 1, h, l;
	char c;

	/* The text with its line breaks as CRLF. */
	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			mail_buf_add(&want, "\r", 1);
		mail_buf_add(&want, s + i, 1);
	}
	if (mail_qp(&b, s, len, "\r\n") == -1)
		FUZZ_FAIL("mail_qp ran out of memory");
	for (i = 0; i < b.len; i++) {
		c = b.data[i];
		if (c == '\r') {
			if (i + 1 == b.len || b.data[i + 1] != '\n')
				FUZZ_FAIL("a CR without LF in the body");
			if (i > 0 && (b.data[i - 1] == ' ' ||
			    b.data[i - 1] == '\t'))
				FUZZ_FAIL("white space ends a body line");
			if (i > 0 && b.data[i - 1] == '=')
				got.len--;	/* a soft break */
			else
				mail_buf_add(&got, "\r\n", 2);
			i++;
			col = 0;
			continue;
		}
		if (col == 0 && c == '.')
			FUZZ_FAIL("a body line starts with a dot");
		if ((c < ' ' && c != '\t') || (unsigned char)c >= 0x7f)
			FUZZ_FAIL("byte 0x%02x in the body", (unsigned char)c);
		if (++col > 76)
			FUZZ_FAIL("a body line longer than 76");
		if (c == '=' && i + 2 < b.len && (h = hexval(b.data[i + 1])) >=
		    0 && (l = hexval(b.data[i + 2])) >= 0) {
			c = (char)(h << 4 | l);
			i += 2;
			col += 2;
			if (col > 76)
				FUZZ_FAIL("a body line longer than 76");
		}
		mail_buf_add(&got, &c, 1);
	}
	if (b.len > 0 && b.data[b.len - 1] == '=')
		got.len--;
	if (got.len != want.len || (got.len > 0 &&
	    memcmp(got.data, want.data, got.len) != 0))
		FUZZ_FAIL("the body does not decode to its text");

	/* 7bit: printable ASCII, TAB, LF or CRLF, short clean lines. */
	col = 0;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '\n') {
			size_t j = i;

			if (i < len && j > 0 && s[j - 1] == '\r')
				j--;
			if (col > 0 && (s[j - 1] == ' ' || s[j - 1] == '\t'))
				seven = 0;
			if (longest < col)
				longest = col;
			col = 0;
			continue;
		}
		if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
			continue;
		if ((s[i] < ' ' && s[i] != '\t') || (unsigned char)s[i] >= 0x7f)
			seven = 0;
		if (col == 0 && s[i] == '.')
			seven = 0;
		col++;
	}
	if (longest > 78)
		seven = 0;
	if (mail_is_7bit(s, len) != seven)
		FUZZ_FAIL("mail_is_7bit gave %d", !seven);
	mail_buf_free(&b);
	mail_buf_free(&want);
	mail_buf_free(&got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	s = fuzz_str(data, size);
	check_addrs(s);
	check_text(s, strlen(s));
	free(s);
	s = fuzz_copy(data, size);
	check_body(s, size);
	free(s);
	return 0;
}
