/*
 * clarify-helper - the parts of clarify(1) that a shell script should not
 * do: read the credentials file, keep the token cache, and write curl's
 * configuration, so that no secret passes through an argument list, an
 * environment or a shell variable.  clarify(1) runs it; it is not meant
 * to be run by hand.
 *
 * Every message says "clarify:", since that is the program the user ran.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clarify.h"
#include "diag.h"
#include "json.h"
#include "timestamp.h"

static const char usage_text[] =
    "usage: clarify-helper command [argument ...]\n";

static const char help_text[] =
    "\nInternal helper of clarify(1); see clarify-helper(1).\n"
    "\n"
    "  check CRED             validate CRED, print its credentials type\n"
    "  token-valid CRED       exit 0 when a cached token has over 60 s left\n"
    "  token-config CRED      curl configuration of a token request\n"
    "  token-save CRED FILE   cache the token response in FILE\n"
    "  rpc-config CRED        curl configuration of an RPC call\n"
    "  data ITEM FROM TO      clarify.dataFrame requests, 40 days each\n"
    "  method FILE            the lower-case method of the request in FILE\n"
    "  response FILE          check the JSON-RPC response in FILE\n";

/* Longest raw-data window clarify.dataFrame serves. */
#define WINDOW (40LL * 86400 * 1000000)

/* A cached token is used until this many seconds before it expires. */
#define MARGIN 60

/*
 * Largest credentials file and token cache file read.  The files Clarify
 * hands out are a few hundred bytes; anything near this is not one, and
 * refusing it before reading keeps a wrong file from filling memory.
 */
#define SMALLFILE ((off_t)64 << 10)

/* Exit status of "response" for a -32015 "try again" error. */
#define EXIT_AGAIN 3

struct creds {
	struct json_reader *r;
	const char *url;	/* apiUrl, without its trailing slashes */
	size_t	 urllen;
	const char *type;
	const char *id;
	const char *secret;
};

/* Is the string member KEY of O present and free of control characters? */
static const char *
field(const struct json *o, const char *key, const char *path)
{
	const struct json *v;
	size_t i;

	if ((v = json_get(o, key)) == NULL) {
		diag_at(path, 0, "no \"%s\"", key);
		return NULL;
	}
	if (v->type != JSON_STRING || v->len == 0) {
		diag_at(path, v->line, "\"%s\" is not a non-empty string", key);
		return NULL;
	}
	for (i = 0; i < v->len; i++)
		if ((unsigned char)v->str[i] < 0x20 || v->str[i] == 0x7f) {
			diag_at(path, v->line,
			    "\"%s\" holds a control character", key);
			return NULL;
		}
	return v->str;
}

/*
 * Read the credentials file PATH into C.  The file holds a secret, so it
 * must be private to its owner, and no message quotes its contents.
 */
