// Deletion and insertion curves (RISE's causal metrics) against classifiers whose curves are
// known: a planted region, outputs linear in the pixels (every value computed here on its
// own), an output that depends only on how much of the image is left, a constant.
#include "support.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

using doctest::Approx;
using pixlime::batch_view;

namespace {

/// 60x60 noise (every value >= 1) over a 6x6 grid of 10x10 cells; the classifier's class 1 is
/// the fraction of the planted cells' pixels that are the image's own (all three channels),
/// class 0 the rest: it looks at the planted cells only.
struct planted {
    pixlime::image<std::uint8_t> img = test::noise(60, 60, 3, 21);
    pixlime::segmentation seg = test::grid(60, 60, 6, 6);
    std::vector<int> region{14, 15, 20, 21};
    int calls = 0;

    Eigen::MatrixXd operator()(batch_view<const std::uint8_t> batch) {
        ++calls;
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            int same = 0, total = 0;
            for (int y = 0; y < 60; ++y)
                for (int x = 0; x < 60; ++x) {
                    if (std::find(region.begin(), region.end(), seg.label(x, y)) == region.end()) continue;
                    ++total;
                    bool eq = true;
                    for (int c = 0; c < 3; ++c) eq = eq && batch[i].at(x, y, c) == img.at(x, y, c);
                    same += eq;
                }
            p(i, 1) = double(same) / total;
            p(i, 0) = 1 - p(i, 1);
        }
        return p;
    }

    /// The planted cells first, then the others in id order; and that reversed.
    std::vector<int> good() const {
        std::vector<int> r = region;
        for (int s = 0; s < seg.count(); ++s)
            if (std::find(region.begin(), region.end(), s) == region.end()) r.push_back(s);
        return r;
    }
    std::vector<int> reversed() const {
        std::vector<int> r = good();
        std::reverse(r.begin(), r.end());
        return r;
    }
};

/// 40x30 with ten segments of unequal areas: five vertical bands (4, 8, 1, 17, 10 columns)
/// split at row 20.
pixlime::segmentation uneven() {
    std::vector<int> labels(40 * 30);
    const int edges[5] = {4, 12, 13, 30, 40};
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x) {
            int band = 0;
            while (x >= edges[band]) ++band;
            labels[std::size_t(y * 40 + x)] = band + 5 * (y >= 20);
        }
    return pixlime::segmentation(40, 30, std::vector<std::int32_t>(labels.begin(), labels.end()));
}

/// Fixed weights in [-1, 1] per value of a 40x30x3 image.
double weight(int x, int y, int c) { return double((x * 7919 + y * 104729 + c * 613) % 201) / 100.0 - 1.0; }

/// sum of weight x value over the pixels of `img` (any 40x30x3 image), per segment of `seg`.
template <class View>
std::vector<double> per_segment(const View& img, const pixlime::segmentation& seg, double scale = 1) {
    std::vector<double> s(std::size_t(seg.count()), 0.0);
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x)
            for (int c = 0; c < 3; ++c) s[std::size_t(seg.label(x, y))] += weight(x, y, c) * double(img.at(x, y, c)) * scale;
    return s;
}

/// Classes: 0 linear in the pixels, 1 its negative, 2 constant.
Eigen::MatrixXd linear(batch_view<const std::uint8_t> batch) {
    Eigen::MatrixXd p(batch.size(), 3);
    for (int i = 0; i < batch.size(); ++i) {
        double v = 0;
        for (int y = 0; y < 30; ++y)
            for (int x = 0; x < 40; ++x)
                for (int c = 0; c < 3; ++c) v += weight(x, y, c) * double(batch[i].at(x, y, c));
        p(i, 0) = v, p(i, 1) = -v, p(i, 2) = 0.5;
    }
    return p;
}

/// A trapezoid written here (not pixlime's).
double trapezoid(const std::vector<double>& x, const std::vector<double>& y) {
    double a = 0;
    for (std::size_t i = 1; i < x.size(); ++i) a += 0.5 * (x[i] - x[i - 1]) * (y[i] + y[i - 1]);
    return a;
}

/// The fraction of the image's pixels that are not black: with a black fill and an image whose
/// values are all >= 1, 1 - the fraction removed.
double not_black(const pixlime::image_view<const std::uint8_t>& v) {
    std::int64_t n = 0;
    for (int y = 0; y < v.height(); ++y)
        for (int x = 0; x < v.width(); ++x) n += v.at(x, y, 0) != 0;
    return double(n) / double(v.pixel_count());
}

