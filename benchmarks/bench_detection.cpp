// Explaining every detection of an image (issue 25): all K detections from one set of perturbed
// images and model calls (detection_target with K targets, target_options(opt, K)) against one
// explain per detection (K runs, one target each, the same seed). Prints markdown tables: model
// calls and wall time per detection explained, and whether the two give the same weights.
//
//   bench_detection [--repeats R=5] [--work N[,N...]=0,300000] [--samples 1000] [--seed 1]
//                   [--ks 1,2,4,8] [--grid]
//
// The planted detector (tests/test_detection.cpp's, for K colours): a 224x224 RGB image, grey
// with a little fixed noise, holds K coloured 40x40 squares (K <= 8, distinct colours). On each
// image it finds each colour's pixels (every channel within about 40 of the colour, by a look-up
// table: the same cost per image for every K) and reports one
// detection per colour present: boxed around that colour's pixels, objectness = the share of the
// square's 1600 pixels still there, class vector one-hot over the K classes. It counts the
// images it sees. `--work N` adds N dependent multiply-adds over the image's bytes per image, a
// stand-in for a real detector's cost, so that the model dominates as it does in practice;
// `--work 0` leaves the detector's own scan (one pass over the pixels) only.
//
// Explain: SLIC, 100 segments (slic_options defaults; `--grid`: a 10x10 grid instead), computed
// by each explain call as the public explain(img, model, opt) does; black fill (lime's
// hide_color=0: a segment's mean would leave a segment inside a square its own colour);
// sampling, kernel, ridge: pixlime's defaults; 1 thread, batch 10; the seed fixed. The targets
// are the detector's detections on the unperturbed image.
//
// Times are medians of R repeats of the whole case, after one untimed run of each: (a) one
// explain; (b) the K explains; (a) and (b) alternate within a repeat. "detector share": the time
// explain spent inside the model (detector + D-RISE scores) over (a)'s wall time.
#include <pixlime/detection.hpp>
#include <pixlime/pixlime.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int side = 224, square = 40, max_k = 8;

// Distinct colours, far from the grey background (128 +- 8) and from the black fill.
constexpr std::array<std::array<int, 3>, max_k> colours{{{220, 20, 20},
                                                         {20, 200, 20},
                                                         {20, 20, 220},
                                                         {220, 220, 20},
                                                         {220, 20, 220},
                                                         {20, 220, 220},
                                                         {240, 120, 20},
                                                         {240, 240, 240}}};

// Square k's top-left corner: 4 columns x 2 rows, 13 to 60 pixels apart.
int square_x(int k) { return 12 + (k % 4) * 53; }
int square_y(int k) { return 30 + (k / 4) * 100; }

pixlime::image<std::uint8_t> squares_image(int k_count) {
    pixlime::image<std::uint8_t> img(side, side, 3);
    std::uint32_t state = 12345;  // fixed noise: the same image in every run
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x)
            for (int c = 0; c < 3; ++c) {
                state = state * 1664525u + 1013904223u;
                img.at(x, y, c) = std::uint8_t(120 + (state >> 28));
            }
    for (int k = 0; k < k_count; ++k)
        for (int y = square_y(k); y < square_y(k) + square; ++y)
            for (int x = square_x(k); x < square_x(k) + square; ++x)
                for (int c = 0; c < 3; ++c) img.at(x, y, c) = std::uint8_t(colours[std::size_t(k)][std::size_t(c)]);
    return img;
}

volatile double sink = 0;

// Which colour each pixel value is, looked up by its top 5 bits per channel (32768 entries): the
// colour k whose every channel is within 40 of the cell's centre, or -1. One look-up per pixel
// whatever K, so the detector costs the same per image for every K, as a real detector does.
std::shared_ptr<const std::vector<std::int8_t>> colour_table(int k_count) {
    auto table = std::make_shared<std::vector<std::int8_t>>(32768, std::int8_t(-1));
    for (int i = 0; i < 32768; ++i) {
        const int r = ((i >> 10) << 3) + 4, g = (((i >> 5) & 31) << 3) + 4, b = ((i & 31) << 3) + 4;
        for (int k = 0; k < k_count; ++k) {
            const auto& col = colours[std::size_t(k)];
            if (std::abs(r - col[0]) <= 40 && std::abs(g - col[1]) <= 40 && std::abs(b - col[2]) <= 40) {
                (*table)[std::size_t(i)] = std::int8_t(k);
                break;
            }
        }
    }
    return table;
}