static int
creds_read(const char *path, struct creds *c)
{
	struct json *v;
	const struct json *cr;
	const char *id;
	struct stat st;
	struct err e;
	int fd, n;

	memset(c, 0, sizeof *c);
	if ((fd = open(path, O_RDONLY)) == -1) {
		diag_sys("%s", path);
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		diag_sys("%s", path);
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || (st.st_mode & 066) != 0) {
		diag_at(path, 0, "%s", S_ISREG(st.st_mode) ?
		    "readable or writable by group or others (chmod 600)" :
		    "not a regular file");
		close(fd);
		return -1;
	}
	if (st.st_size > SMALLFILE) {
		diag_at(path, 0, "larger than %lld bytes: not a credentials "
		    "file", (long long)SMALLFILE);
		close(fd);
		return -1;
	}
	c->r = json_open(fd, &e);
	close(fd);
	if (c->r == NULL) {
		diag_err(path, &e);
		return -1;
	}
	if ((n = json_next(c->r, &v, &e)) != 1) {
		if (n == 0)
			err_set(&e, 0, 0, "empty file");
		else
			snprintf(e.msg, sizeof e.msg, "not valid JSON");
		diag_err(path, &e);
		return -1;
	}
	if (v->type != JSON_OBJECT) {
		diag_at(path, v->line, "not a JSON object");
		return -1;
	}
	if ((c->url = field(v, "apiUrl", path)) == NULL ||
	    (id = field(v, "integration", path)) == NULL)
		return -1;
	if (strncmp(c->url, "http://", 7) != 0 &&
	    strncmp(c->url, "https://", 8) != 0) {
		diag_at(path, 0, "\"apiUrl\" is not an http or https URL");
		return -1;
	}
	for (c->urllen = strlen(c->url); c->url[c->urllen - 1] == '/';
	    c->urllen--)
		;
	if (strchr(c->url, ':')[3] == '/' || strchr(c->url, ':') + 3 >=
	    c->url + c->urllen) {
		diag_at(path, 0, "\"apiUrl\" names no host");
		return -1;
	}
	if (!clarify_is_id(id, strlen(id))) {
		diag_at(path, 0, "\"integration\" is not an integration ID");
		return -1;
	}
	if ((cr = json_get(v, "credentials")) == NULL ||
	    cr->type != JSON_OBJECT) {
		diag_at(path, cr == NULL ? 0 : cr->line,
		    "no \"credentials\" object");
		return -1;
	}
	if ((c->type = field(cr, "type", path)) == NULL ||
	    (c->id = field(cr, "clientId", path)) == NULL ||
	    (c->secret = field(cr, "clientSecret", path)) == NULL)
		return -1;
	if (strcmp(c->type, "client-credentials") != 0 &&
	    strcmp(c->type, "basic-auth") != 0) {
		diag_at(path, 0, "credentials type is neither "
		    "\"client-credentials\" nor \"basic-auth\"");
		return -1;
	}
	return 0;
}

/* The token cache's folder (made when MAKE) and file, in a new string. */
static char *
cache_path(const struct creds *c, int make)
{
	const char *base, *home;
	char *dir, *path;
	uint64_t h = 14695981039346656037ULL;
	size_t i, n;

	/* FNV-1a of apiUrl and client id: one file per account. */
	for (i = 0; i < c->urllen; i++)
		h = (h ^ (unsigned char)c->url[i]) * 1099511628211ULL;
	h = (h ^ '\n') * 1099511628211ULL;
	for (i = 0; c->id[i] != '\0'; i++)
		h = (h ^ (unsigned char)c->id[i]) * 1099511628211ULL;

	base = getenv("XDG_CACHE_HOME");
	home = getenv("HOME");
	if (base == NULL || base[0] != '/') {
		if (home == NULL || home[0] != '/') {
			diag_warn("no HOME for the token cache");
			return NULL;
		}
		base = NULL;
	}
	n = strlen(base != NULL ? base : home) + 64;
	if ((dir = malloc(n)) == NULL || (path = malloc(n)) == NULL) {
		free(dir);
		diag_warn("out of memory");
		return NULL;
	}
	if (base == NULL) {
		snprintf(dir, n, "%s/.cache", home);
		if (make && mkdir(dir, 0700) == -1 && errno != EEXIST)
			goto fail;
	} else {
		snprintf(dir, n, "%s", base);
		if (make && mkdir(dir, 0700) == -1 && errno != EEXIST)
			goto fail;
	}
	strcat(dir, "/iforest-tools");
	if (make && mkdir(dir, 0700) == -1 && errno != EEXIST)
		goto fail;
	snprintf(path, n, "%s/token-%016llx.json", dir, (unsigned long long)h);
	free(dir);
	return path;
fail:
	diag_sys("%s", dir);
	free(dir);
	free(path);
	return NULL;
}

/*
 * The cached token, in a new string, when it has more than MARGIN seconds
 * left; NULL otherwise.  A cache file that others could read or write is
 * not trusted.
 */
static char *
cache_get(const struct creds *c, long margin)
{
	struct json_reader *r;
	struct json *v;
	const struct json *tok, *exp;
	struct stat st;
	struct err e;
	char *path, *s = NULL;
	int fd;

	if ((path = cache_path(c, 0)) == NULL)
		return NULL;
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	free(path);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || st.st_uid != geteuid() ||
	    (st.st_mode & 077) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > SMALLFILE || (r = json_open(fd, &e)) == NULL) {
		close(fd);
		return NULL;
	}
	close(fd);
	if (json_next(r, &v, &e) == 1 &&
	    (tok = json_get(v, "token")) != NULL &&
	    tok->type == JSON_STRING &&
	    (exp = json_get(v, "expires")) != NULL &&
	    exp->type == JSON_NUMBER &&
	    json_num(exp) - margin > (double)time(NULL))
		s = strdup(tok->str);
	json_close(r);
	return s;
}

