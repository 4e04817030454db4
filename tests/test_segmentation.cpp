// Tests of segmentation.hpp: label maps 0..K-1, and user label maps with any ids.
#include "support.hpp"

TEST_CASE("user label maps with gaps and arbitrary ids are relabelled 0..K-1 in order of appearance") {
    const int w = 20, h = 10;
    std::vector<long> ids(std::size_t(w * h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) ids[std::size_t(y * w + x)] = x < 5 ? 1000 : (x < 12 ? -7 : 42);
    const auto seg = pixlime::segmentation::from_labels(w, h, ids);
    CHECK(seg.count() == 3);
    CHECK(seg.label(0, 0) == 0);
    CHECK(seg.label(6, 3) == 1);
    CHECK(seg.label(19, 9) == 2);
    CHECK(seg.sizes() == std::vector<std::int64_t>{50, 70, 80});
    // Two maps that partition the image alike give the same segmentation.
    for (auto& v : ids) v = v * 3 + 1;
    CHECK(pixlime::segmentation::from_labels(w, h, ids) == seg);
    // Extreme ids.
    const std::vector<std::int64_t> wide{std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), 0, 0};
    CHECK(pixlime::segmentation::from_labels(2, 2, wide).count() == 3);
}

TEST_CASE("a segmentation's labels must be 0..K-1 with every value used") {
    CHECK(pixlime::segmentation(2, 2, {0, 1, 2, 1}).count() == 3);
    auto e = test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation(2, 2, {0, 1, 3, 3}); });
    CHECK(test::contains(e.value(), "without 2"));
    e = test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation(2, 2, {0, -1, 1, 1}); });
    CHECK(e.value() == "-1");
    e = test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation(2, 2, {0, 7, 1, 1}); });
    CHECK(e.value() == "7");
    e = test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation::from_labels(4, 4, std::vector<int>(15, 0)); });
    CHECK(e.parameter() == "segmentation labels size");
    CHECK(e.value() == "15");
    e = test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation::from_labels<int>(2, 2, nullptr, 4); });
    CHECK(e.parameter() == "segmentation::from_labels labels");
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::segmentation(0, 2, {}); }).parameter() == "segmentation width");
}
