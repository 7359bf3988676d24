/*
 * smtp-sink - a small SMTP server for the tests: it takes mail on the
 * loopback address and keeps each message in a file, so that a real
 * client such as msmtp can be tested against it.
 *
 * usage: smtp-sink -d dir -p portfile [-c control] [-f fault]
 *                  [-i idle] [-s size] [-v]
 *        smtp-sink -S -d dir [-f fault] [-s size] [-v]
 *
 * It listens on 127.0.0.1 at a port the system picks and writes that port
 * to PORTFILE (through a temporary file, so a reader never sees half of
 * it).  One session is served at a time.  Message N is kept as DIR/N.eml,
 * exactly as it came off the wire after dot-unstuffing (so with CRLF line
 * ends), and its envelope as DIR/N.env: lines "helo NAME", "from ADDR" and
 * one "to ADDR" per recipient.  Both are written under temporary names and
 * renamed, the envelope first, before the message is acknowledged.
 *
 * A fault is MODE or MODE:N and applies to the next N connections
 * (refuse, greet-421) or mail transactions (the others), 1 if N is left
 * out:
 *
 *	none		no fault
 *	refuse		close each connection at once
 *	greet-421	greet with 421 and close
 *	rcpt-451	answer every RCPT TO with 451
 *	rcpt-550	answer every RCPT TO with 550
 *	data-451	take the message, answer 451 and keep nothing
 *	data-550	take the message, answer 550 and keep nothing
 *
 * -f sets the fault at start.  When the file CONTROL exists as a session
 * begins, its first line replaces the fault and the file is removed, so
 * a test arms a fault by writing a file (then renaming it into place).
 *
 * The sink exits with status 0 on SIGTERM or SIGINT, and after IDLE
 * seconds (300 by default) without a connection; a client silent for
 * IDLE seconds is dropped.  -S serves one session on standard input and
 * output instead, for tests of the dialogue itself.  -v copies the
 * dialogue to standard error.  No TLS, no AUTH.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "diag.h"
#include "num.h"

static const char usage_text[] =
    "usage: smtp-sink -d dir -p portfile [-c control] [-f fault]\n"
    "                 [-i idle] [-s size] [-v]\n"
    "       smtp-sink -S -d dir [-f fault] [-s size] [-v]\n";

/* A command line longer than this is refused; text lines may be longer. */
#define CMD_MAX		512
/* No line of any kind may exceed this: it bounds the input buffer. */
#define LINE_MAX_BYTES	(1024 * 1024)

enum fault {
	F_NONE, F_REFUSE, F_GREET421, F_RCPT451, F_RCPT550, F_DATA451,
	F_DATA550
};

static const char *const fault_names[] = {
	"none", "refuse", "greet-421", "rcpt-451", "rcpt-550", "data-451",
	"data-550"
};

struct conf {
	const char	*dir;
	const char	*control;
	long		 idle;
	long		 size;
	int		 verbose;
	enum fault	 fault;
	long		 count;
};

/* The input side of a session: a growing buffer of unread bytes. */
struct input {
	int	 fd;
	char	*buf;
	size_t	 len;
	size_t	 cap;
	size_t	 off;
	int	 eof;
};

/* One mail transaction and what the session knows. */
struct session {
	struct conf	*conf;
	struct input	 in;
	int		 out;
	char		*helo;
	char		*from;
	char		**rcpt;
	size_t		 nrcpt;
	int		 mail;
	enum fault	 fault;
};

/* Written by the signal handler; poll watches its read end. */
static int stop_pipe[2] = { -1, -1 };

static void
on_stop(int sig)
{
	int saved = errno;
	char c = 1;
	ssize_t r;

	/* A write that fails finds the pipe full: a wake-up is waiting. */
	(void)sig;
	r = write(stop_pipe[1], &c, 1);
	(void)r;
	errno = saved;
}

static int
stopping(void)
{
	struct pollfd p;

	p.fd = stop_pipe[0];
	p.events = POLLIN;
	return poll(&p, 1, 0) > 0;
}

