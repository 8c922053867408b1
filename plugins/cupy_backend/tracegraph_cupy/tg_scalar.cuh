// Scalar helpers for tracegraph's generated elementwise kernels.
//
// Each function gives NumPy's answer where plain C++ gives another one (floor
// division and modulo of negative numbers, division by zero of integers, integer
// powers, NaN-propagating maximum) or where CUDA has no single built-in for the
// op (sigmoid, softplus, erfinv).  The same text is compiled by NVRTC on the GPU
// and by g++ on CPU-only CI (through cuda_host.h), so the tests prove this code.
// Integer wrap-around is computed in unsigned long long, where C++ defines it.

template <typename T> struct tg_is_signed { static const bool value = (T)(-1) < (T)(0); };

// Python's floor division for integers; NumPy gives 0 for a zero divisor and
// wraps MIN // -1 to MIN (C++ would trap on both).
template <typename T> __device__ __forceinline__ T tg_floordiv_int(T a, T b) {
    if (b == 0) return (T)0;
    if (tg_is_signed<T>::value && b == (T)(-1)) return (T)(0ull - (unsigned long long)a);
    T q = (T)(a / b);
    if (tg_is_signed<T>::value && (a % b != 0) && ((a < 0) != (b < 0))) q = (T)(q - 1);
    return q;
}

// The remainder takes the divisor's sign; a zero divisor gives 0 (NumPy).
template <typename T> __device__ __forceinline__ T tg_mod_int(T a, T b) {
    if (b == 0) return (T)0;
    if (tg_is_signed<T>::value && b == (T)(-1)) return (T)0;
    T r = (T)(a % b);
    if (tg_is_signed<T>::value && r != 0 && ((r < 0) != (b < 0))) r = (T)(r + b);
    return r;
}

// Floating floor division and modulo as NumPy's npy_divmod computes them: from
// fmod, the quotient snapped to an integer, signs of zero results kept.
template <typename T> __device__ __forceinline__ T tg_divmod(T a, T b, T *modulus) {
    T mod = fmod(a, b);
    if (!b) {
        *modulus = mod;
        return a / b;
    }
    T div = (a - mod) / b;
    if (mod) {
        if ((b < 0) != (mod < 0)) {
            mod += b;
            div -= (T)1;
        }
    } else {
        mod = copysign((T)0, b);
    }
    T floordiv;
    if (div) {
        floordiv = floor(div);
        if (div - floordiv > (T)0.5) floordiv += (T)1;
    } else {
        floordiv = copysign((T)0, a / b);
    }
    *modulus = mod;
    return floordiv;
}

template <typename T> __device__ __forceinline__ T tg_floordiv(T a, T b) {
    T mod;
    if (!b) return a / b;
    return tg_divmod(a, b, &mod);
}

template <typename T> __device__ __forceinline__ T tg_mod(T a, T b) {
    T mod;
    if (!b) return fmod(a, b);
    tg_divmod(a, b, &mod);
    return mod;
}

// Integer power by squaring, wrapping like NumPy.  NumPy refuses negative
// exponents; a kernel cannot raise, so it gives the truncated true value
// (1 for a base of 1, +-1 for a base of -1, else 0).
template <typename T> __device__ __forceinline__ T tg_ipow(T base, T exponent) {
    if (tg_is_signed<T>::value && exponent < 0) {
        if (base == (T)1) return (T)1;
        if (base == (T)(-1)) return (exponent & 1) ? (T)(-1) : (T)1;
        return (T)0;
    }
    unsigned long long result = 1ull, b = (unsigned long long)base, e = (unsigned long long)exponent;
    while (e) {
        if (e & 1ull) result *= b;
        b *= b;
        e >>= 1;
    }
    return (T)result;
}

// A signed against an unsigned 64-bit integer, exactly: -1, 0 or 1.  NumPy compares
// these exactly; their common type, float64, would round.
__device__ __forceinline__ int tg_cmp_su(long long a, unsigned long long b) {
    if (a < 0) return -1;
    unsigned long long ua = (unsigned long long)a;
    return ua < b ? -1 : (ua > b ? 1 : 0);
}

// NaN-propagating maximum and minimum (NumPy's maximum/minimum, not fmax/fmin).
template <typename T> __device__ __forceinline__ T tg_maximum(T a, T b) {
    return (a >= b || a != a) ? a : b;
}

