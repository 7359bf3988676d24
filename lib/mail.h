/*
 * mail.h - composing an Internet mail message (RFC 5322, MIME).
 *
 * A message is built in memory, front to back: headers first, each one
 * checked, encoded and folded as it is added, then the body, which is
 * encoded as it is set: one text (mail_set_text) or a tree of MIME parts
 * (mail_set_part), text, HTML and images in multiparts.  Nothing is
 * written anywhere; the caller takes the finished bytes from m.buf and
 * writes them at once, so a message that fails half-way leaves no trace.
 *
 * Line ends are the caller's choice (m.eol): "\r\n" as on the wire, or
 * "\n", which is what sendmail-style programs such as msmtp -t expect on
 * their standard input and turn into CRLF themselves.
 *
 * Headers:
 *  - Text (unstructured) values such as a Subject stay as they are when
 *    they are printable ASCII; otherwise (non-ASCII, a word too long to
 *    fold, or text that would read as an encoded-word) the whole value
 *    becomes RFC 2047 encoded-words in the Q encoding, each at most 75
 *    characters, never splitting a UTF-8 sequence.
 *  - Lines are folded at white space to stay within 78 columns where
 *    that is possible; no line exceeds 998 bytes.
 *  - A value holding CR or LF, another control character or malformed
 *    UTF-8 is refused, so no value can add a header of its own.
 *
 * Addresses are checked minimally: "local@domain" with exactly one "@",
 * both parts non-empty, no white space, control, non-ASCII or special
 * characters (quoted local parts are not supported), at most 254 bytes;
 * optionally after a display name, as in "Name <local@domain>" or
 * "\"Doe, Jane\" <jane@example.org>".  A display name is at most 256
 * bytes of UTF-8 text and is quoted or encoded on output as it needs.
 *
 * Returns: functions that take a struct err give 0 on success and -1
 * with *e filled in, running out of memory included.  Those that only
 * append to a buffer (mail_buf_*, mail_encode_words, mail_qp,
 * mail_message_id) give -1 only when out of memory, and leave the
 * buffer's `nomem` set.  Strings passed in are copied where they are
 * kept; what a function allocates belongs to the caller and has a
 * matching free function.
 */
#ifndef MAIL_H
#define MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define MAIL_LINE_SOFT	78	/* longest header line where possible */
#define MAIL_LINE_MAX	998	/* longest line of all (RFC 5322, 2.1.1) */
#define MAIL_WORD_MAX	75	/* longest encoded-word (RFC 2047, 2) */
#define MAIL_ADDR_MAX	254	/* longest local@domain */
#define MAIL_NAME_MAX	256	/* longest display name, in bytes */

/* Room for a mail_date result and its NUL. */
#define MAIL_DATE_BUFSZ	32

/* 1900-01-01T00:00:00Z in microseconds: RFC 5322 dates start there. */
#define MAIL_DATE_MIN	(-2208988800LL * 1000000)

/* Start value of mail_hash. */
#define MAIL_HASH_INIT	0xcbf29ce484222325ULL

/*
 * A growable byte buffer.  Zero-initialise it; mail_buf_free releases
 * it.  An append that runs out of memory returns -1 and sets `nomem`,
 * and every later append fails too, so a long run of appends can be
 * checked once at the end.  `data` is kept NUL-terminated.
 */
struct mail_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	int	 nomem;
};

int	mail_buf_add(struct mail_buf *b, const void *p, size_t n);
int	mail_buf_str(struct mail_buf *b, const char *s);
void	mail_buf_free(struct mail_buf *b);

/* A parsed address: display name (UTF-8, unquoted, or NULL) and addr-spec. */
struct mail_addr {
	char	*name;
	char	*spec;
};

/* Parse one address, "local@domain" or "Name <local@domain>", into *A. */
int	mail_addr_parse(struct mail_addr *a, const char *s, size_t len,
	    struct err *e);

/*
 * Parse S, a comma-separated list of addresses (commas inside a quoted
 * display name do not count), and append them to the array *V of *N
 * entries, which grows as needed.  On failure *V and *N keep the
 * addresses appended before.  Empty list members are refused.
 */
