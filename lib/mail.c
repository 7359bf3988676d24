/* mail.c - composing RFC 5322 messages: encoding, folding, addresses. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail.h"
#include "timestamp.h"

#define US_PER_SEC	1000000LL
#define SEC_PER_DAY	86400LL

/* What "=?UTF-8?Q?" and "?=" add to the encoded text of a word. */
#define Q_OPEN		"=?UTF-8?Q?"
#define Q_CLOSE		"?="
#define Q_OVERHEAD	12

/* The longest character in Q: four bytes as "=XX" each. */
#define Q_WIDEST	12

/* Addresses and names are shown in messages up to this many bytes. */
#define SHOWN		64

static const char hexdigit[] = "0123456789ABCDEF";

int
mail_buf_add(struct mail_buf *b, const void *p, size_t n)
{
	size_t need, cap;
	char *d;

	if (b->nomem)
		return -1;
	if (n > SIZE_MAX - 1 - b->len) {
		b->nomem = 1;
		return -1;
	}
	need = b->len + n + 1;
	if (need > b->cap) {
		cap = b->cap > 0 ? b->cap : 256;
		while (cap < need)
			cap = cap > SIZE_MAX / 2 ? need : cap * 2;
		if ((d = realloc(b->data, cap)) == NULL) {
			b->nomem = 1;
			return -1;
		}
		b->data = d;
		b->cap = cap;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
mail_buf_str(struct mail_buf *b, const char *s)
{
	return mail_buf_add(b, s, strlen(s));
}

void
mail_buf_free(struct mail_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->nomem = 0;
}

size_t
mail_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long c;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2)	/* a continuation byte, or overlong */
		return 0;
	if (p[0] < 0xe0) {
		n = 2;
		c = p[0] & 0x1f;
	} else if (p[0] < 0xf0) {
		n = 3;
		c = p[0] & 0x0f;
	} else if (p[0] < 0xf5) {
		n = 4;
		c = p[0] & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

int
mail_check_text(const char *what, const char *s, size_t len, struct err *e)
{
	unsigned char c;
	size_t i, n;

	for (i = 0; i < len; i += n) {
		c = (unsigned char)s[i];
		n = 1;
		if (c == '\r' || c == '\n')
			return err_set(e, 0, 0, "%s contains a line break",
			    what);
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return err_set(e, 0, 0, "%s contains a control"
			    " character", what);
		if (c >= 0x80 && (n = mail_utf8(s + i, len - i)) == 0)
			return err_set(e, 0, 0, "%s is not valid UTF-8", what);
	}
	return 0;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322's atext: what a bare word of a phrase or address may hold. */
static int
is_atext(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

/*
 * The characters that Q may leave as they are in every place an
 * encoded-word can go, a phrase included (RFC 2047, 5 (3)).
 */
static int
q_plain(int c)
{
	return is_alnum(c) || (c != '\0' && strchr("!*+-/", c) != NULL);
}

static size_t
q_width(int c)
{
	return q_plain(c) || c == ' ' ? 1 : 3;
}

static void
q_put(struct mail_buf *b, unsigned char c)
{
	char t[3];

	if (q_plain(c)) {
		mail_buf_add(b, &c, 1);
	} else if (c == ' ') {
		mail_buf_add(b, "_", 1);
	} else {
		t[0] = '=';
		t[1] = hexdigit[c >> 4];
		t[2] = hexdigit[c & 15];
		mail_buf_add(b, t, 3);
	}
}

int
mail_encode_words(struct mail_buf *b, const char *s, size_t len,
    size_t first)
{
	size_t i = 0, k, n, used, width, room;

	room = first >= Q_OVERHEAD + Q_WIDEST && first < MAIL_WORD_MAX ?
	    first : MAIL_WORD_MAX;
	while (i < len) {
		if (i > 0)
			mail_buf_add(b, " ", 1);
		mail_buf_str(b, Q_OPEN);
		used = Q_OVERHEAD;
		while (i < len) {
			/*
			 * A whole character goes into one word: a decoder
			 * may turn each word into text on its own.
			 */
			if ((n = mail_utf8(s + i, len - i)) == 0)
				n = 1;
			for (width = 0, k = 0; k < n; k++)
				width += q_width((unsigned char)s[i + k]);
			if (used + width > room)
				break;
			for (k = 0; k < n; k++)
				q_put(b, (unsigned char)s[i + k]);
			used += width;
			i += n;
		}
		mail_buf_str(b, Q_CLOSE);
		room = MAIL_WORD_MAX;
	}
	return b->nomem ? -1 : 0;
}

/* The UTC calendar fields of a time in microseconds. */
struct civil {
	int64_t	year;
	int	mon, day, hour, min, sec;
	long	usec;
	int	wday;		/* 0 is Sunday */
};

static void
civil(int64_t us, struct civil *c)
{
	int64_t sec, days, rem;

	sec = us / US_PER_SEC;
	c->usec = (long)(us % US_PER_SEC);
	if (c->usec < 0) {
		c->usec += US_PER_SEC;
		sec--;
	}
	days = sec / SEC_PER_DAY;
	rem = sec % SEC_PER_DAY;
	if (rem < 0) {
		rem += SEC_PER_DAY;
		days--;
	}
	time_civil(days, &c->year, &c->mon, &c->day);
	c->hour = (int)(rem / 3600);
	c->min = (int)(rem / 60 % 60);
	c->sec = (int)(rem % 60);
	/* 1970-01-01 was a Thursday. */
	c->wday = (int)(((days % 7) + 7 + 4) % 7);
}

size_t
mail_date(char *buf, int64_t us)
{
	static const char wdays[7][4] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char months[12][4] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
	};
	struct civil c;
	int n;

	civil(us, &c);
	n = snprintf(buf, MAIL_DATE_BUFSZ, "%s, %02d %s %04lld %02d:%02d:%02d"
	    " +0000", wdays[c.wday], c.day, months[c.mon - 1],
	    (long long)c.year, c.hour, c.min, c.sec);
	return n > 0 ? (size_t)n : 0;
}

uint64_t
mail_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char *s = p;

	while (len-- > 0) {
		h ^= *s++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

int
mail_message_id(struct mail_buf *b, int64_t us, uint64_t hash,
    const char *domain)
{
	char t[64];
	struct civil c;
	int n;

	civil(us, &c);
	n = snprintf(t, sizeof t, "<%04lld%02d%02d%02d%02d%02d.%06ld.%016llx@",
	    (long long)c.year, c.mon, c.day, c.hour, c.min, c.sec, c.usec,
	    (unsigned long long)hash);
	if (n > 0)
		mail_buf_add(b, t, (size_t)n);
	mail_buf_str(b, domain);
	mail_buf_add(b, ">", 1);
	return b->nomem ? -1 : 0;
}

/* Length of the line break at S[I]: 1 for LF, 2 for CRLF, else 0. */
static size_t
line_break(const char *s, size_t i, size_t len)
{
	if (s[i] == '\n')
		return 1;
	if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
		return 2;
	return 0;
}

int
mail_qp(struct mail_buf *b, const char *s, size_t len, const char *eol)
{
	size_t i, n, brk, col = 0;
	unsigned char c;
	char t[3];
	int last, plain;

	for (i = 0; i < len; i++) {
		if ((brk = line_break(s, i, len)) > 0) {
			mail_buf_str(b, eol);
			col = 0;
			i += brk - 1;
			continue;
		}
		c = (unsigned char)s[i];
		last = i + 1 == len || line_break(s, i + 1, len) > 0;
		plain = (c >= 33 && c <= 126 && c != '=') ||
		    (is_wsp(c) && !last);
		n = plain ? 1 : 3;
		/* A soft break needs a column of its own for the "=". */
		if (col + n > (last ? 76u : 75u)) {
			mail_buf_add(b, "=", 1);
			mail_buf_str(b, eol);
			col = 0;
		}
		/*
		 * A line that is a lone dot ends the message for sendmail
		 * without -i, and over SMTP a leading dot that a client
		 * fails to double is lost: a dot that starts a line, after
		 * a hard or a soft break, is encoded.
		 */
		if (c == '.' && col == 0)
			plain = 0;
		if (plain) {
			t[0] = (char)c;
			n = 1;
		} else {
			t[0] = '=';
			t[1] = hexdigit[c >> 4];
			t[2] = hexdigit[c & 15];
			n = 3;
		}
		mail_buf_add(b, t, n);
		col += n;
	}
	return b->nomem ? -1 : 0;
}

int
mail_is_7bit(const char *s, size_t len)
{
	size_t i, brk, col = 0;
	unsigned char c;

	for (i = 0; i < len; i++) {
		if ((brk = line_break(s, i, len)) > 0) {
			if (col > 0 && is_wsp(s[i - 1]))
				return 0;
			col = 0;
			i += brk - 1;
			continue;
		}
		c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c > 0x7e)
			return 0;
		/* A leading dot is for quoted-printable to encode. */
		if (c == '.' && col == 0)
			return 0;
		if (++col > MAIL_LINE_SOFT)
			return 0;
	}
	return col == 0 || !is_wsp(s[len - 1]);
}

/* Copy S, changing its line breaks, LF or CRLF, to EOL. */
static void
put_lines(struct mail_buf *b, const char *s, size_t len, const char *eol)
{
	size_t i, start, brk;

	if (len == 0)		/* S may be NULL then: no headers to add */
		return;
	for (i = start = 0; i < len; i++) {
		if ((brk = line_break(s, i, len)) == 0)
			continue;
		mail_buf_add(b, s + start, i - start);
		mail_buf_str(b, eol);
		i += brk - 1;
		start = i + 1;
	}
	mail_buf_add(b, s + start, len - start);
}

/*
 * Addresses.
 */

/* Trim white space from both ends of *S, *LEN. */
static void
trim(const char **s, size_t *len)
{
	while (*len > 0 && is_wsp(**s)) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && is_wsp((*s)[*len - 1]))
		(*len)--;
}

static char *
copy(const char *s, size_t len)
{
	char *d;

	if ((d = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/*
 * Report a bad address S, LEN bytes, for reason WHY, quoting it unless it
 * holds control characters (which a message must not pass on).
 */
static int
bad_addr(struct err *e, const char *s, size_t len, const char *why)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return err_set(e, 0, 0, "bad address: %s", why);
	return err_set(e, 0, 0, "bad address \"%.*s%s\": %s",
	    len > SHOWN ? SHOWN : (int)len, s, len > SHOWN ? "..." : "", why);
}

/*
 * Why the LEN bytes at S are no dot-atom (atext words joined by single
 * dots), or NULL when they are one.  A message naming a character is
 * written into WHAT, WHATSZ bytes.
 */
static const char *
dot_atom(const char *s, size_t len, char *what, size_t whatsz)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i + 1 == len || s[i + 1] == '.')
				return "misplaced dot";
		} else if (!is_atext((unsigned char)s[i])) {
			snprintf(what, whatsz, "'%c' not allowed", s[i]);
			return what;
		}
	}
	return NULL;
}

