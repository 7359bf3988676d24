/*
 * test_rng.c - the seeded generator.
 *
 * The pinned outputs below were computed once with a separate twenty-line
 * Python rendering of splitmix64 seeding and xoshiro256** written from the
 * published algorithm (its first splitmix64 output for seed 0,
 * 0xe220a8397b1dcdaf, is the widely quoted one).  A model file depends on
 * this exact stream, so any change to it must show up here.
 */
#include <stdint.h>
#include <stdio.h>

#include "rng.h"
#include "unit.h"

static void
test_pinned(void)
{
	static const uint64_t seed0[] = {
		0x99ec5f36cb75f2b4ULL, 0xbf6e1f784956452aULL,
		0x1a5f849d4933e6e0ULL, 0x6aa594f1262d2d2cULL,
		0xbba5ad4a1f842e59ULL
	};
	static const uint64_t seed12345[] = {
		0xbe6a36374160d49bULL, 0x214aaa0637a688c6ULL,
		0xf69d16de9954d388ULL, 0x0c60048c4e96e033ULL,
		0x8e2076aeed51c648ULL
	};
	static const uint64_t seedmax[] = {
		0x8f5520d52a7ead08ULL, 0xc476a018caa1802dULL,
		0x81de31c0d260469eULL, 0xbf658d7e065f3c2fULL,
		0x913593fda1bca32aULL
	};
	static const uint64_t below10[] = { 0, 2, 8, 2, 7, 8, 4, 3 };
	static const uint64_t belowbig[] = {
		2091344671253066399ULL, 1793997310169335054ULL,
		1900383378846508768ULL, 1684712102626143518ULL
	};
	struct rng r;
	size_t i;

	rng_seed(&r, 0);
	CHECK(r.s[0] == 0xe220a8397b1dcdafULL);
	CHECK(r.s[3] == 0xf88bb8a8724c81ecULL);
	for (i = 0; i < 5; i++)
		CHECK(rng_next(&r) == seed0[i]);
	rng_seed(&r, 12345);
	for (i = 0; i < 5; i++)
		CHECK(rng_next(&r) == seed12345[i]);
	rng_seed(&r, UINT64_MAX);
	for (i = 0; i < 5; i++)
		CHECK(rng_next(&r) == seedmax[i]);

	rng_seed(&r, 0);
	CHECK(rng_uniform(&r) == 0x1.33d8be6d96ebep-1);
	CHECK(rng_uniform(&r) == 0x1.7edc3ef092ac8p-1);
	CHECK(rng_uniform(&r) == 0x1.a5f849d4933e0p-4);

	rng_seed(&r, 0);
	for (i = 0; i < 8; i++)
		CHECK(rng_below(&r, 10) == below10[i]);
	rng_seed(&r, 0);
	for (i = 0; i < 4; i++)
		CHECK(rng_below(&r, 3000000000000000007ULL) == belowbig[i]);
}

static int
popcount(uint64_t x)
{
	int n = 0;

	for (; x != 0; x &= x - 1)
		n++;
	return n;
}

static void
test_streams(void)
{
	struct rng a, b;
	int i, same = 1, differ = 0;
	double bits = 0;

	rng_seed(&a, 7);
	rng_seed(&b, 7);
	for (i = 0; i < 1000; i++)
		if (rng_next(&a) != rng_next(&b))
			same = 0;
	CHECK(same);

	/* Seeds one bit apart give streams that share nothing. */
	rng_seed(&a, 0);
	rng_seed(&b, 1);
	for (i = 0; i < 1000; i++) {
		uint64_t x = rng_next(&a), y = rng_next(&b);

		differ += x != y;
		bits += popcount(x ^ y);
	}
	CHECK(differ == 1000);
	CHECK_NEAR(bits / 1000, 32, 1);
}

/* Pearson's statistic for COUNT[0..K) against N/K each. */
static double
chisq(const long *count, int k, long n)
{
	double want = (double)n / k, x = 0;
	int i;

	for (i = 0; i < k; i++)
		x += (count[i] - want) * (count[i] - want) / want;
	return x;
}

static void
test_uniform(void)
{
	struct rng r;
	long count[20] = { 0 };
	double v, sum = 0;
	int i, inrange = 1, odd = 0, n = 1000000;

	rng_seed(&r, 99);
	for (i = 0; i < n; i++) {
		v = rng_uniform(&r);
		if (!(v >= 0 && v < 1))
			inrange = 0;
		else
			count[(int)(v * 20)]++;
		sum += v;
		/* All 53 bits are random: the last is set half the time. */
		odd += (uint64_t)(v * 0x1p53) & 1;
	}
	CHECK(inrange);
	CHECK_NEAR(sum / n, 0.5, 0.002);
	CHECK_NEAR((double)odd / n, 0.5, 0.005);
	/* 19 degrees of freedom: 60 is far beyond chance (p < 1e-5). */
	CHECK(chisq(count, 20, n) < 60);
}

static void
test_below(void)
{
	struct rng r;
	long count[10] = { 0 }, third[3] = { 0 };
	uint64_t x, n3 = 3ULL << 62;
	int i, inrange = 1, n = 100000, zero = 1, both[2] = { 0, 0 };

	rng_seed(&r, 5);
	for (i = 0; i < n; i++) {
		x = rng_below(&r, 10);
		if (x >= 10)
			inrange = 0;
		else
			count[x]++;
	}
	CHECK(inrange);
	/* 9 degrees of freedom: 40 is far beyond chance (p < 1e-5). */
	CHECK(chisq(count, 10, n) < 40);

	/*
	 * With n = 3 * 2^62, a plain remainder would give the lowest third
	 * of the range twice the share of the others.
	 */
	for (i = 0; i < n; i++) {
		x = rng_below(&r, n3);
		if (x >= n3)
			inrange = 0;
		else
			third[x >> 62]++;
	}
	CHECK(inrange);
	CHECK(chisq(third, 3, n) < 30);

	for (i = 0; i < 1000; i++) {
		if (rng_below(&r, 1) != 0)
			zero = 0;
		if ((x = rng_below(&r, 2)) < 2)
			both[x]++;
		else
			inrange = 0;
		if (rng_below(&r, UINT64_MAX) == UINT64_MAX)
			inrange = 0;
	}
	CHECK(zero);
	CHECK(inrange);
	CHECK(both[0] > 400 && both[1] > 400);
}

int
main(void)
{
	test_pinned();
	test_streams();
	test_uniform();
	test_below();
	return unit_done();
}
