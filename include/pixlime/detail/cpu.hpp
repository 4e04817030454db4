#pragma once
/// \file pixlime/detail/cpu.hpp
/// Everything compiler- or CPU-specific, in one place: which compiler extensions may be used,
/// the instruction sets the hot loops are compiled for and chosen from at run time, and the
/// small builtins (prefetch, forced inlining) with their portable fallbacks. Implementation
/// detail of pixlime (namespace pixlime::detail): may change without notice.
///
/// PIXLIME_DETAIL_GNU is 1 when GCC/Clang extensions (builtins, attributes, target-specific
/// functions) may be used, else 0. Define it to 0 to build pixlime with standard C++ only (the
/// tests do, with the extensions poisoned, to prove that every use has a fallback).
/// PIXLIME_DETAIL_X86 is 1 when the x86-64 SIMD loops (AVX2, AVX-512 F) are compiled in, to be
/// chosen at run time from what the CPU has.

#include <algorithm>
#include <atomic>

#if !defined(PIXLIME_DETAIL_GNU)
#if defined(__GNUC__) || defined(__clang__)
#define PIXLIME_DETAIL_GNU 1
#else
#define PIXLIME_DETAIL_GNU 0
#endif
#endif

#if !defined(PIXLIME_DETAIL_X86)
#if PIXLIME_DETAIL_GNU && defined(__x86_64__)
#define PIXLIME_DETAIL_X86 1
#else
#define PIXLIME_DETAIL_X86 0
#endif
#endif
#if PIXLIME_DETAIL_X86 && !PIXLIME_DETAIL_GNU
#error "pixlime: PIXLIME_DETAIL_X86 needs PIXLIME_DETAIL_GNU (the SIMD loops use GCC/Clang target attributes)"
#endif
#if PIXLIME_DETAIL_X86
#include <immintrin.h>
#endif

#if PIXLIME_DETAIL_GNU
#define PIXLIME_DETAIL_ALWAYS_INLINE __attribute__((always_inline))
#else
#define PIXLIME_DETAIL_ALWAYS_INLINE
#endif

namespace pixlime {
namespace detail {

/// Asks for the cache line at p to be brought in for reading (a no-op without GCC/Clang).
inline void prefetch(const void* p) {
#if PIXLIME_DETAIL_GNU
    __builtin_prefetch(p, 0, 2);
#else
    (void)p;
#endif
}

/// Instruction sets of the hot loops, in increasing order. Every one gives the same results.
enum class isa { portable = 0, avx2 = 1, avx512 = 2 };

/// The best instruction set the CPU has (AVX-512 F, AVX2, or none), checked once.
inline isa cpu_isa() {
#if PIXLIME_DETAIL_X86
    static const isa best = __builtin_cpu_supports("avx512f") ? isa::avx512
                            : __builtin_cpu_supports("avx2")  ? isa::avx2
                                                              : isa::portable;
    return best;
#else
    return isa::portable;
#endif
}

/// Test hook: the most advanced instruction set the loops may use (default: whatever the CPU
/// has). Not for changing while pixlime functions run.
inline isa isa_limit = isa::avx512;

/// Test hook: bit (1 << int(isa)) is set whenever a loop runs with that instruction set, so a
/// test can check which path actually ran.
inline std::atomic<unsigned> isa_paths_run{0};

/// The instruction set to use now: cpu_isa(), at most isa_limit.
inline isa use_isa() { return std::min(cpu_isa(), isa_limit); }

/// Records (in isa_paths_run) that a loop ran with `which`, and returns it.
inline isa record_isa(isa which) {
    isa_paths_run.fetch_or(1u << unsigned(which), std::memory_order_relaxed);
    return which;
}

}  // namespace detail
}  // namespace pixlime