/// linear(), writing its batches into memory it provides (batch_memory).
struct own_memory {
    std::vector<std::uint8_t> memory;
    int memory_calls = 0;
    bool in_memory = true;
    template <class V>
    V* batch_memory(std::size_t values) {
        static_assert(std::is_same_v<V, std::uint8_t>, "this test classifier takes the image's bytes");
        ++memory_calls;
        memory.assign(values, 0);
        return memory.data();
    }
    Eigen::MatrixXd operator()(batch_view<const std::uint8_t> batch) {
        in_memory = in_memory && batch.data() == memory.data();
        return linear(batch);
    }
};

bool same_curve(const pixlime::faithfulness_curve& a, const pixlime::faithfulness_curve& b) {
    return a.fraction == b.fraction && a.score == b.score && a.auc == b.auc && a.ranking == b.ranking &&
           a.random_score == b.random_score && a.random_auc == b.random_auc && a.random_auc_stddev == b.random_auc_stddev;
}

}  // namespace

TEST_CASE("a planted region: ranking it first gives a far lower deletion AUC than random or reversed, a higher insertion AUC") {
    planted f;
    const pixlime::faithfulness_curve good = pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1);
    const pixlime::faithfulness_curve bad = pixlime::deletion_curve(f.img, f.seg, f.reversed(), f, 1);
    // Deleting the four planted cells first takes the output from 1 to 0 in four steps of 1/36;
    // deleting them last keeps it at 1 until step 32.
    REQUIRE(good.score.size() == 37);
    const std::vector<double> head{1, 0.75, 0.5, 0.25, 0};
    for (int j = 0; j <= 36; ++j) {
        CHECK(good.fraction[std::size_t(j)] == Approx(j / 36.0).epsilon(1e-12));
        CHECK(good.score[std::size_t(j)] == (j <= 4 ? head[std::size_t(j)] : 0.0));
        CHECK(bad.score[std::size_t(j)] == (j >= 32 ? head[std::size_t(j - 32)] : 1.0));
    }
    CHECK(good.auc == Approx(2.0 / 36).epsilon(1e-12));
    CHECK(bad.auc == Approx(34.0 / 36).epsilon(1e-12));
    // A random ranking's expected deletion AUC is 1/2 (the planted cells land anywhere); one
    // ranking's AUC varies by about 0.13, the mean of 20 by about 0.03.
    MESSAGE("deletion AUC: planted first " << good.auc << ", random " << good.random_auc << " +- " << good.random_auc_stddev
                                           << ", planted last " << bad.auc);
    CHECK(good.random_auc == bad.random_auc);  // the same seed: the same random rankings
    CHECK(std::abs(good.random_auc - 0.5) < 0.15);
    CHECK(good.random_auc_stddev > 0.05);
    CHECK(good.random_auc_stddev < 0.3);
    CHECK(good.auc < good.random_auc - 0.3);
    CHECK(bad.auc > good.random_auc + 0.3);
    REQUIRE(good.random_score.size() == 37);
    CHECK(good.random_score.front() == 1.0);
    CHECK(good.random_score.back() == 0.0);

    // Insertion from the blurred image: the same, mirrored (a blurred pixel equal to the
    // original in all three channels is rare: the scores are within 1/400 of the ideal).
    const auto good_in = pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1);
    const auto bad_in = pixlime::insertion_curve(f.img, f.seg, f.reversed(), f, 1);
    CHECK(good_in.score.front() < 0.01);
    CHECK(good_in.score.back() == 1.0);
    CHECK(good_in.auc == Approx(34.0 / 36).epsilon(0.01));
    CHECK(bad_in.auc == Approx(2.0 / 36).epsilon(0.01));
    MESSAGE("insertion AUC: planted first " << good_in.auc << ", random " << good_in.random_auc << ", planted last " << bad_in.auc);
    CHECK(std::abs(good_in.random_auc - 0.5) < 0.15);
    CHECK(good_in.auc > good_in.random_auc + 0.3);
    CHECK(bad_in.auc < good_in.random_auc - 0.3);
}

