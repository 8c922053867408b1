// Stand-ins for CUDA's built-ins, so that kernel bodies written for NVRTC compile
// with the host C++ compiler (g++) and run on the CPU in tests.  Only what the
// generated kernels use is here: qualifiers, the half type CuPy calls float16,
// the float overloads of the math functions CUDA declares in the global
// namespace, and the integer intrinsics of the Philox kernel.
#pragma once
#include <cmath>
#include <cstdint>

#define __device__
#define __host__
#define __global__
#define __forceinline__ inline

typedef _Float16 float16;

// CUDA declares float and double overloads of the math functions globally;
// <cmath> puts the float ones in std, so bring them out.
using std::abs; using std::fabs; using std::sqrt; using std::exp; using std::exp2;
using std::expm1; using std::log; using std::log2; using std::log10; using std::log1p;
using std::sin; using std::cos; using std::tan; using std::asin; using std::acos;
using std::atan; using std::atan2; using std::sinh; using std::cosh; using std::tanh;
using std::asinh; using std::acosh; using std::atanh; using std::erf; using std::erfc;
using std::floor; using std::ceil; using std::trunc; using std::rint; using std::round;
using std::fmod; using std::copysign; using std::pow; using std::isnan; using std::isinf;
using std::lgamma; using std::tgamma; using std::signbit;

// CUDA's modified Bessel functions; the C++17 ones are defined for x >= 0 (I0 is
// even, I1 odd).  j0 and j1 come from the C library, as CUDA names them.
inline double cyl_bessel_i0(double x) { return std::cyl_bessel_i(0.0, std::fabs(x)); }
inline double cyl_bessel_i1(double x) {
    return std::copysign(std::cyl_bessel_i(1.0, std::fabs(x)), x);
}
inline float cyl_bessel_i0(float x) { return (float)cyl_bessel_i0((double)x); }
inline float cyl_bessel_i1(float x) { return (float)cyl_bessel_i1((double)x); }
inline float j0(float x) { return (float)::j0((double)x); }
inline float j1(float x) { return (float)::j1((double)x); }

// High 32 / 64 bits of an unsigned product (CUDA integer intrinsics).
inline unsigned int __umulhi(unsigned int a, unsigned int b) {
    return (unsigned int)(((unsigned long long)a * b) >> 32);
}
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
