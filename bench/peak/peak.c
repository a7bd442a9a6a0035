/* Measures one core's float32 fused multiply-add throughput per second of
 * CPU time: twelve independent FMA chains held in registers (enough to hide
 * the FMA latency on two pipes), on the widest vectors the compiler targets
 * (build with -O2 -march=native). Prints GFLOP/s. CPU time rather than wall
 * time, so that a shared core still gives its per-cycle rate. */
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX2__) || defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif

typedef float vec __attribute__((vector_size(LANES * sizeof(float))));

static double seconds(void) {
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define STEP(v) v = v * mul + add

int main(void) {
	vec mul, add, a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11;
	for (int j = 0; j < LANES; j++) {
		mul[j] = 0.9999999f;
		add[j] = 1e-8f;
		a0[j] = a1[j] = a2[j] = a3[j] = a4[j] = a5[j] = (float)j;
		a6[j] = a7[j] = a8[j] = a9[j] = a10[j] = a11[j] = (float)(j + 1);
	}
	const long iters = 100000000L;
	double best = 0;
	for (int rep = 0; rep < 3; rep++) {
		double t0 = seconds();
		for (long i = 0; i < iters; i++) {
			STEP(a0); STEP(a1); STEP(a2); STEP(a3); STEP(a4); STEP(a5);
			STEP(a6); STEP(a7); STEP(a8); STEP(a9); STEP(a10); STEP(a11);
		}
		double dt = seconds() - t0;
		double g = (double)iters * 12 * LANES * 2 / dt / 1e9;
		if (g > best)
			best = g;
	}
	vec s = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11;
	float sink = 0;
	for (int j = 0; j < LANES; j++)
		sink += s[j];
	printf("%.1f GFLOP/s (%d-lane float32 FMA, best of 3; sink %g)\n", best, LANES, (double)sink);
	return 0;
}