TEST_CASE("outputs linear in the pixels: every step's value is the sum of the segments' contributions, computed here") {
    const auto img = test::noise(40, 30, 3, 8);
    const auto seg = uneven();
    const std::vector<int> ranking{3, 7, 0, 9, 1, 5, 2, 8, 4, 6};
    const std::vector<std::int64_t> sizes = seg.sizes();
    pixlime::image<std::uint8_t> grey(40, 30, 3, 7);
    const std::vector<double> own = per_segment(img, seg), as_grey = per_segment(grey, seg);
    pixlime::image<float> gradient(40, 30, 3);  // the insertion substrate: a known image
    for (int y = 0; y < 30; ++y)
        for (int x = 0; x < 40; ++x)
            for (int c = 0; c < 3; ++c) gradient.at(x, y, c) = float((x * 5 + y * 3 + c * 50) % 256);
    const std::vector<double> as_gradient = per_segment(gradient, seg);

    // Expected: x = area of the first j segments / 1200; deletion = grey on the first j,
    // insertion = the image on the first j and the gradient elsewhere.
    std::vector<double> x{0}, del, ins;
    double removed_area = 0;
    for (std::size_t j = 0; j <= ranking.size(); ++j) {
        double d = 0, in = 0;
        for (std::size_t i = 0; i < ranking.size(); ++i) {
            const auto s = std::size_t(ranking[i]);
            d += i < j ? as_grey[s] : own[s];
            in += i < j ? own[s] : as_gradient[s];
        }
        del.push_back(d);
        ins.push_back(in);
        if (j < ranking.size()) x.push_back((removed_area += double(sizes[std::size_t(ranking[j])])) / 1200.0);
    }
    pixlime::curve_options opt;
    opt.deletion_fill = pixlime::constant_fill{{7}};
    opt.insertion_fill = pixlime::image_fill{gradient};
    opt.random_rankings = 3;
    const auto d = pixlime::deletion_curve(img, seg, ranking, linear, 0, opt);
    const auto in = pixlime::insertion_curve(img, seg, ranking, linear, 0, opt);
    REQUIRE(d.fraction.size() == 11);
    REQUIRE(in.fraction.size() == 11);
    CHECK(d.fraction.back() == 1.0);
    for (std::size_t j = 0; j <= 10; ++j) {
        CHECK(d.fraction[j] == Approx(x[j]).epsilon(1e-12));
        CHECK(in.fraction[j] == Approx(x[j]).epsilon(1e-12));
        CHECK(d.score[j] == Approx(del[j]).epsilon(1e-12));
        CHECK(in.score[j] == Approx(ins[j]).epsilon(1e-12));
    }
    CHECK(d.auc == Approx(trapezoid(x, del)).epsilon(1e-12));
    CHECK(in.auc == Approx(trapezoid(x, ins)).epsilon(1e-12));
    CHECK(d.ranking == ranking);
    // Another label of the same output: its negative.
    const auto neg = pixlime::deletion_curve(img, seg, ranking, linear, 1, opt);
    CHECK(neg.auc == Approx(-d.auc).epsilon(1e-12));

    // The defaults: black removed (the last step's value is 0) and blur_fill{3} as substrate.
    const auto d0 = pixlime::deletion_curve(img, seg, ranking, linear, 0);
    CHECK(d0.score.front() == Approx(std::accumulate(own.begin(), own.end(), 0.0)).epsilon(1e-12));
    CHECK(d0.score.back() == 0.0);
    const auto blurred = pixlime::blur_fill{3.0}(img.view());
    const std::vector<double> as_blurred = per_segment(blurred, seg);
    const auto in0 = pixlime::insertion_curve(img, seg, ranking, linear, 0);
    CHECK(in0.score.front() == Approx(std::accumulate(as_blurred.begin(), as_blurred.end(), 0.0)).epsilon(1e-12));
    CHECK(in0.score.back() == Approx(d0.score.front()).epsilon(1e-12));
}

TEST_CASE("an output that depends only on the area left: every ranking, random ones too, gives the line 1 - x") {
    const auto img = test::noise(40, 30, 3, 9);
    const auto seg = uneven();  // unequal areas: a step index is not the area
    auto left = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) p(i, 0) = not_black(batch[i]), p(i, 1) = 1 - p(i, 0);
        return p;
    };
    pixlime::curve_options opt;
    opt.random_rankings = 7;
    const auto c = pixlime::deletion_curve(img, seg, {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, left, 0, opt);
    REQUIRE(c.random_score.size() == c.fraction.size());
    for (std::size_t j = 0; j < c.fraction.size(); ++j) {
        CHECK(c.score[j] == Approx(1 - c.fraction[j]).epsilon(1e-12));
        CHECK(c.random_score[j] == Approx(1 - c.fraction[j]).epsilon(1e-12));  // interpolated at the same areas
    }
    CHECK(c.auc == Approx(0.5).epsilon(1e-12));
    CHECK(c.random_auc == Approx(0.5).epsilon(1e-12));
    CHECK(c.random_auc_stddev < 1e-12);
}

