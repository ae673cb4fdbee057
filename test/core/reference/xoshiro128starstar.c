/*
 * Reference output for test/core/rng-reference.test.ts, written from the published algorithms, not from
 * core/rng.ts:
 *  - xoshiro128** 1.1: next() and rotl() as in David Blackman and Sebastiano Vigna's reference
 *    implementation, https://prng.di.unimi.it/xoshiro128starstar.c (public domain, CC0);
 *  - splitmix32 to seed it: Weyl increment 0x9e3779b9, then the MurmurHash3 fmix32 finaliser
 *    (0x85ebca6b, 0xc2b2ae35 with shifts 16, 13, 16);
 *  - Box-Muller in double precision from two 32-bit uniforms u = x / 2^32, first draw 1 - u (so log is
 *    finite), cos for the first normal and sin for the second, each rounded to float once.
 * usage: xoshiro <seed> <uints> <normals>; prints the uint32 outputs (decimal), then the float32 normals
 * of a fresh generator on the same seed as their bit patterns (hex).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline uint32_t rotl(const uint32_t x, int k) {
	return (x << k) | (x >> (32 - k));
}

static uint32_t s[4];

uint32_t next(void) {
	const uint32_t result = rotl(s[1] * 5, 7) * 9;

	const uint32_t t = s[1] << 9;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];

	s[2] ^= t;

	s[3] = rotl(s[3], 11);

	return result;
}

static uint32_t splitmix32_state;

static uint32_t splitmix32(void) {
	uint32_t z = (splitmix32_state += 0x9e3779b9u);
	z = (z ^ (z >> 16)) * 0x85ebca6bu;
	z = (z ^ (z >> 13)) * 0xc2b2ae35u;
	return z ^ (z >> 16);
}

static void seed(uint32_t value) {
	splitmix32_state = value;
	for (int i = 0; i < 4; i++) s[i] = splitmix32();
}

int main(int argc, char **argv) {
	if (argc != 4) return 2;
	uint32_t value = (uint32_t)strtoul(argv[1], NULL, 10);
	long uints = strtol(argv[2], NULL, 10), normals = strtol(argv[3], NULL, 10);
	seed(value);
	for (long i = 0; i < uints; i++) printf("%u\n", next());
	seed(value);
	for (long i = 0; i < normals; i += 2) {
		double u1 = 1.0 - next() / 4294967296.0;
		double u2 = next() / 4294967296.0;
		double r = sqrt(-2.0 * log(u1));
		float pair[2] = { (float)(r * cos(2.0 * M_PI * u2)), (float)(r * sin(2.0 * M_PI * u2)) };
		for (int j = 0; j < 2 && i + j < normals; j++) {
			uint32_t bits;
			memcpy(&bits, &pair[j], 4);
			printf("%08x\n", bits);
		}
	}
	return 0;
}
