// Tests of perturb.hpp: the built-in fills by their definitions, the fill stage, and perturbed
// images against a pixel-by-pixel construction.
#include "support.hpp"

#include <limits>
#include <type_traits>
#include <utility>

namespace {

// Irregular segments over 37 x 23: diagonal bands whose runs span row ends.
pixlime::segmentation irregular() {
    std::vector<int> ids(37 * 23);
    for (int i = 0; i < 37 * 23; ++i) ids[std::size_t(i)] = ((i % 37) / 6 + (i / 37) / 4 + (i % 37 + i / 37) / 9) % 11;
    return pixlime::segmentation::from_labels(37, 23, ids);
}

}  // namespace

TEST_CASE("perturbed images equal a pixel-by-pixel construction for every fill") {
    const auto img = test::noise(37, 23, 3, 5, 0, 255);
    const auto seg = irregular();
    for (const pixlime::fill& stage : {pixlime::fill(pixlime::segment_mean_fill{}), pixlime::fill(pixlime::constant_fill{{10, 20, 30}}),
                                       pixlime::fill(pixlime::blur_fill{}),
                                       pixlime::fill(pixlime::image_fill{pixlime::image<float>(37, 23, 3, 77.6f)})}) {
        CAPTURE(stage.name());
        const auto fill = stage(img.view(), seg);
        const pixlime::perturber<std::uint8_t> p(img.view(), fill.view(), seg);
        const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, 20, seg.count(), 3);
        std::vector<std::uint8_t> out(p.image_size());
        for (int i = 0; i < 20; ++i) {
            p.render(masks.row(i).data(), out.data());
            bool same = true;
            for (int y = 0; y < 23; ++y)
                for (int x = 0; x < 37; ++x)
                    for (int c = 0; c < 3; ++c) {
                        const bool kept = masks(i, seg.label(x, y)) != 0;
                        const auto want = kept ? img.at(x, y, c) : fill.at(x, y, c);
                        same = same && out[std::size_t((y * 37 + x) * 3 + c)] == want;
                    }
            CHECK(same);
        }
    }
}

TEST_CASE("the built-in fills, by their definitions") {
    const auto img = test::noise(37, 23, 3, 5, 0, 255);
    const auto seg = irregular();
    const auto constant = pixlime::constant_fill{{10, 20, 30}}(img.view());
    CHECK((constant.at(3, 4, 0) == 10 && constant.at(30, 20, 2) == 30));
    CHECK(pixlime::constant_fill{}(img.view()).at(5, 5, 1) == 0);  // lime's hide_color=0
    CHECK(pixlime::constant_fill{{9}}(img.view()).at(5, 5, 2) == 9);
    CHECK(pixlime::image_fill{pixlime::image<float>(37, 23, 3, 77.6f)}(img.view()).at(5, 5, 1) == 78);  // rounded
    // Segment 0's channel-0 mean, truncated toward zero like numpy's uint8 assignment.
    const auto mean = pixlime::segment_mean_fill{}(img.view(), seg);
    double sum = 0;
    int n = 0;
    for (int y = 0; y < 23; ++y)
        for (int x = 0; x < 37; ++x)
            if (seg.label(x, y) == 0) sum += img.at(x, y, 0), ++n;
    CHECK(mean.at(0, 0, 0) == std::uint8_t(sum / n));
    // The blur is smoother than the noise it came from, and keeps a constant image constant.
    auto roughness = [](const pixlime::image<std::uint8_t>& im) {
        double r = 0;
        for (int y = 0; y < im.height(); ++y)
            for (int x = 1; x < im.width(); ++x) r += std::abs(int(im.at(x, y, 0)) - int(im.at(x - 1, y, 0)));
        return r;
    };
    CHECK(roughness(pixlime::blur_fill{}(img.view())) < 0.3 * roughness(img));
    const pixlime::image<float> flat(20, 10, 2, 0.25f);
    const auto blurred = pixlime::blur_fill{3.0}(flat.view());
    for (std::size_t i = 0; i < blurred.size(); ++i) CHECK(blurred.data()[i] == doctest::Approx(0.25f));
}