TEST_CASE("the AUC of a constant output is that constant; area_under_curve is the trapezoid rule") {
    const planted f;
    auto constant = [](batch_view<const std::uint8_t> batch) { return Eigen::MatrixXd::Constant(batch.size(), 4, 0.37).eval(); };
    for (bool insertion : {false, true}) {
        const auto c = insertion ? pixlime::insertion_curve(f.img, f.seg, f.good(), constant, 2)
                                 : pixlime::deletion_curve(f.img, f.seg, f.good(), constant, 2);
        CHECK(c.auc == Approx(0.37).epsilon(1e-14));
        CHECK(c.random_auc == Approx(0.37).epsilon(1e-14));
        CHECK(c.random_auc_stddev == Approx(0.0).epsilon(1e-14));
        for (double v : c.random_score) CHECK(v == Approx(0.37).epsilon(1e-14));
    }
    CHECK(pixlime::area_under_curve({0, 0.2, 1}, {3, 3, 3}) == Approx(3));
    CHECK(pixlime::area_under_curve({0, 0.5, 1}, {0, 0.5, 1}) == Approx(0.5));
    CHECK(pixlime::area_under_curve({0, 0.25, 0.25, 1}, {1, 1, 0, 0}) == Approx(0.25));  // a vertical drop
    using E = pixlime::invalid_argument;
    CHECK(test::error_of<E>([] { pixlime::area_under_curve({0, 1}, {1}); }).parameter() == "area_under_curve y size");
    CHECK(test::error_of<E>([] { pixlime::area_under_curve({0}, {1}); }).parameter() == "area_under_curve x size");
    CHECK(test::error_of<E>([] { pixlime::area_under_curve({0, 0.5, 0.4}, {1, 1, 1}); }).parameter() == "area_under_curve x[2]");
    CHECK(test::error_of<E>([] { pixlime::area_under_curve({0, 1}, {1, NAN}); }).parameter() == "area_under_curve y[1]");
}

TEST_CASE("a binary model's single column is P(class 1): label 1 follows p, label 0 follows 1 - p") {
    const auto img = test::noise(40, 30, 3, 10);
    const auto seg = uneven();
    auto binary = [](batch_view<const std::uint8_t> batch) {
        Eigen::VectorXf p(batch.size());
        for (int i = 0; i < batch.size(); ++i) p[i] = float(not_black(batch[i]));
        return p;
    };
    const std::vector<int> ranking{0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    const auto one = pixlime::deletion_curve(img, seg, ranking, binary, 1);
    const auto zero = pixlime::deletion_curve(img, seg, ranking, binary, 0);
    for (std::size_t j = 0; j < one.score.size(); ++j) {
        CHECK(one.score[j] == Approx(1 - one.fraction[j]).epsilon(1e-6));
        CHECK(zero.score[j] == Approx(1 - one.score[j]).epsilon(1e-12));
    }
    CHECK(one.auc == Approx(0.5).epsilon(1e-6));
    CHECK(zero.auc == Approx(0.5).epsilon(1e-6));
    const auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::deletion_curve(img, seg, ranking, binary, 2); });
    CHECK(e.parameter() == "label");
    CHECK(test::contains(e.expected(), "0 or 1"));

    // From an explanation of the binary model.
    pixlime::explain_options eo = test::black_fill();
    eo.num_samples = 100;
    const auto ex = pixlime::explain(img, seg, binary, eo);
    const auto c = pixlime::deletion_curve(img, ex, binary, 1);
    CHECK(c.ranking == pixlime::ranking_by_weight(ex.weights(1)));
    CHECK(c.score.front() == Approx(ex.model_prediction(1)).epsilon(1e-12));
}

