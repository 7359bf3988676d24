/*
 * test_csv.c - the CSV reader and writer.
 *
 * Most cases read an input and compare a transcript of what the reader
 * gave: one line per record, "LINE: field|field|... {raw}", or per error
 * "LINE:COL! message", with CR and LF shown as \r and \n.  Reading goes on
 * after an error until the same error comes twice, which is written as
 * "sticky": a ragged record is not sticky, a broken one is.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "unit.h"

struct str {
	char	*s;
	size_t	 len, cap;
};

static void
put(struct str *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		while (t->len + n + 1 > t->cap)
			t->cap = t->cap ? t->cap * 2 : 256;
		if ((t->s = realloc(t->s, t->cap)) == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(t->s + t->len, s, n);
	t->len += n;
	t->s[t->len] = '\0';
}

static void
puts_esc(struct str *t, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			put(t, "\\n", 2);
		else if (s[i] == '\r')
			put(t, "\\r", 2);
		else
			put(t, s + i, 1);
	}
}

/* The input in a temporary file, unlinked, positioned at its start. */
static int
tmpinput(const char *s, size_t n)
{
	char path[] = "/tmp/test_csv.XXXXXX";
	ssize_t w;
	size_t off;
	int fd;

	if ((fd = mkstemp(path)) == -1) {
		perror("mkstemp");
		exit(2);
	}
	unlink(path);
	for (off = 0; off < n; off += (size_t)w)
		if ((w = write(fd, s + off, n - off)) <= 0) {
			perror("write");
			exit(2);
		}
	if (lseek(fd, 0, SEEK_SET) == -1) {
		perror("lseek");
		exit(2);
	}
	return fd;
}

/*
 * The input written CHUNK bytes at a time by a child into a socket that
 * keeps the pieces apart, so that the reader is handed the input split at
 * every possible place.
 */
