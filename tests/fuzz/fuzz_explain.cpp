// libFuzzer target: explain and the four pictures with fuzzed options, stages and classifier
// behaviour on a small image. A pixlime::error is a valid outcome; any other exception (but the
// classifier's own, which comes back nested in a classifier_error), a crash, a hang, or a
// non-finite explanation is a finding.
#include "fuzz_input.hpp"

#include <pixlime/pixlime.hpp>

#include <cmath>
#include <cstdlib>
#include <vector>

namespace {

template <class T>
void run(const pixlime::image<T>& img, fuzz::input& in) {
    const int w = img.width(), h = img.height();
    pixlime::segmentation seg;
    if (in.flag()) {
        seg = pixlime::grid(w, h, in.in(1, 6), in.in(1, 6));
    } else {
        std::vector<int> ids(std::size_t(w) * std::size_t(h));
        const int k = in.in(1, 9);
        for (auto& v : ids) v = in.in(0, k);
        seg = pixlime::segmentation::from_labels(w, h, ids);
    }
    pixlime::explain_options opt;
    opt.num_samples = in.in(-1, 64);
    opt.batch_size = in.in(0, 17);
    opt.num_threads = in.in(0, 3);
    opt.seed = std::uint64_t(in.in(0, 1 << 30)) << (in.flag() ? 20 : 0);
    opt.top_labels = in.in(-1, 6);
    const int nl = in.in(0, 3);
    for (int i = 0; i < nl; ++i) opt.labels.push_back(in.in(-1, 5));
    const int sampler = in.in(0, 3);
    if (sampler < 3) opt.sampler = pixlime::sampling(sampler);
    switch (in.in(0, 3)) {
        case 0: opt.fill = pixlime::segment_mean_fill{}; break;
        case 1: opt.fill = pixlime::constant_fill{{in.real(), in.real()}}; break;
        case 2: opt.fill = pixlime::blur_fill{in.flag() ? in.real() : double(in.in(0, 4))}; break;
        default: {
            pixlime::image<float> r(w, h, img.channels(), 0.0f);
            if (in.flag()) r = pixlime::image<float>(w, h, img.channels(), in.real_float());
            opt.fill = pixlime::image_fill{r};
        }
    }
    opt.kernel = pixlime::exponential_kernel{in.flag() ? in.real() : 0.25, pixlime::distance_metric(in.in(0, 3))};
    opt.surrogate = pixlime::weighted_ridge{in.flag() ? in.real() : 1.0};
    opt.model_input.to_float = in.flag();
    opt.model_input.layout = pixlime::layout(in.in(0, 2));
    if (in.flag()) opt.model_input.channels = {in.in(-1, 4), in.in(0, 2)};
    if (in.flag()) opt.model_input.scale = in.real();
    if (in.flag()) opt.model_input.mean = {in.real()};
    if (in.flag()) opt.model_input.stddev = {in.real()};
    int stop_after = in.in(0, 100);
    opt.progress = [&](int done, int) { return done < stop_after || stop_after > 64; };
    // The classifier: columns, values and misbehaviour chosen by the bytes.
    const int columns = in.in(0, 4);
    const int misbehave = in.in(0, 20);
    const double odd = in.real();
    int calls = 0;
    auto outputs = [&](int n, auto pixel) {
        ++calls;
        if (misbehave == 1 && calls == 2) throw std::runtime_error("classifier failed");
        const int rows = misbehave == 2 ? n + 1 : n;
        const int cols = misbehave == 3 && calls > 1 ? columns + 1 : columns;
        Eigen::MatrixXd p(rows, cols);
        for (int i = 0; i < rows; ++i)
            for (int c = 0; c < cols; ++c) p(i, c) = cols == 1 ? pixel(i % n) : pixel(i % n) * (c + 1) / 4.0;
        if (misbehave == 4 && rows > 0 && cols > 0) p(rows - 1, cols - 1) = odd;
        return p;
    };
    auto classify = [&](auto batch) {
        return outputs(batch.size(), [&](int i) {
            const double v = batch.layout() == pixlime::layout::nhwc ? double(batch[i].at(0, 0, 0)) : double(batch.plane(i, 0)[0]);
            return std::isfinite(v) ? std::fmod(std::abs(v), 1.0) : 0.5;
        });
    };
    const pixlime::explanation ex = pixlime::explain(img, seg, classify, opt);
    for (int l : ex.labels())
        if (!ex.weights(l).allFinite() || !std::isfinite(ex.intercept(l))) std::abort();
    pixlime::render_options ro;
    ro.num_features = in.in(-1, 8);
    ro.min_weight = in.real();
    ro.min_relative_weight = in.real();
    ro.scale = in.in(0, 3);
    ro.hide_rest = in.flag();
    ro.dim_rest = in.real();
    ro.boundaries = in.flag();
    ro.heatmap_opacity = in.real();
    const int label = ex.labels().front();
    const auto pos = pixlime::render_positive(img, ex, label, ro);
    (void)pixlime::render_negative(img, ex, label, ro);
    (void)pixlime::render_overlay(img, ex, label, ro);
    const auto heat = pixlime::render_heatmap(img, ex, label, ro);
    (void)pixlime::side_by_side({pos, heat}, in.in(-1, 8));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::input in(data, size);
    const int w = in.in(1, 20), h = in.in(1, 20), c = in.in(1, 4);
    try {
        if (in.flag()) {
            pixlime::image<float> img(w, h, c);
            for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = in.flag() ? float(in.byte()) / 255.0f : in.real_float();
            run(img, in);
        } else {
            pixlime::image<std::uint8_t> img(w, h, c);
            for (std::size_t i = 0; i < img.size(); ++i) img.data()[i] = in.byte();
            run(img, in);
        }
    } catch (const pixlime::error&) {
    }
    return 0;
}