struct planted_detector {
    int k_count = 1;
    long work = 0;
    long* images = nullptr;
    std::shared_ptr<const std::vector<std::int8_t>> table = colour_table(k_count);

    std::vector<std::vector<pixlime::detection>> operator()(pixlime::batch_view<const std::uint8_t> batch) const {
        std::vector<std::vector<pixlime::detection>> out;
        const std::int8_t* lut = table->data();
        for (int i = 0; i < batch.size(); ++i) {
            ++*images;
            const auto img = batch[i];
            std::array<int, max_k> x0, y0, x1, y1, n;
            x0.fill(side), y0.fill(side), x1.fill(-1), y1.fill(-1), n.fill(0);
            for (int y = 0; y < img.height(); ++y) {
                const std::uint8_t* row = img.row(y);
                for (int x = 0; x < img.width(); ++x) {
                    const std::uint8_t* p = row + 3 * x;
                    const int k = lut[((p[0] >> 3) << 10) | ((p[1] >> 3) << 5) | (p[2] >> 3)];
                    if (k < 0) continue;
                    const auto s = std::size_t(k);
                    x0[s] = std::min(x0[s], x), y0[s] = std::min(y0[s], y), x1[s] = std::max(x1[s], x), y1[s] = std::max(y1[s], y);
                    ++n[s];
                }
            }
            if (work > 0) {  // the stand-in for a real detector's arithmetic
                const std::uint8_t* bytes = img.row(0);
                const long size = long(img.height()) * img.row_stride();
                double acc = 0;
                for (long j = 0; j < work; ++j) acc = acc * 0.999999 + bytes[j % size];
                sink = sink + acc;
            }
            std::vector<pixlime::detection> found;
            for (int k = 0; k < k_count; ++k) {
                const auto s = std::size_t(k);
                if (n[s] == 0) continue;
                pixlime::detection d;
                d.box = {double(x0[s]), double(y0[s]), double(x1[s] - x0[s] + 1), double(y1[s] - y0[s] + 1)};
                d.objectness = n[s] / double(square * square);
                d.class_scores = Eigen::VectorXd::Zero(k_count);
                d.class_scores[k] = 1;
                found.push_back(std::move(d));
            }
            out.push_back(std::move(found));
        }
        return out;
    }
};

pixlime::segmentation grid(int g) {
    std::vector<std::int32_t> labels(std::size_t(side) * side);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) labels[std::size_t(y) * side + std::size_t(x)] = (y * g / side) * g + x * g / side;
    return pixlime::segmentation(side, side, std::move(labels));
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

std::vector<long> parse_list(const char* s) {
    std::vector<long> out;
    for (const char* p = s; *p;) {
        char* end = nullptr;
        out.push_back(std::strtol(p, &end, 10));
        p = *end == ',' ? end + 1 : end;
        if (end == p && *end) break;
    }
    return out;
}

struct run_result {
    double ms = 0;
    long model_calls = 0;  // explanation::model_calls, summed over the case's explains
    long images = 0;       // the detector's own count
    double classifier_ms = 0, segmentation_ms = 0;
    std::vector<Eigen::VectorXd> weights;  // one per target
    int segments = 0;
};

template <class Explain>
run_result timed(Explain&& run) {
    const auto t0 = clock_type::now();
    run_result r = run();
    r.ms = std::chrono::duration<double, std::milli>(clock_type::now() - t0).count();
    return r;
}

}  // namespace

