/*
 * deflate.h - compressing bytes into a raw deflate stream (RFC 1951).
 *
 * The whole input is in memory and the whole output is returned in one
 * malloc'ed buffer: the PNG encoder has every filtered row at hand, and
 * working on one buffer keeps the match finder simple.  The stream has no
 * zlib or gzip wrapper; the caller adds the one it needs.
 *
 * Matches are found with hash chains of bounded length and one step of
 * lazy evaluation.  The symbols are cut into blocks of a fixed number of
 * symbols, and each block is written as whichever of a stored, a fixed
 * Huffman or a dynamic Huffman block is smallest, so incompressible input
 * grows by only a few bytes per 64 KiB.  The output depends on nothing
 * but the input and the mode.
 *
 * The mode restricts the block types, which the tests use to exercise
 * each kind of block against an independent decoder.
 *
 * Known limit: input that makes long hash chains of short matches, such
 * as two byte values in random order, is slow to compress, a few hundred
 * KiB a second; images with flat areas and lines go some tens of MiB a
 * second.
 *
 * Returns the stream and its size in *len, or NULL with *e filled in when
 * out of memory.
 */
#ifndef DEFLATE_H
#define DEFLATE_H

#include <stddef.h>

#include "err.h"

enum deflate_mode {
	DEFLATE_BEST,		/* the smallest block type, block by block */
	DEFLATE_STORED,		/* stored blocks only: no compression */
	DEFLATE_FIXED,		/* fixed Huffman codes only */
	DEFLATE_DYNAMIC		/* dynamic Huffman codes only */
};

unsigned char *deflate_compress(const void *in, size_t n,
	    enum deflate_mode mode, size_t *len, struct err *e);

#endif
