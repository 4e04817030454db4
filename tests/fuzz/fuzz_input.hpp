#pragma once
// Turns a fuzzer's bytes into the values of one test case: integers in a range, doubles drawn
// from the values that break numeric code (NaN, infinities, 0, denormals, huge) or taken raw.
// Once the bytes run out every read returns its smallest choice, so any input is a valid case.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

namespace fuzz {

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    /// An integer in [lo, hi].
    int in(int lo, int hi) {
        const std::uint32_t span = std::uint32_t(std::int64_t(hi) - lo) + 1u;
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v = (v << 8) | byte();
        return int(std::int64_t(lo) + std::int64_t(span ? v % span : v));
    }
    bool flag() { return byte() & 1u; }
    /// A double: one of the edge values, a small ordinary value, or 8 raw bytes.
    double real() {
        static const double edges[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, -1e-300, 1e300, -1e300, 1e9, 3e8,
                                       std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::denorm_min(),
                                       std::numeric_limits<double>::max(), 255.0, 256.0, 1000.0, 1000.1, 1e-200, 0.25};
        const std::uint8_t kind = byte();
        if (kind < 100) return edges[kind % (sizeof edges / sizeof edges[0])];
        if (kind < 200) return double(in(-1000, 1000)) / 8.0;
        double d;
        std::uint8_t b[8];
        for (auto& x : b) x = byte();
        std::memcpy(&d, b, sizeof d);
        return d;
    }
    /// real() as a float (out-of-range values become infinities, as converting them is undefined).
    float real_float() {
        const double d = real();
        if (d > double(std::numeric_limits<float>::max())) return std::numeric_limits<float>::infinity();
        if (d < -double(std::numeric_limits<float>::max())) return -std::numeric_limits<float>::infinity();
        return float(d);  // NaN converts to NaN
    }
    bool empty() const { return pos_ >= size_; }

private:
    const std::uint8_t* data_;
    std::size_t size_, pos_ = 0;
};

}  // namespace fuzz