/* Why the LEN bytes at S are no local@domain, or NULL when they are. */
static const char *
spec_problem(const char *s, size_t len, char *what, size_t whatsz)
{
	const char *at, *dom, *why;
	size_t i, nat = 0, loclen, domlen;
	unsigned char c;

	if (len == 0)
		return "empty address";
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c == '\r' || c == '\n')
			return "contains a line break";
		if (c < 0x20 || c == 0x7f)
			return "contains a control character";
		if (c >= 0x80)
			return "contains a non-ASCII character";
		if (is_wsp(c))
			return "contains white space";
		if (c == '@')
			nat++;
	}
	if (nat == 0)
		return "no @";
	if (nat > 1)
		return "more than one @";
	if (len > MAIL_ADDR_MAX)
		return "longer than 254 bytes";
	at = memchr(s, '@', len);
	loclen = (size_t)(at - s);
	dom = at + 1;
	domlen = len - loclen - 1;
	if (loclen == 0)
		return "empty local part";
	if (domlen == 0)
		return "empty domain";
	if ((why = dot_atom(s, loclen, what, whatsz)) != NULL)
		return why;
	if (dom[0] != '[')
		return dot_atom(dom, domlen, what, whatsz);

	/* A domain literal such as [192.0.2.1]. */
	if (domlen < 3 || dom[domlen - 1] != ']')
		return "unterminated domain literal";
	for (i = 1; i + 1 < domlen; i++)
		if (strchr("[]\\", dom[i]) != NULL) {
			snprintf(what, whatsz, "'%c' not allowed", dom[i]);
			return what;
		}
	return NULL;
}

