/*
 * fake-clarify - a stand-in for the Clarify API on the loopback interface,
 * for tests of the programs and scripts that talk to it with curl.
 *
 * It listens on 127.0.0.1 at a port the system picks, writes that port to
 * the -p file once it listens, and answers plain HTTP/1.1, one connection
 * at a time, closing each after its response:
 *
 *	POST /v1/oauth/token	client-credentials grant (form fields
 *				grant_type, client_id, client_secret,
 *				audience; the id and secret may come in an
 *				HTTP Basic header instead)
 *	POST /v1/rpc		JSON-RPC 2.0, with a Bearer token from the
 *				token endpoint or HTTP Basic id:secret
 *
 * Methods, matched without regard to case: clarify.dataFrame (raw data
 * only: no rollup, no "last"), clarify.selectItems, integration.insert
 * and integration.saveSignals.  Items are filtered on "id" only, by
 * equality or "$in".  Every JSON-RPC error carries data.trace.
 *
 * The data file (-d) is CSV: a header "time,ID,..." and rows of an RFC
 * 3339 time and a number, or nothing, per item.  Rows may come in any
 * order; a time may not repeat.
 *
 * The record folder (-r) gets
 *
 *	requests.log	a line per request, tab-separated: the time it came
 *			in (UTC, microseconds), the request line, the HTTP
 *			status, the JSON-RPC method (or -), the X-API-Version
 *			header (or -) and the fault injected (or -)
 *	points/IN.csv	"time,value": every point inserted for input IN,
 *			by time, a later insert replacing a value
 *	signals/IN.json	the last signal save view saved for input IN
 *	inserts.csv	"input,time,value": every point of every insert
 *			call, in the order they came, so that a point
 *			written twice shows twice
 *
 * where IN is the input id with every byte other than a letter, digit,
 * "-" or "_" written as %XX.
 *
 * Faults come from -F options and from the control file (-f).  Before each
 * request the control file, when it exists, is read, its lines added to
 * the pending faults, and the file removed.  A line is one of
 *
 *	500 N [METHOD]		HTTP 500 for the next N requests
 *	429 N [METHOD]		HTTP 429 with Retry-After: 1
 *	slow=S N [METHOD]	wait S seconds, then answer as usual
 *	try-again N [METHOD]	JSON-RPC error -32015 "Try again"
 *	partial N [METHOD]	do the call, then answer -32021 "Partial
 *				failure" with the result as partialResult
 *	expire			forget every token issued so far
 *	reload			read the data file (-d) again, for points
 *				that reach the service late
 *
 * A fault without METHOD takes the next JSON-RPC calls of any method;
 * METHOD "oauth/token" makes 500, 429 and slow hit token requests.  Blank
 * lines and lines starting with "#" are skipped.  The first pending fault
 * that matches a request is used, and its count goes down by one.
 *
 * With -l MS, the server keeps the pace the service asks for: a call of
 * clarify.dataFrame, integration.insert or integration.saveSignals that
 * comes less than MS milliseconds after the last one of the same method
 * that was let through gets HTTP 429 with Retry-After: 1, logged with
 * the fault "throttled".  The real service queues such a call rather
 * than refusing it; refusing makes a client that does not keep the pace
 * fail visibly.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "csv.h"
#include "diag.h"
#include "json.h"
#include "num.h"
#include "rng.h"
#include "timestamp.h"

static const char usage_text[] =
    "usage: fake-clarify -p portfile [-c client-id] [-s client-secret]\n"
    "                    [-i integration] [-a audience] [-e expires-in]\n"
    "                    [-d data.csv] [-n id=name]... [-r folder]\n"
    "                    [-f control-file] [-F fault]... [-l ms]\n"
    "                    [-t idle]\n";

static const char help_text[] =
    "\nServe a small imitation of the Clarify API on 127.0.0.1 for tests:\n"
    "the token endpoint /v1/oauth/token and JSON-RPC at /v1/rpc.\n"
    "\n"
    "  -p FILE  write the port, once listening, to FILE\n"
    "  -c ID    client id accepted (default \"client\")\n"
    "  -s SEC   client secret accepted (default \"secret\")\n"
    "  -i ID    integration id (default \"c8ktonqsahsmemfs7lv0\")\n"
    "  -a URL   audience a token request must name (default: any)\n"
    "  -e SECS  token lifetime in seconds (default 3600)\n"
    "  -d FILE  items to serve: CSV time,ID... (default: none)\n"
    "  -n ID=NAME  display name of item ID (default: its id)\n"
    "  -r DIR   record requests, inserted points and saved signals\n"
    "  -f FILE  control file of faults, read and removed before each\n"
    "           request\n"
    "  -F LINE  a fault, as a line of the control file\n"
    "  -l MS    answer HTTP 429 to a dataFrame, insert or saveSignals\n"
    "           call that comes within MS ms of the last of its method\n"
    "           (default 0: no limit; the service's pace is 1000)\n"
    "  -t SECS  stop after SECS without a request (default 300)\n"
    "\n"
    "Fault lines: \"500 N [METHOD]\", \"429 N [METHOD]\",\n"
    "\"slow=S N [METHOD]\", \"try-again N [METHOD]\", \"partial N\n"
    "[METHOD]\", \"expire\"; \"reload\" reads the data file again.\n"
    "SIGTERM stops the server (status 0).\n";

#define IDLEN		20
#define TOKLEN		40
#define MAXHEAD		((size_t)64 << 10)
#define MAXBODY		((size_t)16 << 20)
#define IOWAIT		10000		/* ms a client may stall */
#define WINDOW_MAX	(40LL * 86400 * 1000000)
#define ALPHABET	"0123456789abcdefghijklmnopqrstuv"

struct item {
	char	*id;
	char	*name;
};

struct point {
	int64_t	 t;
	double	 v;
};

struct signal {
	char	*input;
	char	 id[IDLEN + 1];
	struct point *p;
	size_t	 n, cap;
};

struct token {
	char	 s[TOKLEN + 1];
	double	 expiry;		/* monotonic seconds */
};

enum fkind { F_500, F_429, F_SLOW, F_TRYAGAIN, F_PARTIAL };

struct fault {
	enum fkind kind;
	long	 count;
	long	 secs;
	char	*method;		/* NULL: any JSON-RPC method */
};

struct req {
	char	*buf;
	size_t	 len;
	char	*line;
	char	*method, *path;
	const char *auth, *apiver, *ctype;
	char	*body;
	size_t	 bodylen;
};

struct rpcerr {
	long	 code;
	const char *msg;
	char	 path[200];
	char	 what[200];
};

static struct {
	const char *client, *secret, *integration, *audience;
	long	 expires;
	const char *control, *record, *data;
	double	 pace;			/* seconds; 0: no limit */
	char	*basic;			/* "Basic base64(id:secret)" */
	FILE	*log;
} conf;

static struct item *items;
static size_t nitems;
static int64_t *rowtime;
static double *rowval;			/* nrows x nitems */
static unsigned char *rowhas;
static size_t nrows;

static int reload;
static char **name_arg;			/* the -n options, as "ID\0NAME" */
static size_t nname_arg;
static struct signal *signals;
static size_t nsignals;
static struct token *tokens;
static size_t ntokens;
static struct fault *faults;
static size_t nfaults;
static struct rng rng;
static char started[TIME_BUFSZ];

static volatile sig_atomic_t stop;

/* The methods held to a pace, and when each last got through. */
static const char *const paced[] = {
	"clarify.dataFrame", "integration.insert", "integration.saveSignals"
};
static double paced_last[sizeof(paced) / sizeof(paced[0])];

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		diag_warn("out of memory");
		exit(EXIT_FAIL);
	}
	if ((p = realloc(p, n * size == 0 ? 1 : n * size)) == NULL) {
		diag_warn("out of memory");
		exit(EXIT_FAIL);
	}
	return p;
}