int	mail_addr_list(struct mail_addr **v, size_t *n, const char *s,
	    struct err *e);

/* Free the N addresses of V and V itself. */
void	mail_addr_free(struct mail_addr *v, size_t n);

/* The domain part of A's addr-spec. */
const char *mail_addr_domain(const struct mail_addr *a);

/*
 * Check that the LEN bytes at S can go into a header or a text body:
 * valid UTF-8 with no control character other than TAB.  WHAT names the
 * text in the message ("subject contains a line break").
 */
int	mail_check_text(const char *what, const char *s, size_t len,
	    struct err *e);

/*
 * Length of the valid UTF-8 sequence at S (1 for ASCII), or 0 when the
 * bytes there are not one (overlong, a surrogate, beyond U+10FFFF, cut
 * short).  LEN bytes are available; LEN must be at least 1.
 */
size_t	mail_utf8(const char *s, size_t len);

/*
 * Append the LEN bytes of UTF-8 text at S to B as Q encoded-words,
 * separated by single spaces.  The first word is at most FIRST
 * characters long when FIRST leaves room for at least one character
 * (so it can finish a line already begun), the others at most
 * MAIL_WORD_MAX.  Only letters, digits and "!*+-/" stay as they are, so
 * the words are valid in a Subject and in a display name alike.
 */
int	mail_encode_words(struct mail_buf *b, const char *s, size_t len,
	    size_t first);

/*
 * Write US, from MAIL_DATE_MIN to TIME_MAX, as an RFC 5322 date in UTC,
 * "Fri, 04 Dec 2026 16:18:16 +0000", into BUF (MAIL_DATE_BUFSZ bytes).
 * The fraction of a second is dropped.  Returns the length.
 */
size_t	mail_date(char *buf, int64_t us);

/*
 * Fold the LEN bytes at P into the 64-bit FNV-1a hash H and return it.
 * Start from MAIL_HASH_INIT.  Not cryptographic: it only makes Message-IDs
 * differ between messages.
 */
uint64_t mail_hash(uint64_t h, const void *p, size_t len);

/*
 * Append a Message-ID, "<YYYYMMDDhhmmss.ffffff.HASH@DOMAIN>", to B: the
 * time US in UTC with its microseconds, then HASH in 16 hex digits.
 * The same time, hash and domain give the same ID.
 */
int	mail_message_id(struct mail_buf *b, int64_t us, uint64_t hash,
	    const char *domain);

/*
 * Encode the LEN bytes at S as quoted-printable (RFC 2045, 6.7) onto B.
 * Line breaks in S, LF or CRLF, become EOL; a lone CR is encoded.
 * Encoded lines are at most 76 characters, broken with soft line breaks
 * ("=" EOL) that never split an "=XX"; white space at the end of a line
 * is encoded, and so is a dot at the start of one ("=2E"), so that no
 * line can read as the end of the message to sendmail or SMTP.
 */
int	mail_qp(struct mail_buf *b, const char *s, size_t len,
	    const char *eol);

/*
 * Can the LEN bytes at S go out as 7bit: printable ASCII and TAB only,
 * LF or CRLF line breaks, lines of at most 78 characters, no white space
 * at the end of a line and no dot at the start of one?  Returns 1 or 0.
 */
int	mail_is_7bit(const char *s, size_t len);

/*
 * The message being built.  mail_init it with the line end to use and
 * mail_free it afterwards; the finished message is buf.data, buf.len.
 */
struct mail_msg {
	struct mail_buf buf;
	const char *eol;
	int	 body;		/* the body is set: no more headers */
};

void	mail_init(struct mail_msg *m, const char *eol);
void	mail_free(struct mail_msg *m);

/* Add the header NAME with VALUE as unstructured text (a Subject). */
int	mail_add_text(struct mail_msg *m, const char *name,
	    const char *value, struct err *e);

/* Add the header NAME listing the N addresses of V, folded at commas. */
int	mail_add_addrs(struct mail_msg *m, const char *name,
	    const struct mail_addr *v, size_t n, struct err *e);