/* Parse MODE or MODE:N.  Returns NULL or why it is wrong. */
static const char *
parse_fault(const char *s, size_t len, enum fault *f, long *n)
{
	size_t i, mlen;
	const char *colon;
	char *num;
	const char *why;
	long count;

	colon = memchr(s, ':', len);
	mlen = colon != NULL ? (size_t)(colon - s) : len;
	for (i = 0; i < sizeof fault_names / sizeof fault_names[0]; i++)
		if (strlen(fault_names[i]) == mlen &&
		    memcmp(fault_names[i], s, mlen) == 0)
			break;
	if (i == sizeof fault_names / sizeof fault_names[0])
		return "unknown fault";
	count = 1;
	if (colon != NULL) {
		if ((num = malloc(len - mlen)) == NULL)
			return "out of memory";
		memcpy(num, colon + 1, len - mlen - 1);
		num[len - mlen - 1] = '\0';
		why = num_long(num, 0, 1000000, &count);
		free(num);
		if (why != NULL)
			return why;
	}
	*f = (enum fault)i;
	*n = count;
	return NULL;
}

/*
 * Take a fault from the control file, if there is one.  The file is read
 * whole, its first line used and the file removed, so one arming is used
 * up by the sessions it names and never comes back.
 */
static void
read_control(struct conf *c)
{
	char *buf = NULL, *nb;
	size_t len = 0, cap = 0, line;
	ssize_t r;
	const char *why;
	int fd;

	if (c->control == NULL ||
	    (fd = open(c->control, O_RDONLY)) == -1)
		return;
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 64 : 2 * cap;
			if ((nb = realloc(buf, cap)) == NULL) {
				diag_warn("%s: out of memory", c->control);
				goto out;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, cap - len)) <= 0)
			break;
		len += (size_t)r;
	}
	if (r == -1) {
		diag_sys("%s", c->control);
		goto out;
	}
	for (line = 0; line < len && buf[line] != '\n' &&
	    buf[line] != '\r'; line++)
		continue;
	if ((why = parse_fault(buf, line, &c->fault, &c->count)) != NULL)
		diag_at(c->control, 1, "%s", why);
	else if (c->verbose)
		fprintf(stderr, "smtp-sink: fault %s:%ld\n",
		    fault_names[c->fault], c->count);
out:
	close(fd);
	free(buf);
	if (unlink(c->control) == -1)
		diag_sys("%s", c->control);
}

/* Use up one of the current fault's N if it is F; 1 if it applies. */
static int
take_fault(struct conf *c, enum fault f)
{
	if (c->fault != f || c->count <= 0)
		return 0;
	if (--c->count == 0)
		c->fault = F_NONE;
	return 1;
}