TEST_CASE("from an explanation: its segments, most positive weight first, most negative last") {
    planted f;
    // Class 0 rises with cells 14 and 21 and falls with cell 3 (black fill: a kept cell is non-zero).
    auto classify = [&](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 2);
        for (int i = 0; i < batch.size(); ++i) {
            const auto kept = test::kept_segments(batch[i], f.seg);
            p(i, 0) = 0.2 + 0.5 * kept[14] + 0.3 * kept[21] - 0.1 * kept[3];
            p(i, 1) = 1 - p(i, 0);
        }
        return p;
    };
    pixlime::explain_options eo = test::black_fill();
    eo.num_samples = 200;
    eo.surrogate = pixlime::weighted_ridge{0.0};
    const auto ex = pixlime::explain(f.img, f.seg, classify, eo);
    const auto c = pixlime::deletion_curve(f.img, ex, classify, 0);
    REQUIRE(c.ranking.size() == 36);
    CHECK(c.ranking[0] == 14);
    CHECK(c.ranking[1] == 21);
    CHECK(c.ranking.back() == 3);
    CHECK(c.ranking == pixlime::ranking_by_weight(ex.weights(0)));
    CHECK(c.score.front() == Approx(ex.model_prediction(0)).epsilon(1e-12));
    CHECK(c.score.front() == Approx(0.9).epsilon(1e-12));
    CHECK(c.score[1] == Approx(0.4).epsilon(1e-12));  // 14 removed
    CHECK(c.score[2] == Approx(0.1).epsilon(1e-12));  // and 21
    CHECK(c.score[35] == Approx(0.1).epsilon(1e-12));  // all but 3
    CHECK(c.score.back() == Approx(0.2).epsilon(1e-12));  // 3 too
    CHECK(c.auc < c.random_auc);
    const auto in = pixlime::insertion_curve(f.img.view(), ex, classify, 0);
    CHECK(in.ranking == c.ranking);
    CHECK(in.score.back() == Approx(ex.model_prediction(0)).epsilon(1e-12));
    // The curves of an explanation are drawn on the image it explained: another channel count
    // is refused, naming the explained image's (another size too, as "segmentation size").
    const auto gray = test::noise(60, 60, 1, 3);
    auto e = test::error_of<pixlime::invalid_argument>([&] { pixlime::deletion_curve(gray, ex, classify, 0); });
    CHECK(e.parameter() == "image channels");
    CHECK(e.value() == "1");
    CHECK(test::contains(e.expected(), "3"));
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::insertion_curve(test::noise(30, 60, 3, 3), ex, classify, 0); })
              .parameter() == "segmentation size");

    // ranking_by_weight: highest first, ties by segment, negative last.
    CHECK(pixlime::ranking_by_weight((Eigen::VectorXd(5) << 0.1, -2, 0.1, 3, 0).finished()) == std::vector<int>{3, 0, 2, 4, 1});
    CHECK(test::error_of<pixlime::invalid_argument>([] { pixlime::ranking_by_weight(Eigen::VectorXd::Constant(2, NAN)); })
              .parameter() == "ranking_by_weight weights");
}

TEST_CASE("results do not depend on the batch size; the seed picks the random rankings") {
    planted f;
    pixlime::curve_options opt;
    opt.random_rankings = 5;
    opt.batch_size = 1;
    const auto ref_del = pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt);
    const auto ref_in = pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1, opt);
    CHECK(f.calls == 2 * (37 + 5 * 35));
    for (int b : {2, 7, 10, 36, 37, 38, 211, 212, 5000}) {
        opt.batch_size = b;
        CAPTURE(b);
        CHECK(same_curve(pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt), ref_del));
        CHECK(same_curve(pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1, opt), ref_in));
    }
    opt.seed = 1;
    const auto other = pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt);
    CHECK(other.score == ref_del.score);  // the ranking's own curve does not depend on the seed
    CHECK(other.random_auc != ref_del.random_auc);
    CHECK(same_curve(pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt), other));
    // Without a baseline.
    opt.random_rankings = 0;
    f.calls = 0;
    opt.batch_size = 100;
    const auto alone = pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt);
    CHECK(f.calls == 1);  // 37 images
    CHECK(alone.score == ref_del.score);
    CHECK(alone.random_score.empty());
    CHECK(std::isnan(alone.random_auc));
    CHECK(std::isnan(alone.random_auc_stddev));
}