static int
pieceinput(const char *s, size_t n, size_t chunk, pid_t *pid)
{
	int p[2];
	size_t off, k;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p) == -1 ||
	    (*pid = fork()) == -1) {
		perror("socketpair");
		exit(2);
	}
	if (*pid == 0) {
		close(p[0]);
		for (off = 0; off < n; off += k) {
			k = n - off < chunk ? n - off : chunk;
			if (write(p[1], s + off, k) != (ssize_t)k)
				_exit(1);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static void
transcript(struct str *t, int fd, size_t maxrecord)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e, last;
	char num[64];
	size_t i;
	int rc, nerr = 0;

	if ((r = csv_open(fd, maxrecord)) == NULL) {
		perror("csv_open");
		exit(2);
	}
	memset(&last, 0, sizeof last);
	while ((rc = csv_read(r, &rec, &e)) != 0) {
		if (rc == -1) {
			if (nerr > 0 && e.line == last.line &&
			    e.col == last.col && strcmp(e.msg, last.msg) == 0) {
				put(t, "sticky\n", 7);
				break;
			}
			snprintf(num, sizeof num, "%ld:%ld! ", e.line, e.col);
			put(t, num, strlen(num));
			put(t, e.msg, strlen(e.msg));
			put(t, "\n", 1);
			last = e;
			nerr++;
			continue;
		}
		CHECK(rc == 1);
		snprintf(num, sizeof num, "%ld: ", rec.line);
		put(t, num, strlen(num));
		for (i = 0; i < rec.nfield; i++) {
			if (i > 0)
				put(t, "|", 1);
			CHECK(strlen(rec.field[i]) == rec.len[i]);
			puts_esc(t, rec.field[i], rec.len[i]);
		}
		put(t, " {", 2);
		puts_esc(t, rec.raw, rec.rawlen);
		put(t, "}\n", 2);
	}
	csv_close(r);
}

/* Read IN whole from a file, and in pieces of 1 to 7 bytes. */
static void
check_in(const char *in, size_t n, size_t maxrecord, const char *want,
    int line)
{
	struct str t = { NULL, 0, 0 };
	size_t chunk;
	pid_t pid;
	int fd, status;

	fd = tmpinput(in, n);
	transcript(&t, fd, maxrecord);
	close(fd);
	unit_check_str(t.s ? t.s : "", want, __FILE__, line);

	for (chunk = 1; chunk <= 7; chunk++) {
		t.len = 0;
		if (t.s != NULL)
			t.s[0] = '\0';
		fd = pieceinput(in, n, chunk, &pid);
		transcript(&t, fd, maxrecord);
		close(fd);
		waitpid(pid, &status, 0);
		unit_check_str(t.s ? t.s : "", want, __FILE__, line);
	}
	free(t.s);
}

#define CASE(in, want) check_in((in), sizeof(in) - 1, 0, (want), __LINE__)
#define CASE_MAX(in, max, want) \
	check_in((in), sizeof(in) - 1, (max), (want), __LINE__)

/* The transcript of a line of LEN letters, C put at P (none at LEN). */
static void
one_line(struct str *t, size_t len, size_t p, char c)
{
	char in[32];
	size_t i;
	int fd;

	for (i = 0; i < len; i++)
		in[i] = (char)('a' + i);
	if (p < len)
		in[p] = c;
	in[len] = '\n';
	t->len = 0;
	if (t->s != NULL)
		t->s[0] = '\0';
	fd = tmpinput(in, len + 1);
	transcript(t, fd, 0);
	close(fd);
}

/*
 * A special byte at every place of lines of 1 to 24 bytes, so at every
 * place in a machine word and across two (the reader may search eight
 * bytes at a time): a comma splits the line there; a NUL, a CR or a quote
 * inside a field is an error at its column, but for a CR last, which
 * ends the line with the LF, and a quote first, which opens a quoted
 * field.
 */
static void
test_every_place(void)
{
	static const char abc[] = "abcdefghijklmnopqrstuvwxyz";
	static const char bad[] = { '\0', '\r', '"' };
	struct str t = { NULL, 0, 0 };
	char want[128];
	size_t len, p, k;
	int n, q, m;

	for (len = 1; len <= 24; len++) {
		n = (int)len;
		one_line(&t, len, len, 0);
		snprintf(want, sizeof want, "1: %.*s {%.*s}\n", n, abc, n,
		    abc);
		CHECK_STR(t.s, want);
		for (p = 0; p < len; p++) {
			q = (int)p;
			m = n - q - 1;
			one_line(&t, len, p, ',');
			snprintf(want, sizeof want,
			    "1: %.*s|%.*s {%.*s,%.*s}\n", q, abc, m,
			    abc + p + 1, q, abc, m, abc + p + 1);
			CHECK_STR(t.s, want);
			for (k = 0; k < sizeof bad; k++) {
				if ((bad[k] == '\r' && p == len - 1) ||
				    (bad[k] == '"' && p == 0))
					continue;
				one_line(&t, len, p, bad[k]);
				snprintf(want, sizeof want, "1:%zu! ", p + 1);
				CHECK(t.s != NULL &&
				    strncmp(t.s, want, strlen(want)) == 0);
			}
		}
	}
	free(t.s);
}

static void
test_shapes(void)
{
	/* Line ends, blank lines, a missing final newline. */
	CASE("a,b\n1,2\n", "1: a|b {a,b}\n2: 1|2 {1,2}\n");
	CASE("a,b\r\n1,2\r\n", "1: a|b {a,b}\n2: 1|2 {1,2}\n");
	CASE("a,b\n1,2", "1: a|b {a,b}\n2: 1|2 {1,2}\n");
	CASE("a,b\r\n1,2\r", "1: a|b {a,b}\n2: 1|2 {1,2}\n");
	CASE("\n\r\na,b\n\n\r\n\n1,2\n\r\n\n",
	    "3: a|b {a,b}\n7: 1|2 {1,2}\n");
	CASE("a,b\n1,2\n\r", "1: a|b {a,b}\n2: 1|2 {1,2}\n");

	/* A byte-order mark is dropped from the field and from raw. */
	CASE("\xef\xbb\xbftime,x\n1,2\n",
	    "1: time|x {time,x}\n2: 1|2 {1,2}\n");
	CASE("\xef\xbb\xbf\r\ntime,x\r\n",
	    "2: time|x {time,x}\n");
	/* Only at the start, and only whole. */
	CASE("a\n\xef\xbb\xbf\n", "1: a {a}\n2: \xef\xbb\xbf {\xef\xbb\xbf}\n");
	CASE("\xef\xbb", "1: \xef\xbb {\xef\xbb}\n");

	/* Empty inputs give the end at once. */
	CASE("", "");
	CASE("\n\n\r\n", "");
	CASE("\xef\xbb\xbf", "");
	CASE("\r", "");

	/* Empty fields, a single column, a header only. */
	CASE(",,\n,x,\n", "1: || {,,}\n2: |x| {,x,}\n");
	CASE("\"\",\"\"\n", "1: | {\"\",\"\"}\n");
	CASE("v\n1\n\"\"\n2", "1: v {v}\n2: 1 {1}\n3:  {\"\"}\n4: 2 {2}\n");
	CASE("time,a,b\n", "1: time|a|b {time,a,b}\n");
	CASE("time,a,b", "1: time|a|b {time,a,b}\n");

	/* Spaces belong to the field. */
	CASE(" a , b \n", "1:  a | b  { a , b }\n");

	/*
	 * A CR that ends no line is refused outside quotes, in both the
	 * plain and the quoted parser: CR-only line ends would otherwise
	 * make a whole file one header line.  Inside quotes it is data.
	 */
	CASE("a\rb,c\n", "1:2! carriage return inside an unquoted field "
	    "(CR-only line ends? use LF or CRLF)\nsticky\n");
	CASE("time,v\r1,2\r", "1:7! carriage return inside an unquoted "
	    "field (CR-only line ends? use LF or CRLF)\nsticky\n");
	CASE("\"q\",a\rb\n", "1:6! carriage return inside an unquoted "
	    "field (CR-only line ends? use LF or CRLF)\nsticky\n");
	CASE("\"a\rb\",c\r\n", "1: a\\rb|c {\"a\\rb\",c}\n");
}

static void
test_quotes(void)
{
	CASE("a,b\n1,\"x,y\"\n", "1: a|b {a,b}\n2: 1|x,y {1,\"x,y\"}\n");
	CASE("\"say \"\"hi\"\"\",\"\"\"\"\n",
	    "1: say \"hi\"|\" {\"say \"\"hi\"\"\",\"\"\"\"}\n");

	/* Line breaks inside quotes are kept, CRLF included. */
	CASE("a,b\n\"two\nlines\",x\n3,4\n",
	    "1: a|b {a,b}\n2: two\\nlines|x {\"two\\nlines\",x}\n"
	    "4: 3|4 {3,4}\n");
	CASE("a,b\r\n\"two\r\nlines\",x\r\n3,4\r\n",
	    "1: a|b {a,b}\n2: two\\r\\nlines|x {\"two\\r\\nlines\",x}\n"
	    "4: 3|4 {3,4}\n");
	CASE("\"\n\n\n\",x\n", "1: \\n\\n\\n|x {\"\\n\\n\\n\",x}\n");

	/* A quoted last field, with and without a final line end. */
	CASE("a,\"b\"", "1: a|b {a,\"b\"}\n");
	CASE("a,\"b\"\r", "1: a|b {a,\"b\"}\n");
	CASE("a,\"b\"\r\n", "1: a|b {a,\"b\"}\n");
	CASE("\"a\",", "1: a| {\"a\",}\n");
	CASE("\"a\",\r\n", "1: a| {\"a\",}\n");

	/* Line numbers count physical lines after a multi-line field. */
	CASE("a,b\n\"1\n2\n3\",x\n4,\"y\"z\n",
	    "1: a|b {a,b}\n2: 1\\n2\\n3|x {\"1\\n2\\n3\",x}\n"
	    "5:6! text after a closing quote (expected a comma or the end "
	    "of the line)\nsticky\n");
	CASE("a,b\n\"1\n2\"x,y\n",
	    "1: a|b {a,b}\n"
	    "3:3! text after a closing quote (expected a comma or the end "
	    "of the line)\nsticky\n");
}

static void
test_errors(void)
{
	CASE("a,b\n1,x\"y\n",
	    "1: a|b {a,b}\n2:4! quote inside an unquoted field (quote the "
	    "whole field and double the quotes in it)\nsticky\n");
	CASE("a,b\n1,x\"\n",
	    "1: a|b {a,b}\n2:4! quote inside an unquoted field (quote the "
	    "whole field and double the quotes in it)\nsticky\n");
	CASE("a,b\n\"1\"\r2,x\n",
	    "1: a|b {a,b}\n2:4! text after a closing quote (expected a comma "
	    "or the end of the line)\nsticky\n");
	CASE("a,b\n\"1\" ,x\n",
	    "1: a|b {a,b}\n2:4! text after a closing quote (expected a comma "
	    "or the end of the line)\nsticky\n");

	/* An open quote is reported where it opened. */
	CASE("a,b\n1,\"open\n\n\nmore",
	    "1: a|b {a,b}\n2:3! quoted field not closed at the end of the "
	    "input\nsticky\n");
	CASE("\"", "1:1! quoted field not closed at the end of the "
	    "input\nsticky\n");
	CASE("a,\"\"\"", "1:3! quoted field not closed at the end of the "
	    "input\nsticky\n");

	/* NUL bytes, in plain and in quoted fields. */
	CASE("a,b\n1,x\0y\n",
	    "1: a|b {a,b}\n2:4! NUL byte in the input\nsticky\n");
	CASE("a,b\n\"x\ny\0\",1\n",
	    "1: a|b {a,b}\n3:2! NUL byte in the input\nsticky\n");
	CASE("\0", "1:1! NUL byte in the input\nsticky\n");

	/* Ragged records: reported, and reading goes on. */
	CASE("a,b,c\n1,2\n1,2,3\n1,2,3,4\n\"x\ny\",\n1,2,3\n",
	    "1: a|b|c {a,b,c}\n2:0! expected 3 fields, found 2\n"
	    "3: 1|2|3 {1,2,3}\n4:0! expected 3 fields, found 4\n"
	    "5:0! expected 3 fields, found 2\n7: 1|2|3 {1,2,3}\n");
	CASE("a\n1,\n", "1: a {a}\n2:0! expected 1 fields, found 2\n");

	/* The record limit: the line end does not count. */
	CASE_MAX("abcd,efgh\n", 9, "1: abcd|efgh {abcd,efgh}\n");
	CASE_MAX("abcd,efgh\r\n", 9, "1: abcd|efgh {abcd,efgh}\n");
	CASE_MAX("abcd,efgh", 9, "1: abcd|efgh {abcd,efgh}\n");
	CASE_MAX("\"bc\",efgh\r\n", 9, "1: bc|efgh {\"bc\",efgh}\n");
	CASE_MAX("a\nabcd,efghi\n", 9,
	    "1: a {a}\n2:0! record longer than 9 bytes\nsticky\n");
	CASE_MAX("a\nabcd,efghi", 9,
	    "1: a {a}\n2:0! record longer than 9 bytes\nsticky\n");
	CASE_MAX("a\n\"b\nc\nd\",efg\n", 9,
	    "1: a {a}\n2:0! record longer than 9 bytes\nsticky\n");
	CASE_MAX("a,z\n\"b\nc\nd\",e\n", 9, "1: a|z {a,z}\n2: b\\nc\\nd|e "
	    "{\"b\\nc\\nd\",e}\n");
}

/* A descriptor that cannot be read gives the system's reason. */
static void
test_read_error(void)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	int fd;

	if ((fd = open("/", O_RDONLY)) == -1) {
		perror("open /");
		exit(2);
	}
	r = csv_open(fd, 0);
	CHECK(r != NULL);
	memset(&e, 0, sizeof e);
	CHECK(csv_read(r, &rec, &e) == -1);
	CHECK(strstr(e.msg, "cannot read: ") == e.msg);
	CHECK(strstr(e.msg, strerror(EISDIR)) != NULL);
	CHECK(e.line == 0);
	CHECK(csv_read(r, &rec, &e) == -1);
	csv_close(r);
	close(fd);

	/* A closed descriptor. */
	r = csv_open(fd, 0);
	CHECK(csv_read(r, &rec, &e) == -1);
	CHECK(strstr(e.msg, strerror(EBADF)) != NULL);
	csv_close(r);
}

