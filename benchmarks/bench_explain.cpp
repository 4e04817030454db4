// The explain pipeline's own cost, without a model: a stub classifier that reads one pixel, so
// what is timed is sampling + perturbation + kernel + ridge (+ the stub's negligible time).
//
//   bench_explain [repeats=15] [explain]     ("explain": the first case only, for python_layer.py)
//
// Cases (1 thread): 224x224 RGB, 1000 samples, 100 segments (10x10 grid), batch 10 (lime's).
// Prints the median of each case; and, for comparison, lime_image's way of building perturbed
// images (one pass over the label map per hidden segment), written in the same C++.
// Last: peak memory (max RSS) after explaining with 1000 and with 20000 samples at batch 10.
#include <pixlime/pixlime.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

template <class F>
double median_ms(int repeats, F&& f) {
    std::vector<double> t;
    for (int r = 0; r < repeats; ++r) {
        const auto t0 = clock_type::now();
        f();
        t.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - t0).count());
    }
    std::sort(t.begin(), t.end());
    return t[t.size() / 2];
}

pixlime::segmentation grid(int w, int h, int g) {
    std::vector<std::int32_t> labels(std::size_t(w) * std::size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) labels[std::size_t(y) * std::size_t(w) + std::size_t(x)] = (y * g / h) * g + x * g / w;
    return pixlime::segmentation(w, h, std::move(labels));
}

volatile double sink = 0;

// lime_image's data_labels loop, in C++: copy the image, then for each hidden segment scan the
// label map and write the fill where it matches.
void lime_style_perturb(const pixlime::image<std::uint8_t>& img, const pixlime::segmentation& seg, const pixlime::image<std::uint8_t>& fill,
                        const pixlime::mask_matrix& masks, std::vector<std::uint8_t>& out) {
    const std::size_t n = std::size_t(img.pixel_count()), c = std::size_t(img.channels());
    const auto& labels = seg.labels();
    for (Eigen::Index i = 0; i < masks.rows(); ++i) {
        std::copy(img.data(), img.data() + img.size(), out.begin());
        for (int k = 0; k < seg.count(); ++k) {
            if (masks(i, k)) continue;
            for (std::size_t p = 0; p < n; ++p)
                if (labels[p] == k)
                    for (std::size_t ch = 0; ch < c; ++ch) out[p * c + ch] = fill.data()[p * c + ch];
        }
        sink = sink + out[std::size_t(i) % out.size()];
    }
}

long max_rss_kib() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
    const int repeats = argc > 1 ? std::atoi(argv[1]) : 15;
    const auto img = pixlime::load_image(std::string(PIXLIME_SAMPLE_IMAGES) + "/chelsea_224.png", 3);
    const auto seg = grid(224, 224, 10);
    auto stub = [](pixlime::batch_view<const std::uint8_t> b) {
        Eigen::MatrixXf p(b.size(), 10);
        for (int i = 0; i < b.size(); ++i) p.row(i).setConstant(b[i].at(100, 100, 0) / 255.f);
        return p;
    };

    pixlime::explain_options opt;  // 1000 samples, batch 10, top 5 labels
    opt.seed = 1;
    pixlime::explain_timings last;
    const double total = median_ms(repeats, [&] { last = pixlime::explain(img, seg, stub, opt).timings(); });
    std::printf("explain 224x224x3, 1000 samples, 100 segments, 5 labels, batch 10, 1 thread: median %.2f ms\n", total);
    if (argc > 2 && std::string(argv[2]) == "explain") return 0;
    std::printf("  (last run: perturbation %.2f ms, stub classifier %.2f ms, surrogate %.2f ms)\n", last.perturbation_ms,
                last.classifier_ms, last.surrogate_ms);
    opt.batch_size = 100;
    std::printf("  same with batch 100: median %.2f ms\n", median_ms(repeats, [&] { pixlime::explain(img, seg, stub, opt); }));
    opt.batch_size = 10;

    // Perturbation alone, pixlime's run copies versus lime's per-segment scans.
    const auto masks = pixlime::sample_masks(pixlime::sampling::balanced, 1000, seg.count(), 1);
    const auto fill = pixlime::segment_mean_fill{}(img.view(), seg);
    const pixlime::perturber<std::uint8_t> p(img.view(), fill.view(), seg);
    std::vector<std::uint8_t> out(p.image_size());
    const double runs = median_ms(repeats, [&] {
        for (int i = 0; i < 1000; ++i) p.render(masks.row(i).data(), out.data());
        sink = sink + out[5];
    });
    const double lime = median_ms(std::max(3, repeats / 5), [&] { lime_style_perturb(img, seg, fill, masks, out); });
    std::printf("1000 perturbed 224x224x3 images: run copies %.2f ms (%.1f us/image), lime-style scans %.1f ms (%.0f us/image): %.0fx\n",
                runs, runs, lime, lime, lime / runs);
    // The same with superpixels: SLIC's segments are ragged, so each row crosses many more runs.
    pixlime::slic_options slic_opt;
    slic_opt.num_segments = 100;
    const auto superpixels = pixlime::slic(img.view(), slic_opt);
    const auto slic_masks = pixlime::sample_masks(pixlime::sampling::balanced, 1000, superpixels.count(), 1);
    const auto slic_fill = pixlime::segment_mean_fill{}(img.view(), superpixels);
    const pixlime::perturber<std::uint8_t> slic_p(img.view(), slic_fill.view(), superpixels);
    const double slic_runs = median_ms(repeats, [&] {
        for (int i = 0; i < 1000; ++i) slic_p.render(slic_masks.row(i).data(), out.data());
        sink = sink + out[5];
    });
    std::printf("  the same with SLIC's %d segments: %.2f ms (%.1f us/image)\n", superpixels.count(), slic_runs, slic_runs);
    const double memcpy_floor = median_ms(repeats, [&] {
        for (int i = 0; i < 1000; ++i) std::copy(img.data(), img.data() + img.size(), out.begin());
        sink = sink + out[7];
    });
    std::printf("  memory floor (1000 plain copies of the image): %.2f ms\n", memcpy_floor);

    const double surrogate = median_ms(repeats, [&] {
        const Eigen::VectorXd w = pixlime::exponential_kernel{0.25}(masks);
        const Eigen::MatrixXd y = Eigen::MatrixXd::Random(1000, 5);
        sink = sink + pixlime::weighted_ridge{1.0}(masks, w, y)[0].intercept;
    });
    std::printf("kernel + ridge, 1000 x 100, 5 labels: %.2f ms\n", surrogate);

    // Peak memory does not grow with num_samples: only with batch size x image size.
    const long before = max_rss_kib();
    opt.num_samples = 1000;
    pixlime::explain(img, seg, stub, opt);
    const long at_1000 = max_rss_kib();
    opt.num_samples = 20000;
    pixlime::explain(img, seg, stub, opt);
    const long at_20000 = max_rss_kib();
    std::printf("max RSS: %ld KiB before, %ld KiB after 1000 samples, %ld KiB after 20000 samples (batch 10; one image is %zu KiB)\n",
                before, at_1000, at_20000, img.size() / 1024);
    return 0;
}
