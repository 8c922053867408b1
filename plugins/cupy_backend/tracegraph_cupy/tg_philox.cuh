// Philox4x64-10 and the transforms of tracegraph/random/philox.py (the specification),
// written so each thread computes its own values from its element index alone.
// Compiled by NVRTC on the GPU and by g++ in tests, which check every word and value
// against the NumPy reference bit for bit.

// Word `index` of sub-sequence `sub` of draw `draw` under key (k0, k1):
// block (index / 4, draw, sub, 0), lane index % 4.
__device__ __forceinline__ unsigned long long tg_philox_word(
        unsigned long long k0, unsigned long long k1, unsigned long long draw,
        unsigned long long sub, unsigned long long index) {
    unsigned long long c0 = index >> 2, c1 = draw, c2 = sub, c3 = 0ull;
    for (int round = 0; round < 10; ++round) {
        if (round) {
            k0 += 0x9E3779B97F4A7C15ull;
            k1 += 0xBB67AE8584CAA73Bull;
        }
        unsigned long long hi0 = __umul64hi(0xD2E7470EE14C6C93ull, c0), lo0 = 0xD2E7470EE14C6C93ull * c0;
        unsigned long long hi1 = __umul64hi(0xCA5A826395121157ull, c2), lo1 = 0xCA5A826395121157ull * c2;
        unsigned long long n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    }
    switch (index & 3ull) {
        case 0: return c0;
        case 1: return c1;
        case 2: return c2;
        default: return c3;
    }
}

// float64 in [0, 1) from the top 53 bits (exact).
__device__ __forceinline__ double tg_u53(unsigned long long w) {
    return (double)(w >> 11) * 1.1102230246251565e-16;
}

// float32 in [0, 1): value i reads half i % 2 (low half first) of word i / 2.
__device__ __forceinline__ float tg_u24(unsigned long long k0, unsigned long long k1,
                                        unsigned long long draw, unsigned long long i) {
    unsigned long long w = tg_philox_word(k0, k1, draw, 0ull, i >> 1);
    unsigned long long half = (i & 1ull) ? (w >> 32) : (w & 0xFFFFFFFFull);
    return (float)(half >> 8) * 5.9604644775390625e-08f;
}

// Box-Muller as the reference computes it: pair k reads words 2k and 2k + 1; the
// cosine and sine come from the tangent of the half angle.
__device__ __forceinline__ double tg_standard_normal(unsigned long long k0, unsigned long long k1,
                                                     unsigned long long draw, unsigned long long i) {
    unsigned long long pair = i >> 1;
    double a = tg_u53(tg_philox_word(k0, k1, draw, 0ull, 2ull * pair));
    double b = tg_u53(tg_philox_word(k0, k1, draw, 0ull, 2ull * pair + 1ull));
    double r = sqrt((log(1.0 - a)) * -2.0);
    double s = tan(b * 3.141592653589793);
    double c = s * s;
    double g = r / (c + 1.0);
    return (i & 1ull) ? (s * 2.0) * g : (1.0 - c) * g;
}