/*
 * Long records and records across the places where one read ends and the
 * next begins: the first read of a regular file ends at a power of two.
 */
static void
test_large(void)
{
	static const char tricky[] =
	    "\"q\"\"\r\nz\",,\"\"\r\nx,\"y\"\r\n";
	size_t n = 3u << 20, i, pad, bound, off;
	char *in, *p, *want;
	struct str t = { NULL, 0, 0 };
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	int fd;

	/* One 3 MB line of 3 fields, and a record after it. */
	in = malloc(n + 64);
	want = malloc(n + 256);
	if (in == NULL || want == NULL) {
		perror("malloc");
		exit(2);
	}
	p = in;
	p += sprintf(p, "a,b,c\n");
	memset(p, 'x', n);
	p[1000] = ',';
	p[n - 1000] = ',';
	p += n;
	p += sprintf(p, "\r\n\"q\n\",2,3\n");
	fd = tmpinput(in, (size_t)(p - in));
	r = csv_open(fd, 0);
	CHECK(csv_read(r, &rec, &e) == 1 && rec.nfield == 3);
	CHECK(csv_read(r, &rec, &e) == 1);
	CHECK(rec.line == 2 && rec.nfield == 3 && rec.rawlen == n);
	CHECK(rec.raw != NULL && memcmp(rec.raw, in + 6, n) == 0);
	CHECK(rec.len[0] == 1000 && rec.len[1] == n - 2001 &&
	    rec.len[2] == 999);
	CHECK(strspn(rec.field[1], "x") == n - 2001);
	CHECK(csv_read(r, &rec, &e) == 1);
	CHECK(rec.line == 3 && rec.nfield == 3 && rec.len[0] == 2);
	CHECK(csv_read(r, &rec, &e) == 0);
	csv_close(r);
	close(fd);

	/* A quoted 3 MB field holding line breaks. */
	p = in;
	p += sprintf(p, "a,b\n\"");
	for (i = 0; i < n; i++)
		*p++ = i % 100 == 99 ? '\n' : 'y';
	p += sprintf(p, "\",1\n2,3");
	fd = tmpinput(in, (size_t)(p - in));
	r = csv_open(fd, 0);
	CHECK(csv_read(r, &rec, &e) == 1);
	CHECK(csv_read(r, &rec, &e) == 1);
	CHECK(rec.line == 2 && rec.nfield == 2 && rec.len[0] == n);
	CHECK(rec.rawlen == n + 4 && memcmp(rec.raw, in + 4, n + 4) == 0);
	CHECK(memcmp(rec.field[0], in + 5, n) == 0);
	CHECK(csv_read(r, &rec, &e) == 1);
	CHECK(rec.line == 3 + (long)(n / 100));
	CHECK(csv_read(r, &rec, &e) == 0);
	csv_close(r);
	close(fd);

	/* Over the limit. */
	fd = tmpinput(in, (size_t)(p - in));
	transcript(&t, fd, n / 2);
	close(fd);
	CHECK_STR(t.s, "1: a|b {a,b}\n2:0! record longer than 1572864 "
	    "bytes\nsticky\n");
	free(t.s);

	/*
	 * Every kind of separator placed on each side of a read boundary:
	 * a padding record moves the tricky one byte by byte.
	 */
	for (bound = 1u << 16; bound <= 1u << 18; bound <<= 1) {
		for (pad = bound - 24; pad < bound + 8; pad++) {
			p = in;
			p += sprintf(p, "h,i,j\n");
			off = pad - (size_t)(p - in) - 3;
			memset(p, 'w', off);
			p += off;
			p += sprintf(p, ",,\n");
			memcpy(p, tricky, sizeof tricky - 1);
			p += sizeof tricky - 1;
			t.s = NULL;
			t.len = t.cap = 0;
			fd = tmpinput(in, (size_t)(p - in));
			transcript(&t, fd, 0);
			close(fd);
			sprintf(want, "1: h|i|j {h,i,j}\n2: ");
			memset(want + strlen(want), 'w', off);
			sprintf(want + 20 + off, "|| {");
			memset(want + strlen(want), 'w', off);
			sprintf(want + 24 + 2 * off, ",,}\n3: q\"\\r\\nz|| "
			    "{\"q\"\"\\r\\nz\",,\"\"}\n5:0! expected 3 fields, "
			    "found 2\n");
			CHECK_STR(t.s, want);
			free(t.s);
		}
	}
	free(in);
	free(want);
}