/*
 * Add the header NAME with VALUE written as given (folded at its white
 * space if long): for structured values that are printable ASCII
 * already, such as a Date or Content-Type.
 */
int	mail_add_raw(struct mail_msg *m, const char *name, const char *value,
	    struct err *e);

/*
 * Finish the headers with MIME-Version, Content-Type text/plain in UTF-8
 * and the Content-Transfer-Encoding that fits TEXT (7bit when
 * mail_is_7bit, quoted-printable otherwise), then append the blank line
 * and TEXT, LEN bytes of UTF-8 with LF or CRLF line breaks, encoded.
 */
int	mail_set_text(struct mail_msg *m, const char *text, size_t len,
	    struct err *e);


/*
 * MIME bodies of several parts.
 */

#define MAIL_B64_LINE	76	/* longest base64 line (RFC 2045, 6.8) */

/*
 * Encode the LEN bytes at P as base64 (RFC 2045, 6.8) onto B in lines of
 * MAIL_B64_LINE characters, the last one shorter, each ending in EOL.
 * Nothing at all is appended for LEN 0.
 */
int	mail_base64(struct mail_buf *b, const void *p, size_t len,
	    const char *eol);

/*
 * Append the LEN bytes at S to B with "&", "<", ">", '"' and "'" written
 * as character references, so the text is safe in HTML, between tags
 * and inside a quoted attribute value alike.
 */
int	mail_html(struct mail_buf *b, const char *s, size_t len);

/*
 * A MIME entity: a leaf, holding its headers and its encoded body, or a
 * multipart, holding other entities.  Parts are built on their own and
 * put together with mail_part_add; mail_set_part then writes a tree of
 * them as the body of a message.  Encoded content is kept with LF line
 * ends and takes the message's line end when it is written.
 *
 * The boundaries of multiparts are chosen when the tree is written:
 * "=_" and 16 hex digits from mail_part_hash of the tree, then the
 * multipart's number.  Neither quoted-printable nor base64 can hold "=_",
 * and a tree whose 7bit text happens to hold the string gets another
 * hash, so no boundary occurs in the content, and the same tree always
 * gives the same bytes.
 */
struct mail_part;

/*
 * A text/SUBTYPE part in UTF-8, of the LEN bytes of TEXT (LF or CRLF line
 * breaks): 7bit when mail_is_7bit, quoted-printable otherwise.  SUBTYPE
 * is a MIME token such as "plain" or "html".
 */
struct mail_part *mail_part_text(const char *subtype, const char *text,
	    size_t len, struct err *e);

/*
 * A part of media type TYPE ("image/png", parameters allowed, printable
 * ASCII) holding the LEN bytes at P in base64.
 */
struct mail_part *mail_part_data(const char *type, const void *p,
	    size_t len, struct err *e);

/* An empty multipart/SUBTYPE part, SUBTYPE a MIME token ("mixed"). */
struct mail_part *mail_part_multi(const char *subtype, struct err *e);

/*
 * Add the header NAME with VALUE, printable ASCII written as given (as
 * mail_add_raw does), to part P: a Content-ID, a Content-Disposition.
 */
int	mail_part_header(struct mail_part *p, const char *name,
	    const char *value, struct err *e);

/*
 * Append KID to the multipart P.  On success P owns KID and frees it
 * with itself; on failure KID is still the caller's.  A
 * multipart/related part gives its first part's media type as its
 * "type" parameter (RFC 2387), so that part should be added first.
 */
int	mail_part_add(struct mail_part *p, struct mail_part *kid,
	    struct err *e);

/* Free P and every part it holds.  NULL is allowed. */
void	mail_part_free(struct mail_part *p);

/* Fold the headers and encoded content of the tree P into the hash H. */
uint64_t mail_part_hash(uint64_t h, const struct mail_part *p);

/*
 * Finish the headers with MIME-Version and the headers of the part P,
 * then append the blank line and P's body, multiparts with their
 * boundaries, all lines ending in the message's EOL.  P stays the
 * caller's.
 */
int	mail_set_part(struct mail_msg *m, const struct mail_part *p,
	    struct err *e);

#endif
