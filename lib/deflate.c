/*
 * deflate.c - LZ77 with hash chains, then Huffman coding (RFC 1951).
 *
 * The input is read once, front to back.  At each position the hash of
 * the next three bytes leads to earlier positions with the same hash; the
 * longest match among a bounded number of them becomes a (length,
 * distance) symbol, anything else a literal.  Symbols gather in a block;
 * when the block is full it is costed three ways (stored, fixed codes,
 * codes built for this block) and written the cheapest way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deflate.h"

/* Limits of the format. */
#define WINDOW		32768	/* farthest a match may reach back */
#define WINDOW_MASK	(WINDOW - 1)
#define MIN_MATCH	3
#define MAX_MATCH	258
#define STORED_MAX	65535	/* most bytes in one stored block */
#define MAX_BITS	15	/* longest literal/length or distance code */
#define MAX_CL_BITS	7	/* longest code of the code-length alphabet */

/* The alphabets. */
#define END_BLOCK	256	/* the symbol that ends a block */
#define FIRST_LENGTH	257	/* the first length symbol */
#define NLENGTH		29	/* length symbols, 257 to 285 */
#define NLITLEN		288	/* literal/length symbols with fixed codes */
#define NLITLEN_USED	(FIRST_LENGTH + NLENGTH)
#define NDIST		30	/* distance symbols in use */
#define NDIST_FIXED	32	/* distance symbols with fixed codes */
#define NCODELEN	19	/* symbols of the code-length alphabet */

/* Code-length symbols: repeat the previous length, or runs of zeros. */
#define CL_REPEAT	16
#define CL_ZEROS	17
#define CL_MANY_ZEROS	18
#define CL_REPEAT_MIN	3
#define CL_REPEAT_MAX	6
#define CL_ZEROS_MIN	3
#define CL_ZEROS_MAX	10
#define CL_MANY_MIN	11
#define CL_MANY_MAX	138
#define CL_REPEAT_BITS	2	/* extra bits of each */
#define CL_ZEROS_BITS	3
#define CL_MANY_BITS	7

/* Block types, as the BTYPE field spells them. */
#define BTYPE_STORED	0
#define BTYPE_FIXED	1
#define BTYPE_DYNAMIC	2

/* Field widths of block headers, in bits. */
#define BFINAL_BITS	1
#define BTYPE_BITS	2
#define HLIT_BITS	5
#define HDIST_BITS	5
#define HCLEN_BITS	4
#define CL_LEN_BITS	3
#define STORED_LEN_BITS	16
#define MIN_HLIT	FIRST_LENGTH
#define MIN_HDIST	1
#define MIN_HCLEN	4

/*
 * Choices of this compressor, traded between speed and size.  In a
 * filtered image the best match is often the row above, but in a flat
 * area the chain first passes every position of the run in between, so
 * it reaches the row above only if it is about as long as a row: 1024
 * serves plots of up to a thousand bytes a row.  Inputs of long chains
 * and short matches (a random mix of two byte values) are the slow
 * case, a few hundred KiB a second.
 */
#define HASH_BITS	15
#define HASH_SIZE	(1u << HASH_BITS)
#define HASH_MULT	2654435761u	/* Knuth's multiplicative hash */
#define MAX_CHAIN	1024	/* candidates tried at one position */
#define LAZY_MATCH	32	/* a match this long is taken at once */
#define BLOCK_SYMBOLS	16384	/* symbols per block */
#define OUT_GUESS	4	/* first output room: a quarter of the input */
#define OUT_MIN		64

/* The order in which code-length code lengths are sent (RFC 1951 3.2.7). */
static const unsigned char cl_order[NCODELEN] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15
};

/* A literal (dist 0, litlen the byte) or a match (litlen its length). */
struct sym {
	uint16_t	litlen;
	uint16_t	dist;
};

struct match {
	unsigned	len;
	unsigned	dist;
};

/* Bits go out least significant first, as RFC 1951 3.1.1 packs them. */
struct bits {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;
	uint64_t	 acc;
	unsigned	 nacc;
	int		 nomem;
};

/*
 * A prefix code: the length of each symbol's code and its bits.  Codes
 * are sent most significant bit first and every other field least
 * significant first, so the bits are kept reversed and then sent like
 * any other field.
 */
struct huff {
	uint8_t		len[NLITLEN];
	uint16_t	code[NLITLEN];
};