/*
 * A record of exactly the limit is read, one byte more is refused, with
 * the limit on either side of where the buffers stop doubling: they grow
 * to the limit plus one read, and no further.
 */
static void
test_at_limit(void)
{
	static const size_t max[] = { 10, 65535, 131072, 200000, 300001,
	    524288 };
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	size_t i, k, len, nl;
	char *in, *p, want[64];
	int quoted, fd, rc;

	if ((in = malloc(max[5] + 64)) == NULL) {
		perror("malloc");
		exit(2);
	}
	for (i = 0; i < sizeof max / sizeof max[0]; i++)
	for (quoted = 0; quoted < 2; quoted++)
	for (len = max[i]; len <= max[i] + 1; len++) {
		p = in;
		p += sprintf(p, "h\n");
		nl = 0;
		for (k = 0; k < len; k++) {
			if (quoted && (k == 0 || k == len - 1))
				*p++ = '"';
			else if (quoted && k % 1000 == 999) {
				*p++ = '\n';
				nl++;
			} else
				*p++ = 'x';
		}
		p += sprintf(p, "\r\nz\n");
		fd = tmpinput(in, (size_t)(p - in));
		r = csv_open(fd, max[i]);
		CHECK(csv_read(r, &rec, &e) == 1);
		rc = csv_read(r, &rec, &e);
		if (len > max[i]) {
			snprintf(want, sizeof want, "record longer than"
			    " %zu bytes", max[i]);
			CHECK(rc == -1 && e.line == 2);
			CHECK_STR(rc == -1 ? e.msg : "", want);
		} else {
			CHECK(rc == 1 && rec.rawlen == len);
			CHECK(rec.nfield == 1 &&
			    rec.len[0] == (quoted ? len - 2 : len));
			CHECK(csv_read(r, &rec, &e) == 1);
			CHECK(rec.line == 3 + (long)nl &&
			    strcmp(rec.field[0], "z") == 0);
			CHECK(csv_read(r, &rec, &e) == 0);
		}
		csv_close(r);
		close(fd);
	}
	free(in);
}

