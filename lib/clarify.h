/*
 * clarify.h - what the programs know of Clarify's JSON-RPC API: the shape
 * of its answers, the form of its identifiers and the credentials file.
 *
 * clarify_data finds the data in one top-level JSON value, which may be
 *
 *	a JSON-RPC response whose result is a clarify.dataFrame result,
 *	    {"meta": ..., "data": FRAME or [FRAME, ...], "included": ...}
 *	a JSON-RPC response whose result is an older clarify.selectItems
 *	    result, {"items": {...}, "data": FRAME}
 *	a bare FRAME, {"times": [...], "series": {...}}
 *
 * and returns the frame or the array of frames, unchecked (frame_add
 * checks a frame).  A JSON-RPC error response is an error whose message
 * is "clarify error CODE: MESSAGE (trace TRACE)", with the line of the
 * error object and no column; text from the server is shown with its
 * control characters escaped.
 *
 * clarify_integration reads the integration ID from a credentials file
 * as the Clarify admin pages download it:
 *
 *	{"apiUrl": ..., "integration": "<id>", "credentials": {...}}
 *
 * It looks at nothing else, and no message it makes quotes the file's
 * other contents, which hold a secret: a JSON syntax error is reported
 * with its line and column and "not valid JSON" alone.
 */
#ifndef CLARIFY_H
#define CLARIFY_H

#include <stddef.h>

#include "err.h"
#include "json.h"

/* Length of an integration, item or signal ID. */
#define CLARIFY_IDLEN 20

/* Longest input ID (the series key integration.insert takes). */
#define CLARIFY_INPUTMAX 128

/* Is the LEN bytes at S an ID, ^[a-v0-9]{20}$? */
int	clarify_is_id(const char *s, size_t len);

/* Is the LEN bytes at S an input ID, ^[a-zA-Z0-9-_:.#+/]{1,128}$? */
int	clarify_is_input_id(const char *s, size_t len);

/* The data of V as described above, or NULL with E filled. */
const struct json *clarify_data(const struct json *v, struct err *e);

/*
 * Read the integration ID from the credentials file open on FD (not
 * closed) into ID, which has room for CLARIFY_IDLEN + 1 bytes.  Returns 0,
 * or -1 with E filled (E's line and column are 0 when the file could not
 * be read).
 */
int	clarify_integration(int fd, char *id, struct err *e);

#endif
