// Tests of segmenter.hpp: any segmentation algorithm as one value of explain_options.
#include "support.hpp"

using pixlime::batch_view;

TEST_CASE("explain_options.segmenter chooses the segmentation: built-in options or any callable") {
    const auto img = test::noise(40, 30, 3, 12);
    auto classify = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); };
    pixlime::explain_options opt;
    opt.num_samples = 20;

    opt.segmenter = pixlime::grid_options{5, 3};
    CHECK(opt.segmenter.name() == "grid");
    auto ex = pixlime::explain(img, classify, opt);
    CHECK(ex.segments() == pixlime::grid(40, 30, 5, 3));

    opt.segmenter = pixlime::slic_options{};
    CHECK(pixlime::explain(img, classify, opt).segments() == pixlime::slic(img));
    // lime's quickshift defaults merge a small noise image into one region: use a photo.
    const auto photo = pixlime::load_image(test::data_dir + "/images/coffee_224.png");
    opt.segmenter = pixlime::quickshift_options{};
    CHECK(pixlime::explain(photo, classify, opt).segments() == pixlime::quickshift(photo));
    opt.segmenter = pixlime::felzenszwalb_options{};
    CHECK(pixlime::explain(photo, classify, opt).segments() == pixlime::felzenszwalb(photo));

    // A callable: two halves.
    int calls = 0;
    opt.segmenter = pixlime::segmenter(
        [&](pixlime::image_view<const std::uint8_t> v) {
            ++calls;
            std::vector<int> ids(std::size_t(v.pixel_count()));
            for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = int(i % std::size_t(v.width())) < v.width() / 2 ? 0 : 1;
            return pixlime::segmentation::from_labels(v.width(), v.height(), ids);
        },
        "halves");
    ex = pixlime::explain(img, classify, opt);
    CHECK(calls == 1);
    CHECK(ex.num_segments() == 2);
    CHECK(opt.segmenter.name() == "halves");

    // That callable has no float overload: a clear error, not a crash.
    const pixlime::image<float> f(40, 30, 3, 0.5f);
    auto classify_f = [](batch_view<const float> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); };
    CHECK_THROWS_AS(pixlime::explain(f, classify_f, opt), pixlime::invalid_argument);
    // A callable returning the wrong size.
    opt.segmenter = [](pixlime::image_view<const std::uint8_t>) { return pixlime::grid(3, 3, 2, 2); };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::explain(img, classify, opt); }).parameter() == "segmenter (custom) result size");
}


TEST_CASE("a segmenter called directly checks its result's size and pixel type") {
    const pixlime::segmenter wrong([](pixlime::image_view<const std::uint8_t>) { return pixlime::grid(3, 3, 2, 2); }, "wrong");
    const auto e = test::error_of<pixlime::invalid_argument>([&] { (void)wrong(test::noise(5, 5, 3, 1)); });
    CHECK(e.parameter() == "segmenter (wrong) result size");
    CHECK(e.value() == "3x3");
    CHECK(pixlime::segmenter(pixlime::quickshift_options{}).name() == "quickshift");
    CHECK(pixlime::segmenter().name() == "slic");
    // Invalid built-in options are the segmenter's own error.
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::segmenter(pixlime::grid_options{0, 1})(test::noise(4, 4, 1, 1)); })
              .parameter() == "grid_options.cells_x");
}

TEST_CASE("segmenter names: parse_segmenter_kind reads back every to_string, and a kind segments as its default options") {
    // Every enumerator, listed here (see test_sampler.cpp's sampling names).
    const std::vector<pixlime::segmenter_kind> every = {pixlime::segmenter_kind::slic, pixlime::segmenter_kind::quickshift,
                                                        pixlime::segmenter_kind::felzenszwalb, pixlime::segmenter_kind::grid};
    CHECK(std::vector<pixlime::segmenter_kind>(pixlime::segmenter_kinds.begin(), pixlime::segmenter_kinds.end()) == every);
    const auto img = test::noise(24, 18, 3, 4, 0, 255);
    const std::vector<pixlime::segmentation> by_options = {pixlime::slic(img), pixlime::quickshift(img), pixlime::felzenszwalb(img),
                                                           pixlime::grid(24, 18, pixlime::grid_options{})};
    for (std::size_t i = 0; i < every.size(); ++i) {
        const pixlime::segmenter_kind kind = every[i];
        CAPTURE(pixlime::to_string(kind));
        CHECK(pixlime::parse_segmenter_kind(pixlime::to_string(kind)) == kind);
        const pixlime::segmenter s = kind;
        CHECK(s.name() == pixlime::to_string(kind));
        CHECK(s(img) == by_options[i]);
    }
    const auto e = test::error_of<pixlime::invalid_argument>([] { (void)pixlime::parse_segmenter_kind("slick", "segmenter"); });
    CHECK(e.parameter() == "segmenter");
    CHECK(e.value() == "slick");
    for (const pixlime::segmenter_kind kind : every) CHECK(e.expected().find("'" + pixlime::to_string(kind) + "'") != std::string::npos);
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::segmenter(pixlime::segmenter_kind(9)); }).parameter() ==
          "segmenter kind");
}