TEST_CASE("float images, model_input and a classifier's own batch memory give the same curve") {
    const auto img = test::noise(40, 30, 3, 12);
    const auto seg = uneven();
    const std::vector<int> ranking{4, 2, 0, 1, 3, 9, 8, 7, 6, 5};
    pixlime::curve_options opt;
    opt.random_rankings = 4;
    const auto ref = pixlime::deletion_curve(img, seg, ranking, linear, 0, opt);
    // The classifier gets float NCHW in [0, 1] and undoes it.
    auto nchw = [](batch_view<const float> batch) {
        Eigen::MatrixXd p(batch.size(), 3);
        for (int i = 0; i < batch.size(); ++i) {
            double v = 0;  // in linear()'s order
            for (int y = 0; y < 30; ++y)
                for (int x = 0; x < 40; ++x)
                    for (int c = 0; c < 3; ++c) v += weight(x, y, c) * std::round(double(batch.plane(i, c)[y * 40 + x]) * 255.0);
            p(i, 0) = v, p(i, 1) = -v, p(i, 2) = 0.5;
        }
        return p;
    };
    pixlime::curve_options fo = opt;
    fo.model_input.to_float = true;
    fo.model_input.layout = pixlime::layout::nchw;
    fo.model_input.scale = 1.0 / 255;
    const auto as_nchw = pixlime::deletion_curve(img, seg, ranking, nchw, 0, fo);
    CHECK(as_nchw.score == ref.score);  // integers summed in the same order
    CHECK(as_nchw.random_auc == ref.random_auc);

    // A float image (values / 255): the same curve, scaled.
    const auto fimg = test::to_float(img);
    auto linear_float = [](batch_view<const float> batch) {
        Eigen::MatrixXd p(batch.size(), 1);
        for (int i = 0; i < batch.size(); ++i) {
            double v = 0;
            for (int y = 0; y < 30; ++y)
                for (int x = 0; x < 40; ++x)
                    for (int c = 0; c < 3; ++c) v += weight(x, y, c) * std::round(double(batch[i].at(x, y, c)) * 255.0);
            p(i, 0) = 0.5 + v / 1e7;  // |v| < 3600 x 255: in [0, 1]
        }
        return p;
    };
    const auto from_float = pixlime::deletion_curve(fimg, seg, ranking, linear_float, 1, opt);
    for (std::size_t j = 0; j < ref.score.size(); ++j) CHECK(from_float.score[j] == Approx(0.5 + ref.score[j] / 1e7).epsilon(1e-12));

    own_memory own;
    opt.batch_size = 6;
    const auto with_memory = pixlime::deletion_curve(img, seg, ranking, own, 0, opt);
    CHECK(own.memory_calls == 1);
    CHECK(own.memory.size() == std::size_t(6) * 40 * 30 * 3);
    CHECK(own.in_memory);
    CHECK(same_curve(with_memory, ref));
}

TEST_CASE("invalid input is refused, naming the parameter, before the classifier is called; limits before allocating") {
    planted f;
    const auto ranking = f.good();
    auto check = [&](const std::string& parameter, auto&& call, bool size_limit = false) {
        f.calls = 0;
        CAPTURE(parameter);
        const auto e = size_limit ? pixlime::invalid_argument(test::error_of<pixlime::size_limit_error>(call))
                                  : test::error_of<pixlime::invalid_argument>(call);
        CHECK(e.parameter() == parameter);
        CHECK(f.calls == 0);
    };
    for (bool ins : {false, true}) {
        CAPTURE(ins);
        auto curve = [&](const auto& img, const pixlime::segmentation& seg, const std::vector<int>& r, int label,
                         const pixlime::curve_options& o) {
            return ins ? pixlime::insertion_curve(img, seg, r, f, label, o) : pixlime::deletion_curve(img, seg, r, f, label, o);
        };
        pixlime::curve_options o;
        o.batch_size = 0;
        check("curve_options.batch_size", [&] { curve(f.img, f.seg, ranking, 1, o); });
        o = {};
        o.random_rankings = -1;
        check("curve_options.random_rankings", [&] { curve(f.img, f.seg, ranking, 1, o); });
        o = {};
        o.limits.max_segments = 0;
        check("curve_options.limits", [&] { curve(f.img, f.seg, ranking, 1, o); });
        check("image", [&] { curve(pixlime::image<std::uint8_t>(), f.seg, ranking, 1, {}); });
        check("segmentation size", [&] { curve(f.img, test::grid(60, 59, 6, 6), ranking, 1, {}); });
        check("segmentation", [&] { curve(f.img, pixlime::segmentation(), ranking, 1, {}); });
        check("ranking size", [&] { curve(f.img, f.seg, std::vector<int>(ranking.begin(), ranking.end() - 1), 1, {}); });
        std::vector<int> bad = ranking;
        bad[5] = 36;
        check("ranking[5]", [&] { curve(f.img, f.seg, bad, 1, {}); });
        bad[5] = -1;
        check("ranking[5]", [&] { curve(f.img, f.seg, bad, 1, {}); });
        bad[5] = ranking[2];
        const auto e = test::error_of<pixlime::invalid_argument>([&] { curve(f.img, f.seg, bad, 1, {}); });
        CHECK(e.parameter() == "ranking[5]");
        CHECK(test::contains(e.expected(), "also ranking[2]"));
        check("label", [&] { curve(f.img, f.seg, ranking, -1, {}); });
        o = {};
        o.model_input.channels = {3};
        check("model_input.channels[0]", [&] { curve(f.img, f.seg, ranking, 1, o); });
        o = {};
        if (ins)
            o.insertion_fill = pixlime::blur_fill{-1};
        else
            o.deletion_fill = pixlime::constant_fill{{1, 2}};
        check(ins ? "blur_fill.sigma" : "constant_fill.color size", [&] { curve(f.img, f.seg, ranking, 1, o); });
        o = {};
        o.model_input.to_float = true;  // f takes uint8 batches only
        check("classifier", [&] { curve(f.img, f.seg, ranking, 1, o); });
        pixlime::image<float> nan_img(60, 60, 1, 0.5f);
        nan_img.at(1, 2) = NAN;
        auto float_classifier = [&](batch_view<const float> b) { ++f.calls; return Eigen::MatrixXd::Zero(b.size(), 2).eval(); };
        check("image pixel (1, 2) channel 0", [&] {
            ins ? pixlime::insertion_curve(nan_img, f.seg, ranking, float_classifier, 1)
                : pixlime::deletion_curve(nan_img, f.seg, ranking, float_classifier, 1);
        });

        // Limits, before anything is allocated.
        o = {};
        o.limits.max_samples = 736;  // 36 segments, 20 random rankings: 37 + 20 x 35 = 737 images
        check("curve images (#segments + 1 + random_rankings x (#segments - 1))", [&] { curve(f.img, f.seg, ranking, 1, o); }, true);
        o.limits.max_samples = 737;
        CHECK_NOTHROW(curve(f.img, f.seg, ranking, 1, o));
        o = {};
        o.limits.max_segments = 35;
        check("segmentation count", [&] { curve(f.img, f.seg, ranking, 1, o); }, true);
        o = {};
        o.limits.max_pixels = 3599;
        check("image size", [&] { curve(f.img, f.seg, ranking, 1, o); }, true);
        o = {};
        o.limits.max_explanation_bytes = 100000;  // a batch of 10 images is 108,000 bytes
        check("curve memory", [&] { curve(f.img, f.seg, ranking, 1, o); }, true);
    }
    // From an explanation: the label must have been explained, the image be the explained one's size.
    pixlime::explain_options eo = test::black_fill();
    eo.num_samples = 50;
    eo.labels = {1};
    const auto ex = pixlime::explain(f.img, f.seg, f, eo);
    check("label", [&] { pixlime::deletion_curve(f.img, ex, f, 0); });
    check("label", [&] { pixlime::insertion_curve(f.img, ex, f, 0); });
    check("segmentation size", [&] { pixlime::deletion_curve(test::noise(60, 50, 3, 1), ex, f, 1); });
}