/*
 * An endless record is refused once it passes the limit, rather than read
 * until memory runs out.  The writer stops after 16 MB without closing,
 * so a reader that waits for the end hangs, and the alarm ends the test.
 */
static void
test_endless(void)
{
	static const char *start[] = { "a\nxx", "a\n\"x\nx" };
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	char block[4096];
	size_t i, k;
	pid_t pid;
	int p[2], status;

	memset(block, 'x', sizeof block);
	block[100] = '\n';
	alarm(10);
	for (i = 0; i < 2; i++) {
		if (pipe(p) == -1 || (pid = fork()) == -1) {
			perror("pipe");
			exit(2);
		}
		if (pid == 0) {
			close(p[0]);
			if (write(p[1], start[i], strlen(start[i])) == -1)
				_exit(1);
			/* Line breaks only in the quoted case. */
			if (i == 0)
				block[100] = 'x';
			for (k = 0; k < 4096; k++)
				if (write(p[1], block, sizeof block) == -1)
					_exit(0);
			/* Outlive a hung reader only briefly. */
			alarm(15);
			pause();
			_exit(0);
		}
		close(p[1]);
		r = csv_open(p[0], 100000);
		CHECK(csv_read(r, &rec, &e) == 1);
		CHECK(csv_read(r, &rec, &e) == -1);
		CHECK_STR(e.msg, "record longer than 100000 bytes");
		CHECK(e.line == 2);
		csv_close(r);
		close(p[0]);
		kill(pid, SIGTERM);
		waitpid(pid, &status, 0);
	}
	alarm(0);
}