TEST_CASE("fills name their own fields when given bad values") {
    const auto img = test::noise(8, 8, 3, 5);
    const pixlime::image<float> fimg(8, 8, 3, 0.5f);
    auto param = [](auto&& f) { return test::error_of<pixlime::invalid_argument>(f).parameter(); };
    CHECK(param([&] { pixlime::constant_fill{{1, 2}}(img.view()); }) == "constant_fill.color size");
    CHECK(param([&] { pixlime::constant_fill{{300}}(img.view()); }) == "constant_fill.color[0]");
    CHECK(param([&] { pixlime::constant_fill{{-1, 0, 0}}(img.view()); }) == "constant_fill.color[0]");
    // 1e300 on a float image would be Inf pixels handed to the classifier.
    CHECK(param([&] { pixlime::constant_fill{{1e300}}(fimg.view()); }) == "constant_fill.color[0]");
    CHECK(param([&] { pixlime::constant_fill{{std::numeric_limits<double>::quiet_NaN()}}(fimg.view()); }) == "constant_fill.color[0]");
    CHECK(param([&] { pixlime::blur_fill{-2}(img.view()); }) == "blur_fill.sigma");
    CHECK(param([&] { pixlime::blur_fill{1e9}(img.view()); }) == "blur_fill.sigma");
    CHECK(param([&] { pixlime::image_fill{}(img.view()); }) == "image_fill.replacement size");
    pixlime::image<float> with_nan(8, 8, 3, 1.0f);
    with_nan.at(2, 5, 1) = std::numeric_limits<float>::quiet_NaN();
    CHECK(param([&] { pixlime::image_fill{with_nan}(fimg.view()); }) == "image_fill.replacement pixel (2, 5)");
    CHECK(param([&] { pixlime::image_fill{with_nan}(img.view()); }) == "image_fill.replacement pixel (2, 5)");
    pixlime::image<float> too_bright(8, 8, 3, 256.0f);
    CHECK(param([&] { pixlime::image_fill{too_bright}(img.view()); }) == "image_fill.replacement pixel (0, 0)");
    // A blur as small as 1e-300 is no blur (it used to divide 0 by 0).
    CHECK(pixlime::blur_fill{1e-300}(img.view()) == img);
}

TEST_CASE("the fill stage: built-ins by name, any callable, results checked") {
    const auto img = test::noise(8, 6, 1, 2);
    const pixlime::image<float> fimg(8, 6, 1);
    const auto seg = test::grid(8, 6, 2, 2);
    CHECK(pixlime::fill().name() == "segment_mean");
    CHECK(pixlime::fill(pixlime::blur_fill{}).name() == "blur");
    const pixlime::fill wrong([](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) {
        return pixlime::image<std::uint8_t>(3, 3, 1);
    }, "wrong");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { wrong(img.view(), seg); }).parameter() == "fill (wrong) result size");
    // A callable for uint8 only, asked for a float image.
    CHECK(test::error_of<pixlime::invalid_argument>([&] { wrong(std::as_const(fimg).view(), seg); }).parameter() ==
          "fill (wrong)");
    const pixlime::fill nan_fill([](pixlime::image_view<const float> v, const pixlime::segmentation&) {
        return pixlime::image<float>(v.width(), v.height(), v.channels(), std::numeric_limits<float>::infinity());
    });
    CHECK(test::error_of<pixlime::invalid_argument>([&] { nan_fill(std::as_const(fimg).view(), seg); }).parameter() ==
          "fill (custom) result value");
}

