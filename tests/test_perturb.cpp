// Tests of perturb.hpp: the built-in fills by their definitions, the fill stage, and perturbed
// images against a pixel-by-pixel construction.
#include "support.hpp"

#include <limits>
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
    for (const pixlime::filler& hide : {pixlime::filler(pixlime::segment_mean_fill{}), pixlime::filler(pixlime::constant_fill{{10, 20, 30}}),
                                        pixlime::filler(pixlime::blur_fill{}),
                                        pixlime::filler(pixlime::image_fill{pixlime::image<float>(37, 23, 3, 77.6f)})}) {
        CAPTURE(hide.name());
        const auto fill = hide(img.view(), seg);
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
    CHECK(pixlime::filler().name() == "segment_mean");
    CHECK(pixlime::filler(pixlime::blur_fill{}).name() == "blur");
    const pixlime::filler wrong([](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) {
        return pixlime::image<std::uint8_t>(3, 3, 1);
    }, "wrong");
    CHECK(test::error_of<pixlime::invalid_argument>([&] { wrong(img.view(), seg); }).parameter() == "filler (wrong) result size");
    // A callable for uint8 only, asked for a float image.
    CHECK(test::error_of<pixlime::invalid_argument>([&] { wrong(std::as_const(fimg).view(), seg); }).parameter() ==
          "filler (wrong)");
    const pixlime::filler nan_fill([](pixlime::image_view<const float> v, const pixlime::segmentation&) {
        return pixlime::image<float>(v.width(), v.height(), v.channels(), std::numeric_limits<float>::infinity());
    });
    CHECK(test::error_of<pixlime::invalid_argument>([&] { nan_fill(std::as_const(fimg).view(), seg); }).parameter() ==
          "filler (custom) result value");
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