/*
 * Unquote the display name at S, LEN bytes (trimmed, not empty): a
 * quoted string loses its quotes and backslashes; a bare name is taken
 * as written.  Returns the name, or NULL with *E filled.
 */
static char *
parse_name(const char *s, size_t len, struct err *e)
{
	struct mail_buf b = { NULL, 0, 0, 0 };
	size_t i;

	if (s[0] == '"') {
		if (len < 2 || s[len - 1] != '"') {
			err_set(e, 0, 0, "bad address: text after the quoted"
			    " display name");
			return NULL;
		}
		for (i = 1; i + 1 < len; i++) {
			if (s[i] == '\\' && i + 2 < len)
				i++;
			else if (s[i] == '"' || s[i] == '\\') {
				err_set(e, 0, 0, "bad address: stray quote or"
				    " backslash in the display name");
				mail_buf_free(&b);
				return NULL;
			}
			mail_buf_add(&b, s + i, 1);
		}
	} else {
		for (i = 0; i < len; i++)
			if (s[i] == '"' || s[i] == '<' || s[i] == '>') {
				err_set(e, 0, 0, "bad address: '%c' in the"
				    " display name", s[i]);
				return NULL;
			}
		mail_buf_add(&b, s, len);
	}
	if (b.nomem) {
		mail_buf_free(&b);
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	if (b.len > MAIL_NAME_MAX) {
		mail_buf_free(&b);
		err_set(e, 0, 0, "bad address: display name longer than %d"
		    " bytes", MAIL_NAME_MAX);
		return NULL;
	}
	if (b.data == NULL)
		mail_buf_add(&b, "", 0);
	if (mail_check_text("display name", b.data, b.len, e) == -1) {
		mail_buf_free(&b);
		return NULL;
	}
	return b.data;
}

int
mail_addr_parse(struct mail_addr *a, const char *s, size_t len,
    struct err *e)
{
	const char *spec = s, *name = NULL, *why;
	size_t i, speclen = len, namelen = 0;
	char what[32];
	int quoted = 0;

	a->name = a->spec = NULL;
	trim(&s, &len);
	spec = s;
	speclen = len;
	if (len > 0 && s[len - 1] == '>') {
		for (i = 0; i < len; i++) {
			if (quoted && s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = !quoted;
			else if (!quoted && s[i] == '<')
				break;
		}
		if (quoted)
			return bad_addr(e, s, len, "unterminated quote");
		if (i == len)
			return bad_addr(e, s, len, "'>' without '<'");
		name = s;
		namelen = i;
		trim(&name, &namelen);
		spec = s + i + 1;
		speclen = len - i - 2;
		trim(&spec, &speclen);
	}
	if ((why = spec_problem(spec, speclen, what, sizeof what)) != NULL)
		return bad_addr(e, spec, speclen, why);
	if (namelen > 0 && (a->name = parse_name(name, namelen, e)) == NULL)
		return -1;
	if ((a->spec = copy(spec, speclen)) == NULL) {
		free(a->name);
		a->name = NULL;
		return err_set(e, 0, 0, "out of memory");
	}
	return 0;
}

int
mail_addr_list(struct mail_addr **v, size_t *n, const char *s,
    struct err *e)
{
	struct mail_addr a, *nv;
	const char *p = s, *item;
	size_t len, slen = strlen(s);
	int quoted;

	for (;;) {
		/* A comma inside a quoted display name does not count. */
		quoted = 0;
		for (item = p; *p != '\0' && (quoted || *p != ','); p++) {
			if (quoted && *p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quoted = !quoted;
		}
		if (quoted)
			return bad_addr(e, item, (size_t)(p - item),
			    "unterminated quote");
		len = (size_t)(p - item);
		trim(&item, &len);
		if (len == 0)
			return err_set(e, 0, 0, "bad address: empty member"
			    " in the list \"%.*s%s\"", slen > SHOWN ? SHOWN :
			    (int)slen, s, slen > SHOWN ? "..." : "");
		if (mail_addr_parse(&a, item, len, e) == -1)
			return -1;
		if (*n >= SIZE_MAX / sizeof *nv - 1 ||
		    (nv = realloc(*v, (*n + 1) * sizeof *nv)) == NULL) {
			free(a.name);
			free(a.spec);
			return err_set(e, 0, 0, "out of memory");
		}
		nv[(*n)++] = a;
		*v = nv;
		if (*p == '\0')
			return 0;
		p++;
	}
}

void
mail_addr_free(struct mail_addr *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].spec);
	}
	free(v);
}