TEST_CASE("a perturber renders NCHW planes and chosen channels like the NHWC image") {
    const auto img = test::noise(11, 7, 3, 9, 0, 255);
    const auto seg = test::grid(11, 7, 3, 2);
    const auto fill = pixlime::constant_fill{{1, 2, 3}}(img.view());
    pixlime::model_input planar;
    planar.layout = pixlime::layout::nchw;
    planar.channels = {2, 0};
    const pixlime::perturber<std::uint8_t> nhwc(img.view(), fill.view(), seg), nchw(img.view(), fill.view(), seg, planar);
    CHECK(nchw.channels() == 2);
    CHECK(nchw.layout() == pixlime::layout::nchw);
    const auto masks = pixlime::sample_masks(pixlime::sampling::bernoulli, 6, seg.count(), 2);
    std::vector<std::uint8_t> a(nhwc.image_size()), b(nchw.image_size());
    for (int i = 0; i < 6; ++i) {
        nhwc.render(masks.row(i).data(), a.data());
        nchw.render(masks.row(i).data(), b.data());
        bool same = true;
        for (int c = 0; c < 2; ++c)
            for (int p = 0; p < 77; ++p) same = same && b[std::size_t(c * 77 + p)] == a[std::size_t(p * 3 + planar.channels[std::size_t(c)])];
        CHECK(same);
    }
    CHECK(test::error_of<pixlime::invalid_argument>([&] {
              const pixlime::image<std::uint8_t> small(3, 3, 3);
              pixlime::perturber<std::uint8_t>(img.view(), small.view(), seg);
          }).parameter() == "perturber fill size");
}

TEST_CASE("fill names: parse_fill_kind reads back every to_string ('black' is 'constant'), a kind fills as its default") {
    // Every enumerator, listed here (see test_sampler.cpp's sampling names).
    const std::vector<pixlime::fill_kind> every = {pixlime::fill_kind::segment_mean, pixlime::fill_kind::constant,
                                                   pixlime::fill_kind::blur};
    CHECK(std::vector<pixlime::fill_kind>(pixlime::fill_kinds.begin(), pixlime::fill_kinds.end()) == every);
    const auto img = test::noise(12, 9, 3, 6, 0, 255);
    const auto seg = test::grid(12, 9, 3, 3);
    const std::vector<pixlime::image<std::uint8_t>> by_struct = {pixlime::segment_mean_fill{}(img.view(), seg),
                                                                 pixlime::constant_fill{}(img.view()), pixlime::blur_fill{}(img.view())};
    for (std::size_t i = 0; i < every.size(); ++i) {
        const pixlime::fill_kind kind = every[i];
        CAPTURE(pixlime::to_string(kind));
        CHECK(pixlime::parse_fill_kind(pixlime::to_string(kind)) == kind);
        const pixlime::fill f = kind;
        CHECK(f.name() == pixlime::to_string(kind));
        const auto filled = f(img.view(), seg);
        CHECK(std::equal(filled.data(), filled.data() + filled.size(), by_struct[i].data(), by_struct[i].data() + by_struct[i].size()));
    }
    CHECK(pixlime::parse_fill_kind("black") == pixlime::fill_kind::constant);
    const auto e = test::error_of<pixlime::invalid_argument>([] { (void)pixlime::parse_fill_kind("mean", "fill"); });
    CHECK(e.parameter() == "fill");
    CHECK(e.value() == "mean");
    for (const char* name : {"'segment_mean'", "'constant'", "'blur'", "'black'"}) CHECK(e.expected().find(name) != std::string::npos);
    CHECK(test::error_of<pixlime::invalid_argument>([] { (void)pixlime::fill(pixlime::fill_kind(7)); }).parameter() == "fill kind");
    // builtin<>() shows what a stage holds.
    const pixlime::fill blur = pixlime::blur_fill{2.5};
    REQUIRE(blur.builtin<pixlime::blur_fill>() != nullptr);
    CHECK(blur.builtin<pixlime::blur_fill>()->sigma == 2.5);
    CHECK(blur.builtin<pixlime::constant_fill>() == nullptr);
}

// The 0.2 name, kept for one release: it must still compile (warning silenced here, on purpose)
// and be the same type.
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("the deprecated pixlime::filler is pixlime::fill") {
    static_assert(std::is_same_v<pixlime::filler, pixlime::fill>);
    const pixlime::filler old = pixlime::constant_fill{{3}};
    CHECK(old.name() == "constant");
}
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
