// The hostile-input sweep: every public entry point fed values at and beyond the edges of what
// it accepts (NaN, infinities, zero, negative, tiny and huge values, wrong sizes, misbehaving
// callables). Each case must end in one of two ways: a pixlime::error of the expected class
// whose message names the parameter (never a crash, a hang, another exception, or a silently
// wrong result), or, for values inside the documented range, a result that is valid and
// finite. The file-decoding cases live in test_io.cpp.
#include "support.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <exception>
#include <limits>
#include <new>
#include <string>
#include <vector>

namespace {

using pixlime::batch_view;

enum class outcome { ok, invalid, size_limit, classifier, stage };

struct hostile_case {
    std::string name;
    outcome expect;
    std::string parameter;  // part of the error's parameter() (for errors)
    std::function<void()> run;
};

const double nan = std::numeric_limits<double>::quiet_NaN();
const double inf = std::numeric_limits<double>::infinity();

/// The doubles every numeric option is tried with.
const std::vector<double> doubles{nan, inf, -inf, -1e300, -1.0, -1e-300, 0.0, 1e-300, 0.5, 1.0, 100.0, 1e9, 1e300};
/// The ints every integer option is tried with.
const std::vector<int> ints{std::numeric_limits<int>::min(), -1, 0, 1, 2, 7, 1000, std::numeric_limits<int>::max()};

std::string text(double v) { return pixlime::detail::to_text(v); }

const pixlime::image<std::uint8_t>& small_rgb() {
    static const auto img = test::texture(16, 12, 3);
    return img;
}

void check_segmentation(const pixlime::segmentation& s, const pixlime::image<std::uint8_t>& img) {
    test::check_valid(s, img.width(), img.height());
}

/// Explains small_rgb() on a 4x3 grid with `opt` and checks the result is finite.
void explain_small(const pixlime::explain_options& opt) {
    const auto& img = small_rgb();
    const auto seg = test::grid(16, 12, 4, 3);
    auto classify = [](batch_view<const std::uint8_t> b) {
        Eigen::MatrixXd p(b.size(), 3);
        for (int i = 0; i < b.size(); ++i) {
            const double v = b[i].at(3, 3, 0) / 255.0;
            p(i, 0) = v, p(i, 1) = 1 - v, p(i, 2) = 0.5 * b[i].at(12, 9, 1) / 255.0;
        }
        return p;
    };
    const auto ex = pixlime::explain(img, seg, classify, opt);
    for (int l : ex.labels()) {
        CHECK(ex.weights(l).allFinite());
        CHECK(std::isfinite(ex.intercept(l)));
    }
}

pixlime::explain_options quick() {
    pixlime::explain_options opt;
    opt.num_samples = 24;
    return opt;
}

std::vector<hostile_case> make_cases() {
    std::vector<hostile_case> cases;
    auto add = [&](std::string name, outcome expect, std::string parameter, std::function<void()> run) {
        cases.push_back({std::move(name), expect, std::move(parameter), std::move(run)});
    };
    auto in = [](double v, double lo, double hi) { return v >= lo && v <= hi; };

    // --- Segmenter options, every double field over `doubles` -------------------------------
    struct double_field {
        std::string name;
        std::function<bool(double)> valid;
        std::function<void(double)> run;
    };
    const std::vector<double_field> double_fields{
        {"slic_options.compactness", [&](double v) { return v > 0 && v <= 1e10; },
         [](double v) { pixlime::slic_options o; o.compactness = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"slic_options.sigma", [&](double v) { return in(v, 0, 1000); },
         [](double v) { pixlime::slic_options o; o.sigma = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"slic_options.min_size_factor", [&](double v) { return v >= 0 && std::isfinite(v); },
         [](double v) { pixlime::slic_options o; o.min_size_factor = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"quickshift_options.ratio", [&](double v) { return in(v, 0, 1e6); },
         [](double v) { pixlime::quickshift_options o; o.ratio = v; check_segmentation(pixlime::quickshift(small_rgb(), o), small_rgb()); }},
        {"quickshift_options.kernel_size", [&](double v) { return v >= 1 && std::isfinite(v); },
         [](double v) { pixlime::quickshift_options o; o.kernel_size = v; check_segmentation(pixlime::quickshift(small_rgb(), o), small_rgb()); }},
        {"quickshift_options.max_dist", [&](double v) { return v >= 0; },
         [](double v) { pixlime::quickshift_options o; o.max_dist = v; check_segmentation(pixlime::quickshift(small_rgb(), o), small_rgb()); }},
        {"quickshift_options.sigma", [&](double v) { return in(v, 0, 1000); },
         [](double v) { pixlime::quickshift_options o; o.sigma = v; check_segmentation(pixlime::quickshift(small_rgb(), o), small_rgb()); }},
        {"felzenszwalb_options.scale", [&](double v) { return in(v, 0, 1e30); },
         [](double v) { pixlime::felzenszwalb_options o; o.scale = v; check_segmentation(pixlime::felzenszwalb(small_rgb(), o), small_rgb()); }},
        {"felzenszwalb_options.sigma", [&](double v) { return in(v, 0, 1000); },
         [](double v) { pixlime::felzenszwalb_options o; o.sigma = v; check_segmentation(pixlime::felzenszwalb(small_rgb(), o), small_rgb()); }},
        // --- The explain stages' numeric options ---------------------------------------------
        {"exponential_kernel.width", [&](double v) { return v >= 1e-3 && std::isfinite(v); },  // (tiny widths weigh every sample 0)
         [](double v) { auto o = quick(); o.kernel = pixlime::exponential_kernel{v}; explain_small(o); }},
        {"weighted_ridge.alpha", [&](double v) { return v >= 0 && std::isfinite(v); },
         [](double v) { auto o = quick(); o.surrogate = pixlime::weighted_ridge{v}; explain_small(o); }},
        {"blur_fill.sigma", [&](double v) { return in(v, 0, 1000); },
         [](double v) { auto o = quick(); o.fill = pixlime::blur_fill{v}; explain_small(o); }},
        {"constant_fill.color", [&](double v) { return in(v, 0, 255); },
         [](double v) { auto o = quick(); o.fill = pixlime::constant_fill{{v}}; explain_small(o); }},
        {"model_input.scale", [&](double v) { return std::isfinite(v) && v != 0 && std::abs(v) <= 1e30; },
         [](double v) {
             auto o = quick();
             o.model_input.to_float = true;
             o.model_input.scale = v;
             pixlime::explain(small_rgb(), test::grid(16, 12, 4, 3), [](batch_view<const float> b) {
                 return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
             }, o);
         }},
        {"model_input.mean", [&](double v) { return std::isfinite(v) && std::abs(v) <= 1e30; },
         [](double v) {
             auto o = quick();
             o.model_input.to_float = true;
             o.model_input.mean = {v};
             pixlime::explain(small_rgb(), test::grid(16, 12, 4, 3), [](batch_view<const float> b) {
                 return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
             }, o);
         }},
        {"model_input.stddev", [&](double v) { return std::isfinite(v) && std::abs(v) >= 1e-30; },
         [](double v) {
             auto o = quick();
             o.model_input.to_float = true;
             o.model_input.stddev = {v};
             pixlime::explain(small_rgb(), test::grid(16, 12, 4, 3), [](batch_view<const float> b) {
                 return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
             }, o);
         }},
        // --- Rendering ---------------------------------------------------------------------
        {"render_options.min_weight", [&](double v) { return v >= 0; },
         [](double v) { pixlime::render_options r; r.min_weight = v; pixlime::render_positive(small_rgb(), test::grid(16, 12, 4, 3), Eigen::VectorXd::Ones(12), r); }},
        {"render_options.min_relative_weight", [&](double v) { return in(v, 0, 1); },
         [](double v) { pixlime::render_options r; r.min_relative_weight = v; pixlime::render_negative(small_rgb(), test::grid(16, 12, 4, 3), -Eigen::VectorXd::Ones(12), r); }},
        {"render_options.dim_rest", [&](double v) { return in(v, 0, 1); },
         [](double v) { pixlime::render_options r; r.dim_rest = v; pixlime::render_overlay(small_rgb(), test::grid(16, 12, 4, 3), Eigen::VectorXd::Ones(12), r); }},
        {"render_options.heatmap_opacity", [&](double v) { return in(v, 0, 1); },
         [](double v) { pixlime::render_options r; r.heatmap_opacity = v; pixlime::render_heatmap(small_rgb(), test::grid(16, 12, 4, 3), Eigen::VectorXd::Ones(12), r); }},
    };
    for (const auto& f : double_fields)
        for (double v : doubles) {
            const bool ok = f.valid(v);
            auto run = f.run;
            // model_input values that are valid options but leave float's range are refused
            // when the pixels are converted: the parameter is then "model_input".
            const bool converts_out_of_range = f.name == "model_input.scale" && std::isfinite(v) && std::abs(v) > 1e30;
            const std::string parameter =
                f.name == "constant_fill.color" ? "constant_fill.color[0]"
                : f.name == "model_input.mean" ? (std::isfinite(v) ? "model_input" : "model_input.mean[0]")
                : f.name == "model_input.stddev" ? (std::isfinite(v) && v != 0 ? "model_input" : "model_input.stddev[0]")
                : converts_out_of_range ? "model_input"
                                        : f.name;
            add(f.name + " = " + text(v), ok ? outcome::ok : outcome::invalid, parameter, [run, v] { run(v); });
        }

    // --- Integer options over `ints` ---------------------------------------------------------
    struct int_field {
        std::string name;
        std::function<bool(int)> valid;
        std::function<void(int)> run;
        outcome over = outcome::invalid;  // what a too-large value gives
    };
    const std::vector<int_field> int_fields{
        {"slic_options.num_segments", [](int v) { return v >= 1 && v <= (1 << 20); },
         [](int v) { pixlime::slic_options o; o.num_segments = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"slic_options.max_iterations", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) { pixlime::slic_options o; o.max_iterations = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"slic_options.num_threads", [](int v) { return v >= 1; },
         [](int v) { pixlime::slic_options o; o.num_threads = v; check_segmentation(pixlime::slic(small_rgb(), o), small_rgb()); }},
        {"quickshift_options.num_threads", [](int v) { return v >= 1; },
         [](int v) { pixlime::quickshift_options o; o.num_threads = v; check_segmentation(pixlime::quickshift(small_rgb(), o), small_rgb()); }},
        {"felzenszwalb_options.min_size", [](int v) { return v >= 0; },
         [](int v) { pixlime::felzenszwalb_options o; o.min_size = v; check_segmentation(pixlime::felzenszwalb(small_rgb(), o), small_rgb()); }},
        {"grid_options.cells_x", [](int v) { return v >= 1; },
         [](int v) { check_segmentation(pixlime::grid(small_rgb(), pixlime::grid_options{v, 3}), small_rgb()); }},
        {"grid_options.cells_y", [](int v) { return v >= 1; },
         [](int v) { check_segmentation(pixlime::grid(small_rgb(), pixlime::grid_options{3, v}), small_rgb()); }},
        {"explain_options.num_samples", [](int v) { return v >= 2 && v <= 1000; },
         [](int v) { auto o = quick(); o.num_samples = v; explain_small(o); }, outcome::size_limit},
        {"explain_options.batch_size", [](int v) { return v >= 1; },
         [](int v) { auto o = quick(); o.batch_size = v; explain_small(o); }},
        {"explain_options.top_labels", [](int v) { return v >= 1; },
         [](int v) { auto o = quick(); o.top_labels = v; explain_small(o); }},
        {"explain_options.num_threads", [](int v) { return v >= 1; },
         [](int v) { auto o = quick(); o.num_threads = v; explain_small(o); }},
        {"render_options.num_features", [](int v) { return v >= 0; },
         [](int v) { pixlime::render_options r; r.num_features = v; pixlime::render_positive(small_rgb(), test::grid(16, 12, 4, 3), Eigen::VectorXd::Ones(12), r); }},
        {"render_options.scale", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) {  // a 2 x 2 image, so that scale 1000 stays quick
             pixlime::render_options r;
             r.scale = v;
             pixlime::render_heatmap(pixlime::image<std::uint8_t>(2, 2, 3, 9), test::grid(2, 2, 2, 1), Eigen::VectorXd::Ones(2), r);
         },
         outcome::size_limit},
        {"side_by_side gap", [](int v) { return v >= 0 && v <= 1000; },
         [](int v) { pixlime::side_by_side({small_rgb(), small_rgb()}, v); }, outcome::size_limit},
        {"upscale_nearest factor", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) { pixlime::upscale_nearest(pixlime::image<std::uint8_t>(2, 2, 3, 9), v); }, outcome::size_limit},
        {"sample_masks num_samples", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) { pixlime::sample_masks(pixlime::sampling::balanced, v, 5, 1); }, outcome::size_limit},
        {"sample_masks num_segments", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) { pixlime::sample_masks(pixlime::sampling::bernoulli, 5, v, 1); }, outcome::size_limit},
        {"image width", [](int v) { return v >= 1 && v <= 1000; },
         [](int v) { pixlime::image<float>(v, 3, 2); }, outcome::size_limit},
        {"image channels", [](int v) { return v >= 1 && v <= 64; }, [](int v) { pixlime::image<std::uint8_t>(3, 3, v); }},
    };
    for (const auto& f : int_fields)
        for (int v : ints) {
            if (f.name == "slic_options.max_iterations" && v == std::numeric_limits<int>::max()) continue;  // valid but slow: 2^31 rounds stop early, still
            const bool ok = f.valid(v);
            const bool large = v > 1000;
            outcome expect = ok ? outcome::ok : (large ? f.over : outcome::invalid);
            std::string parameter = f.name;
            if (!ok && large && f.over == outcome::size_limit) {
                // Too large is a size limit, named after the result or the size it governs.
                if (f.name == "render_options.scale" || f.name == "upscale_nearest factor") parameter = "upscale_nearest result size";
                if (f.name == "side_by_side gap") parameter = "side_by_side result size";
                if (f.name == "image width") parameter = "image size";
            }
            if (ok && large) expect = outcome::ok;
            // Valid but large: the large values that are legitimate must still work.
            if (f.name == "explain_options.num_samples" && v == 1000) expect = outcome::ok;
            auto run = f.run;
            add(f.name + " = " + std::to_string(v), expect, parameter, [run, v] { run(v); });
        }

    // --- Labels and limits -------------------------------------------------------------------
    const std::vector<std::pair<std::vector<int>, outcome>> label_sets{
        {{0}, outcome::ok}, {{2, 0}, outcome::ok}, {{1, 1, 1}, outcome::invalid}, {{0, 2, 0}, outcome::invalid},
        {{-1}, outcome::invalid}, {{3}, outcome::invalid}, {{std::numeric_limits<int>::max()}, outcome::invalid},
        {{std::numeric_limits<int>::min()}, outcome::invalid}};
    for (const auto& [labels, expect] : label_sets) {
        std::string name = "explain_options.labels = {";
        for (std::size_t i = 0; i < labels.size(); ++i) name += (i ? ", " : "") + std::to_string(labels[i]);
        add(name + "}", expect, "explain_options.labels[", [l = labels] {
            auto o = quick();
            o.labels = l;
            explain_small(o);
        });
    }
    const std::vector<std::pair<std::string, std::function<void(pixlime::limits&)>>> limit_tweaks{
        {"max_pixels", [](pixlime::limits& l) { l.max_pixels = 100; }},
        {"max_image_bytes", [](pixlime::limits& l) { l.max_image_bytes = 100; }},
        {"max_samples", [](pixlime::limits& l) { l.max_samples = 10; }},
        {"max_segments", [](pixlime::limits& l) { l.max_segments = 5; }},
        {"max_classes", [](pixlime::limits& l) { l.max_classes = 2; }},
        {"max_surrogate_size", [](pixlime::limits& l) { l.max_surrogate_size = 5; }},
        {"max_explanation_bytes", [](pixlime::limits& l) { l.max_explanation_bytes = 1000; }},
    };
    for (const auto& [name, tweak] : limit_tweaks) {
        const std::string parameter = name == "max_pixels" || name == "max_image_bytes" ? "image size"
                                      : name == "max_samples"                            ? "explain_options.num_samples"
                                      : name == "max_segments"                           ? "segmentation count"
                                      : name == "max_classes"                            ? "classifier output columns"
                                      : name == "max_surrogate_size"                     ? "surrogate system size"
                                                                                         : "explanation memory";
        add("limits." + name + " below the input", outcome::size_limit, parameter, [t = tweak] {
            auto o = quick();
            t(o.limits);
            explain_small(o);
        });
    }
    for (const char* name : {"max_pixels", "max_samples", "max_segments", "max_classes", "max_surrogate_size", "max_explanation_bytes"}) {
        add(std::string("limits.") + name + " = 0", outcome::invalid, "explain_options.limits", [n = std::string(name)] {
            auto o = quick();
            if (n == "max_pixels") o.limits.max_pixels = 0;
            if (n == "max_samples") o.limits.max_samples = 0;
            if (n == "max_segments") o.limits.max_segments = 0;
            if (n == "max_classes") o.limits.max_classes = 0;
            if (n == "max_surrogate_size") o.limits.max_surrogate_size = 0;
            if (n == "max_explanation_bytes") o.limits.max_explanation_bytes = 0;
            explain_small(o);
        });
    }

    // --- Classifiers that misbehave ---------------------------------------------------------
    struct bad_classifier {
        std::string name;
        outcome expect;
        std::string parameter;
        std::function<Eigen::MatrixXd(batch_view<const std::uint8_t>, int call)> classify;
    };
    const std::vector<bad_classifier> classifiers{
        {"too many rows", outcome::classifier, "classifier output rows", [](auto b, int) { return Eigen::MatrixXd::Zero(b.size() + 1, 2).eval(); }},
        {"too few rows", outcome::classifier, "classifier output rows", [](auto b, int) { return Eigen::MatrixXd::Zero(b.size() - 1, 2).eval(); }},
        {"no columns", outcome::classifier, "classifier output columns", [](auto b, int) { return Eigen::MatrixXd::Zero(b.size(), 0).eval(); }},
        {"changing columns", outcome::classifier, "classifier output columns", [](auto b, int c) { return Eigen::MatrixXd::Constant(b.size(), c < 1 ? 2 : 3, 0.3).eval(); }},
        {"NaN", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 2, nan).eval(); }},
        {"+Inf", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 2, inf).eval(); }},
        {"-Inf", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 2, -inf).eval(); }},
        {"1.7e308", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 2, 1.7e308).eval(); }},
        {"-1e200", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 2, -1e200).eval(); }},
        {"1e150 (the largest accepted)", outcome::ok, "", [](auto b, int) {
             Eigen::MatrixXd p = Eigen::MatrixXd::Constant(b.size(), 2, 1e150);
             for (int i = 0; i < b.size(); ++i) p(i, 0) = 1e150 * b[i].at(0, 0, 0) / 255.0;
             return p;
         }},
        {"binary 7.5", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 1, 7.5).eval(); }},
        {"binary -0.5", outcome::classifier, "classifier output[", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 1, -0.5).eval(); }},
        {"binary 1.0 (edge)", outcome::ok, "", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 1, 1.0).eval(); }},
        {"binary 0.0 (edge)", outcome::ok, "", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 1, 0.0).eval(); }},
        {"constant outputs", outcome::ok, "", [](auto b, int) { return Eigen::MatrixXd::Constant(b.size(), 4, 0.25).eval(); }},
        {"throws std::runtime_error", outcome::classifier, "classifier (samples", [](auto, int) -> Eigen::MatrixXd { throw std::runtime_error("boom"); }},
        {"throws an int", outcome::classifier, "classifier (samples", [](auto, int) -> Eigen::MatrixXd { throw 42; }},
        {"throws on the third call", outcome::classifier, "classifier (samples 20..23)", [](auto b, int c) -> Eigen::MatrixXd {
             if (c == 2) throw std::logic_error("late");
             return Eigen::MatrixXd::Constant(b.size(), 2, 0.5);
         }},
        {"100000 columns over max_classes", outcome::size_limit, "classifier output columns", [](auto b, int) { return Eigen::MatrixXd::Zero(b.size(), 100000).eval(); }},
    };
    for (const auto& c : classifiers)
        add("classifier: " + c.name, c.expect, c.parameter, [f = c.classify] {
            auto o = quick();
            o.batch_size = 10;
            o.limits.max_classes = 1000;
            int calls = 0;
            const auto ex = pixlime::explain(small_rgb(), test::grid(16, 12, 4, 3), [&](batch_view<const std::uint8_t> b) { return f(b, calls++); }, o);
            for (int l : ex.labels()) CHECK(ex.weights(l).allFinite());
        });

    // --- Stages and parts of the wrong shape -------------------------------------------------
    add("sampler: wrong size", outcome::invalid, "sampler (custom) result size", [] {
        auto o = quick();
        o.sampler = [](int n, int k, std::uint64_t) { return pixlime::mask_matrix::Ones(n - 1, k).eval(); };
        explain_small(o);
    });
    add("sampler: row 0 not all ones", outcome::invalid, "sampler (custom) result row 0", [] {
        auto o = quick();
        o.sampler = [](int n, int k, std::uint64_t) { return pixlime::mask_matrix::Zero(n, k).eval(); };
        explain_small(o);
    });
    add("sampler: a 2 in the masks", outcome::invalid, "sampler (custom) result", [] {
        auto o = quick();
        o.sampler = [](int n, int k, std::uint64_t) {
            pixlime::mask_matrix m = pixlime::mask_matrix::Ones(n, k);
            m(3, 1) = 2;
            return m;
        };
        explain_small(o);
    });
    add("sampler: lime_compatible with a 64-bit seed", outcome::invalid, "sample_masks seed", [] {
        auto o = quick();
        o.sampler = pixlime::sampling::lime_compatible;
        o.seed = 1ull << 33;
        explain_small(o);
    });
    add("kernel: NaN weights", outcome::invalid, "kernel (custom) result", [] {
        auto o = quick();
        o.kernel = [](const pixlime::mask_matrix& m) { return Eigen::VectorXd::Constant(m.rows(), nan).eval(); };
        explain_small(o);
    });
    add("kernel: negative weights", outcome::invalid, "kernel (custom) result", [] {
        auto o = quick();
        o.kernel = [](const pixlime::mask_matrix& m) { return Eigen::VectorXd::Constant(m.rows(), -1.0).eval(); };
        explain_small(o);
    });
    add("kernel: too few weights", outcome::invalid, "kernel (custom) result", [] {
        auto o = quick();
        o.kernel = [](const pixlime::mask_matrix& m) { return Eigen::VectorXd::Ones(m.rows() - 1).eval(); };
        explain_small(o);
    });
    add("surrogate: one fit too few", outcome::invalid, "surrogate (custom) result", [] {
        auto o = quick();
        o.surrogate = [](const pixlime::mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&) { return std::vector<pixlime::linear_fit>{}; };
        explain_small(o);
    });
    add("surrogate: NaN weights", outcome::invalid, "surrogate (custom) result for label", [] {
        auto o = quick();
        o.surrogate = [](const pixlime::mask_matrix& m, const Eigen::VectorXd&, const Eigen::MatrixXd& y) {
            return std::vector<pixlime::linear_fit>(std::size_t(y.cols()), pixlime::linear_fit{Eigen::VectorXd::Constant(m.cols(), nan), 0, 0, 0});
        };
        explain_small(o);
    });
    add("fill: wrong size", outcome::invalid, "fill (custom) result size", [] {
        auto o = quick();
        o.fill = [](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) { return pixlime::image<std::uint8_t>(2, 2, 3); };
        explain_small(o);
    });
    add("fill: replacement image with NaN", outcome::invalid, "image_fill.replacement pixel", [] {
        auto o = quick();
        pixlime::image<float> r(16, 12, 3, 1.0f);
        r.at(5, 5, 2) = float(nan);
        o.fill = pixlime::image_fill{r};
        explain_small(o);
    });
    add("fill: replacement image of another size", outcome::invalid, "image_fill.replacement size", [] {
        auto o = quick();
        o.fill = pixlime::image_fill{pixlime::image<float>(3, 3, 3)};
        explain_small(o);
    });
    add("fill: hide color of 2 values for 3 channels", outcome::invalid, "constant_fill.color size", [] {
        auto o = quick();
        o.fill = pixlime::constant_fill{{1, 2}};
        explain_small(o);
    });
    add("segmenter: result of another size", outcome::invalid, "segmenter (custom) result size", [] {
        auto o = quick();
        o.segmenter = [](pixlime::image_view<const std::uint8_t>) { return pixlime::grid(3, 3, 2, 2); };
        pixlime::explain(small_rgb(), [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, o);
    });
    add("segmenter: one segment", outcome::invalid, "segmentation count", [] {
        auto o = quick();
        o.segmenter = pixlime::grid_options{1, 1};
        pixlime::explain(small_rgb(), [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, o);
    });
    // A user's stage callable that throws: a stage_error naming the stage (the original nested).
    add("segmenter: throws std::runtime_error", outcome::stage, "explain_options.segmenter", [] {
        auto o = quick();
        o.segmenter = [](pixlime::image_view<const std::uint8_t>) -> pixlime::segmentation { throw std::runtime_error("segmenter boom"); };
        pixlime::explain(small_rgb(), [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, o);
    });
    add("sampler: throws std::runtime_error", outcome::stage, "explain_options.sampler", [] {
        auto o = quick();
        o.sampler = [](int, int, std::uint64_t) -> pixlime::mask_matrix { throw std::runtime_error("sampler boom"); };
        explain_small(o);
    });
    add("fill: throws std::runtime_error", outcome::stage, "explain_options.fill", [] {
        auto o = quick();
        o.fill = [](pixlime::image_view<const std::uint8_t>, const pixlime::segmentation&) -> pixlime::image<std::uint8_t> {
            throw std::runtime_error("fill boom");
        };
        explain_small(o);
    });
    add("kernel: throws an int", outcome::stage, "explain_options.kernel", [] {
        auto o = quick();
        o.kernel = [](const pixlime::mask_matrix&) -> Eigen::VectorXd { throw 7; };
        explain_small(o);
    });
    add("surrogate: throws std::bad_alloc", outcome::stage, "explain_options.surrogate", [] {
        auto o = quick();
        o.surrogate = [](const pixlime::mask_matrix&, const Eigen::VectorXd&, const Eigen::MatrixXd&) -> std::vector<pixlime::linear_fit> {
            throw std::bad_alloc();
        };
        explain_small(o);
    });
    add("segmentation of another size", outcome::invalid, "segmentation size", [] {
        pixlime::explain(small_rgb(), test::grid(15, 12, 3, 3), [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, quick());
    });
    add("model_input: channel out of range", outcome::invalid, "model_input.channels[0]", [] {
        auto o = quick();
        o.model_input.channels = {3};
        explain_small(o);
    });
    add("model_input: float batches, classifier without a float overload", outcome::invalid, "classifier", [] {
        auto o = quick();
        o.model_input.to_float = true;
        explain_small(o);
    });
    add("explain: an empty image", outcome::invalid, "image", [] {
        pixlime::explain(pixlime::image_view<const std::uint8_t>(), test::grid(2, 2, 2, 1), [](batch_view<const std::uint8_t> b) {
            return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval();
        });
    });
    add("explain: a float image with +Inf", outcome::invalid, "image pixel", [] {
        pixlime::image<float> f(8, 8, 1, 0.5f);
        f.at(7, 7) = float(inf);
        pixlime::explain(f, test::grid(8, 8, 2, 2), [](batch_view<const float> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); });
    });
    add("explanation: fewer weights than segments", outcome::invalid, "explanation fit of label 0 weights size", [] {
        pixlime::explanation(test::grid(4, 4, 2, 2), pixlime::mask_matrix::Ones(2, 4), Eigen::MatrixXd::Constant(2, 2, 0.5), Eigen::VectorXd::Ones(2), {0}, {0},
                             {pixlime::linear_fit{Eigen::VectorXd::Zero(3), 0, 0, 0}});
    });
    add("render: weights of another explanation", outcome::invalid, "weights size", [] {
        pixlime::render_positive(small_rgb(), test::grid(16, 12, 4, 3), Eigen::VectorXd::Ones(11));
    });
    add("render: image of another size", outcome::invalid, "image size", [] {
        pixlime::render_heatmap(small_rgb(), test::grid(8, 8, 2, 2), Eigen::VectorXd::Ones(4));
    });
    add("render_negative: a gray image of an RGB explanation", outcome::invalid, "image channels", [] {
        const auto ex = pixlime::explain(test::texture(16, 16, 3), test::grid(16, 16, 4, 4),
                                         [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, quick());
        pixlime::render_negative(test::texture(16, 16, 1), ex, ex.labels()[0]);
    });
    add("render_heatmap: an image of another size than the explained one", outcome::invalid, "image size", [] {
        const auto ex = pixlime::explain(test::texture(16, 16, 3), test::grid(16, 16, 4, 4),
                                         [](batch_view<const std::uint8_t> b) { return Eigen::MatrixXf::Constant(b.size(), 2, 0.5f).eval(); }, quick());
        pixlime::render_heatmap(test::texture(16, 12, 3), ex, ex.labels()[0]);
    });
    add("side_by_side: no image", outcome::invalid, "side_by_side images", [] { pixlime::side_by_side({}); });
    add("side_by_side: a gray image", outcome::invalid, "side_by_side images[1] channels", [] {
        pixlime::side_by_side({small_rgb(), pixlime::image<std::uint8_t>(2, 2, 1)});
    });
    add("segmentation: labels with a gap", outcome::invalid, "segmentation label", [] { pixlime::segmentation(2, 1, {0, 2}); });
    add("segmentation: too few labels", outcome::invalid, "segmentation labels size", [] { pixlime::segmentation(2, 2, {0, 1, 1}); });
    add("from_labels: null pointer", outcome::invalid, "segmentation::from_labels labels", [] {
        pixlime::segmentation::from_labels<long>(2, 2, nullptr, 4);
    });
    add("from_labels: 100000 x 100000", outcome::size_limit, "segmentation size", [] {
        pixlime::segmentation::from_labels<int>(100000, 100000, nullptr, 0);
    });
    add("image_view: stride below the row", outcome::invalid, "image_view row_stride", [] {
        std::vector<std::uint8_t> b(30);
        pixlime::image_view<std::uint8_t>(b.data(), 5, 2, 3, 14);
    });
    add("image_view: negative height", outcome::invalid, "image_view height", [] {
        std::vector<float> b(30);
        pixlime::image_view<float>(b.data(), 5, -2, 3);
    });
    add("image: 16384 x 16384 x 64 floats (64 GiB)", outcome::size_limit, "image size", [] { pixlime::image<float>(16384, 16384, 64); });
    add("batch_view: negative size", outcome::invalid, "batch_view size", [] {
        std::vector<float> b(30);
        pixlime::batch_view<const float>(b.data(), -1, 5, 2, 3);
    });
    return cases;
}

}  // namespace

/// What a case threw: "ok", the pixlime::error subclass, or "other" (another exception).
std::string run_case(const hostile_case& c, std::string& parameter, std::string& message) {
    try {
        c.run();
        return "ok";
    } catch (const pixlime::error& e) {
        parameter = e.parameter();
        message = e.what();
        CHECK_MESSAGE(message == "pixlime: " + e.parameter() + " = " + e.value() + ": expected " + e.expected(), message);
        if (dynamic_cast<const pixlime::size_limit_error*>(&e)) return "size_limit";
        if (dynamic_cast<const pixlime::invalid_argument*>(&e)) return "invalid";
        if (dynamic_cast<const pixlime::classifier_error*>(&e)) return "classifier";
        if (dynamic_cast<const pixlime::stage_error*>(&e)) {
            bool nested = false;
            try {
                std::rethrow_if_nested(e);
            } catch (...) {
                nested = true;
            }
            CHECK_MESSAGE(nested, message);
            return "stage";
        }
        return "other pixlime::error";
    } catch (const std::exception& e) {
        message = e.what();
        return "other";
    } catch (...) {
        return "other";
    }
}

TEST_CASE("the hostile-input sweep: every case a clear pixlime::error or a valid result") {
    const auto cases = make_cases();
    CHECK(cases.size() >= 250);
    int errors = 0, ok = 0;
    for (const auto& c : cases) {
        CAPTURE(c.name);
        std::string parameter, message;
        const auto t0 = std::chrono::steady_clock::now();
        const std::string got = run_case(c, parameter, message);
        if (std::getenv("PIXLIME_SWEEP_TIMES"))
            std::printf("%8.1f ms  %s\n", std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count(),
                        c.name.c_str());
        const std::string want = c.expect == outcome::ok           ? "ok"
                                 : c.expect == outcome::invalid    ? "invalid"
                                 : c.expect == outcome::size_limit ? "size_limit"
                                 : c.expect == outcome::stage      ? "stage"
                                                                   : "classifier";
        CHECK_MESSAGE(got == want, message);
        if (got == want && want != "ok") CHECK_MESSAGE(test::contains(parameter, c.parameter), message);
        (want == "ok" ? ok : errors)++;
    }
    MESSAGE(cases.size() << " hostile cases: " << errors << " clear errors, " << ok << " valid results");
}
