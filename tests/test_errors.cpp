// Every public entry point rejects bad input with a pixlime::error subclass whose message names
// the parameter, the value and what was expected.
#include "support.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <limits>
#include <string>

using pixlime::batch_view;

namespace {

// Runs f, requires it to throw E, and returns the message.
template <class E, class F>
std::string message_of(F&& f) {
    try {
        f();
    } catch (const E& e) {
        const std::string m = e.what();
        CHECK(m.rfind("pixlime: ", 0) == 0);  // the stable prefix
        return m;
    } catch (const std::exception& e) {
        FAIL("wrong exception type: " << e.what());
    }
    FAIL("no exception");
    return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

auto two_classes = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f); };

}  // namespace

TEST_CASE("files: missing, corrupt, unwritable, bad channel request") {
    auto m = message_of<pixlime::io_error>([] { pixlime::load_image("/no/such/file.png"); });
    CHECK(contains(m, "/no/such/file.png"));
    CHECK(contains(m, "No such file"));

    const std::string corrupt = "pixlime_test_corrupt.png";
    std::ofstream(corrupt) << "this is not a PNG";
    m = message_of<pixlime::io_error>([&] { pixlime::load_image(corrupt); });
    CHECK(contains(m, corrupt));
    // A truncated real PNG: header fine, data cut.
    {
        std::ifstream in(test::data_dir + "/images/coffee_224.png", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), {});
        std::ofstream(corrupt, std::ios::binary) << bytes.substr(0, 2000);
    }
    m = message_of<pixlime::io_error>([&] { pixlime::load_image(corrupt); });
    CHECK(contains(m, "corrupt"));
    std::remove(corrupt.c_str());

    m = message_of<pixlime::invalid_argument>([] { pixlime::load_image("x.png", 5); });
    CHECK(contains(m, "channels = 5"));
    m = message_of<pixlime::io_error>([] { pixlime::save_png("/no/such/dir/out.png", test::noise(4, 4, 3, 1)); });
    CHECK(contains(m, "/no/such/dir/out.png"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::save_png("x.png", pixlime::image<std::uint8_t>(2, 2, 5)); });
    CHECK(contains(m, "channels = 5"));
}

TEST_CASE("images: zero size, too many pixels (before allocating), channels out of range, bad views") {
    auto m = message_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(0, 10, 3); });
    CHECK(contains(m, "width = 0"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::image<float>(10, -1, 3); });
    CHECK(contains(m, "height = -1"));
    // 100000 x 100000 would be 30 GB: refused before any allocation.
    m = message_of<pixlime::size_limit_error>([] { pixlime::image<std::uint8_t>(100000, 100000, 3); });
    CHECK(contains(m, "100000x100000"));
    CHECK(contains(m, std::to_string(pixlime::max_image_pixels)));
    m = message_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(4, 4, 0); });
    CHECK(contains(m, "channels = 0"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::image<std::uint8_t>(4, 4, pixlime::max_channels + 1); });
    CHECK(contains(m, "channels = 65"));
    std::vector<std::uint8_t> buf(100);
    m = message_of<pixlime::invalid_argument>([&] { pixlime::image_view<std::uint8_t>(buf.data(), 10, 3, 3, 20); });
    CHECK(contains(m, "row_stride = 20"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::image_view<std::uint8_t>(nullptr, 10, 3, 3); });
    CHECK(contains(m, "null"));
}

TEST_CASE("segmentations: size mismatch, bad labels, a single segment") {
    auto m = message_of<pixlime::invalid_argument>([] { pixlime::segmentation::from_labels(4, 4, std::vector<int>(15, 0)); });
    CHECK(contains(m, "size = 15"));
    CHECK(contains(m, "16"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::segmentation(2, 2, {0, 1, 3, 3}); });
    CHECK(contains(m, "without 2"));
    m = message_of<pixlime::invalid_argument>([] { pixlime::segmentation(2, 2, {0, -1, 1, 1}); });
    CHECK(contains(m, "-1"));

    const auto img = test::noise(8, 8, 3, 1);
    m = message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, test::grid(8, 8, 1, 1), two_classes); });
    CHECK(contains(m, "segmentation count = 1"));
    m = message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, test::grid(9, 8, 3, 3), two_classes); });
    CHECK(contains(m, "segmentation size = 9x8"));
    // A constant 1x1 image segments into one region.
    m = message_of<pixlime::invalid_argument>([&] { pixlime::explain(pixlime::image<std::uint8_t>(1, 1, 3, 9), two_classes); });
    CHECK(contains(m, "segmentation count = 1"));
}

