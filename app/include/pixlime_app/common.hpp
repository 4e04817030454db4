#pragma once
/// \file common.hpp
/// Small things every app needs the same way: an exception's full message, the time stamp of
/// records and logs, the rounding of numbers in logs, and the one atomic file write.

#include <pixlime/io.hpp>

#include <chrono>
#include <cstdint>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <string>

namespace pixlime::app {

/// An exception's message followed by those of the exceptions nested in it, ": "-separated.
inline std::string describe(const std::exception& e) {
    std::string s = e.what();
    try {
        std::rethrow_if_nested(e);
    } catch (const std::exception& inner) {
        s += ": " + describe(inner);
    } catch (...) {
        s += ": unknown exception";
    }
    return s;
}

/// Unix milliseconds as UTC "2024-05-01T12:34:56.789Z" (the `time` of records and transactions).
inline std::string utc_time(std::int64_t unix_ms) {
    const std::time_t t = std::time_t(unix_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, int(unix_ms % 1000));
    return buf;
}

/// UTC now as utc_time writes it.
inline std::string utc_now() {
    return utc_time(std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

/// `v` to 6 significant digits: keeps logs and records short and readable.
inline double round6(double v) {
    if (v == 0 || !std::isfinite(v)) return v;
    const double scale = std::pow(10.0, 6 - int(std::ceil(std::log10(std::abs(v)))));
    return std::round(v * scale) / scale;
}

/// Writes `text` to `path` atomically with pixlime::write_file (a unique temporary file in the
/// same folder, fsync, rename; the temporary file removed on every failure path): readers and
/// a crash see the old file or the new one whole. Throws pixlime::io_error.
inline void write_atomic(const std::filesystem::path& path, const std::string& text) { pixlime::write_file(path.string(), text); }

}  // namespace pixlime::app
