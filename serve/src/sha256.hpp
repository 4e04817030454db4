#pragma once
/// \file sha256.hpp
/// SHA-256 (FIPS 180-4), written from the standard: the service names images by it (stored
/// once per content) and keeps only the SHA-256 of each token's secret.

#include <cstddef>
#include <cstdint>
#include <string>

namespace pixlime::serve {

/// The SHA-256 of `size` bytes at `data` as 64 lowercase hex digits.
std::string sha256_hex(const void* data, std::size_t size);
inline std::string sha256_hex(const std::string& s) { return sha256_hex(s.data(), s.size()); }

/// Whether two strings are equal, in a time that depends only on their lengths (token checks).
bool equal_constant_time(const std::string& a, const std::string& b);

/// `bytes` random bytes from the system's entropy source (/dev/urandom) as hex digits.
std::string random_hex(std::size_t bytes);

}  // namespace pixlime::serve
