// Tests of pixlime/detail/planes.hpp: 64-byte aligned buffers (the vector loops rely on it),
// the planar layout of feature_planes, and to_planes' interleaved -> planar copy.
#include "support.hpp"

#include <pixlime/detail/planes.hpp>

#include <cstdint>
#include <vector>

// Inside this file's own namespace (the test build compiles files in batches: nothing here may
// leak into, or collide with, another test file).
namespace pixlime_detail_planes_test {

namespace d = pixlime::detail;

namespace {

bool aligned64(const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 64 == 0; }

}  // namespace

TEST_CASE("planes: the allocator's buffers are 64-byte aligned, whatever their size and type") {
    bool all = true;
    for (std::size_t n = 1; n <= 300; ++n) {
        std::vector<float, d::uninitialized_allocator<float>> f(n);
        std::vector<char, d::uninitialized_allocator<char>> c(n);
        std::vector<double, d::uninitialized_allocator<double>> g;
        for (std::size_t i = 0; i < n; ++i) g.push_back(double(i));  // reallocations
        all = all && aligned64(f.data()) && aligned64(c.data()) && aligned64(g.data());
        const auto copy = f;
        all = all && aligned64(copy.data());
    }
    CHECK(all);
    // Rebound to another type (as containers do), still aligned.
    using rebound = std::allocator_traits<d::uninitialized_allocator<float>>::rebind_alloc<std::int64_t>;
    static_assert(std::is_same_v<rebound, d::uninitialized_allocator<std::int64_t>>);
    rebound a;
    std::int64_t* p = a.allocate(3);
    CHECK(aligned64(p));
    a.deallocate(p, 3);
    // Constructing with a value still writes it (only default construction is left undone).
    std::vector<float, d::uninitialized_allocator<float>> filled(37, 2.5f);
    CHECK(std::count(filled.begin(), filled.end(), 2.5f) == 37);
    filled.resize(40, -1.0f);
    CHECK(filled[39] == -1.0f);
}

TEST_CASE("planes: feature_planes lays plane c at c * width * height, each plane aligned when its size allows") {
    for (int w : {1, 3, 16, 17}) {
        for (int h : {1, 2, 5}) {
            for (int c : {1, 3, 4}) {
                d::feature_planes p(w, h, c);
                CAPTURE(w);
                CAPTURE(h);
                CAPTURE(c);
                CHECK(p.plane_size() == std::size_t(w) * std::size_t(h));
                CHECK(p.values.size() == p.plane_size() * std::size_t(c));
                CHECK(aligned64(p.values.data()));
                for (int k = 0; k < c; ++k) {
                    CHECK(p.plane(k) == p.values.data() + std::size_t(k) * p.plane_size());
                    CHECK(std::as_const(p).plane(k) == p.plane(k));
                }
            }
        }
    }
    d::feature_planes none;
    CHECK(none.values.empty());
    CHECK(none.plane_size() == 0);
}

TEST_CASE("planes: to_planes copies the first channels of an interleaved image, converted, row by row") {
    // A crop (strided view) of a 4-channel image; the first 2 channels become planes.
    pixlime::image<std::uint8_t> img(9, 6, 4);
    for (int y = 0; y < 6; ++y)
        for (int x = 0; x < 9; ++x)
            for (int c = 0; c < 4; ++c) img.at(x, y, c) = std::uint8_t(100 * c + 10 * y + x);
    const pixlime::image_view<const std::uint8_t> crop(img.data() + (1 * 9 + 2) * 4, 5, 4, 4, 9 * 4);
    const auto p = d::to_planes(crop, 2, [](std::uint8_t v) { return float(v) * 0.5f + 1.0f; });
    REQUIRE(p.width == 5);
    REQUIRE(p.height == 4);
    REQUIRE(p.channels == 2);
    bool same = true;
    for (int c = 0; c < 2; ++c)
        for (int y = 0; y < 4; ++y)
            for (int x = 0; x < 5; ++x)
                same = same && p.plane(c)[y * 5 + x] == float(100 * c + 10 * (y + 1) + (x + 2)) * 0.5f + 1.0f;
    CHECK(same);
    // Every channel, of a float image.
    pixlime::image<float> f(3, 2, 3);
    for (std::size_t i = 0; i < f.size(); ++i) f.data()[i] = float(i);
    const auto q = d::to_planes(std::as_const(f).view(), 3, [](float v) { return -v; });
    for (int c = 0; c < 3; ++c)
        for (int i = 0; i < 6; ++i) CHECK(q.plane(c)[i] == -float(i * 3 + c));
}

}  // namespace pixlime_detail_planes_test