/* Write random fields, read them back: the same fields, the same raw. */
static void
test_round_trip(void)
{
	static const char alphabet[] = "ab ,\"\r\n1\xc3\xa9";
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	char *buf = NULL, **fields;
	size_t buflen = 0, nrec = 200, nf = 4, i, j, k, len, *flen, *rawoff;
	FILE *fp;
	int fd, rc, bad = 0;

	fields = calloc(nrec * nf, sizeof *fields);
	flen = calloc(nrec * nf, sizeof *flen);
	rawoff = calloc(nrec + 1, sizeof *rawoff);
	if (fields == NULL || flen == NULL || rawoff == NULL ||
	    (fp = open_memstream(&buf, &buflen)) == NULL) {
		perror("alloc");
		exit(2);
	}
	srand(7);
	for (i = 0; i < nrec; i++) {
		rawoff[i] = (size_t)ftell(fp);
		for (j = 0; j < nf; j++) {
			len = (size_t)(rand() % 6);
			fields[i * nf + j] = malloc(len + 1);
			for (k = 0; k < len; k++)
				fields[i * nf + j][k] =
				    alphabet[rand() % (sizeof alphabet - 1)];
			fields[i * nf + j][len] = '\0';
			flen[i * nf + j] = len;
			if (j > 0)
				putc(',', fp);
			CHECK(csv_put_field(fp, fields[i * nf + j], len) == 0);
		}
		fputs(i % 2 ? "\r\n" : "\n", fp);
	}
	fclose(fp);

	fd = tmpinput(buf, buflen);
	r = csv_open(fd, 0);
	for (i = 0; (rc = csv_read(r, &rec, &e)) == 1; i++) {
		if (i >= nrec || rec.nfield != nf) {
			bad++;
			break;
		}
		for (j = 0; j < nf; j++)
			if (rec.len[j] != flen[i * nf + j] ||
			    memcmp(rec.field[j], fields[i * nf + j],
			    rec.len[j]) != 0)
				bad++;
		if (rec.raw != NULL && memcmp(rec.raw, buf + rawoff[i],
		    rec.rawlen) != 0)
			bad++;
		k = rawoff[i] + rec.rawlen;
		if (!(buf[k] == '\n' || (buf[k] == '\r' && buf[k + 1] == '\n')))
			bad++;
	}
	if (rc == -1)
		fprintf(stderr, "round trip: %ld:%ld: %s\n", e.line, e.col,
		    e.msg);
	CHECK(rc == 0);
	CHECK(i == nrec);
	CHECK(bad == 0);
	csv_close(r);
	close(fd);
	for (i = 0; i < nrec * nf; i++)
		free(fields[i]);
	free(fields);
	free(flen);
	free(rawoff);
	free(buf);
}