static char *
xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xrealloc(NULL, n, 1), s, n);
}

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A random id of N characters of Clarify's base32hex alphabet. */
static void
random_id(char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		buf[i] = ALPHABET[rng_below(&rng, 32)];
	buf[n] = '\0';
}

static char *
base64(const char *s)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strlen(s), i, o = 0;
	char *out = xrealloc(NULL, n / 3 * 4 + 5, 1);
	unsigned long v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)(unsigned char)s[i] << 16 |
		    (unsigned long)(unsigned char)s[i + 1] << 8 |
		    (unsigned char)s[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (i < n) {
		v = (unsigned long)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)(unsigned char)s[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

/* ---- the data file ------------------------------------------------ */

static int
cmp_row(const void *a, const void *b)
{
	int64_t x = rowtime[*(const size_t *)a];
	int64_t y = rowtime[*(const size_t *)b];

	return (x > y) - (x < y);
}

static void
load_data(const char *file)
{
	struct csv_reader *r;
	struct csv_record rec;
	struct err e;
	size_t i, j, cap = 0, *ord;
	int64_t *t2;
	double *v2;
	unsigned char *h2;
	const char *why;
	int fd, rc;

	if ((fd = open(file, O_RDONLY)) == -1) {
		diag_sys("%s", file);
		exit(EXIT_FAIL);
	}
	if ((r = csv_open(fd, 0)) == NULL) {
		diag_warn("out of memory");
		exit(EXIT_FAIL);
	}
	if ((rc = csv_read(r, &rec, &e)) != 1) {
		if (rc == 0)
			diag_at(file, 0, "empty file: expected a header");
		else
			diag_err(file, &e);
		exit(EXIT_FAIL);
	}
	nitems = rec.nfield - 1;
	items = xrealloc(NULL, nitems, sizeof(*items));
	for (i = 0; i < nitems; i++) {
		if (rec.len[i + 1] == 0) {
			diag_at(file, rec.line, "empty item id in column %zu",
			    i + 2);
			exit(EXIT_FAIL);
		}
		for (j = 0; j < i; j++)
			if (strcmp(items[j].id, rec.field[i + 1]) == 0) {
				diag_at(file, rec.line, "item \"%s\" twice",
				    items[j].id);
				exit(EXIT_FAIL);
			}
		items[i].id = xstrdup(rec.field[i + 1]);
		items[i].name = items[i].id;
	}
	while ((rc = csv_read(r, &rec, &e)) == 1) {
		if (nrows == cap) {
			cap = cap ? cap * 2 : 64;
			rowtime = xrealloc(rowtime, cap, sizeof(*rowtime));
			rowval = xrealloc(rowval, cap, nitems *
			    sizeof(*rowval));
			rowhas = xrealloc(rowhas, cap, nitems ? nitems : 1);
		}
		if ((why = time_parse(rec.field[0], rec.len[0],
		    &rowtime[nrows])) != NULL) {
			diag_at(file, rec.line, "time \"%s\": %s",
			    rec.field[0], why);
			exit(EXIT_FAIL);
		}
		for (i = 0; i < nitems; i++) {
			j = nrows * nitems + i;
			rowhas[j] = rec.len[i + 1] != 0;
			if (rowhas[j] && (why = num_double(rec.field[i + 1],
			    &rowval[j])) != NULL) {
				diag_at(file, rec.line, "value \"%s\": %s",
				    rec.field[i + 1], why);
				exit(EXIT_FAIL);
			}
		}
		nrows++;
	}
	if (rc == -1) {
		diag_err(file, &e);
		exit(EXIT_FAIL);
	}
	csv_close(r);
	close(fd);

	/* Sort the rows by time, so that a window is a run of them. */
	ord = xrealloc(NULL, nrows, sizeof(*ord));
	for (i = 0; i < nrows; i++)
		ord[i] = i;
	qsort(ord, nrows, sizeof(*ord), cmp_row);
	t2 = xrealloc(NULL, nrows, sizeof(*t2));
	v2 = xrealloc(NULL, nrows, nitems * sizeof(*v2));
	h2 = xrealloc(NULL, nrows, nitems ? nitems : 1);
	for (i = 0; i < nrows; i++) {
		t2[i] = rowtime[ord[i]];
		if (i > 0 && t2[i] == t2[i - 1]) {
			char buf[TIME_BUFSZ];

			time_format(buf, t2[i]);
			diag_at(file, 0, "time %s appears twice", buf);
			exit(EXIT_FAIL);
		}
		for (j = 0; j < nitems; j++) {
			v2[i * nitems + j] = rowval[ord[i] * nitems + j];
			h2[i * nitems + j] = rowhas[ord[i] * nitems + j];
		}
	}
	free(rowtime);
	free(rowval);
	free(rowhas);
	free(ord);
	rowtime = t2;
	rowval = v2;
	rowhas = h2;
}

static int apply_name(const char *);

/* Forget the rows and items, and read the data file again. */
static void
reload_data(void)
{
	size_t i;

	reload = 0;
	if (conf.data == NULL)
		return;
	for (i = 0; i < nitems; i++)
		free(items[i].id);
	free(items);
	free(rowtime);
	free(rowval);
	free(rowhas);
	items = NULL;
	rowtime = NULL;
	rowval = NULL;
	rowhas = NULL;
	nitems = nrows = 0;
	load_data(conf.data);
	for (i = 0; i < nname_arg; i++)
		apply_name(name_arg[i]);
}

/* ---- faults ------------------------------------------------------- */

/* Add the fault of LINE; NULL, or what is wrong with it. */
static const char *
add_fault(char *line)
{
	struct fault f;
	char *w[4], *p;
	size_t n = 0;
	long v;

	for (p = strtok(line, " \t\r\n"); p != NULL && n < 4;
	    p = strtok(NULL, " \t\r\n"))
		w[n++] = p;
	if (n == 0 || w[0][0] == '#')
		return NULL;
	if (strcmp(w[0], "expire") == 0) {
		if (n != 1)
			return "\"expire\" takes nothing more";
		ntokens = 0;
		return NULL;
	}
	if (strcmp(w[0], "reload") == 0) {
		if (n != 1)
			return "\"reload\" takes nothing more";
		reload = 1;
		return NULL;
	}
	if (n < 2 || n > 3)
		return "expected KIND COUNT [METHOD]";
	memset(&f, 0, sizeof(f));
	if (strcmp(w[0], "500") == 0)
		f.kind = F_500;
	else if (strcmp(w[0], "429") == 0)
		f.kind = F_429;
	else if (strcmp(w[0], "try-again") == 0)
		f.kind = F_TRYAGAIN;
	else if (strcmp(w[0], "partial") == 0)
		f.kind = F_PARTIAL;
	else if (strncmp(w[0], "slow=", 5) == 0) {
		f.kind = F_SLOW;
		if (num_long(w[0] + 5, 0, 3600, &v) != NULL)
			return "slow=S needs S from 0 to 3600 seconds";
		f.secs = v;
	} else
		return "unknown fault kind";
	if (num_long(w[1], 1, LONG_MAX, &f.count) != NULL)
		return "the count must be a positive integer";
	if (n == 3) {
		f.method = xstrdup(w[2]);
		if (strcasecmp(f.method, "oauth/token") == 0 &&
		    (f.kind == F_TRYAGAIN || f.kind == F_PARTIAL))
			return "oauth/token takes only 500, 429 and slow";
	}
	faults = xrealloc(faults, nfaults + 1, sizeof(*faults));
	faults[nfaults++] = f;
	return NULL;
}

/* Take in the control file's lines, if it is there, and remove it. */
static void
read_control(void)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	const char *why;

	if (conf.control == NULL ||
	    (fp = fopen(conf.control, "r")) == NULL)
		return;
	while (getline(&line, &cap, fp) != -1) {
		n++;
		if ((why = add_fault(line)) != NULL)
			diag_at(conf.control, n, "%s (line ignored)", why);
	}
	free(line);
	fclose(fp);
	unlink(conf.control);
}

/*
 * The first pending fault for a request of METHOD (a JSON-RPC method,
 * "oauth/token", or NULL for a call whose method is unknown), used up.
 */
static int
take_fault(const char *method, struct fault *out)
{
	size_t i;
	int token = method != NULL && strcmp(method, "oauth/token") == 0;

	for (i = 0; i < nfaults; i++) {
		if (faults[i].method == NULL ? token :
		    method == NULL || strcasecmp(faults[i].method, method))
			continue;
		*out = faults[i];
		if (--faults[i].count == 0) {
			free(faults[i].method);
			memmove(faults + i, faults + i + 1,
			    (nfaults - i - 1) * sizeof(*faults));
			nfaults--;
			out->method = NULL;
		}
		return 1;
	}
	return 0;
}

static const char *
fault_name(const struct fault *f)
{
	switch (f->kind) {
	case F_500:
		return "500";
	case F_429:
		return "429";
	case F_SLOW:
		return "slow";
	case F_TRYAGAIN:
		return "try-again";
	default:
		return "partial";
	}
}

/* ---- records ------------------------------------------------------ */

static char *
record_path(const char *sub, const char *input, const char *ext)
{
	size_t n = strlen(conf.record) + strlen(sub) + strlen(ext) +
	    3 * strlen(input) + 4;
	char *p = xrealloc(NULL, n, 1), *o;
	const char *s;

	o = p + sprintf(p, "%s/%s/", conf.record, sub);
	for (s = input; *s != '\0'; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_')
			*o++ = *s;
		else
			o += sprintf(o, "%%%02X", (unsigned char)*s);
	}
	strcpy(o, ext);
	return p;
}

static void
log_request(int64_t t, const struct req *q, int status, const char *method,
    const char *fault)
{
	char buf[TIME_BUFSZ];
	const char *s;

	if (conf.log == NULL)
		return;
	time_format(buf, t);
	fprintf(conf.log, "%s\t", buf);
	for (s = q->line ? q->line : "-"; *s != '\0'; s++)
		putc(*s == '\t' || (unsigned char)*s < ' ' ? ' ' : *s,
		    conf.log);
	fprintf(conf.log, "\t%d\t%s\t%s\t%s\n", status,
	    method ? method : "-", q->apiver ? q->apiver : "-",
	    fault ? fault : "-");
	fflush(conf.log);
}

/* Add the points of one insert call for INPUT to inserts.csv. */
static int
log_inserts(const char *input, const int64_t *t, const struct json *vals)
{
	char *path, buf[TIME_BUFSZ], nb[NUM_BUFSZ];
	FILE *fp;
	size_t i;
	int bad;

	if (conf.record == NULL)
		return 0;
	path = xrealloc(NULL, strlen(conf.record) + 16, 1);
	sprintf(path, "%s/inserts.csv", conf.record);
	if ((fp = fopen(path, "a")) == NULL) {
		diag_sys("%s", path);
		free(path);
		return -1;
	}
	for (i = 0; i < vals->len; i++) {
		if (vals->item[i].type != JSON_NUMBER)
			continue;
		time_format(buf, t[i]);
		num_format(nb, json_num(&vals->item[i]));
		fprintf(fp, "%s,%s,%s\n", input, buf, nb);
	}
	bad = ferror(fp) | (fclose(fp) != 0);
	if (bad)
		diag_sys("%s", path);
	free(path);
	return bad ? -1 : 0;
}

/* Write FILE whole through a temporary name, so readers see old or new. */
static int
write_points(const struct signal *sg)
{
	char *path, *tmp, buf[TIME_BUFSZ], nb[NUM_BUFSZ];
	FILE *fp;
	size_t i;
	int bad;

	if (conf.record == NULL)
		return 0;
	path = record_path("points", sg->input, ".csv");
	tmp = xrealloc(NULL, strlen(path) + 5, 1);
	sprintf(tmp, "%s.tmp", path);
	if ((fp = fopen(tmp, "w")) == NULL) {
		diag_sys("%s", tmp);
		free(path);
		free(tmp);
		return -1;
	}
	fputs("time,value\n", fp);
	for (i = 0; i < sg->n; i++) {
		time_format(buf, sg->p[i].t);
		num_format(nb, sg->p[i].v);
		fprintf(fp, "%s,%s\n", buf, nb);
	}
	bad = ferror(fp) | (fclose(fp) != 0);
	if (bad || rename(tmp, path) == -1) {
		diag_sys("%s", path);
		bad = 1;
	}
	free(path);
	free(tmp);
	return bad ? -1 : 0;
}

static void
put_json(FILE *fp, const struct json *v)
{
	const struct json_key *k;
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		fputs("null", fp);
		break;
	case JSON_FALSE:
		fputs("false", fp);
		break;
	case JSON_TRUE:
		fputs("true", fp);
		break;
	case JSON_NUMBER:
		fwrite(v->str, 1, v->len, fp);
		break;
	case JSON_STRING:
		json_put_string(fp, v->str, v->len);
		break;
	case JSON_ARRAY:
		putc('[', fp);
		for (i = 0; i < v->len; i++) {
			if (i > 0)
				putc(',', fp);
			put_json(fp, &v->item[i]);
		}
		putc(']', fp);
		break;
	case JSON_OBJECT:
		putc('{', fp);
		for (i = 0; i < v->len; i++) {
			if (i > 0)
				putc(',', fp);
			k = json_key(v, i);
			json_put_string(fp, k->name, k->len);
			putc(':', fp);
			put_json(fp, &v->item[i]);
		}
		putc('}', fp);
		break;
	}
}