template <typename T> __device__ __forceinline__ T tg_minimum(T a, T b) {
    return (a <= b || a != a) ? a : b;
}

// numpy.sign: NaN stays NaN, zeros give +0.
template <typename T> __device__ __forceinline__ T tg_sign(T x) {
    if (x > 0) return (T)1;
    if (x < 0) return (T)(-1);
    if (x == 0) return (T)0;
    return x;
}

// scipy.special.expit's formula, 1 / (1 + exp(-x)), in the input's precision: it
// gives 0 where exp(-x) overflows, as scipy does (not the denormal e / (1 + e)).
template <typename T> __device__ __forceinline__ T tg_sigmoid(T x) {
    return (T)1 / ((T)1 + exp(-x));
}

// numpy.logaddexp(0, x).
template <typename T> __device__ __forceinline__ T tg_softplus(T x) {
    if (x == 0) return (T)0.6931471805599453;
    T t = -x;
    if (t > 0) return log1p(exp(x));
    if (t <= 0) return x + log1p(exp(t));
    return t;
}

// log(1 - exp(x)) for x <= 0: each formula on the side of -log 2 where it is accurate.
template <typename T> __device__ __forceinline__ T tg_log1mexp(T x) {
    if (x > (T)(-0.6931471805599453)) return log(-expm1(x));
    return log1p(-exp(x));
}

// The inverse error function: M. Giles' single-precision approximation
// ("Approximating the erfinv function", GPU Computing Gems, 2011) refined by two
// Halley steps in double.  Near +-1 the residual is formed from erfc so it does
// not cancel.
__device__ __forceinline__ double tg_erfinv_guess(double y) {
    double w = -log((1.0 - y) * (1.0 + y)), p;
    if (w < 5.0) {
        w = w - 2.5;
        p = 2.81022636e-08;
        p = 3.43273939e-07 + p * w; p = -3.5233877e-06 + p * w; p = -4.39150654e-06 + p * w;
        p = 0.00021858087 + p * w; p = -0.00125372503 + p * w; p = -0.00417768164 + p * w;
        p = 0.246640727 + p * w; p = 1.50140941 + p * w;
    } else {
        w = sqrt(w) - 3.0;
        p = -0.000200214257;
        p = 0.000100950558 + p * w; p = 0.00134934322 + p * w; p = -0.00367342844 + p * w;
        p = 0.00573950773 + p * w; p = -0.0076224613 + p * w; p = 0.00943887047 + p * w;
        p = 1.00167406 + p * w; p = 2.83297682 + p * w;
    }
    return p * y;
}

__device__ __forceinline__ double tg_erfinv_double(double y) {
    if (y == 0) return y;
    if (!(y > -1.0 && y < 1.0)) {
        // inf and NaN spelled through functions: NVRTC has no <cmath> macros.
        if (y == 1.0) return -log(0.0);
        if (y == -1.0) return log(0.0);
        return y != y ? y : sqrt(-1.0);
    }
    double sign = y < 0 ? -1.0 : 1.0, a = fabs(y);
    double x = tg_erfinv_guess(a);
    for (int step = 0; step < 2; ++step) {
        double f = a <= 0.5 ? erf(x) - a : (1.0 - a) - erfc(x);
        double u = f / (1.1283791670955126 * exp(-x * x));
        x -= u / (1.0 + x * u);
    }
    return sign * x;
}

template <typename T> __device__ __forceinline__ T tg_erfinv(T y) {
    return (T)tg_erfinv_double((double)y);
}

// psi (digamma) and psi' (trigamma), which CUDA's math library lacks, in double: the
// recurrences psi(x) = psi(x+1) - 1/x and psi'(x) = psi'(x+1) + 1/x^2 up to x >= 20,
// then the asymptotic series (the first dropped term is below 1e-17 there), and the
// reflection formulas below 0 on x - rint(x) (exact, so tan and sin keep their
// accuracy for large |x| and next to the poles).  Poles and special values as
// scipy.special gives them.
__device__ __forceinline__ double tg_psi_positive(double x) {
    double acc = 0.0;
    while (x < 20.0) { acc -= 1.0 / x; x += 1.0; }
    double r = 1.0 / (x * x);
    double tail = r * (1.0 / 12 - r * (1.0 / 120 - r * (1.0 / 252 - r * (1.0 / 240 - r * (1.0 / 132)))));
    return acc + log(x) - 0.5 / x - tail;
}