static void
test_writer(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp;

	CHECK(!csv_needs_quotes("", 0));
	CHECK(!csv_needs_quotes("plain text", 10));
	CHECK(!csv_needs_quotes(" lead and trail ", 16));
	CHECK(!csv_needs_quotes("2024-05-01T10:00:00Z", 20));
	CHECK(csv_needs_quotes("a,b", 3));
	CHECK(csv_needs_quotes("a\"b", 3));
	CHECK(csv_needs_quotes("a\nb", 3));
	CHECK(csv_needs_quotes("\r", 1));
	/* Only the LEN bytes count. */
	CHECK(!csv_needs_quotes("ab,c", 2));
	/* A leading byte-order mark would be dropped by the reader. */
	CHECK(csv_needs_quotes("\xef\xbb\xbf" "a", 4));
	CHECK(!csv_needs_quotes("a\xef\xbb\xbf", 4));
	CHECK(!csv_needs_quotes("\xef\xbb", 2));

	if ((fp = open_memstream(&buf, &len)) == NULL) {
		perror("open_memstream");
		exit(2);
	}
	CHECK(csv_put_field(fp, "x", 1) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "", 0) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "say \"hi\"", 8) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "\"", 1) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "a,b\r\nc", 6) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "\"\"x\"", 4) == 0);
	putc(',', fp);
	CHECK(csv_put_field(fp, "a,bc", 3) == 0);
	fclose(fp);
	CHECK_STR(buf, "x,,\"say \"\"hi\"\"\",\"\"\"\",\"a,b\r\nc\","
	    "\"\"\"\"\"x\"\"\",\"a,b\"");
	free(buf);

	/* A stream that fails. */
	if ((fp = fopen("/dev/full", "w")) != NULL) {
		setvbuf(fp, NULL, _IONBF, 0);
		CHECK(csv_put_field(fp, "abc", 3) == -1);
		CHECK(csv_put_field(fp, "a,c", 3) == -1);
		CHECK(csv_put_field(fp, "a\"c", 3) == -1);
		fclose(fp);
	}
}