TEST_CASE("progress after every batch, false cancels; a misbehaving classifier is a classifier_error") {
    planted f;
    pixlime::curve_options opt;
    std::vector<std::pair<int, int>> seen;
    opt.progress = [&](int done, int total) {
        seen.emplace_back(done, total);
        return true;
    };
    opt.batch_size = 100;
    (void)pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt);
    REQUIRE(seen.size() == 8);  // 737 images
    CHECK(seen.front() == std::make_pair(100, 737));
    CHECK(seen.back() == std::make_pair(737, 737));
    opt.progress = [](int done, int) { return done < 200; };
    f.calls = 0;
    const auto e = test::error_of<pixlime::cancelled>([&] { pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1, opt); });
    CHECK(e.parameter() == "curve_options.progress");
    CHECK(f.calls == 2);

    auto wrong_rows = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Zero(b.size() + 1, 2).eval(); };
    CHECK(test::error_of<pixlime::classifier_error>([&] { pixlime::deletion_curve(f.img, f.seg, f.good(), wrong_rows, 0); })
              .parameter() == "classifier output rows (samples 0..9)");
    auto throws = [](batch_view<const std::uint8_t>) -> Eigen::MatrixXd { throw std::runtime_error("no model"); };
    CHECK(test::contains(test::message_of<pixlime::classifier_error>([&] { pixlime::insertion_curve(f.img, f.seg, f.good(), throws, 0); }),
                         "no model"));
    auto too_few = [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXd::Zero(b.size(), 3).eval(); };
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::deletion_curve(f.img, f.seg, f.good(), too_few, 3); }).parameter() ==
          "label");
}