__device__ __forceinline__ double tg_psi_double(double x) {
    if (isnan(x)) return x;
    // inf and NaN spelled through functions, as in tg_erfinv (NVRTC has no <cmath> macros).
    if (x == 0) return signbit(x) ? -log(0.0) : log(0.0);
    if (x < 0) {
        double frac = x - rint(x);   // exact, within [-1/2, 1/2], where pi*frac is accurate
        if (frac == 0 || isinf(x)) return sqrt(-1.0);
        return tg_psi_positive(1.0 - x) - 3.141592653589793 / tan(3.141592653589793 * frac);
    }
    return tg_psi_positive(x);
}

__device__ __forceinline__ double tg_tri_gamma_positive(double x) {
    double acc = 0.0;
    while (x < 20.0) { acc += 1.0 / (x * x); x += 1.0; }
    double r = 1.0 / (x * x);
    double tail = 1.0 / 6 - r * (1.0 / 30 - r * (1.0 / 42 - r * (1.0 / 30 - r * (5.0 / 66))));
    return acc + 1.0 / x + 0.5 * r + tail * r / x;
}

__device__ __forceinline__ double tg_tri_gamma_double(double x) {
    if (x != x) return x;
    if (x <= 0 && x == floor(x)) return -log(0.0);
    if (x < 0) {
        double s = sin(3.141592653589793 * (x - rint(x)));
        return 9.869604401089358 / (s * s) - tg_tri_gamma_positive(1.0 - x);
    }
    return tg_tri_gamma_positive(x);
}

template <typename T> __device__ __forceinline__ T tg_psi(T x) { return (T)tg_psi_double((double)x); }
template <typename T> __device__ __forceinline__ T tg_tri_gamma(T x) {
    return (T)tg_tri_gamma_double((double)x);
}

// The regularized incomplete gamma functions P(a, x) and Q(a, x) = 1 - P, which CUDA
// lacks, in double: the power series of P where it converges fast (x < a + 1), the
// continued fraction of Q (modified Lentz) elsewhere, each scaled by
// x^a e^-x / Gamma(a) computed in logs; the other function as 1 minus it (no
// cancellation: that one is then above about 1/2).  Edges as scipy.special gives them.
__device__ __forceinline__ double tg_gamma_scale(double a, double x) {
    return exp(a * log(x) - x - lgamma(a));
}

__device__ __forceinline__ double tg_gammainc_series(double a, double x) {
    double ap = a, term = 1.0 / a, sum = term;
    for (int n = 0; n < 1000; ++n) {
        ap += 1.0;
        term *= x / ap;
        sum += term;
        if (fabs(term) < fabs(sum) * 1e-17) break;
    }
    return sum * tg_gamma_scale(a, x);
}

__device__ __forceinline__ double tg_gammaincc_fraction(double a, double x) {
    const double tiny = 1e-300;
    double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
    for (int i = 1; i < 1000; ++i) {
        double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (fabs(d) < tiny) d = tiny;
        c = b + an / c;
        if (fabs(c) < tiny) c = tiny;
        d = 1.0 / d;
        double step = d * c;
        h *= step;
        if (fabs(step - 1.0) < 1e-17) break;
    }
    return h * tg_gamma_scale(a, x);
}

__device__ __forceinline__ double tg_gammainc_double(double a, double x, bool upper) {
    if (a != a || x != x || a < 0 || x < 0) return sqrt(-1.0);
    if (a == 0) return x > 0 ? (upper ? 0.0 : 1.0) : sqrt(-1.0);
    if (x == 0) return upper ? 1.0 : 0.0;
    if (isinf(x)) return upper ? 0.0 : 1.0;
    if (x < a + 1.0) {
        double p = tg_gammainc_series(a, x);
        return upper ? 1.0 - p : p;
    }
    double q = tg_gammaincc_fraction(a, x);
    return upper ? q : 1.0 - q;
}

template <typename T> __device__ __forceinline__ T tg_gammainc(T a, T x) {
    return (T)tg_gammainc_double((double)a, (double)x, false);
}
template <typename T> __device__ __forceinline__ T tg_gammaincc(T a, T x) {
    return (T)tg_gammainc_double((double)a, (double)x, true);
}