static int
write_signal(const char *input, const struct json *view)
{
	char *path;
	FILE *fp;
	int bad;

	if (conf.record == NULL)
		return 0;
	path = record_path("signals", input, ".json");
	if ((fp = fopen(path, "w")) == NULL) {
		diag_sys("%s", path);
		free(path);
		return -1;
	}
	put_json(fp, view);
	putc('\n', fp);
	bad = ferror(fp) | (fclose(fp) != 0);
	if (bad)
		diag_sys("%s", path);
	free(path);
	return bad ? -1 : 0;
}

/* ---- JSON-RPC methods --------------------------------------------- */

static int
bad_param(struct rpcerr *pe, const char *path, const char *what)
{
	pe->code = -32602;
	pe->msg = "Invalid params";
	snprintf(pe->path, sizeof(pe->path), "%s", path);
	snprintf(pe->what, sizeof(pe->what), "%s", what);
	return -1;
}

static int
get_int(const struct json *v, long min, long max, long *out)
{
	if (v->type != JSON_NUMBER || json_num(v) < min || json_num(v) > max ||
	    (double)(long)json_num(v) != json_num(v))
		return -1;
	*out = (long)json_num(v);
	return 0;
}

static int
in_strings(const struct json *arr, const char *s)
{
	size_t i;

	for (i = 0; i < arr->len; i++)
		if (arr->item[i].type == JSON_STRING &&
		    strcmp(arr->item[i].str, s) == 0)
			return 1;
	return 0;
}