TEST_CASE("a custom fill that throws is a stage_error naming the curve option, the original nested") {
    planted f;
    pixlime::curve_options opt;
    opt.deletion_fill = [](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) -> pixlime::image<std::uint8_t> {
        throw std::runtime_error("fill boom");
    };
    try {
        (void)pixlime::deletion_curve(f.img, f.seg, f.good(), f, 1, opt);
        FAIL_CHECK("no exception");
    } catch (const pixlime::stage_error& e) {
        CHECK(e.parameter() == "curve_options.deletion_fill");
        CHECK(e.value() == "custom threw: fill boom");
        std::string nested;
        try {
            std::rethrow_if_nested(e);
        } catch (const std::runtime_error& inner) {
            nested = inner.what();
        }
        CHECK(nested == "fill boom");
    }
    CHECK(f.calls == 0);
    opt.insertion_fill = opt.deletion_fill;
    CHECK(test::error_of<pixlime::stage_error>([&] { pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1, opt); }).parameter() ==
          "curve_options.insertion_fill");
    // A built-in fill's own error keeps its class.
    opt.insertion_fill = pixlime::constant_fill{{1, 2}};
    CHECK(test::error_of<pixlime::invalid_argument>([&] { pixlime::insertion_curve(f.img, f.seg, f.good(), f, 1, opt); }).parameter() ==
          "constant_fill.color size");
}

TEST_CASE("one segment: two steps, and every random ranking is that one") {
    const auto img = test::noise(8, 6, 1, 3);
    const pixlime::segmentation one(8, 6, std::vector<std::int32_t>(48, 0));
    auto mean = [](batch_view<const std::uint8_t> b) {
        Eigen::MatrixXd p(b.size(), 2);
        for (int i = 0; i < b.size(); ++i) p(i, 0) = not_black(b[i]), p(i, 1) = 1 - p(i, 0);
        return p;
    };
    const auto c = pixlime::deletion_curve(img, one, {0}, mean, 0);
    CHECK(c.fraction == std::vector<double>{0, 1});
    CHECK(c.score == std::vector<double>{1, 0});
    CHECK(c.auc == 0.5);
    CHECK(c.random_auc == 0.5);
    CHECK(c.random_score == c.score);
}

// curve_options::removed and ::substrate, 0.2's names of deletion_fill and insertion_fill, kept
// for one release: old code assigning them must still compile (the warning silenced here, on
// purpose) and still choose the fills.
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#endif
TEST_CASE("the deprecated curve_options::removed and ::substrate still set the fills, and win when both are set") {
    const auto img = test::noise(20, 20, 3, 8, 0, 255);
    const auto seg = test::grid(20, 20, 2, 2);
    const std::vector<int> ranking{2, 0, 3, 1};
    // The image's mean brightness: the curves depend on what the fills show.
    auto brightness = [](batch_view<const std::uint8_t> batch) {
        Eigen::MatrixXd p(batch.size(), 1);
        for (int i = 0; i < batch.size(); ++i) {
            double sum = 0;
            const auto v = batch[i];
            for (int y = 0; y < v.height(); ++y)
                for (int x = 0; x < v.width(); ++x)
                    for (int c = 0; c < v.channels(); ++c) sum += v.at(x, y, c);
            p(i, 0) = sum / (255.0 * double(v.pixel_count() * v.channels()));
        }
        return p;
    };
    pixlime::curve_options opt;
    opt.random_rankings = 0;
    opt.deletion_fill = pixlime::constant_fill{{255}};
    opt.insertion_fill = pixlime::constant_fill{{200}};
    const auto del = pixlime::deletion_curve(img, seg, ranking, brightness, 1, opt).score;
    const auto ins = pixlime::insertion_curve(img, seg, ranking, brightness, 1, opt).score;
    const pixlime::curve_options defaults_only = [] {
        pixlime::curve_options o;
        o.random_rankings = 0;
        return o;
    }();
    REQUIRE(pixlime::deletion_curve(img, seg, ranking, brightness, 1, defaults_only).score != del);
    REQUIRE(pixlime::insertion_curve(img, seg, ranking, brightness, 1, defaults_only).score != ins);

    pixlime::curve_options old = defaults_only;
    old.removed = pixlime::constant_fill{{255}};
    old.substrate = pixlime::constant_fill{{200}};
    CHECK(pixlime::deletion_curve(img, seg, ranking, brightness, 1, old).score == del);
    CHECK(pixlime::insertion_curve(img, seg, ranking, brightness, 1, old).score == ins);
    old.deletion_fill = pixlime::constant_fill{{0}};  // the old names are what the old code asked for
    old.insertion_fill = pixlime::constant_fill{{0}};
    const pixlime::curve_options copy = old;  // copies carry them
    CHECK(pixlime::deletion_curve(img, seg, ranking, brightness, 1, copy).score == del);
    CHECK(pixlime::insertion_curve(img, seg, ranking, brightness, 1, copy).score == ins);
}
#if defined(__GNUC__) || defined(__clang__)
#pragma GCC diagnostic pop
#endif