static void
test_find(void)
{
	struct csv_reader *r;
	struct csv_record hdr;
	struct err e;
	int fd;

	fd = tmpinput("time,temp,\"a,b\",,temp\n", 22);
	r = csv_open(fd, 0);
	CHECK(csv_read(r, &hdr, &e) == 1);
	CHECK(csv_find(&hdr, "time") == 0);
	CHECK(csv_find(&hdr, "temp") == 1);
	CHECK(csv_find(&hdr, "a,b") == 2);
	CHECK(csv_find(&hdr, "") == 3);
	CHECK(csv_find(&hdr, "Time") == -1);
	CHECK(csv_find(&hdr, "tem") == -1);
	CHECK(csv_find(&hdr, "temps") == -1);
	csv_close(r);
	close(fd);
}

/* The name index: first position, counts, the earliest repeat. */
static void
test_names(void)
{
	char *names[] = { "time", "b", "a", "b", "c", "a", "b" };
	char *distinct[] = { "x", "y", "z" };
	struct csv_names ix;
	struct err e;
	size_t count;

	CHECK(csv_names_init(&ix, names, 7, &e) == 0);
	CHECK(csv_names_find(&ix, "time", &count) == 0 && count == 1);
	CHECK(csv_names_find(&ix, "b", &count) == 1 && count == 3);
	CHECK(csv_names_find(&ix, "a", &count) == 2 && count == 2);
	CHECK(csv_names_find(&ix, "c", NULL) == 4);
	CHECK(csv_names_find(&ix, "d", &count) == -1 && count == 0);
	CHECK(csv_names_find(&ix, "", &count) == -1 && count == 0);
	/* "b" comes again at 3 before "a" does at 5. */
	CHECK(csv_names_repeat(&ix) == 3);
	csv_names_free(&ix);

	CHECK(csv_names_init(&ix, distinct, 3, &e) == 0);
	CHECK(csv_names_repeat(&ix) == 3);
	CHECK(csv_names_find(&ix, "z", NULL) == 2);
	csv_names_free(&ix);

	CHECK(csv_names_init(&ix, NULL, 0, &e) == 0);
	CHECK(csv_names_find(&ix, "x", &count) == -1 && count == 0);
	CHECK(csv_names_repeat(&ix) == 0);
	csv_names_free(&ix);
}

/* The header is the first record; no record at all is an error. */
static void
test_header(void)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	int fd[2];

	CHECK(pipe(fd) == 0);
	CHECK(write(fd[1], "a,b\n1,2\n", 8) == 8);
	close(fd[1]);
	CHECK((r = csv_open(fd[0], 0)) != NULL);
	CHECK(csv_header(r, &rec, &e) == 0 && rec.nfield == 2 &&
	    rec.line == 1);
	csv_close(r);
	close(fd[0]);

	CHECK(pipe(fd) == 0);
	close(fd[1]);
	CHECK((r = csv_open(fd[0], 0)) != NULL);
	CHECK(csv_header(r, &rec, &e) == -1 && e.line == 0);
	CHECK(strcmp(e.msg, "empty input: expected a header line naming the"
	    " columns") == 0);
	csv_close(r);
	close(fd[0]);
}

static void
test_columns(void)
{
	char *hdr[] = { "time", "b", "a", "b" };
	char *want[] = { "a", "time" };
	char *absent[] = { "a", "z" };
	char *twice[] = { "b" };
	struct csv_record rec = { hdr, NULL, 4, "", 0, 3 };
	struct err e;
	size_t col[2] = { 9, 9 };

	CHECK(csv_columns(&rec, want, 2, "x", col, &e) == 0);
	CHECK(col[0] == 2 && col[1] == 0);
	CHECK(csv_columns(&rec, NULL, 0, "x", col, &e) == 0);

	CHECK(csv_columns(&rec, absent, 2, "the model needs it", col,
	    &e) == -1);
	CHECK(e.line == 3 && e.col == 0);
	CHECK(strcmp(e.msg, "no column \"z\" in the header: the model"
	    " needs it") == 0);

	CHECK(csv_columns(&rec, twice, 1, "x", col, &e) == -1);
	CHECK(e.line == 3);
	CHECK(strcmp(e.msg, "column \"b\" appears twice in the header") ==
	    0);
}

int
main(void)
{
	test_shapes();
	test_every_place();
	test_quotes();
	test_names();
	test_columns();
	test_header();
	test_errors();
	test_read_error();
	test_large();
	test_at_limit();
	test_endless();
	test_round_trip();
	test_writer();
	test_find();
	return unit_done();
}