const char *
mail_addr_domain(const struct mail_addr *a)
{
	const char *at = strchr(a->spec, '@');

	return at != NULL ? at + 1 : a->spec;
}

/*
 * A display name goes out bare when it is plain words of atext, quoted
 * when it is ASCII with anything else in it (a comma, a dot, runs of
 * spaces), and as encoded-words when it is not ASCII.  Text that looks
 * like an encoded-word is quoted, where decoders leave it alone.
 */
static void
put_name(struct mail_buf *b, const char *name)
{
	size_t i, len = strlen(name);
	int bare = len > 0 && !is_wsp(name[0]) && !is_wsp(name[len - 1]) &&
	    strstr(name, "=?") == NULL;

	for (i = 0; i < len; i++) {
		if ((unsigned char)name[i] >= 0x80) {
			mail_encode_words(b, name, len, MAIL_WORD_MAX);
			return;
		}
		if (name[i] == ' ' ? is_wsp(name[i + 1]) :
		    !is_atext((unsigned char)name[i]))
			bare = 0;
	}
	if (bare) {
		mail_buf_add(b, name, len);
		return;
	}
	mail_buf_add(b, "\"", 1);
	for (i = 0; i < len; i++) {
		if (name[i] == '"' || name[i] == '\\')
			mail_buf_add(b, "\\", 1);
		mail_buf_add(b, name + i, 1);
	}
	mail_buf_add(b, "\"", 1);
}

/*
 * Headers and folding.
 *
 * A header is written as a run of "units" (the value, or one address),
 * each starting with white space.  A unit that fits on the current line
 * goes there; one that fits on a line of its own starts a new line;
 * a longer one is cut at its white space, before a space or tab that
 * starts a word, so that the previous line keeps any run of white space
 * but the last character and no line is white space alone.
 */
struct fold {
	struct mail_buf *b;
	const char *eol;
	size_t	 col;
	int	 fresh;		/* nothing after the name on this line yet */
};

static void
fold_put(struct fold *f, const char *s, size_t n)
{
	if (!f->fresh && n > 0 && is_wsp(s[0]) &&
	    f->col + n > MAIL_LINE_SOFT) {
		mail_buf_str(f->b, f->eol);
		f->col = 0;
	}
	mail_buf_add(f->b, s, n);
	f->col += n;
	f->fresh = 0;
}