/* What a dynamic block sends before its symbols. */
struct header {
	unsigned	hlit;
	unsigned	hdist;
	unsigned	hclen;
	struct huff	cl;
	size_t		nrle;
	uint8_t		rle[NLITLEN + NDIST];	/* code-length symbols */
	uint8_t		rle_extra[NLITLEN + NDIST];	/* their extra bits */
};

/* Everything known about the block being written. */
struct block {
	uint32_t	litfreq[NLITLEN];
	uint32_t	distfreq[NDIST_FIXED];
	uint64_t	extra_bits;	/* of lengths and distances */
	struct huff	lit;
	struct huff	dist;
	struct header	hdr;
};

struct deflater {
	const unsigned char *in;
	size_t		 n;
	enum deflate_mode mode;
	size_t		*head;		/* per hash: latest position + 1 */
	size_t		*prev;		/* per position: the one before + 1 */
	struct sym	*sym;
	size_t		 nsym;
	size_t		 block_start;	/* first input byte of the block */
	struct huff	 fixed_lit;
	struct huff	 fixed_dist;
	struct block	 blk;
	struct bits	 out;
};

static int
grow(struct bits *b, size_t more)
{
	size_t cap;
	unsigned char *p;

	if (b->nomem)
		return -1;
	if (b->cap - b->len >= more)
		return 0;
	cap = b->cap;
	while (cap - b->len < more) {
		if (cap > SIZE_MAX / 2) {
			b->nomem = 1;
			return -1;
		}
		cap *= 2;
	}
	if ((p = realloc(b->buf, cap)) == NULL) {
		b->nomem = 1;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

/*
 * Appends the low n bits of v, n at most 32.  Whole 32-bit words go
 * out, so the 64-bit holder always has room for the next field.
 */
static void
put(struct bits *b, uint32_t v, unsigned n)
{
	b->acc |= (uint64_t)v << b->nacc;
	b->nacc += n;
	if (b->nacc < 32)
		return;
	if (grow(b, 4) == 0) {
		b->buf[b->len++] = (unsigned char)b->acc;
		b->buf[b->len++] = (unsigned char)(b->acc >> 8);
		b->buf[b->len++] = (unsigned char)(b->acc >> 16);
		b->buf[b->len++] = (unsigned char)(b->acc >> 24);
	}
	b->acc >>= 32;
	b->nacc -= 32;
}

/* Pads with zero bits to a byte boundary and writes out what is held. */
static void
align(struct bits *b)
{
	b->nacc = (b->nacc + 7) / 8 * 8;
	while (b->nacc > 0) {
		if (grow(b, 1) == 0)
			b->buf[b->len++] = (unsigned char)b->acc;
		b->acc >>= 8;
		b->nacc -= 8;
	}
}

/* Copies bytes after align(). */
static void
put_bytes(struct bits *b, const unsigned char *p, size_t n)
{
	if (grow(b, n) == 0) {
		memcpy(b->buf + b->len, p, n);
		b->len += n;
	}
}

static unsigned
floor_log2(unsigned v)
{
	unsigned b = 0;

	while (v >>= 1)
		b++;
	return b;
}

/*
 * Lengths and distances are coded alike (RFC 1951 3.2.5).  After an
 * offset is taken off, the first 2G values have a code each; from there
 * on, every G codes carry one more extra bit, so each code spans twice
 * what the code G places before it spans.  G is 4 for lengths and 2 for
 * distances; gbits is its logarithm.  Length 258 alone breaks the
 * pattern, with a code of its own and no extra bits.
 */
#define LENGTH_GBITS	2
#define DIST_GBITS	1
#define LENGTH_MAX_CODE	(NLENGTH - 1)	/* the code of MAX_MATCH */

static unsigned
span_code(unsigned v, unsigned gbits)
{
	unsigned g = 1u << gbits, b;

	if (v < 2 * g)
		return v;
	b = floor_log2(v);
	return g * (b - gbits + 1) + ((v >> (b - gbits)) & (g - 1));
}

static unsigned
span_extra(unsigned code, unsigned gbits)
{
	return code < 2u << gbits ? 0 : (code >> gbits) - 1;
}

static unsigned
span_base(unsigned code, unsigned gbits)
{
	unsigned g = 1u << gbits;

	if (code < 2 * g)
		return code;
	return (g + (code & (g - 1))) << ((code >> gbits) - 1);
}

/* Length codes are counted from 0 for symbol 257. */
static unsigned
length_code(unsigned len)
{
	if (len == MAX_MATCH)
		return LENGTH_MAX_CODE;
	return span_code(len - MIN_MATCH, LENGTH_GBITS);
}

static unsigned
length_extra(unsigned code)
{
	return code == LENGTH_MAX_CODE ? 0 : span_extra(code, LENGTH_GBITS);
}

static unsigned
length_base(unsigned code)
{
	if (code == LENGTH_MAX_CODE)
		return MAX_MATCH;
	return span_base(code, LENGTH_GBITS) + MIN_MATCH;
}

static unsigned
dist_code(unsigned dist)
{
	return span_code(dist - 1, DIST_GBITS);
}

static unsigned
dist_extra(unsigned code)
{
	return span_extra(code, DIST_GBITS);
}

static unsigned
dist_base(unsigned code)
{
	return span_base(code, DIST_GBITS) + 1;
}

static uint16_t
reverse(unsigned code, unsigned len)
{
	unsigned r = 0;

	while (len-- > 0) {
		r = (r << 1) | (code & 1);
		code >>= 1;
	}
	return (uint16_t)r;
}

/* Canonical codes from code lengths (RFC 1951 3.2.2). */
static void
huff_codes(struct huff *h, unsigned n)
{
	unsigned count[MAX_BITS + 1] = { 0 }, next[MAX_BITS + 1];
	unsigned i, bits, c = 0;

	for (i = 0; i < n; i++)
		count[h->len[i]]++;
	count[0] = 0;
	for (bits = 1; bits <= MAX_BITS; bits++) {
		c = (c + count[bits - 1]) << 1;
		next[bits] = c;
	}
	for (i = 0; i < n; i++)
		if (h->len[i] != 0)
			h->code[i] = reverse(next[h->len[i]]++, h->len[i]);
}

struct leaf {
	uint32_t	freq;
	uint16_t	sym;
};

/* Rarest first; equal counts by symbol, so that the result is stable. */
static int
leaf_cmp(const void *a, const void *b)
{
	const struct leaf *x = a, *y = b;

	if (x->freq != y->freq)
		return x->freq < y->freq ? -1 : 1;
	return x->sym < y->sym ? -1 : x->sym > y->sym;
}

/*
 * Huffman's construction with two queues: the leaves sorted by count,
 * and the merged nodes, which come out in order of weight by themselves.
 * Fills len[] with each symbol's depth and returns the deepest.
 */
static unsigned
tree_depths(const uint32_t *freq, unsigned n, uint8_t *len)
{
	struct leaf leaf[NLITLEN];
	uint32_t weight[2 * NLITLEN];
	unsigned parent[2 * NLITLEN], depth[2 * NLITLEN];
	unsigned m = 0, i, k, nl = 0, nn, nnode, deepest = 0;

	memset(len, 0, n);
	for (i = 0; i < n; i++)
		if (freq[i] != 0) {
			leaf[m].freq = freq[i];
			leaf[m++].sym = (uint16_t)i;
		}
	if (m < 2) {
		if (m == 1)
			len[leaf[0].sym] = 1;
		return m;
	}
	qsort(leaf, m, sizeof leaf[0], leaf_cmp);
	for (i = 0; i < m; i++)
		weight[i] = leaf[i].freq;

	nn = nnode = m;
	while (nnode < 2 * m - 1) {
		unsigned pick[2];

		for (k = 0; k < 2; k++) {
			if (nl < m && (nn == nnode || weight[nl] <= weight[nn]))
				pick[k] = nl++;
			else
				pick[k] = nn++;
		}
		weight[nnode] = weight[pick[0]] + weight[pick[1]];
		parent[pick[0]] = parent[pick[1]] = nnode++;
	}

	/* A parent is always made after its children: walk down from root. */
	depth[nnode - 1] = 0;
	for (i = nnode - 1; i-- > 0; )
		depth[i] = depth[parent[i]] + 1;
	/* Too deep a depth only has to stay too deep in a byte. */
	for (i = 0; i < m; i++) {
		len[leaf[i].sym] = (uint8_t)(depth[i] < UINT8_MAX ? depth[i] :
		    UINT8_MAX);
		if (depth[i] > deepest)
			deepest = depth[i];
	}
	return deepest;
}

/*
 * Code lengths no longer than maxbits.  When the optimal tree is too
 * deep, halving every count (keeping it non-zero) flattens the tree;
 * repeated, it ends with equal counts and a balanced tree, which fits.
 * Package-merge would find the best limited code, but a tree this deep
 * needs counts close to a Fibonacci series, and is rare.
 */
static void
huff_build(struct huff *h, const uint32_t *freq, unsigned n,
    unsigned maxbits)
{
	uint32_t f[NLITLEN];
	unsigned i;

	memcpy(f, freq, n * sizeof f[0]);
	while (tree_depths(f, n, h->len) > maxbits)
		for (i = 0; i < n; i++)
			f[i] = (f[i] + 1) / 2;
	huff_codes(h, n);
}

/* The fixed codes of RFC 1951 3.2.6, as its table gives them. */
static void
fixed_codes(struct huff *lit, struct huff *dist)
{
	static const struct {
		unsigned	end;	/* first symbol of the next range */
		uint8_t		len;
	} range[] = { { 144, 8 }, { 256, 9 }, { 280, 7 }, { NLITLEN, 8 } };
	static const uint8_t dist_len = 5;
	unsigned i, r = 0;

	for (i = 0; i < NLITLEN; i++) {
		if (i == range[r].end)
			r++;
		lit->len[i] = range[r].len;
	}
	memset(dist->len, dist_len, NDIST_FIXED);
	huff_codes(lit, NLITLEN);
	huff_codes(dist, NDIST_FIXED);
}

static size_t
hash3(const unsigned char *p)
{
	uint32_t v = p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;

	return (uint32_t)(v * HASH_MULT) >> (32 - HASH_BITS);
}

/* Enters pos into the hash chains. */
static void
insert(struct deflater *d, size_t pos)
{
	size_t h;

	if (d->n - pos < MIN_MATCH)
		return;
	h = hash3(d->in + pos);
	d->prev[pos & WINDOW_MASK] = d->head[h];
	d->head[h] = pos + 1;
}

static unsigned
match_len(const unsigned char *a, const unsigned char *b, unsigned max)
{
	unsigned n = 0;

	while (n < max && a[n] == b[n])
		n++;
	return n;
}

/*
 * The longest match for the bytes at pos among the last MAX_CHAIN
 * positions with the same hash, then pos joins the chain.  Positions
 * are stored plus one so that zero can mean "none".
 */
static struct match
find(struct deflater *d, size_t pos)
{
	struct match best = { 0, 0 };
	const unsigned char *here;
	size_t cand, left = MAX_CHAIN;
	unsigned max, len;

	if (d->n - pos < MIN_MATCH)
		return best;
	here = d->in + pos;
	max = d->n - pos < MAX_MATCH ? (unsigned)(d->n - pos) : MAX_MATCH;
	for (cand = d->head[hash3(here)]; cand != 0 && left > 0;
	    cand = d->prev[(cand - 1) & WINDOW_MASK]) {
		const unsigned char *there = d->in + cand - 1;

		if (pos - (cand - 1) > WINDOW)
			break;
		left--;
		/* Only a candidate that beats the best at its end can win. */
		if (there[best.len] != here[best.len])
			continue;
		len = match_len(there, here, max);
		if (len > best.len) {
			best.len = len;
			best.dist = (unsigned)(pos - (cand - 1));
			if (len == max)
				break;
		}
	}
	insert(d, pos);
	if (best.len < MIN_MATCH)
		best.len = 0;
	return best;
}

/* Counts the block's symbols and the extra bits they carry. */
static void
count(struct deflater *d, struct block *b)
{
	size_t i;
	unsigned c;

	memset(b->litfreq, 0, sizeof b->litfreq);
	memset(b->distfreq, 0, sizeof b->distfreq);
	b->extra_bits = 0;
	for (i = 0; i < d->nsym; i++) {
		const struct sym *s = &d->sym[i];

		if (s->dist == 0) {
			b->litfreq[s->litlen]++;
			continue;
		}
		c = length_code(s->litlen);
		b->litfreq[FIRST_LENGTH + c]++;
		b->extra_bits += length_extra(c);
		c = dist_code(s->dist);
		b->distfreq[c]++;
		b->extra_bits += dist_extra(c);
	}
	b->litfreq[END_BLOCK] = 1;
}

static uint64_t
code_bits(const struct huff *h, const uint32_t *freq, unsigned n)
{
	uint64_t bits = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		bits += (uint64_t)freq[i] * h->len[i];
	return bits;
}

static unsigned
cl_extra(unsigned sym)
{
	return sym == CL_REPEAT ? CL_REPEAT_BITS : sym == CL_ZEROS ?
	    CL_ZEROS_BITS : sym == CL_MANY_ZEROS ? CL_MANY_BITS : 0;
}

/*
 * The code lengths of both codes as one sequence, shortened with the
 * repeat and zero-run symbols (RFC 1951 3.2.7).
 */
static void
rle_lengths(struct header *hdr, const uint8_t *seq, size_t total)
{
	size_t i = 0, run, take;
	unsigned sym, extra;

	hdr->nrle = 0;
	while (i < total) {
		for (run = 1; i + run < total && seq[i + run] == seq[i]; run++)
			continue;
		if (seq[i] == 0 && run >= CL_MANY_MIN) {
			take = run < CL_MANY_MAX ? run : CL_MANY_MAX;
			sym = CL_MANY_ZEROS;
			extra = (unsigned)(take - CL_MANY_MIN);
		} else if (seq[i] == 0 && run >= CL_ZEROS_MIN) {
			take = run < CL_ZEROS_MAX ? run : CL_ZEROS_MAX;
			sym = CL_ZEROS;
			extra = (unsigned)(take - CL_ZEROS_MIN);
		} else if (i > 0 && seq[i - 1] == seq[i] &&
		    run >= CL_REPEAT_MIN) {
			take = run < CL_REPEAT_MAX ? run : CL_REPEAT_MAX;
			sym = CL_REPEAT;
			extra = (unsigned)(take - CL_REPEAT_MIN);
		} else {
			take = 1;
			sym = seq[i];
			extra = 0;
		}
		hdr->rle[hdr->nrle] = (uint8_t)sym;
		hdr->rle_extra[hdr->nrle++] = (uint8_t)extra;
		i += take;
	}
}

/*
 * RFC 1951 allows a distance code of one symbol, but decoders have
 * stumbled on it; every built code gets at least two symbols instead,
 * which costs a code length in the header.
 */
static void
at_least_two(uint32_t *freq, unsigned n)
{
	unsigned i, used = 0;

	for (i = 0; i < n; i++)
		used += freq[i] != 0;
	for (i = 0; used < 2 && i < n; i++)
		if (freq[i] == 0) {
			freq[i] = 1;
			used++;
		}
}

/* Builds the block's own codes and header; returns the block's size. */
static uint64_t
plan_dynamic(struct block *b)
{
	uint32_t lf[NLITLEN], df[NDIST], clfreq[NCODELEN] = { 0 };
	uint8_t seq[NLITLEN + NDIST];
	struct header *hdr = &b->hdr;
	uint64_t bits;
	size_t i;

	memcpy(lf, b->litfreq, sizeof lf);
	memcpy(df, b->distfreq, sizeof df);
	at_least_two(lf, NLITLEN_USED);
	at_least_two(df, NDIST);
	huff_build(&b->lit, lf, NLITLEN_USED, MAX_BITS);
	huff_build(&b->dist, df, NDIST, MAX_BITS);

	for (hdr->hlit = NLITLEN_USED; hdr->hlit > MIN_HLIT &&
	    b->lit.len[hdr->hlit - 1] == 0; hdr->hlit--)
		continue;
	for (hdr->hdist = NDIST; hdr->hdist > MIN_HDIST &&
	    b->dist.len[hdr->hdist - 1] == 0; hdr->hdist--)
		continue;
	memcpy(seq, b->lit.len, hdr->hlit);
	memcpy(seq + hdr->hlit, b->dist.len, hdr->hdist);
	rle_lengths(hdr, seq, hdr->hlit + hdr->hdist);

	for (i = 0; i < hdr->nrle; i++)
		clfreq[hdr->rle[i]]++;
	at_least_two(clfreq, NCODELEN);
	huff_build(&hdr->cl, clfreq, NCODELEN, MAX_CL_BITS);
	for (hdr->hclen = NCODELEN; hdr->hclen > MIN_HCLEN &&
	    hdr->cl.len[cl_order[hdr->hclen - 1]] == 0; hdr->hclen--)
		continue;

	bits = BFINAL_BITS + BTYPE_BITS + HLIT_BITS + HDIST_BITS + HCLEN_BITS +
	    CL_LEN_BITS * hdr->hclen;
	for (i = 0; i < hdr->nrle; i++)
		bits += hdr->cl.len[hdr->rle[i]] + cl_extra(hdr->rle[i]);
	return bits + code_bits(&b->lit, b->litfreq, NLITLEN_USED) +
	    code_bits(&b->dist, b->distfreq, NDIST) + b->extra_bits;
}

static uint64_t
fixed_size(const struct deflater *d, const struct block *b)
{
	return BFINAL_BITS + BTYPE_BITS +
	    code_bits(&d->fixed_lit, b->litfreq, NLITLEN) +
	    code_bits(&d->fixed_dist, b->distfreq, NDIST) + b->extra_bits;
}

/* Stored blocks of n bytes, starting nacc bits into a byte. */
static uint64_t
stored_size(size_t n, unsigned nacc)
{
	uint64_t bits = 0;

	do {
		size_t piece = n < STORED_MAX ? n : STORED_MAX;
		unsigned at = (nacc + BFINAL_BITS + BTYPE_BITS) % 8;

		bits += BFINAL_BITS + BTYPE_BITS + (8 - at) % 8 +
		    2 * STORED_LEN_BITS + 8 * (uint64_t)piece;
		n -= piece;
		nacc = 0;
	} while (n > 0);
	return bits;
}

static void
write_stored(struct deflater *d, size_t start, size_t end, int final)
{
	struct bits *o = &d->out;

	do {
		size_t piece = end - start < STORED_MAX ? end - start :
		    STORED_MAX;
		int last = start + piece == end;

		put(o, final && last, BFINAL_BITS);
		put(o, BTYPE_STORED, BTYPE_BITS);
		align(o);
		put(o, (uint32_t)piece, STORED_LEN_BITS);
		/* NLEN, the ones' complement of LEN, as a check. */
		put(o, (uint32_t)piece ^ STORED_MAX, STORED_LEN_BITS);
		align(o);
		if (piece > 0)
			put_bytes(o, d->in + start, piece);
		start += piece;
	} while (start < end);
}

static void
put_code(struct bits *o, const struct huff *h, unsigned sym)
{
	put(o, h->code[sym], h->len[sym]);
}

static void
write_header(struct bits *o, const struct header *hdr)
{
	size_t i;

	put(o, hdr->hlit - MIN_HLIT, HLIT_BITS);
	put(o, hdr->hdist - MIN_HDIST, HDIST_BITS);
	put(o, hdr->hclen - MIN_HCLEN, HCLEN_BITS);
	for (i = 0; i < hdr->hclen; i++)
		put(o, hdr->cl.len[cl_order[i]], CL_LEN_BITS);
	for (i = 0; i < hdr->nrle; i++) {
		put_code(o, &hdr->cl, hdr->rle[i]);
		put(o, hdr->rle_extra[i], cl_extra(hdr->rle[i]));
	}
}

static void
write_symbols(struct deflater *d, const struct huff *lit,
    const struct huff *dist)
{
	struct bits *o = &d->out;
	size_t i;
	unsigned c;

	for (i = 0; i < d->nsym; i++) {
		const struct sym *s = &d->sym[i];

		if (s->dist == 0) {
			put_code(o, lit, s->litlen);
			continue;
		}
		c = length_code(s->litlen);
		put_code(o, lit, FIRST_LENGTH + c);
		put(o, s->litlen - length_base(c), length_extra(c));
		c = dist_code(s->dist);
		put_code(o, dist, c);
		put(o, s->dist - dist_base(c), dist_extra(c));
	}
	put_code(o, lit, END_BLOCK);
}

/* The block type the mode asks for, or else the smallest. */
static int
choose(enum deflate_mode mode, uint64_t stored, uint64_t fixed,
    uint64_t dynamic)
{
	switch (mode) {
	case DEFLATE_STORED:
		return BTYPE_STORED;
	case DEFLATE_FIXED:
		return BTYPE_FIXED;
	case DEFLATE_DYNAMIC:
		return BTYPE_DYNAMIC;
	default:
		if (dynamic < fixed && dynamic < stored)
			return BTYPE_DYNAMIC;
		return fixed < stored ? BTYPE_FIXED : BTYPE_STORED;
	}
}

/* Writes the block [block_start, end) the cheapest way the mode allows. */
static void
flush_block(struct deflater *d, size_t end, int final)
{
	struct block *b = &d->blk;
	uint64_t stored, fixed, dynamic = UINT64_MAX;
	int type;

	count(d, b);
	stored = stored_size(end - d->block_start, d->out.nacc);
	fixed = fixed_size(d, b);
	if (d->mode == DEFLATE_BEST || d->mode == DEFLATE_DYNAMIC)
		dynamic = plan_dynamic(b);
	type = choose(d->mode, stored, fixed, dynamic);

	if (type == BTYPE_STORED)
		write_stored(d, d->block_start, end, final);
	else {
		put(&d->out, final != 0, BFINAL_BITS);
		put(&d->out, type, BTYPE_BITS);
		if (type == BTYPE_DYNAMIC) {
			write_header(&d->out, &b->hdr);
			write_symbols(d, &b->lit, &b->dist);
		} else
			write_symbols(d, &d->fixed_lit, &d->fixed_dist);
	}
	d->nsym = 0;
	d->block_start = end;
}

/* Adds a symbol that ends at input position end. */
static void
add(struct deflater *d, unsigned litlen, unsigned dist, size_t end)
{
	d->sym[d->nsym].litlen = (uint16_t)litlen;
	d->sym[d->nsym++].dist = (uint16_t)dist;
	if (d->nsym == BLOCK_SYMBOLS)
		flush_block(d, end, 0);
}

static void
add_match(struct deflater *d, size_t pos, struct match m)
{
	add(d, m.len, m.dist, pos + m.len);
}

static void
add_literal(struct deflater *d, size_t pos)
{
	add(d, d->in[pos], 0, pos + 1);
}

/*
 * The parse.  Lazy evaluation: before taking a short match, look one
 * byte further; if a longer match starts there, the byte becomes a
 * literal.  Every position of a taken match joins the chains, so later
 * matches can start anywhere inside it.
 */
static void
parse(struct deflater *d)
{
	struct match m, next;
	size_t pos = 0, skip;

	m = find(d, pos);
	while (pos < d->n) {
		if (m.len == 0) {
			add_literal(d, pos++);
		} else if (m.len < LAZY_MATCH && pos + 1 < d->n &&
		    (next = find(d, pos + 1)).len > m.len) {
			add_literal(d, pos++);
			m = next;
			continue;
		} else {
			/* pos, and pos + 1 if looked at, are in already. */
			skip = m.len < LAZY_MATCH && pos + 1 < d->n ? 2 : 1;
			add_match(d, pos, m);
			for (; skip < m.len; skip++)
				insert(d, pos + skip);
			pos += m.len;
		}
		if (pos < d->n)
			m = find(d, pos);
	}
	flush_block(d, pos, 1);
	align(&d->out);
}

unsigned char *
deflate_compress(const void *in, size_t n, enum deflate_mode mode,
    size_t *len, struct err *e)
{
	struct deflater *d;
	unsigned char *res = NULL;

	if ((d = calloc(1, sizeof *d)) == NULL)
		goto nomem;
	d->in = in;
	d->n = n;
	d->mode = mode;
	d->head = calloc(HASH_SIZE, sizeof d->head[0]);
	d->prev = calloc(WINDOW, sizeof d->prev[0]);
	d->sym = calloc(BLOCK_SYMBOLS, sizeof d->sym[0]);
	/* A first guess; the buffer grows as needed. */
	d->out.cap = n / OUT_GUESS + OUT_MIN;
	d->out.buf = malloc(d->out.cap);
	if (d->head == NULL || d->prev == NULL || d->sym == NULL ||
	    d->out.buf == NULL)
		goto nomem;
	fixed_codes(&d->fixed_lit, &d->fixed_dist);

	/* Stored blocks need no matches: each is as long as it may be. */
	if (mode == DEFLATE_STORED) {
		write_stored(d, 0, n, 1);
		align(&d->out);
	} else
		parse(d);
	if (d->out.nomem)
		goto nomem;
	res = d->out.buf;
	*len = d->out.len;
	d->out.buf = NULL;
	goto done;
nomem:
	err_set(e, 0, 0, "out of memory compressing %zu bytes", n);
done:
	if (d != NULL) {
		free(d->head);
		free(d->prev);
		free(d->sym);
		free(d->out.buf);
		free(d);
	}
	return res;
}
