/* Measures one core's float32 fused multiply-add throughput per second of CPU time: independent
 * FMA chains, long enough to hide latency, on the widest vectors the
 * compiler targets (build with -O2 -march=native). Prints GFLOP/s. */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX2__) || defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
#define CHAINS 16

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

static double seconds(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: a shared core still gives its per-cycle rate */
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void) {
	vec acc[CHAINS], mul, add;
	for (int j = 0; j < LANES; j++) {
		mul[j] = 0.9999999f;
		add[j] = 1e-8f;
	}
	for (int c = 0; c < CHAINS; c++)
		for (int j = 0; j < LANES; j++)
			acc[c][j] = (float)(c + j);
	const long iters = 100000000L;
	double best = 0;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = seconds();
		for (long i = 0; i < iters; i++) {
#pragma GCC unroll 16
			for (int c = 0; c < CHAINS; c++)
				acc[c] = acc[c] * mul + add;
			__asm__ volatile("" : "+x"(acc[0]));
		}
		double dt = seconds() - t0;
		double g = (double)iters * CHAINS * LANES * 2 / dt / 1e9;
		if (g > best)
			best = g;
	}
	float sink = 0;
	for (int c = 0; c < CHAINS; c++)
		for (int j = 0; j < LANES; j++)
			sink += acc[c][j];
	printf("%.1f GFLOP/s (%d-lane float32 FMA, best of 3; sink %g)\n", best, LANES, (double)sink);
	return 0;
}