/* Length of the next piece of S (LEN bytes) that folding keeps whole. */
static size_t
fold_piece(const char *s, size_t len)
{
	size_t i;

	for (i = 1; i < len; i++)
		if (is_wsp(s[i]) && i + 1 < len && !is_wsp(s[i + 1]))
			break;
	return i;
}

static void
fold_unit(struct fold *f, const char *s, size_t len)
{
	size_t n;

	if (f->col + len <= MAIL_LINE_SOFT) {
		fold_put(f, s, len);
	} else if (!f->fresh && len <= MAIL_LINE_SOFT) {
		mail_buf_str(f->b, f->eol);
		f->col = 0;
		fold_put(f, s, len);
	} else {
		for (; len > 0; s += n, len -= n) {
			n = fold_piece(s, len);
			fold_put(f, s, n);
		}
	}
}

static int
check_name(const char *name, struct err *e)
{
	const char *p;

	if (*name == '\0')
		return err_set(e, 0, 0, "empty header name");
	for (p = name; *p != '\0'; p++)
		if (*p < 33 || *p > 126 || *p == ':')
			return err_set(e, 0, 0, "bad header name \"%s\"",
			    name);
	return 0;
}

/* Check NAME and that headers may still be added; start the header. */
static int
header_begin(struct mail_msg *m, struct fold *f, const char *name,
    struct err *e)
{
	if (check_name(name, e) == -1)
		return -1;
	if (m->body)
		return err_set(e, 0, 0, "header %s after the body", name);
	f->b = &m->buf;
	f->eol = m->eol;
	mail_buf_str(f->b, name);
	mail_buf_add(f->b, ":", 1);
	f->col = strlen(name) + 1;
	f->fresh = 1;
	return 0;
}

static int
header_end(struct mail_msg *m, struct mail_buf *tmp, struct err *e)
{
	mail_buf_str(&m->buf, m->eol);
	if (tmp != NULL) {
		if (tmp->nomem)
			m->buf.nomem = 1;
		mail_buf_free(tmp);
	}
	if (m->buf.nomem)
		return err_set(e, 0, 0, "out of memory");
	return 0;
}

void
mail_init(struct mail_msg *m, const char *eol)
{
	memset(m, 0, sizeof *m);
	m->eol = eol;
}

void
mail_free(struct mail_msg *m)
{
	mail_buf_free(&m->buf);
}

/*
 * Does unstructured VALUE need encoded-words: non-ASCII, text a decoder
 * would take for an encoded-word, or a piece that folding cannot bring
 * under the line limit after a header name of NAMELEN?
 */
static int
needs_words(const char *value, size_t len, size_t namelen)
{
	size_t i, n;

	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] >= 0x80)
			return 1;
	if (strstr(value, "=?") != NULL)
		return 1;
	for (i = 0; i < len; i += n) {
		n = fold_piece(value + i, len - i);
		if (namelen + 2 + n > MAIL_LINE_MAX)
			return 1;
	}
	return 0;
}

int
mail_add_text(struct mail_msg *m, const char *name, const char *value,
    struct err *e)
{
	struct mail_buf tmp = { NULL, 0, 0, 0 };
	struct fold f;
	size_t len = strlen(value), namelen = strlen(name);

	if (mail_check_text("header value", value, len, e) == -1 ||
	    header_begin(m, &f, name, e) == -1)
		return -1;
	mail_buf_add(&tmp, " ", 1);
	if (needs_words(value, len, namelen))
		mail_encode_words(&tmp, value, len,
		    namelen + 2 < MAIL_LINE_SOFT ?
		    MAIL_LINE_SOFT - namelen - 2 : 0);
	else
		mail_buf_add(&tmp, value, len);
	if (!tmp.nomem)
		fold_unit(&f, tmp.data, tmp.len);
	return header_end(m, &tmp, e);
}

int
mail_add_addrs(struct mail_msg *m, const char *name,
    const struct mail_addr *v, size_t n, struct err *e)
{
	struct mail_buf tmp = { NULL, 0, 0, 0 };
	struct fold f;
	size_t i;

	if (n == 0)
		return err_set(e, 0, 0, "no address for %s", name);
	if (header_begin(m, &f, name, e) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		tmp.len = 0;
		mail_buf_add(&tmp, " ", 1);
		if (v[i].name != NULL) {
			put_name(&tmp, v[i].name);
			mail_buf_add(&tmp, " <", 2);
		}
		mail_buf_str(&tmp, v[i].spec);
		if (v[i].name != NULL)
			mail_buf_add(&tmp, ">", 1);
		if (i + 1 < n)
			mail_buf_add(&tmp, ",", 1);
		if (tmp.nomem)
			break;
		fold_unit(&f, tmp.data, tmp.len);
	}
	return header_end(m, &tmp, e);
}

/*
 * Append the header NAME with VALUE, printable ASCII written as given and
 * folded at its white space, to B with line end EOL.
 */