static int
reply(struct session *s, const char *text)
{
	size_t len = strlen(text), done = 0;
	ssize_t w;

	if (s->conf->verbose)
		fprintf(stderr, "> %s", text);
	while (done < len) {
		if ((w = write(s->out, text + done, len - done)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)w;
	}
	return 0;
}

/*
 * The next line, terminator included, in *LINE and *LEN.  Returns 1, 0 at
 * the end of input (a last line without LF is dropped), -1 on a read
 * error, a line over LINE_MAX_BYTES, a timeout or a stop signal.
 */
static int
next_line(struct session *s, char **line, size_t *len)
{
	struct input *in = &s->in;
	struct pollfd p[2];
	char *nl, *nb;
	ssize_t r;
	int timeout;

	timeout = s->conf->idle > 0 ? (int)s->conf->idle * 1000 : -1;
	for (;;) {
		/* An empty buffer may still be NULL: no sums on it. */
		nl = in->len > in->off ?
		    memchr(in->buf + in->off, '\n', in->len - in->off) : NULL;
		if (nl != NULL) {
			*line = in->buf + in->off;
			*len = (size_t)(nl - *line) + 1;
			in->off += *len;
			return 1;
		}
		if (in->eof)
			return 0;
		if (in->len - in->off > LINE_MAX_BYTES)
			return -1;
		if (in->off > 0) {
			memmove(in->buf, in->buf + in->off,
			    in->len - in->off);
			in->len -= in->off;
			in->off = 0;
		}
		if (in->cap - in->len < 4096) {
			if ((nb = realloc(in->buf, in->cap + 8192)) == NULL)
				return -1;
			in->buf = nb;
			in->cap += 8192;
		}
		p[0].fd = in->fd;
		p[0].events = POLLIN;
		p[1].fd = stop_pipe[0];
		p[1].events = POLLIN;
		p[1].revents = 0;
		r = poll(p, stop_pipe[0] == -1 ? 1 : 2, timeout);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0 || (p[1].revents & POLLIN))
			return -1;
		r = read(in->fd, in->buf + in->len, in->cap - in->len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return -1;
		if (r == 0)
			in->eof = 1;
		in->len += (size_t)r;
	}
}

static void
reset(struct session *s)
{
	size_t i;

	free(s->from);
	s->from = NULL;
	for (i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->mail = 0;
	s->fault = F_NONE;
}

/*
 * Does LINE (LEN bytes, terminator gone) start with the verb V, followed
 * by the end or a space?  Verbs are case-insensitive.
 */
static int
is_verb(const char *line, size_t len, const char *v)
{
	size_t n = strlen(v);

	return len >= n && strncasecmp(line, v, n) == 0 &&
	    (len == n || line[n] == ' ');
}

/*
 * The address of "FROM:<addr> params" or "TO:<addr> params" after the
 * keyword KW, as a new string in *ADDR; *REST points past the ">".
 * Returns 0, or -1 on a syntax error or no memory.
 */
static int
path_arg(const char *arg, size_t len, const char *kw, char **addr,
    const char **rest)
{
	size_t n = strlen(kw), i;
	const char *a, *end;

	if (len < n || strncasecmp(arg, kw, n) != 0)
		return -1;
	a = arg + n;
	end = arg + len;
	/* Some clients put a space after the colon; accept it. */
	while (a < end && *a == ' ')
		a++;
	if (a == end || *a != '<')
		return -1;
	a++;
	for (i = 0; a + i < end && a[i] != '>'; i++)
		if (a[i] == '<' || a[i] == ' ' || (unsigned char)a[i] < 32)
			return -1;
	if (a + i == end)
		return -1;
	if ((*addr = malloc(i + 1)) == NULL)
		return -1;
	memcpy(*addr, a, i);
	(*addr)[i] = '\0';
	*rest = a + i + 1;
	return 0;
}

/*
 * Check the MAIL FROM parameters: SIZE=n and BODY=7BIT|8BITMIME.
 * Returns NULL or the reply to send.
 */
static const char *
mail_params(struct session *s, const char *p, const char *end)
{
	const char *q;
	char *num;
	long n;
	const char *why;

	while (p < end) {
		while (p < end && *p == ' ')
			p++;
		if (p == end)
			break;
		for (q = p; q < end && *q != ' '; q++)
			continue;
		if ((size_t)(q - p) > 5 && strncasecmp(p, "SIZE=", 5) == 0) {
			if ((num = malloc((size_t)(q - p) - 4)) == NULL)
				return "451 4.3.0 out of memory\r\n";
			memcpy(num, p + 5, (size_t)(q - p) - 5);
			num[q - p - 5] = '\0';
			why = num_long(num, 0, 2147483647L, &n);
			free(num);
			if (why != NULL)
				return "501 5.5.4 bad SIZE\r\n";
			if (n > s->conf->size)
				return "552 5.3.4 message too big\r\n";
		} else if (!(q - p == 9 &&
		    strncasecmp(p, "BODY=7BIT", 9) == 0) &&
		    !(q - p == 13 && strncasecmp(p, "BODY=8BITMIME", 13) == 0))
			return "555 5.5.4 unknown parameter\r\n";
		p = q;
	}
	return NULL;
}

/* DIR/ and FMT filled with N, as a new string; NULL without memory. */
static char *
dir_path(const char *dir, const char *fmt, unsigned long n)
{
	size_t len = strlen(dir) + 32;
	char *p;

	if ((p = malloc(len)) == NULL)
		return NULL;
	snprintf(p, len, "%s/", dir);
	snprintf(p + strlen(p), len - strlen(p), fmt, n);
	return p;
}

/*
 * Read the message text up to the lone dot.  It goes to FD when FD is
 * not -1; *BIG is set when it grew past the size limit.  Returns 0, or -1
 * when the session ended first.
 */
static int
read_text(struct session *s, int fd, int *wrote_ok, int *big)
{
	char *line;
	size_t len;
	long total = 0;
	int r;

	*big = 0;
	while ((r = next_line(s, &line, &len)) == 1) {
		if ((len == 3 && memcmp(line, ".\r\n", 3) == 0) ||
		    (len == 2 && memcmp(line, ".\n", 2) == 0))
			return 0;
		if (line[0] == '.') {
			line++;
			len--;
		}
		if (total > s->conf->size - (long)len)
			*big = 1;
		else
			total += (long)len;
		if (fd != -1 && !*big && *wrote_ok &&
		    write(fd, line, len) != (ssize_t)len)
			*wrote_ok = 0;
	}
	return -1;
}

/* Write the envelope to FD; -1 on error. */
static int
write_env(struct session *s, int fd)
{
	FILE *f;
	size_t i;
	int rc = 0;

	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return -1;
	}
	fprintf(f, "helo %s\nfrom %s\n", s->helo != NULL ? s->helo : "",
	    s->from);
	for (i = 0; i < s->nrcpt; i++)
		fprintf(f, "to %s\n", s->rcpt[i]);
	if (ferror(f))
		rc = -1;
	if (fclose(f) == EOF)
		rc = -1;
	return rc;
}

/*
 * DATA: take the text and keep it as the next free N.eml with its N.env.
 * Returns 0, or -1 when the session must end.
 */
static int
do_data(struct session *s)
{
	char *tmp_eml, *tmp_env, *eml = NULL, *env = NULL;
	unsigned long n;
	int fd, efd = -1, ok = 1, big, kept = 0;
	const char *r;
	struct stat st;

	if (reply(s, "354 end data with <CR><LF>.<CR><LF>\r\n") == -1)
		return -1;
	tmp_eml = dir_path(s->conf->dir, ".%lu.eml.tmp",
	    (unsigned long)getpid());
	tmp_env = dir_path(s->conf->dir, ".%lu.env.tmp",
	    (unsigned long)getpid());
	fd = -1;
	if (tmp_eml == NULL || tmp_env == NULL)
		ok = 0;
	else if ((fd = open(tmp_eml, O_WRONLY | O_CREAT | O_TRUNC,
	    0644)) == -1) {
		diag_sys("%s", tmp_eml);
		ok = 0;
	}
	if (read_text(s, fd, &ok, &big) == -1) {
		if (fd != -1) {
			close(fd);
			unlink(tmp_eml);
		}
		free(tmp_eml);
		free(tmp_env);
		return -1;
	}
	if (fd != -1 && close(fd) == -1)
		ok = 0;

	if (big)
		r = "552 5.3.4 message too big\r\n";
	else if (s->fault == F_DATA451)
		r = "451 4.3.0 told to fail this message\r\n";
	else if (s->fault == F_DATA550)
		r = "550 5.7.1 told to refuse this message\r\n";
	else if (!ok)
		r = "451 4.3.0 cannot keep the message\r\n";
	else {
		/* The first free number, so a sink can add to a folder. */
		for (n = 1; ; n++) {
			free(eml);
			if ((eml = dir_path(s->conf->dir, "%04lu.eml",
			    n)) == NULL || lstat(eml, &st) == -1)
				break;
		}
		env = dir_path(s->conf->dir, "%04lu.env", n);
		if (eml != NULL && env != NULL &&
		    (efd = open(tmp_env, O_WRONLY | O_CREAT | O_TRUNC,
		    0644)) != -1 && write_env(s, efd) == 0 &&
		    rename(tmp_env, env) == 0 && rename(tmp_eml, eml) == 0)
			kept = 1;
		else
			diag_sys("%s", s->conf->dir);
		r = kept ? "250 2.0.0 kept\r\n" :
		    "451 4.3.0 cannot keep the message\r\n";
	}
	if (!kept && tmp_eml != NULL) {
		unlink(tmp_eml);
		unlink(tmp_env);
	}
	free(tmp_eml);
	free(tmp_env);
	free(eml);
	free(env);
	reset(s);
	return reply(s, r);
}

/* One command line (terminator gone).  Returns 0, 1 after QUIT, -1. */
static int
command(struct session *s, char *line, size_t len)
{
	const char *rest;
	char *addr, **nr;
	const char *why;
	/* Three short lines and a number of at most 19 digits. */
	char ehlo[80];

	if (len > CMD_MAX - 2)
		return reply(s, "500 5.5.2 line too long\r\n");
	if (is_verb(line, len, "EHLO") || is_verb(line, len, "HELO")) {
		if (len < 6)
			return reply(s, "501 5.5.4 a domain is needed\r\n");
		reset(s);
		free(s->helo);
		if ((s->helo = strdup(line + 5)) == NULL)
			return -1;
		if (line[0] == 'H' || line[0] == 'h')
			return reply(s, "250 smtp-sink\r\n");
		snprintf(ehlo, sizeof ehlo, "250-smtp-sink\r\n"
		    "250-8BITMIME\r\n250 SIZE %ld\r\n", s->conf->size);
		return reply(s, ehlo);
	}
	if (is_verb(line, len, "MAIL")) {
		if (s->helo == NULL)
			return reply(s, "503 5.5.1 EHLO first\r\n");
		if (s->mail)
			return reply(s, "503 5.5.1 nested MAIL\r\n");
		if (len < 5 || path_arg(line + 5, len - 5, "FROM:", &addr,
		    &rest) == -1)
			return reply(s, "501 5.5.4 syntax: MAIL FROM:<a>\r\n");
		if ((why = mail_params(s, rest, line + len)) != NULL) {
			free(addr);
			return reply(s, why);
		}
		s->from = addr;
		s->mail = 1;
		/* A transaction meets at most one of these faults. */
		if (take_fault(s->conf, F_RCPT451))
			s->fault = F_RCPT451;
		else if (take_fault(s->conf, F_RCPT550))
			s->fault = F_RCPT550;
		else if (take_fault(s->conf, F_DATA451))
			s->fault = F_DATA451;
		else if (take_fault(s->conf, F_DATA550))
			s->fault = F_DATA550;
		return reply(s, "250 2.1.0 ok\r\n");
	}
	if (is_verb(line, len, "RCPT")) {
		if (!s->mail)
			return reply(s, "503 5.5.1 MAIL first\r\n");
		if (len < 5 || path_arg(line + 5, len - 5, "TO:", &addr,
		    &rest) == -1)
			return reply(s, "501 5.5.4 syntax: RCPT TO:<a>\r\n");
		if (addr[0] == '\0') {
			free(addr);
			return reply(s, "501 5.1.3 empty recipient\r\n");
		}
		if (rest != line + len) {
			free(addr);
			return reply(s, "555 5.5.4 unknown parameter\r\n");
		}
		if (s->fault == F_RCPT451 || s->fault == F_RCPT550) {
			free(addr);
			return reply(s, s->fault == F_RCPT451 ?
			    "451 4.3.0 told to fail this recipient\r\n" :
			    "550 5.1.1 told to refuse this recipient\r\n");
		}
		if ((nr = realloc(s->rcpt, (s->nrcpt + 1) *
		    sizeof *nr)) == NULL) {
			free(addr);
			return -1;
		}
		s->rcpt = nr;
		s->rcpt[s->nrcpt++] = addr;
		return reply(s, "250 2.1.5 ok\r\n");
	}
	if (is_verb(line, len, "DATA")) {
		if (len != 4)
			return reply(s, "501 5.5.4 DATA takes nothing\r\n");
		if (!s->mail || s->nrcpt == 0)
			return reply(s, "503 5.5.1 no valid recipients\r\n");
		return do_data(s);
	}
	if (is_verb(line, len, "RSET")) {
		reset(s);
		return reply(s, "250 2.0.0 ok\r\n");
	}
	if (is_verb(line, len, "NOOP"))
		return reply(s, "250 2.0.0 ok\r\n");
	if (is_verb(line, len, "QUIT")) {
		if (reply(s, "221 2.0.0 bye\r\n") == -1)
			return -1;
		return 1;
	}
	return reply(s, "500 5.5.2 unknown command\r\n");
}

/* Serve one session on IN and OUT. */
static void
session(struct conf *c, int in, int out)
{
	struct session s;
	char *line;
	size_t len;
	int r;

	memset(&s, 0, sizeof s);
	s.conf = c;
	s.in.fd = in;
	s.out = out;
	read_control(c);
	if (take_fault(c, F_REFUSE))
		return;
	if (take_fault(c, F_GREET421)) {
		(void)reply(&s, "421 4.3.2 smtp-sink told to be down\r\n");
		return;
	}
	if (reply(&s, "220 smtp-sink ESMTP\r\n") == -1)
		return;
	while ((r = next_line(&s, &line, &len)) == 1) {
		if (c->verbose)
			fprintf(stderr, "< %.*s", (int)len, line);
		len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		line[len] = '\0';
		if ((r = command(&s, line, len)) != 0)
			break;
	}
	reset(&s);
	free(s.helo);
	free(s.in.buf);
}

/* Listen on 127.0.0.1 at a port of the system's choice; -1 on error. */
static int
listen_loopback(const char *portfile)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof sa;
	char *tmp;
	size_t len;
	FILE *f;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		diag_sys("socket");
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == -1 ||
	    listen(fd, 8) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) == -1) {
		diag_sys("127.0.0.1");
		close(fd);
		return -1;
	}

	len = strlen(portfile) + 5;
	if ((tmp = malloc(len)) == NULL) {
		diag_warn("out of memory");
		close(fd);
		return -1;
	}
	snprintf(tmp, len, "%s.tmp", portfile);
	if ((f = fopen(tmp, "w")) == NULL ||
	    fprintf(f, "%u\n", (unsigned)ntohs(sa.sin_port)) < 0 ||
	    fclose(f) == EOF || rename(tmp, portfile) == -1) {
		diag_sys("%s", portfile);
		free(tmp);
		close(fd);
		return -1;
	}
	free(tmp);
	return fd;
}