/* Store TOKEN, expiring at EXPIRES, in the cache, atomically. */
static int
cache_put(const struct creds *c, const char *token, long long expires)
{
	char *path, *tmp;
	FILE *fp;
	int fd;

	if ((path = cache_path(c, 1)) == NULL)
		return -1;
	if ((tmp = malloc(strlen(path) + 8)) == NULL) {
		free(path);
		diag_warn("out of memory");
		return -1;
	}
	sprintf(tmp, "%s.XXXXXX", path);
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		diag_sys("%s", tmp);
		if (fd != -1) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		free(path);
		return -1;
	}
	fputs("{\"token\":", fp);
	json_put_string(fp, token, strlen(token));
	fprintf(fp, ",\"expires\":%lld}\n", expires);
	if (fflush(fp) == EOF || fsync(fd) == -1 || fclose(fp) == EOF ||
	    rename(tmp, path) == -1) {
		diag_sys("%s", path);
		unlink(tmp);
		free(tmp);
		free(path);
		return -1;
	}
	free(tmp);
	free(path);
	return 0;
}

/* Write S escaped for a quoted string of curl's configuration. */
static void
put_escaped(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
}

/* Write S URL-encoded (application/x-www-form-urlencoded). */
static void
put_encoded(const char *s, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != '\0' && strchr(safe, s[i]) != NULL)
			putchar(s[i]);
		else
			printf("%%%02X", (unsigned char)s[i]);
}

static void
put_base64(const char *s, size_t len)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *u = (const unsigned char *)s;
	unsigned long w;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		w = (unsigned long)u[i] << 16 | u[i + 1] << 8 | u[i + 2];
		printf("%c%c%c%c", b64[w >> 18], b64[w >> 12 & 63],
		    b64[w >> 6 & 63], b64[w & 63]);
	}
	if (len - i == 1)
		printf("%c%c==", b64[u[i] >> 2], b64[(u[i] & 3) << 4]);
	else if (len - i == 2) {
		w = (unsigned long)u[i] << 16 | u[i + 1] << 8;
		printf("%c%c%c=", b64[w >> 18], b64[w >> 12 & 63],
		    b64[w >> 6 & 63]);
	}
}

static void
put_url(const struct creds *c, const char *endpoint)
{
	size_t i;

	fputs("url = \"", stdout);
	for (i = 0; i < c->urllen; i++) {
		if (c->url[i] == '"' || c->url[i] == '\\')
			putchar('\\');
		putchar(c->url[i]);
	}
	printf("/%s\"\n", endpoint);
}

static int
token_config(const struct creds *c)
{
	put_url(c, "oauth/token");
	printf("header = \"Content-Type: "
	    "application/x-www-form-urlencoded\"\n");
	printf("data-raw = \"grant_type=client_credentials&client_id=");
	put_encoded(c->id, strlen(c->id));
	printf("&client_secret=");
	put_encoded(c->secret, strlen(c->secret));
	printf("&audience=");
	put_encoded(c->url, c->urllen);
	printf("%%2F\"\n");
	return EXIT_OK;
}

static int
rpc_config(const struct creds *c)
{
	char *tok = NULL, *up;
	size_t n;

	if (strcmp(c->type, "client-credentials") == 0 &&
	    (tok = cache_get(c, 0)) == NULL) {
		diag_warn("no valid token in the cache");
		return EXIT_FAIL;
	}
	put_url(c, "rpc");
	printf("header = \"Content-Type: application/json\"\n");
	printf("header = \"X-API-Version: 1.1\"\n");
	if (tok != NULL) {
		printf("header = \"Authorization: Bearer ");
		put_escaped(tok);
		printf("\"\n");
		free(tok);
		return EXIT_OK;
	}

	n = strlen(c->id) + 1 + strlen(c->secret);
	if ((up = malloc(n + 1)) == NULL) {
		diag_warn("out of memory");
		return EXIT_FAIL;
	}
	snprintf(up, n + 1, "%s:%s", c->id, c->secret);
	printf("header = \"Authorization: Basic ");
	put_base64(up, n);
	printf("\"\n");
	memset(up, 0, n);
	free(up);
	return EXIT_OK;
}