static int
put_raw(struct mail_buf *b, const char *eol, const char *name,
    const char *value, struct err *e)
{
	struct mail_buf tmp = { NULL, 0, 0, 0 };
	struct fold f;
	size_t len = strlen(value), i;

	if (check_name(name, e) == -1 ||
	    mail_check_text("header value", value, len, e) == -1)
		return -1;
	for (i = 0; i < len; i++)
		if ((unsigned char)value[i] >= 0x80)
			return err_set(e, 0, 0, "header value is not ASCII");
	f.b = b;
	f.eol = eol;
	mail_buf_str(b, name);
	mail_buf_add(b, ":", 1);
	f.col = strlen(name) + 1;
	f.fresh = 1;
	mail_buf_add(&tmp, " ", 1);
	mail_buf_add(&tmp, value, len);
	if (!tmp.nomem)
		fold_unit(&f, tmp.data, tmp.len);
	mail_buf_str(b, eol);
	if (tmp.nomem)
		b->nomem = 1;
	mail_buf_free(&tmp);
	if (b->nomem)
		return err_set(e, 0, 0, "out of memory");
	return 0;
}

int
mail_add_raw(struct mail_msg *m, const char *name, const char *value,
    struct err *e)
{
	if (m->body)
		return err_set(e, 0, 0, "header %s after the body", name);
	return put_raw(&m->buf, m->eol, name, value, e);
}

int
mail_set_text(struct mail_msg *m, const char *text, size_t len,
    struct err *e)
{
	size_t i, n;
	int seven;

	for (i = 0; i < len; i += n)
		if ((n = mail_utf8(text + i, len - i)) == 0)
			return err_set(e, 0, 0, "body is not valid UTF-8");
	seven = mail_is_7bit(text, len);
	if (mail_add_raw(m, "MIME-Version", "1.0", e) == -1 ||
	    mail_add_raw(m, "Content-Type", "text/plain; charset=UTF-8",
	    e) == -1 ||
	    mail_add_raw(m, "Content-Transfer-Encoding",
	    seven ? "7bit" : "quoted-printable", e) == -1)
		return -1;
	m->body = 1;
	mail_buf_str(&m->buf, m->eol);
	if (seven)
		put_lines(&m->buf, text, len, m->eol);
	else
		mail_qp(&m->buf, text, len, m->eol);
	/* Every line of a message ends in a line break, the last one too. */
	if (len > 0 && text[len - 1] != '\n')
		mail_buf_str(&m->buf, m->eol);
	if (m->buf.nomem)
		return err_set(e, 0, 0, "out of memory");
	return 0;
}

/*
 * MIME parts.
 */

static const char b64digit[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int
mail_base64(struct mail_buf *b, const void *p, size_t len, const char *eol)
{
	const unsigned char *s = p;
	size_t i, col = 0;
	unsigned long v;
	char t[4];

	for (i = 0; i < len; i += 3) {
		v = (unsigned long)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned long)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		t[0] = b64digit[v >> 18 & 63];
		t[1] = b64digit[v >> 12 & 63];
		t[2] = i + 1 < len ? b64digit[v >> 6 & 63] : '=';
		t[3] = i + 2 < len ? b64digit[v & 63] : '=';
		mail_buf_add(b, t, 4);
		col += 4;
		if (col == MAIL_B64_LINE || i + 3 >= len) {
			mail_buf_str(b, eol);
			col = 0;
		}
	}
	return b->nomem ? -1 : 0;
}

int
mail_html(struct mail_buf *b, const char *s, size_t len)
{
	size_t i, start;
	const char *ref;

	for (i = start = 0; i < len; i++) {
		switch (s[i]) {
		case '&':
			ref = "&amp;";
			break;
		case '<':
			ref = "&lt;";
			break;
		case '>':
			ref = "&gt;";
			break;
		case '"':
			ref = "&quot;";
			break;
		case '\'':
			ref = "&#39;";
			break;
		default:
			continue;
		}
		mail_buf_add(b, s + start, i - start);
		mail_buf_str(b, ref);
		start = i + 1;
	}
	mail_buf_add(b, s + start, len - start);
	return b->nomem ? -1 : 0;
}

struct mail_part {
	char	*type;		/* "type/subtype", without parameters */
	char	*params;	/* what follows it in Content-Type, or "" */
	struct mail_buf head;	/* headers other than Content-Type */
	struct mail_buf body;	/* a leaf's encoded body */
	int	 multi;		/* a multipart: the body is in kid */
	struct mail_part **kid;
	size_t	 nkid;
};

/* Is S a MIME token (RFC 2045, 5.1) of at most 64 bytes? */
static int
is_token(const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f ||
		    strchr("()<>@,;:\\\"/[]?=", s[i]) != NULL)
			return 0;
	return i > 0 && i <= 64;
}

/*
 * A new part of media type TYPE, "type/subtype" and maybe parameters
 * after a ";", which must be printable ASCII.
 */
