// Forced in front of tests/strict/instantiate_all.cpp (-include) together with
// -DPIXLIME_DETAIL_GNU=0: the standard library, Eigen and stb are read first, then the GCC/Clang
// extensions pixlime may use only behind PIXLIME_DETAIL_GNU are poisoned, so that any use of
// them left unguarded in pixlime's headers is a compile error. This is what "builds with any
// C++17 compiler" can be checked as on a machine that has only GCC and Clang.
#pragma once

#include <algorithm>
#include <any>
#include <array>
#include <atomic>
#include <bitset>
#include <cassert>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <climits>
#include <cmath>
#include <complex>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <initializer_list>
#include <iomanip>
#include <iostream>
#include <istream>
#include <iterator>
#include <limits>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <numeric>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

#if __has_include(<sys/stat.h>)
#include <fcntl.h>     // (io.hpp's atomic write: open, fsync)
#include <sys/stat.h>  // the system's own headers use the extensions freely
#include <unistd.h>
#endif

#include <Eigen/Core>
#include <Eigen/Dense>

#if __has_include(<stb_image.h>)
#include <stb_image.h>
#include <stb_image_write.h>
#else
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#endif

#if !defined(PIXLIME_DETAIL_GNU) || PIXLIME_DETAIL_GNU != 0
#error "compile with -DPIXLIME_DETAIL_GNU=0"
#endif

#pragma GCC poison __attribute__ __builtin_prefetch __builtin_cpu_supports __builtin_ctz __builtin_ctzll __builtin_clz
#pragma GCC poison __builtin_popcount __builtin_popcountll __builtin_expect __builtin_assume_aligned __builtin_unreachable
#pragma GCC poison __builtin_memcpy __builtin_trap __restrict__ __restrict