/* Read the one JSON value in PATH; NULL after saying why not. */
static struct json_reader *
read_value(const char *path, const char *what, struct json **v)
{
	struct json_reader *r;
	struct err e;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1) {
		diag_sys("%s", path);
		return NULL;
	}
	r = json_open(fd, &e);
	close(fd);
	if (r == NULL) {
		diag_err(path, &e);
		return NULL;
	}
	if (json_next(r, v, &e) != 1) {
		diag_warn("%s is not valid JSON", what);
		json_close(r);
		return NULL;
	}
	return r;
}

/* Print a string from the server with its control characters as '?'. */
static void
put_shown(FILE *fp, const struct json *v)
{
	size_t i;

	if (v == NULL || v->type != JSON_STRING) {
		fputs("-", fp);
		return;
	}
	for (i = 0; i < v->len; i++)
		putc((unsigned char)v->str[i] < 0x20 || v->str[i] == 0x7f ?
		    '?' : v->str[i], fp);
}

/* Cache the token of the token endpoint's answer in PATH. */
static int
token_save(const struct creds *c, const char *path)
{
	struct json_reader *r;
	struct json *v;
	const struct json *tok, *exp;
	size_t i;
	int rc = EXIT_FAIL;

	if ((r = read_value(path, "the token response", &v)) == NULL)
		return EXIT_FAIL;
	tok = json_get(v, "access_token");
	exp = json_get(v, "expires_in");
	if (tok == NULL || tok->type != JSON_STRING || tok->len == 0 ||
	    exp == NULL || exp->type != JSON_NUMBER || !(json_num(exp) > 0) ||
	    json_num(exp) > 1e9) {
		fprintf(stderr, "%s: token request refused: ", diag_prog());
		put_shown(stderr, json_get(v, "error"));
		fputs(": ", stderr);
		put_shown(stderr, json_get(v, "error_description"));
		fputc('\n', stderr);
		goto out;
	}
	for (i = 0; i < tok->len; i++)
		if ((unsigned char)tok->str[i] <= 0x20 ||
		    tok->str[i] == 0x7f) {
			diag_warn("the token holds a space or control "
			    "character");
			goto out;
		}
	if (cache_put(c, tok->str, (long long)time(NULL) +
	    (long long)json_num(exp)) == 0)
		rc = EXIT_OK;
out:
	json_close(r);
	return rc;
}

/* Print the clarify.dataFrame requests for ITEM over [FROM, TO). */
static int
data_requests(const char *item, const char *from, const char *to)
{
	const char *why;
	char b1[TIME_BUFSZ], b2[TIME_BUFSZ];
	int64_t t0, t1, end;
	unsigned long id = 0;

	if (!clarify_is_id(item, strlen(item))) {
		diag_warn("%s: not an item ID", item);
		return EXIT_USAGE;
	}
	if ((why = time_parse(from, strlen(from), &t0)) != NULL ||
	    (why = time_parse(to, strlen(to), &end)) != NULL) {
		diag_warn("%s: %s", why == NULL ? to : from, why);
		return EXIT_USAGE;
	}
	if (t0 >= end) {
		diag_warn("%s is not before %s", from, to);
		return EXIT_USAGE;
	}
	for (; t0 < end; t0 = t1) {
		t1 = end - t0 > WINDOW ? t0 + WINDOW : end;
		time_format(b1, t0);
		time_format(b2, t1);
		printf("{\"jsonrpc\":\"2.0\",\"method\":\"clarify.dataFrame\","
		    "\"id\":%lu,\"params\":{\"query\":{\"filter\":{\"id\":"
		    "{\"$in\":[\"%s\"]}},\"limit\":50,\"skip\":0},"
		    "\"data\":{\"filter\":{\"times\":{\"$gte\":\"%s\","
		    "\"$lt\":\"%s\"}},\"rollup\":null,\"timeZone\":\"UTC\","
		    "\"firstDayOfWeek\":1,\"last\":-1},\"include\":[],"
		    "\"format\":{\"dataAsArray\":false,"
		    "\"groupIncludedByType\":true}}}\n", ++id, item, b1, b2);
	}
	return EXIT_OK;
}