static struct mail_part *
part_new(const char *type, struct err *e)
{
	struct mail_part *p;
	const char *semi = strchr(type, ';');
	size_t len = semi != NULL ? (size_t)(semi - type) : strlen(type), i;

	for (i = 0; type[i] != '\0'; i++)
		if (type[i] < ' ' || type[i] >= 0x7f) {
			err_set(e, 0, 0, "bad media type: not printable"
			    " ASCII");
			return NULL;
		}
	if ((p = calloc(1, sizeof *p)) == NULL ||
	    (p->type = copy(type, len)) == NULL ||
	    (p->params = copy(type + len, strlen(type + len))) == NULL) {
		mail_part_free(p);
		err_set(e, 0, 0, "out of memory");
		return NULL;
	}
	return p;
}

/* A new part of type MAJOR/SUBTYPE followed by PARAMS ("" for none). */
static struct mail_part *
part_typed(const char *major, const char *subtype, const char *params,
    struct err *e)
{
	struct mail_buf t = { NULL, 0, 0, 0 };
	struct mail_part *p = NULL;

	mail_buf_str(&t, major);
	mail_buf_str(&t, "/");
	mail_buf_str(&t, subtype);
	mail_buf_str(&t, params);
	if (t.nomem)
		err_set(e, 0, 0, "out of memory");
	else
		p = part_new(t.data, e);
	mail_buf_free(&t);
	return p;
}

/* Add the Content-Transfer-Encoding CTE to the new leaf P. */
static int
part_cte(struct mail_part *p, const char *cte, struct err *e)
{
	return put_raw(&p->head, "\n", "Content-Transfer-Encoding", cte, e);
}

struct mail_part *
mail_part_text(const char *subtype, const char *text, size_t len,
    struct err *e)
{
	struct mail_part *p;
	size_t i, n;
	int seven;

	if (!is_token(subtype)) {
		err_set(e, 0, 0, "bad text subtype \"%.*s\"", SHOWN, subtype);
		return NULL;
	}
	for (i = 0; i < len; i += n)
		if ((n = mail_utf8(text + i, len - i)) == 0) {
			err_set(e, 0, 0, "text/%s part is not valid UTF-8",
			    subtype);
			return NULL;
		}
	if ((p = part_typed("text", subtype, "; charset=UTF-8", e)) == NULL)
		return NULL;

	seven = mail_is_7bit(text, len);
	if (part_cte(p, seven ? "7bit" : "quoted-printable", e) == -1)
		goto fail;
	if (seven)
		put_lines(&p->body, text, len, "\n");
	else
		mail_qp(&p->body, text, len, "\n");
	if (len > 0 && text[len - 1] != '\n')
		mail_buf_add(&p->body, "\n", 1);
	if (p->body.nomem) {
		err_set(e, 0, 0, "out of memory");
		goto fail;
	}
	return p;
fail:
	mail_part_free(p);
	return NULL;
}

struct mail_part *
mail_part_data(const char *type, const void *data, size_t len,
    struct err *e)
{
	struct mail_part *p;

	if ((p = part_new(type, e)) == NULL)
		return NULL;
	if (part_cte(p, "base64", e) == -1)
		goto fail;
	if (mail_base64(&p->body, data, len, "\n") == -1) {
		err_set(e, 0, 0, "out of memory");
		goto fail;
	}
	return p;
fail:
	mail_part_free(p);
	return NULL;
}

struct mail_part *
mail_part_multi(const char *subtype, struct err *e)
{
	struct mail_part *p;

	if (!is_token(subtype)) {
		err_set(e, 0, 0, "bad multipart subtype \"%.*s\"", SHOWN,
		    subtype);
		return NULL;
	}
	if ((p = part_typed("multipart", subtype, "", e)) != NULL)
		p->multi = 1;
	return p;
}

/* Are the header names A and B the same, case aside? */
static int
same_name(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++)
		if ((*a | 0x20) != (*b | 0x20))
			return 0;
	return *a == *b;
}

int
mail_part_header(struct mail_part *p, const char *name, const char *value,
    struct err *e)
{
	/* Content-Type is the part's own, written from its type. */
	if (same_name(name, "Content-Type"))
		return err_set(e, 0, 0, "header Content-Type is the part's"
		    " own");
	return put_raw(&p->head, "\n", name, value, e);
}

int
mail_part_add(struct mail_part *p, struct mail_part *kid, struct err *e)
{
	struct mail_part **nk;

	if (!p->multi)
		return err_set(e, 0, 0, "%s is not a multipart", p->type);
	if (p->nkid >= SIZE_MAX / sizeof *nk - 1 ||
	    (nk = realloc(p->kid, (p->nkid + 1) * sizeof *nk)) == NULL)
		return err_set(e, 0, 0, "out of memory");
	nk[p->nkid++] = kid;
	p->kid = nk;
	return 0;
}