/*
 * The items QUERY selects, by its filter on "id", skip and limit (at most
 * MAXLIMIT), into SEL (nitems long); their count, or -1.
 */
static long
select_items(const struct json *query, long maxlimit, size_t *sel,
    struct rpcerr *pe)
{
	const struct json *filter = NULL, *id = NULL, *in = NULL, *v;
	long limit = 10, skip = 0, n = 0, seen = 0;
	char what[64];
	size_t i;

	if (query != NULL && query->type != JSON_OBJECT)
		return bad_param(pe, "query", "must be an object");
	if (query != NULL && (filter = json_get(query, "filter")) != NULL) {
		if (filter->type != JSON_OBJECT)
			return bad_param(pe, "query.filter",
			    "must be an object");
		for (i = 0; i < filter->len; i++)
			if (strcmp(json_key(filter, i)->name, "id") != 0)
				return bad_param(pe, "query.filter",
				    "only \"id\" is filtered on here");
		id = json_get(filter, "id");
	}
	if (id != NULL && id->type == JSON_OBJECT) {
		if (id->len != 1 || (in = json_get(id, "$in")) == NULL ||
		    in->type != JSON_ARRAY)
			return bad_param(pe, "query.filter.id",
			    "expected a string or {\"$in\": [...]}");
	} else if (id != NULL && id->type != JSON_STRING)
		return bad_param(pe, "query.filter.id",
		    "expected a string or {\"$in\": [...]}");
	if (query != NULL && (v = json_get(query, "limit")) != NULL &&
	    get_int(v, 0, maxlimit, &limit) == -1) {
		snprintf(what, sizeof(what), "must be an integer from 0 to %ld",
		    maxlimit);
		return bad_param(pe, "query.limit", what);
	}
	if (query != NULL && (v = json_get(query, "skip")) != NULL &&
	    get_int(v, 0, LONG_MAX, &skip) == -1)
		return bad_param(pe, "query.skip",
		    "must be a non-negative integer");
	for (i = 0; i < nitems && n < limit; i++) {
		if (id != NULL && in == NULL && strcmp(id->str, items[i].id))
			continue;
		if (in != NULL && !in_strings(in, items[i].id))
			continue;
		if (seen++ < skip)
			continue;
		sel[n++] = i;
	}
	return n;
}

static void
put_meta(FILE *out)
{
	fputs("\"meta\":{\"total\":-1,\"format\":{\"dataAsArray\":false,"
	    "\"groupIncludedByType\":true}}", out);
}

static int
m_dataframe(const struct json *params, FILE *out, struct rpcerr *pe)
{
	const struct json *data, *f, *times, *gte, *lt, *v, *series = NULL;
	size_t *sel = xrealloc(NULL, nitems, sizeof(*sel)), i, r, lo;
	int64_t from, to;
	long n, k;
	char buf[TIME_BUFSZ], nb[NUM_BUFSZ];
	int any, first;

	if ((n = select_items(json_get(params, "query"), 50, sel, pe)) < 0)
		goto bad;
	data = json_get(params, "data");
	if (data == NULL || data->type != JSON_OBJECT) {
		bad_param(pe, "data", "required, an object");
		goto bad;
	}
	if ((v = json_get(data, "rollup")) != NULL && v->type != JSON_NULL) {
		bad_param(pe, "data.rollup", "only raw data is served here");
		goto bad;
	}
	if ((v = json_get(data, "last")) != NULL &&
	    (v->type != JSON_NUMBER || json_num(v) > 0)) {
		bad_param(pe, "data.last", "only -1 or 0 are served here");
		goto bad;
	}
	f = json_get(data, "filter");
	times = f ? json_get(f, "times") : NULL;
	gte = times ? json_get(times, "$gte") : NULL;
	lt = times ? json_get(times, "$lt") : NULL;
	if (gte == NULL || gte->type != JSON_STRING ||
	    time_parse(gte->str, gte->len, &from) != NULL) {
		bad_param(pe, "data.filter.times.$gte",
		    "required, an RFC 3339 time");
		goto bad;
	}
	if (lt == NULL || lt->type != JSON_STRING ||
	    time_parse(lt->str, lt->len, &to) != NULL) {
		bad_param(pe, "data.filter.times.$lt",
		    "required, an RFC 3339 time");
		goto bad;
	}
	if (to - from > WINDOW_MAX) {
		bad_param(pe, "data.filter.times",
		    "window longer than 40 days for raw data");
		goto bad;
	}
	if (f != NULL && (series = json_get(f, "series")) != NULL) {
		if (series->type != JSON_OBJECT ||
		    (series = json_get(series, "$in")) == NULL ||
		    series->type != JSON_ARRAY) {
			bad_param(pe, "data.filter.series",
			    "expected {\"$in\": [...]}");
			goto bad;
		}
		for (i = 0, k = 0; k < n; k++)
			if (in_strings(series, items[sel[k]].id))
				sel[i++] = sel[k];
		n = (long)i;
	}

	for (lo = 0; lo < nrows && rowtime[lo] < from; lo++)
		;
	fputs("{", out);
	put_meta(out);
	fputs(",\"data\":{\"times\":[", out);
	for (r = lo, first = 1; r < nrows && rowtime[r] < to; r++) {
		for (any = 0, k = 0; k < n && !any; k++)
			any = rowhas[r * nitems + sel[k]];
		if (!any)
			continue;
		time_format(buf, rowtime[r]);
		fprintf(out, "%s\"%s\"", first ? "" : ",", buf);
		first = 0;
	}
	fputs("],\"series\":{", out);
	for (k = 0; k < n; k++) {
		if (k > 0)
			putc(',', out);
		json_put_string(out, items[sel[k]].id,
		    strlen(items[sel[k]].id));
		fputs(":[", out);
		for (r = lo, first = 1; r < nrows && rowtime[r] < to; r++) {
			for (any = 0, i = 0; i < (size_t)n && !any; i++)
				any = rowhas[r * nitems + sel[i]];
			if (!any)
				continue;
			i = r * nitems + sel[k];
			if (rowhas[i])
				num_format(nb, rowval[i]);
			fprintf(out, "%s%s", first ? "" : ",",
			    rowhas[i] ? nb : "null");
			first = 0;
		}
		putc(']', out);
	}
	fputs("}}}", out);
	free(sel);
	return 0;
bad:
	free(sel);
	return -1;
}

static int
m_selectitems(const struct json *params, FILE *out, struct rpcerr *pe)
{
	size_t *sel = xrealloc(NULL, nitems, sizeof(*sel));
	const struct item *it;
	long n, k;

	if ((n = select_items(json_get(params, "query"), 1000, sel,
	    pe)) < 0) {
		free(sel);
		return -1;
	}
	fputs("{", out);
	put_meta(out);
	fputs(",\"data\":[", out);
	for (k = 0; k < n; k++) {
		it = &items[sel[k]];
		fputs(k > 0 ? ",{" : "{", out);
		fputs("\"type\":\"items\",\"id\":", out);
		json_put_string(out, it->id, strlen(it->id));
		fprintf(out, ",\"meta\":{\"annotations\":{},"
		    "\"createdAt\":\"%s\",\"updatedAt\":\"%s\"},"
		    "\"attributes\":{\"name\":", started, started);
		json_put_string(out, it->name, strlen(it->name));
		fputs(",\"description\":\"\",\"labels\":{},"
		    "\"engUnit\":\"\",\"valueType\":\"numeric\","
		    "\"sourceType\":\"measurement\",\"enumValues\":{},"
		    "\"sampleInterval\":null,\"gapDetection\":null,"
		    "\"visible\":true},\"relationships\":{}}", out);
	}
	fputs("]}", out);
	free(sel);
	return 0;
}