/* Take connections until a stop signal or IDLE quiet seconds. */
static int
serve(struct conf *c, int lfd)
{
	struct pollfd p[2];
	int r, fd;

	for (;;) {
		p[0].fd = lfd;
		p[0].events = POLLIN;
		p[1].fd = stop_pipe[0];
		p[1].events = POLLIN;
		r = poll(p, 2, c->idle > 0 ? (int)c->idle * 1000 : -1);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			diag_sys("poll");
			return EXIT_FAIL;
		}
		if (r == 0 || (p[1].revents & POLLIN))
			return EXIT_OK;
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			diag_sys("accept");
			return EXIT_FAIL;
		}
		session(c, fd, fd);
		close(fd);
		if (stopping())
			return EXIT_OK;
	}
}

int
main(int argc, char *argv[])
{
	struct conf c;
	struct sigaction sa;
	const char *portfile = NULL, *why;
	int ch, one = 0, lfd, rc;

	diag_init(argv[0]);
	memset(&c, 0, sizeof c);
	c.idle = 300;
	c.size = 10L * 1024 * 1024;
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return diag_help(usage_text, "\nTake mail over SMTP on "
		    "127.0.0.1 and keep each message in DIR.\nFaults: none,"
		    " refuse, greet-421, rcpt-451, rcpt-550, data-451,\n"
		    "data-550, each as MODE or MODE:N.\n");
	while ((ch = getopt(argc, argv, "c:d:f:i:p:s:Sv")) != -1) {
		switch (ch) {
		case 'c':
			c.control = optarg;
			break;
		case 'd':
			c.dir = optarg;
			break;
		case 'f':
			if ((why = parse_fault(optarg, strlen(optarg),
			    &c.fault, &c.count)) != NULL) {
				diag_warn("-f %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			break;
		case 'i':
			if ((why = num_long(optarg, 0, 86400,
			    &c.idle)) != NULL) {
				diag_warn("-i %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			break;
		case 'p':
			portfile = optarg;
			break;
		case 's':
			if ((why = num_long(optarg, 1, 2147483647L,
			    &c.size)) != NULL) {
				diag_warn("-s %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			break;
		case 'S':
			one = 1;
			break;
		case 'v':
			c.verbose = 1;
			break;
		default:
			return diag_usage(usage_text);
		}
	}
	if (optind != argc || c.dir == NULL ||
	    (portfile == NULL) != one || (one && c.control != NULL))
		return diag_usage(usage_text);

	/* A client that goes away must not end the sink. */
	signal(SIGPIPE, SIG_IGN);
	if (one) {
		c.idle = 0;
		session(&c, STDIN_FILENO, STDOUT_FILENO);
		return EXIT_OK;
	}
	if (pipe(stop_pipe) == -1) {
		diag_sys("pipe");
		return EXIT_FAIL;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		diag_sys("sigaction");
		return EXIT_FAIL;
	}
	if ((lfd = listen_loopback(portfile)) == -1)
		return EXIT_FAIL;
	rc = serve(&c, lfd);
	close(lfd);
	return rc;
}