void
mail_part_free(struct mail_part *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nkid; i++)
		mail_part_free(p->kid[i]);
	free(p->kid);
	free(p->type);
	free(p->params);
	mail_buf_free(&p->head);
	mail_buf_free(&p->body);
	free(p);
}

uint64_t
mail_part_hash(uint64_t h, const struct mail_part *p)
{
	size_t i;

	h = mail_hash(h, p->type, strlen(p->type));
	h = mail_hash(h, p->params, strlen(p->params));
	h = mail_hash(h, p->head.data, p->head.len);
	h = mail_hash(h, p->body.data, p->body.len);
	for (i = 0; i < p->nkid; i++)
		h = mail_part_hash(h, p->kid[i]);
	/* The end of a part counts, so that nesting changes the hash. */
	return mail_hash(h, "", 1);
}

/* Does the LEN bytes at S hold the NUL-terminated string NEEDLE? */
static int
holds(const char *s, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (s[i] == needle[0] && memcmp(s + i, needle, n) == 0)
			return 1;
	return 0;
}

/* Does any header or body in the tree P hold STEM? */
static int
tree_holds(const struct mail_part *p, const char *stem)
{
	size_t i;

	if (holds(p->head.data, p->head.len, stem) ||
	    holds(p->body.data, p->body.len, stem) ||
	    holds(p->params, strlen(p->params), stem))
		return 1;
	for (i = 0; i < p->nkid; i++)
		if (tree_holds(p->kid[i], stem))
			return 1;
	return 0;
}

/* What writing a tree needs: the output, its line end, the boundaries. */
struct emit {
	struct mail_buf *b;
	const char *eol;
	const char *stem;	/* "=_" and the hash */
	size_t	 next;		/* the number of the next multipart */
};

static int
emit(struct emit *w, const struct mail_part *p, struct err *e)
{
	struct mail_buf ct = { NULL, 0, 0, 0 };
	char bound[64];
	size_t i;
	int rc;

	snprintf(bound, sizeof bound, "%s_%zu_", w->stem, w->next);
	mail_buf_str(&ct, p->type);
	mail_buf_str(&ct, p->params);
	if (p->multi) {
		w->next++;
		if (strcmp(p->type, "multipart/related") == 0 &&
		    p->nkid > 0) {
			mail_buf_str(&ct, "; type=\"");
			mail_buf_str(&ct, p->kid[0]->type);
			mail_buf_str(&ct, "\"");
		}
		mail_buf_str(&ct, "; boundary=\"");
		mail_buf_str(&ct, bound);
		mail_buf_str(&ct, "\"");
	}
	if (ct.nomem) {
		mail_buf_free(&ct);
		return err_set(e, 0, 0, "out of memory");
	}
	rc = put_raw(w->b, w->eol, "Content-Type", ct.data, e);
	mail_buf_free(&ct);
	if (rc == -1)
		return -1;
	put_lines(w->b, p->head.data, p->head.len, w->eol);
	mail_buf_str(w->b, w->eol);

	if (!p->multi) {
		put_lines(w->b, p->body.data, p->body.len, w->eol);
	} else {
		if (p->nkid == 0)
			return err_set(e, 0, 0, "%s without parts", p->type);
		/*
		 * The line break before a delimiter belongs to the
		 * delimiter (RFC 2046, 5.1.1): one more after each part
		 * keeps the part's own last line break.
		 */
		for (i = 0; i < p->nkid; i++) {
			if (i > 0)
				mail_buf_str(w->b, w->eol);
			mail_buf_str(w->b, "--");
			mail_buf_str(w->b, bound);
			mail_buf_str(w->b, w->eol);
			if (emit(w, p->kid[i], e) == -1)
				return -1;
		}
		mail_buf_str(w->b, w->eol);
		mail_buf_str(w->b, "--");
		mail_buf_str(w->b, bound);
		mail_buf_str(w->b, "--");
		mail_buf_str(w->b, w->eol);
	}
	if (w->b->nomem)
		return err_set(e, 0, 0, "out of memory");
	return 0;
}

int
mail_set_part(struct mail_msg *m, const struct mail_part *p, struct err *e)
{
	struct emit w;
	char stem[24];
	uint64_t h;

	if (mail_add_raw(m, "MIME-Version", "1.0", e) == -1)
		return -1;
	/*
	 * Quoted-printable writes "=" only before two hex digits or a line
	 * end, and base64 only at the end, so "=_" is in 7bit text alone;
	 * should it be there with this hash, the next hash is tried.
	 */
	h = mail_part_hash(MAIL_HASH_INIT, p);
	for (;;) {
		snprintf(stem, sizeof stem, "=_%016llx",
		    (unsigned long long)h);
		if (!tree_holds(p, stem))
			break;
		h = mail_hash(h, "+", 1);
	}
	m->body = 1;
	w.b = &m->buf;
	w.eol = m->eol;
	w.stem = stem;
	w.next = 0;
	return emit(&w, p, e);
}