static int
check_integration(const struct json *params, struct rpcerr *pe)
{
	const struct json *v = json_get(params, "integration");

	if (v == NULL || v->type != JSON_STRING)
		return bad_param(pe, "integration", "required");
	if (strcmp(v->str, conf.integration) != 0) {
		pe->code = -32003;
		pe->msg = "Forbidden";
		snprintf(pe->path, sizeof(pe->path), "integration");
		snprintf(pe->what, sizeof(pe->what),
		    "not the integration of these credentials");
		return -1;
	}
	return 0;
}

static int
valid_input(const char *s, size_t len)
{
	size_t i;

	if (len < 1 || len > 128)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    strchr("-_:.#+/", s[i]) != NULL) || s[i] == '\0')
			return 0;
	return 1;
}

/* The signal of INPUT; *CREATED tells whether this call made it. */
static struct signal *
signal_of(const char *input, int *created)
{
	size_t i;

	*created = 0;
	for (i = 0; i < nsignals; i++)
		if (strcmp(signals[i].input, input) == 0)
			return &signals[i];
	signals = xrealloc(signals, nsignals + 1, sizeof(*signals));
	memset(&signals[nsignals], 0, sizeof(*signals));
	signals[nsignals].input = xstrdup(input);
	random_id(signals[nsignals].id, IDLEN);
	*created = 1;
	return &signals[nsignals++];
}

static void
upsert(struct signal *sg, int64_t t, double v)
{
	size_t lo = 0, hi = sg->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (sg->p[mid].t < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sg->n && sg->p[lo].t == t) {
		sg->p[lo].v = v;
		return;
	}
	if (sg->n == sg->cap) {
		sg->cap = sg->cap ? sg->cap * 2 : 16;
		sg->p = xrealloc(sg->p, sg->cap, sizeof(*sg->p));
	}
	memmove(sg->p + lo + 1, sg->p + lo, (sg->n - lo) * sizeof(*sg->p));
	sg->p[lo].t = t;
	sg->p[lo].v = v;
	sg->n++;
}

static int
m_insert(const struct json *params, FILE *out, struct rpcerr *pe)
{
	const struct json *data, *times, *series, *s;
	const struct json_key *k;
	int64_t *t = NULL;
	size_t i, j;
	char path[200];
	struct signal *sg;
	int created;

	if (check_integration(params, pe) == -1)
		return -1;
	data = json_get(params, "data");
	if (data == NULL || data->type != JSON_OBJECT)
		return bad_param(pe, "data", "required, an object");
	times = json_get(data, "times");
	series = json_get(data, "series");
	if (times == NULL || times->type != JSON_ARRAY)
		return bad_param(pe, "data.times", "required, an array");
	if (series == NULL || series->type != JSON_OBJECT)
		return bad_param(pe, "data.series", "required, an object");
	t = xrealloc(NULL, times->len, sizeof(*t));
	for (i = 0; i < times->len; i++) {
		s = &times->item[i];
		if (s->type != JSON_STRING ||
		    time_parse(s->str, s->len, &t[i]) != NULL) {
			snprintf(path, sizeof(path), "data.times[%zu]", i);
			free(t);
			return bad_param(pe, path, "not an RFC 3339 time");
		}
	}
	for (j = 0; j < series->len; j++) {
		s = &series->item[j];
		k = json_key(series, j);
		snprintf(path, sizeof(path), "data.series.%.150s", k->name);
		if (!valid_input(k->name, k->len)) {
			free(t);
			return bad_param(pe, path, "not a valid input id");
		}
		if (s->type != JSON_ARRAY || s->len != times->len) {
			free(t);
			return bad_param(pe, path,
			    "not an array as long as times");
		}
		for (i = 0; i < s->len; i++)
			if (s->item[i].type != JSON_NUMBER &&
			    s->item[i].type != JSON_NULL) {
				free(t);
				return bad_param(pe, path,
				    "values must be numbers or null");
			}
	}

	fputs("{\"signalsByInput\":{", out);
	for (j = 0; j < series->len; j++) {
		s = &series->item[j];
		sg = signal_of(json_key(series, j)->name, &created);
		for (i = 0; i < s->len; i++)
			if (s->item[i].type == JSON_NUMBER)
				upsert(sg, t[i], json_num(&s->item[i]));
		if (log_inserts(json_key(series, j)->name, t, s) == -1 ||
		    write_points(sg) == -1) {
			free(t);
			pe->code = -32603;
			pe->msg = "Internal error";
			pe->path[0] = '\0';
			return -1;
		}
		if (j > 0)
			putc(',', out);
		k = json_key(series, j);
		json_put_string(out, k->name, k->len);
		fprintf(out, ":{\"id\":\"%s\",\"created\":%s}", sg->id,
		    created ? "true" : "false");
	}
	fputs("}}", out);
	free(t);
	return 0;
}

static int
m_savesignals(const struct json *params, FILE *out, struct rpcerr *pe)
{
	const struct json *inputs, *v, *co;
	const struct json_key *k;
	const char *key = "signalsByInput";
	char path[200];
	struct signal *sg;
	size_t i;
	int only = 0, created, existed;

	if (check_integration(params, pe) == -1)
		return -1;
	if ((inputs = json_get(params, key)) == NULL)
		inputs = json_get(params, key = "inputs");
	if (inputs == NULL || inputs->type != JSON_OBJECT)
		return bad_param(pe, "signalsByInput", "required, an object");
	if ((co = json_get(params, "createOnly")) != NULL) {
		if (co->type != JSON_TRUE && co->type != JSON_FALSE)
			return bad_param(pe, "createOnly", "not a boolean");
		only = co->type == JSON_TRUE;
	}
	for (i = 0; i < inputs->len; i++) {
		k = json_key(inputs, i);
		snprintf(path, sizeof(path), "%s.%.150s", key, k->name);
		if (!valid_input(k->name, k->len))
			return bad_param(pe, path, "not a valid input id");
		if (inputs->item[i].type != JSON_OBJECT)
			return bad_param(pe, path, "must be an object");
		v = json_get(&inputs->item[i], "name");
		if (v != NULL && (v->type != JSON_STRING || v->len < 1 ||
		    v->len > 128))
			return bad_param(pe, path,
			    "name must be a string of 1 to 128 bytes");
	}

	fputs("{\"signalsByInput\":{", out);
	for (i = 0; i < inputs->len; i++) {
		k = json_key(inputs, i);
		sg = signal_of(k->name, &created);
		existed = !created;
		if (!(only && existed) &&
		    write_signal(k->name, &inputs->item[i]) == -1) {
			pe->code = -32603;
			pe->msg = "Internal error";
			pe->path[0] = '\0';
			return -1;
		}
		if (i > 0)
			putc(',', out);
		json_put_string(out, k->name, k->len);
		fprintf(out, ":{\"id\":\"%s\",\"created\":%s,\"updated\":%s}",
		    sg->id, created ? "true" : "false",
		    existed && !only ? "true" : "false");
	}
	fputs("}}", out);
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(const struct json *, FILE *, struct rpcerr *);
} methods[] = {
	{ "clarify.dataFrame", m_dataframe },
	{ "clarify.selectItems", m_selectitems },
	{ "integration.insert", m_insert },
	{ "integration.saveSignals", m_savesignals },
};

/* ---- HTTP --------------------------------------------------------- */

static int
wait_fd(int fd, short ev)
{
	struct pollfd p;
	int r;

	p.fd = fd;
	p.events = ev;
	while ((r = poll(&p, 1, IOWAIT)) == -1 && errno == EINTR && !stop)
		;
	return r == 1 ? 0 : -1;
}

