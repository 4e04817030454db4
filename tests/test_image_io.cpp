// Images, views and PNG files.
#include "support.hpp"

#include <doctest/doctest.h>

#include <cstdio>

TEST_CASE("PNG round trip keeps gray, gray+alpha, RGB and RGBA as stored") {
    for (int c = 1; c <= 4; ++c) {
        const auto img = test::noise(17, 9, c, unsigned(c), 0, 255);
        const std::string path = "pixlime_test_roundtrip_" + std::to_string(c) + ".png";
        pixlime::save_png(path, img);
        const auto back = pixlime::load_image(path);
        CHECK(back == img);
        // Forced channel counts: gray to RGB repeats the value, RGB to gray is stb's luma.
        const auto rgb = pixlime::load_image(path, 3);
        CHECK(rgb.channels() == 3);
        if (c == 1) CHECK((rgb.at(5, 5, 0) == img.at(5, 5) && rgb.at(5, 5, 2) == img.at(5, 5)));
        std::remove(path.c_str());
    }
}

TEST_CASE("the bundled sample images load as 224x224 RGB") {
    const auto img = pixlime::load_image(test::data_dir + "/images/chelsea_224.png");
    CHECK(img.width() == 224);
    CHECK(img.height() == 224);
    CHECK(img.channels() == 3);
    CHECK(pixlime::load_image(test::data_dir + "/images/chelsea_224.png", 4).channels() == 4);
}

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

TEST_CASE("a batch view is contiguous NHWC and indexes images") {
    std::vector<std::uint8_t> mem(3 * 4 * 2 * 3);
    for (std::size_t i = 0; i < mem.size(); ++i) mem[i] = std::uint8_t(i);
    const pixlime::batch_view<const std::uint8_t> b(mem.data(), 3, 4, 2, 3);
    CHECK(b.image_size() == 24);
    CHECK(b[2].at(0, 0, 0) == 48);
    CHECK(b[1].at(3, 1, 2) == 24 + (1 * 4 + 3) * 3 + 2);
}

TEST_CASE("version") {
    CHECK(std::string(pixlime::version) ==
          std::to_string(PIXLIME_VERSION_MAJOR) + "." + std::to_string(PIXLIME_VERSION_MINOR) + "." + std::to_string(PIXLIME_VERSION_PATCH));
}