TEST_CASE("explain options out of range") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    auto bad = [&](auto tweak, const std::string& expect) {
        pixlime::explain_options opt;
        tweak(opt);
        const auto m = message_of<pixlime::invalid_argument>([&] { pixlime::explain(img, seg, two_classes, opt); });
        CHECK_MESSAGE(contains(m, expect), m);
    };
    bad([](auto& o) { o.num_samples = 1; }, "explain_options.num_samples = 1");
    bad([](auto& o) { o.batch_size = 0; }, "explain_options.batch_size = 0");
    bad([](auto& o) { o.num_threads = 0; }, "explain_options.num_threads = 0");
    bad([](auto& o) { o.kernel_width = 0; }, "explain_options.kernel_width = 0");
    bad([](auto& o) { o.kernel_width = std::numeric_limits<double>::quiet_NaN(); }, "explain_options.kernel_width = nan");
    bad([](auto& o) { o.ridge_alpha = -1; }, "explain_options.ridge_alpha = -1");
    bad([](auto& o) { o.top_labels = 0; }, "explain_options.top_labels = 0");
    bad([](auto& o) { o.labels = {0, 2}; }, "explain_options.labels entry = 2");
    bad([](auto& o) { o.labels = {-1}; }, "explain_options.labels entry = -1");
    bad([](auto& o) { o.hide = pixlime::hide_mode::constant, o.hide_color = {1, 2}; }, "hide_color size = 2");
    bad([](auto& o) { o.hide = pixlime::hide_mode::constant, o.hide_color = {300}; }, "hide_color[0] = 300");
    bad([](auto& o) { o.hide = pixlime::hide_mode::blur, o.blur_sigma = -2; }, "blur_sigma = -2");
    bad([](auto& o) { o.hide = pixlime::hide_mode::image; }, "hide_image size = 0x0x0");
    bad([](auto& o) { o.sampling = pixlime::sampling::lime_compatible, o.seed = 1ull << 40; }, "seed = 1099511627776");

    // No penalty and two segments that are always hidden together: their weights are not determined.
    auto twins = [](int n, int k, std::uint64_t seed) {
        pixlime::mask_matrix m = pixlime::sample_masks(pixlime::sampling::bernoulli, n, k, seed);
        m.col(1) = m.col(0);
        return m;
    };
    const auto m = message_of<pixlime::invalid_argument>([&] {
        pixlime::explain(img.view(), seg, two_classes, pixlime::explain_options{}, twins, pixlime::weighted_ridge{0.0});
    });
    CHECK(contains(m, "explain_options.ridge_alpha = 0"));
    // A custom sampler or surrogate of the wrong shape.
    CHECK_THROWS_AS(pixlime::explain(img.view(), seg, two_classes, pixlime::explain_options{},
                                     [](int, int k, std::uint64_t) { return pixlime::mask_matrix::Ones(3, k).eval(); },
                                     pixlime::weighted_ridge{}),
                    pixlime::invalid_argument);
}

TEST_CASE("misbehaving classifiers") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 50;

    auto m = message_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size() + 1, 2); }, opt);
    });
    CHECK(contains(m, "rows = 11"));
    CHECK(contains(m, "batch.size() = 10"));

    int calls = 0;
    m = message_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [&](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Zero(b.size(), ++calls < 3 ? 3 : 4); }, opt);
    });
    CHECK(contains(m, "columns = 4"));
    CHECK(contains(m, "samples 20..29"));

    m = message_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) {
            Eigen::MatrixXd p = Eigen::MatrixXd::Constant(b.size(), 2, 0.5);
            p(b.size() - 1, 1) = std::numeric_limits<double>::quiet_NaN();
            return p;
        }, opt);
    });
    CHECK(contains(m, "output[9, 1] = nan"));
    m = message_of<pixlime::classifier_error>([&] {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) {
            return Eigen::MatrixXf::Constant(b.size(), 2, std::numeric_limits<float>::infinity()).eval();
        }, opt);
    });
    CHECK(contains(m, "= inf"));

    // An exception from the classifier is propagated with context, the original nested.
    try {
        pixlime::explain(img, seg, [](batch_view<const std::uint8_t> b) -> Eigen::MatrixXf {
            if (b.size() > 0) throw std::out_of_range("model exploded");
            return {};
        }, opt);
        FAIL("no exception");
    } catch (const pixlime::classifier_error& e) {
        CHECK(contains(e.what(), "the classifier threw on samples 0..9: model exploded"));
        bool nested_seen = false;
        try {
            std::rethrow_if_nested(e);
        } catch (const std::out_of_range& inner) {
            nested_seen = std::string(inner.what()) == "model exploded";
        }
        CHECK(nested_seen);
    }
}

TEST_CASE("asking for a label that was not explained, or is not a class") {
    const auto img = test::noise(16, 16, 3, 1);
    const auto seg = test::grid(16, 16, 4, 4);
    pixlime::explain_options opt;
    opt.num_samples = 20;
    opt.labels = {1};
    const auto ex = pixlime::explain(img, seg, two_classes, opt);
    auto m = message_of<pixlime::invalid_argument>([&] { (void)ex.weights(0); });
    CHECK(contains(m, "label = 0"));
    CHECK(contains(m, "{1}"));
    m = message_of<pixlime::invalid_argument>([&] { (void)ex.model_prediction(2); });
    CHECK(contains(m, "label = 2"));
    pixlime::render_options ro;
    ro.num_features = -1;
    m = message_of<pixlime::invalid_argument>([&] { pixlime::render_positive(img, ex, 1, ro); });
    CHECK(contains(m, "render_options.num_features = -1"));
    m = message_of<pixlime::invalid_argument>([&] { pixlime::render_positive(test::noise(8, 8, 3, 1), ex, 1); });
    CHECK(contains(m, "image size = 8x8"));
}
