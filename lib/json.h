/*
 * json.h - a strict JSON (RFC 8259) reader for a stream of values, and the
 * few writing helpers the programs need.
 *
 * The reader holds the whole input in memory and hands out one top-level
 * value per call, so concatenated documents ("{...}{...}" or one per
 * line) are read in turn.  A value is a tree of struct json nodes that
 * stays valid until the next json_next call or json_close.
 *
 * It refuses, with the line and column of the offending byte: anything
 * outside RFC 8259 (trailing commas, single quotes, comments, NaN and
 * Infinity, leading zeros, "1.", a bare "-"), bad escapes, lone or
 * misordered UTF-16 surrogates, control characters and invalid UTF-8 in
 * strings, a number too large for a double, input that ends inside a value,
 * and nesting deeper than JSON_MAXDEPTH.
 *
 * Strings are decoded to UTF-8 and NUL-terminated; `len` counts their bytes
 * (a "\u0000" escape is kept, so a string may hold a NUL).  A number keeps
 * its text, exactly as written; json_num gives its value.
 *
 * A node takes 24 bytes, as a series of a million values makes a million
 * of them: positions and lengths are 32-bit, which is why the reader takes
 * at most JSON_MAXINPUT bytes of input and refuses more, and the names of
 * an object's members follow their values, found with json_key.
 *
 * Returns: json_next gives 1 for a value, 0 at the end of the input (only
 * white space left) and -1 on an error (in *e).
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Deepest nesting of arrays and objects accepted. */
#define JSON_MAXDEPTH 512

/*
 * The most input taken, 4 GiB less a byte: the line, column and length
 * of every value then fit 32 bits.
 */
#define JSON_MAXINPUT ((size_t)UINT32_MAX)

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT
};

/* The name of an object member. */
struct json_key {
	const char *name;	/* NUL-terminated */
	size_t	 len;		/* its bytes, without the NUL */
};

struct json {
	enum json_type type;
	uint32_t line, col;	/* where the value starts */
	uint32_t len;		/* bytes of a string or number text; members
				   of an array or object */
	union {
		const char *str;	/* string contents, or number text */
		struct json *item;	/* array elements, member values */
	};
};

struct json_reader;

/*
 * Read all of FD into memory now (FD is not closed).  NULL on error, also
 * when there is more than JSON_MAXINPUT.
 */
struct json_reader *json_open(int fd, struct err *e);

/* Read from the LEN bytes at BUF, copied (at most JSON_MAXINPUT). */
struct json_reader *json_open_mem(const char *buf, size_t len,
	    struct err *e);

void	json_close(struct json_reader *r);

int	json_next(struct json_reader *r, struct json **v, struct err *e);

/* The member of object OBJ named KEY, or NULL (also when OBJ is no object). */
const struct json *json_get(const struct json *obj, const char *key);

/* The name of member I (below OBJ->len) of the object OBJ. */
const struct json_key *json_key(const struct json *obj, size_t i);

/*
 * The value of the number V, correctly rounded, from its text; 0 when V
 * is no number, and NaN when there is no memory for a copy of a number of
 * 64 bytes or more, which strtod needs.
 */
double	json_num(const struct json *v);

/* Name of a type, for messages: "null", "a number", "an object", ... */
const char *json_typename(enum json_type t);

/*
 * Write the LEN bytes at S as a JSON string with its quotes, escaping
 * what must be escaped.  Returns 0, or -1 on a stream error.
 */
int	json_put_string(FILE *fp, const char *s, size_t len);

#endif