int main(int argc, char** argv) {
    int repeats = 5, samples = 1000;
    std::uint64_t seed = 1;
    bool use_grid = false;
    std::vector<long> works{0, 300000}, ks{1, 2, 4, 8};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--repeats" && has_value) repeats = std::atoi(argv[++i]);
        else if (a == "--work" && has_value) works = parse_list(argv[++i]);
        else if (a == "--samples" && has_value) samples = std::atoi(argv[++i]);
        else if (a == "--seed" && has_value) seed = std::strtoull(argv[++i], nullptr, 10);
        else if (a == "--ks" && has_value) ks = parse_list(argv[++i]);
        else if (a == "--grid") use_grid = true;
        else {
            std::fprintf(stderr, "usage: bench_detection [--repeats R=5] [--work N[,N...]=0,300000] [--samples 1000] [--seed 1] [--ks 1,2,4,8] [--grid]\n");
            return 2;
        }
    }
    if (repeats < 1 || samples < 2 || works.empty() || ks.empty()) return 2;
    for (long k : ks)
        if (k < 1 || k > max_k) {
            std::fprintf(stderr, "bench_detection: K must be in 1..%d\n", max_k);
            return 2;
        }

    pixlime::explain_options base;
    base.num_samples = samples;
    base.seed = seed;
    base.fill = pixlime::constant_fill{{0}};
    base.segmenter = pixlime::slic_options{};  // 100 segments
    const pixlime::segmentation grid_seg = grid(10);

    std::printf("224x224 RGB, %s, %d samples, seed %llu, black fill, batch %d, 1 thread; medians of %d repeats\n\n",
                use_grid ? "10x10 grid (100 segments)" : "SLIC (slic_options defaults: 100 segments requested)", samples,
                (unsigned long long)seed, base.batch_size, repeats);

    bool all_same_calls = true;
    for (long work : works) {
        std::printf("### --work %ld\n\n", work);
        std::printf("| K | segments | (a) calls | (a) detector images | (a) calls/detection | (b) calls | (b) detector images | (b) calls/detection "
                    "| (a) ms/detection | (b) ms/detection | (b)/(a) time | (a) detector share | max abs(w_a - w_b) |\n");
        std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (long k_long : ks) {
            const int K = int(k_long);
            const auto img = squares_image(K);
            long found_images = 0;
            const auto found = planted_detector{K, 0, &found_images}(pixlime::batch_view<const std::uint8_t>(img.data(), 1, side, side, 3));
            const std::vector<pixlime::detection> targets = found.at(0);
            if (int(targets.size()) != K) {
                std::fprintf(stderr, "bench_detection: %zu detections on the image, expected %d\n", targets.size(), K);
                return 1;
            }
            const auto explain_one = [&](const pixlime::detection_target<planted_detector>& model, const pixlime::explain_options& opt) {
                auto m = model;
                return use_grid ? pixlime::explain(img, grid_seg, m, opt) : pixlime::explain(img, m, opt);
            };
            const auto all_at_once = [&] {
                run_result r;
                pixlime::detection_target<planted_detector> model(planted_detector{K, work, &r.images}, targets);
                const pixlime::explanation ex = explain_one(model, pixlime::target_options(base, K));
                r.model_calls = ex.model_calls();
                r.classifier_ms = ex.timings().classifier_ms;
                r.segmentation_ms = ex.timings().segmentation_ms;
                r.segments = ex.num_segments();
                for (int t = 0; t < K; ++t) r.weights.push_back(ex.weights(t));
                return r;
            };
            const auto one_per_detection = [&] {
                run_result r;
                for (int t = 0; t < K; ++t) {
                    pixlime::detection_target<planted_detector> model(planted_detector{K, work, &r.images}, {targets[std::size_t(t)]});
                    const pixlime::explanation ex = explain_one(model, pixlime::target_options(base, 1));
                    r.model_calls += ex.model_calls();
                    r.classifier_ms += ex.timings().classifier_ms;
                    r.segmentation_ms += ex.timings().segmentation_ms;
                    r.segments = ex.num_segments();
                    r.weights.push_back(ex.weights(0));
                }
                return r;
            };
            std::vector<double> ms_a, ms_b, share_a;
            run_result first_a, first_b;
            double max_diff = 0;
            timed(all_at_once), timed(one_per_detection);  // warm-up, not timed: the first call of a process is slower
            for (int r = 0; r < repeats; ++r) {  // (a) and (b) alternate, so that load swings hit both
                const run_result a = timed(all_at_once), b = timed(one_per_detection);
                ms_a.push_back(a.ms), ms_b.push_back(b.ms), share_a.push_back(a.classifier_ms / a.ms);
                for (int t = 0; t < K; ++t)
                    max_diff = std::max(max_diff, (a.weights[std::size_t(t)] - b.weights[std::size_t(t)]).cwiseAbs().maxCoeff());
                if (r == 0) {
                    first_a = a, first_b = b;
                } else if (a.model_calls != first_a.model_calls || b.model_calls != first_b.model_calls) {
                    all_same_calls = false;
                }
            }
            const double a_ms = median(ms_a) / K, b_ms = median(ms_b) / K;
            std::printf("| %d | %d | %ld | %ld | %.1f | %ld | %ld | %.1f | %.1f | %.1f | %.2fx | %.0f%% | %.3g |\n", K, first_a.segments,
                        first_a.model_calls, first_a.images, double(first_a.model_calls) / K, first_b.model_calls, first_b.images,
                        double(first_b.model_calls) / K, a_ms, b_ms, b_ms / a_ms, 100 * median(share_a), max_diff);
            std::fflush(stdout);
        }
        std::printf("\n");
    }
    if (!all_same_calls) std::printf("note: model calls differed between repeats\n");
    return 0;
}