static void
send_all(int fd, const char *s, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if (wait_fd(fd, POLLOUT) == -1)
			return;
		if ((w = write(fd, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		s += w;
		n -= (size_t)w;
	}
}

static const char *
reason(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 204:
		return "No Content";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 413:
		return "Content Too Large";
	case 415:
		return "Unsupported Media Type";
	case 429:
		return "Too Many Requests";
	case 501:
		return "Not Implemented";
	default:
		return "Internal Server Error";
	}
}

static void
respond(int fd, const struct req *q, int status, const char *extra,
    const char *body, size_t len)
{
	char *head;
	size_t n;
	FILE *fp;

	if ((fp = open_memstream(&head, &n)) == NULL)
		return;
	fprintf(fp, "HTTP/1.1 %d %s\r\nConnection: close\r\n", status,
	    reason(status));
	if (q != NULL && q->path != NULL && strcmp(q->path, "/v1/rpc") == 0)
		fprintf(fp, "X-API-Version: %s\r\n",
		    q->apiver ? q->apiver : "1.1");
	if (extra != NULL)
		fputs(extra, fp);
	if (status != 204) {
		if (len > 0)
			fputs("Content-Type: application/json\r\n", fp);
		fprintf(fp, "Content-Length: %zu\r\n", len);
	}
	fputs("\r\n", fp);
	fclose(fp);
	send_all(fd, head, n);
	if (status != 204)
		send_all(fd, body, len);
	free(head);
}

static const char *
header(const char *name, char *line)
{
	size_t n = strlen(name);

	if (strncasecmp(line, name, n) != 0 || line[n] != ':')
		return NULL;
	line += n + 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* Read a request into Q; 0, or the HTTP status to refuse it with. */
static int
read_request(int fd, struct req *q)
{
	size_t cap = 4096, hlen, need;
	char *end = NULL, *l, *next;
	const char *v, *clen = NULL, *expect = NULL, *te = NULL;
	long cl;
	ssize_t n;

	q->buf = xrealloc(NULL, cap, 1);
	for (;;) {
		if (q->len + 1 >= cap) {
			if (cap >= MAXHEAD + MAXBODY + 1)
				return 413;
			cap *= 2;
			q->buf = xrealloc(q->buf, cap, 1);
		}
		if (end == NULL) {
			q->buf[q->len] = '\0';
			if ((end = strstr(q->buf, "\r\n\r\n")) != NULL)
				break;
			if (q->len > MAXHEAD)
				return 413;
		}
		if (wait_fd(fd, POLLIN) == -1)
			return -1;
		if ((n = read(fd, q->buf + q->len, cap - q->len - 1)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		q->len += (size_t)n;
	}
	hlen = (size_t)(end - q->buf) + 4;
	end[2] = '\0';

	q->line = q->buf;
	if ((next = strstr(q->buf, "\r\n")) == NULL)
		return 400;
	*next = '\0';
	next += 2;
	q->method = xstrdup(q->line);
	if ((l = strchr(q->method, ' ')) == NULL)
		return 400;
	*l++ = '\0';
	q->path = l;
	if ((l = strchr(l, ' ')) == NULL || strncmp(l + 1, "HTTP/1.", 7))
		return 400;
	*l = '\0';
	while (*next != '\0') {
		l = next;
		if ((next = strstr(l, "\r\n")) == NULL)
			return 400;
		*next = '\0';
		next += 2;
		if ((v = header("Content-Length", l)) != NULL)
			clen = v;
		else if ((v = header("Authorization", l)) != NULL)
			q->auth = v;
		else if ((v = header("X-API-Version", l)) != NULL)
			q->apiver = v;
		else if ((v = header("Content-Type", l)) != NULL)
			q->ctype = v;
		else if ((v = header("Expect", l)) != NULL)
			expect = v;
		else if ((v = header("Transfer-Encoding", l)) != NULL)
			te = v;
	}
	if (te != NULL)
		return 501;
	cl = 0;
	if (clen != NULL && num_long(clen, 0, (long)MAXBODY, &cl) != NULL)
		return clen[0] == '-' || clen[0] == '\0' ? 400 : 413;
	if (expect != NULL && strcasecmp(expect, "100-continue") == 0)
		send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25);

	need = hlen + (size_t)cl;
	if (need + 1 > cap) {
		cap = need + 1;
		/* Keep the parsed pointers valid: they point into buf. */
		{
			char *old = q->buf, *nb = xrealloc(NULL, cap, 1);

			memcpy(nb, old, q->len);
			q->line = nb + (q->line - old);
			if (q->auth)
				q->auth = nb + (q->auth - old);
			if (q->apiver)
				q->apiver = nb + (q->apiver - old);
			if (q->ctype)
				q->ctype = nb + (q->ctype - old);
			free(old);
			q->buf = nb;
		}
	}
	while (q->len < need) {
		if (wait_fd(fd, POLLIN) == -1)
			return -1;
		if ((n = read(fd, q->buf + q->len, need - q->len)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			return -1;
		}
		q->len += (size_t)n;
	}
	q->body = q->buf + hlen;
	q->bodylen = (size_t)cl;
	q->body[q->bodylen] = '\0';
	return 0;
}

/* ---- endpoints ---------------------------------------------------- */

static void
oauth_error(int fd, const struct req *q, int status, const char *err,
    const char *desc)
{
	char *b;
	size_t n;
	FILE *fp = open_memstream(&b, &n);

	if (fp == NULL)
		return;
	fprintf(fp, "{\"error\":\"%s\",\"error_description\":", err);
	json_put_string(fp, desc, strlen(desc));
	fputs("}", fp);
	fclose(fp);
	respond(fd, q, status, NULL, b, n);
	free(b);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a form field in place. */
static void
form_decode(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (*s == '+')
			*o++ = ' ';
		else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

static int
serve_token(int fd, struct req *q)
{
	char *p, *f, *eq, *grant = NULL, *id = NULL, *sec = NULL,
	    *aud = NULL, tok[TOKLEN + 1], body[256];
	size_t i;
	double now = now_mono();
	int basic;

	if (q->ctype == NULL || strncasecmp(q->ctype,
	    "application/x-www-form-urlencoded", 33) != 0) {
		oauth_error(fd, q, 400, "invalid_request",
		    "expected a form (application/x-www-form-urlencoded)");
		return 400;
	}
	for (f = q->body; f != NULL; f = p) {
		if ((p = strchr(f, '&')) != NULL)
			*p++ = '\0';
		if ((eq = strchr(f, '=')) == NULL)
			continue;
		*eq++ = '\0';
		form_decode(f);
		form_decode(eq);
		if (strcmp(f, "grant_type") == 0)
			grant = eq;
		else if (strcmp(f, "client_id") == 0)
			id = eq;
		else if (strcmp(f, "client_secret") == 0)
			sec = eq;
		else if (strcmp(f, "audience") == 0)
			aud = eq;
	}
	if (grant == NULL || strcmp(grant, "client_credentials") != 0) {
		oauth_error(fd, q, 400, "unsupported_grant_type",
		    "grant_type must be client_credentials");
		return 400;
	}
	basic = q->auth != NULL && strcmp(q->auth, conf.basic) == 0;
	if (!basic && (id == NULL || sec == NULL ||
	    strcmp(id, conf.client) != 0 || strcmp(sec, conf.secret) != 0)) {
		oauth_error(fd, q, 401, "invalid_client",
		    "unknown client or wrong secret");
		return 401;
	}
	if (aud == NULL || (conf.audience != NULL &&
	    strcmp(aud, conf.audience) != 0)) {
		oauth_error(fd, q, 403, "access_denied",
		    "audience missing or not this API");
		return 403;
	}

	/* Drop expired tokens, so a long run does not pile them up. */
	for (i = 0; i < ntokens; )
		if (tokens[i].expiry <= now)
			tokens[i] = tokens[--ntokens];
		else
			i++;
	random_id(tok, TOKLEN);
	tokens = xrealloc(tokens, ntokens + 1, sizeof(*tokens));
	memcpy(tokens[ntokens].s, tok, sizeof(tok));
	tokens[ntokens++].expiry = now + conf.expires;
	snprintf(body, sizeof(body), "{\"access_token\":\"%s\","
	    "\"scope\":\"invoke:integration\",\"expires_in\":%ld,"
	    "\"token_type\":\"Bearer\"}", tok, conf.expires);
	respond(fd, q, 200, NULL, body, strlen(body));
	return 200;
}

static int
authorized(const struct req *q)
{
	double now = now_mono();
	size_t i;

	if (q->auth == NULL)
		return 0;
	if (strcmp(q->auth, conf.basic) == 0)
		return 1;
	if (strncasecmp(q->auth, "Bearer ", 7) != 0)
		return 0;
	for (i = 0; i < ntokens; i++)
		if (strcmp(tokens[i].s, q->auth + 7) == 0)
			return tokens[i].expiry > now;
	return 0;
}

static void
put_id(FILE *fp, const struct json *id)
{
	if (id == NULL)
		fputs("null", fp);
	else
		put_json(fp, id);
}

static void
put_error(FILE *fp, const struct json *id, const struct rpcerr *pe,
    const char *partial, size_t plen)
{
	char trace[IDLEN + 1];

	random_id(trace, IDLEN);
	fputs("{\"jsonrpc\":\"2.0\",\"id\":", fp);
	put_id(fp, id);
	fprintf(fp, ",\"error\":{\"code\":%ld,\"message\":", pe->code);
	json_put_string(fp, pe->msg, strlen(pe->msg));
	fprintf(fp, ",\"data\":{\"trace\":\"%s\"", trace);
	if (pe->path[0] != '\0') {
		fputs(",\"params\":{", fp);
		json_put_string(fp, pe->path, strlen(pe->path));
		fputs(":[", fp);
		json_put_string(fp, pe->what, strlen(pe->what));
		fputs("]}", fp);
	}
	if (partial != NULL) {
		fputs(",\"partialResult\":", fp);
		fwrite(partial, 1, plen, fp);
	}
	fputs("}}}", fp);
}

/*
 * Is a call of METHOD too soon after the last one let through?  A call in
 * time becomes the last one.
 */
static int
too_soon(const char *method)
{
	size_t i;
	double now;

	if (conf.pace <= 0 || method == NULL)
		return 0;
	for (i = 0; i < sizeof(paced) / sizeof(paced[0]); i++)
		if (strcasecmp(paced[i], method) == 0)
			break;
	if (i == sizeof(paced) / sizeof(paced[0]))
		return 0;
	now = now_mono();
	if (paced_last[i] > 0 && now - paced_last[i] < conf.pace)
		return 1;
	paced_last[i] = now;
	return 0;
}

static int
serve_rpc(int fd, struct req *q, const char **mname, const char **fname)
{
	struct json_reader *r;
	struct json *doc = NULL, *extra;
	const struct json *id = NULL, *v, *params;
	struct rpcerr pe;
	struct fault f;
	struct err e;
	char *body = NULL, *res = NULL;
	size_t blen, rlen, i;
	FILE *out, *rf;
	int status = 200, rc, got, valid;

	if (!authorized(q)) {
		respond(fd, q, 401, "WWW-Authenticate: Bearer\r\n", "", 0);
		return 401;
	}
	if (q->ctype == NULL ||
	    strncasecmp(q->ctype, "application/json", 16) != 0) {
		respond(fd, q, 415, NULL, "", 0);
		return 415;
	}
	memset(&pe, 0, sizeof(pe));
	if ((r = json_open_mem(q->body, q->bodylen, &e)) == NULL)
		exit(EXIT_FAIL);
	rc = json_next(r, &doc, &e);
	if (rc == 1 && json_next(r, &extra, &e) != 0)
		rc = -1;
	if (rc != 1) {
		pe.code = -32700;
		pe.msg = "Parse error";
		doc = NULL;
	} else if (doc->type != JSON_OBJECT) {
		pe.code = -32600;
		pe.msg = "Invalid Request";
	} else {
		id = json_get(doc, "id");
		if (id != NULL && id->type != JSON_STRING &&
		    id->type != JSON_NUMBER && id->type != JSON_NULL)
			id = NULL;
		v = json_get(doc, "method");
		if (v != NULL && v->type == JSON_STRING)
			*mname = xstrdup(v->str);
		if (id == NULL && json_get(doc, "id") != NULL) {
			pe.code = -32600;
			pe.msg = "Invalid Request";
		} else if ((v = json_get(doc, "jsonrpc")) == NULL ||
		    v->type != JSON_STRING || strcmp(v->str, "2.0") != 0 ||
		    *mname == NULL) {
			pe.code = -32600;
			pe.msg = "Invalid Request";
		}
	}

	got = take_fault(*mname, &f);
	if (got) {
		*fname = fault_name(&f);
		if (f.kind == F_500 || f.kind == F_429) {
			status = f.kind == F_500 ? 500 : 429;
			respond(fd, q, status, f.kind == F_429 ?
			    "Retry-After: 1\r\n" : NULL, "", 0);
			json_close(r);
			return status;
		}
		if (f.kind == F_SLOW)
			sleep((unsigned)f.secs);
	} else if (too_soon(*mname)) {
		*fname = "throttled";
		respond(fd, q, 429, "Retry-After: 1\r\n", "", 0);
		json_close(r);
		return 429;
	}

	if ((out = open_memstream(&body, &blen)) == NULL)
		exit(EXIT_FAIL);
	valid = pe.code == 0;
	if (pe.code != 0) {
		put_error(out, id, &pe, NULL, 0);
		goto done;
	}
	if (got && f.kind == F_TRYAGAIN) {
		pe.code = -32015;
		pe.msg = "Try again";
		put_error(out, id, &pe, NULL, 0);
		goto done;
	}
	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcasecmp(methods[i].name, *mname) == 0)
			break;
	params = json_get(doc, "params");
	if (i == sizeof(methods) / sizeof(methods[0])) {
		pe.code = -32601;
		pe.msg = "Method not found";
		put_error(out, id, &pe, NULL, 0);
		goto done;
	}
	if (params == NULL || params->type != JSON_OBJECT) {
		bad_param(&pe, "params", "required, an object");
		put_error(out, id, &pe, NULL, 0);
		goto done;
	}
	if ((rf = open_memstream(&res, &rlen)) == NULL)
		exit(EXIT_FAIL);
	rc = methods[i].fn(params, rf, &pe);
	fclose(rf);
	if (rc == -1)
		put_error(out, id, &pe, NULL, 0);
	else if (got && f.kind == F_PARTIAL) {
		pe.code = -32021;
		pe.msg = "Partial failure";
		put_error(out, id, &pe, res, rlen);
	} else {
		fputs("{\"jsonrpc\":\"2.0\",\"id\":", out);
		put_id(out, id);
		fputs(",\"result\":", out);
		fwrite(res, 1, rlen, out);
		fputs("}", out);
	}
	free(res);
done:
	fclose(out);

	/* A call without an id is a notification: done, but not answered. */
	if (valid && json_get(doc, "id") == NULL)
		status = 204;
	json_close(r);
	respond(fd, q, status, NULL, body, blen);
	free(body);
	return status;
}

static void
serve(int fd)
{
	struct req q;
	struct fault f;
	const char *mname = NULL, *fname = NULL;
	int64_t t = now_us();
	int status;

	memset(&q, 0, sizeof(q));
	status = read_request(fd, &q);
	if (status == -1)
		goto out;
	read_control();
	if (reload)
		reload_data();
	if (status != 0)
		respond(fd, &q, status, NULL, "", 0);
	else if (strcmp(q.method, "POST") != 0 &&
	    (strcmp(q.path, "/v1/rpc") == 0 ||
	    strcmp(q.path, "/v1/oauth/token") == 0)) {
		status = 405;
		respond(fd, &q, status, "Allow: POST\r\n", "", 0);
	} else if (strcmp(q.path, "/v1/oauth/token") == 0) {
		if (take_fault("oauth/token", &f)) {
			fname = fault_name(&f);
			if (f.kind == F_SLOW)
				sleep((unsigned)f.secs);
		}
		if (fname != NULL && f.kind != F_SLOW) {
			status = f.kind == F_500 ? 500 : 429;
			respond(fd, &q, status, f.kind == F_429 ?
			    "Retry-After: 1\r\n" : NULL, "", 0);
		} else
			status = serve_token(fd, &q);
	} else if (strcmp(q.path, "/v1/rpc") == 0)
		status = serve_rpc(fd, &q, &mname, &fname);
	else {
		status = 404;
		respond(fd, &q, status, NULL, "", 0);
	}
	log_request(t, &q, status, mname, fname);
	free((char *)mname);
out:
	free(q.method);
	free(q.buf);
}

/* ---- setup -------------------------------------------------------- */

static void
make_dir(const char *path)
{
	if (mkdir(path, 0777) == -1 && errno != EEXIST) {
		diag_sys("%s", path);
		exit(EXIT_FAIL);
	}
}

static void
setup_record(void)
{
	char *p = xrealloc(NULL, strlen(conf.record) + 16, 1);

	make_dir(conf.record);
	sprintf(p, "%s/points", conf.record);
	make_dir(p);
	sprintf(p, "%s/signals", conf.record);
	make_dir(p);
	sprintf(p, "%s/requests.log", conf.record);
	if ((conf.log = fopen(p, "a")) == NULL) {
		diag_sys("%s", p);
		exit(EXIT_FAIL);
	}
	free(p);
}

static void
write_port(const char *file, unsigned port)
{
	char *tmp = xrealloc(NULL, strlen(file) + 5, 1);
	FILE *fp;

	/* Through a temporary name: a reader never sees half a number. */
	sprintf(tmp, "%s.tmp", file);
	if ((fp = fopen(tmp, "w")) == NULL) {
		diag_sys("%s", tmp);
		exit(EXIT_FAIL);
	}
	fprintf(fp, "%u\n", port);
	if (ferror(fp) | (fclose(fp) != 0) || rename(tmp, file) == -1) {
		diag_sys("%s", file);
		exit(EXIT_FAIL);
	}
	free(tmp);
}

/* Give the item of ARG, "ID\0NAME", its name; 0, or -1 if none has ID. */
static int
apply_name(const char *arg)
{
	size_t i;

	for (i = 0; i < nitems; i++)
		if (strcmp(items[i].id, arg) == 0) {
			items[i].name = (char *)arg + strlen(arg) + 1;
			return 0;
		}
	return -1;
}

static void
set_name(char *arg)
{
	char *eq = strchr(arg, '=');

	if (eq == NULL || eq == arg || eq[1] == '\0') {
		diag_warn("-n %s: expected ID=NAME", arg);
		exit(EXIT_USAGE);
	}
	*eq = '\0';
	if (apply_name(arg) == -1) {
		diag_warn("-n %s: no such item in the data file", arg);
		exit(EXIT_USAGE);
	}
	name_arg = xrealloc(name_arg, nname_arg + 1, sizeof(*name_arg));
	name_arg[nname_arg++] = arg;
}

int
main(int argc, char *argv[])
{
	const char *portfile = NULL, *data = NULL, *why;
	char **names = NULL, *cred;
	size_t nnames = 0, i;
	long idle = 300, ms;
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct sigaction act;
	struct pollfd p;
	struct timespec ts;
	int c, lfd, r;

	diag_init(argv[0]);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		return diag_help(usage_text, help_text);
	conf.client = "client";
	conf.secret = "secret";
	conf.integration = "c8ktonqsahsmemfs7lv0";
	conf.expires = 3600;
	while ((c = getopt(argc, argv, "a:c:d:e:F:f:i:l:n:p:r:s:t:")) != -1) {
		switch (c) {
		case 'a':
			conf.audience = optarg;
			break;
		case 'c':
			conf.client = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'e':
			if ((why = num_long(optarg, 1, 100000000,
			    &conf.expires)) != NULL) {
				diag_warn("-e %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			break;
		case 'F':
			if ((why = add_fault(optarg)) != NULL) {
				diag_warn("-F: %s", why);
				return diag_usage(usage_text);
			}
			break;
		case 'f':
			conf.control = optarg;
			break;
		case 'i':
			conf.integration = optarg;
			break;
		case 'l':
			if ((why = num_long(optarg, 0, 60000, &ms)) != NULL) {
				diag_warn("-l %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			conf.pace = ms / 1000.0;
			break;
		case 'n':
			names = xrealloc(names, nnames + 1, sizeof(*names));
			names[nnames++] = optarg;
			break;
		case 'p':
			portfile = optarg;
			break;
		case 'r':
			conf.record = optarg;
			break;
		case 's':
			conf.secret = optarg;
			break;
		case 't':
			if ((why = num_long(optarg, 1, 86400 * 7, &idle)) !=
			    NULL) {
				diag_warn("-t %s: %s", optarg, why);
				return diag_usage(usage_text);
			}
			break;
		default:
			return diag_usage(usage_text);
		}
	}
	if (optind != argc || portfile == NULL)
		return diag_usage(usage_text);

	if (data != NULL)
		load_data(data);
	conf.data = data;
	for (i = 0; i < nnames; i++)
		set_name(names[i]);
	free(names);
	if (conf.record != NULL)
		setup_record();
	cred = xrealloc(NULL, strlen(conf.client) + strlen(conf.secret) + 2,
	    1);
	sprintf(cred, "%s:%s", conf.client, conf.secret);
	conf.basic = xrealloc(NULL, strlen(cred) / 3 * 4 + 16, 1);
	{
		char *b = base64(cred);

		sprintf(conf.basic, "Basic %s", b);
		free(b);
	}
	free(cred);
	clock_gettime(CLOCK_REALTIME, &ts);
	rng_seed(&rng, (uint64_t)ts.tv_sec * 1000000000u +
	    (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 40));
	time_format(started, now_us());

	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal;
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	signal(SIGPIPE, SIG_IGN);

	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1) {
		diag_sys("socket");
		return EXIT_FAIL;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = 0;
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lfd, 16) == -1 ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen) == -1) {
		diag_sys("127.0.0.1");
		return EXIT_FAIL;
	}
	write_port(portfile, ntohs(sa.sin_port));

	while (!stop) {
		p.fd = lfd;
		p.events = POLLIN;
		r = poll(&p, 1, (int)(idle * 1000));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			diag_sys("poll");
			return EXIT_FAIL;
		}
		if (r == 0) {
			diag_warn("no request for %ld second%s, stopping",
			    idle, diag_plural((unsigned long long)idle));
			break;
		}
		if ((c = accept(lfd, NULL, NULL)) == -1)
			continue;
		serve(c);
		close(c);
	}
	close(lfd);
	if (conf.log != NULL)
		fclose(conf.log);
	return EXIT_OK;
}
