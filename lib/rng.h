/*
 * rng.h - a small, fast, seedable random number generator.
 *
 * xoshiro256** (Blackman and Vigna, 2018), seeded from one 64-bit number
 * through splitmix64.  The same seed gives the same stream on every
 * machine, which is what makes a model file reproducible byte for byte.
 */
#ifndef RNG_H
#define RNG_H

#include <stdint.h>

struct rng {
	uint64_t s[4];
};

void	 rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);

/* A double uniform in [0, 1), with 53 random bits. */
double	 rng_uniform(struct rng *r);

/* An integer uniform in [0, n), n > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t n);

#endif