/* Print the method of the request in PATH in lower case, or "-". */
static int
method(const char *path)
{
	struct json_reader *r;
	struct json *v;
	const struct json *m;
	size_t i;

	if ((r = read_value(path, "a request", &v)) == NULL)
		return EXIT_FAIL;
	if ((m = json_get(v, "method")) == NULL || m->type != JSON_STRING)
		puts("-");
	else {
		for (i = 0; i < m->len; i++)
			putchar(m->str[i] >= 'A' && m->str[i] <= 'Z' ?
			    m->str[i] - 'A' + 'a' : m->str[i]);
		putchar('\n');
	}
	json_close(r);
	return EXIT_OK;
}

/*
 * Check the JSON-RPC response in PATH: EXIT_OK for a result, EXIT_AGAIN
 * for a "try again" error, EXIT_FAIL for another error, said on standard
 * error, or for an answer that is no response.
 */
static int
response(const char *path)
{
	struct json_reader *r;
	struct json *v;
	const struct json *er, *code, *data;
	int rc = EXIT_OK;

	if ((r = read_value(path, "the response", &v)) == NULL)
		return EXIT_FAIL;
	if (v->type != JSON_OBJECT) {
		diag_warn("the response is not a JSON object");
		rc = EXIT_FAIL;
	} else if ((er = json_get(v, "error")) != NULL) {
		code = json_get(er, "code");
		data = json_get(er, "data");
		if (code != NULL && code->type == JSON_NUMBER)
			fprintf(stderr, "%s: error %.*s: ", diag_prog(),
			    (int)code->len, code->str);
		else
			fprintf(stderr, "%s: error -: ", diag_prog());
		put_shown(stderr, json_get(er, "message"));
		fputs(" (trace ", stderr);
		put_shown(stderr, json_get(data, "trace"));
		fputs(")\n", stderr);
		rc = code != NULL && code->type == JSON_NUMBER &&
		    json_num(code) == -32015 ? EXIT_AGAIN : EXIT_FAIL;
	} else if (json_get(v, "result") == NULL) {
		diag_warn("the response has neither result nor error");
		rc = EXIT_FAIL;
	}
	json_close(r);
	return rc;
}

/* The commands that need the credentials file, named in ARGV[2]. */
static int
with_creds(int argc, char *argv[])
{
	struct creds c;
	char *tok;
	int rc;

	if (creds_read(argv[2], &c) == -1) {
		json_close(c.r);
		return EXIT_FAIL;
	}
	if (strcmp(argv[1], "check") == 0 && argc == 3) {
		puts(c.type);
		rc = EXIT_OK;
	} else if (strcmp(argv[1], "token-valid") == 0 && argc == 3) {
		rc = (tok = cache_get(&c, MARGIN)) != NULL ? EXIT_OK :
		    EXIT_FAIL;
		free(tok);
	} else if (strcmp(argv[1], "token-config") == 0 && argc == 3)
		rc = token_config(&c);
	else if (strcmp(argv[1], "token-save") == 0 && argc == 4)
		rc = token_save(&c, argv[3]);
	else if (strcmp(argv[1], "rpc-config") == 0 && argc == 3)
		rc = rpc_config(&c);
	else
		rc = diag_usage(usage_text);
	json_close(c.r);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct rlimit rl;
	int rc;

	/*
	 * The secret and the token are in this process's memory: a core
	 * dump would write them to a file that outlives it.
	 */
	rl.rlim_cur = rl.rlim_max = 0;
	setrlimit(RLIMIT_CORE, &rl);

	diag_init(argv[0]);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return diag_help(usage_text, help_text);
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		return diag_version();
	}
	diag_init("clarify");
	if (argc >= 3 && strcmp(argv[1], "data") == 0 && argc == 5)
		rc = data_requests(argv[2], argv[3], argv[4]);
	else if (argc == 3 && strcmp(argv[1], "method") == 0)
		rc = method(argv[2]);
	else if (argc == 3 && strcmp(argv[1], "response") == 0)
		rc = response(argv[2]);
	else if (argc >= 3)
		rc = with_creds(argc, argv);
	else
		rc = diag_usage(usage_text);
	if (diag_close_stdout() != EXIT_OK)
		return EXIT_FAIL;
	return rc;
}
