// Tests of image.hpp: images, views over user memory, batches, and the limits checked before
// allocating.
#include "support.hpp"

#include <limits>

TEST_CASE("views: over user memory with a stride, const conversion, packed copy") {
    std::vector<float> mem(5 * 8, 0.f);  // 3 pixels of 2 channels used per 8-value row
    for (int y = 0; y < 5; ++y)
        for (int i = 0; i < 6; ++i) mem[std::size_t(y * 8 + i)] = float(y * 10 + i);
    const pixlime::image_view<float> v(mem.data(), 3, 5, 2, 8);
    CHECK(!v.is_packed());
    CHECK(v.at(2, 4, 1) == 45.f);
    const pixlime::image_view<const float> cv = v;
    const pixlime::image<float> copy(cv);
    CHECK(copy.at(2, 4, 1) == 45.f);
    CHECK(copy.view().is_packed());
    v.at(0, 0, 0) = 7.f;
    CHECK(mem[0] == 7.f);
}

TEST_CASE("a batch view indexes NHWC images, or NCHW planes") {
    std::vector<std::uint8_t> mem(3 * 4 * 2 * 3);
    for (std::size_t i = 0; i < mem.size(); ++i) mem[i] = std::uint8_t(i);
    const pixlime::batch_view<const std::uint8_t> b(mem.data(), 3, 4, 2, 3);
    CHECK(b.layout() == pixlime::layout::nhwc);
    CHECK(b.image_size() == 24);
    CHECK(b[2].at(0, 0, 0) == 48);
    CHECK(b[1].at(3, 1, 2) == 24 + (1 * 4 + 3) * 3 + 2);
    const pixlime::batch_view<const std::uint8_t> planar(mem.data(), 3, 4, 2, 3, pixlime::layout::nchw);
    CHECK(planar.plane(1, 2) == mem.data() + 24 + 2 * 8);
    CHECK(planar.image_data(2) == mem.data() + 48);
    CHECK(test::error_of<pixlime::invalid_argument>([&] { (void)planar[0]; }).parameter() == "batch_view layout");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { (void)b.plane(0, 0); }).parameter() == "batch_view layout");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::batch_view<const float>(nullptr, 2, 4, 4, 1); }).parameter() ==
          "batch_view data");
    CHECK(pixlime::batch_view<const float>(nullptr, 0, 4, 4, 1).size() == 0);
}

TEST_CASE("images: zero size, channels out of range, bad views") {
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(0, 10, 3); }).parameter() == "image width");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::image<float>(10, -1, 3); }).value() == "-1");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(4, 4, 0); }).parameter() == "image channels");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(4, 4, pixlime::max_channels + 1); }).value() ==
          "65");
    std::vector<std::uint8_t> buf(100);
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::image_view<std::uint8_t>(buf.data(), 10, 3, 3, 20); })
              .parameter() == "image_view row_stride");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::image_view<std::uint8_t>(nullptr, 10, 3, 3); }).parameter() ==
          "image_view data");
}

TEST_CASE("limits: pixels and bytes are refused before allocating, and can be raised") {
    // 100000 x 100000 would be 30 GB: refused before any allocation.
    auto e = test::error_of<pixlime::size_limit_error>([] { pixlime::image<std::uint8_t>(100000, 100000, 3); });
    CHECK(e.value() == "100000x100000");
    CHECK(test::contains(e.expected(), std::to_string(pixlime::limits{}.max_pixels)));
    // 16384 x 16384 x 64 floats is within the pixel limit but asks for 64 GiB.
    e = test::error_of<pixlime::size_limit_error>([] { pixlime::image<float>(16384, 16384, 64); });
    CHECK(test::contains(e.expected(), "limits.max_image_bytes"));
    // The same image is fine when the limit allows it (a small one here, to stay quick).
    pixlime::limits small;
    small.max_pixels = 100;
    CHECK_THROWS_AS(pixlime::image<std::uint8_t>(11, 10, 1, 0, small), pixlime::size_limit_error);
    CHECK(pixlime::image<std::uint8_t>(10, 10, 1, 0, small).size() == 100);
    pixlime::limits tight_bytes;
    tight_bytes.max_image_bytes = 299;
    CHECK_THROWS_AS(pixlime::image<std::uint8_t>(10, 10, 3, 0, tight_bytes), pixlime::size_limit_error);
    CHECK_THROWS_AS(pixlime::image<float>(10, 10, 1, 0, tight_bytes), pixlime::size_limit_error);  // 400 bytes
    // A view allocates nothing: no limit applies to it.
    std::vector<std::uint8_t> one(1);
    CHECK(pixlime::image_view<const std::uint8_t>(one.data(), 1, 1, 1).pixel_count() == 1);
}

TEST_CASE("images compare by size, channels and values") {
    const auto a = test::noise(5, 4, 3, 1), b = test::noise(5, 4, 3, 1);
    CHECK(a == b);
    auto c = a;
    c.at(4, 3, 2) ^= 1;
    CHECK(a != c);
    CHECK(pixlime::image<std::uint8_t>(5, 4, 1) != pixlime::image<std::uint8_t>(4, 5, 1));
}
